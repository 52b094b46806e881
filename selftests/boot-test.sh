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
#                        (selftests/lib/arch.sh) names: they cannot run
#                        there, and are SKIP results
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
# shellcheck source=selftests/lib/console.sh
. "$TOP/selftests/lib/console.sh"

tests=boot,kselftest
pfx=
opt_t() { tests=$1; }
opt_p() { pfx=$1; }
arch_getopts t:p: "$@"
[ ${#ARGS[@]} -eq 0 ] || usage_error "unexpected argument '${ARGS[0]}'"
arch=$ARCH_NAME
name=$BUILD_NAME
out=$BUILD_OUT
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

# What the guest reported (selftests/lib/console.sh parses the console).
# BOOT_RESULTS: the results the boot test of selftests/guest/init reports.
guest_results "${pfx}boot:" "$log"

# A guest that never got to report must not look like a pass.
case ,$tests, in
*,boot,*) guest_expect "${pfx}boot:" "$log" "${BOOT_RESULTS[@]}" ;;
esac

case ,$tests, in
*,kselftest,*) kselftest_results "${pfx}kselftest" "$ARCH_KSKIP" "$log" ;;
esac

# Anything the kernel complained about (KERNEL_BAD_RE).
bad=$(console_bad "$log")
if [ "${bad%% *}" != 0 ]; then
	result FAIL "${pfx}"boot:console-clean "${bad%% *} bad line(s), ${bad#* }"
else
	result PASS "${pfx}"boot:console-clean "no oops, BUG, WARNING, panic, lockdep, poison or OOM report"
fi

# The guest must have finished and powered off by itself.
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	result FAIL "${pfx}"boot:power-off "QEMU timed out after $took s (limit ${FPW_BOOT_TIMEOUT:-600} s)"
elif ! grep -aqs 'FPW: done' "$log"; then
	why="QEMU exit status $rc after $took s"
	[ -s "$log" ] || why+=": $(grep -v '^== ' "$log.qemu" | tail -n 3 | tr '\n' ' ')"
	panic=$(tr -d '\r' <"$log" | grep -a -m 1 'Kernel panic' || true)
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
