# SPDX-License-Identifier: GPL-2.0
# Kernel builds of the workbench: one definition of the build environment,
# the make command, the packages a build needs, the check that a config
# fragment survived Kconfig, and the git worktrees other revisions are
# built in. Source it (after common.sh). selftests/build.sh, gates.sh and
# bench.sh build through these.
#
#   kbuild_env                  export the environment of every build
#   kbuild_pkgs [CROSS CC_PKG]  need_pkgs for a build (with the cross
#                               compiler CROSS gcc from Debian package
#                               CC_PKG)
#   kbuild_make SRC OUT KARCH [CROSS [llvm]]
#                               set KMAKE, the make command (an array) for
#                               source tree SRC and build folder OUT; with
#                               llvm, Debian's clang and LLVM tools
#                               (LLVM=1, KBUILD_LLVM_PKGS) instead of gcc
#   kbuild_lost SRC OUT FRAGMENT SRCARCH
#                               print the lines of FRAGMENT (CONFIG_X=y|m)
#                               that OUT/.config lost, as one line
#   kbuild_worktree REPO TREE REV
#                               make TREE a detached git worktree of REPO
#                               at REV, reset and clean; non-zero, with the
#                               reason on stderr, when that fails
#
# JOBS sets make -j (default: nproc).
# shellcheck shell=bash

# The Debian packages (need_pkgs CHECK:PKG) of any kernel build.
KBUILD_PKGS=(gcc:gcc make:make ccache:ccache flex:flex bison:bison bc:bc
	/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev
	cpio:cpio perl:perl depmod:kmod rsync:rsync git:git)

# One ccache for all clones of the project (CCACHE_BASEDIR makes the paths
# inside .work relative), and fixed build stamps so that the same source
# compiles to the same objects and ccache hits across fresh clones.
kbuild_env() {
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	export CCACHE_BASEDIR=$TOP
	export CCACHE_NOHASHDIR=1
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
	export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026"
	export KBUILD_BUILD_USER=workbench KBUILD_BUILD_HOST=workbench
}

kbuild_pkgs() {
	local extra=()
	[ -z "${1:-}" ] || extra=("${1}gcc:$2")
	need_pkgs "${KBUILD_PKGS[@]}" ${extra[@]+"${extra[@]}"}
}

# The Debian packages of a build with LLVM=1 (kbuild_make ... llvm).
# shellcheck disable=SC2034 # for the scripts that build with LLVM=1
KBUILD_LLVM_PKGS=(clang:clang ld.lld:lld llvm-ar:llvm)

KMAKE=()
kbuild_make() {
	local src=$1 out=$2 karch=$3 cross=${4:-} tools=${5:-gcc}
	case $tools in
	gcc)
		KMAKE=(make -s -C "$src" O="$out" ARCH="$karch" CC="ccache ${cross}gcc" HOSTCC="ccache gcc")
		[ -z "$cross" ] || KMAKE+=(CROSS_COMPILE="$cross")
		;;
	llvm)
		# clang cross-compiles with --target from ARCH; CROSS_COMPILE
		# is not needed.
		KMAKE=(make -s -C "$src" O="$out" ARCH="$karch" LLVM=1 CC="ccache clang" HOSTCC="ccache clang")
		;;
	*) die "kbuild_make: unknown toolchain '$tools' (gcc or llvm)" ;;
	esac
	KMAKE+=(-j"${JOBS:-$(nproc)}")
}

# Every line of the fragment must have survived Kconfig: a symbol that was
# silently dropped means the fragment no longer describes the kernel. A
# symbol given twice counts as its last line (a later fragment overrides).
# Symbols the tree does not define for this architecture (another
# architecture's, or the series' own when building the unpatched base for
# comparison) are left out of the check, with a note on stderr.
kbuild_lost() {
	local src=$1 out=$2 frag=$3 srcarch=$4 line sym files
	tac "$frag" | grep -E '^CONFIG_[A-Z0-9_]+=' | awk -F= '!seen[$1]++' |
		grep -E '^CONFIG_[A-Z0-9_]+=[ym]$' | LC_ALL=C sort | while read -r line; do
		grep -qx "$line" "$out/.config" && continue
		sym=${line%%=*}
		files=$(git -C "$src" grep -l -E "^[[:space:]]*(menu)?config ${sym#CONFIG_}[[:space:]]*$" -- '*Kconfig*' || true)
		[ -n "$files" ] || {
			info "$sym is not defined by this tree: left out"
			continue
		}
		# Defined only under another architecture's arch/ folder: not ours.
		grep -qvE '^arch/' <<<"$files" || grep -q "^arch/$srcarch/" <<<"$files" || continue
		echo "$line"
	done | tr '\n' ' ' | sed 's/ $//'
}

kbuild_worktree() {
	local repo=$1 tree=$2 rev=$3 commit common log
	commit=$(git -C "$repo" rev-parse -q --verify "$rev^{commit}" 2>/dev/null) || {
		echo "$repo has no commit $rev" >&2
		return 1
	}
	if ! common=$(git -C "$tree" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) ||
		! [ "$common" -ef "$repo/.git" ] ||
		! [ "$(git -C "$tree" rev-parse --show-toplevel 2>/dev/null)" -ef "$tree" ]; then
		info "making the worktree ${tree#"$TOP"/} of ${repo#"$TOP"/} at $rev"
		rm -rf "$tree"
		git -C "$repo" worktree prune
		log=$(git -C "$repo" worktree add -q --detach "$tree" "$commit" 2>&1) || {
			echo "git worktree add $tree failed: $log" >&2
			return 1
		}
	fi
	git -C "$tree" am --abort >/dev/null 2>&1
	log=$({ git -C "$tree" checkout -q -f --detach "$commit" && git -C "$tree" clean -q -fdx; } 2>&1) || {
		echo "cannot reset ${tree#"$TOP"/} to $rev: $log" >&2
		return 1
	}
}
