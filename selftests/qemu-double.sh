#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the QEMU test double: Debian's own QEMU 7.2 (the source of the
# installed qemu-system-x86) with the patches of selftests/qemu-double/, in
# this order (each patch's header says what it emulates and what not):
#   hint-drops-writes.patch  with FPW_QEMU_HINT_DROPS_WRITES=1 in QEMU's
#                            environment, free page hints drop the guest
#                            writes made to the hinted pages since the last
#                            dirty sync, as KVM_CLEAR_DIRTY_LOG does on a
#                            KVM host
#   hint-stall.patch         with FPW_QEMU_HINT_STALL=N, the free page
#                            virtqueue stops taking buffers after the first
#                            N, for good, and leaves the ring's
#                            notifications off (VRING_USED_F_NO_NOTIFY)
# Without the variables the binary behaves as stock.
#
#   selftests/qemu-double.sh [-f] [-j JOBS]
#
#   -f       rebuild even when the stamp says nothing changed
#   -j JOBS  parallel compile jobs (default and at most 2), run under nice -n 10
#   -h       this help
#
# Steps:
#   1. apt-get source --download-only qemu=VERSION into .work/cache/qemu-src
#      (VERSION: the source version of the installed qemu-system-x86, or
#      $FPW_QEMU_DOUBLE_VERSION). Without a deb-src entry apt-get cannot;
#      the script then adds one, .../sources.list.d/fpw-qemu-double-src.sources,
#      made from debian.sources with "Types: deb" turned into
#      "Types: deb-src", runs apt-get update and says so. Any other failure
#      is an error.
#   2. dpkg-source -x (Debian's patches applied) into .work/qemu-double/src,
#      then the patches.
#   3. configure (x86_64-softmmu only, no docs, no GUI, no tools,
#      --disable-werror, ccache when installed, Debian's firmware path) and
#      ninja in .work/qemu-double/build.
# The build is skipped when .work/qemu-double/stamp holds the same hash of
# the source version, the .dsc, the patches and the configure flags.
# Build dependencies are installed with apt-get when missing. Logs:
# .work/qemu-double/*.log.
#
# The last line on stdout is the path of the built qemu-system-x86_64. Use:
#   QEMU=$(selftests/qemu-double.sh | tail -n 1)
#   QEMU=$QEMU FPW_QEMU_HINT_DROPS_WRITES=1 selftests/migration-test.sh ...
# qemu_boot (selftests/lib/qemu.sh) runs $QEMU with the environment it was
# given, so both QEMUs of a migration see the variable; only the source
# processes hints.
set -eu -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"

force=0
jobs=2
while getopts fj:h opt; do
	case $opt in
	f) force=1 ;;
	j) jobs=$OPTARG ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1'"
case $jobs in
'' | *[!0-9]* | 0) die "-j $jobs: a number of jobs, 1 or 2" ;;
esac
[ "$jobs" -le 2 ] || {
	info "-j $jobs: at most 2 jobs, using 2"
	jobs=2
}

patch_files=("$TOP/selftests/qemu-double/hint-drops-writes.patch" "$TOP/selftests/qemu-double/hint-stall.patch")
for patch_file in "${patch_files[@]}"; do
	[ -f "$patch_file" ] || die "no ${patch_file#"$TOP"/}"
done
cache=$WORK/cache/qemu-src
out=$WORK/qemu-double
src=$out/src
build=$out/build
# The binary is copied out of the build tree: run from there, QEMU looks
# for every data and firmware folder under build/qemu-bundle (its
# relocation), which has none of Debian's firmware (the dfsg source ships
# no SeaBIOS). Outside it the configured --firmwarepath is taken as it is.
bin=$out/bin/qemu-system-x86_64
stamp=$out/stamp
mkdir -p "$cache" "$out"

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

need_pkgs apt-get:apt dpkg-query:dpkg dpkg-source:dpkg-dev patch:patch sha256sum:coreutils \
	gcc:gcc make:make ninja:ninja-build meson:meson pkg-config:pkg-config \
	flex:flex bison:bison /usr/bin/python3:python3 \
	/usr/include/glib-2.0/glib.h:libglib2.0-dev \
	/usr/include/pixman-1/pixman.h:libpixman-1-dev /usr/include/zlib.h:zlib1g-dev \
	/usr/include/libfdt.h:libfdt-dev \
	qemu-system-x86_64:qemu-system-x86

# The source version of the installed QEMU (binNMU suffix dropped).
version=${FPW_QEMU_DOUBLE_VERSION:-$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null || true)}
[ -n "$version" ] || die "cannot tell the version of qemu-system-x86 (dpkg-query); set FPW_QEMU_DOUBLE_VERSION"
nover=${version#*:}
dsc=$cache/qemu_$nover.dsc

# dsc_complete: the .dsc and every file it lists are in the cache.
dsc_complete() {
	local f
	[ -f "$dsc" ] || return 1
	while read -r f; do
		[ -f "$cache/$f" ] || return 1
	done < <(awk '/^Files:/ { on = 1; next } /^[^ ]/ { on = 0 } on && /^ / { print $3 }' "$dsc")
}

# apt_source: apt-get source --download-only qemu=VERSION in the cache;
# its output in .work/qemu-double/apt-source.log.
apt_source() {
	(cd "$cache" && apt_locked apt-get source --download-only -q "qemu=$version") >"$out/apt-source.log" 2>&1
}

# apt_dir NAME: apt's Dir:: setting NAME (e.g. Dir::Etc::sourceparts/d).
apt_dir() {
	apt-config shell P "$1" | sed -n "s/^P='\(.*\)'$/\1/p"
}

# have_deb_src: apt's configuration has a deb-src entry.
have_deb_src() {
	local list parts
	list=$(apt_dir Dir::Etc::sourcelist/f)
	parts=$(apt_dir Dir::Etc::sourceparts/d)
	cat "${list:-/etc/apt/sources.list}" "${parts:-/etc/apt/sources.list.d}"/*.list \
		"${parts:-/etc/apt/sources.list.d}"/*.sources 2>/dev/null |
		grep -qE '^[[:space:]]*(deb-src[[:space:]]|Types:.*[[:space:]]deb-src([[:space:]]|$))'
}

# add_deb_src: a deb-src entry of our own, from debian.sources.
add_deb_src() {
	local parts file from
	parts=$(apt_dir Dir::Etc::sourceparts/d)
	[ -n "$parts" ] || parts=/etc/apt/sources.list.d/
	from=${parts%/}/debian.sources
	file=${parts%/}/fpw-qemu-double-src.sources
	[ -f "$from" ] || die "apt-get has no deb-src entry and there is no $from to make one from: add a deb-src entry for Debian's archive"
	grep -qE '^Types:.*\<deb\>' "$from" || die "$from has no 'Types: deb' entry to make a deb-src entry from"
	info "apt-get has no deb-src entry for qemu: adding $file (from $from, Types: deb-src) and running apt-get update"
	{
		echo "# Added by selftests/qemu-double.sh (Free Page Walk workbench): the"
		echo "# deb-src twin of $from, for apt-get source qemu. Safe to remove."
		sed -E 's/^Types:.*$/Types: deb-src/' "$from"
	} | $sudo tee "$file.tmp" >/dev/null
	$sudo mv "$file.tmp" "$file"
}

fetch_source() {
	if dsc_complete; then
		info "QEMU source $version: in ${cache#"$TOP"/}"
		return
	fi
	info "fetching QEMU source $version (apt-get source --download-only) into ${cache#"$TOP"/}"
	apt_source && dsc_complete && return
	if grep -q "deb-src" "$out/apt-source.log"; then
		# apt-get: "You must put some 'deb-src' URIs in your sources.list".
		# With a deb-src entry already (its index not fetched yet) an
		# update is enough; without one, add ours first.
		if ! have_deb_src; then
			add_deb_src
		else
			info "apt-get has a deb-src entry but no source index: running apt-get update"
		fi
		apt_locked $sudo apt-get update -q >"$out/apt-update.log" 2>&1 ||
			die "apt-get update failed (output: ${out#"$TOP"/}/apt-update.log)"
		apt_source && dsc_complete && return
	fi
	sed 's/^/  /' "$out/apt-source.log" >&2
	die "apt-get source --download-only qemu=$version failed (output above, in ${out#"$TOP"/}/apt-source.log); another version: FPW_QEMU_DOUBLE_VERSION"
}

fetch_source

# The configure flags (part of the stamp).
conf=(
	--target-list=x86_64-softmmu
	--disable-docs --disable-werror
	--disable-tools --disable-guest-agent --disable-user
	--disable-gtk --disable-sdl --disable-vnc --disable-opengl --disable-spice --disable-curses
	--meson=meson
	--with-git-submodules=ignore
	# Debian's: SeaBIOS, the option ROMs (linuxboot_dma.bin) and iPXE.
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
	"--with-pkgversion=Debian $version, fpw hint-drops-writes double"
)
if command -v ccache >/dev/null 2>&1; then
	conf+=("--cc=ccache gcc" "--host-cc=ccache gcc" "--cxx=ccache g++")
fi

# Debian's python3, not one earlier in PATH (configure's PYTHON; --python
# would need QEMU's embedded Meson, which Debian's source does not ship).
export PYTHON=/usr/bin/python3

hash=$( {
	echo "version $version"
	echo "PYTHON=$PYTHON"
	sha256sum <"$dsc"
	for patch_file in "${patch_files[@]}"; do
		sha256sum <"$patch_file"
	done
	printf '%s\n' "${conf[@]}"
} | sha256sum | cut -d' ' -f1)

if [ "$force" = 0 ] && [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
	info "QEMU double up to date (stamp ${hash:0:12}): ${bin#"$TOP"/}"
	echo "$bin"
	exit 0
fi

rm -f "$stamp" "$out/patch.log"
start=$SECONDS
info "extracting $(basename "$dsc") (dpkg-source -x) into ${src#"$TOP"/}"
rm -rf "$src" "$build"
dpkg-source -x "$dsc" "$src" >"$out/extract.log" 2>&1 ||
	{ tail -n 20 "$out/extract.log" >&2; die "dpkg-source -x $dsc failed (log: ${out#"$TOP"/}/extract.log)"; }
for patch_file in "${patch_files[@]}"; do
	info "applying ${patch_file#"$TOP"/}"
	patch -d "$src" -p1 --forward --batch <"$patch_file" >>"$out/patch.log" 2>&1 ||
		{ cat "$out/patch.log" >&2; die "${patch_file#"$TOP"/} does not apply to QEMU $version"; }
done

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=$TOP CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
mkdir -p "$build"
info "configuring in ${build#"$TOP"/}: ${conf[*]}"
(cd "$build" && nice -n 10 "$src/configure" "${conf[@]}") >"$out/configure.log" 2>&1 ||
	{ tail -n 30 "$out/configure.log" >&2; die "QEMU configure failed (log: ${out#"$TOP"/}/configure.log)"; }
info "building qemu-system-x86_64 with $jobs job(s) under nice -n 10 (log: ${out#"$TOP"/}/build.log; the first build takes a while)"
nice -n 10 ninja -C "$build" -j "$jobs" qemu-system-x86_64 >"$out/build.log" 2>&1 ||
	{ grep -E -B2 -A8 'error|FAILED' "$out/build.log" | tail -n 40 >&2; die "QEMU build failed (log: ${out#"$TOP"/}/build.log)"; }
[ -x "$build/qemu-system-x86_64" ] || die "the build made no ${build#"$TOP"/}/qemu-system-x86_64"
install -D -m 755 "$build/qemu-system-x86_64" "$bin"

# The double must run, carry the patch, and still have the devices and
# firmware the workbench's guests use.
"$bin" --version >"$out/version.txt" 2>&1 || die "${bin#"$TOP"/} --version failed: $(cat "$out/version.txt")"
grep -q "fpw hint-drops-writes double" "$out/version.txt" || die "${bin#"$TOP"/} --version does not name the double"
grep -aq FPW_QEMU_HINT_DROPS_WRITES "$bin" || die "${bin#"$TOP"/} lacks the patch (no FPW_QEMU_HINT_DROPS_WRITES in it)"
grep -aq FPW_QEMU_HINT_STALL "$bin" || die "${bin#"$TOP"/} lacks hint-stall.patch (no FPW_QEMU_HINT_STALL in it)"
"$bin" -device virtio-balloon-pci,help 2>&1 | grep -q free-page-hint ||
	die "${bin#"$TOP"/} has no virtio-balloon-pci with free-page-hint"
FPW_QEMU_HINT_DROPS_WRITES=1 "$bin" --version 2>&1 >/dev/null | grep -q '^fpw-double: FPW_QEMU_HINT_DROPS_WRITES=1' ||
	die "${bin#"$TOP"/} does not announce FPW_QEMU_HINT_DROPS_WRITES=1"
# The machine of the workbench's guests comes up (SeaBIOS found), with the
# balloon of selftests/lib/qemu.sh, and quits.
# shellcheck disable=SC2054 # the commas are QEMU's
smoke=("$bin" -machine pc -accel tcg -nodefaults -display none -S -monitor stdio
	-object iothread,id=io0 -device virtio-balloon-pci,free-page-hint=on,iothread=io0
	-object memory-backend-ram,id=dimm0,size=128M -m 512,slots=2,maxmem=1G
	-device pc-dimm,id=dimm0,memdev=dimm0)
echo quit | timeout 60 "${smoke[@]}" >"$out/smoke.log" 2>&1 ||
	{ cat "$out/smoke.log" >&2; die "${bin#"$TOP"/} does not start a pc machine: ${smoke[*]}"; }
echo "$hash" >"$stamp"
info "built the QEMU double in $((SECONDS - start)) s: $(head -n 1 "$out/version.txt")"
echo "$bin"
