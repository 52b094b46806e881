# SPDX-License-Identifier: GPL-2.0
# Boot a workbench guest in QEMU. Source it (after common.sh).
#
#   qemu_boot -k KERNEL -i INITRD -l LOG [-a ARCH] [-d MIB] [-t TESTS]
#             [-c CMDLINE] [-T SECONDS] [-- QEMU_ARG...]
#
#   -k KERNEL   the kernel image (bzImage, arm64 Image)
#   -i INITRD   the initramfs (selftests/initramfs.sh)
#   -l LOG      file the guest's serial console is written to (truncated)
#   -a ARCH     guest architecture, a name of selftests/lib/arch.sh (x86_64):
#               QEMU binary, machine, CPU, console, memory, accelerators
#   -d MIB      a cold-plugged pc-dimm of MIB MiB (-m SIZE,slots=2,maxmem=
#               SIZE+2*MIB, one slot left free), onlined to ZONE_MOVABLE
#               (memhp_default_state=online_movable)
#   -t TESTS    comma separated guest tests, passed as fpw.tests=TESTS
#   -c CMDLINE  more kernel command line (after $FPW_EXTRA_CMDLINE)
#   -T SECONDS  hard time limit (default $FPW_BOOT_TIMEOUT, else 600)
#   QEMU_ARG    anything more for QEMU, e.g. -qmp unix:PATH,server=on,wait=off
#               or -incoming defer for a migration test
#
# The guest is named fpw-LOGNAME (LOG's file name without .log) with
# debug-threads=on, so that QEMU's threads carry their names (the CPU time
# per thread class of selftests/lib/qmp.py migrate --cpu).
#
# Runs QEMU in the foreground and returns its exit status: 0 when the guest
# powered off (reboot -f with -no-reboot, or a panic with panic=-1), 124 when
# the time limit killed it, 2 for bad arguments. Start it in the background
# (&) to run several.
#
# Environment (each overrides the architecture's value of selftests/lib/arch.sh):
#   GUEST_MEM          guest memory, QEMU's -m (MiB, or with a k/M/G suffix)
#   GUEST_CPUS         guest CPUs (2)
#   FPW_ACCEL          tcg (default) or kvm; an architecture without it (arm64,
#                      i386: tcg only) takes its default
#   FPW_CPU            QEMU CPU model (with kvm: host)
#   FPW_MACHINE        QEMU machine type
#   FPW_BOOT_TIMEOUT   default time limit in seconds (600)
#   FPW_EXTRA_CMDLINE  more kernel command line for every boot
#   FPW_BALLOON_OPTS   options of the virtio-balloon-pci device
#                      (free-page-hint=on,iothread=io0)
#   FPW_QEMU_ARGS      more QEMU arguments for every QEMU the harness starts
#                      (the boot tests, both QEMUs of a migration and every
#                      hop of a ping-pong, the benchmark), split at white
#                      space (no quoting), after the harness's own and
#                      before the caller's QEMU_ARGs, e.g.
#                      "-global migration.x-clear-bitmap-shift=6"
#                      (selftests/kvm-check.sh)
#   QEMU               the QEMU binary (qemu_double_use sets it to the
#                      test double)
#   FPW_QEMU_HINT_DROPS_WRITES
#                      not read here: QEMU inherits it. With QEMU set to the
#                      test double of selftests/qemu-double.sh, 1 makes free
#                      page hints drop the guest writes made since the last
#                      dirty sync, as KVM_CLEAR_DIRTY_LOG does
# shellcheck shell=bash
# shellcheck source=selftests/lib/arch.sh
. "$TOP/selftests/lib/arch.sh"

FPW_BALLOON_OPTS_DEFAULT="free-page-hint=on,iothread=io0"

# qemu_mem_kib SIZE: QEMU's -m SIZE (MiB without a suffix) in KiB.
qemu_mem_kib() {
	local n=${1%[kKmMgG]}
	case $1 in
	*[kK]) echo "$n" ;;
	*[gG]) echo $((n * 1024 * 1024)) ;;
	*) echo $((n * 1024)) ;;
	esac
}

qemu_boot() {
	local OPTIND=1 OPTARG opt kernel='' initrd='' log='' tests='' cmdline='' limit='' arch=x86_64 dimm=''
	local usage="usage: qemu_boot -k KERNEL -i INITRD -l LOG [-a ARCH] [-d MIB] [-t TESTS] [-c CMDLINE] [-T SECONDS] [-- QEMU_ARG...]"
	while getopts k:i:l:a:d:t:c:T: opt; do
		case $opt in
		k) kernel=$OPTARG ;;
		i) initrd=$OPTARG ;;
		l) log=$OPTARG ;;
		a) arch=$OPTARG ;;
		d) dimm=$OPTARG ;;
		t) tests=$OPTARG ;;
		c) cmdline=$OPTARG ;;
		T) limit=$OPTARG ;;
		*)
			echo "$usage" >&2
			return 2
			;;
		esac
	done
	shift $((OPTIND - 1))
	[ "${1:-}" = "--" ] && shift
	if [ -z "$kernel" ] || [ -z "$initrd" ] || [ -z "$log" ]; then
		echo "qemu_boot: -k, -i and -l are required" >&2
		return 2
	fi
	[ -f "$kernel" ] || {
		echo "qemu_boot: no kernel $kernel" >&2
		return 2
	}
	[ -f "$initrd" ] || {
		echo "qemu_boot: no initramfs $initrd" >&2
		return 2
	}
	arch_load "$arch" || return 2
	local qemu=${QEMU:-$ARCH_QEMU}
	need_pkgs "$qemu:$ARCH_QEMU_PKG" timeout:coreutils

	local accel cpu cpus=${GUEST_CPUS:-2}
	accel=$(arch_accel)
	local accel_args=(-accel "$accel")
	case $accel in
	kvm) cpu=${FPW_CPU:-host} ;;
	*) cpu=${FPW_CPU:-$ARCH_CPU} ;;
	esac
	[ -z "$cpu" ] || accel_args+=(-cpu "$cpu")
	limit=${limit:-${FPW_BOOT_TIMEOUT:-600}}

	local append="console=$ARCH_CONSOLE panic=-1 oops=panic loglevel=6"
	local mem=${GUEST_MEM:-$ARCH_MEM} dimm_args=()
	if [ -n "$dimm" ]; then
		mem+=",slots=2,maxmem=$(($(qemu_mem_kib "${GUEST_MEM:-$ARCH_MEM}") + 2 * dimm * 1024))k"
		# shellcheck disable=SC2054 # the commas are QEMU's
		dimm_args=(-object "memory-backend-ram,id=dimm0,size=${dimm}M" -device pc-dimm,id=dimm0,memdev=dimm0)
		append+=" memhp_default_state=online_movable"
	fi
	[ -z "$tests" ] || append+=" fpw.tests=$tests"
	[ -z "${FPW_EXTRA_CMDLINE:-}" ] || append+=" $FPW_EXTRA_CMDLINE"
	[ -z "$cmdline" ] || append+=" $cmdline"
	local extra=()
	read -r -a extra <<<"${FPW_QEMU_ARGS:-}"

	mkdir -p "$(dirname "$log")"
	: >"$log"
	# QEMU names its threads (debug-threads): the vCPUs "CPU N/TCG" (or
	# /KVM), the iothread "IO io0", the migration thread "live_migration",
	# others "call_rcu", "worker", ...; the main loop keeps the process's
	# name. selftests/lib/qmp.py migrate --cpu counts their CPU time by
	# these names. The guest's name is the log's (src, dst, ...).
	local name
	name=fpw-$(basename "$log" .log)
	name=${name//,/_}
	# shellcheck disable=SC2054 # the commas are QEMU's
	local cmd=(
		"$qemu"
		-machine "${FPW_MACHINE:-$ARCH_MACHINE}" "${accel_args[@]}"
		# One CPU per socket: an x86 guest finds its CPUs in SeaBIOS's
		# MP table, which lists one CPU per socket only.
		-m "$mem" -smp "$cpus,sockets=$cpus,cores=1,threads=1"
		-name "$name,debug-threads=on"
		-nodefaults -nographic -no-reboot
		-monitor none -serial "file:$log"
		-kernel "$kernel" -initrd "$initrd" -append "$append"
		-object iothread,id=io0
		-device "virtio-balloon-pci,${FPW_BALLOON_OPTS:-$FPW_BALLOON_OPTS_DEFAULT}"
		"${dimm_args[@]}"
		${extra[@]+"${extra[@]}"}
		"$@"
	)
	echo "== ${cmd[*]}" >&2
	# stdin from /dev/null: QEMU must never wait for (or steal) the
	# terminal, timeout runs it in a background process group.
	timeout --kill-after=10 "$limit" "${cmd[@]}" </dev/null
}

# qemu_double_use: run the next guests on the QEMU test double of
# selftests/qemu-double.sh (built when missing), its hints dropping writes
# (FPW_QEMU_HINT_DROPS_WRITES=1): exports QEMU and that variable.
qemu_double_use() {
	local qd
	qd=$("$TOP/selftests/qemu-double.sh" | tail -n 1)
	[ -x "$qd" ] || die "selftests/qemu-double.sh did not build the QEMU test double"
	export QEMU=$qd FPW_QEMU_HINT_DROPS_WRITES=1
	info "QEMU test double: ${qd#"$TOP"/}, FPW_QEMU_HINT_DROPS_WRITES=1"
}
