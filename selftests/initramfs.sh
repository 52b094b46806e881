#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make the initramfs of a workbench guest.
#
#   selftests/initramfs.sh [-a ARCH] [-s SRC] [-o NAME]
#
#   -a ARCH  guest architecture (selftests/lib/arch.sh; default: the build
#            folder's, x86_64 without -o)
#   -s SRC   kernel source tree the kselftest scripts come from
#            (default: .work/linux)
#   -o NAME  build folder .work/build/NAME (default: guest for x86_64, else
#            the architecture's name), made by selftests/build.sh
#   -h       this help
#
# Output: .work/build/NAME/initramfs.cpio.gz with
#   /init                       selftests/guest/init
#   /bin/busybox + applets      busybox-static
#   /bin/sh                     busybox sh, except as PID 1 (see below)
#   /bin/bash                   bash-static (the kselftest scripts are bash)
#   /bin/<prog>                 each selftests/guest/<prog>.c, gcc -static -O2
#                               (on the architectures whose progs= is yes)
#   /lib/modules/<release>/     the modules of the build, with modules.dep
#   /kselftest/mm/              run_vmtests.sh and the *free_page* scripts of
#                               tools/testing/selftests/mm
# busybox-static and bash-static are the installed packages when the guest
# has the host's Debian architecture; for another one they are that
# architecture's packages from the Debian archive (apt-get download, after
# dpkg --add-architecture), unpacked under .work/cache/debs/DEBARCH (remove
# it to fetch them again). C programs are compiled with the architecture's
# ${CROSS_COMPILE}gcc. The archive is only remade when one of its inputs
# changed.
set -eu -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/arch.sh
. "$TOP/selftests/lib/arch.sh"

src=$WORK/linux
opt_s() { src=$1; }
arch_getopts s: "$@"
[ ${#ARGS[@]} -eq 0 ] || usage_error "unexpected argument '${ARGS[0]}'"
arch=$ARCH_NAME
name=$BUILD_NAME
out=$BUILD_OUT
guest=$TOP/selftests/guest
mm=$src/tools/testing/selftests/mm
cc=${ARCH_CROSS}gcc
[ -d "$out" ] || die "no build folder ${out#"$TOP"/}: run selftests/build.sh -a $arch -o $name first"
[ -f "$out/include/config/kernel.release" ] || die "${out#"$TOP"/} has no built kernel: run selftests/build.sh -a $arch -o $name first"
[ -f "$mm/run_vmtests.sh" ] || die "no ${mm#"$TOP"/}/run_vmtests.sh: run ./apply.sh first (or pass -s SRC)"
need_pkgs cpio:cpio gzip:gzip "$cc:$ARCH_CC_PKG" depmod:kmod sha256sum:coreutils \
	dpkg-deb:dpkg /bin/busybox:busybox-static
# The static C library of $cc, wherever the package puts it.
[ "$("$cc" -print-file-name=libc.a)" != libc.a ] || install_pkgs "$ARCH_LIBC_PKG"
[ "$("$cc" -print-file-name=libc.a)" != libc.a ] || die "$ARCH_LIBC_PKG gave $cc no libc.a"

# busybox and bash of the guest's architecture.
if [ "$ARCH_DEB_ARCH" = "$(dpkg --print-architecture)" ]; then
	need_pkgs /bin/bash-static:bash-static
	busybox=/bin/busybox
	bash_static=/bin/bash-static
else
	# deb_fetch PKG...: unpack the guest architecture's PKGs from the Debian
	# archive into $debs/root (once).
	debs=$WORK/cache/debs/$ARCH_DEB_ARCH
	deb_fetch() {
		local pkg sudo='' tmp deb
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		for pkg in "$@"; do
			[ -f "$debs/$pkg.done" ] && continue
			if ! apt-cache show "$pkg:$ARCH_DEB_ARCH" >/dev/null 2>&1; then
				if ! dpkg --print-foreign-architectures | grep -qx "$ARCH_DEB_ARCH"; then
					info "dpkg --add-architecture $ARCH_DEB_ARCH (for $pkg:$ARCH_DEB_ARCH)"
					$sudo dpkg --add-architecture "$ARCH_DEB_ARCH"
				fi
				info "apt-get update (for $pkg:$ARCH_DEB_ARCH)"
				apt_locked $sudo apt-get update -q >"$WORK/apt.log" 2>&1 ||
					die "apt-get update failed (log: $WORK/apt.log)"
			fi
			tmp=$debs/download
			rm -rf "$tmp"
			mkdir -p "$tmp" "$debs/root"
			info "apt-get download $pkg:$ARCH_DEB_ARCH"
			(cd "$tmp" && apt_locked apt-get download -q "$pkg:$ARCH_DEB_ARCH") >"$WORK/apt.log" 2>&1 ||
				die "apt-get download $pkg:$ARCH_DEB_ARCH failed (log: $WORK/apt.log)"
			for deb in "$tmp"/*.deb; do
				dpkg-deb -x "$deb" "$debs/root" || die "dpkg-deb -x $deb failed"
				mv "$deb" "$debs/"
			done
			rm -rf "$tmp"
			touch "$debs/$pkg.done"
		done
	}
	deb_fetch busybox-static bash-static
	busybox=$debs/root/bin/busybox
	bash_static=$debs/root/bin/bash-static
	[ -f "$busybox" ] || die "busybox-static:$ARCH_DEB_ARCH has no /bin/busybox"
	[ -f "$bash_static" ] || die "bash-static:$ARCH_DEB_ARCH has no /bin/bash-static"
fi
# The Debian package busybox provides a dynamic /bin/busybox too.
! ldd /bin/busybox >/dev/null 2>&1 || die "/bin/busybox is not static: install busybox-static"

release=$(cat "$out/include/config/kernel.release")
img=$out/initramfs.cpio.gz
stage=$out/initramfs

# The kselftest files: run_vmtests.sh and every *free_page* script.
kselftests=("$mm/run_vmtests.sh")
for f in "$mm"/*free_page*; do
	[ -f "$f" ] || continue
	case $f in
	*.sh) kselftests+=("$f") ;;
	*) [ -x "$f" ] && head -c 2 "$f" | grep -q '^#!' && kselftests+=("$f") ;;
	esac
done
progs=()
if [ "$ARCH_PROGS" = yes ]; then
	for f in "$guest"/*.c; do
		[ -f "$f" ] && progs+=("$f")
	done
fi

# Everything the archive is made of; the same list means the same archive.
inputs() {
	local f
	for f in "$0" "$guest/init" "$busybox" "$bash_static" "${kselftests[@]}" ${progs[@]+"${progs[@]}"}; do
		echo "${f##*/} $(sha256sum <"$f")"
	done
	"$cc" --version | head -n 1
	echo "$arch $release"
	if [ -d "$out/modroot/lib/modules" ]; then
		(cd "$out/modroot/lib/modules" && find . -printf '%p %s %T@\n' | LC_ALL=C sort)
	fi
}
stamp=$(inputs | sha256sum | cut -d' ' -f1)
if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$stamp" ]; then
	info "initramfs ${img#"$TOP"/} is up to date"
	exit 0
fi

info "making ${img#"$TOP"/} for $release ($arch)"
rm -rf "$stage" "$img" "$img.stamp"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,kselftest/mm,lib/modules}
chmod 1777 "$stage/tmp"

install -m 0755 "$guest/init" "$stage/init"
install -m 0755 "$busybox" "$stage/bin/busybox"
install -m 0755 "$bash_static" "$stage/bin/bash"
# Applet links. No /sbin/init nor /linuxrc: should /init ever be unusable
# (or rdinit= name something else), the kernel must not fall back to busybox
# init, nor to an interactive /bin/sh: either would wait on the console
# until the time limit. So /bin/sh is busybox sh everywhere but as PID 1,
# where it exits at once and the kernel panics ("Attempted to kill init").
# The list of applets and their folders comes from the host's busybox (a
# foreign one cannot run here); for another architecture's busybox only the
# applets whose names its table of applet names has are linked.
applets=$(/bin/busybox --list-full)
if [ "$busybox" != /bin/busybox ]; then
	declare -A has=()
	while IFS= read -r a; do
		has[$a]=1
	done < <(tr '\0' '\n' <"$busybox" | grep -xE '[][a-z0-9_.-]+')
	applets=$(while read -r applet; do
		[ -z "${has[${applet##*/}]:-}" ] || echo "$applet"
	done <<<"$applets")
fi
while read -r applet; do
	case $applet in
	sbin/init | linuxrc | bin/bash | bin/sh) continue ;;
	esac
	[ -e "$stage/$applet" ] || [ -L "$stage/$applet" ] ||
		{ mkdir -p "$stage/$(dirname "$applet")" && ln -s /bin/busybox "$stage/$applet"; }
done <<<"$applets"
cat >"$out/sh-guard.c" <<'EOF'
/* /bin/sh of the workbench guest: busybox sh, but never the init process. */
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argc;
	if (getpid() == 1) {
		fputs("FPW: /bin/sh started as init: /init is missing or unusable\n", stderr);
		tcdrain(2);	/* on the serial line before the panic */
		return 1;
	}
	execv("/bin/busybox", argv);	/* busybox picks the applet from argv[0] */
	perror("/bin/busybox");
	return 127;
}
EOF
"$cc" -static -O2 -Wall -o "$stage/bin/sh" "$out/sh-guard.c" || die "compiling the /bin/sh guard failed"
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

for f in ${progs[@]+"${progs[@]}"}; do
	prog=$(basename "$f" .c)
	info "compiling selftests/guest/${f##*/}"
	"$cc" -static -O2 -Wall -o "$stage/bin/$prog" "$f" || die "compiling ${f#"$TOP"/} failed"
done

for f in "${kselftests[@]}"; do
	install -m 0755 "$f" "$stage/kselftest/mm/${f##*/}"
done

if [ -d "$out/modroot/lib/modules" ]; then
	cp -a "$out/modroot/lib/modules/." "$stage/lib/modules/"
	rm -f "$stage/lib/modules/"*/build "$stage/lib/modules/"*/source
fi
mkdir -p "$stage/lib/modules/$release"
[ -f "$stage/lib/modules/$release/modules.dep" ] ||
	depmod -b "$stage" "$release" || die "depmod for $release failed"

# dev/console must exist before /init runs (devtmpfs is not mounted yet):
# make the device nodes in a small archive of their own, which needs no
# root, and put the tree after it.
# cpio_entry NAME MODE RDEVMAJOR RDEVMINOR: one newc header, no data.
ino=1
cpio_entry() {
	local namesize=$((${#1} + 1)) pad
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		"$ino" "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$1"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	[ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
	ino=$((ino + 1))
}
nodes() {
	cpio_entry dev $((0040755)) 0 0
	cpio_entry dev/console $((0020600)) 5 1
	cpio_entry dev/null $((0020666)) 1 3
	cpio_entry dev/ttyS0 $((0020600)) 4 64
	cpio_entry TRAILER!!! 0 0 0
}
{
	nodes
	(cd "$stage" && find . -mindepth 1 ! -path ./dev | LC_ALL=C sort |
		cpio --quiet -o -H newc --owner=0:0 --reproducible)
} | gzip -n -6 >"$img.new"
mv "$img.new" "$img"
echo "$stamp" >"$img.stamp"
info "made ${img#"$TOP"/} ($(du -k "$img" | cut -f1) KiB)"
