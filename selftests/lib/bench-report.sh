# SPDX-License-Identifier: GPL-2.0
# The report of the live migration benchmark (selftests/bench.sh report),
# from its CSV alone: nothing is measured or run again. Source it (after
# common.sh and bench.sh).
#
#   bench_report OUTDIR README SOURCE...
#
# The report of each CSV of SOURCE... (a CSV file, or a folder: every
# *.csv in it) into OUTDIR ('' = the CSV's folder); with README (a file;
# '' = none) and one CSV, also the block between the "<!-- bench:begin -->"
# and "<!-- bench:end -->" lines of README: the date line, the settings,
# the main table and the targets. Runs in a subshell; non-zero (1; 2 with
# the usage for a bad argument) when anything is wrong, and then nothing
# is written.
#
# For NAME.csv it writes NAME.md: the settings, a table of medians with
# min-max per scenario, guest size and kernel, the blocks hinted per order,
# the memory the driver held and the cost per block hinted (guest us per
# block, host iothread ms per 1000 blocks), the host CPU time of the source
# and the destination QEMU by thread class, the busy guest's throughput and
# /proc/vmstat changes, the targets (met / not met; never enforced) and
# notes; and, unless the CSV is a parameter sweep, NAME.png: bytes (with
# the memory in use) and time per scenario and kernel, held memory, host
# CPU by thread class, and the size sweep. The scenarios, sizes, sweep values and kernels are those of the
# CSV, in the order they were run; the scenarios' roles (selftests/lib/
# bench.sh) choose the targets, the busy table and the size panels.
#
# The settings of the run (date, command, host, QEMU, kernels, retries)
# are in NAME.settings, which selftests/bench.sh writes next to the CSV
# (KEY<TAB>VALUE lines; row<TAB>LABEL<TAB>TEXT for the settings table).
# For a CSV measured before there were settings files they are read from
# the header of the NAME.md it came with; with neither, the report says
# they were not recorded. Older CSVs are read as well: a sweep column
# named min_order, no inuse_kb or hint_buffers, none of the held memory,
# cost per block or host CPU columns (their report columns, tables and
# panels are left out, as they were then).
#
#   bench_text CSV
#
# The main table of one CSV as plain text for a mail (the cover letter of
# the posting, scripts/export-patches.sh), on stdout: a line with the date,
# host and QEMU of the run, a line saying what the figures are, then per
# scenario, guest size and kernel the medians of MB sent, total s, downtime
# ms and sent / in use, at most 75 columns wide with this benchmark's
# scenario names. Nothing is written; no gnuplot needed.
#
# Every CSV is checked before anything is made: a column the report needs
# that is missing, a line with another number of fields than the header, a
# rep or size that is not a whole number, a figure that is not a number,
# or no run at all is an error naming the file and line.
# shellcheck shell=bash

# ---- the tables of the report, as data -------------------------------------
#
# Each column is "HEADER|SPEC"; a leading ? marks a column that older CSVs
# lack (it is left out for them). SPEC, over the runs of a table line that
# ended ok:
#   F:D:P    median of column F, with [min-max] when there is more than one
#            run, divided by D, P decimals
#   %F:D:P   median of column F divided by D, P decimals, without [min-max]
#            (the text table)
#   F/G*M    median of F / (median of G x M), 2 decimals
#   F//G     median over the runs with G > 0 of F / G, 2 decimals; F//G*M
#            of F / G x M
#   #        runs with a figure / all attempts, failed ones included
#   @F       F of the median run by hint_pages (colons shown as spaces)
#   ~F       the median of F, as it is (targets)
#   ^F       the largest F, as it is (targets)
#   =F:D:P   median, min and max of F divided by D, P decimals, or NaN NaN
#            NaN (the plot)
#   +F+G...  the sum of F, G, ... over the runs (targets)
MAIN_COLS=("runs|#" "sent MB|transferred:1000000:0" "normal pages|normal_pages:1:0"
	"total s|total_ms:1000:2" "setup s|setup_ms:1000:2" "downtime ms|downtime_ms:1:0"
	"hint ms|hint_us:1000:1" "used MB|used_kb:1000:0" "?in use MB|inuse_kb:1000:0"
	"sent / used|transferred/used_kb*1024" "?sent / in use|transferred/inuse_kb*1024")
BLOCK_COLS=("blocks per order 0..10|@hint_blocks" "?buffers|@hint_buffers"
	"pages hinted (all rounds)|@hint_pages" "rounds|@hint_rounds")
# The text table (bench_text), for a mail: "HEAD1~HEAD2|SPEC", the header
# on two lines; the first ? column the CSV has is the last column.
TEXT_COLS=("sent~MB|%transferred:1000000:0" "total~s|%total_ms:1000:2"
	"downtime~ms|%downtime_ms:1:0")
TEXT_RATIO=("?sent /~in use|transferred/inuse_kb*1024" "sent /~used|transferred/used_kb*1024")
# The memory the driver held and the cost per block (lines with hinting
# figures), and the host CPU time of each QEMU by thread class.
HELD_COLS=("?held peak MiB|held_peak_kb:1024:1" "?held mean MiB|held_mean_kb:1024:1"
	"?held s|held_ms:1000:2" "?samples|held_samples:1:0" "?sampler CPU ms|held_cpu_ms:1:0"
	"?blocks (rounds seen)|hint_blocks_seen:1:0" "?guest us / block|hint_us_seen//hint_blocks_seen"
	"?host iothread ms / 1000 blocks|src_io_ms//hint_blocks_seen*1000")
CPU_CLASSES="vcpu io mig main other"
SRC_CPU_COLS=("?vCPU s|src_vcpu_ms:1000:2" "?iothread s|src_io_ms:1000:2"
	"?migration s|src_mig_ms:1000:2" "?main loop s|src_main_ms:1000:2"
	"?other s|src_other_ms:1000:2" "?process s|src_proc_ms:1000:2" "?window s|cpu_window_ms:1000:2")
DST_CPU_COLS=("?vCPU s|dst_vcpu_ms:1000:2" "?iothread s|dst_io_ms:1000:2"
	"?migration s|dst_mig_ms:1000:2" "?main loop s|dst_main_ms:1000:2"
	"?other s|dst_other_ms:1000:2" "?process s|dst_proc_ms:1000:2")
BUSY_COLS=("baseline MiB/s|busy_base_mib_s:1:0" "MiB/s|busy_mib_s:1:0"
	"during / baseline|busy_mib_s//busy_base_mib_s")
for c in compact_stall compact_migrate_scanned compact_isolated compact_daemon_wake pgscan pgsteal \
	allocstall pgmigrate_success thp_fault_alloc thp_fault_fallback; do
	BUSY_COLS+=("$c|$c:1:0")
done
# The compaction and reclaim events of the busy target.
PRESSURE=+compact_stall+compact_migrate_scanned+compact_isolated+pgscan+pgsteal+allocstall
# The columns that say which runs a table line is.
KEY_COLS="rep scenario size_mib kernel status run"

# spec_fields SPEC...: the CSV columns the SPECs read.
spec_fields() { printf '%s\n' "$@" | grep -oE '[a-z][a-z0-9_]*'; }
# The columns every CSV must have, and those that must be numbers.
REPORT_NEED=$KEY_COLS REPORT_NUMERIC=
for c in "${MAIN_COLS[@]}" "${BLOCK_COLS[@]}" "${BUSY_COLS[@]}" "${HELD_COLS[@]}" \
	"${SRC_CPU_COLS[@]}" "${DST_CPU_COLS[@]}" "|$PRESSURE"; do
	[[ $c == \?* ]] || REPORT_NEED+=" $(spec_fields "${c#*|}" | tr '\n' ' ')"
	[[ ${c#*|} == @* ]] || REPORT_NUMERIC+=" $(spec_fields "${c#*|}" | tr '\n' ' ')"
done
REPORT_NUMERIC+=" hint_pages hint_rounds hint_buffers"

# ---- reading a CSV -----------------------------------------------------------

# AWK_CSV: the header of a benchmark CSV, for the awk programs below:
# col[NAME] is the field of column NAME, sweep being min_order in older
# CSVs; get(NAME) the field of the current line ('' without the column).
# shellcheck disable=SC2016 # awk code
AWK_CSV='
function get(name) { return (name in col) ? $col[name] : "" }
NR == 1 {
	for (i = 1; i <= NF; i++) { col[$i] = i; hdr[i] = $i }
	if (!("sweep" in col) && ("min_order" in col)) col["sweep"] = col["min_order"]
	hnf = NF
	next
}'

# csv_scan CSV: check CSV (on failure the reason, non-zero); then print
# what the report is made of, a line each, tab separated:
#   case SCENARIO SIZE SWEEP  each case, in the order it was first run
#   kernel NAME               each kernel, likewise
#   reps N                    the repetitions
#   runs DIR                  the run folder (relative to .work)
#   cols NAME...              the CSV's columns (space separated)
csv_scan() {
	awk -F, -v need="$REPORT_NEED" -v numeric="$REPORT_NUMERIC" "$AWK_CSV"'
	function bad(msg) { print FILENAME ": " msg; err = 1; exit 1 }
	NR == 2 {
		n = split(need, x, " ")
		for (i = 1; i <= n; i++) if (!(x[i] in col) && !(x[i] in said)) { said[x[i]] = 1; miss = miss " " x[i] }
		if (!("sweep" in col)) miss = miss " sweep"
		if (miss != "") bad("no column" miss)
		n = split(numeric, num, " ")
	}
	{
		if (NF != hnf) bad("line " NR ": " NF " fields, the header has " hnf)
		if (get("rep") !~ /^[1-9][0-9]*$/) bad("line " NR ": rep \"" get("rep") "\" is not a whole number")
		if (get("size_mib") !~ /^[1-9][0-9]*$/) bad("line " NR ": size_mib \"" get("size_mib") "\" is not a whole number")
		if (get("scenario") == "" || get("kernel") == "" || get("status") == "")
			bad("line " NR ": no scenario, kernel or status")
		for (i = 1; i <= n; i++)
			if (get(num[i]) !~ /^(-?[0-9]+(\.[0-9]+)?)?$/)
				bad("line " NR ": " num[i] " \"" get(num[i]) "\" is not a number")
		if (get("hint_blocks") !~ /^[0-9:]*$/) bad("line " NR ": hint_blocks \"" get("hint_blocks") "\" is not N:N:...")
		c = get("scenario") "\t" get("size_mib") "\t" get("sweep")
		if (!(c in seen)) { seen[c] = 1; cases[++nc] = c }
		if (!(get("kernel") in kseen)) { kseen[get("kernel")] = 1; kernels[++nk] = get("kernel") }
		if (get("rep") + 0 > reps) reps = get("rep") + 0
		if (runs == "") { runs = get("run"); sub(/\/[^\/]*$/, "", runs) }
	}
	END {
		if (err) exit 1
		if (NR < 2) { print ARGV[1] ": " (NR ? "no runs" : "empty"); exit 1 }
		for (i = 1; i <= nc; i++) print "case\t" cases[i]
		for (i = 1; i <= nk; i++) print "kernel\t" kernels[i]
		print "reps\t" reps
		print "runs\t" runs
		printf "cols\t"
		for (i = 1; i <= hnf; i++) printf "%s%s", (i > 1 ? " " : ""), hdr[i]
		print ""
	}' "$1"
}

# q SEP FILTER SPEC...: the cells of SPECs (see above), SEP between them,
# over the lines of $rp_csv whose columns match FILTER (NAME=VALUE ...); with
# an @ SPEC, nothing when no run has hinting figures.
q() {
	local sep=$1 filter=$2
	shift 2
	awk -F, -v sep="$sep" -v filter="$filter" -v specs="$*" "$AWK_CSV"'
	NR == 2 {
		nf = split(filter, f, " ")
		for (j = 1; j <= nf; j++) { e = index(f[j], "="); fk[j] = substr(f[j], 1, e - 1); fv[j] = substr(f[j], e + 1) }
	}
	{
		for (j = 1; j <= nf; j++) if (get(fk[j]) != fv[j]) next
		all++
		if (get("status") != "ok") next
		n++
		for (c in col) v[n, c] = get(c)
	}
	# sorted(K): a[1..K] sorted; returns K.
	function sorted(k,   i, j, t) {
		for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j] < a[j - 1]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return k
	}
	# vals(F): a[1..k], the non-empty values of F, sorted; returns k.
	function vals(name,   i, k) {
		k = 0
		for (i = 1; i <= n; i++) if (v[i, name] != "") a[++k] = v[i, name] + 0
		return sorted(k)
	}
	function median(k) { return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
	function med(name,   k) { k = vals(name); return k ? median(k) : "" }
	function num(x) { return (x == int(x)) ? sprintf("%.0f", x) : sprintf("%.17g", x) }
	# The median run by hint_pages (the lower one of an even count).
	function pick(   i, j, k, t, r) {
		k = 0
		for (i = 1; i <= n; i++) if (v[i, "hint_pages"] != "") r[++k] = i
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && v[r[j], "hint_pages"] + 0 < v[r[j - 1], "hint_pages"] + 0; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
		return k ? r[int((k + 1) / 2)] : 0
	}
	function cell(s,   p, k, i, j, x, y, fm, sum, g, m) {
		if (s == "#") return vals("transferred") "/" all + 0
		if (s ~ /^~/) { x = med(substr(s, 2)); return x == "" ? "-" : num(x) }
		if (s ~ /^\^/) { k = vals(substr(s, 2)); return k ? num(a[k]) : "-" }
		if (s ~ /^@/) { x = v[picked, substr(s, 2)]; gsub(/:/, " ", x); return x == "" ? "n/a" : x }
		if (s ~ /^\+/) {
			k = split(substr(s, 2), p, "+")
			for (i = 1; i <= n; i++) for (j = 1; j <= k; j++) sum += v[i, p[j]]
			return num(sum + 0)
		}
		if (s ~ /\/\//) {
			split(s, p, "//")
			m = 1
			if (split(p[2], g, "[*]") == 2) { p[2] = g[1]; m = g[2] }
			k = 0
			for (i = 1; i <= n; i++) if (v[i, p[2]] > 0) a[++k] = v[i, p[1]] / v[i, p[2]] * m
			return sorted(k) ? sprintf("%.2f", median(k)) : "n/a"
		}
		if (s ~ /\//) {
			split(s, p, /[\/*]/)
			x = med(p[1]); y = med(p[2])
			return (x == "" || y == "" || y * p[3] == 0) ? "n/a" : sprintf("%.2f", x / (y * p[3]))
		}
		split(s, p, ":")
		fm = "%." p[3] "f"
		if (s ~ /^%/) {
			k = vals(substr(p[1], 2))
			return k ? sprintf(fm, median(k) / p[2]) : "n/a"
		}
		if (s ~ /^=/) {
			k = vals(substr(p[1], 2))
			return k ? sprintf(fm " " fm " " fm, median(k) / p[2], a[1] / p[2], a[k] / p[2]) : "NaN NaN NaN"
		}
		k = vals(p[1])
		if (!k) return "n/a"
		if (k == 1) return sprintf(fm, a[1] / p[2])
		return sprintf(fm " [" fm "-" fm "]", median(k) / p[2], a[1] / p[2], a[k] / p[2])
	}
	END {
		ns = split(specs, sp, " ")
		if (specs ~ /(^| )@/ && !(picked = pick())) exit
		for (i = 1; i <= ns; i++) printf "%s%s", (i > 1 ? sep : ""), cell(sp[i])
		print ""
	}' "$rp_csv"
}

# ratio A B: A/B with 2 decimals (n/a when either is missing).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'
}
# le A B: "met" when A <= B.
le() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || a == "n/a" || b == "n/a") print "n/a"; else if (a + 0 <= b + 0) print "met"; else print "not met" }'
}
# scale X F: X * F, or "-".
scale() { awk -v u="$1" -v f="$2" 'BEGIN { if (u == "-" || u == "") print "-"; else printf "%.17g\n", u * f }'; }

# ---- the settings of a run ---------------------------------------------------

# settings_from_md MD: the settings of a run, as selftests/bench.sh writes
# them (KEY<TAB>VALUE lines; row<TAB>LABEL<TAB>TEXT for the table), read
# back from the header of the report MD of an older version.
settings_from_md() {
	awk '
	NR == 1 && /^# / {
		t = substr($0, 3); print "title\t" t
		if (sub(/ sweep: .*/, "", t)) print "sweep\t" t
		next
	}
	!dl && /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9:]+ UTC, .*, [0-9]+ repetition\(s\), [0-9]+ s in all\.$/ {
		dl = 1; s = $0
		i = index(s, " UTC, "); print "date\t" substr(s, 1, i + 3); s = substr(s, i + 6)
		match(s, /, [0-9]+ repetition\(s\), /); print "command\t" substr(s, 1, RSTART - 1)
		s = substr(s, RSTART + RLENGTH); sub(/ s in all\.$/, "", s); print "took\t" s
		next
	}
	$0 == "| | |" { tab = 1; next }
	tab && $0 == "| --- | --- |" { next }
	tab && /^\| .* \| .* \|$/ {
		r = substr($0, 3, length($0) - 4); i = index(r, " | ")
		label = substr(r, 1, i - 1); text = substr(r, i + 3)
		print "row\t" label "\t" text
		if (label == "guest" && match(text, /-m [^ ]+ for 1 GiB/)) print "memx\t" substr(text, RSTART + 3, RLENGTH - 13)
		if (label == "QEMU" && match(text, /, accel [^ ,]+/)) print "accel\t" substr(text, RSTART + 8, RLENGTH - 8)
		next
	}
	{ tab = 0 }
	match($0, /tried again, up to [0-9]+ more times/) { print "retries\t" substr($0, RSTART + 19, RLENGTH - 30) }' "$1"
}

# load_settings CSV: rp_set[KEY] and rp_rows (LABEL<TAB>TEXT) of CSV's run.
declare -A rp_set=()
rp_rows=()
load_settings() {
	local base=${1%.csv} key value
	rp_set=() rp_rows=()
	if [ -f "$base.settings" ]; then
		exec 3<"$base.settings"
	elif [ -f "$base.md" ]; then
		exec 3< <(settings_from_md "$base.md")
	else
		return 0
	fi
	while IFS=$'\t' read -r key value <&3; do
		if [ "$key" = row ]; then rp_rows+=("$value"); else rp_set[$key]=$value; fi
	done
	exec 3<&-
}

# ---- one report ----------------------------------------------------------------

# The CSV being reported on and what csv_scan found in it (set by
# report_load, inside bench_report's or bench_text's subshell).
rp_csv='' rp_scan='' rp_reps='' rp_runs='' rp_sweep='' rp_have='' rp_param=''
rp_cases=() rp_kernels=() rp_scens=() rp_sizes=() rp_lines=()

# present SPEC...: those of the table columns SPEC that the CSV has.
present() {
	local c f ok
	for c in "$@"; do
		ok=1
		for f in $(spec_fields "${c#*|}"); do
			[[ " $rp_have " == *" $f "* ]] || ok=
		done
		[ -z "$ok" ] || echo "${c#\?}"
	done
}

# md_table HEAD COLS LINE...: a markdown table: the columns HEAD (|
# separated), then those of the array COLS that the CSV has; a row per
# LINE "CELLS|FILTER" with at least one run: CELLS, then the specs of COLS
# over the runs that match FILTER.
md_table() {
	local head=$1 line cells c specs=()
	local -n _cols=$2
	shift 2
	mapfile -t specs < <(present "${_cols[@]}")
	for c in "${specs[@]}"; do head+="|${c%%|*}"; done
	echo "| ${head//|/ | } |"
	c=${head//[^|]/}
	echo "| ---${c//|/ | ---} |"
	for line in "$@"; do
		cells=$(q " | " "${line##*|}" "${specs[@]#*|}")
		[ -z "$cells" ] || echo "| ${line%|*} | $cells |"
	done
}

# targets: the targets of the scenarios measured at 1 GiB, by role.
targets() {
	local s z ps pu pi ss hs pt st pb hb pc hc P="size_mib=1024 kernel=patched sweep=" O="size_mib=1024 sweep="
	for s in "${rp_scens[@]}"; do
		bench_role "$s" used || continue
		read -r ps pu pi < <(q " " "scenario=$s $P" ~transferred ~used_kb ~inuse_kb)
		pu=$(scale "$pu" 1024) pi=$(scale "$pi" 1024)
		echo "- $s, patched: bytes sent <= 1.05 x used memory (MemTotal - MemFree):" \
			"**$(le "$ps" "$(scale "$pu" 1.05)")** (sent / used = $(ratio "$ps" "$pu"));" \
			"<= 1.05 x memory in use (RAM - MemFree): **$(le "$ps" "$(scale "$pi" 1.05)")**" \
			"(sent / in use = $(ratio "$ps" "$pi"))"
		ss=$(q " " "scenario=$s $O kernel=stock" ~transferred)
		hs=$(q " " "scenario=$s $O kernel=hint-off" ~transferred)
		echo "- $s, patched sends no more than hint-off: **$(le "$ps" "$hs")**" \
			"(patched / hint-off = $(ratio "$ps" "$hs"); stock / hint-off = $(ratio "$ss" "$hs"):" \
			"the stock driver's excess is what the series fixes)"
	done
	# The stock role at every guest size measured.
	for s in "${rp_scens[@]}"; do
		bench_role "$s" stock || continue
		for z in 1024 "${rp_sizes[@]}"; do
			read -r ps pt pi < <(q " " "scenario=$s size_mib=$z kernel=patched sweep=" \
				~transferred ~total_ms ~inuse_kb)
			[ "$ps" != - ] || continue
			read -r ss st < <(q " " "scenario=$s size_mib=$z kernel=stock sweep=" ~transferred ~total_ms)
			pi=$(scale "$pi" 1024)
			echo "- $s, $((z / 1024)) GiB, patched no worse than stock in bytes: **$(le "$ps" "$ss")**" \
				"(patched / stock = $(ratio "$ps" "$ss")); in total time: **$(le "$pt" "$st")**" \
				"(patched / stock = $(ratio "$pt" "$st")); bytes sent <= 1.05 x memory in use:" \
				"**$(le "$ps" "$(scale "$pi" 1.05)")** (sent / in use = $(ratio "$ps" "$pi"))"
		done
	done
	for s in "${rp_scens[@]}"; do
		bench_role "$s" busy || continue
		pb=$(q " " "scenario=$s $P" ~busy_mib_s)
		hb=$(q " " "scenario=$s $O kernel=hint-off" ~busy_mib_s)
		echo "- $s, workload throughput >= 0.98 x hint-off: **$(le "$(scale "$hb" 0.98)" "$pb")**" \
			"(patched / hint-off = $(ratio "$pb" "$hb"); each against its own baseline:" \
			"patched $(q " " "scenario=$s kernel=patched" busy_mib_s//busy_base_mib_s)," \
			"hint-off $(q " " "scenario=$s kernel=hint-off" busy_mib_s//busy_base_mib_s)," \
			"stock $(q " " "scenario=$s kernel=stock" busy_mib_s//busy_base_mib_s))"
		pc=$(q " " "scenario=$s kernel=patched" "$PRESSURE")
		hc=$(q " " "scenario=$s kernel=hint-off" "$PRESSURE")
		echo "- $s, no compaction or reclaim caused by hinting (compact_stall + migrate_scanned +" \
			"isolated + pgscan + pgsteal + allocstall, summed over runs, patched <= hint-off):" \
			"**$(le "$pc" "$hc")** (patched $pc, hint-off $hc)"
	done
	targets_held
	targets_downtime
}

# The driver's default hint_budget_mib (drivers/virtio/virtio_balloon.c),
# the budget of every run whose guest command line does not set it.
HINT_BUDGET_DEFAULT_MIB=32

# targets_held: the most the patched driver held in any run against its
# budget, and the budget against a 1 GiB guest, the smallest measured.
targets_held() {
	local budget=$HINT_BUDGET_DEFAULT_MIB peak row n
	[[ " $rp_have " == *" held_peak_kb "* ]] || return 0
	for row in "${rp_rows[@]}"; do
		[[ $row =~ hint_budget_mib=([0-9]+) ]] && budget=${BASH_REMATCH[1]}
	done
	read -r peak n < <(q " " "kernel=patched sweep=" ^held_peak_kb "#")
	[ "$peak" != - ] || return 0
	echo "- patched, peak held bytes <= the driver's budget ($budget MiB): **$(le "$peak" "$((budget * 1024))")**" \
		"(largest peak $(scale "$peak" 0.0009765625 | awk '{ printf "%.1f", $1 }') MiB over ${n%/*} runs);" \
		"budget <= 5% of guest RAM: **$(le "$((budget * 100))" "$((1024 * 5))")** ($(ratio "$((budget * 100))" 1024)% of 1 GiB)"
}

# targets_downtime: the patched driver's median downtime against hint-off's
# in every scenario and guest size measured.
targets_downtime() {
	local s z pd hd r all=met list=''
	for s in "${rp_scens[@]}"; do
		for z in 1024 "${rp_sizes[@]}"; do
			[ "$z" = 1024 ] || bench_role "$s" sizes || continue
			pd=$(q " " "scenario=$s size_mib=$z kernel=patched sweep=" ~downtime_ms)
			hd=$(q " " "scenario=$s size_mib=$z kernel=hint-off sweep=" ~downtime_ms)
			if [ "$pd" = - ] || [ "$hd" = - ]; then
				continue
			fi
			r=$(le "$pd" "$hd")
			[ "$r" = met ] || all='not met'
			list+="${list:+, }$s$([ "$z" = 1024 ] || echo " $((z / 1024)) GiB") $pd/$hd ms"
		done
	done
	[ -n "$list" ] || return 0
	echo "- downtime <= hint-off's in every scenario (medians, patched/hint-off): **$all** ($list)"
}

# gp_plot TITLE FILE FIRST STRIDE WIDTH [STYLE]: a gnuplot plot of one
# series per kernel, the i-th from column FIRST + STRIDE * i of FILE:
# WIDTH 3 is median, min and max with xtic(1), WIDTH 1 a value over
# column 1.
gp_plot() {
	local title=$1 file=$2 first=$3 stride=$4 width=$5 style=${6:-} i c
	echo "set title '$title'"
	echo -n "plot "
	for ((i = 0; i < ${#rp_kernels[@]}; i++)); do
		[ $i -eq 0 ] || echo -n ", "
		c=$((first + stride * i))
		if [ "$width" = 3 ]; then
			echo -n "'$file' using $c:$((c + 1)):$((c + 2)):xtic(1) title '${rp_kernels[i]}'"
		else
			echo -n "'$file' using 1:$c title '${rp_kernels[i]}'$style"
		fi
	done
	echo
}

# report_plot PNG DIR: the plot of the CSV into PNG; its data and gnuplot
# script in DIR. Panels: MB sent and total time per scenario and kernel
# (the memory in use, the least precopy must send, as a bar on the MB
# panels); with the figures in the CSV, the memory the driver held (peak
# and mean per kernel that has it) and the host CPU time of each QEMU by
# thread class (stacked medians, per scenario and kernel); the size sweep.
report_plot() {
	local png=$1 dat=$2 s k z b t u lb lt l size_scen='' inuse='' held=() cpu='' c i n specs=()
	mkdir -p "$dat"
	[[ " $rp_have " != *" inuse_kb "* ]] || inuse=1
	if [[ " $rp_have " == *" held_peak_kb "* ]]; then
		for k in "${rp_kernels[@]}"; do
			[ "$(q " " "kernel=$k sweep=" ~held_peak_kb)" = - ] || held+=("$k")
		done
	fi
	[[ " $rp_have " != *" src_proc_ms "* ]] || cpu=1
	# A row per scenario: its name, then for each kernel median, min and
	# max of MB sent, and the same for the total time in s; last, the
	# median memory in use in MB (bytes.dat).
	for s in "${rp_scens[@]}"; do
		lb=$s lt=$s
		for k in "${rp_kernels[@]}"; do
			read -r -a b < <(q " " "scenario=$s size_mib=1024 kernel=$k sweep=" =transferred:1000000:1 =total_ms:1000:2)
			b=("${b[@]//NaN/0}")
			lb+=" ${b[*]:0:3}" lt+=" ${b[*]:3:3}"
		done
		if [ -n "$inuse" ]; then
			read -r u _ < <(q " " "scenario=$s size_mib=1024 sweep=" =inuse_kb:976.5625:1)
			lb+=" $u"
		fi
		echo "$lb" >>"$dat/bytes.dat"
		echo "$lt" >>"$dat/time.dat"
		# Held memory: per kernel with figures, peak and mean in MB.
		if [ ${#held[@]} -gt 0 ]; then
			l=$s
			for k in "${held[@]}"; do
				read -r -a b < <(q " " "scenario=$s size_mib=1024 kernel=$k sweep=" =held_peak_kb:1024:1 =held_mean_kb:1024:1)
				l+=" ${b[*]//NaN/0}"
			done
			echo "$l" >>"$dat/held.dat"
		fi
		# Host CPU: a row per scenario and kernel, the medians of each
		# class in s, then what the classes miss of the process's total.
		if [ -n "$cpu" ]; then
			for c in src dst; do
				specs=()
				for i in $CPU_CLASSES proc; do specs+=("=${c}_${i}_ms:1000:2"); done
				for k in "${rp_kernels[@]}"; do
					read -r -a b < <(q " " "scenario=$s size_mib=1024 kernel=$k sweep=" "${specs[@]}")
					b=("${b[@]//NaN/0}")
					l="$s/$k"
					for ((i = 0; i < ${#b[@]} - 3; i += 3)); do l+=" ${b[i]}"; done
					l+=" $(awk -v l="$l" -v p="${b[i]}" 'BEGIN { n = split(l, x, " "); for (j = 2; j <= n; j++) p -= x[j]; printf "%.2f\n", (p > 0 ? p : 0) }')"
					echo "$l" >>"$dat/cpu-$c.dat"
				done
			done
		fi
		[ -n "$size_scen" ] || ! bench_role "$s" sizes || size_scen=$s
	done
	# The size sweep of the first scenario with the sizes role: a row per
	# size in GiB, for each kernel the median MB and s; last, the median
	# memory in use in MB.
	if [ -n "$size_scen" ]; then
		for z in 1024 "${rp_sizes[@]}"; do
			l=$((z / 1024))
			for k in "${rp_kernels[@]}"; do
				read -r b _ _ t _ < <(q " " "scenario=$size_scen size_mib=$z kernel=$k sweep=" =transferred:1000000:1 =total_ms:1000:2)
				l+=" $b $t"
			done
			if [ -n "$inuse" ]; then
				read -r u _ < <(q " " "scenario=$size_scen size_mib=$z sweep=" =inuse_kb:976.5625:1)
				l+=" $u"
			fi
			echo "$l" >>"$dat/sweep.dat"
		done
	fi
	n=$((2 + (${#held[@]} > 0) + ${cpu:-0} * 2))
	[ -z "$size_scen" ] || n=$((n + 2))
	# The in-use bar over each scenario's bars, and the line of the sweep.
	local ib='' is=''
	if [ -n "$inuse" ]; then
		ib=", '$dat/bytes.dat' using 0:$((2 + 3 * ${#rp_kernels[@]})):(0.45) with xerrorbars pt 0 lw 3 lc rgb 'black' title 'in use (the least to send)'"
		is=", '$dat/sweep.dat' using 1:$((2 + 2 * ${#rp_kernels[@]})) with lines dt 2 lw 2 lc rgb 'black' title 'in use'"
	fi
	{
		echo "set terminal pngcairo size 1400,$((500 * ((n + 1) / 2))) font 'sans,10' noenhanced"
		echo "set output '$png'"
		echo "set multiplot layout $(((n + 1) / 2)),2 title 'Free page hinting, live migration${rp_set[accel]:+ under ${rp_set[accel]}} (${rp_set[date]:+${rp_set[date]%% *}, }medians, bars: min-max)'"
		echo "set style data histogram"
		echo "set style histogram errorbars gap 1 lw 1"
		echo "set style fill solid 0.6 border -1"
		echo "set grid ytics"
		echo "set key top left"
		echo "set yrange [0:*]"
		echo "$(gp_plot 'MB sent, 1 GiB guest' "$dat/bytes.dat" 2 3 3)$ib"
		gp_plot 'total migration time (s), 1 GiB guest' "$dat/time.dat" 2 3 3
		if [ ${#held[@]} -gt 0 ]; then
			echo "set title 'MiB the driver held, peak and mean, 1 GiB guest'"
			echo -n "plot "
			for ((i = 0; i < ${#held[@]}; i++)); do
				[ $i -eq 0 ] || echo -n ", "
				c=$((2 + 6 * i))
				echo -n "'$dat/held.dat' using $c:$((c + 1)):$((c + 2)):xtic(1) title '${held[i]} peak', '' using $((c + 3)):$((c + 4)):$((c + 5)) title '${held[i]} mean'"
			done
			echo
		fi
		if [ -n "$cpu" ]; then
			echo "set style histogram rowstacked"
			echo "set boxwidth 0.75"
			echo "set xtics rotate by -45 scale 0"
			echo "set key outside right top"
			for c in src dst; do
				echo "set title '$( [ $c = src ] && echo source || echo destination) QEMU: host CPU s by thread, 1 GiB guest'"
				echo -n "plot '$dat/cpu-$c.dat' using 2:xtic(1) title 'vCPU'"
				i=3
				for l in iothread migration 'main loop' other 'unseen (exited threads)'; do
					echo -n ", '' using $i title '$l'"
					i=$((i + 1))
				done
				echo
			done
			echo "set xtics norotate scale 1"
			echo "set key inside top left"
		fi
		if [ -n "$size_scen" ]; then
			echo "set style data linespoints"
			echo "set xlabel 'guest size (GiB)'"
			echo "set logscale x 2"
			echo "$(gp_plot "$size_scen: MB sent by guest size" "$dat/sweep.dat" 2 2 1 ' lw 2 pt 7')$is"
			gp_plot "$size_scen: total time (s) by guest size" "$dat/sweep.dat" 3 2 1 ' lw 2 pt 7'
		fi
		echo "unset multiplot"
	} >"$dat/plot.gp"
	gnuplot "$dat/plot.gp" 2>"$dat/gnuplot.log" || {
		echo "gnuplot failed on the plot of $rp_csv: $(tail -n 3 "$dat/gnuplot.log")" >&2
		return 1
	}
}

# report_load CSV: what the report of CSV (its csv_scan lines in rp_scan)
# is made of: rp_cases, rp_kernels, rp_scens, rp_sizes, rp_sweep, rp_reps,
# rp_runs, rp_have, the settings (load_settings), rp_param (the swept
# parameter) and rp_lines, a "CELLS|FILTER" line per case and kernel for
# md_table: "scenario | guest | kernel" and the runs of that line.
report_load() {
	rp_csv=$1
	local key a b c s z mo k lbl
	rp_cases=() rp_kernels=() rp_scens=() rp_sizes=() rp_sweep='' rp_lines=()
	while IFS=$'\t' read -r key a b c; do
		case $key in
		case)
			rp_cases+=("$a $b ${c:--}")
			[ -z "$c" ] || rp_sweep=1
			[ "$b" != 1024 ] || [[ " ${rp_scens[*]} " == *" $a "* ]] || rp_scens+=("$a")
			! bench_role "$a" sizes || [ "$b" = 1024 ] || rp_sizes+=("$b")
			;;
		kernel) rp_kernels+=("$a") ;;
		reps) rp_reps=$a ;;
		runs) rp_runs=$a ;;
		cols) rp_have=$a ;;
		esac
	done <<<"$rp_scan"
	load_settings "$rp_csv"
	# The swept parameter: older CSVs name their sweep column after it.
	rp_param=${rp_set[sweep]:-parameter}
	local label=min_order
	[[ " $rp_have " != *" sweep "* ]] || label=$rp_param
	for c in "${rp_cases[@]}"; do
		read -r s z mo <<<"$c"
		lbl=$s
		if [ "$mo" = - ]; then mo=''; else lbl+=", $label $mo"; fi
		for k in "${rp_kernels[@]}"; do
			rp_lines+=("$lbl | $((z / 1024)) GiB | $k|scenario=$s size_mib=$z kernel=$k sweep=$mo")
		done
	done
}

# report_one CSV DEST: the report of CSV, whose csv_scan lines are in rp_scan,
# into the folder DEST: NAME.md, NAME.png (not for a sweep) and NAME.block
# (for -R).
report_one() {
	local dest=$2 name s k l lines=() title head colnotes main blocks busy='' targets='' notes perf=
	report_load "$1"
	name=$(basename "$rp_csv" .csv)
	local param=$rp_param
	lines=("${rp_lines[@]}")

	title=${rp_set[title]:-}
	[ -n "$title" ] || [ -z "$rp_sweep" ] ||
		title="$param sweep: $(printf '%s\n' "${rp_cases[@]}" | awk '!seen[$1]++ { printf "%s%s", n++ ? "," : "", $1 }')"
	title=${title:-Free page hinting: live migration benchmark}
	head=$(
		if [ -n "${rp_set[date]:-}" ]; then
			echo "${rp_set[date]}, ${rp_set[command]:-}, $rp_reps repetition(s), ${rp_set[took]:-?} s in all."
		else
			echo "Measured in .work/$rp_runs, $rp_reps repetition(s); the settings were not recorded."
		fi
		if [ ${#rp_rows[@]} -gt 0 ]; then
			printf '\n| | |\n| --- | --- |\n'
			printf '%s\n' "${rp_rows[@]}" | awk -F'\t' '{ print "| " $1 " | " $2 " |" }'
		fi
	)
	colnotes="Medians, with [min-max] when there is more than one run. sent: bytes on the wire
(ram.transferred); normal: pages sent in full; total, setup, downtime: QMP; hint: guest
time in hinting rounds, summed over the rounds (patched only); used: MemTotal - MemFree"
	if [[ " $rp_have " == *" inuse_kb "* ]]; then
		colnotes+="
in the guest just before the migration starts; in use: guest RAM - MemFree at the same
time, which adds what the kernel reserved at boot (image, memmap, firmware areas): every
page not on the free lists, the least precopy must send unless it reads as zero."
	else
		colnotes+="
in the guest when the migration starts, the least precopy must send."
	fi
	main=$(md_table "scenario|guest|kernel" MAIN_COLS "${lines[@]}")
	blocks=$(md_table "scenario|guest|kernel" BLOCK_COLS "${lines[@]}")
	# Held memory and cost per block: the lines with hinting figures.
	if [ -n "$(present "${HELD_COLS[@]}")" ]; then
		lines=()
		for l in "${rp_lines[@]}"; do
			[ "$(q " " "${l##*|}" ~hint_blocks_seen ~held_samples)" = "- -" ] || lines+=("$l")
		done
		[ ${#lines[@]} -eq 0 ] || perf+="
Memory the driver held during the migration (held_bytes sampled every 10 ms in the guest:
peak; mean: time-weighted over the total time; held s: time with anything held; sampler
CPU: guest CPU time of the sampler) and the cost per block hinted (blocks and guest time of
the rounds the guest saw; host: the source QEMU's iothread time over those blocks), medians:

$(md_table "scenario|guest|kernel" HELD_COLS "${lines[@]}")
"
	fi
	if [ -n "$(present "${SRC_CPU_COLS[@]}")" ]; then
		perf+="
Host CPU time of the source QEMU by thread (utime + stime, read every 20 ms from just
before the migrate command to the poll, every 0.1 s, that saw it end: the window; vCPU: the
CPU n/TCG threads; iothread: IO io0, the balloon's virtqueues; migration: live_migration;
main loop: QMP; other: call_rcu, worker, the monitor's IO mon_iothread, ...; process: the
process's own total, which keeps the time of threads that exited), medians:

$(md_table "scenario|guest|kernel" SRC_CPU_COLS "${rp_lines[@]}")

The destination QEMU in the same window (main loop: the loading of the incoming stream;
vCPU: the guest running there once the migration ended, up to 0.1 s):

$(md_table "scenario|guest|kernel" DST_CPU_COLS "${rp_lines[@]}")
"
	fi
	if [ -z "$rp_sweep" ]; then
		for s in "${rp_scens[@]}"; do
			bench_role "$s" busy || continue
			lines=()
			for k in "${rp_kernels[@]}"; do lines+=("$k|scenario=$s size_mib=1024 kernel=$k sweep="); done
			busy+="
Busy guest: workload throughput before the migration (5 s, baseline) and during it (from
the end of its setup to its end), and /proc/vmstat changes from before the migration to
its end (medians):

$(md_table kernel BUSY_COLS "${lines[@]}")"
		done
		targets=$(targets)
	fi
	notes=$(
		echo "- Runs that did not complete, whose guest did not report, or whose console showed a"
		echo "  kernel complaint are listed in the CSV with their status and left out of the medians;"
		echo "  such a run is tried again${rp_set[retries]:+, up to ${rp_set[retries]} more times} (the runs column: used / all attempts)."
		if [ "${rp_set[accel]:-}" = tcg ] && [ "${rp_set[memx]:-1024}" != 1024 ]; then
			echo "- Guests have 8 KiB more than their nominal size (-m ${rp_set[memx]} for 1 GiB). QEMU 7.2 under TCG"
			echo "  loses guest writes across a migration when a RAM block is a multiple of 256 KiB: its"
			echo "  fast dirty-bitmap sync does not reset the TCG TLBs' dirty state (fixed in QEMU 9.0,"
			echo "  commit 03bfc2188f). The odd size makes QEMU sync page by page, which is correct but"
			echo "  slow: about 1.5 s per GiB of setup time (setup s) on an idle guest, more on the busy"
			echo "  one (the sync walks the TCG TLBs for every dirty page), the same for every kernel."
		fi
		echo "- Under TCG the guest runs some 10-50x slower than on hardware, so guest-side times"
		echo "  (hint ms, busy MiB/s) are inflated against the transfer, which runs at native speed."
		echo "- Raw data: $name.csv (one line per run; hint_blocks is the largest round's"
		echo "  blocks per order, colon separated). Consoles and QMP output: .work/$rp_runs/."
	)
	{
		printf '# %s\n\n%s\n\n%s\n\n%s\n\n' "$title" "$head" "$colnotes" "$main"
		printf 'Blocks hinted per order, largest round of the median-size run (patched; order 0 to 10):\n\n%s\n' "$blocks"
		[ -z "$perf" ] || printf '%s' "$perf"
		[ -z "$busy" ] || printf '%s\n' "$busy"
		if [ -z "$rp_sweep" ]; then
			printf '\n## Targets (reported, never enforced)\n\n'
			[ -z "$targets" ] || printf '%s\n' "$targets"
		fi
		printf '\n## Notes\n\n%s\n' "$notes"
	} >"$dest/$name.md"
	{
		printf '%s\n\n%s\n\n%s\n\n' "$head" "$colnotes" "$main"
		[ -n "$rp_sweep" ] || printf 'Targets (reported, never enforced):\n\n%s\n' "${targets:+$targets
}"
	} >"$dest/$name.block"
	[ -n "$rp_sweep" ] || report_plot "$dest/$name.png" "$dest/$name.plot"
}


# ---- the text table, for a mail ---------------------------------------------------

# wrap: stdin's lines wrapped at blanks to at most 75 columns.
wrap() {
	awk '{
		n = split($0, w, " "); l = ""
		for (i = 1; i <= n; i++) {
			if (l != "" && length(l) + 1 + length(w[i]) > 75) { print l; l = w[i] }
			else l = (l == "" ? w[i] : l " " w[i])
		}
		print l
	}'
}

# text_runs: the runs of every line of rp_lines ("ok/attempts"), when it
# is the same for all, else nothing.
text_runs() {
	local line
	for line in "${rp_lines[@]}"; do
		q "" "${line##*|}" "#"
	done | sort -u | awk '{ r = $0; n++ } END { if (n == 1) print r }'
}

# text_table RUNS: the lines of rp_lines as a plain-text table: medians
# only, text left and figures right aligned, the header on two lines; a
# runs column when RUNS (text_runs) is empty.
text_table() {
	local line cells c specs=() heads=("~scenario" "~guest" "~kernel")
	[ -n "$1" ] || specs=("~runs|#")
	mapfile -t -O "${#specs[@]}" specs < <(present "${TEXT_COLS[@]}")
	c=$(present "${TEXT_RATIO[@]}" | head -n 1)
	[ -z "$c" ] || specs+=("$c")
	for c in "${specs[@]}"; do heads+=("${c%%|*}"); done
	{
		printf '%s\n' "${heads[@]}" | sed 's/~.*//' | paste -sd '\t'
		printf '%s\n' "${heads[@]}" | sed 's/^[^~]*~//' | paste -sd '\t'
		for line in "${rp_lines[@]}"; do
			cells=$(q $'\t' "${line##*|}" "${specs[@]#*|}")
			[ -z "$cells" ] || printf '%s\t%s\n' "${line%|*}" "$cells" | sed 's/ | /\t/g'
		done
	} | awk -F'\t' -v left=3 '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > nf) nf = NF }
		END {
			for (r = 1; r <= NR; r++) {
				if (r == 3) {
					l = ""
					for (i = 1; i <= nf; i++) { d = sprintf("%" w[i] "s", ""); gsub(/ /, "-", d); l = l (i > 1 ? "  " : "") d }
					print l
				}
				l = ""
				for (i = 1; i <= nf; i++)
					l = l (i > 1 ? "  " : "") sprintf(i <= left ? "%-" w[i] "s" : "%" w[i] "s", c[r, i])
				sub(/ +$/, "", l)
				print l
			}
		}'
}

# bench_text CSV: the benchmark of CSV as plain text for a mail (the cover
# letter's table, posting/cover-letter.txt): a line naming the date, the
# host and the QEMU of the run (from its settings), a line saying what the
# figures are, then text_table. At most 75 columns when the scenario names
# allow it. Runs in a subshell; non-zero (1; 2 with the usage) when
# anything is wrong, and then nothing is printed.
bench_text() (
	[ $# -eq 1 ] || bench_usage_error "report -t takes one CSV"
	{ [ -f "$1" ] && [[ $1 == *.csv ]]; } || bench_usage_error "$1 is not a .csv file"
	rp_scan=$(csv_scan "$1") || die "${rp_scan:-cannot read $1}"
	report_load "$1"
	local host='' qemu='' r what out runs
	for r in "${rp_rows[@]}"; do
		case ${r%%$'\t'*} in
		"host CPU") host=${r#*$'\t'} ;;
		QEMU) qemu=$(sed -e 's/^QEMU emulator version \([^ ,]*\).*/QEMU \1/' -e 's/, accel .*//' <<<"${r#*$'\t'}") ;;
		esac
	done
	if [ -n "${rp_set[date]:-}" ]; then
		what="Measured ${rp_set[date]%% *}${host:+ on $host}${qemu:+, $qemu}${rp_set[accel]:+ (${rp_set[accel]^^})}."
	else
		what="Measured in .work/$rp_runs; the settings (date, host, QEMU) were not recorded."
	fi
	runs=$(text_runs)
	if [ -n "$runs" ]; then
		r="Medians of ${runs%%/*} runs;"
		[ "${runs%%/*}" != 1 ] || r="One run each;"
	else
		r="Medians of the runs that completed (runs: completed/attempts);"
	fi
	r+=" sent: bytes on the wire; total, downtime: QMP;"
	if [[ " $rp_have " == *" inuse_kb "* ]]; then
		r+=" in use: guest RAM - MemFree before the migration."
	else
		r+=" used: MemTotal - MemFree before the migration."
	fi
	out=$(
		printf '%s\n' "$what" | wrap
		printf '%s\n' "$r" | wrap
		echo
		text_table "$runs"
	) || die "no text table of $1"
	printf '%s\n' "$out"
)

# ---- check every CSV, make every report, then put them in place ----------------

bench_report() (
	outdir=$1 readme=$2
	shift 2
	[ $# -gt 0 ] || bench_usage_error "report: no CSV or folder given"
	csvs=()
	for src in "$@"; do
		if [ -d "$src" ]; then
			n=${#csvs[@]}
			for f in "$src"/*.csv; do
				[ -f "$f" ] && csvs+=("$f")
			done
			[ ${#csvs[@]} -gt "$n" ] || die "$src has no CSV (*.csv)"
		elif [ -f "$src" ] && [[ $src == *.csv ]]; then
			csvs+=("$src")
		else
			bench_usage_error "$src is neither a folder nor a .csv file"
		fi
	done
	if [ -n "$outdir" ]; then
		name=$(printf '%s\n' "${csvs[@]##*/}" | sort | uniq -d | head -n 1)
		[ -z "$name" ] || bench_usage_error "two CSVs named $name would both be reported into $outdir"
	fi
	if [ -n "$readme" ]; then
		[ ${#csvs[@]} -eq 1 ] || bench_usage_error "-R takes the report of one CSV, not ${#csvs[@]}"
		[ -f "$readme" ] || bench_usage_error "-R $readme: no such file"
		for m in begin end; do
			grep -q "^<!-- bench:$m -->\$" "$readme" || die "$readme has no <!-- bench:$m --> line"
		done
	fi
	need_pkgs gnuplot:gnuplot-nox
	scans=()
	for f in "${csvs[@]}"; do
		scan=$(csv_scan "$f") || die "${scan:-cannot read $f}"
		scans+=("$scan")
	done
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for i in "${!csvs[@]}"; do
		rp_scan=${scans[i]}
		mkdir "$tmp/$i"
		report_one "${csvs[i]}" "$tmp/$i" || die "no report written"
	done
	for i in "${!csvs[@]}"; do
		dest=${outdir:-$(dirname "${csvs[i]}")}
		name=$(basename "${csvs[i]}" .csv)
		mkdir -p "$dest" || die "cannot make $dest"
		for f in "$tmp/$i/$name.md" "$tmp/$i/$name.png"; do
			[ ! -f "$f" ] || mv "$f" "$dest/" || die "cannot write $dest/${f##*/}"
		done
		info "report: $dest/$name.md$([ ! -f "$dest/$name.png" ] || echo ", $dest/$name.png")"
	done
	[ -n "$readme" ] || exit 0
	src=$(cd "$(dirname "${csvs[0]}")" && pwd)/$(basename "${csvs[0]}")
	{
		echo "<!-- bench:begin -->"
		echo "<!-- generated by selftests/bench.sh report from ${src#"$TOP"/} -->"
		cat "$tmp/0/$(basename "${csvs[0]}" .csv).block"
		echo "<!-- bench:end -->"
	} >"$tmp/block"
	awk -v f="$tmp/block" '
		/^<!-- bench:begin -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- bench:end -->$/ { skip = 0; next }
		!skip' "$readme" >"$tmp/readme" || die "cannot read $readme"
	cat "$tmp/readme" >"$readme" || die "cannot update $readme"
	info "$readme: the bench block from ${src#"$TOP"/}"
)
