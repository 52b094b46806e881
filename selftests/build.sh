#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a guest kernel out of tree, with ccache, from the config fragments in
# selftests/config.
#
#   selftests/build.sh [-s SRC] [-o NAME] [FRAGMENT...]
#
#   -s SRC   kernel source tree (default: .work/linux, made by ./apply.sh)
#   -o NAME  build folder .work/build/NAME (default: guest)
#   FRAGMENT config fragments on top of guest.config (names in
#            selftests/config, without .config), e.g. "debug"
#
# Output: .work/build/NAME/arch/x86/boot/bzImage and the modules installed
# under .work/build/NAME/modroot.
set -eu -o pipefail
. "$(dirname "$0")/lib/common.sh"

src=$WORK/linux
name=guest
while getopts s:o: opt; do
	case $opt in
	s) src=$OPTARG ;;
	o) name=$OPTARG ;;
	*) die "usage: $0 [-s SRC] [-o NAME] [FRAGMENT...]" ;;
	esac
done
shift $((OPTIND - 1))

[ -f "$src/Makefile" ] || die "$src is not a kernel tree: run ./apply.sh first"
need_pkgs gcc:gcc make:make ccache:ccache flex:flex bison:bison bc:bc \
	/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev \
	cpio:cpio perl:perl depmod:kmod rsync:rsync

out=$WORK/build/$name
mkdir -p "$out"
frag=$out/fragment.config
cat "$TOP/selftests/config/guest.config" >"$frag.new"
for f in "$@"; do
	[ -f "$TOP/selftests/config/$f.config" ] || die "no config fragment selftests/config/$f.config"
	cat "$TOP/selftests/config/$f.config" >>"$frag.new"
done
mv "$frag.new" "$frag"

kbuild_env
jobs=${JOBS:-$(nproc)}
mk=(make -s -C "$src" O="$out" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs")

info "configuring $name (allnoconfig + guest.config${*:+ + $*})"
KCONFIG_ALLCONFIG=$frag "${mk[@]}" allnoconfig >"$out/config.log" 2>&1 ||
	{ cat "$out/config.log" >&2; die "configuring $name failed"; }
# Every line of the fragment must have survived Kconfig: a symbol that was
# silently dropped means the fragment no longer describes the kernel.
# Symbols the tree does not define (the series' own, when building the
# unpatched base for comparison) are left out of that check.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=[ym]$' "$frag" | while read -r line; do
	grep -qx "$line" "$out/.config" && continue
	sym=${line%%=*}
	git -C "$src" grep -q -E "^[[:space:]]*(menu)?config ${sym#CONFIG_}[[:space:]]*$" -- '*Kconfig*' ||
		{ info "$sym is not defined by this tree: left out"; continue; }
	echo "$line"
done)
[ -z "$missing" ] || die "config fragment lines not in the resulting .config of $name: $(echo $missing)"

info "building $name in ${out#"$TOP"/} with $jobs job(s)"
start=$SECONDS
"${mk[@]}" bzImage modules >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "building $name failed (log: $out/build.log)"; }
rm -rf "$out/modroot"
"${mk[@]}" INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >>"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "modules_install for $name failed"; }
info "built $name in $((SECONDS - start)) s: $(make -s -C "$src" O="$out" kernelrelease)"
