#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Apply the patch series (see ./series) to a Linux 6.12.y tree.
#
#   ./apply.sh            prepare .work/linux from Debian's linux-source-6.12
#                         package (installed with apt-get when missing) as a
#                         git repository with one base commit, then git am
#                         every patch listed in ./series, in order.
#   ./apply.sh PATH       apply the series on top of the kernel git tree PATH.
#   ./apply.sh -h         this help
#
# Re-running is cheap: the extracted base is reused, reset to the base commit
# and the series applied again. A series that names a missing patch, or a
# malformed ./series, changes nothing.
set -eu -o pipefail

top=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=selftests/lib/common.sh
. "$top/selftests/lib/common.sh"
# shellcheck source=selftests/lib/series.sh
. "$top/selftests/lib/series.sh"

# is_kernel_tree DIR: the top of a Linux source tree?
is_kernel_tree() {
	[ -f "$1/Makefile" ] && [ -f "$1/Kconfig" ] && [ -f "$1/mm/page_alloc.c" ] &&
		[ -f "$1/scripts/checkpatch.pl" ] && grep -q '^VERSION = ' "$1/Makefile"
}

kernel_version() {
	make -s -C "$1" kernelversion 2>/dev/null ||
		awk '/^VERSION =/{v=$3} /^PATCHLEVEL =/{p=$3} /^SUBLEVEL =/{s=$3}
		     END{print v "." p "." s}' "$1/Makefile"
}

# prepare_base: extract the Debian source package into $WORK/linux as a git
# repository whose single commit (tagged "base") is the pristine tree.
prepare_base() {
	local tarball=/usr/src/linux-source-6.12.tar.xz tree=$WORK/linux stamp

	need_pkgs git:git xz:xz-utils
	[ -f "$tarball" ] || install_pkgs linux-source-6.12
	[ -f "$tarball" ] || die "linux-source-6.12 is installed but $tarball is missing"

	# The stamp names the tarball the base was made from: a new package
	# version makes a new base.
	stamp="base-v2 $(stat -c '%s %Y' "$tarball") $(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)"
	if [ -d "$tree/.git" ] && [ "$(cat "$WORK/linux.stamp" 2>/dev/null)" = "$stamp" ] &&
	   git -C "$tree" rev-parse -q --verify refs/tags/base >/dev/null; then
		info "reusing the base tree in ${tree#"$top"/}"
		# Re-applying resets the tree: never throw away edits that were
		# not committed (and exported with scripts/export-patches.sh).
		[ -n "${FPW_APPLY_FORCE:-}" ] ||
			[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
			die "${tree#"$top"/} has uncommitted changes; commit and export them (scripts/export-patches.sh) or set FPW_APPLY_FORCE=1 to discard them"
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		git -C "$tree" checkout -q -f -B series base
		git -C "$tree" clean -q -fdx
		return
	fi

	info "extracting $tarball into ${tree#"$top"/} (about a minute)"
	rm -rf "$tree" "$WORK/linux.stamp"
	mkdir -p "$tree"
	tar -xf "$tarball" -C "$tree" --strip-components=1
	# Debian appends "/*" (ignore everything at the top level) to the
	# top-level .gitignore, which would hide every new file a patch adds
	# from git: drop that block so the base ignores what upstream ignores.
	# The tarball is pristine source, so everything is added with -f (its
	# .gitignore also lacks upstream's "!.gitignore"-style exceptions).
	(
		cd "$tree"
		sed -i '/^# Debian packaging: ignore everything at the top level/,$d' .gitignore
		sed -i '${/^#$/d}' .gitignore
		git init -q -b series
		git config user.name "$SERIES_IDENT_NAME"
		git config user.email "$SERIES_IDENT_EMAIL"
		git config core.abbrev 12
		git add -A -f .
		# Fixed dates make the base commit id depend on the tree only.
		GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
			git commit -q -m "Linux $(kernel_version .) (Debian linux-source-6.12)" \
				-m "Debian's \"ignore everything at the top level\" block is dropped from .gitignore."
		git tag base
	)
	echo "$stamp" >"$WORK/linux.stamp"
}

# check_user_tree DIR: refuse anything that is not a clean kernel git tree.
check_user_tree() {
	local dir=$1
	[ -d "$dir" ] || die "$dir: no such directory"
	is_kernel_tree "$dir" || die "$dir: not a Linux kernel source tree (no Makefile/Kconfig/mm/page_alloc.c at its top)"
	git -C "$dir" rev-parse --git-dir >/dev/null 2>&1 || die "$dir: not a git repository (the series is applied with git am)"
	[ "$(git -C "$dir" rev-parse --show-toplevel)" = "$(cd "$dir" && pwd -P)" ] ||
		die "$dir: not the top of its git repository"
	local gd
	gd=$(git -C "$dir" rev-parse --absolute-git-dir)
	if [ -d "$gd/rebase-apply" ] || [ -d "$gd/rebase-merge" ]; then
		die "$dir: a git am or rebase is in progress; finish or abort it first"
	fi
	[ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ] ||
		die "$dir: has uncommitted changes; commit or stash them first (nothing was changed)"
}

# apply_series DIR: git am every patch of ./series, in order.
apply_series() {
	local dir=$1 p n=0 start log names
	names=$(series_check "$top/series" "$top/patches") || die "nothing was applied"
	start=$(git -C "$dir" rev-parse HEAD)
	log=$(mktemp)
	trap 'rm -f "$log"' RETURN
	while IFS= read -r p; do
		if ! series_git "$dir" am -q --keep-cr "$top/patches/$p" >"$log" 2>&1; then
			echo "apply.sh: patches/$p does not apply to $(git -C "$dir" log -1 --format='%h (%s)' HEAD):" >&2
			sed 's/^/    /' "$log" >&2
			git -C "$dir" am --abort >/dev/null 2>&1 || true
			git -C "$dir" reset -q --hard HEAD
			echo "apply.sh: git am aborted; $dir is clean at $(git -C "$dir" log -1 --format=%h HEAD)" \
			     "($n of the series applied on top of ${start:0:12})." >&2
			exit 1
		fi
		n=$((n + 1))
	done <<<"$names"
	echo "$n"
}

case "${1:-}" in
-h | --help) usage_exit 0 ;;
-*) usage_error "unknown option '$1'" ;;
esac
[ $# -le 1 ] || usage_error "unexpected argument '$2'"

if [ $# -eq 1 ]; then
	tree=$(cd "$1" 2>/dev/null && pwd) || die "$1: no such directory"
	check_user_tree "$tree"
	base=$(git -C "$tree" rev-parse HEAD)
else
	mkdir -p "$WORK"
	prepare_base
	tree=$WORK/linux
	base=$(git -C "$tree" rev-parse base)
fi

n=$(apply_series "$tree")
echo "Base: Linux $(kernel_version "$tree") at ${base:0:12} in $tree"
echo "Applied $n patch(es):"
git -C "$tree" log --reverse --format='  %h %s' "$base..HEAD"
