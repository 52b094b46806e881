#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Export the commits of the kernel tree back into patches/, one file per
# entry of ./series, in order.
#
#   scripts/export-patches.sh [TREE [BASE]]
#   scripts/export-patches.sh -h    this help
#
# TREE defaults to .work/linux and BASE to its "base" tag. The commits in
# BASE..HEAD must be as many as the entries of ./series. The output depends
# only on the commits' content, author and message: the same commits give
# byte-identical files (no commit ids, no tool version signature).
set -eu -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/../selftests/lib/common.sh"
# shellcheck source=selftests/lib/series.sh
. "$TOP/selftests/lib/series.sh"

case "${1:-}" in
-h | --help) usage_exit 0 ;;
-*) usage_exit 2 ;;
esac
[ $# -le 2 ] || usage_exit 2
tree=${1:-$WORK/linux}
base=${2:-base}
git -C "$tree" rev-parse -q --verify "$base^{commit}" >/dev/null || die "$tree: no commit $base"

list=$(series_names "$TOP/series") || die "nothing was exported"
mapfile -t names <<<"$list"
n=$(git -C "$tree" rev-list --count "$base..HEAD")
[ "$n" -eq "${#names[@]}" ] ||
	die "$tree has $n commit(s) on top of $base but series lists ${#names[@]} patch(es)"
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "$tree has uncommitted changes: commit them first"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$tree" -c core.abbrev=12 -c diff.noprefix=false -c diff.mnemonicPrefix=false \
	-c diff.renames=true -c format.signature= -c format.coverLetter=false \
	format-patch -q --zero-commit --no-signature --numbered --no-thread \
	--subject-prefix=PATCH --abbrev=12 -o "$tmp" "$base..HEAD"

i=0
for f in "$tmp"/*.patch; do
	dst=$TOP/patches/${names[$i]}
	if [ -f "$dst" ] && cmp -s "$f" "$dst"; then
		echo "unchanged  patches/${names[$i]}"
	else
		cp "$f" "$dst"
		echo "written    patches/${names[$i]}"
	fi
	i=$((i + 1))
done
