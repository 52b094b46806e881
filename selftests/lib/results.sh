# SPDX-License-Identifier: GPL-2.0
# Test results of one run of the workbench. Source it (after common.sh).
#
#   result PASS|FAIL|SKIP NAME [DETAIL...]
#                                      record one result
#   results_reset                      start a new run (empties the record)
#   results_summary                    print every result of the run, then as
#                                      the very last line "N passed, N failed"
#                                      (the line before counts the skipped
#                                      ones, when there are any);
#                                      non-zero when anything failed (or
#                                      nothing passed at all)
#
# SKIP is a test that did not run for a reason the detail states (a step
# whose input failed, an architecture that cannot run a subtest): shown,
# counted as neither passed nor failed. A skip that would hide a missing
# test is recorded as a FAIL by whoever notices it.
#
# The record is $WORK/results/current.tsv, one "STATUS<TAB>NAME<TAB>DETAIL"
# line per result, so that every step of selftests/run.sh (separate
# processes) adds to the same run. RESULTS_FAILED counts the failures that
# the current shell recorded.
# shellcheck shell=bash

RESULTS_FILE=${RESULTS_FILE:-$WORK/results/current.tsv}
RESULTS_FAILED=0

# _results_clean TEXT...: TEXT on one line, without tabs.
_results_clean() {
	local s="$*"
	s=${s//$'\r'/}
	s=${s//$'\t'/ }
	s=${s//$'\n'/ | }
	printf '%s' "$s"
}

result() {
	local status=${1:-} name=${2:-}
	case $status in
	PASS | FAIL | SKIP) ;;
	*)
		echo "result: bad status '$status' (PASS, FAIL or SKIP) for '$name'" >&2
		return 2
		;;
	esac
	[ -n "$name" ] || {
		echo "result: missing name" >&2
		return 2
	}
	shift 2
	name=$(_results_clean "$name")
	local detail
	detail=$(_results_clean "$@")
	mkdir -p "$(dirname "$RESULTS_FILE")"
	printf '%s\t%s\t%s\n' "$status" "$name" "$detail" >>"$RESULTS_FILE"
	printf '%s  %s%s\n' "$status" "$name" "${detail:+  $detail}"
	[ "$status" != FAIL ] || RESULTS_FAILED=$((RESULTS_FAILED + 1))
	return 0
}

results_reset() {
	mkdir -p "$(dirname "$RESULTS_FILE")"
	: >"$RESULTS_FILE"
	RESULTS_FAILED=0
}

# results_count STATUS: how many results of the run have STATUS.
results_count() {
	local n=0 status rest
	[ -f "$RESULTS_FILE" ] || {
		echo 0
		return
	}
	while IFS=$'\t' read -r status rest; do
		[ "$status" = "$1" ] && n=$((n + 1))
	done <"$RESULTS_FILE"
	echo "$n"
}

results_summary() {
	local status name detail passed=0 failed=0 skipped=0
	echo
	echo "Results ($RESULTS_FILE):"
	if [ -f "$RESULTS_FILE" ]; then
		while IFS=$'\t' read -r status name detail; do
			printf '%s  %s%s\n' "$status" "$name" "${detail:+  $detail}"
			case $status in
			PASS) passed=$((passed + 1)) ;;
			SKIP) skipped=$((skipped + 1)) ;;
			*) failed=$((failed + 1)) ;;
			esac
		done <"$RESULTS_FILE"
	fi
	[ "$skipped" -eq 0 ] || echo "$skipped skipped (shown above; counted neither as passed nor failed)"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
