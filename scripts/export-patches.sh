#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Export the commits of the kernel tree back into patches/, one file per
# entry of ./series, in order, and the cover letter of the series as
# patches/0000-cover-letter.patch.
#
#   scripts/export-patches.sh [TREE [BASE]]
#   scripts/export-patches.sh -h    this help
#
# TREE defaults to .work/linux and BASE to its "base" tag. The commits in
# BASE..HEAD must be as many as the entries of ./series, and HEAD must be a
# branch (its description carries the cover letter). Each patch is a
# git format-patch mail "[PATCH v2 n/m]" (SERIES_VERSION of
# selftests/lib/series.sh) under the name ./series gives it. The cover
# letter, "[PATCH v2 0/m] SUBJECT", is git format-patch --cover-letter's:
# From: the patches' author (the placeholder of selftests/lib/series.sh),
# Date: the last commit's author date, subject and body from
# posting/cover-letter.txt (cover_text of selftests/lib/posting.sh: '#'
# lines dropped, "@bench@" replaced by the table of
# bench/results/latest.csv), then the shortlog and diffstat, then
# "base-commit: <BASE's full id>" (--base; with a cover letter git puts it
# there only, not in the patches). It is not in ./series: quilt and
# ./apply.sh take the patches only.
#
# FPW_COVER names another cover letter source than posting/cover-letter.txt.
#
# The output depends only on the commits' content, author, dates and
# message, the cover letter's source and the CSV: the same input gives
# byte-identical files (no commit ids but base's, no tool version
# signature).
set -eu -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/../selftests/lib/common.sh"
# shellcheck source=selftests/lib/series.sh
. "$TOP/selftests/lib/series.sh"
# shellcheck source=selftests/lib/posting.sh
. "$TOP/selftests/lib/posting.sh"

case "${1:-}" in
-h | --help) usage_exit 0 ;;
-*) usage_error "unknown option '$1'" ;;
esac
[ $# -le 2 ] || usage_error "unexpected argument '$3'"
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

branch=$(git -C "$tree" symbolic-ref -q --short HEAD) ||
	die "$tree: HEAD is detached; check out the branch of the series (series)"
base_id=$(git -C "$tree" rev-parse "$base^{commit}")
cover=$(cover_text "${FPW_COVER:-$POSTING_COVER}" "$POSTING_BENCH") || die "no cover letter: nothing was exported"
date=$(git -C "$tree" log -1 --format=%aD HEAD)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The cover letter's subject and body are the branch's description
# (--cover-from-description=subject: its first paragraph is the subject),
# given on the command line only; its From: and Date: are the committer's.
GIT_COMMITTER_NAME=$SERIES_AUTHOR_NAME GIT_COMMITTER_EMAIL=$SERIES_AUTHOR_EMAIL GIT_COMMITTER_DATE=$date \
	git -C "$tree" -c core.abbrev=12 -c diff.noprefix=false -c diff.mnemonicPrefix=false \
	-c diff.renames=true -c format.signature= -c format.coverLetter=false \
	-c "branch.$branch.description=$cover" \
	format-patch -q --zero-commit --no-signature --numbered --no-thread \
	--subject-prefix=PATCH -v "$SERIES_VERSION" --cover-letter --cover-from-description=subject \
	--base="$base_id" --abbrev=12 -o "$tmp" "$base..$branch"

mapfile -t files < <(find "$tmp" -name '*.patch' | LC_ALL=C sort)
[ "${#files[@]}" -eq $((n + 1)) ] || die "git format-patch wrote ${#files[@]} file(s), not a cover letter and $n patches"
case ${files[0]} in */v"$SERIES_VERSION"-0000-cover-letter.patch) ;; *) die "no cover letter from git format-patch" ;; esac
! grep -q '^\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "${files[0]}" ||
	die "git format-patch did not take the cover letter from the description of $branch"
grep -qx "base-commit: $base_id" "${files[0]}" || die "the cover letter has no base-commit: $base_id"

names=(0000-cover-letter.patch "${names[@]}")
i=0
for f in "${files[@]}"; do
	dst=$TOP/patches/${names[$i]}
	if [ -f "$dst" ] && cmp -s "$f" "$dst"; then
		echo "unchanged  patches/${names[$i]}"
	else
		cp "$f" "$dst"
		echo "written    patches/${names[$i]}"
	fi
	i=$((i + 1))
done
