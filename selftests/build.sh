#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a guest kernel out of tree, with ccache, from the config fragments in
# selftests/config.
#
#   selftests/build.sh [-a ARCH] [-s SRC] [-o NAME] [FRAGMENT...]
#
#   -a ARCH  guest architecture, a name of selftests/lib/arch.sh: x86_64
#            (default), arm64, i386 (default with -o: the folder's)
#   -s SRC   kernel source tree (default: .work/linux, made by ./apply.sh)
#   -o NAME  build folder .work/build/NAME (default: guest for x86_64, else
#            the architecture's name; a folder keeps its architecture)
#   FRAGMENT config fragments on top of guest.config and the architecture's
#            own (names in selftests/config, without .config), e.g. "debug"
#   -h       this help
#
# Output: the kernel image of the architecture in .work/build/NAME (e.g.
# arch/x86/boot/bzImage, arch/arm64/boot/Image), the modules installed
# under .work/build/NAME/modroot, and .work/build/NAME/fpw.arch naming the
# architecture for selftests/initramfs.sh and selftests/boot-test.sh.
set -eu -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/arch.sh
. "$TOP/selftests/lib/arch.sh"

src=$WORK/linux
name=
arch=
while getopts a:s:o:h opt; do
	case $opt in
	a) arch=$OPTARG ;;
	s) src=$OPTARG ;;
	o) name=$OPTARG ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
arch_resolve "$arch" "$name" || exit 2
arch=$ARCH_NAME
name=$BUILD_NAME

[ -f "$src/Makefile" ] || die "$src is not a kernel tree: run ./apply.sh first"
need_pkgs gcc:gcc make:make ccache:ccache flex:flex bison:bison bc:bc \
	/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev \
	cpio:cpio perl:perl depmod:kmod rsync:rsync "${ARCH_CROSS}gcc:$ARCH_CC_PKG"

out=$WORK/build/$name
mkdir -p "$out"
echo "$arch" >"$out/$ARCH_STAMP"
frag=$out/fragment.config
arch_fragment "$frag" "$@" || exit 1

kbuild_env
jobs=${JOBS:-$(nproc)}
mk=(make -s -C "$src" O="$out" ARCH="$ARCH_KARCH" CC="ccache ${ARCH_CROSS}gcc" HOSTCC="ccache gcc" -j"$jobs")
[ -z "$ARCH_CROSS" ] || mk+=(CROSS_COMPILE="$ARCH_CROSS")
image=${ARCH_IMAGE##*/}

read -ra frags <<<"guest $ARCH_CONFIG $*"
info "configuring $name for $arch (allnoconfig + ${frags[*]/%/.config})"
KCONFIG_ALLCONFIG=$frag "${mk[@]}" allnoconfig >"$out/config.log" 2>&1 ||
	{ cat "$out/config.log" >&2; die "configuring $name failed"; }
# Every line of the fragment must have survived Kconfig: a symbol that was
# silently dropped means the fragment no longer describes the kernel. A
# symbol given twice counts as its last line (a later fragment overrides).
# Symbols the tree does not define for this architecture (another
# architecture's, or the series' own when building the unpatched base for
# comparison) are left out of that check.
# kconfig_files SYM: the Kconfig files of the tree that define SYM.
kconfig_files() {
	git -C "$src" grep -l -E "^[[:space:]]*(menu)?config $1[[:space:]]*$" -- '*Kconfig*'
}
lost=$(tac "$frag" | grep -E '^CONFIG_[A-Z0-9_]+=' | awk -F= '!seen[$1]++' |
	grep -E '^CONFIG_[A-Z0-9_]+=[ym]$' | LC_ALL=C sort | while read -r line; do
	grep -qx "$line" "$out/.config" && continue
	sym=${line%%=*}
	files=$(kconfig_files "${sym#CONFIG_}" || true)
	[ -n "$files" ] || { info "$sym is not defined by this tree: left out"; continue; }
	# Defined only under another architecture's arch/ folder: not ours.
	grep -qvE '^arch/' <<<"$files" || grep -q "^arch/$ARCH_SRCARCH/" <<<"$files" || continue
	echo "$line"
done | tr '\n' ' ')
[ -z "$lost" ] || die "config fragment lines not in the resulting .config of $name: ${lost% }"

info "building $name in ${out#"$TOP"/} with $jobs job(s)"
start=$SECONDS
"${mk[@]}" "$image" modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "building $name failed (log: $out/build.log)"; }
rm -rf "$out/modroot"
"${mk[@]}" INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >>"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "modules_install for $name failed"; }
info "built $name ($arch) in $((SECONDS - start)) s: $(cat "$out/include/config/kernel.release") ${out#"$TOP"/}/$ARCH_IMAGE"
