# SPDX-License-Identifier: GPL-2.0
# The guest architectures of the workbench: what differs between them,
# written once, as data. Source it (after common.sh).
#
#   arch_load NAME    set the ARCH_* variables below for NAME; non-zero (and
#                     a message) when NAME is not in the table
#   arch_names        the architectures, one a line, in table order
#   arch_of_build DIR the architecture a build folder was made for
#                     (selftests/build.sh records it), x86_64 when unknown
#   arch_resolve ARCH NAME  the -a ARCH -o NAME options of the scripts
#   arch_getopts SPEC "$@"  the options of a script that builds or boots a
#                     guest: -a ARCH, -o NAME, -h and the getopts letters
#                     of SPEC, each of which calls the script's opt_LETTER
#                     function with its argument; then arch_resolve, and
#                     BUILD_OUT (.work/build/NAME) and ARGS (the operands)
#   arch_fragment FILE [FRAGMENT...]  the config fragment of a build of the
#                     loaded architecture (selftests/build.sh, gates.sh)
#   arch_accel        the accelerator of a guest of the loaded architecture
#
# One arch_def block per architecture; every key must be given ('' = none):
#   qemu      ARCH_QEMU      QEMU binary
#   qemu_pkg  ARCH_QEMU_PKG  its Debian package
#   machine   ARCH_MACHINE   QEMU -machine
#   cpu       ARCH_CPU       QEMU -cpu under TCG ('' = QEMU's default)
#   console   ARCH_CONSOLE   the serial console device of the guest
#   image     ARCH_IMAGE     the kernel image in the build folder; its file
#                            name is the make target that builds it
#   karch     ARCH_KARCH     make ARCH=
#   srcarch   ARCH_SRCARCH   the kernel tree's arch/ folder of it
#   cross     ARCH_CROSS     make CROSS_COMPILE= ('' = the host's gcc)
#   cc_pkg    ARCH_CC_PKG    Debian package of ${cross}gcc
#   libc_pkg  ARCH_LIBC_PKG  Debian package of its static C library (the
#                            guest programs of the initramfs are static)
#   deb_arch  ARCH_DEB_ARCH  Debian architecture: busybox-static and
#                            bash-static of the initramfs are that
#                            architecture's packages
#   config    ARCH_CONFIG    config fragments (selftests/config/NAME.config)
#                            on top of guest.config, before any other
#   mem       ARCH_MEM       default guest memory in MiB (GUEST_MEM overrides)
#   accels    ARCH_ACCELS    the accelerators FPW_ACCEL may name; the first
#                            is the default
#   dimm      ARCH_DIMM      MiB of a cold-plugged pc-dimm (ACPI memory
#                            device) on the kselftest boot, onlined movable
#                            ('' = none)
#   progs     ARCH_PROGS     yes: the initramfs has the programs of
#                            selftests/guest/ (the migration tests need
#                            them); no: only the /bin/sh guard
#   kskip     ARCH_KSKIP     kselftest subtests that cannot run on this
#                            architecture here: their SKIP is a PASS
#                            (selftests/boot-test.sh), any other SKIP fails
# shellcheck shell=bash
# shellcheck disable=SC2034 # the ARCH_* variables are for the sourcing scripts

ARCH_KEYS="qemu qemu_pkg machine cpu console image karch srcarch cross cc_pkg libc_pkg deb_arch config mem accels dimm progs kskip"
ARCH_LIST=()
declare -A _ARCH_TABLE=()

# arch_def NAME KEY=VALUE...: one architecture of the table.
arch_def() { table_def _ARCH_TABLE ARCH_LIST "$ARCH_KEYS" "$@"; }

# x86_64: the guest of every test, migration included (selftests/run.sh's
# build, boot-test, migration-test and debug-* steps).
arch_def x86_64 \
	qemu=qemu-system-x86_64 qemu_pkg=qemu-system-x86 machine=pc cpu= console=ttyS0 \
	image=arch/x86/boot/bzImage karch=x86_64 srcarch=x86 cross= cc_pkg=gcc libc_pkg=libc6-dev \
	deb_arch=amd64 config= mem=1024 accels="tcg kvm" dimm=256 progs=yes kskip=

# arm64: 64 KiB pages (MAX_PAGE_ORDER 13: 512 MiB max-order blocks) on the
# virt machine, booted with a device tree and no firmware. Memory under
# 3 GiB and not a multiple of the 512 MiB blocks, so the last one is partial.
# No memory to hot-remove: without firmware (UEFI, ACPI) virt takes no
# pc-dimm, and arm64 never offlines boot memory.
arch_def arm64 \
	qemu=qemu-system-aarch64 qemu_pkg=qemu-system-arm machine=virt cpu=cortex-a57 console=ttyAMA0 \
	image=arch/arm64/boot/Image karch=arm64 srcarch=arm64 cross=aarch64-linux-gnu- \
	cc_pkg=gcc-aarch64-linux-gnu libc_pkg=libc6-dev-arm64-cross \
	deb_arch=arm64 config=arm64 mem=2047 accels=tcg dimm= progs=no \
	kskip=hotremove_waits_for_release

# i386: 32-bit with HIGHMEM4G; more memory than the ~896 MiB of lowmem, so
# ZONE_HIGHMEM has free pages to walk. No memory hotplug (64-bit only).
arch_def i386 \
	qemu=qemu-system-i386 qemu_pkg=qemu-system-x86 machine=pc cpu= console=ttyS0 \
	image=arch/x86/boot/bzImage karch=i386 srcarch=x86 cross=i686-linux-gnu- \
	cc_pkg=gcc-i686-linux-gnu libc_pkg=libc6-dev-i386-cross \
	deb_arch=i386 config=i386 mem=1535 accels=tcg dimm= progs=no \
	kskip=hotremove_waits_for_release

arch_names() { printf '%s\n' "${ARCH_LIST[@]}"; }

# Set by arch_load; assigned here too, so that shellcheck knows them.
ARCH_NAME='' ARCH_QEMU='' ARCH_QEMU_PKG='' ARCH_MACHINE='' ARCH_CPU='' ARCH_CONSOLE='' \
	ARCH_IMAGE='' ARCH_KARCH='' ARCH_SRCARCH='' ARCH_CROSS='' ARCH_CC_PKG='' ARCH_LIBC_PKG='' \
	ARCH_DEB_ARCH='' ARCH_CONFIG='' ARCH_MEM='' ARCH_ACCELS='' ARCH_DIMM='' ARCH_PROGS='' \
	ARCH_KSKIP=''

arch_load() {
	local key
	if [ -z "${1:-}" ] || [ -z "${_ARCH_TABLE[$1.qemu]+set}" ]; then
		echo "unknown architecture '${1:-}' (selftests/lib/arch.sh has: ${ARCH_LIST[*]})" >&2
		return 1
	fi
	ARCH_NAME=$1
	for key in $ARCH_KEYS; do
		printf -v "ARCH_${key^^}" '%s' "${_ARCH_TABLE[$1.$key]}"
	done
}

# The file of a build folder that names its architecture.
ARCH_STAMP=fpw.arch

arch_of_build() {
	local a
	a=$(cat "$1/$ARCH_STAMP" 2>/dev/null) || a=
	echo "${a:-x86_64}"
}

# arch_accel: FPW_ACCEL when the loaded architecture has it, else (with a
# note on stderr when FPW_ACCEL names another) the architecture's default:
# FPW_ACCEL=kvm runs the x86_64 guests under KVM and the others under TCG.
arch_accel() {
	local want=${FPW_ACCEL:-}
	if [ -n "$want" ] && [[ " $ARCH_ACCELS " == *" $want "* ]]; then
		echo "$want"
		return
	fi
	[ -z "$want" ] || echo "FPW_ACCEL=$want: $ARCH_NAME guests run with ${ARCH_ACCELS// / or }, so ${ARCH_ACCELS%% *}" >&2
	echo "${ARCH_ACCELS%% *}"
}

# arch_fragment FILE [FRAGMENT...]: write FILE, the config fragment of a
# build of the loaded architecture: guest.config, the architecture's own
# fragments and FRAGMENT..., in that order (a later line overrides).
arch_fragment() {
	local file=$1 f frags
	shift
	read -ra frags <<<"guest $ARCH_CONFIG"
	for f in "${frags[@]}" "$@"; do
		[ -f "$TOP/selftests/config/$f.config" ] || {
			echo "no config fragment selftests/config/$f.config" >&2
			return 1
		}
		cat "$TOP/selftests/config/$f.config"
	done >"$file.new" && mv "$file.new" "$file"
}

# arch_resolve ARCH NAME: the architecture and build folder of the options
# -a ARCH -o NAME (either may be '') of build.sh, initramfs.sh and
# boot-test.sh: arch_load's variables, and BUILD_NAME. Without -o the
# folder is guest for x86_64 and the architecture's name for the others;
# without -a the architecture is the folder's. Non-zero, with a message,
# for an unknown architecture or a folder built for another one.
BUILD_NAME=''
arch_resolve() {
	local arch=$1 name=$2 have
	if [ -z "$name" ]; then
		arch=${arch:-x86_64}
		if [ "$arch" = x86_64 ]; then name=guest; else name=$arch; fi
	fi
	have=$(arch_of_build "$WORK/build/$name")
	if [ -z "$arch" ]; then
		arch=$have
	elif [ -f "$WORK/build/$name/.config" ] && [ "$have" != "$arch" ]; then
		echo ".work/build/$name is a build for $have, not $arch" >&2
		return 1
	fi
	arch_load "$arch" || return
	BUILD_NAME=$name
}

BUILD_OUT='' ARGS=()
arch_getopts() {
	local spec=$1 opt OPTIND=1 OPTARG arch='' name=''
	shift
	while getopts "a:o:h$spec" opt; do
		case $opt in
		a) arch=$OPTARG ;;
		o) name=$OPTARG ;;
		h) usage_exit 0 ;;
		'?' | :) usage_exit 2 ;;
		*) "opt_$opt" "${OPTARG:-}" ;;
		esac
	done
	shift $((OPTIND - 1))
	ARGS=("$@")
	arch_resolve "$arch" "$name" || exit 2
	BUILD_OUT=$WORK/build/$BUILD_NAME
}
