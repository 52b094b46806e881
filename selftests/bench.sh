#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration benchmark of free page hinting: this series against the
# stock kernel (allocation-based hinting) and against no hinting at all.
# It measures and prints; it never fails on a number.
#
#   selftests/bench.sh [-r REPS] [-s SCENARIOS] [-k KERNELS] [-z SIZES]
#                      [-o DIR] [-c CMDLINE] [-m [-M ORDERS] | -b BUDGETS]
#
#   -r REPS       repetitions of every case (default 3); the kernels of a
#                 case run interleaved, in a rotating order
#   -s SCENARIOS  comma separated (default idle-dirty,fragmented,
#                 fragmented-capped,busy), run on 1 GiB guests:
#                   idle-dirty  most of free memory written into a tmpfs
#                               file, then deleted: free memory with stale
#                               data
#                   fragmented  most of free memory touched, then every page
#                               with an odd pfn freed: free memory in order-0
#                               holes between pages kept
#                   busy        a ring of 8 chunks of 16 MiB: the oldest
#                               unmapped, a new one mapped and written, in
#                               a loop during the migration; its throughput
#                               and the guest's compaction, reclaim and THP
#                               counters are reported
#                   idle        nothing
#                   NAME-capped NAME with max-bandwidth 128 MiB/s
#                               (CAPPED_BANDWIDTH) instead of unlimited:
#                               under TCG the guest runs 10-50x slower than
#                               on hardware while the transfer does not, so
#                               guest-side work such as hinting is late
#                               against an unlimited transfer; the cap
#                               brings the ratio nearer a real host
#   -k KERNELS    comma separated (default patched,stock,hint-off):
#                   patched   .work/build/guest (this series),
#                             free-page-hint=on
#                   stock     .work/build/stock: the same kernel at tag
#                             base (Debian's 6.12.y), same config, free-page-hint=on. Built
#                             when missing, from a git worktree of
#                             .work/linux at base in .work/linux-base
#                   hint-off  .work/build/guest with free-page-hint=off
#   -z SIZES      size sweep on idle-dirty, guest sizes in MiB besides the
#                 1 GiB of the scenarios (default 2048,4096; "" for none)
#   -o DIR        where the results go (default bench/results; with CI=true
#                 .work/bench/ci)
#   -c CMDLINE    more guest kernel command line for every run, e.g.
#                 page_poison=1 or init_on_free=1 (this series does not
#                 hint there, the stock driver does); shown in latest.md
#   -m            instead of the above: the hint_min_order sweep on the
#                 fragmented scenario, patched kernel only, booted with
#                 virtio_balloon.hint_min_order=N for each N of -M ORDERS
#                 (default 0,3,9); writes min-order.md and min-order.csv
#   -b BUDGETS    instead of the above: the hint_budget_mib sweep, patched
#                 kernel only, booted with virtio_balloon.hint_budget_mib=N
#                 for each N of BUDGETS (comma separated MiB) on the
#                 scenarios of -s (default idle-dirty,idle-dirty-capped);
#                 writes budget.md and budget.csv
#   -h            this help
#
# Under CI=true (and no option given) it is a smoke check: idle-dirty,
# patched and hint-off, one repetition.
#
# Every run is one live migration (selftests/lib/migrate.sh: two local
# QEMUs, 127.0.0.1, max-bandwidth 10 GiB/s i.e. unlimited, downtime-limit
# 300 ms, guest with 2 vCPUs). A run that does not complete, whose guest
# does not report or whose console shows a kernel complaint is tried again
# (BENCH_RETRIES, 2); every attempt is in the CSV. Per run: bytes transferred, pages sent in
# full (normal), zero pages (duplicate), total time, setup time, downtime,
# dirty syncs (QMP query-migrate); the guest's used memory (MemTotal -
# MemFree just before the migration, FPW-MIG-READY); with the patched kernel the hinting
# rounds fpwmem saw in the driver's debugfs statistics (guest time summed
# over the rounds, pages, blocks per order of the largest round); busy:
# the workload's throughput and /proc/vmstat deltas.
#
# Output in DIR:
#   latest.md   the machine, the settings, tables of medians with min-max,
#               the targets (met / not met) and notes
#   latest.png  bytes and time per scenario and kernel, and the size sweep
#   latest.csv  one line per run
# (-m: min-order.md, min-order.csv; -b: budget.md, budget.csv.) The runs' consoles and QMP output
# stay in .work/bench/runs/<date>/.
#
# Environment: FPW_ACCEL=kvm (and the rest of selftests/lib/qemu.sh),
# MIG_BANDWIDTH, MIG_DOWNTIME, MIG_TIMEOUT (selftests/lib/migrate.sh).
# Under TCG with QEMU < 9.0 every guest has 8 KiB more than its nominal
# size (mig_mem in selftests/lib/migrate.sh: a QEMU bug loses guest writes
# otherwise); the per-page dirty sync this causes shows in setup time.
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/qemu.sh
. "$TOP/selftests/lib/qemu.sh"
# shellcheck source=selftests/lib/migrate.sh
. "$TOP/selftests/lib/migrate.sh"
cd "$TOP" || die "cannot cd to $TOP"

reps=3
scenarios=idle-dirty,fragmented,fragmented-capped,busy
kernels=patched,stock,hint-off
sizes=2048,4096
outdir=$TOP/bench/results
# A parameter sweep (-m, -b): the module parameter, its values, the files.
sweep= sweep_vals= sweep_file=
orders=0,3,9
scen_given=
if [ "${CI:-}" = true ] && [ $# -eq 0 ]; then
	reps=1 scenarios=idle-dirty kernels=patched,hint-off sizes=
	outdir=$WORK/bench/ci
fi
extra_cmdline=
while getopts r:s:k:z:o:c:mM:b:h opt; do
	case $opt in
	r) reps=$OPTARG ;;
	s) scenarios=$OPTARG scen_given=1 ;;
	k) kernels=$OPTARG ;;
	z) sizes=$OPTARG ;;
	o) outdir=$OPTARG ;;
	c) extra_cmdline=$OPTARG ;;
	m) sweep=hint_min_order sweep_file=min-order ;;
	b) sweep=hint_budget_mib sweep_file=budget sweep_vals=$OPTARG ;;
	M) orders=$OPTARG ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_exit 2
# The benchmark's guests are x86_64 (selftests/lib/arch.sh).
arch_load x86_64
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "-r wants a positive number"
if [ "$sweep" = hint_min_order ]; then
	scenarios=fragmented kernels=patched sizes= sweep_vals=$orders
elif [ "$sweep" = hint_budget_mib ]; then
	[ -n "$scen_given" ] || scenarios=idle-dirty,idle-dirty-capped
	kernels=patched sizes=
fi
for v in ${sweep_vals//,/ }; do
	[[ $v =~ ^[0-9]+$ ]] || die "$sweep: '$v' is not a number"
done

need_pkgs python3:python3-minimal gnuplot:gnuplot-nox awk:gawk

export MIG_BANDWIDTH=${MIG_BANDWIDTH:-10737418240}
export MIG_DOWNTIME=${MIG_DOWNTIME:-300}
# The -capped scenarios: max-bandwidth 128 MiB/s.
CAPPED_BANDWIDTH=${CAPPED_BANDWIDTH:-134217728}
# A run that fails (no completion, no guest report, a kernel complaint)
# is tried again, up to this many times; every attempt is in the CSV.
retries=${BENCH_RETRIES:-2}
export MIG_READY_TIMEOUT=${MIG_READY_TIMEOUT:-600}
export MIG_TIMEOUT=${MIG_TIMEOUT:-600}
export MIG_FINISH_TIMEOUT=${MIG_FINISH_TIMEOUT:-300}
export GUEST_CPUS=${GUEST_CPUS:-2}

# ---- kernels -------------------------------------------------------------

# The stock kernel: base, same config, same initramfs programs.
ensure_stock() {
	local tree=$WORK/linux-base
	if [ ! -f "$WORK/build/stock/$ARCH_IMAGE" ]; then
		[ -d "$WORK/linux/.git" ] || die "no .work/linux: run ./apply.sh first"
		if ! git -C "$tree" rev-parse -q --verify HEAD >/dev/null 2>&1; then
			git -C "$WORK/linux" worktree prune
			rm -rf "$tree"
			git -C "$WORK/linux" worktree add -q --detach "$tree" base ||
				die "cannot make a worktree of .work/linux at base in $tree"
		fi
		[ "$(git -C "$tree" rev-parse HEAD)" = "$(git -C "$WORK/linux" rev-parse "base^{commit}")" ] ||
			git -C "$tree" checkout -q --detach base || die "cannot check out base in $tree"
		info "building the stock kernel (tag base) in .work/build/stock"
		"$TOP/selftests/build.sh" -s "$tree" -o stock || die "building the stock kernel failed"
	fi
	[ -d "$tree/tools/testing/selftests/mm" ] || tree=$WORK/linux
	"$TOP/selftests/initramfs.sh" -s "$tree" -o stock >/dev/null || die "making the stock initramfs failed"
}

# kernel_build KERNEL: the build folder name.
kernel_build() {
	case $1 in
	stock) echo stock ;;
	*) echo guest ;;
	esac
}

# kernel_opts KERNEL: the balloon device options.
kernel_opts() {
	case $1 in
	hint-off) echo "free-page-hint=off,iothread=io0" ;;
	*) echo "free-page-hint=on,iothread=io0" ;;
	esac
}

for k in ${kernels//,/ }; do
	case $k in
	patched | hint-off)
		[ -f "$WORK/build/guest/$ARCH_IMAGE" ] || die "no .work/build/guest: run selftests/build.sh"
		"$TOP/selftests/initramfs.sh" -o guest >/dev/null || die "making the initramfs failed"
		;;
	stock) ensure_stock ;;
	*) die "unknown kernel '$k' (patched, stock, hint-off)" ;;
	esac
done
for s in ${scenarios//,/ }; do
	case $s in
	idle | idle-dirty | fragmented | busy | *-capped) ;;
	*) die "unknown scenario '$s'" ;;
	esac
done

# ---- the runs --------------------------------------------------------------

stamp=$(date -u +%Y%m%d-%H%M%S)
runs=$WORK/bench/runs/$stamp
mkdir -p "$runs" "$outdir"
csv=$runs/runs.csv
cols="rep,scenario,size_mib,kernel,sweep,status,transferred,normal_pages,duplicate_pages"
cols+=",total_ms,setup_ms,downtime_ms,dirty_syncs,memtotal_kb,used_kb,inuse_kb,hint_us,hint_rounds"
cols+=",hint_pages,hint_blocks,hint_buffers,busy_mib_s,compact_stall,compact_migrate_scanned,compact_isolated"
cols+=",compact_daemon_wake,pgscan,pgsteal,allocstall,pgmigrate_success,thp_fault_alloc"
cols+=",thp_fault_fallback,busy_base_mib_s,console_bad,run"
echo "$cols" >"$csv"

# vmstat_delta SRCLOG DSTLOG NAME...: the sum over NAMEs of the counter at
# "report" (destination, after the migration) less at "ready" (source,
# before it).
vmstat_delta() {
	local src=$1 dst=$2 a b
	shift 2
	a=$(tr -d '\r' <"$src" | grep -a '^FPW-MIG-VMSTAT when=ready' | tail -n 1)
	b=$(tr -d '\r' <"$dst" | grep -a '^FPW-MIG-VMSTAT when=report' | tail -n 1)
	if [ -z "$a" ] || [ -z "$b" ]; then
		echo ""
		return
	fi
	awk -v a="$a" -v b="$b" -v names="$*" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); s[kv[1]] = kv[2] }
		n = split(b, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); e[kv[1]] = kv[2] }
		n = split(names, nm, " "); d = 0
		for (i = 1; i <= n; i++) d += e[nm[i]] - s[nm[i]]
		print d }'
}

# run_one REP SCENARIO SIZE KERNEL MINORDER ATTEMPT: one migration, one CSV
# line; returns non-zero when the run is not usable.
run_one() {
	local rep=$1 scen=$2 size=$3 k=$4 mo=$5 att=$6 dir cmdline status=ok
	local b
	b=$(kernel_build "$k")
	dir=$runs/$scen-$size-$k${mo:+-$sweep_file$mo}-r$rep
	[ "$att" = 1 ] || dir+=-a$att
	cmdline="fpw.bench=${scen%-capped}"
	[ -z "$mo" ] || cmdline+=" virtio_balloon.$sweep=$mo"
	[ -z "$extra_cmdline" ] || cmdline+=" $extra_cmdline"
	info "run $rep/$reps: $scen, $size MiB, $k${mo:+, $sweep=$mo}$([ "$att" = 1 ] || echo ", attempt $att")"
	local start=$SECONDS bw=$MIG_BANDWIDTH
	[ "$scen" = "${scen%-capped}" ] || bw=$CAPPED_BANDWIDTH
	MIG_START_AFTER_SETUP=1 MIG_BANDWIDTH=$bw GUEST_MEM=$(mig_mem "$size") FPW_BALLOON_OPTS=$(kernel_opts "$k") \
		mig_run "$dir" "$WORK/build/$b/$ARCH_IMAGE" "$WORK/build/$b/initramfs.cpio.gz" \
		bench "$cmdline" report || status=$(tr ' ,;' '___' <<<"${MIG_ERR:-failed}" | cut -c1-100)
	local src=$dir/src.log dst=$dir/dst.log mt=$dir/migrate.txt
	tr -d '\r' <"$dst" 2>/dev/null | grep -aq '^FPW-MIG-END' || [ "$status" != ok ] || status=no-guest-report
	local bad
	bad=$(mig_bad "$src")
	bad=$((${bad%% *} + $(mig_bad "$dst" | cut -d' ' -f1)))
	[ "$bad" -eq 0 ] || [ "$status" != ok ] || status=console-not-clean
	local hint rounds hpages blocks hbufs hus
	hint=$(tr -d '\r' <"$dst" 2>/dev/null | grep -a '^FPW-MIG-HINT ' | tail -n 1)
	if [[ $hint == *present=1* ]]; then
		hus=$(tr ' ' '\n' <<<"$hint" | sed -n 's/^time_us_sum=//p')
		rounds=$(tr ' ' '\n' <<<"$hint" | sed -n 's/^rounds=//p')
		hpages=$(tr ' ' '\n' <<<"$hint" | sed -n 's/^pages_total=//p')
		blocks=$(tr ' ' '\n' <<<"$hint" | sed -n 's/^max_round_blocks=//p' | tr ',' ':')
		hbufs=$(tr ' ' '\n' <<<"$hint" | sed -n 's/^max_round_buffers=//p')
	else
		hus='' rounds='' hpages='' blocks='' hbufs=''
	fi
	local busy
	busy=$(mig_field "$dst" FPW-MIG-BUSY mib_per_s)
	[ "$busy" != n/a ] || busy=
	local v row
	row="$rep,$scen,$size,$k,${mo},$status"
	for v in transferred normal_pages duplicate_pages total_time_ms setup_time_ms downtime_ms dirty_sync_count; do
		v=$(mig_kv "$mt" "$v")
		[ "$v" != n/a ] || v=
		row+=",$v"
	done
	# Used memory as the guest left it for the migration (READY): by the
	# time "start" is read, the stock kernel's hinting has allocated most
	# of free memory, and a short migration may be over.
	v=$(mig_field "$src" FPW-MIG-READY memtotal_kb)
	row+=",${v/n\/a/}"
	v=$(mig_field "$src" FPW-MIG-READY used_kb)
	row+=",${v/n\/a/}"
	# In use: guest RAM that is not free. MemTotal leaves out what the
	# kernel reserved at boot (its image, the memmap, firmware areas),
	# which is not free either and is migrated like the rest.
	local mem free
	mem=$(mig_mem "$size")
	[[ $mem == *k ]] && mem=${mem%k} || mem=$((mem * 1024))
	free=$(mig_field "$src" FPW-MIG-READY memfree_kb)
	if [ "$free" != n/a ]; then row+=",$((mem - free))"; else row+=","; fi
	row+=",$hus,$rounds,$hpages,$blocks,$hbufs,$busy"
	row+=",$(vmstat_delta "$src" "$dst" compact_stall)"
	row+=",$(vmstat_delta "$src" "$dst" compact_migrate_scanned)"
	row+=",$(vmstat_delta "$src" "$dst" compact_isolated)"
	row+=",$(vmstat_delta "$src" "$dst" compact_daemon_wake)"
	row+=",$(vmstat_delta "$src" "$dst" pgscan_kswapd pgscan_direct)"
	row+=",$(vmstat_delta "$src" "$dst" pgsteal_kswapd pgsteal_direct)"
	row+=",$(vmstat_delta "$src" "$dst" allocstall_normal allocstall_movable allocstall_dma32)"
	row+=",$(vmstat_delta "$src" "$dst" pgmigrate_success)"
	row+=",$(vmstat_delta "$src" "$dst" thp_fault_alloc)"
	row+=",$(vmstat_delta "$src" "$dst" thp_fault_fallback)"
	v=$(mig_field "$src" FPW-MIG-READY baseline_mib_per_s)
	row+=",${v/n\/a/}"
	row+=",$bad,${dir#"$WORK"/}"
	echo "$row" >>"$csv"
	info "  $status: $(mig_kv "$mt" transferred) bytes, $(mig_kv "$mt" total_time_ms) ms total," \
		"$(mig_kv "$mt" downtime_ms) ms down${hus:+, hint ${hus} us}${busy:+, busy $busy MiB/s}" \
		"($((SECONDS - start)) s)"
	[ "$status" = ok ]
}

# The cases: "SCENARIO SIZE SWEEP_VALUE", each run with every kernel.
cases=()
if [ -n "$sweep" ]; then
	for s in ${scenarios//,/ }; do
		for o in ${sweep_vals//,/ }; do
			cases+=("$s 1024 $o")
		done
	done
else
	for s in ${scenarios//,/ }; do
		cases+=("$s 1024 -")
	done
	for z in ${sizes//,/ }; do
		cases+=("idle-dirty $z -")
	done
fi
read -r -a klist <<<"${kernels//,/ }"
trap mig_cleanup EXIT
trap 'exit 130' INT TERM
total=$SECONDS
info "benchmark: ${#cases[@]} case(s) x ${#klist[@]} kernel(s) x $reps repetition(s); runs in ${runs#"$TOP"/}"
for ((r = 1; r <= reps; r++)); do
	for c in "${cases[@]}"; do
		read -r scen size mo <<<"$c"
		[ "$mo" != - ] || mo=
		for ((i = 0; i < ${#klist[@]}; i++)); do
			for ((a = 1; a <= 1 + retries; a++)); do
				run_one "$r" "$scen" "$size" "${klist[(i + r - 1) % ${#klist[@]}]}" "$mo" "$a" && break
			done
		done
	done
done
took=$((SECONDS - total))
info "benchmark runs done in $took s"

# ---- the report ------------------------------------------------------------

# stats FIELD FILTER...: "median min max n" of FIELD over the ok runs of
# the CSV whose columns match FILTER (name=value ...).
stats() {
	local field=$1
	shift
	awk -F, -v field="$field" -v filt="$*" '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; nf = split(filt, f, " "); next }
	{
		if ($col["status"] != "ok") next
		for (j = 1; j <= nf; j++) { split(f[j], kv, "="); if ($col[kv[1]] != kv[2]) next }
		v = $col[field]; if (v == "") next
		a[++n] = v + 0
	}
	END {
		if (n == 0) { print "- - - 0"; exit }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		print med, a[1], a[n], n
	}' "$csv"
}

# fmt "MED MIN MAX N" DIVISOR DECIMALS: "med [min-max]" scaled.
fmt() {
	local s=$1 d=$2 p=$3
	awk -v s="$s" -v d="$d" -v p="$p" 'BEGIN {
		split(s, x, " "); if (x[1] == "-") { print "n/a"; exit }
		f = "%." p "f"
		if (x[4] == 1) printf f "\n", x[1] / d
		else printf f " [" f "-" f "]\n", x[1] / d, x[2] / d, x[3] / d }'
}
med() { stats "$@" | cut -d' ' -f1; }
nruns() { stats "$@" | cut -d' ' -f4; }
# busy_pressure KERNEL: compaction and reclaim events of the busy runs of
# KERNEL, summed over the runs
busy_pressure() {
	awk -F, -v k="$1" '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["scenario"] == "busy" && $c["kernel"] == k && $c["status"] == "ok" {
		s += $c["compact_stall"] + $c["compact_migrate_scanned"] + $c["compact_isolated"]
		s += $c["pgscan"] + $c["pgsteal"] + $c["allocstall"]
	}
	END { print s + 0 }' "$csv"
}
# kb2b KB: bytes, or "-"; scale X F: X * F, or "-"
kb2b() { awk -v u="$1" 'BEGIN { if (u == "-" || u == "") print "-"; else print u * 1024 }'; }
scale() { awk -v u="$1" -v f="$2" 'BEGIN { if (u == "-" || u == "") print "-"; else print u * f }'; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
qver=$("${QEMU:-qemu-system-x86_64}" --version | head -n 1)
accel_desc=${FPW_ACCEL:-tcg}
[ "$accel_desc" != tcg ] || accel_desc+=" (multi-threaded, 1 host thread per vCPU)"
ksha=$(git -C "$WORK/linux" rev-parse --short series 2>/dev/null || echo n/a)
bsha=$(git -C "$WORK/linux" rev-parse --short base 2>/dev/null || echo n/a)
# The base's kernel version, from its top-level Makefile.
bver=$(git -C "$WORK/linux" show base:Makefile 2>/dev/null |
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 } $1 == "SUBLEVEL" { s = $2 } END { if (v != "") print v "." p "." s; else print "n/a" }')
memx=$(mig_mem 1024)
if [ -n "$sweep" ]; then
	md=$outdir/$sweep_file.md
	cp "$csv" "$outdir/$sweep_file.csv"
else
	md=$outdir/latest.md
	cp "$csv" "$outdir/latest.csv"
fi

# busy_norm KERNEL: median over the busy runs of throughput during the
# migration / baseline.
busy_norm() {
	awk -F, -v k="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$c["scenario"] == "busy" && $c["kernel"] == k && $c["status"] == "ok" &&
		$c["busy_base_mib_s"] > 0 { a[++n] = $c["busy_mib_s"] / $c["busy_base_mib_s"] }
		END {
			if (!n) { print "n/a"; exit }
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			printf "%.2f\n", (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }' "$csv"
}

# ratio A B: A/B with 2 decimals (n/a when either is missing).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'
}
# le A B: "met" when A <= B.
le() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "" || a == "n/a" || b == "n/a") print "n/a"; else if (a + 0 <= b + 0) print "met"; else print "not met" }'
}

{
	if [ -n "$sweep" ]; then
		echo "# $sweep sweep: $scenarios"
	else
		echo "# Free page hinting: live migration benchmark"
	fi
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), selftests/bench.sh${*:+ $*}, $reps repetition(s), $took s in all."
	echo
	echo "| | |"
	echo "| --- | --- |"
	echo "| host CPU | $cpu, $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM |"
	echo "| QEMU | $qver, accel $accel_desc |"
	echo "| guest | $GUEST_CPUS vCPUs, -m $memx for 1 GiB (see notes), balloon with iothread |"
	[ -z "$extra_cmdline" ] || echo "| guest command line | $extra_cmdline (every run) |"
	echo "| migration | tcp 127.0.0.1, max-bandwidth $((MIG_BANDWIDTH / 1048576)) MiB/s (-capped scenarios: $((CAPPED_BANDWIDTH / 1048576)) MiB/s), downtime-limit $MIG_DOWNTIME ms, precopy, no capabilities |"
	echo "| patched | .work/build/guest, series $ksha, free-page-hint=on |"
	echo "| stock | .work/build/stock, tag base $bsha ($bver, same config), free-page-hint=on |"
	echo "| hint-off | .work/build/guest, free-page-hint=off |"
	echo
	echo "Medians, with [min-max] when there is more than one run. sent: bytes on the wire"
	echo "(ram.transferred); normal: pages sent in full; total, setup, downtime: QMP; hint: guest"
	echo "time in hinting rounds, summed over the rounds (patched only); used: MemTotal - MemFree"
	echo "in the guest just before the migration starts; in use: guest RAM - MemFree at the same"
	echo "time, which adds what the kernel reserved at boot (image, memmap, firmware areas): every"
	echo "page not on the free lists, the least precopy must send unless it reads as zero."
	echo
	echo "| scenario | guest | kernel | runs | sent MB | normal pages | total s | setup s | downtime ms | hint ms | used MB | in use MB | sent / used | sent / in use |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	for c in "${cases[@]}"; do
		read -r scen size mo <<<"$c"
		for k in "${klist[@]}"; do
			f="scenario=$scen size_mib=$size kernel=$k"
			[ "$mo" = - ] || f+=" sweep=$mo"
			n=$(nruns transferred "$f")
			all=$(awk -F, -v s="$scen" -v z="$size" -v k="$k" -v m="${mo/-/}" \
				'NR > 1 && $2 == s && $3 == z && $4 == k && $5 == m' "$csv" | wc -l)
			label=$scen
			[ "$mo" = - ] || label="$scen, $sweep $mo"
			echo "| $label | $((size / 1024)) GiB | $k | $n/$all | $(fmt "$(stats transferred "$f")" 1000000 0) |" \
				"$(fmt "$(stats normal_pages "$f")" 1 0) | $(fmt "$(stats total_ms "$f")" 1000 2) |" \
				"$(fmt "$(stats setup_ms "$f")" 1000 2) | $(fmt "$(stats downtime_ms "$f")" 1 0) |" \
				"$(fmt "$(stats hint_us "$f")" 1000 1) | $(fmt "$(stats used_kb "$f")" 1000 0) |" \
				"$(fmt "$(stats inuse_kb "$f")" 1000 0) |" \
				"$(ratio "$(med transferred "$f")" "$(kb2b "$(med used_kb "$f")")") |" \
				"$(ratio "$(med transferred "$f")" "$(kb2b "$(med inuse_kb "$f")")") |"
		done
	done
	echo
	echo "Blocks hinted per order, largest round of the median-size run (patched; order 0 to 10):"
	echo
	echo "| scenario | guest | kernel | blocks per order 0..10 | buffers | pages hinted (all rounds) | rounds |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	for c in "${cases[@]}"; do
		read -r scen size mo <<<"$c"
		for k in "${klist[@]}"; do
			[ "$k" = patched ] || continue
			line=$(awk -F, -v s="$scen" -v z="$size" -v m="${mo/-/}" '
				NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
				$c["scenario"] == s && $c["size_mib"] == z && $c["kernel"] == "patched" &&
				$c["sweep"] == m && $c["status"] == "ok" && $c["hint_pages"] != "" {
					print $c["hint_pages"] "," $c["hint_blocks"] "," $c["hint_rounds"] "," $c["hint_buffers"] }' "$csv" |
				sort -t, -k1 -n | awk '{ l[NR] = $0 } END { if (NR) print l[int((NR + 1) / 2)] }')
			[ -n "$line" ] || continue
			label=$scen
			[ "$mo" = - ] || label="$scen, $sweep $mo"
			IFS=, read -r hp hb hr hbuf <<<"$line"
			echo "| $label | $((size / 1024)) GiB | $k | ${hb//:/ } | ${hbuf:-n/a} | $hp | $hr |"
		done
	done
	if [[ ,$scenarios, == *,busy,* ]] && [ -z "$sweep" ]; then
		echo
		echo "Busy guest: workload throughput before the migration (5 s, baseline) and during it (from"
		echo "the end of its setup to its end), and /proc/vmstat changes from before the migration to"
		echo "its end (medians):"
		echo
		echo "| kernel | baseline MiB/s | MiB/s | during / baseline | compact_stall | compact_migrate_scanned | compact_isolated | compact_daemon_wake | pgscan | pgsteal | allocstall | pgmigrate_success | thp_fault_alloc | thp_fault_fallback |"
		echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
		for k in "${klist[@]}"; do
			f="scenario=busy size_mib=1024 kernel=$k"
			echo "| $k | $(fmt "$(stats busy_base_mib_s "$f")" 1 0) | $(fmt "$(stats busy_mib_s "$f")" 1 0) |" \
				"$(busy_norm "$k") | $(fmt "$(stats compact_stall "$f")" 1 0) |" \
				"$(fmt "$(stats compact_migrate_scanned "$f")" 1 0) | $(fmt "$(stats compact_isolated "$f")" 1 0) |" \
				"$(fmt "$(stats compact_daemon_wake "$f")" 1 0) | $(fmt "$(stats pgscan "$f")" 1 0) |" \
				"$(fmt "$(stats pgsteal "$f")" 1 0) | $(fmt "$(stats allocstall "$f")" 1 0) | $(fmt "$(stats pgmigrate_success "$f")" 1 0) |" \
				"$(fmt "$(stats thp_fault_alloc "$f")" 1 0) | $(fmt "$(stats thp_fault_fallback "$f")" 1 0) |"
		done
	fi
	if [ -z "$sweep" ]; then
		echo
		echo "## Targets (reported, never enforced)"
		echo
		P="size_mib=1024 kernel=patched"
		for fs in fragmented fragmented-capped; do
			[[ ,$scenarios, == *,$fs,* ]] || continue
			ps=$(med transferred "scenario=$fs $P")
			pu=$(kb2b "$(med used_kb "scenario=$fs $P")")
			pi=$(kb2b "$(med inuse_kb "scenario=$fs $P")")
			echo "- $fs, patched: bytes sent <= 1.05 x used memory (MemTotal - MemFree):" \
				"**$(le "$ps" "$(scale "$pu" 1.05)")** (sent / used = $(ratio "$ps" "$pu"));" \
				"<= 1.05 x memory in use (RAM - MemFree): **$(le "$ps" "$(scale "$pi" 1.05)")**" \
				"(sent / in use = $(ratio "$ps" "$pi"))"
			ss=$(med transferred scenario=$fs size_mib=1024 kernel=stock)
			hs=$(med transferred scenario=$fs size_mib=1024 kernel=hint-off)
			echo "- $fs, stock sends more than hint-off (what the series fixes):" \
				"stock / hint-off = $(ratio "$ss" "$hs"), patched / hint-off = $(ratio "$ps" "$hs")"
		done
		if [[ ,$scenarios, == *,idle-dirty,* ]]; then
			ps=$(med transferred "scenario=idle-dirty $P")
			ss=$(med transferred scenario=idle-dirty size_mib=1024 kernel=stock)
			pt=$(med total_ms "scenario=idle-dirty $P")
			st=$(med total_ms scenario=idle-dirty size_mib=1024 kernel=stock)
			echo "- idle-dirty, patched no worse than stock in bytes: **$(le "$ps" "$ss")**" \
				"(patched / stock = $(ratio "$ps" "$ss")); in total time: **$(le "$pt" "$st")**" \
				"(patched / stock = $(ratio "$pt" "$st"))"
		fi
		if [[ ,$scenarios, == *,busy,* ]]; then
			pb=$(med busy_mib_s "scenario=busy $P")
			hb=$(med busy_mib_s scenario=busy size_mib=1024 kernel=hint-off)
			lim=$(awk -v h="$hb" 'BEGIN { if (h == "-") print "-"; else print h * 0.98 }')
			echo "- busy, workload throughput >= 0.98 x hint-off: **$(le "$lim" "$pb")**" \
				"(patched / hint-off = $(ratio "$pb" "$hb"); each against its own baseline:" \
				"patched $(busy_norm patched), hint-off $(busy_norm hint-off), stock $(busy_norm stock))"
			pc=$(busy_pressure patched)
			hc=$(busy_pressure hint-off)
			echo "- busy, no compaction or reclaim caused by hinting (compact_stall + migrate_scanned +" \
				"isolated + pgscan + pgsteal + allocstall, summed over runs, patched <= hint-off):" \
				"**$(le "$pc" "$hc")** (patched $pc, hint-off $hc)"
		fi
	fi
	echo
	echo "## Notes"
	echo
	echo "- Runs that did not complete, whose guest did not report, or whose console showed a"
	echo "  kernel complaint are listed in the CSV with their status and left out of the medians;"
	echo "  such a run is tried again, up to $retries more times (the runs column: used / all attempts)."
	if [ "${FPW_ACCEL:-tcg}" = tcg ] && [ "$memx" != 1024 ]; then
		echo "- Guests have 8 KiB more than their nominal size (-m $memx for 1 GiB). QEMU 7.2 under TCG"
		echo "  loses guest writes across a migration when a RAM block is a multiple of 256 KiB: its"
		echo "  fast dirty-bitmap sync does not reset the TCG TLBs' dirty state (fixed in QEMU 9.0,"
		echo "  commit 03bfc2188f). The odd size makes QEMU sync page by page, which is correct but"
		echo "  slow: about 1.5 s per GiB of setup time (setup s) on an idle guest, more on the busy"
		echo "  one (the sync walks the TCG TLBs for every dirty page), the same for every kernel."
	fi
	echo "- Under TCG the guest runs some 10-50x slower than on hardware, so guest-side times"
	echo "  (hint ms, busy MiB/s) are inflated against the transfer, which runs at native speed."
	echo "- Raw data: $(basename "${md%.md}").csv (one line per run; hint_blocks is the largest round's"
	echo "  blocks per order, colon separated). Consoles and QMP output: .work/bench/runs/$stamp/."
} >"$md"

# ---- the plot ----------------------------------------------------------------

if [ -z "$sweep" ]; then
	dat=$runs/plot
	mkdir -p "$dat"
	# One row per scenario: name, then for each kernel median min max of
	# MB sent, and the same for total seconds.
	: >"$dat/bytes.dat"
	: >"$dat/time.dat"
	for s in ${scenarios//,/ }; do
		lb="$s" lt="$s"
		for k in "${klist[@]}"; do
			read -r m a b _ <<<"$(stats transferred "scenario=$s size_mib=1024 kernel=$k")"
			[ "$m" = - ] && m=0 a=0 b=0
			lb+=" $(awk -v m="$m" -v a="$a" -v b="$b" 'BEGIN { printf "%.1f %.1f %.1f", m / 1e6, a / 1e6, b / 1e6 }')"
			read -r m a b _ <<<"$(stats total_ms "scenario=$s size_mib=1024 kernel=$k")"
			[ "$m" = - ] && m=0 a=0 b=0
			lt+=" $(awk -v m="$m" -v a="$a" -v b="$b" 'BEGIN { printf "%.2f %.2f %.2f", m / 1e3, a / 1e3, b / 1e3 }')"
		done
		echo "$lb" >>"$dat/bytes.dat"
		echo "$lt" >>"$dat/time.dat"
	done
	: >"$dat/sweep.dat"
	for z in 1024 ${sizes//,/ }; do
		l="$((z / 1024))"
		for k in "${klist[@]}"; do
			read -r m _ <<<"$(stats transferred "scenario=idle-dirty size_mib=$z kernel=$k")"
			read -r t _ <<<"$(stats total_ms "scenario=idle-dirty size_mib=$z kernel=$k")"
			l+=" $(awk -v m="$m" -v t="$t" 'BEGIN { if (m == "-") printf "NaN NaN"; else printf "%.1f %.2f", m / 1e6, t / 1e3 }')"
		done
		echo "$l" >>"$dat/sweep.dat"
	done
	nk=${#klist[@]}
	# gp_plot TITLE FILE FIRST STRIDE WIDTH [STYLE]: a gnuplot plot of one
	# series per kernel, the i-th from column FIRST + STRIDE * i of FILE:
	# WIDTH 3 is median, min and max with xtic(1), WIDTH 1 a value over
	# column 1.
	gp_plot() {
		local title=$1 file=$2 first=$3 stride=$4 width=$5 style=${6:-} i c
		echo "set title '$title'"
		echo -n "plot "
		for ((i = 0; i < nk; i++)); do
			[ $i -eq 0 ] || echo -n ", "
			c=$((first + stride * i))
			if [ "$width" = 3 ]; then
				echo -n "'$file' using $c:$((c + 1)):$((c + 2)):xtic(1) title '${klist[i]}'"
			else
				echo -n "'$file' using 1:$c title '${klist[i]}'$style"
			fi
		done
		echo
	}
	{
		echo "set terminal pngcairo size 1400,1000 font 'sans,10' noenhanced" 2>/dev/null
		echo "set output '$outdir/latest.png'"
		echo "set multiplot layout 2,2 title 'Free page hinting, live migration under ${FPW_ACCEL:-tcg} ($(date -u +%Y-%m-%d), medians, bars: min-max)'"
		echo "set style data histogram"
		echo "set style histogram errorbars gap 1 lw 1"
		echo "set style fill solid 0.6 border -1"
		echo "set grid ytics"
		echo "set key top left"
		echo "set yrange [0:*]"
		gp_plot 'MB sent, 1 GiB guest' "$dat/bytes.dat" 2 3 3
		gp_plot 'total migration time (s), 1 GiB guest' "$dat/time.dat" 2 3 3
		# The size sweep panels need idle-dirty runs.
		if [[ ,$scenarios, == *,idle-dirty,* ]]; then
			echo "set style data linespoints"
			echo "set xlabel 'guest size (GiB)'"
			echo "set logscale x 2"
			gp_plot 'idle-dirty: MB sent by guest size' "$dat/sweep.dat" 2 2 1 ' lw 2 pt 7'
			gp_plot 'idle-dirty: total time (s) by guest size' "$dat/sweep.dat" 3 2 1 ' lw 2 pt 7'
		fi
		echo "unset multiplot"
	} >"$dat/plot.gp"
	gnuplot "$dat/plot.gp" 2>"$dat/gnuplot.log" || info "gnuplot failed: $(tail -n 3 "$dat/gnuplot.log")"
fi

cat "$md"
echo
if [ -n "$sweep" ]; then
	info "results: $md, $outdir/$sweep_file.csv"
else
	info "results: $md, $outdir/latest.png, $outdir/latest.csv"
fi
