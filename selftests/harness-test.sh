#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness's own tests: every parser the other tests judge by, run on
# the fixtures in selftests/harness-test/, the scripts' refusal of bad
# options and arguments, the QEMU argument hook and the module parameter
# checks of the boot test. No kernel and no QEMU: seconds.
#
#   selftests/harness-test.sh [-u] [-h]
#
#   -u  write each case's CASE.expected from what the parser gives now,
#       for a fixture added or a format changed on purpose; review the
#       diff (git diff selftests/harness-test/) before committing it
#       (not usage/: its verdicts are requirements, written by hand)
#   -h  this help
#
# Folders (one case a file) and what each case runs:
#   boot/*.log      a guest's boot console: guest_results, guest_expect
#                   BOOT_RESULTS, the kselftest
#                   judgement (kselftest_results, kskip
#                   "hotremove_waits_for_release") and console_bad, all of
#                   selftests/lib/console.sh
#   tap/*.tap       tap_results on a TAP stream (kskip "skipped_here")
#   console/*.log   console_bad: the kernel complaint pattern KERNEL_BAD_RE
#                   (rc=1 for a log with a complaint)
#   lines/*.query   each line of the query on the file of the same name:
#                   "field TAG KEY" (mig_field), "kv KEY" (mig_kv), "result
#                   NAME" (guest_result), "frame NAME KEY" (frame_value of
#                   console_frame)
#   qmp/*.json      selftests/lib/qmp.py figures: a saved query-migrate
#                   reply to the key=value lines of a migration
#   series/*        series_names of selftests/lib/series.sh
#   review/*.cover  review_check of selftests/lib/posting.sh: the cover
#                   letter's changelog against the IDs of review/review-ids
#                   (not a case)
#   review/*.md     review_md_check: the IDs of a review in markdown
#                   against those of review/review-ids
#   soak/*/         selftests/soak.sh -R on a folder of a ping-pong run's
#                   files (consoles, migrate*.txt): its figures table and
#                   results
#   usage/*.args    bad input: each line is a command line (VAR=VALUE
#                   words first for its environment, then a script of the
#                   repository and its arguments, "## WORD" at the end to
#                   name the bad word when it is not the last one), run in
#                   a scratch copy of the repository (the working tree's
#                   files, committed in a git repository of its own, and a
#                   .work with a dummy guest build) with stand-ins for
#                   QEMU, make, ninja, gcc, apt-get, sudo and b4 first in
#                   PATH and a 30 s limit. One line of output each: its
#                   exit status, whether a line of its output that is not
#                   its -h text names the bad word (leading dashes
#                   dropped), what changed in the copy (git status
#                   --porcelain, a listing of .work with sizes and times)
#                   and which stand-in it started (QEMU --version does not
#                   count). A line is refused (counted in rc) for exit 0,
#                   124 (the limit), no message naming the word, a change
#                   or a start. CASE.expected has the verdicts required,
#                   written by hand (-u leaves them): a usage error (an
#                   unknown option, an option without its argument, an
#                   unexpected argument) exits 2, a bad value 2 or, where
#                   the script dies on it, 1
# (.expected files are not cases). A case's output, with the parser's exit
# status as a last "rc=N" line, must be its CASE.expected.
#
# Results (selftests/lib/results.sh):
#   harness:FOLDER:CASE     the case gave its expected output (the detail of
#                           a FAIL has the first differing line)
#   harness:FOLDER:rejects  the folder has a case the parser must refuse:
#                           an expected FAIL result, a non-zero rc or an
#                           n/a value
#   harness:usage:coverage  every command the bad input must not start
#                           (./apply.sh, selftests/run.sh, bench.sh,
#                           migration-test.sh, soak.sh, kvm-check.sh,
#                           harness-test.sh, scripts/*.sh) has a line in
#                           usage/*.args
#   harness:qemu:args       qemu_boot (selftests/lib/qemu.sh) passes the
#                           words of FPW_QEMU_ARGS to QEMU, in order,
#                           before the caller's QEMU arguments (a stand-in
#                           QEMU that records its arguments)
#   harness:params:NAME     each module parameter of virtio_balloon that
#                           patches/virtio-balloon.patch gives bounds
#                           (param_set_uint_minmax): the boot test
#                           (balloon_params of selftests/guest/init) writes
#                           the values just past both bounds, to be
#                           refused, and both bounds, to be taken
#
# Run on its own it starts a new result record and ends with the summary;
# run by selftests/run.sh (FPW_IN_RUN set) it adds to the run's record.
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/console.sh
. "$TOP/selftests/lib/console.sh"
# shellcheck source=selftests/lib/series.sh
. "$TOP/selftests/lib/series.sh"
# shellcheck source=selftests/lib/posting.sh
. "$TOP/selftests/lib/posting.sh"
# shellcheck source=selftests/lib/qemu.sh
. "$TOP/selftests/lib/qemu.sh"


update=
while getopts :uh opt; do
	case $opt in
	u) update=1 ;;
	h) usage_exit 0 ;;
	*) usage_error "unknown option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1'"

FIX=$TOP/selftests/harness-test
[ -d "$FIX" ] || die "no fixture folder ${FIX#"$TOP"/}"
[ -n "${FPW_IN_RUN:-}" ] || results_reset
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# parsed TSV: the results a parser recorded (STATUS<TAB>NAME<TAB>DETAIL).
parsed() { cat "$tmp/results.tsv" 2>/dev/null; }

# run_case FOLDER FILE: the case's output, parser's rc last. Runs in a
# subshell, recording the parser's results in a file of its own.
run_case() {
	local folder=$1 file=$2 rc=0
	(
		RESULTS_FILE=$tmp/results.tsv
		: >"$RESULTS_FILE"
		case $folder in
		boot)
			{
				guest_results "boot:" "$file" &&
					guest_expect "boot:" "$file" "${BOOT_RESULTS[@]}" &&
					kselftest_results kselftest hotremove_waits_for_release "$file"
			} >/dev/null || rc=$?
			parsed
			echo "console_bad: $(console_bad "$file")"
			;;
		tap)
			tap_results kselftest skipped_here <"$file" >/dev/null || rc=$?
			parsed
			;;
		console)
			# A log with a complaint is one the console check refuses.
			local bad
			bad=$(console_bad "$file") || rc=$?
			echo "$bad"
			[ "${bad%% *}" = 0 ] || rc=1
			;;
		lines)
			local input q a b c
			input=$(find "$(dirname "$file")" -maxdepth 1 -name "$(basename "${file%.query}").*" \
				! -name '*.query' ! -name '*.expected' | head -n 1)
			[ -n "$input" ] || {
				echo "no input file for $file"
				exit 1
			}
			while read -r q a b c; do
				case $q in
				field) echo "$q $a $b: $(mig_field "$input" "$a" "$b")" ;;
				kv) echo "$q $a: $(mig_kv "$input" "$a")" ;;
				result) echo "$q $a: $(guest_result "$input" "$a")" ;;
				frame) echo "$q $a $b: $(frame_value "$(console_frame "$input" "$a")" "$b")" ;;
				*) echo "bad query '$q $a $b $c'" && exit 1 ;;
				esac
			done <"$file"
			;;
		qmp) python3 "$TOP/selftests/lib/qmp.py" figures "$file" 2>&1 || rc=$? ;;
		series) series_names "$file" 2>&1 || rc=$? ;;
		review)
			case $file in
			*.md) review_md_check review-ids "$file" 2>&1 || rc=$? ;;
			*) review_check review-ids "$file" 2>&1 || rc=$? ;;
			esac
			;;
		soak)
			# Its results go to the case's own record; the table's
			# paths are the case's folder, relative here.
			FPW_IN_RUN=1 RESULTS_FILE=$RESULTS_FILE "$TOP/selftests/soak.sh" -R "$file" -p case/ \
				>"$tmp/soak.out" 2>&1 || rc=$?
			grep -av '^\(PASS\|FAIL\|SKIP\)  ' "$tmp/soak.out"
			parsed
			;;
		usage) usage_case "$file" || rc=$? ;;
		*)
			echo "unknown fixture folder $folder"
			exit 1
			;;
		esac
		echo "rc=$rc"
	)
}

# ---- bad input (usage/*.args) -------------------------------------------

# The commands every bad input case must cover (harness:usage:coverage).
usage_commands() {
	echo ./apply.sh
	printf 'selftests/%s\n' run.sh bench.sh migration-test.sh soak.sh kvm-check.sh harness-test.sh
	(cd "$TOP" && printf '%s\n' scripts/*.sh)
}

SANDBOX=$tmp/sandbox
STUBS=$tmp/stubs
STARTED=$tmp/started
# usage_sandbox: the scratch copy of the repository the bad input runs in
# (made once): the working tree's files committed in a git repository of
# its own, a .work with a dummy guest build (so that a script gets as far
# as it would with a real one), and the stand-ins, which record in
# $STARTED that they were started and fail.
usage_sandbox() {
	local f
	[ -d "$SANDBOX" ] && return 0
	mkdir -p "$SANDBOX" "$STUBS"
	(cd "$TOP" && git ls-files -co --exclude-standard -z) |
		while IFS= read -r -d '' f; do
			[ -f "$TOP/$f" ] && printf '%s\0' "$f"
		done | tar -C "$TOP" --null -T - -cf - | tar -C "$SANDBOX" -xf - ||
		die "cannot copy the repository into $SANDBOX"
	if ! git -C "$SANDBOX" init -q || ! git -C "$SANDBOX" add . ||
		! git -C "$SANDBOX" -c user.name=harness -c user.email=harness@example.org commit -q -m sandbox; then
		die "cannot make the git repository of $SANDBOX"
	fi
	mkdir -p "$SANDBOX/.work/build/guest/arch/x86/boot"
	: >"$SANDBOX/.work/build/guest/arch/x86/boot/bzImage"
	: >"$SANDBOX/.work/build/guest/initramfs.cpio.gz"
	for f in qemu-system-x86_64 qemu-system-aarch64 qemu-system-i386 make ninja gcc apt-get sudo b4; do
		cat >"$STUBS/$f" <<-EOF
			#!/bin/sh
			if [ "\$1" = --version ]; then
				echo "QEMU emulator version 7.2.0 (stand-in of selftests/harness-test.sh)"
				exit 0
			fi
			echo "$f \$*" >>"$STARTED"
			exit 1
		EOF
		chmod +x "$STUBS/$f"
	done
}

# usage_snapshot: what a command must not change in the copy.
usage_snapshot() {
	(cd "$SANDBOX" && git status --porcelain --untracked-files=all &&
		find .work -printf '%p %s %T@\n' | sort)
}

declare -A USAGE_HELP=()
# usage_case FILE: one line of verdicts per command line of FILE (see the
# header); the status is the number of lines refused.
usage_case() {
	local line words envs script args word rc out said changed started bad=0 help w
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		word=
		if [[ $line == *' ## '* ]]; then
			word=${line##* ## }
			line=${line% ## *}
		fi
		read -r -a words <<<"$line"
		envs=()
		while [ ${#words[@]} -gt 0 ] && [[ ${words[0]} =~ ^[A-Z_][A-Z0-9_]*= ]]; do
			envs+=("${words[0]}")
			words=("${words[@]:1}")
		done
		script=${words[0]:-}
		args=("${words[@]:1}")
		[ -n "$word" ] || word=${words[-1]}
		word=${word#-}
		word=${word#-}
		if [ -z "$script" ] || [ ! -f "$SANDBOX/$script" ]; then
			echo "$line: no script ${script:-given} in the repository"
			bad=$((bad + 1))
			continue
		fi
		# The usage text, which does not count as a message.
		if [ -z "${USAGE_HELP[$script]+set}" ]; then
			USAGE_HELP[$script]=$(cd "$SANDBOX" && timeout 30 env -i PATH="$STUBS:$PATH" HOME="$HOME" \
				LANG=C.UTF-8 "$script" -h 2>/dev/null </dev/null)
		fi
		help=${USAGE_HELP[$script]}
		: >"$STARTED"
		local before after
		before=$(usage_snapshot)
		rc=0
		out=$(cd "$SANDBOX" && timeout 30 env -i PATH="$STUBS:$PATH" HOME="$HOME" LANG=C.UTF-8 \
			${envs[@]+"${envs[@]}"} "$script" ${args[@]+"${args[@]}"} 2>&1 </dev/null) || rc=$?
		after=$(usage_snapshot)
		said=no
		while IFS= read -r w; do
			[ -n "$w" ] || continue
			grep -qxF -- "$w" <<<"$help" && continue
			[[ $w == *"$word"* ]] && said=yes && break
		done <<<"$out"
		changed=$(diff <(echo "$before") <(echo "$after") | sed -n 's/^[<>] //p' |
			awk '/^\.work/ { print $1; next } { print }' | sort -u | head -n 3 | paste -sd ' ')
		started=$(head -n 1 "$STARTED" | cut -d' ' -f1)
		echo "$line: exit $rc, names '$word': $said, changed: ${changed:-nothing}, started: ${started:-nothing}"
		if [ "$rc" -eq 0 ] || [ "$rc" -ge 124 ] || [ "$said" = no ] || [ -n "$changed" ] || [ -n "$started" ]; then
			bad=$((bad + 1))
		fi
	done <"$1"
	return "$bad"
}

[ ! -d "$FIX/usage" ] || usage_sandbox

total=0
for dir in "$FIX"/*/; do
	folder=$(basename "$dir")
	rejects=0
	cases=0
	# Paths in the output are relative to the fixture folder.
	cd "$dir" || die "cannot cd to $dir"
	for f in *; do
		case $f in *.expected) continue ;; esac
		case $folder in
		lines) [[ $f == *.query ]] || continue ;;
		review) [[ $f == *.cover || $f == *.md ]] || continue ;;
		soak) [ -d "$f" ] || continue ;;
		usage) [[ $f == *.args ]] || continue ;;
		esac
		cases=$((cases + 1))
		got=$(run_case "$folder" "$f")
		if [ -n "$update" ] && [ "$folder" != usage ]; then
			printf '%s\n' "$got" >"$f.expected"
		fi
		if [ ! -f "$f.expected" ]; then
			result FAIL "harness:$folder:$f" "no ${FIX#"$TOP"/}/$folder/$f.expected (selftests/harness-test.sh -u writes it)"
			continue
		fi
		if grep -qE '^FAIL'$'\t''|^rc=[1-9]|: n/a$|^(result|frame) [^:]*: ?$|^harness' "$f.expected"; then
			rejects=$((rejects + 1))
		fi
		if diff=$(diff "$f.expected" <(printf '%s\n' "$got")); then
			result PASS "harness:$folder:$f" "$(grep -c . "$f.expected") line(s) as expected"
		else
			result FAIL "harness:$folder:$f" "differs from $f.expected: expected '$(sed -n 's/^< //p' <<<"$diff" | head -n 1)', got '$(sed -n 's/^> //p' <<<"$diff" | head -n 1)' ($(grep -c '^>' <<<"$diff") line(s) differ)"
		fi
	done
	cd "$TOP" || die "cannot cd to $TOP"
	total=$((total + cases))
	if [ "$rejects" -gt 0 ]; then
		result PASS "harness:$folder:rejects" "$rejects of $cases case(s) must be refused"
	else
		result FAIL "harness:$folder:rejects" "no case of ${FIX#"$TOP"/}/$folder is one the parser must refuse"
	fi
done

# Every command the bad input must cover has a line.
missing_cmds=()
for c in $(usage_commands); do
	grep -hqE "^([A-Z_][A-Z0-9_]*=[^ ]* )*$c( |$)" "$FIX"/usage/*.args 2>/dev/null || missing_cmds+=("$c")
done
if [ ${#missing_cmds[@]} -eq 0 ]; then
	result PASS "harness:usage:coverage" "$(usage_commands | wc -l) command(s), each with bad input in ${FIX#"$TOP"/}/usage/"
else
	result FAIL "harness:usage:coverage" "no line in ${FIX#"$TOP"/}/usage/*.args for: ${missing_cmds[*]}"
fi

# qemu_boot passes FPW_QEMU_ARGS on: a stand-in QEMU records its arguments.
qargs() {
	local stub=$tmp/qemu-args/qemu-system-x86_64 rc=0 got want
	mkdir -p "$tmp/qemu-args"
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s"\n' "$tmp/qemu-args/argv" >"$stub"
	chmod +x "$stub"
	: >"$tmp/qemu-args/kernel"
	: >"$tmp/qemu-args/initrd"
	(
		export QEMU=$stub FPW_QEMU_ARGS=" -global  migration.x-clear-bitmap-shift=6 -S "
		qemu_boot -k "$tmp/qemu-args/kernel" -i "$tmp/qemu-args/initrd" -l "$tmp/qemu-args/console.log" \
			-T 10 -- -incoming defer
	) >/dev/null 2>&1 || rc=$?
	got=$(grep -x -A4 -e '-global' "$tmp/qemu-args/argv" 2>/dev/null | paste -sd ' ')
	want="-global migration.x-clear-bitmap-shift=6 -S -incoming defer"
	if [ "$rc" -ne 0 ]; then
		result FAIL "harness:qemu:args" "qemu_boot with a stand-in QEMU returned $rc"
	elif [ "$got" != "$want" ]; then
		result FAIL "harness:qemu:args" "FPW_QEMU_ARGS=' -global  migration.x-clear-bitmap-shift=6 -S ' gave QEMU '${got:-no -global}', not '$want' before the caller's arguments"
	else
		result PASS "harness:qemu:args" "QEMU got FPW_QEMU_ARGS's words, in order, before the caller's: $got"
	fi
}
qargs

# The boot test writes the values just past each bound of each module
# parameter to be refused, and each bound to be taken.
while IFS=$'\t' read -r status pname detail; do
	result "$status" "harness:params:$pname" "$detail"
done < <(python3 - "$TOP/patches" "$TOP/selftests/guest/init" <<'PY'
import glob, re, shlex, sys

patches, init = sys.argv[1], sys.argv[2]
defines, bounds, ops_set, params = {}, {}, {}, {}
for path in sorted(glob.glob(patches + "/*.patch")):
    func = ops = None
    for line in open(path, encoding="utf-8", errors="replace"):
        if not line.startswith("+"):
            continue
        line = line[1:]
        m = re.match(r"#define\s+(\w+)\s+(\d+)\s*$", line)
        if m:
            defines[m.group(1)] = int(m.group(2))
        m = re.match(r"static int (\w+)\(const char \*val", line)
        if m:
            func = m.group(1)
        m = re.search(r"param_set_uint_minmax\(val, kp, (\w+), (\w+)\)", line)
        if m and func:
            bounds[func] = (m.group(1), m.group(2))
        m = re.match(r"static const struct kernel_param_ops (\w+) = \{", line)
        if m:
            ops = m.group(1)
        m = re.match(r"\s*\.set = (\w+),", line)
        if m and ops:
            ops_set[ops] = m.group(1)
        m = re.match(r"module_param_cb\((\w+), &(\w+),", line)
        if m:
            params[m.group(1)] = m.group(2)

# balloon_params of the guest init: its "for kv in ...; do" lists, the
# one whose loop reports "taken" holds the values to be refused.
text = open(init, encoding="utf-8").read()
m = re.search(r"^balloon_params\(\) \{\n(.*?)^\}", text, re.S | re.M)
body = m.group(1).replace("\\\n", " ") if m else ""
refused, taken = set(), set()
for m in re.finditer(r"for kv in (.*?); do\n(.*?)\n\s*done", body, re.S):
    words = shlex.split(m.group(1))
    vals = set()
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            v = re.sub(r"\s+", "", v).replace("$((", "").replace("))", "").replace("$", "")
            vals.add((k, v))
    if "taken" in m.group(2):
        refused |= vals
    elif "refused" in m.group(2):
        taken |= vals

def value(b):
    if b.isdigit():
        return int(b)
    if b in defines:
        return defines[b]
    return "max" if b == "MAX_PAGE_ORDER" else None

if not params:
    print("FAIL\tnone\tno module_param_cb in %s/*.patch" % patches)
for name, ops in sorted(params.items()):
    b = bounds.get(ops_set.get(ops, ""))
    if not b:
        continue
    lo, hi = value(b[0]), value(b[1])
    if lo is None or hi is None:
        print("FAIL\t%s\tbounds %s..%s: not numbers or MAX_PAGE_ORDER" % (name, b[0], b[1]))
        continue
    def plus(v, d):
        return "%s+%d" % (v, d) if isinstance(v, str) else str(v + d)
    want_ref = [plus(hi, 1)] + ([plus(lo, -1)] if isinstance(lo, str) or lo > 0 else [])
    want_take = [str(lo), str(hi)]
    miss = ["refuse %s" % v for v in want_ref if (name, v) not in refused]
    miss += ["take %s" % v for v in want_take if (name, v) not in taken]
    have = "%s..%s (%s)" % (b[0], b[1], "..".join(map(str, (lo, hi))))
    if miss:
        print("FAIL\t%s\tbounds %s; the boot test (balloon_params of selftests/guest/init) does not: %s"
              % (name, have, ", ".join(miss)))
    else:
        print("PASS\t%s\tbounds %s; the boot test refuses %s and takes %s"
              % (name, have, ", ".join(want_ref), ", ".join(want_take)))
PY
)

info "harness self-test: $total case(s)"

if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
else
	[ "$RESULTS_FAILED" -eq 0 ]
fi
