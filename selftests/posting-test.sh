#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The posting's gates: scripts/prepare-posting.sh run with a test identity,
# and what a maintainer's tools make of its mails. Each check is one result
# (selftests/lib/results.sh) named gate:posting:NAME.
#
#   selftests/posting-test.sh [-h]
#
#   gate:posting:prepare   scripts/prepare-posting.sh -o
#                          .work/posting-test/v2 with the identity "Test
#                          Poster <poster@example.net>" given through
#                          GIT_CONFIG_COUNT (no config file is written),
#                          exit status 0, a cover letter and a mail per
#                          patch of ./series and the mbox; this repository's
#                          config and .work/linux's branch series unchanged
#   gate:posting:checkpatch:MAIL
#                          scripts/checkpatch.pl --strict, run from inside a
#                          kernel tree at base, on each mail: no error, no
#                          warning, no check, except the types
#                          selftests/gates-exceptions.txt lists for the
#                          patch (selftests/lib/checkpatch.sh, as
#                          gate:checkpatch)
#   gate:posting:am        git am of the mbox onto base, in a worktree of
#                          .work/linux (.work/posting-test/linux): a commit
#                          per patch, and the tree is series' with the
#                          test identity in place of the placeholder author
#   gate:posting:b4-check  b4 am -m - (the mbox on stdin, offline) and its
#                          own checks: every patch of the series there
#                          ("Total patches: N", nothing missing), the
#                          base-commit known ("Base: using specified
#                          base-commit BASE"), no WARNING, ERROR or
#                          CRITICAL line
#   gate:posting:b4-am     git am of b4 am's mbox onto base: the same tree
#                          as gate:posting:am
#   gate:posting:identity  From: of every mail and Signed-off-by: of every
#                          patch are the test identity, and nobody else
#                          signs off
#   gate:posting:placeholder
#                          no mail and no line of the mbox names the
#                          placeholder author (SERIES_AUTHOR of
#                          selftests/lib/series.sh: its name or address)
#   gate:posting:subjects  the mails are "[PATCH v2 n/m]", n from 0 (the
#                          cover letter) to m, m the number of patches of
#                          ./series, in the order of their files and of the
#                          mbox
#   gate:posting:base-commit
#                          the cover letter has "base-commit: BASE", BASE
#                          the full id of .work/linux's tag base
#   gate:posting:review-ids
#                          review_check of selftests/lib/posting.sh on the
#                          cover letter: every ID of posting/review-ids has
#                          exactly one changelog line "ID: fixed|disputed|
#                          adopted", and the cover names no other ID. With
#                          FPW_REVIEW naming the review (markdown, its IDs
#                          opening bullet items in bold) also
#                          review_md_check: its IDs are those of
#                          posting/review-ids; without it the detail says
#                          that only the list in the repository was checked
#
# Each result that needs the posting (all but prepare) is a SKIP when
# gate:posting:prepare failed. Every check runs, whatever the others gave;
# the exit status is non-zero when one failed. Run on its own it starts a
# new result record and ends with the summary; run by selftests/run.sh
# (FPW_IN_RUN set) it adds to the run's record.
#
# Environment:
#   FPW_REVIEW   the review posting/review-ids lists the IDs of (markdown)
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/series.sh
. "$TOP/selftests/lib/series.sh"
# shellcheck source=selftests/lib/kbuild.sh
. "$TOP/selftests/lib/kbuild.sh"
# shellcheck source=selftests/lib/checkpatch.sh
. "$TOP/selftests/lib/checkpatch.sh"
# shellcheck source=selftests/lib/posting.sh
. "$TOP/selftests/lib/posting.sh"
help_only "$@"
cd "$TOP" || die "cannot cd to $TOP"

P=$WORK/posting-test
OUT=$P/v$SERIES_VERSION
TREE=$P/linux
LOGS=$P/logs
REPO=$WORK/linux
EXCEPTIONS=$TOP/selftests/gates-exceptions.txt
TEST_NAME="Test Poster"
TEST_EMAIL=poster@example.net
TEST_IDENT="$TEST_NAME <$TEST_EMAIL>"
mkdir -p "$LOGS"
exec 9>"$P/.lock"
flock -n 9 || die "another ${0##*/} is running (lock: ${P#"$TOP"/}/.lock)"
[ -n "${FPW_IN_RUN:-}" ] || results_reset
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rel() { echo "${1#"$TOP"/}"; }
# post PASS|FAIL NAME DETAIL: result gate:posting:NAME.
post() { result "$1" "gate:posting:$2" "$3"; }

# post_bad NAME DETAIL: gate:posting:NAME passes with DETAIL when the array
# bad is empty, and fails with its entries otherwise.
post_bad() {
	if [ ${#bad[@]} -eq 0 ]; then
		post PASS "$1" "$2"
	else
		post FAIL "$1" "$(printf '%s; ' "${bad[@]}" | sed 's/; $//')"
	fi
}

# finish: the end of the run, its summary when run on its own.
finish() {
	[ -n "${FPW_IN_RUN:-}" ] || { results_summary; exit; }
	exit $((RESULTS_FAILED > 0))
}

list=$(series_check "$TOP/series" "$TOP/patches" 2>&1) || {
	post FAIL prepare "the series cannot be read: $list"
	finish
}
mapfile -t NAMES <<<"$list"
COUNT=${#NAMES[@]}
BASE=$(git -C "$REPO" rev-parse -q --verify 'refs/tags/base^{commit}' 2>/dev/null) || BASE=
SERIES=$(git -C "$REPO" rev-parse -q --verify 'refs/heads/series^{commit}' 2>/dev/null) || SERIES=

# ---- gate:posting:prepare ---------------------------------------------------

# state: what the posting must not change: this repository's config and
# .work/linux's branch series.
state() {
	local cfgfile
	cfgfile=$(git -C "$TOP" rev-parse --path-format=absolute --git-path config 2>/dev/null) || cfgfile=
	{ [ -z "$cfgfile" ] || sha1sum <"$cfgfile"; } 2>/dev/null
	echo "series $SERIES"
}

MAILS=()
OK=
if [ -z "$BASE" ] || [ -z "$SERIES" ]; then
	post FAIL prepare "$(rel "$REPO") has no tag base or branch series: run ./apply.sh"
else
	before=$(state)
	n=${GIT_CONFIG_COUNT:-0}
	if (
		export "GIT_CONFIG_KEY_$n=user.name" "GIT_CONFIG_VALUE_$n=$TEST_NAME"
		export "GIT_CONFIG_KEY_$((n + 1))=user.email" "GIT_CONFIG_VALUE_$((n + 1))=$TEST_EMAIL"
		export GIT_CONFIG_COUNT=$((n + 2))
		"$TOP/scripts/prepare-posting.sh" -o "$OUT"
	) >"$LOGS/prepare.log" 2>&1; then
		mapfile -t MAILS < <(find "$OUT" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*' | LC_ALL=C sort)
		MBOX=$OUT/v$SERIES_VERSION.mbox
		after=$(state)
		if [ ${#MAILS[@]} -ne $((COUNT + 1)) ] || [ ! -s "$MBOX" ]; then
			post FAIL prepare "$(rel "$OUT") has ${#MAILS[@]} mail(s) (not $((COUNT + 1)))$([ -s "$MBOX" ] || echo " and no mbox") (log: $(rel "$LOGS")/prepare.log)"
		elif [ "${MAILS[0]##*/}" != 0000-cover-letter.patch ]; then
			post FAIL prepare "the first mail is ${MAILS[0]##*/}, not 0000-cover-letter.patch"
		elif [ "$before" != "$after" ]; then
			post FAIL prepare "the repository's config or $(rel "$REPO")'s branch series changed"
		else
			OK=1
			post PASS prepare "$TEST_IDENT: ${#MAILS[@]} mails and $(rel "$MBOX") in $(rel "$OUT"); $(grep -c '^  [^ ]' "$LOGS/prepare.log") lines of summary; the repository's config and series untouched"
		fi
	else
		post FAIL prepare "scripts/prepare-posting.sh failed: $(grep -m1 'error:' "$LOGS/prepare.log" || tail -n 1 "$LOGS/prepare.log") (log: $(rel "$LOGS")/prepare.log)"
	fi
fi
if [ -z "$OK" ]; then
	for g in checkpatch am b4-check b4-am identity placeholder subjects base-commit review-ids; do
		result SKIP "gate:posting:$g" "gate:posting:prepare failed"
	done
	finish
fi

# ---- mail helpers -------------------------------------------------------------

# person TEXT: a "Name <address>" decoded (RFC 2047), quotes dropped,
# blanks squeezed.
person() {
	/usr/bin/python3 -c 'import sys, email.header as h, email.utils as u
n, a = u.parseaddr(str(h.make_header(h.decode_header(sys.argv[1]))))
print(f"{n} <{a}>")' "$1"
}

# mail_name FILE: the name of a mail's patch in ./series (NNNN-NAME).
mail_name() {
	local b=${1##*/}
	echo "${b#[0-9][0-9][0-9][0-9]-}"
}

# ---- gate:posting:checkpatch:MAIL -----------------------------------------------

TREE_OK=
if kbuild_worktree "$REPO" "$TREE" base 2>"$LOGS/worktree.log"; then
	TREE_OK=1
else
	TREE_MSG=$(grep -v '^== ' "$LOGS/worktree.log" | head -n 1)
fi
for m in "${MAILS[@]}"; do
	b=${m##*/}
	if [ -z "$TREE_OK" ]; then
		post FAIL "checkpatch:$b" "no kernel tree at base: $TREE_MSG"
	elif checkpatch_run "$TREE" "$EXCEPTIONS" "$(mail_name "$m")" "$m" "$LOGS/checkpatch-$b.log"; then
		post PASS "checkpatch:$b" "$CP_MSG"
	else
		post FAIL "checkpatch:$b" "$CP_MSG (log: $(rel "$LOGS")/checkpatch-$b.log)"
	fi
done

# ---- gate:posting:am, b4-check, b4-am -------------------------------------------

# expected_tree: the tree of series with the test identity in place of the
# placeholder: series' tree, with each file of the series that names the
# placeholder rewritten (in a temporary index).
expected_tree() {
	local idx=$tmp/index f blob changed=()
	GIT_INDEX_FILE=$idx git -C "$REPO" read-tree "$SERIES" || return 1
	mapfile -t changed < <(git -C "$REPO" diff --name-only "$BASE" "$SERIES")
	while IFS= read -r f; do
		blob=$(git -C "$REPO" show "$SERIES:$f" |
			OLD=$SERIES_AUTHOR NEW=$TEST_IDENT perl -pe 's/\Q$ENV{OLD}\E/$ENV{NEW}/g' |
			git -C "$REPO" hash-object -w --stdin) || return 1
		GIT_INDEX_FILE=$idx git -C "$REPO" update-index --cacheinfo "$(git -C "$REPO" ls-tree "$SERIES" -- "$f" | cut -d' ' -f1),$blob,$f" || return 1
	done < <(git -C "$REPO" grep -l -F "$SERIES_AUTHOR" "$SERIES" -- "${changed[@]}" | sed "s|^$SERIES:||")
	GIT_INDEX_FILE=$idx git -C "$REPO" write-tree
}

# am_check NAME MBOX WHAT: git am of MBOX onto base in TREE; the result
# gate:posting:NAME.
am_check() {
	local name=$1 mbox=$2 what=$3 log=$LOGS/$1.log n got skipped=''
	if [ -z "$TREE_OK" ]; then
		post FAIL "$name" "no kernel tree at base: $TREE_MSG"
		return
	fi
	git -C "$TREE" am --abort >/dev/null 2>&1
	git -C "$TREE" checkout -q -f --detach "$BASE" && git -C "$TREE" clean -q -fdx
	if ! git -C "$TREE" -c user.name="$TEST_NAME" -c user.email="$TEST_EMAIL" am -q "$mbox" >"$log" 2>&1; then
		# git am stops at a mail without a patch: the cover letter, the
		# first mail of the mbox, is skipped (as a maintainer does), and
		# nothing else.
		local d
		d=$(git -C "$TREE" rev-parse --path-format=absolute --git-path rebase-apply)
		if [ "$(cat "$d/next" 2>/dev/null)" = 1 ] && [[ $(mail_header "$d/0001" Subject) == "[PATCH v$SERIES_VERSION 0/$COUNT] "* ]] &&
			! grep -q '^diff --git ' "$d/0001" &&
			git -C "$TREE" -c user.name="$TEST_NAME" -c user.email="$TEST_EMAIL" am -q --skip >>"$log" 2>&1; then
			skipped=", the cover letter skipped"
		else
			git -C "$TREE" am --abort >/dev/null 2>&1
			post FAIL "$name" "git am of $what onto base failed: $(grep -m1 -iE 'error|patch failed|does not apply' "$log" || tail -n 1 "$log") (log: $(rel "$log"))"
			return
		fi
	fi
	n=$(git -C "$TREE" rev-list --count "$BASE..HEAD")
	got=$(git -C "$TREE" rev-parse 'HEAD^{tree}')
	if [ "$n" -ne "$COUNT" ]; then
		post FAIL "$name" "git am of $what made $n commit(s), not $COUNT"
	elif [ "$got" != "$EXPECTED" ]; then
		post FAIL "$name" "git am of $what onto base: tree ${got:0:12} is not series' with the test identity (${EXPECTED:0:12}): $(git -C "$TREE" diff --stat "$EXPECTED" HEAD | tail -n 1)"
	else
		post PASS "$name" "git am of $what$skipped: $n commits onto base ${BASE:0:12}, tree ${got:0:12} = series' with $TEST_IDENT in place of the placeholder"
	fi
}

EXPECTED=$(expected_tree 2>"$LOGS/expected.log") || EXPECTED=
if [ -z "$EXPECTED" ]; then
	post FAIL am "cannot make the expected tree: $(head -n 1 "$LOGS/expected.log")"
else
	am_check am "$MBOX" "$(rel "$MBOX")"
fi

rm -rf "$P/b4am"
mkdir -p "$P/b4am"
# b4 am runs in the worktree, where base is known (b4 checks the
# base-commit: against the repository it runs in). b4 0.12 reads an mbox
# file (-m FILE) with Python's compat32 parser, which keeps the folding of
# a long Subject: and then fails ("Header values may not contain
# linefeed"); from stdin (-m -) it splits the mbox with git mailsplit.
b4dir=$TREE
[ -n "$TREE_OK" ] || b4dir=$P
if (cd "$b4dir" && b4 --offline-mode --no-interactive am -m - -o "$P/b4am") <"$MBOX" >"$LOGS/b4-am.log" 2>&1; then
	bad=()
	grep -qx "Total patches: $COUNT" "$LOGS/b4-am.log" || bad+=("no \"Total patches: $COUNT\"")
	grep -q "Base: using specified base-commit $BASE\$" "$LOGS/b4-am.log" ||
		bad+=("not \"Base: using specified base-commit $BASE\" ($(grep -m1 'Base:' "$LOGS/b4-am.log" | sed 's/^ *//'))")
	w=$(grep -m1 -E 'WARNING|ERROR|CRITICAL|[Mm]issing|incomplete' "$LOGS/b4-am.log" | sed 's/^ *//')
	[ -z "$w" ] || bad+=("$w")
	mapfile -t mbx < <(find "$P/b4am" -name '*.mbx')
	[ ${#mbx[@]} -eq 1 ] || bad+=("${#mbx[@]} am-ready mbox(es) written, not 1")
	if [ ${#bad[@]} -eq 0 ]; then
		post PASS b4-check "b4 $(b4 --version) am -m -: Total patches: $COUNT; base-commit ${BASE:0:12} known; no warning (log: $(rel "$LOGS")/b4-am.log)"
	else
		post FAIL b4-check "b4 am: $(printf '%s; ' "${bad[@]}" | sed 's/; $//') (log: $(rel "$LOGS")/b4-am.log)"
	fi
	if [ ${#mbx[@]} -ne 1 ]; then
		post FAIL b4-am "b4 am wrote ${#mbx[@]} am-ready mbox(es), not 1"
	elif [ -z "$EXPECTED" ]; then
		post FAIL b4-am "cannot make the expected tree: $(head -n 1 "$LOGS/expected.log")"
	else
		am_check b4-am "${mbx[0]}" "b4 am's $(rel "${mbx[0]}")"
	fi
else
	post FAIL b4-check "b4 am -m - failed: $(grep -v '^[[:space:]]*$' "$LOGS/b4-am.log" | tail -n 1) (log: $(rel "$LOGS")/b4-am.log)"
	post FAIL b4-am "b4 am -m - failed"
fi

# ---- gate:posting:identity, placeholder --------------------------------------------

bad=()
for m in "${MAILS[@]}"; do
	b=${m##*/}
	from=$(person "$(mail_header "$m" From)")
	[ "$from" = "$TEST_IDENT" ] || bad+=("$b: From: $from")
	[ "$b" != 0000-cover-letter.patch ] || continue
	mapfile -t sob < <(awk '!b { if ($0 == "") b = 1; next } /^---$/ { exit } { print }' "$m" | sed -n 's/^Signed-off-by:[[:space:]]*//p')
	[ ${#sob[@]} -gt 0 ] || bad+=("$b: no Signed-off-by:")
	for s in "${sob[@]}"; do
		s=$(person "$s")
		[ "$s" = "$TEST_IDENT" ] || bad+=("$b: Signed-off-by: $s")
	done
done
post_bad identity "From: of the ${#MAILS[@]} mails and Signed-off-by: of the $COUNT patches: $TEST_IDENT only"

left=$(grep -n -F -e "$SERIES_AUTHOR_NAME" -e "$SERIES_AUTHOR_EMAIL" "${MAILS[@]}" "$MBOX" | head -n 1)
if [ -z "$left" ]; then
	post PASS placeholder "no mail names $SERIES_AUTHOR (neither the name nor the address)"
else
	post FAIL placeholder "the placeholder is left: $(rel "$left")"
fi

# ---- gate:posting:subjects, base-commit ------------------------------------------------

bad=()
i=0
prefix="PATCH v$SERIES_VERSION"
for m in "${MAILS[@]}"; do
	s=$(mail_header "$m" Subject)
	re="^\\[$prefix ([0-9]+)/([0-9]+)\\] [^ ]"
	if ! [[ $s =~ $re ]]; then
		bad+=("${m##*/}: not \"[$prefix n/m] ...\": $s")
	elif [ "${BASH_REMATCH[1]}" -ne "$i" ] || [ "${BASH_REMATCH[2]}" -ne "$COUNT" ]; then
		bad+=("${m##*/}: ${BASH_REMATCH[1]}/${BASH_REMATCH[2]}, not $i/$COUNT")
	fi
	i=$((i + 1))
done
# The mbox has the same mails in the same order.
mapfile -t msub < <(awk '
	/^From mboxrd@z / { h = 1; s = ""; next }
	h && /^$/ { print s; h = 0; next }
	h && /^Subject:/ { s = $0; on = 1; next }
	h && on && /^[ \t]/ { s = s $0; next }
	h { on = 0 }' "$MBOX" | sed -e 's/^Subject: //' -e 's/[[:space:]]\+/ /g')
[ ${#msub[@]} -eq ${#MAILS[@]} ] || bad+=("the mbox has ${#msub[@]} mails, not ${#MAILS[@]}")
for i in "${!MAILS[@]}"; do
	[ "${msub[i]:-}" = "$(mail_header "${MAILS[i]}" Subject | sed 's/[[:space:]]\+/ /g')" ] || {
		bad+=("mail $((i + 1)) of the mbox is not ${MAILS[i]##*/}")
		break
	}
done
post_bad subjects "[$prefix 0/$COUNT] to [$prefix $COUNT/$COUNT], in the order of the files and of the mbox"

COVER=${MAILS[0]}
bc=$(sed -n 's/^base-commit: *//p' "$COVER")
if [ "$bc" = "$BASE" ]; then
	post PASS base-commit "base-commit: $BASE (tag base of $(rel "$REPO"))"
else
	post FAIL base-commit "the cover letter's base-commit is '${bc:-none}', not $BASE (tag base of $(rel "$REPO"))"
fi

# ---- gate:posting:review-ids ---------------------------------------------------------------

if got=$(review_check "$POSTING_IDS" "$COVER" 2>&1); then
	ok=1
else
	ok=
fi
msg="$(rel "$COVER"): $(printf '%s\n' "$got" | tail -n 1 | sed "s|$TOP/||g")"
[ -n "$ok" ] || msg+=" | $(printf '%s\n' "$got" | sed '$d' | head -n 3 | sed "s|$TOP/||g" | paste -sd ';')"
if [ -z "${FPW_REVIEW:-}" ]; then
	msg+="; FPW_REVIEW not set: the IDs of $(rel "$POSTING_IDS") were not compared with the review's"
elif got=$(review_md_check "$POSTING_IDS" "$FPW_REVIEW" 2>&1); then
	msg+="; FPW_REVIEW: $(printf '%s\n' "$got" | tail -n 1 | sed "s|$TOP/||g")"
else
	ok=
	msg+="; FPW_REVIEW: $(printf '%s\n' "$got" | sed "s|$TOP/||g" | tail -n 4 | paste -sd ';')"
fi
if [ -n "$ok" ]; then post PASS review-ids "$msg"; else post FAIL review-ids "$msg"; fi

finish
