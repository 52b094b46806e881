#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness's own tests: every parser the other tests judge by, run on
# the fixtures in selftests/harness-test/. No kernel and no QEMU: seconds.
#
#   selftests/harness-test.sh [-u] [-h]
#
#   -u  write each case's CASE.expected from what the parser gives now,
#       for a fixture added or a format changed on purpose; review the
#       diff (git diff selftests/harness-test/) before committing it
#   -h  this help
#
# Folders (one case a file) and what each case runs:
#   boot/*.log      a guest's boot console: guest_results, guest_expect
#                   BOOT_RESULTS, the kselftest
#                   judgement (kselftest_results, kskip
#                   "hotremove_waits_for_release") and console_bad, all of
#                   selftests/lib/console.sh
#   tap/*.tap       tap_results on a TAP stream (kskip "skipped_here")
#   console/*.log   console_bad: the kernel complaint pattern KERNEL_BAD_RE
#                   (rc=1 for a log with a complaint)
#   lines/*.query   each line of the query on the file of the same name:
#                   "field TAG KEY" (mig_field), "kv KEY" (mig_kv), "result
#                   NAME" (guest_result), "frame NAME KEY" (frame_value of
#                   console_frame)
#   qmp/*.json      selftests/lib/qmp.py figures: a saved query-migrate
#                   reply to the key=value lines of a migration
#   series/*        series_names of selftests/lib/series.sh
#   review/*.cover  review_check of selftests/lib/posting.sh: the cover
#                   letter's changelog against the IDs of review/review-ids
#                   (not a case)
#   review/*.md     review_md_check: the IDs of a review in markdown
#                   against those of review/review-ids
# (.expected files are not cases). A case's output, with the parser's exit
# status as a last "rc=N" line, must be its CASE.expected.
#
# Results (selftests/lib/results.sh):
#   harness:FOLDER:CASE     the case gave its expected output (the detail of
#                           a FAIL has the first differing line)
#   harness:FOLDER:rejects  the folder has a case the parser must refuse:
#                           an expected FAIL result, a non-zero rc or an
#                           n/a value
#
# Run on its own it starts a new result record and ends with the summary;
# run by selftests/run.sh (FPW_IN_RUN set) it adds to the run's record.
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/console.sh
. "$TOP/selftests/lib/console.sh"
# shellcheck source=selftests/lib/series.sh
. "$TOP/selftests/lib/series.sh"
# shellcheck source=selftests/lib/posting.sh
. "$TOP/selftests/lib/posting.sh"

update=
while getopts uh opt; do
	case $opt in
	u) update=1 ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_exit 2

FIX=$TOP/selftests/harness-test
[ -d "$FIX" ] || die "no fixture folder ${FIX#"$TOP"/}"
[ -n "${FPW_IN_RUN:-}" ] || results_reset
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# parsed TSV: the results a parser recorded (STATUS<TAB>NAME<TAB>DETAIL).
parsed() { cat "$tmp/results.tsv" 2>/dev/null; }

# run_case FOLDER FILE: the case's output, parser's rc last. Runs in a
# subshell, recording the parser's results in a file of its own.
run_case() {
	local folder=$1 file=$2 rc=0
	(
		RESULTS_FILE=$tmp/results.tsv
		: >"$RESULTS_FILE"
		case $folder in
		boot)
			{
				guest_results "boot:" "$file" &&
					guest_expect "boot:" "$file" "${BOOT_RESULTS[@]}" &&
					kselftest_results kselftest hotremove_waits_for_release "$file"
			} >/dev/null || rc=$?
			parsed
			echo "console_bad: $(console_bad "$file")"
			;;
		tap)
			tap_results kselftest skipped_here <"$file" >/dev/null || rc=$?
			parsed
			;;
		console)
			# A log with a complaint is one the console check refuses.
			local bad
			bad=$(console_bad "$file") || rc=$?
			echo "$bad"
			[ "${bad%% *}" = 0 ] || rc=1
			;;
		lines)
			local input q a b c
			input=$(find "$(dirname "$file")" -maxdepth 1 -name "$(basename "${file%.query}").*" \
				! -name '*.query' ! -name '*.expected' | head -n 1)
			[ -n "$input" ] || {
				echo "no input file for $file"
				exit 1
			}
			while read -r q a b c; do
				case $q in
				field) echo "$q $a $b: $(mig_field "$input" "$a" "$b")" ;;
				kv) echo "$q $a: $(mig_kv "$input" "$a")" ;;
				result) echo "$q $a: $(guest_result "$input" "$a")" ;;
				frame) echo "$q $a $b: $(frame_value "$(console_frame "$input" "$a")" "$b")" ;;
				*) echo "bad query '$q $a $b $c'" && exit 1 ;;
				esac
			done <"$file"
			;;
		qmp) python3 "$TOP/selftests/lib/qmp.py" figures "$file" 2>&1 || rc=$? ;;
		series) series_names "$file" 2>&1 || rc=$? ;;
		review)
			case $file in
			*.md) review_md_check review-ids "$file" 2>&1 || rc=$? ;;
			*) review_check review-ids "$file" 2>&1 || rc=$? ;;
			esac
			;;
		*)
			echo "unknown fixture folder $folder"
			exit 1
			;;
		esac
		echo "rc=$rc"
	)
}

total=0
for dir in "$FIX"/*/; do
	folder=$(basename "$dir")
	rejects=0
	cases=0
	# Paths in the output are relative to the fixture folder.
	cd "$dir" || die "cannot cd to $dir"
	for f in *; do
		case $f in *.expected) continue ;; esac
		case $folder in
		lines) [[ $f == *.query ]] || continue ;;
		review) [[ $f == *.cover || $f == *.md ]] || continue ;;
		esac
		cases=$((cases + 1))
		got=$(run_case "$folder" "$f")
		if [ -n "$update" ]; then
			printf '%s\n' "$got" >"$f.expected"
		fi
		if [ ! -f "$f.expected" ]; then
			result FAIL "harness:$folder:$f" "no ${FIX#"$TOP"/}/$folder/$f.expected (selftests/harness-test.sh -u writes it)"
			continue
		fi
		if grep -qE '^FAIL'$'\t''|^rc=[1-9]|: n/a$|^(result|frame) [^:]*: ?$|^harness' "$f.expected"; then
			rejects=$((rejects + 1))
		fi
		if diff=$(diff "$f.expected" <(printf '%s\n' "$got")); then
			result PASS "harness:$folder:$f" "$(grep -c . "$f.expected") line(s) as expected"
		else
			result FAIL "harness:$folder:$f" "differs from $f.expected: $(grep -m 2 '^[<>]' <<<"$diff" | tr '\n' ' ')"
		fi
	done
	cd "$TOP" || die "cannot cd to $TOP"
	total=$((total + cases))
	if [ "$rejects" -gt 0 ]; then
		result PASS "harness:$folder:rejects" "$rejects of $cases case(s) must be refused"
	else
		result FAIL "harness:$folder:rejects" "no case of ${FIX#"$TOP"/}/$folder is one the parser must refuse"
	fi
done
info "harness self-test: $total case(s)"

if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
else
	[ "$RESULTS_FAILED" -eq 0 ]
fi
