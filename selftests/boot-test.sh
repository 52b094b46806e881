#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a workbench guest in QEMU, run guest tests in it and record their
# results (selftests/lib/results.sh).
#
#   selftests/boot-test.sh [-a ARCH] [-o NAME] [-t TESTS] [-p PREFIX]
#
#   -a ARCH   guest architecture (selftests/lib/arch.sh; default: the build
#             folder's, x86_64 without -o): QEMU, machine, CPU, console,
#             memory, kernel image
#   -o NAME   boot .work/build/NAME (default: guest for x86_64, else the
#             architecture's name): its kernel image and the
#             initramfs.cpio.gz of selftests/initramfs.sh
#   -t TESTS  guest tests (selftests/guest/init), comma separated
#             (default: boot,kselftest)
#   -p PREFIX put PREFIX before every result name (e.g. "debug-kernel/")
#   -h        this help
#
# An architecture with a dimm= in selftests/lib/arch.sh (x86_64) boots with
# that cold-plugged pc-dimm, onlined to ZONE_MOVABLE, for the kselftest's
# memory hot-remove checks.
#
# Results:
#   boot:<name>          each FPW-RESULT line of the guest
#   kselftest: <desc>    each TAP result of the kselftest run; SKIP fails,
#                        the workbench config provides all the tests need,
#                        except for the subtests the architecture's kskip=
#                        (selftests/lib/arch.sh) names: they cannot run there
#   kselftest:tap        the TAP stream is whole: every plan (1..N, at each
#                        nesting level) matches the number of results it
#                        covers; fails on an empty stream or a "Bail out!"
#   kselftest:free_page_walk
#                        only when test_free_page_walk.sh is missing from
#                        the initramfs, or gave no TAP result
#   kselftest:run        only when run_vmtests.sh did not run or finish
#   boot:console-clean   no oops, BUG, WARNING, panic, lockdep, OOM kill, ...
#                        on the console
#   boot:power-off       the guest finished (FPW: done) and powered off by
#                        itself within the time limit
# The console log is kept in .work/logs/ (boot-NAME.log is the latest).
#
# Run on its own it starts a new result record and ends with the summary;
# run by selftests/run.sh (FPW_IN_RUN set) it adds to the run's record.
# QEMU settings: see selftests/lib/qemu.sh (FPW_ACCEL=kvm, GUEST_MEM, ...).
set -eu -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/qemu.sh
. "$TOP/selftests/lib/qemu.sh"

arch=
name=
tests=boot,kselftest
pfx=
while getopts a:o:t:p:h opt; do
	case $opt in
	a) arch=$OPTARG ;;
	o) name=$OPTARG ;;
	t) tests=$OPTARG ;;
	p) pfx=$OPTARG ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_exit 2
arch_resolve "$arch" "$name" || exit 2
arch=$ARCH_NAME
name=$BUILD_NAME

out=$WORK/build/$name
kernel=$out/$ARCH_IMAGE
initrd=$out/initramfs.cpio.gz
[ -f "$kernel" ] || die "no ${kernel#"$TOP"/}: run selftests/build.sh -a $arch -o $name first"
[ -f "$initrd" ] || die "no ${initrd#"$TOP"/}: run selftests/initramfs.sh -a $arch -o $name first"
dimm=()
[ -z "$ARCH_DIMM" ] || dimm=(-d "$ARCH_DIMM")

[ -n "${FPW_IN_RUN:-}" ] || results_reset

logs=$WORK/logs
mkdir -p "$logs"
log=$logs/boot-$name-$(date +%Y%m%d-%H%M%S)-$$.log
ln -sfn "${log##*/}" "$logs/boot-$name.log"
# Keep the 20 latest console logs of this build (the names sort by time).
shopt -s nullglob
old=("$logs"/boot-"$name"-2*.log)
shopt -u nullglob
for ((i = 0; i < ${#old[@]} - 19; i++)); do
	rm -f "${old[i]}" "${old[i]}.qemu"
done

accel=$(arch_accel 2>/dev/null)
info "booting ${kernel#"$TOP"/} ($arch, $accel), console: ${log#"$TOP"/}"
start=$SECONDS
rc=0
qemu_boot -a "$arch" "${dimm[@]}" -k "$kernel" -i "$initrd" -l "$log" -t "$tests" 2>"$log.qemu" || rc=$?
took=$((SECONDS - start))
info "QEMU exited with status $rc after $took s"

# The console, without the carriage returns of the serial line.
console=$(tr -d '\r' <"$log")

# Results of the guest tests.
declare -A seen=()
while IFS= read -r line; do
	line=${line#*FPW-RESULT }
	read -r rname rstatus rdetail <<<"$line"
	rname=${rname:-unnamed}
	case $rstatus in
	PASS | FAIL) ;;
	*)
		rdetail="unparsable result line: $line"
		rstatus=FAIL
		;;
	esac
	seen[$rname]=1
	result "$rstatus" "${pfx}boot:$rname" "$rdetail"
done < <(grep -a 'FPW-RESULT ' <<<"$console" || true)

# A guest that never got to report must not look like a pass.
expected=()
case ,$tests, in
*,boot,*) expected+=(boot-userspace balloon-bound balloon-free-page-hint balloon-params) ;;
esac
for e in ${expected[@]+"${expected[@]}"}; do
	[ -n "${seen[$e]:-}" ] && continue
	if grep -aq 'FPW: userspace reached' <<<"$console"; then
		result FAIL "${pfx}boot:$e" "the guest reported no result"
	else
		result FAIL "${pfx}boot:$e" "the guest never reached userspace"
	fi
done

# kselftest: TAP lines inside the FPW-BEGIN/FPW-END kselftest frame.
# tap_close LEVEL: the end of a block of results at nesting LEVEL (the
# number of "# " before them): its plan must match its results.
tap_close() {
	local l=$1
	if [ -n "${tplan[l]:-}" ] && [ "${tplan[l]}" != "${tcount[l]:-0}" ]; then
		tap_bad+=("plan 1..${tplan[l]} with ${tcount[l]:-0} result(s) at level $l")
	elif [ -z "${tplan[l]:-}" ] && [ "${tcount[l]:-0}" -gt 0 ]; then
		tap_bad+=("${tcount[l]} result(s) without a plan at level $l")
	fi
	[ -z "${tplan[l]:-}" ] || tap_plans+=("1..${tplan[l]}")
	tplan[l]=
	tcount[l]=0
}
# tap_close_below LEVEL: close every block nested deeper than LEVEL.
tap_close_below() {
	local l
	for ((l = tmax; l > $1; l--)); do
		tap_close "$l"
	done
}
case ,$tests, in
*,kselftest,*)
	present=$(sed -n 's/.*FPW-KSELFTEST-PRESENT \(yes\|no\).*/\1/p' <<<"$console" | head -n 1)
	frame=$(awk '/FPW-BEGIN kselftest/ { on = 1; next } /FPW-END kselftest/ { on = 0 } on' <<<"$console")
	ksrc=$(sed -n 's/.*FPW-END kselftest rc=\([0-9]*\).*/\1/p' <<<"$console" | head -n 1)
	ntap=0
	tcount=()
	tplan=()
	tmax=0
	tap_bad=()
	tap_plans=()
	re='^((# )*)(not )?ok [0-9]+ '
	re_plan='^((# )*)1\.\.([0-9]+)[[:space:]]*($|#)'
	re_bail='^((# )*)Bail out!'
	while IFS= read -r line; do
		if [[ $line =~ $re_plan ]]; then
			level=$((${#BASH_REMATCH[1]} / 2))
			[ "$level" -le "$tmax" ] || tmax=$level
			tap_close_below "$level"
			if [ "${tcount[level]:-0}" -gt 0 ]; then
				# A plan after its results ends their block.
				tplan[level]=${BASH_REMATCH[3]}
				tap_close "$level"
			elif [ -n "${tplan[level]:-}" ]; then
				tap_close "$level"
				tplan[level]=${BASH_REMATCH[3]}
			else
				tplan[level]=${BASH_REMATCH[3]}
			fi
			continue
		fi
		if [[ $line =~ $re_bail ]]; then
			tap_bad+=("${line#"${BASH_REMATCH[1]}"}")
			continue
		fi
		[[ $line =~ $re ]] || continue
		ntap=$((ntap + 1))
		level=$((${#BASH_REMATCH[1]} / 2))
		[ "$level" -le "$tmax" ] || tmax=$level
		tap_close_below "$level"
		tcount[level]=$((${tcount[level]:-0} + 1))
		tap=${line#"${BASH_REMATCH[0]}"}
		desc=${tap%% # *}
		directive=
		[ "$desc" = "$tap" ] || directive=${tap#* # }
		desc=${desc%"${desc##*[![:space:]]}"}
		if [ -n "${BASH_REMATCH[3]}" ]; then
			result FAIL "${pfx}kselftest: $desc" "${directive:-not ok}"
		elif [[ ${directive^^} == SKIP* ]]; then
			why=${directive:4}
			why=${why#"${why%%[![:space:]]*}"}
			if [[ " $ARCH_KSKIP " == *" $desc "* ]]; then
				result PASS "${pfx}kselftest: $desc" "skipped, which $arch expects (kskip in selftests/lib/arch.sh)${why:+: $why}"
			else
				result FAIL "${pfx}kselftest: $desc" "skipped${why:+: $why}"
			fi
		else
			result PASS "${pfx}kselftest: $desc" "$directive"
		fi
	done <<<"$frame"
	tap_close_below -1
	if [ -z "$present" ]; then
		result FAIL "${pfx}kselftest:run" "the guest did not run the kselftest test"
	elif [ "$present" = no ]; then
		result FAIL "${pfx}kselftest:free_page_walk" \
			"no test_free_page_walk.sh in the initramfs ($ntap TAP result(s), run_vmtests.sh rc=${ksrc:-?})"
	elif grep -aq 'FPW-BEGIN kselftest' <<<"$console" && [ -z "$ksrc" ]; then
		result FAIL "${pfx}kselftest:run" "run_vmtests.sh did not finish (no FPW-END kselftest)"
	elif [ "$ntap" -eq 0 ]; then
		result FAIL "${pfx}kselftest:free_page_walk" \
			"test_free_page_walk.sh is in the initramfs but run_vmtests.sh gave no TAP result (rc=${ksrc:-?})"
	fi
	if [ -n "$present" ]; then
		if [ "$ntap" -eq 0 ]; then
			result FAIL "${pfx}kselftest:tap" "empty TAP stream"
		elif [ ${#tap_bad[@]} -gt 0 ]; then
			result FAIL "${pfx}kselftest:tap" "$(IFS=';' && echo "${tap_bad[*]}")"
		else
			result PASS "${pfx}kselftest:tap" "$ntap result(s), plans ${tap_plans[*]} match"
		fi
	fi
	;;
esac

# Anything the kernel complained about (KERNEL_BAD_RE, lib/common.sh).
bad=$KERNEL_BAD_RE
first=$(grep -aE -m 1 "$bad" <<<"$console" || true)
if [ -n "$first" ]; then
	result FAIL "${pfx}"boot:console-clean "$(grep -acE "$bad" <<<"$console") bad line(s), first: $first"
else
	result PASS "${pfx}"boot:console-clean "no oops, BUG, WARNING, panic, lockdep, poison or OOM report"
fi

# The guest must have finished and powered off by itself.
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	result FAIL "${pfx}"boot:power-off "QEMU timed out after $took s (limit ${FPW_BOOT_TIMEOUT:-600} s)"
elif ! grep -aq 'FPW: done' <<<"$console"; then
	why="QEMU exit status $rc after $took s"
	[ -s "$log" ] || why+=": $(grep -v '^== ' "$log.qemu" | tail -n 3 | tr '\n' ' ')"
	panic=$(grep -a -m 1 'Kernel panic' <<<"$console" || true)
	result FAIL "${pfx}"boot:power-off "guest did not finish (no 'FPW: done'); $why${panic:+; ${panic#*\] }}"
elif [ "$rc" -ne 0 ]; then
	result FAIL "${pfx}"boot:power-off "QEMU exit status $rc after $took s"
else
	result PASS "${pfx}"boot:power-off "guest finished and powered off after $took s ($arch, $accel)"
fi

if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
else
	[ "$RESULTS_FAILED" -eq 0 ]
fi
