#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command of the workbench: apply the series, build the guest
# kernel, boot it and run every test.
#
#   selftests/run.sh [-h]
#
# Steps, in order (each one's output is also kept in .work/logs/run-STEP.log):
#   harness-test    selftests/harness-test.sh: the harness's own parsers on
#                   their fixtures (seconds, no kernel)
#   apply           ./apply.sh (the series onto .work/linux)
#   gates           selftests/gates.sh
#   posting         selftests/posting-test.sh: scripts/prepare-posting.sh
#                   with a test identity, and checkpatch, git am, b4 am,
#                   identity, subjects, base-commit and review IDs of the
#                   mails it writes
#   build           selftests/build.sh
#   initramfs       selftests/initramfs.sh
#   boot-test       selftests/boot-test.sh
#   migration-test  selftests/migration-test.sh
#   qemu-double     selftests/qemu-double.sh: Debian's QEMU 7.2 with a
#                   hint that drops writes and a free page virtqueue that
#                   can stall (cached under .work/)
#   h1-test         selftests/migration-test.sh -d -p h1/ -v
#                   churn,stall,pingpong,ringleft: the churn migration on
#                   that QEMU, where nothing may be lost, a migration whose
#                   device stops using hint buffers for good, 3 migrations
#                   in a row of one guest (FPW_PINGPONG), and a source
#                   whose device stops taking buffers, paused mid-round
#                   with them on its ring, and a destination that takes
#                   them
#   soak-summary    selftests/soak.sh -R .work/migration/guest/h1-pingpong -p h1/:
#                   the soak's table (migrations, pages verified, bad pages,
#                   stuck rounds, held bytes after DONE) of h1-test's
#                   ping-pong, from its files: the soak's short form, not
#                   run twice
#   soak            only with FPW_SOAK=N: selftests/soak.sh -d -n N
#   faults-test     selftests/migration-test.sh -p faults/ -v
#                   hotremove,reporting-churn,ringfull: faults during a
#                   hinting round: memory hot-remove of a pc-dimm (offlined
#                   in the guest, device_del on the destination: QEMU 7.2
#                   refuses it during a migration), free page reporting
#                   with churn, the next cmd id while single-range buffers
#                   wait for a slow device
#   module-build, module-initramfs, module-reload
#                   selftests/build.sh -o module module (the balloon driver
#                   as a module, CONFIG_VIRTIO_BALLOON=m), its initramfs,
#                   and selftests/migration-test.sh -o module -p module/ -v
#                   reload: rmmod and modprobe of the driver during a round
#   bench-smoke     CI=true selftests/bench.sh: the benchmark's short form
#                   (idle-dirty, this series and no hinting, one
#                   repetition; results in .work/bench/ci/latest.md): it
#                   measures and reports, and fails only if it cannot
#   debug-build     selftests/build.sh -o debug debug: the guest kernel with
#                   KASAN, DEBUG_PAGEALLOC, DEBUG_LIST, PAGE_OWNER,
#                   PROVE_LOCKING, DEBUG_ATOMIC_SLEEP and DEBUG_VM
#   debug-initramfs selftests/initramfs.sh -o debug
#   debug-boot      the boot test and kselftest on that kernel (results
#                   named debug-kernel/...)
#   debug-freeze    selftests/migration-test.sh -o debug -d -p debug-kernel/
#                   -v freeze: on that kernel (which has SUSPEND and
#                   PM_DEBUG) and the stalling test double, the guest
#                   freezes its tasks while its driver holds blocks
#   debug-migration selftests/migration-test.sh -o debug -p debug-kernel/
#                   -v default,churn,s2idle: the migration test on that
#                   kernel, and a real suspend to idle during a round;
#                   FPW_DEBUG_KERNEL=0 skips these five
#   ARCH-build, ARCH-initramfs, ARCH-boot
#                   for each architecture of selftests/lib/arch.sh but
#                   x86_64 (arm64, i386): selftests/build.sh -a ARCH,
#                   selftests/initramfs.sh -a ARCH and the boot test and
#                   kselftest, results named ARCH/...; FPW_ARCHES="arm64"
#                   chooses among them, FPW_ARCHES= skips them
# qemu-double, debug-build, ARCH-build and module-build are built ahead, in the
# background, from the end of apply until before boot-test (see
# ahead_start below; FPW_AHEAD=0 builds each in its place); their steps
# keep their place in the output.
# A step that fails is a FAIL result with the reason, and the steps that
# need it are SKIP results that name it (the FAIL already makes the run
# fail); so are the steps FPW_DEBUG_KERNEL=0 or FPW_ARCHES leave out.
# harness-test, gates, posting, boot-test and the migration tests record
# their own results (selftests/lib/results.sh).
#
# The last line of the output is "N passed, N failed"; the exit status is
# non-zero when anything failed. QEMU settings: see selftests/lib/qemu.sh.
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/arch.sh
. "$TOP/selftests/lib/arch.sh"
help_only "$@"
cd "$TOP" || die "cannot cd to $TOP"
arches=${FPW_ARCHES-$(arch_names | grep -vx x86_64)}
for a in $arches; do
	if [ "$a" = x86_64 ] || ! arch_load "$a" 2>/dev/null; then
		die "FPW_ARCHES: '$a' is not one of: $(arch_names | grep -vx x86_64 | tr '\n' ' ')"
	fi
done

# flock: apt_locked (selftests/lib/common.sh); pgrep: kill_tree.
need_pkgs flock:util-linux pgrep:procps
export FPW_IN_RUN=1
results_reset
mkdir -p "$WORK/logs"

declare -A state=() # step -> ok | failed | skipped
times=()

# step NAME RECORDS NEEDS CMD...: run CMD as step NAME unless a step named
# in NEEDS (space separated) did not succeed. RECORDS is yes when CMD
# records its own results; otherwise the step itself is one result.
step() {
	local name=$1 records=$2 needs=$3 dep rc start took log reason fails how=
	shift 3
	for dep in $needs; do
		if [ "${state[$dep]:-}" != ok ]; then
			state[$name]=skipped
			result SKIP "$name" "step $dep ${state[$dep]:-did not run}"
			times+=("$(printf '%-16s skipped' "$name")")
			return
		fi
	done
	log=$WORK/logs/run-$name.log
	fails=$(results_count FAIL)
	if [ -n "${ahead_cmd[$name]:-}" ]; then
		# Built ahead (see ahead_start): wait for it, then show its output.
		[ "${ahead_cmd[$name]}" = "$*" ] || die "step $name: started ahead as '${ahead_cmd[$name]}', not '$*'"
		info "step $name: $* (started ahead)"
		ahead_wait_for "$name"
		cat "$log"
		rc=$(cat "$AHEAD/$name.rc")
		start=$SECONDS
		took=$(cat "$AHEAD/$name.took")
		how=", in the background"
	else
		info "step $name: $*"
		start=$SECONDS
		"$@" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
		took=$((SECONDS - start))
	fi
	times+=("$(printf '%-16s %5d s  rc=%d%s' "$name" "$took" "$rc" "$how")")
	if [ "$rc" -eq 0 ]; then
		state[$name]=ok
		[ "$records" = yes ] || result PASS "$name" "$took s$how"
		info "step $name: done in $took s$how"
		return
	fi
	state[$name]=failed
	info "step $name: failed (exit status $rc) after $took s"
	# A step that records results and recorded a failure explained itself.
	[ "$records" = yes ] && [ "$(results_count FAIL)" -gt "$fails" ] && return
	reason=$(grep -aE 'error|Error|ERROR|FAIL|failed' "$log" | tail -n 1)
	[ -n "$reason" ] || reason=$(grep -av '^[[:space:]]*$' "$log" | tail -n 1)
	result FAIL "$name" "exit status $rc after $took s: ${reason:-no output} (log: ${log#"$TOP"/})"
}

# Builds that no test needs before the boot test run ahead, in the
# background, one after the other, while the gates (which use about 1.6 of
# the 2 cores) and the x86_64 guest's build run; the cores the gates leave
# idle (their links, modpost, checkpatch) go to them. Their steps keep
# their place in the output: each waits for its build and shows its log.
# No guest runs meanwhile (the kselftest and the migration tests have time
# limits): every build ahead has ended before the boot test starts
# (ahead_wait_all). FPW_AHEAD=0 runs them in their place instead. apt-get is serialized
# (selftests/lib/common.sh), so packages may be installed on both sides.
#
# ahead_start NEEDS "NAME CMD..."...: run each CMD, as step NAME, in order,
# in one background job, if every step of NEEDS succeeded; the step's
# output goes to its log, its exit status and time to $AHEAD.
AHEAD=$WORK/logs/ahead
declare -A ahead_cmd=()
ahead_pid=
ahead_start() {
	local needs=$1 dep spec name
	shift
	for dep in $needs; do
		[ "${state[$dep]:-}" = ok ] || return 0
	done
	rm -rf "$AHEAD"
	mkdir -p "$AHEAD"
	for spec in "$@"; do
		name=${spec%% *}
		ahead_cmd[$name]=${spec#* }
		info "step $name: started ahead, in the background: ${ahead_cmd[$name]}"
	done
	(
		for spec in "$@"; do
			name=${spec%% *}
			s=$SECONDS
			# shellcheck disable=SC2086 # the command's words
			${spec#* } >"$WORK/logs/run-$name.log" 2>&1 </dev/null
			echo $? >"$AHEAD/$name.rc.tmp"
			echo $((SECONDS - s)) >"$AHEAD/$name.took"
			mv "$AHEAD/$name.rc.tmp" "$AHEAD/$name.rc"
		done
	) &
	ahead_pid=$!
}

# ahead_wait_for NAME: until the build ahead of step NAME has ended.
ahead_wait_for() {
	while [ ! -e "$AHEAD/$1.rc" ]; do
		kill -0 "$ahead_pid" 2>/dev/null || {
			echo 1 >"$AHEAD/$1.rc"
			echo 0 >"$AHEAD/$1.took"
			echo "the builds ahead ended before step $1 finished" >>"$WORK/logs/run-$1.log"
			break
		}
		sleep 2
	done
}

# ahead_wait_all: until every build ahead has ended.
ahead_wait_all() {
	[ -z "$ahead_pid" ] || wait "$ahead_pid" 2>/dev/null || true
	ahead_pid=
}

# kill_tree PID: PID and every process below it.
kill_tree() {
	local child
	for child in $(pgrep -P "$1" 2>/dev/null); do
		kill_tree "$child"
	done
	kill "$1" 2>/dev/null || true
}
# A run that ends early (die, a signal) leaves no build behind it.
trap '[ -z "$ahead_pid" ] || kill_tree "$ahead_pid"' EXIT

# left_out NAME WHY: a step this run does not take, as a SKIP result.
left_out() {
	state[$1]=skipped
	result SKIP "$1" "$2"
	times+=("$(printf '%-16s skipped' "$1")")
}

total=$SECONDS
step harness-test yes "" selftests/harness-test.sh
step apply no "" ./apply.sh
ahead=("qemu-double selftests/qemu-double.sh")
[ "${FPW_DEBUG_KERNEL:-1}" = 0 ] || ahead+=("debug-build selftests/build.sh -o debug debug")
for a in $arches; do
	ahead+=("$a-build selftests/build.sh -a $a")
done
# Last: by then the gates' balloon-m row has compiled its objects.
ahead+=("module-build selftests/build.sh -o module module")
[ "${FPW_AHEAD:-1}" = 0 ] || ahead_start "apply" "${ahead[@]}"
step gates yes "apply" selftests/gates.sh
step posting yes "apply" selftests/posting-test.sh
step build no "apply" selftests/build.sh
step initramfs no "build" selftests/initramfs.sh
ahead_wait_all
step boot-test yes "initramfs" selftests/boot-test.sh
step migration-test yes "initramfs" selftests/migration-test.sh
# H1 made visible: the churn variant on the QEMU test double, whose hints
# drop writes as KVM_CLEAR_DIRTY_LOG does; this series must lose nothing.
# Then, on the double too: a device that stalls (stall), ping-pong
# migrations, and a source whose device stalls, paused with buffers left
# on its ring (ringleft).
step qemu-double no "" selftests/qemu-double.sh
step h1-test yes "initramfs qemu-double" selftests/migration-test.sh -d -p h1/ -v churn,stall,pingpong,ringleft
# The soak's short form is h1-test's pingpong: its table, from its files.
step soak-summary yes "h1-test" selftests/soak.sh -R .work/migration/guest/h1-pingpong -p h1/
[ -z "${FPW_SOAK:-}" ] || step soak yes "initramfs qemu-double" selftests/soak.sh -d -n "$FPW_SOAK"
step faults-test yes "initramfs" selftests/migration-test.sh -p faults/ -v hotremove,reporting-churn,ringfull
step module-build no "apply" selftests/build.sh -o module module
step module-initramfs no "module-build" selftests/initramfs.sh -o module
step module-reload yes "module-initramfs" selftests/migration-test.sh -o module -p module/ -v reload
step bench-smoke no "initramfs" env CI=true selftests/bench.sh
if [ "${FPW_DEBUG_KERNEL:-1}" != 0 ]; then
	step debug-build no "apply" selftests/build.sh -o debug debug
	step debug-initramfs no "debug-build" selftests/initramfs.sh -o debug
	step debug-boot yes "debug-initramfs" selftests/boot-test.sh -o debug -p debug-kernel/
	step debug-freeze yes "debug-initramfs qemu-double" selftests/migration-test.sh -o debug -d -p debug-kernel/ -v freeze
	step debug-migration yes "debug-initramfs" selftests/migration-test.sh -o debug -p debug-kernel/ -v default,churn,s2idle
else
	for s in debug-build debug-initramfs debug-boot debug-freeze debug-migration; do
		left_out "$s" "FPW_DEBUG_KERNEL=0"
	done
fi
for a in $(arch_names | grep -vx x86_64); do
	if [[ " ${arches//$'\n'/ } " != *" $a "* ]]; then
		left_out "$a-boot" "not in FPW_ARCHES=${FPW_ARCHES-}"
		continue
	fi
	step "$a-build" no "apply" selftests/build.sh -a "$a"
	step "$a-initramfs" no "$a-build" selftests/initramfs.sh -a "$a"
	step "$a-boot" yes "$a-initramfs" selftests/boot-test.sh -a "$a" -p "$a/"
done

echo
echo "Step times:"
printf '  %s\n' "${times[@]}"
printf '  %-16s %5d s\n' total $((SECONDS - total))
results_summary
