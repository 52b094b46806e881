# SPDX-License-Identifier: GPL-2.0
# The patch series: its ./series file (quilt format) and the identity git
# applies it with. Source it (after common.sh). apply.sh,
# scripts/export-patches.sh and selftests/gates.sh read the series only
# through these.
#
#   series_names FILE         the patch names of FILE, in order, one a line;
#                             non-zero, with a message, for a malformed file
#   series_check FILE DIR     series_names, and every patch is a file in DIR
#   series_git DIR GIT_ARG... git -C DIR with the workbench's identity as
#                             committer (GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL,
#                             when set, name it instead)
#
#   SERIES_VERSION            the revision of the series the patches are
#                             (their subjects: "[PATCH v2 n/m]")
#   SERIES_AUTHOR             the placeholder author of the patches, on a
#                             reserved domain: their From:, Signed-off-by:
#                             and the MAINTAINERS entry the first one adds
#                             (scripts/prepare-posting.sh puts the poster
#                             in its place); SERIES_AUTHOR_NAME and
#                             SERIES_AUTHOR_EMAIL its parts
#   mail_header FILE NAME     the unfolded header NAME of the patch mail
#                             FILE (the first, if it has more than one)
#
# The format is quilt's: one patch a line, relative to the patch folder,
# optionally followed by quilt's -p1 (the only strip level git format-patch
# mails take); '#' starts a comment, blank lines are ignored. A name given
# twice, an absolute name, a name with "..", any other option or a third
# field is refused, as is a file with no patch at all.
# shellcheck shell=bash

SERIES_IDENT_NAME="Free page walk workbench"
SERIES_IDENT_EMAIL=workbench@localhost
# shellcheck disable=SC2034 # for the scripts that source this file
SERIES_VERSION=2
SERIES_AUTHOR_NAME="Placeholder Author"
SERIES_AUTHOR_EMAIL=author@example.org
# shellcheck disable=SC2034
SERIES_AUTHOR="$SERIES_AUTHOR_NAME <$SERIES_AUTHOR_EMAIL>"

series_names() {
	local file=$1 line name opt extra n=0 names=()
	local -A seen=()
	[ -f "$file" ] || {
		echo "no series file $file" >&2
		return 1
	}
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%%#*}
		read -r name opt extra <<<"$line"
		[ -n "$name" ] || continue
		if [ -n "$extra" ] || { [ -n "$opt" ] && [ "$opt" != -p1 ]; }; then
			echo "$file:$n: '$line': a patch name and at most -p1 expected" >&2
			return 1
		fi
		case $name in
		/* | ../* | */../* | .. | */..)
			echo "$file:$n: '$name': patch names are relative to the patch folder, without '..'" >&2
			return 1
			;;
		esac
		if [ -n "${seen[$name]:-}" ]; then
			echo "$file:$n: '$name' is listed twice (first on line ${seen[$name]})" >&2
			return 1
		fi
		seen[$name]=$n
		names+=("$name")
	done <"$file"
	[ ${#names[@]} -gt 0 ] || {
		echo "$file lists no patch" >&2
		return 1
	}
	printf '%s\n' "${names[@]}"
}

series_check() {
	local file=$1 dir=$2 names name
	names=$(series_names "$file") || return
	while IFS= read -r name; do
		[ -f "$dir/$name" ] || {
			echo "$file lists $name but $dir/$name does not exist" >&2
			return 1
		}
	done <<<"$names"
	printf '%s\n' "$names"
}

series_git() {
	local dir=$1
	shift
	git -C "$dir" -c user.name="${GIT_AUTHOR_NAME:-$SERIES_IDENT_NAME}" \
		-c user.email="${GIT_AUTHOR_EMAIL:-$SERIES_IDENT_EMAIL}" "$@"
}

mail_header() {
	awk -v want="$(echo "$2" | tr '[:upper:]' '[:lower:]'):" '
		NR == 1 && /^From / { next }
		/^$/ { exit }
		/^[ \t]/ { if (hit) { sub(/^[ \t]+/, ""); val = val " " $0 } next }
		{ hit = 0 }
		!found && tolower(substr($0, 1, length(want))) == want {
			hit = 1; found = 1
			val = substr($0, length(want) + 1)
			sub(/^[ \t]+/, "", val)
		}
		END { if (found) print val }' "$1"
}
