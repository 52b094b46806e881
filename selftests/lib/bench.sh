# SPDX-License-Identifier: GPL-2.0
# The live migration benchmark's tables, written once, as data, for its two
# halves: selftests/bench.sh measures (the migrations, one CSV line each,
# and the run's settings) and selftests/lib/bench-report.sh ("bench.sh
# report") turns a CSV into the report. Source it (after common.sh).
#
#   bench_scenario NAME KEY=VALUE...  one scenario (bench.sh -s):
#     cmdline   the guest kernel command line it needs: fpw.bench=MODE runs
#               "fpwmem MODE" in the guest (selftests/guest/init), the
#               scenario's own code in selftests/guest/fpwmem.c, which sets
#               the guest up and reports FPW-MIG-READY before the migration
#     bw        unlimited (MIG_BW_UNLIMITED, or MIG_BANDWIDTH) or capped
#               (MIG_BW_CAPPED, or CAPPED_BANDWIDTH): selftests/lib/migrate.sh
#     roles     what else the benchmark does with it, comma separated:
#                 sizes  -z migrates it at the other guest sizes as well;
#                        the plot's size panels
#                 used   target: patched sends <= 1.05 x the used memory;
#                        stock against hint-off
#                 stock  target: patched no worse than stock
#                 busy   the busy guest's table and targets (workload
#                        throughput, /proc/vmstat)
#   bench_kernel NAME KEY=VALUE...    one kernel (bench.sh -k):
#     build     its folder under .work/build: guest is selftests/build.sh's
#               (it must be built); any other is built when missing, same
#               config, from a git worktree of .work/linux at REV in
#               .work/linux-REV
#     rev       the revision of .work/linux it is
#     balloon   the virtio-balloon-pci options (iothread=io0 is added)
#   bench_column NAME KEY=VALUE...    one column of the CSV, in order:
#     from      where bench.sh takes it from:
#                 run     its own record of the run (run_one)
#                 qmp     migrate.txt (selftests/lib/qmp.py migrate)
#                 ready   the source console's FPW-MIG-READY line, before
#                         the migration
#                 hint    the destination's FPW-MIG-HINT line when it has
#                         present=1 (the driver's debugfs statistics)
#                 busy    the destination's FPW-MIG-BUSY line
#                 held    the destination's FPW-MIG-HELD line (fpwmem's
#                         sampler of the driver's held_bytes, every 10 ms
#                         from FPW-MIG-READY to "report"; only the patched
#                         driver has the file, the fields of the other
#                         kernels are empty)
#                 vmstat  the change of /proc/vmstat from the source's
#                         FPW-MIG-VMSTAT when=ready to the destination's
#                         when=report
#     key       the figure's name there (vmstat: counters, + separated,
#               summed)
#   A figure that is missing is an empty field; commas in a value become
#   colons. Every key must be given ('' = none).
#
#   The columns of the performance work, besides the obvious ones:
#     hint_blocks_seen, hint_us_seen  blocks hinted (all orders) and guest
#               time of the rounds fpwmem saw (a round shorter than its
#               100 ms poll, hint_missed, is in hint_us and hint_pages but
#               not here): the guest's cost per block is hint_us_seen /
#               hint_blocks_seen
#     held_peak_kb, held_mean_kb, held_ms, held_samples, held_cpu_ms
#               the memory the driver held (held_bytes), sampled every
#               10 ms: the peak; the time-weighted mean over the migration
#               (the integral of the samples, kib_s, over QMP's total_ms;
#               nothing is held outside the rounds, which the migration
#               spans); the time anything was held; the samples; the
#               sampler's own guest CPU time
#     cpu_window_ms  the window of the host CPU figures: from just before
#               QMP's migrate to the poll (every 0.1 s) that saw it end;
#               the threads are read every 20 ms in it
#     src_CLASS_ms, dst_CLASS_ms  host CPU time (utime + stime, clock
#               ticks of /proc/PID/task/*/stat) of the source and the
#               destination QEMU in that window, by thread class
#               (selftests/lib/qmp.py THREAD_CLASSES): vcpu (the "CPU
#               N/TCG" threads), io (the iothread "IO io0": the balloon's
#               virtqueues, free page hints), mig (the migration thread
#               "live_migration"), main (the main loop: QMP, and on the
#               destination the loading of the incoming stream), other
#               (every other thread: call_rcu, worker, the monitor's "IO
#               mon_iothread", ...)
#     src_proc_ms, dst_proc_ms  the process's own total (/proc/PID/stat);
#               a thread that exits keeps only the time the last sample
#               saw, so proc may exceed the sum of the classes by that
#               time (and by a tick of rounding per thread)
#
#   bench_role NAME ROLE        true when scenario NAME has ROLE
#   bench_usage_error MESSAGE   the usage, then MESSAGE, on stderr; exit 2
# shellcheck shell=bash

BENCH_SCENARIO_KEYS="cmdline bw roles"
BENCH_KERNEL_KEYS="build rev balloon"
BENCH_COLUMN_KEYS="from key"
# shellcheck disable=SC2034 # used by the scripts that source this file
BENCH_SCENARIOS=() BENCH_KERNELS=() BENCH_COLUMNS=()
# shellcheck disable=SC2034
declare -A BENCH_SCENARIO=() BENCH_KERNEL=() BENCH_COLUMN=()
bench_scenario() { table_def BENCH_SCENARIO BENCH_SCENARIOS "$BENCH_SCENARIO_KEYS" "$@"; }
bench_kernel() { table_def BENCH_KERNEL BENCH_KERNELS "$BENCH_KERNEL_KEYS" "$@"; }
bench_column() { table_def BENCH_COLUMN BENCH_COLUMNS "$BENCH_COLUMN_KEYS" "$@"; }

bench_scenario idle              cmdline=fpw.bench=idle       bw=unlimited roles=
bench_scenario idle-dirty        cmdline=fpw.bench=idle-dirty bw=unlimited roles=stock,sizes
bench_scenario fragmented        cmdline=fpw.bench=fragmented bw=unlimited roles=used
bench_scenario frag-mixed        cmdline=fpw.bench=frag-mixed bw=unlimited roles=used
bench_scenario busy              cmdline=fpw.bench=busy       bw=unlimited roles=busy
bench_scenario idle-capped       cmdline=fpw.bench=idle       bw=capped    roles=
bench_scenario idle-dirty-capped cmdline=fpw.bench=idle-dirty bw=capped    roles=
bench_scenario fragmented-capped cmdline=fpw.bench=fragmented bw=capped    roles=used
bench_scenario busy-capped       cmdline=fpw.bench=busy       bw=capped    roles=

bench_kernel patched  build=guest rev=series balloon=free-page-hint=on
bench_kernel stock    build=stock rev=base   balloon=free-page-hint=on
bench_kernel hint-off build=guest rev=series balloon=free-page-hint=off

bench_column rep                     from=run    key=rep
bench_column scenario                from=run    key=scenario
bench_column size_mib                from=run    key=size
bench_column kernel                  from=run    key=kernel
bench_column sweep                   from=run    key=sweep
bench_column status                  from=run    key=status
bench_column transferred             from=qmp    key=transferred
bench_column normal_pages            from=qmp    key=normal_pages
bench_column duplicate_pages         from=qmp    key=duplicate_pages
bench_column total_ms                from=qmp    key=total_time_ms
bench_column setup_ms                from=qmp    key=setup_time_ms
bench_column downtime_ms             from=qmp    key=downtime_ms
bench_column dirty_syncs             from=qmp    key=dirty_sync_count
bench_column memtotal_kb             from=ready  key=memtotal_kb
bench_column used_kb                 from=ready  key=used_kb
bench_column inuse_kb                from=run    key=inuse
bench_column hint_us                 from=hint   key=time_us_sum
bench_column hint_rounds             from=hint   key=rounds
bench_column hint_pages              from=hint   key=pages_total
bench_column hint_blocks             from=hint   key=max_round_blocks
bench_column hint_buffers            from=hint   key=max_round_buffers
bench_column busy_mib_s              from=busy   key=mib_per_s
bench_column compact_stall           from=vmstat key=compact_stall
bench_column compact_migrate_scanned from=vmstat key=compact_migrate_scanned
bench_column compact_isolated        from=vmstat key=compact_isolated
bench_column compact_daemon_wake     from=vmstat key=compact_daemon_wake
bench_column pgscan                  from=vmstat key=pgscan_kswapd+pgscan_direct
bench_column pgsteal                 from=vmstat key=pgsteal_kswapd+pgsteal_direct
bench_column allocstall              from=vmstat key=allocstall_normal+allocstall_movable+allocstall_dma32
bench_column pgmigrate_success       from=vmstat key=pgmigrate_success
bench_column thp_fault_alloc         from=vmstat key=thp_fault_alloc
bench_column thp_fault_fallback      from=vmstat key=thp_fault_fallback
bench_column busy_base_mib_s         from=ready  key=baseline_mib_per_s
bench_column hint_blocks_seen        from=hint   key=blocks_seen
bench_column hint_us_seen            from=hint   key=time_us_seen
bench_column hint_missed             from=hint   key=missed
bench_column held_peak_kb            from=held   key=peak_kb
bench_column held_mean_kb            from=run    key=held_mean
bench_column held_ms                 from=held   key=held_ms
bench_column held_samples            from=held   key=samples
bench_column held_cpu_ms             from=held   key=cpu_ms
bench_column cpu_window_ms           from=qmp    key=cpu_window_ms
bench_column src_vcpu_ms             from=qmp    key=src_vcpu_ms
bench_column src_io_ms               from=qmp    key=src_io_ms
bench_column src_mig_ms              from=qmp    key=src_mig_ms
bench_column src_main_ms             from=qmp    key=src_main_ms
bench_column src_other_ms            from=qmp    key=src_other_ms
bench_column src_proc_ms             from=qmp    key=src_proc_ms
bench_column dst_vcpu_ms             from=qmp    key=dst_vcpu_ms
bench_column dst_io_ms               from=qmp    key=dst_io_ms
bench_column dst_mig_ms              from=qmp    key=dst_mig_ms
bench_column dst_main_ms             from=qmp    key=dst_main_ms
bench_column dst_other_ms            from=qmp    key=dst_other_ms
bench_column dst_proc_ms             from=qmp    key=dst_proc_ms
bench_column console_bad             from=run    key=bad
bench_column run                     from=run    key=dir

bench_role() {
	[[ ,${BENCH_SCENARIO[$1.roles]:-}, == *,$2,* ]]
}

bench_usage_error() {
	(usage_exit 2)
	echo "${0##*/}: error: $*" >&2
	exit 2
}
