#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a workbench guest in QEMU, run guest tests in it and record their
# results (selftests/lib/results.sh).
#
#   selftests/boot-test.sh [-o NAME] [-t TESTS]
#
#   -o NAME   boot .work/build/NAME (default: guest): its bzImage and the
#             initramfs.cpio.gz of selftests/initramfs.sh
#   -t TESTS  guest tests (selftests/guest/init), comma separated
#             (default: boot,kselftest)
#   -p PREFIX put PREFIX before every result name (e.g. "debug-kernel/")
#
# Results:
#   boot:<name>          each FPW-RESULT line of the guest
#   kselftest: <desc>    each TAP result of the kselftest run; SKIP fails,
#                        the workbench config provides all the tests need
#   kselftest:free_page_walk
#                        only when test_free_page_walk.sh was in the
#                        initramfs but gave no TAP result
#   boot:console-clean   no oops, BUG, WARNING, panic, lockdep, ... on the
#                        console
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

name=guest
tests=boot,kselftest
pfx=
while getopts o:t:p: opt; do
	case $opt in
	o) name=$OPTARG ;;
	t) tests=$OPTARG ;;
	p) pfx=$OPTARG ;;
	*) die "usage: $0 [-o NAME] [-t TESTS] [-p PREFIX]" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || die "usage: $0 [-o NAME] [-t TESTS] [-p PREFIX]"

out=$WORK/build/$name
kernel=$out/arch/x86/boot/bzImage
initrd=$out/initramfs.cpio.gz
[ -f "$kernel" ] || die "no ${kernel#"$TOP"/}: run selftests/build.sh${name:+ -o $name} first"
[ -f "$initrd" ] || die "no ${initrd#"$TOP"/}: run selftests/initramfs.sh${name:+ -o $name} first"

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

info "booting ${kernel#"$TOP"/} (${FPW_ACCEL:-tcg}), console: ${log#"$TOP"/}"
start=$SECONDS
rc=0
qemu_boot -k "$kernel" -i "$initrd" -l "$log" -t "$tests" 2>"$log.qemu" || rc=$?
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
*,boot,*) expected+=(boot-userspace balloon-bound balloon-free-page-hint) ;;
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
case ,$tests, in
*,kselftest,*)
	present=$(sed -n 's/.*FPW-KSELFTEST-PRESENT \(yes\|no\).*/\1/p' <<<"$console" | head -n 1)
	frame=$(awk '/FPW-BEGIN kselftest/ { on = 1; next } /FPW-END kselftest/ { on = 0 } on' <<<"$console")
	ksrc=$(sed -n 's/.*FPW-END kselftest rc=\([0-9]*\).*/\1/p' <<<"$console" | head -n 1)
	ntap=0
	re='^(# )*(not )?ok [0-9]+ '
	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		ntap=$((ntap + 1))
		tap=${line#"${BASH_REMATCH[0]}"}
		desc=${tap%% # *}
		directive=
		[ "$desc" = "$tap" ] || directive=${tap#* # }
		desc=${desc%"${desc##*[![:space:]]}"}
		if [ -n "${BASH_REMATCH[2]}" ]; then
			result FAIL "${pfx}kselftest: $desc" "${directive:-not ok}"
		elif [[ ${directive^^} == SKIP* ]]; then
			why=${directive:4}
			why=${why#"${why%%[![:space:]]*}"}
			result FAIL "${pfx}kselftest: $desc" "skipped${why:+: $why}"
		else
			result PASS "${pfx}kselftest: $desc" "$directive"
		fi
	done <<<"$frame"
	if [ -z "$present" ]; then
		result FAIL "${pfx}kselftest:run" "the guest did not run the kselftest test"
	elif grep -aq 'FPW-BEGIN kselftest' <<<"$console" && [ -z "$ksrc" ]; then
		result FAIL "${pfx}kselftest:run" "run_vmtests.sh did not finish (no FPW-END kselftest)"
	elif [ "$present" = yes ] && [ "$ntap" -eq 0 ]; then
		result FAIL "${pfx}kselftest:free_page_walk" \
			"test_free_page_walk.sh is in the initramfs but run_vmtests.sh gave no TAP result (rc=${ksrc:-?})"
	elif [ "$present" = no ]; then
		info "${pfx}kselftest: no test_free_page_walk.sh in the initramfs yet ($ntap TAP result(s), run_vmtests.sh rc=${ksrc:-?})"
	fi
	;;
esac

# Anything the kernel complained about.
bad='Oops|BUG:|WARNING:|Kernel panic|Call Trace|UBSAN|KASAN|general protection|---\[ end trace|possible circular locking|sleeping function called from invalid context'
first=$(grep -aE -m 1 "$bad" <<<"$console" || true)
if [ -n "$first" ]; then
	result FAIL "${pfx}"boot:console-clean "$(grep -acE "$bad" <<<"$console") bad line(s), first: $first"
else
	result PASS "${pfx}"boot:console-clean "no oops, BUG, WARNING, panic or lockdep report"
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
	result PASS "${pfx}"boot:power-off "guest finished and powered off after $took s (${FPW_ACCEL:-tcg})"
fi

if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
else
	[ "$RESULTS_FAILED" -eq 0 ]
fi
