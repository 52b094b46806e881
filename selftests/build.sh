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
# shellcheck source=selftests/lib/kbuild.sh
. "$TOP/selftests/lib/kbuild.sh"

src=$WORK/linux
opt_s() { src=$1; }
arch_getopts s: "$@"
set -- ${ARGS[@]+"${ARGS[@]}"}
arch=$ARCH_NAME
name=$BUILD_NAME

[ -f "$src/Makefile" ] || die "$src is not a kernel tree: run ./apply.sh first"
kbuild_pkgs "$ARCH_CROSS" "$ARCH_CC_PKG"

out=$BUILD_OUT
mkdir -p "$out"
echo "$arch" >"$out/$ARCH_STAMP"
frag=$out/fragment.config
arch_fragment "$frag" "$@" || exit 1

kbuild_env
jobs=${JOBS:-$(nproc)}
kbuild_make "$src" "$out" "$ARCH_KARCH" "$ARCH_CROSS"
mk=("${KMAKE[@]}")
image=${ARCH_IMAGE##*/}

read -ra frags <<<"guest $ARCH_CONFIG $*"
info "configuring $name for $arch (allnoconfig + ${frags[*]/%/.config})"
KCONFIG_ALLCONFIG=$frag "${mk[@]}" allnoconfig >"$out/config.log" 2>&1 ||
	{ cat "$out/config.log" >&2; die "configuring $name failed"; }
lost=$(kbuild_lost "$src" "$out" "$frag" "$ARCH_SRCARCH")
[ -z "$lost" ] || die "config fragment lines not in the resulting .config of $name: $lost"

info "building $name in ${out#"$TOP"/} with $jobs job(s)"
start=$SECONDS
"${mk[@]}" "$image" modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "building $name failed (log: $out/build.log)"; }
rm -rf "$out/modroot"
"${mk[@]}" INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >>"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "modules_install for $name failed"; }
info "built $name ($arch) in $((SECONDS - start)) s: $(cat "$out/include/config/kernel.release") ${out#"$TOP"/}/$ARCH_IMAGE"
