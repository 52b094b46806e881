# SPDX-License-Identifier: GPL-2.0
# scripts/checkpatch.pl --strict on a mail, with the exceptions of
# selftests/gates-exceptions.txt: one definition for gate:checkpatch:PATCH
# (selftests/gates.sh) and gate:posting:checkpatch:MAIL
# (selftests/posting-test.sh). Source it (after common.sh).
#
#   checkpatch_run TREE EXCEPTIONS NAME FILE LOG
#       run TREE/scripts/checkpatch.pl --strict --show-types on the mail
#       FILE from inside TREE (run elsewhere, it reads a mail's paths as
#       files of the current git repository), ignoring the message types
#       EXCEPTIONS lists for NAME (the patch's name in ./series) or for *;
#       its output in LOG. Sets CP_STATE and CP_MSG, and returns 0 only for
#       "ok":
#         ok        no error, no warning, no check
#         found     something was found: CP_MSG the counts and the first
#         noreason  an exception without a reason: CP_MSG names them
#         spdx      scripts/spdxcheck.py failed (missing python modules)
#         nosummary checkpatch.pl printed no "total:" line
#       CP_MSG starts with "E errors, W warnings, C checks, L lines" and
#       the excepted types, except for nosummary
#   CHECKPATCH_PATH  the PATH checkpatch.pl runs with: Debian's python3
#       first (with python3-ply and python3-git, for spdxcheck.py)
# shellcheck shell=bash

CHECKPATCH_PATH=/usr/bin:/bin:$PATH

# checkpatch_exceptions EXCEPTIONS NAME: the types excepted for NAME, as
# "TYPE" lines; "!TYPE" for an entry without a reason.
checkpatch_exceptions() {
	[ -f "$1" ] || return 0
	local ep et reason
	while read -r ep et reason; do
		case $ep in '' | \#*) continue ;; esac
		[ "$ep" = "$2" ] || [ "$ep" = '*' ] || continue
		[ -n "$et" ] || continue
		if [ -n "$reason" ]; then echo "$et"; else echo "!$et"; fi
	done <"$1"
}

# shellcheck disable=SC2034 # read by the callers
CP_STATE='' CP_MSG=''
checkpatch_run() {
	local tree=$1 exceptions=$2 name=$3 file=$4 log=$5 ignore=() noreason=() t args=() total e w c l
	while read -r t; do
		case $t in
		!*) noreason+=("${t#!}") ;;
		?*) ignore+=("$t") ;;
		esac
	done < <(checkpatch_exceptions "$exceptions" "$name")
	[ ${#ignore[@]} -eq 0 ] || args=(--ignore "$(
		IFS=,
		echo "${ignore[*]}"
	)")
	(cd "$tree" && PATH=$CHECKPATCH_PATH ./scripts/checkpatch.pl --strict --show-types --color=never \
		${args[@]+"${args[@]}"} "$file") >"$log" 2>&1
	total=$(sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks, \([0-9]*\) lines checked$/\1 \2 \3 \4/p' "$log")
	if [ -z "$total" ]; then
		CP_STATE=nosummary CP_MSG="no summary from checkpatch.pl"
		return 1
	fi
	read -r e w c l <<<"$total"
	CP_MSG="$e errors, $w warnings, $c checks, $l lines"
	[ ${#ignore[@]} -eq 0 ] || CP_MSG+="; excepted in ${exceptions#"$TOP"/}: ${ignore[*]}"
	if grep -qE 'Traceback|spdxcheck|No module named' "$log"; then
		CP_STATE=spdx CP_MSG+="; scripts/spdxcheck.py failed: $(grep -m1 -E 'Error|No module' "$log")"
	elif [ ${#noreason[@]} -gt 0 ]; then
		CP_STATE=noreason CP_MSG+="; exception(s) without a reason in ${exceptions#"$TOP"/}: ${noreason[*]}"
	elif [ "$e" -ne 0 ] || [ "$w" -ne 0 ] || [ "$c" -ne 0 ]; then
		CP_STATE=found CP_MSG+=": $(grep -m1 -E '^(ERROR|WARNING|CHECK):' "$log")"
	else
		# shellcheck disable=SC2034 # read by the callers
		CP_STATE=ok
		return 0
	fi
	return 1
}
