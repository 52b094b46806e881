# SPDX-License-Identifier: GPL-2.0
# Boot a workbench guest in QEMU. Source it (after common.sh).
#
#   qemu_boot -k BZIMAGE -i INITRD -l LOG [-t TESTS] [-c CMDLINE] [-T SECONDS]
#             [-- QEMU_ARG...]
#
#   -k BZIMAGE  the kernel
#   -i INITRD   the initramfs (selftests/initramfs.sh)
#   -l LOG      file the guest's serial console is written to (truncated)
#   -t TESTS    comma separated guest tests, passed as fpw.tests=TESTS
#   -c CMDLINE  more kernel command line (after $FPW_EXTRA_CMDLINE)
#   -T SECONDS  hard time limit (default $FPW_BOOT_TIMEOUT, else 600)
#   QEMU_ARG    anything more for QEMU, e.g. -qmp unix:PATH,server=on,wait=off
#               or -incoming defer for a migration test
#
# Runs QEMU in the foreground and returns its exit status: 0 when the guest
# powered off (reboot -f with -no-reboot, or a panic with panic=-1), 124 when
# the time limit killed it. Start it in the background (&) to run several.
#
# Environment:
#   GUEST_MEM          guest memory in MiB (1024)
#   GUEST_CPUS         guest CPUs (2)
#   FPW_ACCEL          tcg (default) or kvm
#   FPW_CPU            QEMU CPU model (QEMU's default with tcg, host with kvm)
#   FPW_MACHINE        QEMU machine type (pc)
#   FPW_BOOT_TIMEOUT   default time limit in seconds (600)
#   FPW_EXTRA_CMDLINE  more kernel command line for every boot
#   FPW_BALLOON_OPTS   options of the virtio-balloon-pci device
#                      (free-page-hint=on,iothread=io0)
#   QEMU               the QEMU binary (qemu-system-x86_64)
# shellcheck shell=bash

FPW_BALLOON_OPTS_DEFAULT="free-page-hint=on,iothread=io0"

qemu_boot() {
	local OPTIND=1 OPTARG opt kernel='' initrd='' log='' tests='' cmdline='' limit=''
	while getopts k:i:l:t:c:T: opt; do
		case $opt in
		k) kernel=$OPTARG ;;
		i) initrd=$OPTARG ;;
		l) log=$OPTARG ;;
		t) tests=$OPTARG ;;
		c) cmdline=$OPTARG ;;
		T) limit=$OPTARG ;;
		*)
			echo "usage: qemu_boot -k BZIMAGE -i INITRD -l LOG [-t TESTS] [-c CMDLINE] [-T SECONDS] [-- QEMU_ARG...]" >&2
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
	need_pkgs "${QEMU:-qemu-system-x86_64}:qemu-system-x86" timeout:coreutils

	local accel=(-accel tcg) cpus=${GUEST_CPUS:-2}
	case ${FPW_ACCEL:-tcg} in
	tcg) [ -z "${FPW_CPU:-}" ] || accel+=(-cpu "$FPW_CPU") ;;
	kvm) accel=(-accel kvm -cpu "${FPW_CPU:-host}") ;;
	*)
		echo "qemu_boot: FPW_ACCEL must be tcg or kvm, not '$FPW_ACCEL'" >&2
		return 2
		;;
	esac
	limit=${limit:-${FPW_BOOT_TIMEOUT:-600}}

	local append="console=ttyS0 panic=-1 oops=panic loglevel=6"
	[ -z "$tests" ] || append+=" fpw.tests=$tests"
	[ -z "${FPW_EXTRA_CMDLINE:-}" ] || append+=" $FPW_EXTRA_CMDLINE"
	[ -z "$cmdline" ] || append+=" $cmdline"

	mkdir -p "$(dirname "$log")"
	: >"$log"
	# shellcheck disable=SC2054 # the commas are QEMU's
	local cmd=(
		"${QEMU:-qemu-system-x86_64}"
		-machine "${FPW_MACHINE:-pc}" "${accel[@]}"
		# One CPU per socket: the guest has no ACPI and finds its CPUs in
		# SeaBIOS's MP table, which lists one CPU per socket only.
		-m "${GUEST_MEM:-1024}" -smp "$cpus,sockets=$cpus,cores=1,threads=1"
		-nodefaults -nographic -no-reboot
		-monitor none -serial "file:$log"
		-kernel "$kernel" -initrd "$initrd" -append "$append"
		-object iothread,id=io0
		-device "virtio-balloon-pci,${FPW_BALLOON_OPTS:-$FPW_BALLOON_OPTS_DEFAULT}"
		"$@"
	)
	echo "== ${cmd[*]}" >&2
	# stdin from /dev/null: QEMU must never wait for (or steal) the
	# terminal, timeout runs it in a background process group.
	timeout --kill-after=10 "$limit" "${cmd[@]}" </dev/null
}
