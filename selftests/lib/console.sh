# SPDX-License-Identifier: GPL-2.0
# What the harness reads from a guest's console and from its own key=value
# files, parsed in one place. Source it (after common.sh and results.sh).
# selftests/harness-test.sh checks every function here against the
# fixtures in selftests/harness-test/.
#
# The guest's line format (selftests/guest/init, selftests/guest/fpwmem.c):
#   FPW-RESULT NAME PASS|FAIL DETAIL   one guest test's result
#   FPW-BEGIN NAME ... FPW-END NAME [rc=N]
#                                      a frame of lines (TAP, statistics)
#   TAG KEY=VALUE KEY=VALUE ...        figures (FPW-MIG-READY, ...)
# and the host's: qmp.py's KEY=VALUE lines, the test double's
# "fpw-double: KEY=VALUE ..." lines on QEMU's stderr.
#
#   BOOT_RESULTS          the names the guest's boot test reports
#   console_bad FILE      the kernel complaints (KERNEL_BAD_RE) of a console
#                         log: "N" and, when N > 0, " first: LINE"
#   console_frame FILE NAME
#                         the lines of the FPW-BEGIN NAME ... FPW-END NAME
#                         frame (the first word after FPW-BEGIN must be NAME)
#   frame_value TEXT KEY  the value of the "KEY: VALUE" line of TEXT (a
#                         frame of statistics, e.g. the driver's debugfs
#                         file), nothing when there is none
#   mig_field FILE TAG KEY
#                         KEY's value on the last line starting "TAG " of
#                         FILE (n/a when there is none)
#   mig_kv FILE KEY       the value of the last "KEY=" line of FILE (n/a)
#   guest_result FILE NAME
#                         "PASS DETAIL" or "FAIL DETAIL" of the last
#                         FPW-RESULT NAME line of FILE, or nothing
#   guest_results PREFIX FILE
#                         one result (results.sh) per FPW-RESULT line of
#                         FILE, named PREFIXNAME; a line whose status is not
#                         PASS or FAIL is a FAIL; GUEST_SEEN[NAME] is set
#                         for each NAME seen
#   guest_expect PREFIX FILE NAME...
#                         after guest_results: a FAIL PREFIXNAME for each
#                         NAME the guest did not report (a guest that never
#                         got to report must not look like a pass)
#   tap_results PREFIX KSKIP
#                         one result per TAP line on stdin ("# "-nested
#                         kselftest output), named "PREFIX: DESC": ok is a
#                         PASS; not ok a FAIL; a SKIP is a SKIP when its
#                         DESC is one of the words of KSKIP (the
#                         architecture cannot run it), else a FAIL (a
#                         missing test must not pass unseen); then the
#                         result PREFIX:tap: every plan matches its results,
#                         no "Bail out!", not empty
#   kselftest_results PREFIX KSKIP FILE
#                         the kselftest of a boot log: tap_results on its
#                         FPW-BEGIN kselftest frame, and FAILs when the
#                         guest did not run it, run_vmtests.sh did not
#                         finish, or test_free_page_walk.sh is missing
#                         from the initramfs or gave no TAP result
# shellcheck shell=bash

# The results the "boot" test of selftests/guest/init always reports.
# shellcheck disable=SC2034 # for the scripts that source this file
BOOT_RESULTS=(boot-userspace balloon-bound balloon-free-page-hint balloon-params testmod-params)

# KERNEL_BAD_RE: what a kernel console must not show, for every test that
# reads one (grep -E): oopses, BUG ("BUG: ..." and "kernel BUG at ..."),
# WARNING, panics, lockdep and sleep-in-atomic reports, sanitizers
# ("BUG: KASAN: ...", UBSAN), DEBUG_LIST's list corruption reports (a
# WARNING, or a kernel BUG with BUG_ON_DATA_CORRUPTION: the line names the
# corruption either way), faults on unmapped kernel memory as
# DEBUG_PAGEALLOC makes them ("BUG: unable to handle page fault" on x86,
# "Unable to handle kernel paging request" on arm64), page poison and
# corruption reports ("pagealloc: ", "memory corruption"), ECC errors and
# the OOM killer (the guests have memory to spare; a killed test reads as
# one that did not end).
KERNEL_BAD_RE='Oops|BUG:|kernel BUG at|WARNING:|Kernel panic|Call Trace|UBSAN|KASAN|general protection|---\[ end trace|possible circular locking|sleeping function called from invalid context|list_(add|del) corruption|Unable to handle kernel|memory corruption|pagealloc: |single bit error|Out of memory|oom-kill'

console_bad() {
	local n first
	n=$(tr -d '\r' <"$1" 2>/dev/null | grep -acE "$KERNEL_BAD_RE")
	first=$(tr -d '\r' <"$1" 2>/dev/null | grep -aE -m 1 "$KERNEL_BAD_RE")
	echo "${n:-0}${first:+ first: $first}"
}

console_frame() {
	tr -d '\r' <"$1" 2>/dev/null | awk -v n="$2" '
		$1 == "FPW-BEGIN" && $2 == n { on = 1; next }
		$1 == "FPW-END" && $2 == n { on = 0 }
		on'
}

frame_value() {
	sed -n "s/^$2: //p" <<<"$1" | tail -n 1
}

mig_field() {
	local v
	v=$(tr -d '\r' <"$1" 2>/dev/null | grep -a "^$2 " | tail -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p" | tail -n 1)
	echo "${v:-n/a}"
}

mig_kv() {
	local v
	v=$(sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1)
	echo "${v:-n/a}"
}

guest_result() {
	local line
	line=$(tr -d '\r' <"$1" 2>/dev/null | grep -a "FPW-RESULT $2 " | tail -n 1)
	line=${line#*FPW-RESULT "$2" }
	case $line in
	PASS\ * | FAIL\ * | PASS | FAIL) echo "$line" ;;
	esac
}

declare -A GUEST_SEEN=()
guest_results() {
	local pfx=$1 line rname rstatus rdetail
	GUEST_SEEN=()
	while IFS= read -r line; do
		line=${line#*FPW-RESULT }
		read -r rname rstatus rdetail <<<"$line"
		rname=${rname:-unnamed}
		case $rstatus in
		PASS | FAIL) ;;
		*)
			rdetail="unparsable result line: $line"
			rstatus=FAIL
			;;
		esac
		GUEST_SEEN[$rname]=1
		result "$rstatus" "$pfx$rname" "$rdetail"
	done < <(tr -d '\r' <"$2" 2>/dev/null | grep -a 'FPW-RESULT ' || true)
}

guest_expect() {
	local pfx=$1 file=$2 e
	shift 2
	for e in "$@"; do
		[ -n "${GUEST_SEEN[$e]:-}" ] && continue
		# grep reads the file itself: "tr | grep -q" under pipefail fails
		# when grep, done early, leaves tr writing into a closed pipe.
		if grep -aqs 'FPW: userspace reached' "$file"; then
			result FAIL "$pfx$e" "the guest reported no result"
		else
			result FAIL "$pfx$e" "the guest never reached userspace"
		fi
	done
}

# TAP state of tap_results: per nesting level (the number of "# " before a
# line), the plan and the results counted since it; the problems found.
_tap_plan=() _tap_count=() _tap_max=0 _tap_bad=() _tap_plans=()

# _tap_close LEVEL: the end of a block of results at LEVEL: its plan must
# match its results.
_tap_close() {
	local l=$1
	if [ -n "${_tap_plan[l]:-}" ] && [ "${_tap_plan[l]}" != "${_tap_count[l]:-0}" ]; then
		_tap_bad+=("plan 1..${_tap_plan[l]} with ${_tap_count[l]:-0} result(s) at level $l")
	elif [ -z "${_tap_plan[l]:-}" ] && [ "${_tap_count[l]:-0}" -gt 0 ]; then
		_tap_bad+=("${_tap_count[l]} result(s) without a plan at level $l")
	fi
	[ -z "${_tap_plan[l]:-}" ] || _tap_plans+=("1..${_tap_plan[l]}")
	_tap_plan[l]=
	_tap_count[l]=0
}

# _tap_close_below LEVEL: close every block nested deeper than LEVEL.
_tap_close_below() {
	local l
	for ((l = _tap_max; l > $1; l--)); do
		_tap_close "$l"
	done
}

# _tap_level PREFIX: the nesting level of a line whose "# "s are PREFIX.
_tap_level() {
	local level=$((${#1} / 2))
	[ "$level" -le "$_tap_max" ] || _tap_max=$level
	_tap_close_below "$level"
	TAP_LEVEL=$level
}

TAP_LEVEL=0 TAP_RESULTS=0
tap_results() {
	local pfx=$1 kskip=$2 line level tap desc directive why
	local re='^((# )*)(not )?ok [0-9]+ '
	local re_plan='^((# )*)1\.\.([0-9]+)[[:space:]]*($|#)'
	local re_bail='^((# )*)Bail out!'
	_tap_plan=() _tap_count=() _tap_max=0 _tap_bad=() _tap_plans=()
	TAP_RESULTS=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		if [[ $line =~ $re_plan ]]; then
			_tap_level "${BASH_REMATCH[1]}"
			level=$TAP_LEVEL
			if [ "${_tap_count[level]:-0}" -gt 0 ]; then
				# A plan after its results ends their block.
				_tap_plan[level]=${BASH_REMATCH[3]}
				_tap_close "$level"
			else
				[ -z "${_tap_plan[level]:-}" ] || _tap_close "$level"
				_tap_plan[level]=${BASH_REMATCH[3]}
			fi
			continue
		fi
		if [[ $line =~ $re_bail ]]; then
			_tap_bad+=("${line#"${BASH_REMATCH[1]}"}")
			continue
		fi
		[[ $line =~ $re ]] || continue
		TAP_RESULTS=$((TAP_RESULTS + 1))
		local negative=${BASH_REMATCH[3]} matched=${BASH_REMATCH[0]}
		_tap_level "${BASH_REMATCH[1]}"
		level=$TAP_LEVEL
		_tap_count[level]=$((${_tap_count[level]:-0} + 1))
		tap=${line#"$matched"}
		desc=${tap%% # *}
		directive=
		[ "$desc" = "$tap" ] || directive=${tap#* # }
		desc=${desc%"${desc##*[![:space:]]}"}
		if [ -n "$negative" ]; then
			result FAIL "$pfx: $desc" "${directive:-not ok}"
		elif [[ ${directive^^} == SKIP* ]]; then
			why=${directive:4}
			why=${why#"${why%%[![:space:]]*}"}
			if [[ " $kskip " == *" $desc "* ]]; then
				result SKIP "$pfx: $desc" "this architecture cannot run it (kskip in selftests/lib/arch.sh)${why:+: $why}"
			else
				result FAIL "$pfx: $desc" "skipped${why:+: $why}"
			fi
		else
			result PASS "$pfx: $desc" "$directive"
		fi
	done
	_tap_close_below -1
	if [ "$TAP_RESULTS" -eq 0 ]; then
		result FAIL "$pfx:tap" "empty TAP stream"
	elif [ ${#_tap_bad[@]} -gt 0 ]; then
		result FAIL "$pfx:tap" "$(IFS=';' && echo "${_tap_bad[*]}")"
	else
		result PASS "$pfx:tap" "$TAP_RESULTS result(s), plans ${_tap_plans[*]} match"
	fi
}

kselftest_results() {
	local pfx=$1 kskip=$2 log=$3 present ksrc
	present=$(tr -d '\r' <"$log" 2>/dev/null | sed -n 's/.*FPW-KSELFTEST-PRESENT \(yes\|no\).*/\1/p' | head -n 1)
	ksrc=$(tr -d '\r' <"$log" 2>/dev/null | sed -n 's/.*FPW-END kselftest rc=\([0-9]*\).*/\1/p' | head -n 1)
	if [ -z "$present" ]; then
		result FAIL "$pfx:run" "the guest did not run the kselftest test"
		return
	fi
	tap_results "$pfx" "$kskip" < <(console_frame "$log" kselftest)
	if [ "$present" = no ]; then
		result FAIL "$pfx:free_page_walk" \
			"no test_free_page_walk.sh in the initramfs ($TAP_RESULTS TAP result(s), run_vmtests.sh rc=${ksrc:-?})"
	elif ! grep -aqs 'FPW-BEGIN kselftest' "$log"; then
		result FAIL "$pfx:run" "run_vmtests.sh did not start (no FPW-BEGIN kselftest)"
	elif [ -z "$ksrc" ]; then
		result FAIL "$pfx:run" "run_vmtests.sh did not finish (no FPW-END kselftest)"
	elif [ "$TAP_RESULTS" -eq 0 ]; then
		result FAIL "$pfx:free_page_walk" \
			"test_free_page_walk.sh is in the initramfs but run_vmtests.sh gave no TAP result (rc=$ksrc)"
	fi
}
