#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration benchmark of free page hinting: this series against the
# stock kernel (allocation-based hinting) and against no hinting at all.
# It measures, then makes the report of what it measured; "report" makes
# the report again from the CSVs alone, without running anything. It never
# fails on a number.
#
#   selftests/bench.sh [-r REPS] [-s SCENARIOS] [-k KERNELS] [-z SIZES]
#                      [-o DIR] [-c CMDLINE] [-R FILE]
#                      [-m [-M ORDERS] | -b BUDGETS]
#   selftests/bench.sh report [-o DIR] [-R FILE] SOURCE...
#   selftests/bench.sh report -t CSV
#
#   -r REPS       repetitions of every case (default 3); the kernels of a
#                 case run interleaved, in a rotating order
#   -s SCENARIOS  comma separated (default idle-dirty,fragmented,
#                 fragmented-capped,frag-mixed,busy), run on 1 GiB guests;
#                 each is a
#                 bench_scenario line of selftests/lib/bench.sh (its guest
#                 command line, bandwidth and roles in the report):
#                   idle-dirty  most of free memory written into a tmpfs
#                               file, then deleted: free memory with stale
#                               data
#                   fragmented  most of free memory touched, then every page
#                               with an odd pfn freed: free memory in order-0
#                               holes between pages kept
#                   frag-mixed  a holdout, used to tune nothing: most of
#                               free memory touched, then half of it freed
#                               in aligned blocks of orders 0 to 3 (drawn
#                               by a PRNG of fixed seed for each aligned
#                               group of 16 pages) whose buddies are kept:
#                               free memory of mixed small orders
#                   busy        a ring of 8 chunks of 16 MiB: the oldest
#                               unmapped, a new one mapped and written, in
#                               a loop during the migration; its throughput
#                               and the guest's compaction, reclaim and THP
#                               counters are reported
#                   idle        nothing
#                   NAME-capped NAME (each of the above) with max-bandwidth
#                               MIG_BW_CAPPED (128 MiB/s) instead of
#                               unlimited: under TCG the guest runs 10-50x
#                               slower than on hardware while the transfer
#                               does not, so guest-side work such as hinting
#                               is late against an unlimited transfer; the
#                               cap brings the ratio nearer a real host
#   -k KERNELS    comma separated (default patched,stock,hint-off), the
#                 bench_kernel lines of selftests/lib/bench.sh:
#                   patched   .work/build/guest (this series),
#                             free-page-hint=on
#                   stock     .work/build/stock: the same kernel at tag
#                             base (Debian's 6.12.y), same config,
#                             free-page-hint=on. Built when missing, from a
#                             git worktree of .work/linux at base in
#                             .work/linux-base
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
#                 (default 0,3,9); writes min-order.*
#   -b BUDGETS    instead of the above: the hint_budget_mib sweep, patched
#                 kernel only, booted with virtio_balloon.hint_budget_mib=N
#                 for each N of BUDGETS (comma separated MiB) on the
#                 scenarios of -s (default idle-dirty,idle-dirty-capped);
#                 writes budget.*
#   -R FILE       also replace the block between the lines
#                 "<!-- bench:begin -->" and "<!-- bench:end -->" of FILE
#                 (README.md) with the date line, the settings, the main
#                 table and the targets of the report
#   -h            this help
#
# report: the reports of the CSVs of SOURCE... (selftests/lib/bench-
# report.sh), each a CSV of this benchmark or a folder: every *.csv in it
# (bench/results/, a run folder .work/bench/runs/<date>/). -o DIR writes
# NAME.md and NAME.png there instead of next to NAME.csv; -R FILE takes one
# CSV. Every CSV is checked first; a missing column, a garbled line or no
# run at all is an error, and nothing is written. -t prints the main table
# of CSV as plain text for a mail instead (medians of MB sent, total s,
# downtime ms and sent / in use, at most 75 columns; the cover letter's
# table), and writes nothing.
#
# Under CI=true (and no option given) it is a smoke check: idle-dirty,
# patched and hint-off, one repetition.
#
# Every run is one live migration (selftests/lib/migrate.sh: two local
# QEMUs, 127.0.0.1, max-bandwidth MIG_BW_UNLIMITED (10 GiB/s, i.e.
# unlimited), downtime-limit MIG_DOWNTIME_DEFAULT (300 ms), guest with 2
# vCPUs). A run that does not complete, whose guest does not report or
# whose console shows a kernel complaint is tried again (BENCH_RETRIES, 2);
# every attempt is in the CSV. Per run (the bench_column lines of
# selftests/lib/bench.sh): bytes transferred, pages sent in full (normal),
# zero pages (duplicate), total time, setup time, downtime, dirty syncs
# (QMP query-migrate); the guest's used memory (MemTotal - MemFree just
# before the migration, FPW-MIG-READY); with the patched kernel the hinting
# rounds fpwmem saw in the driver's debugfs statistics (guest time summed
# over the rounds, pages, blocks per order of the largest round, blocks and
# time of all the rounds seen) and the memory the driver held (fpwmem
# samples held_bytes every 10 ms: peak, time-weighted mean over the
# migration, time held); busy: the workload's throughput and /proc/vmstat
# deltas. For every kernel, the host CPU time of each QEMU over the
# migration by thread class (qmp.py migrate --cpu: src_vcpu_ms, src_io_ms,
# src_mig_ms, src_main_ms, src_other_ms and the process's src_proc_ms, the
# same for dst_; vCPUs, the iothread of the balloon, the migration thread,
# the main loop, the rest), in the window cpu_window_ms from the migrate
# command to the poll that saw it end; selftests/lib/bench.sh's header
# says what each column is.
#
# Output: in .work/bench/runs/<date>/ the runs' consoles and QMP output,
# runs.csv (one line per run) and runs.settings (date, command line, host,
# QEMU, guest, migration settings, kernels, retries). Both are copied to
# DIR as latest.csv and latest.settings (-m: min-order.*, -b: budget.*),
# and the report of them is made there: latest.md (the settings, tables of
# medians with min-max, the targets (met / not met) and notes) and
# latest.png (bytes and time per scenario and kernel, and the size sweep);
# "selftests/bench.sh report DIR" makes them again.
#
# Environment: FPW_ACCEL=kvm (and the rest of selftests/lib/qemu.sh),
# MIG_BANDWIDTH (instead of MIG_BW_UNLIMITED), CAPPED_BANDWIDTH (instead of
# MIG_BW_CAPPED), MIG_DOWNTIME, MIG_TIMEOUT (selftests/lib/migrate.sh).
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
# shellcheck source=selftests/lib/kbuild.sh
. "$TOP/selftests/lib/kbuild.sh"
# shellcheck source=selftests/lib/bench.sh
. "$TOP/selftests/lib/bench.sh"
# shellcheck source=selftests/lib/bench-report.sh
. "$TOP/selftests/lib/bench-report.sh"

command=selftests/bench.sh$(printf ' %q' "$@")
mode=measure
if [ "${1:-}" = report ]; then
	mode=report
	shift
fi
reps=3
scenarios=idle-dirty,fragmented,fragmented-capped,frag-mixed,busy
kernels=patched,stock,hint-off
sizes=2048,4096
outdir=$TOP/bench/results
# A parameter sweep (-m, -b): the module parameter, its values, the files.
sweep='' sweep_vals='' sweep_file=''
orders=0,3,9
scen_given=''
if [ "${CI:-}" = true ] && [ $# -eq 0 ]; then
	reps=1 scenarios=idle-dirty kernels=patched,hint-off sizes=''
	outdir=$WORK/bench/ci
fi
extra_cmdline='' readme='' measure_opt='' out_given='' text=''
while getopts r:s:k:z:o:c:mM:b:R:th opt; do
	[[ $opt == [oRth?:] ]] || measure_opt+=" -$opt"
	case $opt in
	r) reps=$OPTARG ;;
	s) scenarios=$OPTARG scen_given=1 ;;
	k) kernels=$OPTARG ;;
	z) sizes=$OPTARG ;;
	o) outdir=$OPTARG out_given=1 ;;
	c) extra_cmdline=$OPTARG ;;
	m) sweep=hint_min_order sweep_file=min-order ;;
	b) sweep=hint_budget_mib sweep_file=budget sweep_vals=$OPTARG ;;
	M) orders=$OPTARG ;;
	R) readme=$OPTARG ;;
	t) text=1 ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ "$mode" = report ]; then
	[ -z "$measure_opt" ] || bench_usage_error "report takes -o, -R and -t, not$measure_opt"
	if [ -n "$text" ]; then
		[ -z "$out_given$readme" ] || bench_usage_error "report -t writes nothing: no -o or -R"
		bench_text "$@"
		exit
	fi
	bench_report "${out_given:+$outdir}" "$readme" "$@"
	exit
fi
[ -z "$text" ] || bench_usage_error "-t is an option of report"
[ $# -eq 0 ] || bench_usage_error "unexpected argument '$1'"
cd "$TOP" || die "cannot cd to $TOP"
case $sweep in
hint_min_order) scenarios=fragmented kernels=patched sizes='' sweep_vals=$orders ;;
hint_budget_mib)
	[ -n "$scen_given" ] || scenarios=idle-dirty,idle-dirty-capped
	kernels=patched sizes=''
	;;
esac

[[ $reps =~ ^[1-9][0-9]*$ ]] || bench_usage_error "-r wants a positive number, not '$reps'"
[ -z "$sweep" ] || [ -n "$sweep_vals" ] || bench_usage_error "$sweep: no values to sweep"
for v in ${sweep_vals//,/ }; do
	[[ $v =~ ^[0-9]+$ ]] || bench_usage_error "$sweep: '$v' is not a number"
done
read -r -a slist <<<"${scenarios//,/ }"
read -r -a klist <<<"${kernels//,/ }"
read -r -a zlist <<<"${sizes//,/ }"
[ ${#slist[@]} -gt 0 ] || bench_usage_error "no scenario to run"
[ ${#klist[@]} -gt 0 ] || bench_usage_error "no kernel to run"
for s in "${slist[@]}"; do
	[ -n "${BENCH_SCENARIO[$s.bw]+set}" ] ||
		bench_usage_error "unknown scenario '$s' (selftests/lib/bench.sh has: ${BENCH_SCENARIOS[*]})"
	case ${BENCH_SCENARIO[$s.bw]} in
	unlimited | capped) ;;
	*) die "selftests/lib/bench.sh: scenario $s: bw=${BENCH_SCENARIO[$s.bw]} (unlimited or capped)" ;;
	esac
done
for k in "${klist[@]}"; do
	[ -n "${BENCH_KERNEL[$k.build]+set}" ] ||
		bench_usage_error "unknown kernel '$k' (selftests/lib/bench.sh has: ${BENCH_KERNELS[*]})"
done
# The scenario of the size sweep.
size_scen=''
for s in "${BENCH_SCENARIOS[@]}"; do
	! bench_role "$s" sizes || size_scen=${size_scen:-$s}
done
for z in "${zlist[@]}"; do
	[[ $z =~ ^[1-9][0-9]*$ ]] || bench_usage_error "-z: '$z' is not a size in MiB"
	[ -n "$size_scen" ] || die "-z: no scenario of selftests/lib/bench.sh has the sizes role"
done

# The benchmark's guests are x86_64 (selftests/lib/arch.sh).
arch_load x86_64
need_pkgs python3:python3-minimal

bw_unlimited=${MIG_BANDWIDTH:-$MIG_BW_UNLIMITED}
bw_capped=${CAPPED_BANDWIDTH:-$MIG_BW_CAPPED}
export MIG_DOWNTIME=${MIG_DOWNTIME:-$MIG_DOWNTIME_DEFAULT}
# A run that fails (no completion, no guest report, a kernel complaint)
# is tried again, up to this many times; every attempt is in the CSV.
retries=${BENCH_RETRIES:-2}
export MIG_READY_TIMEOUT=${MIG_READY_TIMEOUT:-600}
export MIG_TIMEOUT=${MIG_TIMEOUT:-600}
export MIG_FINISH_TIMEOUT=${MIG_FINISH_TIMEOUT:-300}
export GUEST_CPUS=${GUEST_CPUS:-2}

# ---- kernels -------------------------------------------------------------

# kernel_ready KERNEL: its build folder has the kernel and the initramfs;
# a build other than selftests/build.sh's own is made when missing, from a
# worktree of .work/linux at its revision.
declare -A ready=()
kernel_ready() {
	local b=${BENCH_KERNEL[$1.build]} rev=${BENCH_KERNEL[$1.rev]} tree
	[ -z "${ready[$b]:-}" ] || return 0
	ready[$b]=1
	if [ "$b" = guest ]; then
		[ -f "$WORK/build/guest/$ARCH_IMAGE" ] || die "no .work/build/guest: run selftests/build.sh"
		"$TOP/selftests/initramfs.sh" -o guest >/dev/null || die "making the initramfs failed"
		return
	fi
	tree=$WORK/linux-$rev
	if [ ! -f "$WORK/build/$b/$ARCH_IMAGE" ]; then
		[ -d "$WORK/linux/.git" ] || die "no .work/linux: run ./apply.sh first"
		kbuild_worktree "$WORK/linux" "$tree" "$rev" || die "no worktree of .work/linux at $rev"
		info "building the $1 kernel ($rev) in .work/build/$b"
		"$TOP/selftests/build.sh" -s "$tree" -o "$b" || die "building the $1 kernel failed"
	fi
	[ -d "$tree/tools/testing/selftests/mm" ] || tree=$WORK/linux
	"$TOP/selftests/initramfs.sh" -s "$tree" -o "$b" >/dev/null || die "making the $1 initramfs failed"
}

# kernel_row KERNEL: what the report says of it: build folder, revision
# (and, for a build of another revision, its version), balloon options.
kernel_row() {
	local b=${BENCH_KERNEL[$1.build]} rev=${BENCH_KERNEL[$1.rev]} git=(git -C "$WORK/linux") desc ver
	desc="$rev $("${git[@]}" rev-parse --short "$rev" 2>/dev/null || echo n/a)"
	! "${git[@]}" rev-parse -q --verify "refs/tags/$rev" >/dev/null 2>&1 || desc="tag $desc"
	if [ "$b" != guest ]; then
		ver=$("${git[@]}" show "$rev:Makefile" 2>/dev/null |
			awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 } $1 == "SUBLEVEL" { s = $2 }
				END { if (v != "") print v "." p "." s; else print "n/a" }')
		desc+=" ($ver, same config)"
	fi
	echo ".work/build/$b, $desc, ${BENCH_KERNEL[$1.balloon]}"
}

for k in "${klist[@]}"; do
	kernel_ready "$k"
done

# ---- the runs --------------------------------------------------------------

stamp=$(date -u +%Y%m%d-%H%M%S)
runs=$WORK/bench/runs/$stamp
mkdir -p "$runs" "$outdir" || die "cannot make $runs and $outdir"
csv=$runs/runs.csv
(
	IFS=,
	echo "${BENCH_COLUMNS[*]}"
) >"$csv"

# vmstat_delta SRCLOG DSTLOG NAMES: the sum over NAMES (+ separated) of the
# counter at "report" (destination, after the migration) less at "ready"
# (source, before it).
vmstat_delta() {
	local a b
	a=$(tr -d '\r' <"$1" 2>/dev/null | grep -a '^FPW-MIG-VMSTAT when=ready' | tail -n 1)
	b=$(tr -d '\r' <"$2" 2>/dev/null | grep -a '^FPW-MIG-VMSTAT when=report' | tail -n 1)
	[ -n "$a" ] && [ -n "$b" ] || return 0
	awk -v a="$a" -v b="$b" -v names="$3" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); s[kv[1]] = kv[2] }
		n = split(b, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); e[kv[1]] = kv[2] }
		n = split(names, nm, "+"); d = 0
		for (i = 1; i <= n; i++) d += e[nm[i]] - s[nm[i]]
		print d }'
}

# run_one REP SCENARIO SIZE KERNEL SWEEP_VALUE ATTEMPT: one migration, one
# CSV line; returns non-zero when the run is not usable.
run_one() {
	local rep=$1 scen=$2 size=$3 k=$4 sv=$5 att=$6 dir cmdline status=ok b bw start=$SECONDS
	b=${BENCH_KERNEL[$k.build]}
	dir=$runs/$scen-$size-$k${sv:+-$sweep_file$sv}-r$rep
	[ "$att" = 1 ] || dir+=-a$att
	cmdline=${BENCH_SCENARIO[$scen.cmdline]}
	[ -z "$sv" ] || cmdline+=" virtio_balloon.$sweep=$sv"
	[ -z "$extra_cmdline" ] || cmdline+=" $extra_cmdline"
	bw=$bw_unlimited
	[ "${BENCH_SCENARIO[$scen.bw]}" = unlimited ] || bw=$bw_capped
	info "run $rep/$reps: $scen, $size MiB, $k${sv:+, $sweep=$sv}$([ "$att" = 1 ] || echo ", attempt $att")"
	MIG_START_AFTER_SETUP=1 MIG_BANDWIDTH=$bw GUEST_MEM=$(mig_mem "$size") \
		FPW_BALLOON_OPTS=${BENCH_KERNEL[$k.balloon]},iothread=io0 \
		mig_run "$dir" "$WORK/build/$b/$ARCH_IMAGE" "$WORK/build/$b/initramfs.cpio.gz" \
		bench "$cmdline" report || status=$(tr ' ,;' '___' <<<"${MIG_ERR:-failed}" | cut -c1-100)
	local src=$dir/src.log dst=$dir/dst.log mt=$dir/migrate.txt bad free inuse=''
	grep -aqs '^FPW-MIG-END' "$dst" || [ "$status" != ok ] || status=no-guest-report
	bad=$(($(console_bad "$src" | cut -d' ' -f1) + $(console_bad "$dst" | cut -d' ' -f1)))
	[ "$bad" -eq 0 ] || [ "$status" != ok ] || status=console-not-clean
	# In use: guest RAM that is not free. MemTotal leaves out what the
	# kernel reserved at boot (its image, the memmap, firmware areas),
	# which is not free either and is migrated like the rest. Used memory
	# and the rest of FPW-MIG-READY are as the guest left it for the
	# migration: by the time "start" is read, the stock kernel's hinting
	# has allocated most of free memory, and a short migration may be over.
	free=$(mig_field "$src" FPW-MIG-READY memfree_kb)
	[ "$free" = n/a ] || inuse=$(($(mem_bytes "$(mig_mem "$size")") / 1024 - free))
	# Held memory, time-weighted over the migration: the sampled integral
	# (KiB x s) over QMP's total time; nothing is held outside the rounds.
	local kib_s total held_mean=''
	kib_s=$(mig_field "$dst" FPW-MIG-HELD kib_s) total=$(mig_kv "$mt" total_time_ms)
	[ "$kib_s" = n/a ] || [[ ! $total =~ ^[1-9][0-9]*$ ]] ||
		held_mean=$(awk -v i="$kib_s" -v t="$total" 'BEGIN { printf "%.0f\n", i * 1000 / t }')
	local -A me=([rep]=$rep [scenario]=$scen [size]=$size [kernel]=$k [sweep]=$sv [status]=$status
		[inuse]=$inuse [bad]=$bad [dir]=${dir#"$WORK"/} [held_mean]=$held_mean) got=()
	local c key v hinted row=()
	hinted=$(mig_field "$dst" FPW-MIG-HINT present)
	for c in "${BENCH_COLUMNS[@]}"; do
		key=${BENCH_COLUMN[$c.key]}
		case ${BENCH_COLUMN[$c.from]} in
		run) v=${me[$key]} ;;
		qmp) v=$(mig_kv "$mt" "$key") ;;
		ready) v=$(mig_field "$src" FPW-MIG-READY "$key") ;;
		hint) if [ "$hinted" = 1 ]; then v=$(mig_field "$dst" FPW-MIG-HINT "$key"); else v=''; fi ;;
		busy) v=$(mig_field "$dst" FPW-MIG-BUSY "$key") ;;
		held) v=$(mig_field "$dst" FPW-MIG-HELD "$key") ;;
		vmstat) v=$(vmstat_delta "$src" "$dst" "$key") ;;
		*) die "selftests/lib/bench.sh: column $c: from=${BENCH_COLUMN[$c.from]} (run, qmp, ready, hint, busy, held, vmstat)" ;;
		esac
		[ "$v" != n/a ] || v=''
		got[$c]=${v//,/:}
		row+=("${got[$c]}")
	done
	(
		IFS=,
		echo "${row[*]}"
	) >>"$csv"
	info "  $status: ${got[transferred]:-n/a} bytes, ${got[total_ms]:-n/a} ms total," \
		"${got[downtime_ms]:-n/a} ms down${got[hint_us]:+, hint ${got[hint_us]} us}${got[busy_mib_s]:+, busy ${got[busy_mib_s]} MiB/s}${got[held_peak_kb]:+, held peak ${got[held_peak_kb]} KiB}${got[src_io_ms]:+, source iothread ${got[src_io_ms]} ms}" \
		"($((SECONDS - start)) s)"
	[ "$status" = ok ]
}

# The cases: "SCENARIO SIZE SWEEP_VALUE", each run with every kernel.
cases=()
for s in "${slist[@]}"; do
	if [ -n "$sweep" ]; then
		for v in ${sweep_vals//,/ }; do cases+=("$s 1024 $v"); done
	else
		cases+=("$s 1024 -")
	fi
done
for z in "${zlist[@]}"; do
	cases+=("$size_scen $z -")
done
trap mig_cleanup EXIT
trap 'exit 130' INT TERM
total=$SECONDS
info "benchmark: ${#cases[@]} case(s) x ${#klist[@]} kernel(s) x $reps repetition(s); runs in ${runs#"$TOP"/}"
for ((r = 1; r <= reps; r++)); do
	for c in "${cases[@]}"; do
		read -r scen size sv <<<"$c"
		[ "$sv" != - ] || sv=''
		for ((i = 0; i < ${#klist[@]}; i++)); do
			for ((a = 1; a <= 1 + retries; a++)); do
				run_one "$r" "$scen" "$size" "${klist[(i + r - 1) % ${#klist[@]}]}" "$sv" "$a" && break
			done
		done
	done
done
took=$((SECONDS - total))
info "benchmark runs done in $took s"

# ---- the settings, then the report -----------------------------------------

memx=$(mig_mem 1024)
accel=$(arch_accel 2>/dev/null)
accel_desc=$accel
[ "$accel" != tcg ] || accel_desc+=" (multi-threaded, 1 host thread per vCPU)"
{
	printf '%s\t%s\n' date "$(date -u '+%Y-%m-%d %H:%M UTC')" command "$command" took "$took" \
		retries "$retries" memx "$memx" accel "$accel"
	[ -z "$sweep" ] || printf 'sweep\t%s\n' "$sweep"
	printf 'row\t%s\t%s\n' \
		"host CPU" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM" \
		QEMU "$("${QEMU:-$ARCH_QEMU}" --version | head -n 1), accel $accel_desc" \
		guest "$GUEST_CPUS vCPUs, -m $memx for 1 GiB (see notes), balloon with iothread"
	[ -z "$extra_cmdline" ] || printf 'row\tguest command line\t%s (every run)\n' "$extra_cmdline"
	printf 'row\tmigration\ttcp 127.0.0.1, max-bandwidth %s MiB/s (-capped scenarios: %s MiB/s), downtime-limit %s ms, precopy, no capabilities\n' \
		$((bw_unlimited / 1048576)) $((bw_capped / 1048576)) "$MIG_DOWNTIME"
	for k in "${klist[@]}"; do
		printf 'row\t%s\t%s\n' "$k" "$(kernel_row "$k")"
	done
} >"$runs/runs.settings"

name=${sweep_file:-latest}
for f in csv settings; do
	cp "$runs/runs.$f" "$outdir/$name.$f" || die "cannot copy the results into $outdir"
done
bench_report '' "$readme" "$outdir/$name.csv" || die "no report (selftests/bench.sh report $outdir/$name.csv)"
cat "$outdir/$name.md"
echo
info "results: $outdir/$name.md$([ -n "$sweep" ] || echo ", $outdir/$name.png"), $outdir/$name.csv"
