#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lost-write check for KVM hosts: the soak (selftests/soak.sh, the pingpong
# variant of selftests/migration-test.sh) of a large guest under churn, on
# stock QEMU with KVM, with the window in which a hint can lose a write
# opened wide.
#
#   selftests/kvm-check.sh [-m MIB] [-n N] [-x] [-o NAME] [-p PREFIX]
#
#   -m MIB     guest memory in MiB (default 4096, at least 1024): GUEST_MEM,
#              with mig_mem's 8 KiB more under TCG (selftests/lib/migrate.sh)
#   -n N       migrations in a row (default 3, at least 2)
#   -x         demonstration that the check can fail: the guest flips one
#              byte before its first check (soak.sh -x)
#   -o NAME    boot .work/build/NAME (default: guest)
#   -p PREFIX  prefix of the result names and files (default "kvm/")
#   -h         this help
#
# On a KVM host with manual dirty-log protection QEMU clears the KVM dirty
# log of a hinted range when it processes the hint (KVM_CLEAR_DIRTY_LOG):
# a write the guest made to a hinted page after the last dirty sync is
# then lost on the destination, unless the driver keeps the page off the
# free lists until the device has used the hint, as this series does. By
# default QEMU clears the log lazily in chunks of 2^18 pages (1 GiB), and
# the first page it sends of a chunk clears the whole chunk, so most hints
# land in chunks already cleared and clear nothing. Every QEMU here gets
# "-global migration.x-clear-bitmap-shift=6" (FPW_QEMU_ARGS of
# selftests/lib/qemu.sh): chunks of 64 pages, so nearly every hint clears
# the log of its own pages when it is processed. A guest of several GiB
# gives the rounds more free memory to hint and the churn more time to
# reuse it.
#
# QEMU: $QEMU when set, else the distribution's (never the test double).
# FPW_ACCEL: kvm when KVM works (a QEMU with -accel kvm still runs after
# 5 s), else tcg (said on stderr), unless set; FPW_ACCEL=kvm where KVM
# does not work is an error. Under
# TCG the check runs as well and must pass: QEMU keeps no KVM dirty log
# there, so it tests the script (-m 2048 -n 2: 50 s here); the TCG
# emulation of the lost writes is the QEMU test double's
# (migration-test.sh -d).
#
# Results (selftests/lib/results.sh), PREFIX before each name:
#   kvm-check:qemu   every QEMU of the run (source, each hop, destination)
#                    was started with the -global and the accelerator
#                    (its command line, first line of its .qemu file)
#   summary:...      soak.sh's: migrations, pages (pages verified, bad
#                    pages), stuck rounds, held bytes after DONE
#   migration:pingpong:...  migration-test.sh's
# Files: .work/migration/NAME/PREFIX-pingpong/, .work/soak/PREFIX.txt.
#
# Run on its own it starts a new result record and ends with the summary;
# run by selftests/run.sh (FPW_IN_RUN set) it adds to the run's record.
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/migrate.sh
. "$TOP/selftests/lib/migrate.sh"

CLEAR_ARGS="-global migration.x-clear-bitmap-shift=6"


mib=4096
n=3
corrupt=
name=guest
prefix=kvm/
while getopts :m:n:xo:p:h opt; do
	case $opt in
	m) mib=$OPTARG ;;
	n) n=$OPTARG ;;
	x) corrupt=-x ;;
	o) name=$OPTARG ;;
	p) prefix=$OPTARG ;;
	h) usage_exit 0 ;;
	:) usage_error "-$OPTARG needs an argument" ;;
	*) usage_error "unknown option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1'"
if ! [[ $mib =~ ^[0-9]+$ ]] || [ "$mib" -lt 1024 ]; then
	usage_error "-m $mib: guest memory in MiB, 1024 or more"
fi
if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 2 ]; then
	usage_error "-n $n: not a number of migrations, 2 or more"
fi
case $name in '' | */* | .*) usage_error "-o '$name': not a build name (a folder of .work/build)" ;; esac
case $prefix in *[!A-Za-z0-9_./-]*) usage_error "-p '$prefix': letters, digits and _ . / - only" ;; esac

# kvm_works: a QEMU with -accel kvm, no disk and no kernel, still runs
# (its firmware looking for a boot device) after 5 s; KVM_WHY says why
# not. /dev/kvm opening is not enough: a host whose KVM cannot set up a
# vCPU (seen nested: an assertion in kvm_buf_set_msrs) aborts QEMU.
KVM_WHY=
kvm_works() {
	local out rc=0
	if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		KVM_WHY="/dev/kvm cannot be opened for reading and writing"
		return 1
	fi
	out=$(timeout 5 "${QEMU:-qemu-system-x86_64}" -accel kvm -cpu host -machine pc -m 64 -nodefaults \
		-display none -monitor none -serial none </dev/null 2>&1) || rc=$?
	[ "$rc" -eq 124 ] && return 0
	KVM_WHY="a QEMU with -accel kvm ended with status $rc: $(tail -n 1 <<<"$out")"
	return 1
}
if [ -z "${FPW_ACCEL:-}" ]; then
	if kvm_works; then
		FPW_ACCEL=kvm
	else
		FPW_ACCEL=tcg
		info "KVM does not work here ($KVM_WHY): under TCG, which keeps no KVM dirty log (a test of this script)"
	fi
elif [ "$FPW_ACCEL" = kvm ] && ! kvm_works; then
	die "FPW_ACCEL=kvm but KVM does not work here: $KVM_WHY"
fi
export FPW_ACCEL
GUEST_MEM=$(mig_mem "$mib")
FPW_QEMU_ARGS="${FPW_QEMU_ARGS:+$FPW_QEMU_ARGS }$CLEAR_ARGS"
export GUEST_MEM FPW_QEMU_ARGS

[ -n "${FPW_IN_RUN:-}" ] || results_reset
info "kvm-check: $FPW_ACCEL, -m $GUEST_MEM, $n migrations, $CLEAR_ARGS"
start=$SECONDS
FPW_IN_RUN=1 RESULTS_FILE=$RESULTS_FILE "$TOP/selftests/soak.sh" -s -n "$n" -o "$name" -p "$prefix" $corrupt
rc=$?
RESULTS_FAILED=$((RESULTS_FAILED + (rc != 0)))

# Every QEMU the run started got the arguments and the accelerator.
dir=$WORK/migration/$name/${prefix//\//-}pingpong
qemus=0 missing=()
for f in "$dir"/*.qemu; do
	[ -f "$f" ] || continue
	qemus=$((qemus + 1))
	line=$(grep -a -m1 '^== ' "$f")
	[[ " $line " == *" $CLEAR_ARGS "* ]] && [[ " $line " == *" -accel $FPW_ACCEL "* ]] ||
		missing+=("${f##*/}")
done
if [ "$qemus" -lt $((n + 1)) ]; then
	result FAIL "${prefix}kvm-check:qemu" "$qemus QEMU command line(s) in ${dir#"$TOP"/}, not $((n + 1)) (source, hops, destination)"
elif [ ${#missing[@]} -gt 0 ]; then
	result FAIL "${prefix}kvm-check:qemu" "not started with '$CLEAR_ARGS' and -accel $FPW_ACCEL: ${missing[*]}"
else
	result PASS "${prefix}kvm-check:qemu" "all $qemus QEMUs with '$CLEAR_ARGS', -accel $FPW_ACCEL, -m $GUEST_MEM"
fi
info "kvm-check: $((SECONDS - start)) s"

if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
else
	[ "$RESULTS_FAILED" -eq 0 ]
fi
