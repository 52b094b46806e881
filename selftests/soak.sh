#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Soak: one guest under churn migrated N times in a row, from QEMU to new
# QEMU (the pingpong variant of selftests/migration-test.sh, which does the
# migrating and checking), then one table of what the whole run saw.
#
#   selftests/soak.sh [-n N] [-d | -s] [-x] [-o NAME] [-p PREFIX]
#   selftests/soak.sh -R DIR [-n N]
#
#   -n N       migrations (default 20, at least 2): FPW_PINGPONG=N
#   -d         on the QEMU test double (selftests/qemu-double.sh, built if
#              needed; migration-test.sh -d), its hints dropping writes
#   -s         on stock QEMU
#              (default: the test double when it is built, else stock QEMU)
#   -x         demonstration that the soak can fail: migration-test.sh -x,
#              the guest flips one byte before its first check; bad pages
#              must then be reported and the soak fail
#   -o NAME    boot .work/build/NAME (default: guest)
#   -p PREFIX  prefix of the result names (default "soak/"; with -R none);
#              the files are migration-test.sh's,
#              .work/migration/NAME/PREFIX-pingpong/ (the / of PREFIX as -)
#   -R DIR     run nothing: the table and results of the files of an
#              earlier ping-pong run in DIR (e.g. the h1-test's,
#              .work/migration/guest/h1-pingpong); N is then the QEMUs it
#              migrated to (hopK.log, dst.log) unless -n says; -n and -p
#              are its only other options
#   -h         this help
#
# The figures, all from the run's files (selftests/lib/console.sh parsers):
#   migrations completed   migrate-K.txt and migrate.txt with status
#                          completed (qmp.py migrate), of N
#   pages verified         the pages the guest checked, summed over its N
#                          checks: "check K" in place after migration K
#                          (FPW-MIG-CHECK on hopK.log) and the final verify
#                          on the destination (FPW-RESULT migration-verify):
#                          region_pages + frag_kept_pages + grown_pages each
#                          (the churn buffers are checked too, not counted)
#   bad pages              bad_pages + churn_bad_pages + frag_bad_pages +
#                          grow_bad_pages of those checks (a page still bad
#                          at a later check counts again); 0 required, and
#                          every check must have reported
#   stuck rounds           rounds_stalled of the driver's statistics after
#                          the last migration (hint-stats-after: a round
#                          that gave up after 5 s without a used buffer;
#                          cumulative, it is the same guest), plus each
#                          migration whose round was still open after DONE:
#                          done_received below the migrations so far when
#                          the guest checked (it waits up to 10 s for it);
#                          0 required
#   held bytes after DONE  held_bytes at each check and after the last
#                          migration, summed; 0 required (and
#                          released_early_blocks 0)
# Results (selftests/lib/results.sh), PREFIX before each name:
#   summary:migrations  N of N completed
#   summary:pages       every check reported, no bad page
#   summary:stuck       no stuck round
#   summary:held        nothing held after DONE, no early release
# migration-test.sh records its own results for the run as well
# (PREFIXmigration:pingpong:...). The table goes to stdout and, unless -R,
# to .work/soak/PREFIX.txt. The guest gives up 900 s after it is ready
# (fpwmem verify -t): N must fit in that (about 10 s a migration here
# under TCG: the 20 migrations took 210 s).
#
# Run on its own it starts a new result record and ends with the summary;
# run by selftests/run.sh (FPW_IN_RUN set) it adds to the run's record.
# QEMU and guest settings: selftests/lib/qemu.sh (GUEST_MEM, FPW_ACCEL,
# FPW_QEMU_ARGS, ...), as migration-test.sh takes them.
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/console.sh
. "$TOP/selftests/lib/console.sh"


n=
qemu=auto
corrupt=
name=guest
prefix=
report_dir=
while getopts :n:dsxo:p:R:h opt; do
	case $opt in
	n) n=$OPTARG ;;
	d) [ "$qemu" != stock ] || usage_error "-d and -s: one QEMU or the other"; qemu=double ;;
	s) [ "$qemu" != double ] || usage_error "-d and -s: one QEMU or the other"; qemu=stock ;;
	x) corrupt=-x ;;
	o) name=$OPTARG ;;
	p) prefix=$OPTARG ;;
	R) report_dir=$OPTARG ;;
	h) usage_exit 0 ;;
	:) usage_error "-$OPTARG needs an argument" ;;
	*) usage_error "unknown option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1'"
if [ -n "$n" ]; then
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 2 ]; then
		usage_error "-n $n: not a number of migrations, 2 or more"
	fi
fi
case $name in '' | */* | .*) usage_error "-o '$name': not a build name (a folder of .work/build)" ;; esac
case $prefix in *[!A-Za-z0-9_./-]*) usage_error "-p '$prefix': letters, digits and _ . / - only" ;; esac
if [ -n "$report_dir" ]; then
	if [ "$qemu" != auto ] || [ -n "$corrupt" ] || [ "$name" != guest ]; then
		usage_error "-R reports on files only: -n and -p are its only other options"
	fi
	[ -d "$report_dir" ] || usage_error "-R $report_dir: no such folder"
fi

# soak_figures DIR N: key=value lines of the figures of the ping-pong run
# in DIR that was to migrate N times.
soak_figures() {
	local dir=$1 n=$2 k log line st done_r held early
	local completed=0 checks=0 missing=() pages=0 bad=0 stuck=0 held_sum=0 early_sum=0 stuck_at=() held_at=()
	# _check_line LINE: add a check's pages and bad pages.
	_check_line() {
		local kv key val
		checks=$((checks + 1))
		for kv in $1; do
			key=${kv%%=*} val=${kv#*=}
			[[ $val =~ ^[0-9]+$ ]] || continue
			case $key in
			region_pages | frag_kept_pages | grown_pages) pages=$((pages + val)) ;;
			bad_pages | churn_bad_pages | frag_bad_pages | grow_bad_pages) bad=$((bad + val)) ;;
			esac
		done
	}
	for ((k = 1; k <= n; k++)); do
		if [ "$k" -lt "$n" ]; then
			[ "$(mig_kv "$dir/migrate-$k.txt" status)" = completed ] && completed=$((completed + 1))
			log=$dir/hop$k.log
			line=$(tr -d '\r' <"$log" 2>/dev/null | grep -a "^FPW-MIG-CHECK n=$k " | tail -n 1)
			if [ -z "$line" ]; then
				missing+=("$k")
				continue
			fi
			_check_line "$line"
			done_r=$(mig_field "$log" FPW-MIG-CHECK-HINT done_received)
			held=$(mig_field "$log" FPW-MIG-CHECK-HINT held_bytes)
			early=$(mig_field "$log" FPW-MIG-CHECK-HINT released_early_blocks)
		else
			[ "$(mig_kv "$dir/migrate.txt" status)" = completed ] && completed=$((completed + 1))
			log=$dir/dst.log
			line=$(guest_result "$log" migration-verify)
			if [ -z "$line" ]; then
				missing+=("$k")
				continue
			fi
			_check_line "$line"
			st=$(console_frame "$log" hint-stats-after)
			done_r=$(frame_value "$st" done_received)
			held=$(frame_value "$st" held_bytes)
			early=$(frame_value "$st" released_early_blocks)
			local stalled
			stalled=$(frame_value "$st" rounds_stalled)
			if [[ $stalled =~ ^[0-9]+$ ]]; then
				stuck=$((stuck + stalled))
				[ "$stalled" = 0 ] || stuck_at+=("$stalled stalled")
			else
				stuck_at+=("no rounds_stalled after migration $k")
				stuck=$((stuck + 1))
			fi
		fi
		# A DONE not seen: that migration's round was still open.
		if ! [[ $done_r =~ ^[0-9]+$ ]] || [ "$done_r" -lt "$k" ]; then
			stuck=$((stuck + 1))
			stuck_at+=("done_received ${done_r:-n/a} after migration $k")
		fi
		if [[ $held =~ ^[0-9]+$ ]]; then
			held_sum=$((held_sum + held))
			[ "$held" = 0 ] || held_at+=("$held after migration $k")
		else
			held_at+=("n/a after migration $k")
		fi
		if [[ $early =~ ^[0-9]+$ ]]; then
			early_sum=$((early_sum + early))
		else
			held_at+=("released_early_blocks n/a after migration $k")
		fi
	done
	echo "migrations=$n"
	echo "completed=$completed"
	echo "checks=$checks"
	echo "missing_checks=${missing[*]}"
	echo "pages_verified=$pages"
	echo "bad_pages=$bad"
	echo "stuck_rounds=$stuck"
	echo "stuck_where=$(IFS=';'; echo "${stuck_at[*]}")"
	echo "held_bytes=$held_sum"
	echo "held_where=$(IFS=';'; echo "${held_at[*]}")"
	echo "released_early_blocks=$early_sum"
}

# soak_report DIR N TITLE SECONDS: the table on stdout, then the results.
soak_report() {
	local dir=$1 n=$2 title=$3 took=$4 fig p=${prefix}summary
	fig=$(soak_figures "$dir" "$n")
	local completed checks missing pages bad stuck stuck_where held held_where early
	completed=$(mig_kv - completed <<<"$fig")
	checks=$(mig_kv - checks <<<"$fig")
	missing=$(sed -n 's/^missing_checks=//p' <<<"$fig")
	pages=$(mig_kv - pages_verified <<<"$fig")
	bad=$(mig_kv - bad_pages <<<"$fig")
	stuck=$(mig_kv - stuck_rounds <<<"$fig")
	stuck_where=$(sed -n 's/^stuck_where=//p' <<<"$fig")
	held=$(mig_kv - held_bytes <<<"$fig")
	held_where=$(sed -n 's/^held_where=//p' <<<"$fig")
	early=$(mig_kv - released_early_blocks <<<"$fig")
	echo
	echo "$title"
	printf '| %-22s | %-28s | %-11s |\n' figure value required
	printf '| %s | %s | %s |\n' "$(printf -- '-%.0s' {1..22})" "$(printf -- '-%.0s' {1..28})" "$(printf -- '-%.0s' {1..11})"
	printf '| %-22s | %-28s | %-11s |\n' "migrations completed" "$completed of $n" "all"
	printf '| %-22s | %-28s | %-11s |\n' "pages verified" "$pages ($checks of $n checks)" "every check"
	printf '| %-22s | %-28s | %-11s |\n' "bad pages" "$bad" 0
	printf '| %-22s | %-28s | %-11s |\n' "stuck rounds" "$stuck" 0
	printf '| %-22s | %-28s | %-11s |\n' "held bytes after DONE" "$held" 0
	printf '| %-22s | %-28s | %-11s |\n' "released early blocks" "$early" 0
	printf '| %-22s | %-28s | %-11s |\n' "time" "$took" ""
	echo "(files: ${dir#"$TOP"/})"
	echo
	if [ "$completed" = "$n" ]; then
		result PASS "$p:migrations" "$completed of $n migrations completed"
	else
		result FAIL "$p:migrations" "$completed of $n migrations completed (files: ${dir#"$TOP"/})"
	fi
	if [ -n "$missing" ]; then
		result FAIL "$p:pages" "no check after migration(s) $missing; $pages pages verified in $checks check(s), $bad bad"
	elif [ "$bad" != 0 ] || [ "$pages" = 0 ]; then
		result FAIL "$p:pages" "$bad bad page(s) of $pages verified in $checks check(s)"
	else
		result PASS "$p:pages" "$pages pages verified in $checks checks, none bad"
	fi
	if [ "$stuck" = 0 ]; then
		result PASS "$p:stuck" "no round stalled, every DONE seen at the check after its migration"
	else
		result FAIL "$p:stuck" "$stuck stuck round(s): $stuck_where"
	fi
	if [ "$held" = 0 ] && [ "$early" = 0 ] && [ -z "$held_where" ]; then
		result PASS "$p:held" "held_bytes 0 and released_early_blocks 0 after each of the $checks checks"
	else
		result FAIL "$p:held" "held_bytes $held after DONE${held_where:+ ($held_where)}, released_early_blocks $early"
	fi
}

[ -n "${FPW_IN_RUN:-}" ] || results_reset

if [ -n "$report_dir" ]; then
	if [ -z "$n" ]; then
		n=$(find "$report_dir" -maxdepth 1 -name 'hop*.log' | wc -l)
		[ -f "$report_dir/dst.log" ] && n=$((n + 1))
		[ "$n" -ge 2 ] || die "${report_dir}: no ping-pong run (no hopK.log, dst.log): say -n"
	fi
	soak_report "$report_dir" "$n" "Soak figures of ${report_dir%/} ($n migrations)" n/a
	if [ -z "${FPW_IN_RUN:-}" ]; then
		results_summary
	else
		[ "$RESULTS_FAILED" -eq 0 ]
	fi
	exit
fi

n=${n:-20}
prefix=${prefix:-soak/}
dflag=
if [ "$qemu" = auto ]; then
	if [ -x "$WORK/qemu-double/bin/qemu-system-x86_64" ]; then
		qemu=double
	else
		qemu=stock
		info "no QEMU test double built (selftests/qemu-double.sh): on stock QEMU"
	fi
fi
[ "$qemu" = stock ] || dflag=-d
dir=$WORK/migration/$name/${prefix//\//-}pingpong
info "soak: $n migrations of one guest under churn, ${qemu/double/the QEMU test double}${corrupt:+, corrupting on purpose (-x)}"
start=$SECONDS
# migration-test.sh adds its results to this run's record.
FPW_PINGPONG=$n FPW_IN_RUN=1 RESULTS_FILE=$RESULTS_FILE \
	"$TOP/selftests/migration-test.sh" -o "$name" -p "$prefix" -v pingpong $dflag $corrupt
rc=$?
took=$((SECONDS - start))
info "soak: migration-test.sh ended with status $rc after $took s"
RESULTS_FAILED=$((RESULTS_FAILED + (rc != 0)))
mkdir -p "$WORK/soak"
out=$WORK/soak/${prefix//\//-}
out=${out%-}.txt
title="Soak: $n migrations of one guest under churn (pingpong), ${qemu/double/QEMU test double}, ${FPW_ACCEL:-tcg}, -m ${GUEST_MEM:-$(tr -d '\r' <"$dir/src.qemu" 2>/dev/null | grep -a -m1 '^== ' | sed -n 's/.* -m \([^ ]*\) .*/\1/p')}${corrupt:+, -x}, $(date -u '+%Y-%m-%d %H:%M UTC')"
soak_report "$dir" "$n" "$title" "$took s" | tee "$out"
# The results were recorded in the pipeline's subshell: count its failures.
RESULTS_FAILED=$((RESULTS_FAILED + $(grep -c '^FAIL  ' "$out")))
if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
else
	[ "$RESULTS_FAILED" -eq 0 ]
fi
