#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the posting of the series (v2, to the lists and maintainers
# scripts/get_maintainer.pl names: linux-mm, virtualization, ...), signed
# off by whoever posts it. Nothing is sent.
#
#   scripts/prepare-posting.sh [-o DIR]
#   scripts/prepare-posting.sh -h    this help
#
#   -o DIR  where the posting goes (default .work/posting/v2); DIR is
#           replaced as a whole, and only once everything worked
#
# Needs ./apply.sh done (.work/linux with its base tag), b4 (Debian's;
# installed with apt-get when missing) and the poster's own git identity:
# git config user.name and user.email, from this repository's config, the
# global one or the environment (GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n,
# GIT_CONFIG_VALUE_n). The patches in patches/ carry a placeholder author
# on a reserved domain (SERIES_AUTHOR of selftests/lib/series.sh); the
# posting carries the poster instead, who signs off. An identity that is
# unset, not a name and an address, the placeholder or the workbench's
# committer identity is refused, and nothing is written. An address on a
# reserved domain (example.org, example.com, example.net) is accepted, for
# tests, and the summary says that such a posting cannot be sent.
#
# Steps, in a scratch clone of .work/linux (git clone --shared, removed
# at the end: .work/linux and its branches are not touched):
#   1. git am of patches/, in the order of ./series, onto base; each
#      commit then gets the poster as author (and committer) in place of
#      the placeholder, in its Signed-off-by: and in the files it changes
#      (the MAINTAINERS entry the first patch adds). No placeholder may be
#      left.
#   2. b4 prep -e base (b4 enrolls the branch: its cover letter commit
#      first), --force-revision 2, --edit-cover (the "editor" copies in
#      the cover letter: cover_text of selftests/lib/posting.sh, which
#      replaces @bench@ of posting/cover-letter.txt with the table of
#      bench/results/latest.csv, then the poster's Signed-off-by: as the
#      last paragraph, as b4's own cover template has it; b4 reads the
#      last paragraph as trailers and puts To: and Cc: there, so the
#      changelog above it stays as written), --auto-to-cc (b4 runs the
#      tree's scripts/get_maintainer.pl --nogit --norolestats on every
#      patch: To: the maintainers and reviewers, Cc: the lists), then
#      --show-info, which must say revision 2 and base-commit base.
#   3. b4 send -o (a dry run: b4 writes the messages it would send) with
#      --no-sign and --not-me-too (the poster is the sender, not a
#      recipient) and sendemail.smtpserver=localhost: without an SMTP
#      server in a kernel tree b4 0.12 takes its web endpoint, which
#      refuses messages without a patatt signature. A dry run connects to
#      nothing, and b4 adds its own headers (Message-Id, threading, To:,
#      Cc:, X-B4-Tracking) and dates the mails now.
# b4 0.12 does each of these steps offline (b4 --offline-mode), so git
# format-patch is not used here; it writes the repository's own
# patches/ (scripts/export-patches.sh).
#
# Output in DIR: 0000-cover-letter.patch and NNNN-NAME for the patches
# (NAME as in ./series), each b4's message unchanged, and v2.mbox, all
# six in order, each after a "From mboxrd@z ..." line (no line of a mail
# starts with "From ", so no line is quoted). On stdout a summary: where,
# the identity, To: and Cc:, base-commit. `git send-email DIR/0*.patch`
# (or b4 send from a b4 prep branch) sends it; nothing here does.
#
# Exit status: 0 when the posting was written, 1 (with the reason) when
# not, 2 for a bad option.
set -eu -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/../selftests/lib/common.sh"
# shellcheck source=selftests/lib/series.sh
. "$TOP/selftests/lib/series.sh"
# shellcheck source=selftests/lib/posting.sh
. "$TOP/selftests/lib/posting.sh"

dest=$WORK/posting/v$SERIES_VERSION
while getopts o:h opt; do
	case $opt in
	o) dest=$OPTARG ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1'"
[ -n "$dest" ] || usage_error "-o needs a folder"
case $dest in /*) ;; *) dest=$PWD/$dest ;; esac
# DIR is replaced: only a folder of an earlier posting (its mails and mbox).
if [ -e "$dest" ]; then
	{ [ -d "$dest" ] && [ -z "$(find "$dest" -mindepth 1 ! -name '[0-9][0-9][0-9][0-9]-*' ! -name '*.mbox' -print -quit)" ]; } ||
		die "$dest exists and is not a posting of this script: not replacing it"
fi

REPO=$WORK/linux
# The branch of the scratch clone, b4's series name.
BRANCH=free-page-walk

# ---- the poster -------------------------------------------------------------

name=$(git -C "$TOP" config user.name 2>/dev/null) || name=
email=$(git -C "$TOP" config user.email 2>/dev/null) || email=
{ [ -n "$name" ] && [ -n "$email" ]; } ||
	die "no git identity (user.name: '${name}', user.email: '${email}'): set your own with git config user.name and user.email; the posting is signed off by you"
case $name$email in
*[\<\>]* | *$'\n'*) die "git identity '$name <$email>': no '<', '>' or newline in user.name and user.email" ;;
esac
[[ $email =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:].]+$ ]] ||
	die "git user.email '$email' is not an address"
if [ "$name" = "$SERIES_AUTHOR_NAME" ] || [ "${email,,}" = "${SERIES_AUTHOR_EMAIL,,}" ]; then
	die "git identity '$name <$email>' is the placeholder author of the patches: set your own (git config user.name and user.email)"
fi
if [ "$name" = "$SERIES_IDENT_NAME" ] || [ "${email,,}" = "${SERIES_IDENT_EMAIL,,}" ]; then
	die "git identity '$name <$email>' is the workbench's committer identity, not a person: set your own"
fi
ident="$name <$email>"
reserved=
[[ ${email,,} =~ @(.+\.)?example\.(org|com|net)$ ]] && reserved=1

# ---- the input --------------------------------------------------------------

list=$(series_check "$TOP/series" "$TOP/patches") || die "the series cannot be read: nothing was written"
mapfile -t names <<<"$list"
count=${#names[@]}
base_id=$(git -C "$REPO" rev-parse -q --verify 'refs/tags/base^{commit}' 2>/dev/null) ||
	die "${REPO#"$TOP"/} has no base tag: run ./apply.sh first"
cover=$(cover_text "$POSTING_COVER" "$POSTING_BENCH") || die "no cover letter: nothing was written"
need_pkgs b4:b4 perl:perl python3:python3 git-filter-repo:git-filter-repo

mkdir -p "$WORK/posting"
exec 9>"$WORK/posting/.lock"
flock -n 9 || die "another ${0##*/} is running (lock: ${WORK#"$TOP"/}/posting/.lock)"
tmp=$(mktemp -d "$WORK/posting/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
S=$tmp/linux
LOG=$tmp/log

# cfg KEY VALUE: git configuration for every git (and b4) run from here on,
# through the environment: nothing is written into any config file.
cfg() {
	local n=${GIT_CONFIG_COUNT:-0}
	export "GIT_CONFIG_KEY_$n=$1" "GIT_CONFIG_VALUE_$n=$2" GIT_CONFIG_COUNT=$((n + 1))
}
# The scratch clone has no config of this repository: the identity given.
cfg user.name "$name"
cfg user.email "$email"
# Its commits are never published: no signing, no hooks of the poster's.
cfg commit.gpgSign false
cfg core.hooksPath /dev/null
cfg sendemail.smtpserver localhost
cfg b4.prep-cover-strategy commit
export EDITOR=false GIT_EDITOR=false

# run WHAT CMD...: CMD (output in LOG) or die naming WHAT, with its last lines.
run() {
	local what=$1
	shift
	echo "== $*" >>"$LOG"
	"$@" </dev/null >>"$LOG" 2>&1 || die "$what failed: $(grep -v '^[[:space:]]*$' "$LOG" | tail -n 3 | tr '\n' ' ')"
}
b4c() { (cd "$S" && b4 --offline-mode --no-interactive --no-stdin "$@"); }

# ---- 1. the series, signed off by the poster --------------------------------

info "scratch clone of ${REPO#"$TOP"/} at base (a checkout of the kernel tree)"
run "git clone" git clone -q --shared --no-checkout "$REPO" "$S"
run "git checkout of base" git -C "$S" checkout -q -b "$BRANCH" "$base_id"
info "git am of the $count patches, the placeholder author replaced by $ident"
for p in "${names[@]}"; do
	run "git am of patches/$p" git -C "$S" am -q --keep-cr "$TOP/patches/$p"
	mapfile -t files < <(git -C "$S" diff --name-only --no-renames HEAD~1 HEAD)
	for f in "${files[@]}"; do
		{ [ -f "$S/$f" ] && grep -qF "$SERIES_AUTHOR" "$S/$f"; } || continue
		OLD=$SERIES_AUTHOR NEW=$ident perl -pi -e 's/\Q$ENV{OLD}\E/$ENV{NEW}/g' "$S/$f"
		git -C "$S" add -- "$f"
	done
	git -C "$S" cat-file commit HEAD | sed '1,/^$/d' |
		OLD=$SERIES_AUTHOR NEW=$ident perl -pe 's/\Q$ENV{OLD}\E/$ENV{NEW}/g' >"$tmp/msg"
	run "re-authoring patches/$p" git -C "$S" commit -q --amend --allow-empty --cleanup=verbatim \
		-F "$tmp/msg" --author="$ident"
done
left=$({
	git -C "$S" log --format='%an <%ae>%n%cn <%ce>%n%B' "$base_id..HEAD"
	git -C "$S" diff "$base_id" HEAD
} | grep -n -F -e "$SERIES_AUTHOR_EMAIL" -e "$SERIES_AUTHOR_NAME" | head -n 1) || true
[ -z "$left" ] || die "the placeholder author is left in the series: $left"

# ---- 2. b4 prep: revision, cover letter, To/Cc ----------------------------------

printf '%s\n\nSigned-off-by: %s\n' "$cover" "$ident" >"$tmp/cover.txt"
cfg core.editor "cp -- '$tmp/cover.txt'"
info "b4 prep: enroll, revision $SERIES_VERSION, cover letter, To/Cc from scripts/get_maintainer.pl"
run "b4 prep -e base" b4c prep -e "$base_id"
run "b4 prep --force-revision" b4c prep --force-revision "$SERIES_VERSION"
run "b4 prep --edit-cover" b4c prep --edit-cover
run "b4 prep --auto-to-cc" b4c prep --auto-to-cc
b4c prep --show-info </dev/null >"$tmp/info" 2>>"$LOG" || die "b4 prep --show-info failed"
grep -qx "revision: $SERIES_VERSION" "$tmp/info" || die "b4 prep --show-info: not revision $SERIES_VERSION: $(grep '^revision' "$tmp/info")"
grep -qx "base-commit: $base_id" "$tmp/info" || die "b4 prep --show-info: not base-commit $base_id: $(grep '^base-commit' "$tmp/info")"
[ "$(grep -c '^commit-' "$tmp/info")" -eq "$count" ] || die "b4 prep --show-info: not $count commits"

# ---- 3. b4 send -o: the mails -------------------------------------------------------

info "b4 send -o (dry run: the messages are written, nothing is sent)"
run "b4 send -o" b4c send -o "$tmp/b4" --no-sign --not-me-too
mapfile -t mails < <(find "$tmp/b4" -maxdepth 1 -name '*.eml' | LC_ALL=C sort)
[ "${#mails[@]}" -eq $((count + 1)) ] || die "b4 send wrote ${#mails[@]} message(s), not a cover letter and $count patches"

out=$tmp/out
mkdir -p "$out"
summary=()
mbox=$out/v$SERIES_VERSION.mbox
: >"$mbox"
for i in "${!mails[@]}"; do
	m=${mails[i]}
	if [ "$i" -eq 0 ]; then file=0000-cover-letter.patch; else file=$(printf '%04d-%s' "$i" "${names[i - 1]}"); fi
	subject=$(awk '/^$/ { exit } /^Subject:/ { s = $0; on = 1; next } on && /^[ \t]/ { s = s $0; next } { on = 0 } END { print s }' "$m" |
		sed -e 's/^Subject: //' -e 's/[[:space:]]\+/ /g')
	case $subject in
	"[PATCH v$SERIES_VERSION $i/$count] "*) ;;
	*) die "b4's message $((i + 1)) is not [PATCH v$SERIES_VERSION $i/$count]: $subject" ;;
	esac
	! grep -q '^From ' "$m" || die "$file has a line starting with \"From \": the mbox would be ambiguous"
	cp "$m" "$out/$file"
	{
		echo "From mboxrd@z Thu Jan  1 00:00:00 1970"
		cat "$m"
		[ -z "$(tail -c 1 "$m")" ] || echo
	} >>"$mbox"
	summary+=("  $file  $subject")
done

# To and Cc of the cover letter, one address a line.
addrs() {
	python3 - "$1" "$2" <<'EOF'
import email, email.policy, email.utils, sys
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
for name, addr in email.utils.getaddresses([str(h) for h in msg.get_all(sys.argv[2], [])]):
    print(f'{name} <{addr}>' if name else addr)
EOF
}
mapfile -t to < <(addrs "$out/0000-cover-letter.patch" To)
mapfile -t cc < <(addrs "$out/0000-cover-letter.patch" Cc)
[ ${#to[@]} -gt 0 ] || die "the cover letter has no To: (scripts/get_maintainer.pl found nobody?)"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$out" "$dest"
trap - EXIT
rm -rf "$tmp"

shown=${dest#"$TOP"/}
echo "The posting of v$SERIES_VERSION, in $shown: ${#mails[@]} mails and v$SERIES_VERSION.mbox (nothing was sent)"
printf '%s\n' "${summary[@]}"
echo "From: and Signed-off-by: $ident (the placeholder $SERIES_AUTHOR replaced)"
[ -z "$reserved" ] || echo "  note: ${email#*@} is a reserved domain: a posting for tests, not one to send"
echo "To (maintainers and reviewers; scripts/get_maintainer.pl --nol, through b4 prep --auto-to-cc):"
printf '  %s\n' "${to[@]}"
echo "Cc (lists; scripts/get_maintainer.pl --nom):"
printf '  %s\n' "${cc[@]:-none}"
echo "base-commit: $base_id (tag base of ${REPO#"$TOP"/}: $(git -C "$REPO" log -1 --format=%s "$base_id"))"
echo "Written by b4 $(b4 --version 2>/dev/null) (prep, send -o --no-sign); send with: git send-email $shown/0*.patch"
