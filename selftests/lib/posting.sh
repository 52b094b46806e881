# SPDX-License-Identifier: GPL-2.0
# The posting of the series: its cover letter, made from
# posting/cover-letter.txt, and the check of the cover's changelog against
# the IDs of the review it answers. Source it (after common.sh and
# series.sh; it sources bench.sh and bench-report.sh for the cover's
# table). scripts/export-patches.sh, scripts/prepare-posting.sh and
# selftests/posting-test.sh use these; selftests/harness-test.sh checks
# the review functions on the fixtures of selftests/harness-test/review/.
#
#   POSTING_COVER    the cover letter's source, posting/cover-letter.txt
#   POSTING_IDS      the review's IDs, posting/review-ids
#   POSTING_BENCH    the CSV of the cover's table, bench/results/latest.csv
#
#   cover_text [SOURCE [CSV]]
#                    the cover letter of SOURCE (POSTING_COVER): its lines
#                    without those starting with '#', each "@bench@" line
#                    replaced by the benchmark table of CSV (POSTING_BENCH;
#                    bench_text, selftests/bench.sh report -t), trailing
#                    blank lines dropped. The first line is the subject
#                    (without "[PATCH ...]"), the second is blank, the body
#                    follows. Non-zero, with the reason on stderr, for a
#                    source without subject, blank line or body, a subject
#                    that has a "[PATCH" prefix, an "@bench@" that is not a
#                    line of its own, or a table that cannot be made
#   review_ids FILE  the IDs of a review-ids file (the first field of each
#                    line that is neither blank nor a '#' comment), one a
#                    line; non-zero, with the reason, for an ID that is not
#                    a capital letter and a number (H1, M8), an ID listed
#                    twice or no ID at all
#   review_md_ids FILE
#                    the IDs of a review in markdown: those that open a
#                    bullet item in bold ("- **H1 title.**", "- **M8**"),
#                    sorted, one a line
#   review_check IDS COVER
#                    the changelog of COVER (a cover letter: its source
#                    text, or a mail, whose headers are skipped) against
#                    the IDs of the review-ids file IDS. A changelog line
#                    starts with an ID, a colon and a blank; each ID of IDS
#                    must have exactly one line matching
#                    "^ID: (fixed|disputed|adopted)\b", and COVER may name
#                    no other ID (a changelog line of one, or a word made
#                    of a letter the IDs use and a number, anywhere). Prints
#                    a line per problem, then "ok: ..." or "FAIL: ...";
#                    non-zero when there is a problem
#   review_md_check IDS MD
#                    the IDs of the review MD (review_md_ids) against those
#                    of IDS: a line per ID only one of them has, then
#                    "ok: ..." or "FAIL: ..."; non-zero when they differ
# shellcheck shell=bash

# The benchmark's libs are written for set -u: sourced without errexit.
posting_errexit=${-//[^e]/}
set +e
# shellcheck source=selftests/lib/bench.sh
. "$TOP/selftests/lib/bench.sh"
# shellcheck source=selftests/lib/bench-report.sh
. "$TOP/selftests/lib/bench-report.sh"
[ -z "$posting_errexit" ] || set -e
unset posting_errexit

# shellcheck disable=SC2034 # for the scripts that source this file
{
	POSTING_COVER=$TOP/posting/cover-letter.txt
	POSTING_IDS=$TOP/posting/review-ids
	POSTING_BENCH=$TOP/bench/results/latest.csv
}

cover_text() {
	local src=${1:-$POSTING_COVER} csv=${2:-$POSTING_BENCH} text table='' subject
	[ -f "$src" ] || {
		echo "no cover letter source $src" >&2
		return 1
	}
	text=$(grep -v '^#' "$src" | sed -e 's/[[:space:]]*$//') || true
	subject=$(sed -n 1p <<<"$text")
	if [ -z "$subject" ]; then
		echo "$src: the first line (after the '#' lines) must be the subject" >&2
		return 1
	fi
	case $subject in
	\[*)
		echo "$src: the subject starts with a [...] prefix; the \"[PATCH v$SERIES_VERSION 0/N]\" is added" >&2
		return 1
		;;
	esac
	if [ -n "$(sed -n 2p <<<"$text")" ] || [ -z "$(sed -n '3,$p' <<<"$text" | tr -d '[:space:]')" ]; then
		echo "$src: the subject must be followed by a blank line and the body" >&2
		return 1
	fi
	if grep -v -x '@bench@' <<<"$text" | grep -q '@bench@'; then
		echo "$src: \"@bench@\" must be a line of its own" >&2
		return 1
	fi
	if grep -qx '@bench@' <<<"$text"; then
		table=$(bench_text "$csv") || {
			echo "$src: no benchmark table from $csv" >&2
			return 1
		}
	fi
	TABLE=$table awk '$0 == "@bench@" { print ENVIRON["TABLE"]; next } { print }' <<<"$text" |
		awk '{ l[NR] = $0 } $0 != "" { last = NR } END { for (i = 1; i <= last; i++) print l[i] }'
}

review_ids() {
	awk '
		/^[ \t]*(#|$)/ { next }
		{
			id = $1
			if (id !~ /^[A-Z][0-9]+$/) { print FILENAME ":" FNR ": \"" id "\" is not an ID (a capital letter and a number)" > "/dev/stderr"; bad = 1; exit 1 }
			if (id in seen) { print FILENAME ":" FNR ": " id " is listed twice (first on line " seen[id] ")" > "/dev/stderr"; bad = 1; exit 1 }
			seen[id] = FNR; print id; n++
		}
		END { if (!bad && !n) { print FILENAME ": no ID" > "/dev/stderr"; exit 1 } }' "$1"
}

review_md_ids() {
	[ -f "$1" ] || {
		echo "no review $1" >&2
		return 1
	}
	sed -n -E 's/^[[:space:]]*[-*+][[:space:]]+\*\*([A-Z][0-9]+)([^A-Za-z0-9_].*)?$/\1/p' "$1" | LC_ALL=C sort -u
}

review_check() {
	local ids=$1 cover=$2 list mail=0
	list=$(review_ids "$ids") || return 1
	[ -f "$cover" ] || {
		echo "FAIL: no cover $cover"
		return 1
	}
	# A mail: an mbox "From " line first, or a Subject: header in the first
	# paragraph.
	if head -n 1 "$cover" | grep -q '^From ' ||
		awk '/^$/ { exit } /^Subject: / { f = 1 } END { exit !f }' "$cover"; then
		mail=1
	fi
	LIST=$list awk -v mail="$mail" -v idsname="$ids" '
		BEGIN {
			n = split(ENVIRON["LIST"], order, "\n")
			for (i = 1; i <= n; i++) { known[order[i]] = 1; letters[substr(order[i], 1, 1)] = 1 }
			for (c in letters) L = L c
			word = "[" L "][0-9]+"
			nb = "[^A-Za-z0-9_]"
		}
		mail && !body { if ($0 == "" || $0 == "\r") body = 1; next }
		{
			sub(/\r$/, "")
			# A changelog line: "ID: ..."
			if (match($0, /^[A-Z][0-9]+: /)) {
				id = substr($0, 1, RLENGTH - 2)
				rest = substr($0, RLENGTH + 1)
				if (!(id in known)) {
					problem("unknown " id ": line " FNR ": a changelog line of an ID that " idsname " does not list")
					said[id] = 1
				} else if (match(rest, "^(fixed|disputed|adopted)(" nb "|$)")) {
					verb = rest; sub(nb ".*", "", verb)
					count[id]++; at[id] = at[id] (at[id] == "" ? "" : ", ") FNR
					if (count[id] == 1) verbs[verb]++
				} else {
					problem("no answer " id ": line " FNR ": \"" id ": \" not followed by fixed, disputed or adopted")
				}
			}
			# Any other ID named anywhere
			s = $0
			while (match(s, "(^|" nb ")" word "(" nb "|$)")) {
				t = substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH - 1)
				gsub("^" nb "|" nb "$", "", t)
				if (!(t in known) && !(t in said)) {
					problem("unknown " t ": line " FNR ": names an ID that " idsname " does not list")
					said[t] = 1
				}
			}
		}
		function problem(msg) { print msg; np++ }
		END {
			for (i = 1; i <= n; i++) {
				id = order[i]
				if (!count[id]) problem("missing " id ": no changelog line \"" id ": fixed|disputed|adopted\"")
				else if (count[id] > 1) problem("twice " id ": " count[id] " changelog lines (lines " at[id] ")")
			}
			if (np) { print "FAIL: " np " problem(s) with the " n " IDs of " idsname; exit 1 }
			printf "ok: each of the %d IDs of %s answered once (%d fixed, %d disputed, %d adopted), no other ID named\n",
				n, idsname, verbs["fixed"], verbs["disputed"], verbs["adopted"]
		}' "$cover"
}

review_md_check() {
	local ids=$1 md=$2 list mdl
	list=$(review_ids "$ids" | LC_ALL=C sort) || return 1
	mdl=$(review_md_ids "$md") || return 1
	if [ -z "$mdl" ]; then
		echo "FAIL: $md has no ID (no bullet item opening with **ID)"
		return 1
	fi
	LC_ALL=C comm -3 <(printf '%s\n' "$list") <(printf '%s\n' "$mdl") |
		awk -v ids="$ids" -v md="$md" -v n="$(grep -c . <<<"$list")" '
			/^\t/ { sub(/^\t/, ""); print "only in " md ": " $0; np++; next }
			{ print "only in " ids ": " $0; np++ }
			END {
				if (np) { print "FAIL: " np " ID(s) in only one of " ids " and " md; exit 1 }
				print "ok: the " n " IDs of " md " are those of " ids
			}'
}
