#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration test: migrate a workbench guest between two local QEMUs
# with free page hinting on, and check that its memory survived, that the
# patched driver really hinted, and that the kernel stayed quiet.
#
#   selftests/migration-test.sh [-o NAME] [-v VARIANTS] [-x] [-l MIB] [-d] [-p PREFIX]
#
#   -o NAME      boot .work/build/NAME (default: guest), with its initramfs
#   -v VARIANTS  comma separated, default:
#                default,fragmented,churn,resize,cancel,page_poison,
#                init_on_free,reporting
#                  default       free-page-hint=on
#                  fragmented    ... and the rest of free memory in order-0
#                                holes between pages the guest checks too
#                                (fpw.mig_frag=1)
#                  churn         fragmented, a churn buffer of 1 to 256
#                                pages checked, freed, allocated and
#                                written every 10 ms, and 256 KiB more
#                                mapped, filled and kept every 10 ms
#                                (fpw.mig_churn=1)
#                  resize        fragmented, and the balloon target
#                                lowered by 32 MiB on the source as soon as
#                                the guest reports its driver holding
#                                blocks (FPW-MIG-IN-ROUND): a config change
#                                while the device is in a round (QEMU then
#                                reads the cmd id as STOP); once the guest
#                                gave the 32 MiB, the target goes back up,
#                                still during the migration (a deflate)
#                  cancel        fragmented, migrate_cancel on that cue,
#                                then a second migration to a new
#                                destination
#                  stall         (-d only, not a default) fragmented, on
#                                the test double with FPW_QEMU_HINT_STALL=20:
#                                the device stops taking hint buffers after
#                                20, for good (also after a device reset);
#                                half the bandwidth, so that the first round
#                                outlives its 5 s wait
#                  freeze        (-d only, not a default) as stall, and the
#                                source guest freezes its tasks (suspend
#                                to idle with pm_test=freezer, 1 s) as
#                                soon as it sees its driver holding blocks
#                                (fpw.mig_freeze=1): the round must end at
#                                once instead of holding up the freezer
#                                until the stalled device times out;
#                                needs SUSPEND and PM_DEBUG, which the
#                                debug build has (-o debug)
#                  pingpong      (not a default) churn, migrated
#                                FPW_PINGPONG times (3; the full soak is
#                                10) from QEMU to new QEMU; after each but
#                                the last the guest checks every page in
#                                place, its driver holding nothing and
#                                having seen one DONE per migration
#                  page_poison   ... and page_poison=1 on the kernel command line
#                  init_on_free  ... and init_on_free=1
#                  reporting     free-page-hint=on,free-page-reporting=on
#   Faults during a hinting round (not defaults; selftests/run.sh runs them
#   as steps of their own):
#                  hotremove     a 256 MiB pc-dimm onlined movable at boot,
#                                a 128 MiB region and the rest fragmented
#                                (holes in the dimm too); on the cue the
#                                guest offlines the dimm's memory blocks
#                                (fpw.mig_offline=1) and the host asks the
#                                source for device_del, which QEMU 7.2
#                                refuses during a migration ("device_del
#                                not allowed while migrating": only PCI
#                                devices that allow it, as failover NICs,
#                                may go); the destination then unplugs the
#                                dimm (device_del, DEVICE_DELETED)
#                  reload        (-o module: CONFIG_VIRTIO_BALLOON=m)
#                                fragmented; on the cue the guest unloads
#                                the balloon driver and loads it again
#                                (fpw.mig_reload=1)
#                  s2idle        (-o debug: SUSPEND and the CMOS RTC)
#                                fragmented; on the cue the guest suspends
#                                to idle (echo freeze > /sys/power/state,
#                                pm_test none), with an RTC alarm 3 s
#                                later, woken by the host's "wake" on the
#                                serial command port 3 s later (QEMU 7.2
#                                does not wake s2idle by the RTC alarm;
#                                fpw.mig_s2idle=1)
#                  reporting-churn
#                                free page reporting on as well, with the
#                                churn of churn (no fragmentation, so that
#                                freed memory merges into blocks reporting
#                                takes); reports must reach the device
#                                during the migration
#                  ringleft      (-d only, not a default; run.sh runs it
#                                in h1-test, on the double) fragmented,
#                                one range per buffer, no bandwidth
#                                limit; the source's device (the test
#                                double, FPW_QEMU_HINT_STALL=20 for the
#                                source only) stops taking hint buffers
#                                after 20, and 0.5 s after the cue the
#                                source is paused (QMP stop) and migrated
#                                paused, so that it stops mid-round with
#                                hint buffers on the ring; the destination
#                                (hop1), a device that takes buffers, is
#                                continued, gets them (it was never
#                                notified of them: the driver notifies
#                                again) and, migrated again, runs a later
#                                round there (2 migrations)
#                  ringfull      fragmented, one range per buffer
#                                (virtio_balloon.hint_ranges_per_buffer=1),
#                                no bandwidth limit: the next iteration's
#                                cmd id comes while a batch of single-range
#                                buffers waits on the ring for the slow
#                                device (QEMU 7.2's ring has 1024 entries
#                                and the driver puts at most one batch of
#                                64 ranges on it, so the ring itself never
#                                fills)
#   -x           demonstration that the test can fail: the guest flips one
#                byte of its checksummed region before verifying
#                (fpw.corrupt=1); the verify result must then be FAIL.
#                Same as FPW_MIG_CORRUPT=1.
#   -l MIB       demonstration that the free memory check can fail: the
#                guest keeps MIB MiB in a tmpfs file just before its second
#                free memory reading (fpw.leak_mib=MIB); migration:V:memfree
#                must then be FAIL. Same as FPW_MIG_LEAK_MIB=MIB.
#   -d           run the source and destination on the QEMU test double
#                (selftests/qemu-double.sh, built if needed) with
#                FPW_QEMU_HINT_DROPS_WRITES=1: each hint also drops the
#                writes to its pages since the last dirty sync, as
#                KVM_CLEAR_DIRTY_LOG does on a KVM host. A driver that lets
#                the guest write a hinted page before the device processed
#                the hint then loses that write on the destination.
#   -p PREFIX    prefix of the result names (e.g. "h1/")
#   -h           this help
#
# Each variant boots a source QEMU and a destination QEMU (-incoming on
# 127.0.0.1), both with -object iothread,id=io0 and a virtio-balloon-pci
# with free-page-hint=on,iothread=io0 (selftests/lib/migrate.sh). In the
# guest, fpwmem (selftests/guest/fpwmem.c) fills a 256 MiB region of the
# 1 GiB guest with known content and a checksum per page, and keeps
# rewriting pages of it and replacing 1 MiB buffers (munmap, mmap, fill)
# while the guest migrates. Once QMP reports the migration completed, the
# host writes "verify" into the destination guest's second serial port;
# the guest checks every page, prints the driver's hint statistics, then
# allocates and touches 90% of its free memory (fresh pages must be zero;
# page_poison=1 reports free pages that lost their poison). Before
# "verify", the destination's balloon takes 16 MiB of the guest: a config
# change after DONE, which must not count DONE again.
#
# Results (selftests/lib/results.sh), per variant V:
#   migration:V:migrate        query-migrate reached "completed"; the
#                              detail has QMP's ram statistics
#   migration:V:verify         no page of the region, of the churned
#                              buffers or (fragmented) of the pages kept
#                              between the holes changed (guest report
#                              required)
#   migration:V:hinting        default, fragmented, churn, reporting: bit 3
#                              (VIRTIO_BALLOON_F_FREE_PAGE_HINT) negotiated,
#                              pages_total > 0, at least one complete or
#                              stopped round, DONE seen once per migration
#                              (cancel: twice) although the config changed
#                              after it, held_bytes and
#                              released_early_blocks 0 after it, and
#                              blocks below order 10 hinted in some round
#                              (fragmented, churn: order-0 blocks); the
#                              per-order counts are in the detail
#                              (stall, freeze: stalled and suspended
#                              rounds count as ended rounds too)
#                              page_poison, init_on_free: bit 3 NOT
#                              negotiated and nothing hinted
#                              (these read the statistics and the policy of
#                              this series' driver: a stock kernel fails
#                              them)
#   migration:V:balloon        the destination's balloon took its 16 MiB
#                              after the migration (resize: and the
#                              source's 32 MiB before)
#   migration:V:disturbed      resize, cancel: the QMP command ran while the
#                              migration was active, after the guest
#                              reported a round holding blocks; cancel: the
#                              first migration ended "cancelled"
#   migration:V:after-alloc    touching most free memory after the
#                              migration found only zeroed fresh pages
#   migration:V:memfree        the guest's free memory (MemFree and the
#                              per-cpu lists) once fpwmem exited
#                              on the destination is within
#                              FPW_MIG_MEMFREE_TOL_KB (8192) of the free
#                              memory before fpwmem started on the source,
#                              less what the guest gave away meanwhile
#                              (the destination balloon's 16 MiB, and
#                              hotremove the dimm's 256 MiB); MemTotal
#                              fell by that too, and nr_free_held is 0.
#                              The detail has the figures of the summary:
#                              pages verified, bad pages, held bytes
#                              after, free memory before and after, splats
#   migration:V:hotremove      hotremove: every ZONE_MOVABLE block went
#                              offline while the round held blocks, the
#                              source's device_del during the migration was
#                              answered (QEMU 7.2 refuses it), and the
#                              destination unplugged the dimm
#   migration:V:reload         reload: the boot loaded the driver as a
#                              module; rmmod during the round worked and
#                              left nr_free_held 0, modprobe bound the
#                              device again, whose DONE the new driver saw
#   migration:V:s2idle         s2idle: the guest suspended to idle and
#                              resumed (the kernel logged entry and exit,
#                              the write to /sys/power/state took at least
#                              1 s), a round ended "suspended"
#   migration:V:reporting      reporting-churn: the device took free page
#                              reports during the migration (the source's
#                              reporting virtqueue, x-query-virtio-queue-status)
#   migration:V:ringleft       ringleft: the source stopped with hint
#                              buffers on its ring (QEMU's last available
#                              index behind the guest's), hop1 used them,
#                              and a round ended there after the first
#                              migration
#   migration:V:ringfull       ringfull: one range per buffer, a round that
#                              waited for the device ended "stopped" (a new
#                              cmd id or STOP), and a round of a later cmd
#                              id followed, or DONE when QEMU started none
#                              before it (it sends a new cmd id only at a
#                              dirty sync that is not the last)
#   migration:V:console-clean  no oops, BUG, WARNING, Call Trace, "memory
#                              corruption", "pagealloc: " poison report, OOM
#                              ... on either console
#   migration:V:power-off      the guest finished on the destination
#   migration:V:hops           pingpong: migrations 1 .. N-1 completed, and
#                              after each the guest's in-place check found
#                              no bad page, held_bytes 0,
#                              released_early_blocks 0 and done_received
#                              equal to the migrations so far (the last
#                              migration is judged by the results above,
#                              with DONE N times)
#   migration:V:stall          stall: the double stalled, a round ended
#                              "stalled" (gave up waiting after 5 s without
#                              a used buffer) instead of waiting on, and
#                              the driver reset the device to take its
#                              buffers back, once (device_resets 1, none
#                              abandoned or failed: at most one reset per
#                              migration); the hinting result still requires nothing held
#                              after DONE and no early release, and the
#                              balloon result that the device inflates
#                              after its reset
#   migration:V:freeze         freeze: the guest's tasks froze and thawed
#                              (write to /sys/power/state returned 0), the
#                              kernel logged freezing the freezable
#                              workqueues (the hinting work's) in under
#                              1 s, although the device had stopped and
#                              a round waits 5 s for it, and at least one
#                              round ended "suspended"
#   migration:V:double         with -d: the test double was in effect and
#                              processed hints (its statistics on the
#                              source QEMU's stderr, total_hinted_pages > 0),
#                              so that verify ran against dropping hints.
#                              The detail has the double's count of written
#                              pages whose writes a hint dropped: it also
#                              counts pages written, freed and hinted within
#                              one dirty sync interval, whose lost content
#                              no one reads, so verify, not this count,
#                              decides whether a live page lost a write
# Files: .work/migration/NAME/V/ (consoles src.log and dst.log, QEMU
# output, migrate.txt).
#
# FPW_MIG_REJUDGE=1 judges the files of the last run of each variant again
# without running anything (a changed check or threshold, e.g.
# FPW_MIG_MEMFREE_TOL_KB).
# FPW_MIG_STOP_BY=downtime makes ringleft's source stop by a downtime limit
# of 60 s instead of QMP stop (see STOP_BY).
# Run on its own it starts a new result record and ends with the summary;
# run by selftests/run.sh (FPW_IN_RUN set) it adds to the run's record.
# QEMU settings: selftests/lib/qemu.sh (FPW_ACCEL=kvm, GUEST_MEM, ...); the
# guest has 1 GiB, under TCG and QEMU < 9.0 1 GiB and 8 KiB (see mig_mem in
# selftests/lib/migrate.sh: works around a QEMU bug that loses guest writes).
# Time limits and migration parameters: selftests/lib/migrate.sh
# (MIG_TIMEOUT, ...); here max-bandwidth is 128 MiB/s unless MIG_BANDWIDTH
# is set.
set -u -o pipefail
# shellcheck source=selftests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=selftests/lib/results.sh
. "$TOP/selftests/lib/results.sh"
# shellcheck source=selftests/lib/qemu.sh
. "$TOP/selftests/lib/qemu.sh"
# shellcheck source=selftests/lib/migrate.sh
. "$TOP/selftests/lib/migrate.sh"

name=guest
variants=
corrupt=${FPW_MIG_CORRUPT:-0}
double=0
prefix=
leak=${FPW_MIG_LEAK_MIB:-}
while getopts o:v:xl:dp:h opt; do
	case $opt in
	o) name=$OPTARG ;;
	v) variants=$OPTARG ;;
	x) corrupt=1 ;;
	l) leak=$OPTARG ;;
	d) double=1 ;;
	p) prefix=$OPTARG ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_error "unexpected argument '$1'"

# The migration tests run x86_64 guests (selftests/lib/arch.sh).
arch_load x86_64
out=$WORK/build/$name
[ "$(arch_of_build "$out")" = x86_64 ] || die "${out#"$TOP"/} is a build for $(arch_of_build "$out"): the migration tests are x86_64 only"
kernel=$out/$ARCH_IMAGE
initrd=$out/initramfs.cpio.gz
[ -f "$kernel" ] || die "no ${kernel#"$TOP"/}: run selftests/build.sh${name:+ -o $name} first"
[ -f "$initrd" ] || die "no ${initrd#"$TOP"/}: run selftests/initramfs.sh${name:+ -o $name} first"

trap mig_cleanup EXIT
trap 'exit 130' INT TERM

# 1 GiB (and 8 KiB under TCG: see mig_mem in selftests/lib/migrate.sh).
GUEST_MEM=${GUEST_MEM:-$(mig_mem 1024)}
export GUEST_MEM
MIG_READY_TIMEOUT=${MIG_READY_TIMEOUT:-180}
MIG_TIMEOUT=${MIG_TIMEOUT:-240}
MIG_FINISH_TIMEOUT=${MIG_FINISH_TIMEOUT:-180}
# Capped: several dirty bitmap syncs (hinting rounds) while the guest
# writes.
MIG_BANDWIDTH=${MIG_BANDWIDTH:-$MIG_BW_CAPPED}

# The guest's balloon target for the resize variant: 32 MiB below its RAM.
RESIZE_MIB=32
RESIZE_TARGET=$(($(mem_bytes "$GUEST_MEM") - (RESIZE_MIB << 20)))
AFTER_BALLOON_MIB=16
# ringleft: how the source stops mid-round, STOP_DELAY_MS after the cue.
# pause (the default): QMP stop, the migration goes on with the guest paused
# and the destination is continued. downtime: a downtime limit of
# STOP_DOWNTIME_MS, so that QEMU switches over at its next check. The source's
# device stops taking hint buffers after 20 (the test double): on stock QEMU
# 7.2 the iothread stops taking buffers once the guest is paused, but only
# after the vCPUs, and it drained the ring in between in 4 of 4 runs of a
# driver that polls the used ring (and in 2 of 2 switch-overs by QEMU
# itself of a driver that slept for the used-buffer interrupt, whose device
# lagged enough for QMP stop to leave 15 to 63 buffers).
STOP_BY=${FPW_MIG_STOP_BY:-pause}
STOP_DOWNTIME_MS=60000
STOP_DELAY_MS=500
# migration:V:memfree: how far the free memory after may be from the free
# memory before, less what the guest gave away. The readings are MemFree
# plus the per-cpu page lists (which held 9-27 MiB of free pages here, the
# lists growing after large frees), the largest of six over 1.8 s with the
# caches dropped; what is left to vary are slab, page tables and kernel
# stacks (0.03-0.3 MiB measured), and the memory map of a removed dimm
# coming back (4 MiB per 256 MiB). 8 MiB lets those pass and catches the
# balloon's 16 MiB not given back or taken twice, a hint budget (32 MiB)
# or a balloon resize (32 MiB) that did not come back; held blocks the
# driver still counts are held_bytes and nr_free_held, checked exactly.
MEMFREE_TOL_KB=${FPW_MIG_MEMFREE_TOL_KB:-8192}

# The variants, as data: one mig_variant line each (the -v list above says
# what each is for). Every key must be given ('' = none):
#   default  yes: in the default -v list
#   cmdline  the guest's kernel command line
#   balloon  the virtio-balloon-pci options
#   disturb  balloon: lower the balloon target by RESIZE_MIB and, once the
#            guest gave it, raise it again; cancel: migrate_cancel, then
#            migrate again; unplug: device_del dimm0 (and, after the
#            migration, on the destination); stop: QMP stop (STOP_BY),
#            STOP_DELAY_MS after the cue; on the
#            source, while the migration is active, once the guest
#            reports its driver holding blocks (FPW-MIG-IN-ROUND)
#   stall    the test double's FPW_QEMU_HINT_STALL (needs -d); src:N for
#            the source's QEMU only (MIG_SRC_HINT_STALL)
#   bw       the migration bandwidth is MIG_BANDWIDTH divided by this,
#            or max: MIG_BW_UNLIMITED (a device slowed by the migration
#            thread, which holds the dirty bitmap lock while it sends)
#   dimm     MiB of a pc-dimm (id dimm0) on every QEMU, onlined movable
#   hops     migrations of the guest in a row (FPW_PINGPONG overrides)
#   hint     yes: hinting negotiated and done; no: not negotiated
#   order0   yes: a round must have hinted more than 1000 order-0 blocks
#   check    the variant's own result: stall, freeze, hotremove, reload,
#            s2idle, reporting, ringleft or ringfull (hops: migration:V:hops)
VARIANT_KEYS="default cmdline balloon disturb stall bw dimm hops hint order0 check"
VARIANT_LIST=()
declare -A _VARIANT=()
mig_variant() { table_def _VARIANT VARIANT_LIST "$VARIANT_KEYS" "$@"; }
H=$FPW_BALLOON_OPTS_DEFAULT F=fpw.mig_frag=1 R=free-page-hint=on,free-page-reporting=on,iothread=io0
R1=virtio_balloon.hint_ranges_per_buffer=1
mig_variant default      default=yes cmdline=                            balloon=$H disturb=        stall=   bw=1   dimm=    hops=  hint=yes order0=no  check=
mig_variant fragmented   default=yes cmdline=$F                          balloon=$H disturb=        stall=   bw=1   dimm=    hops=  hint=yes order0=yes check=
mig_variant churn        default=yes cmdline="$F fpw.mig_churn=1"        balloon=$H disturb=        stall=   bw=1   dimm=    hops=  hint=yes order0=yes check=
mig_variant resize       default=yes cmdline=$F                          balloon=$H disturb=balloon stall=   bw=1   dimm=    hops=  hint=yes order0=no  check=
mig_variant cancel       default=yes cmdline=$F                          balloon=$H disturb=cancel  stall=   bw=1   dimm=    hops=  hint=yes order0=no  check=
# The device stops early in the first round, and the first pass at half
# the bandwidth outlasts the 5 s the round waits: the next sync's cmd id or
# DONE must not end the round first.
mig_variant stall        default=no  cmdline=$F                          balloon=$H disturb=        stall=20 bw=2   dimm=    hops=  hint=yes order0=no  check=stall
mig_variant freeze       default=no  cmdline="$F fpw.mig_freeze=1"       balloon=$H disturb=        stall=20 bw=2   dimm=    hops=  hint=yes order0=no  check=freeze
mig_variant pingpong     default=no  cmdline="$F fpw.mig_churn=1"        balloon=$H disturb=        stall=   bw=1   dimm=    hops=3 hint=yes order0=yes check=hops
mig_variant page_poison  default=yes cmdline=page_poison=1               balloon=$H disturb=        stall=   bw=1   dimm=    hops=  hint=no  order0=no  check=
mig_variant init_on_free default=yes cmdline=init_on_free=1              balloon=$H disturb=        stall=   bw=1   dimm=    hops=  hint=no  order0=no  check=
mig_variant reporting    default=yes cmdline=                            balloon=$R disturb=        stall=   bw=1   dimm=    hops=  hint=yes order0=no  check=
# Faults during a round. hotremove: 128 MiB of region, so that the
# fragmented rest has holes in the dimm too (ZONE_MOVABLE fills first),
# and what the offline moves out of the dimm fits in the other zones.
mig_variant hotremove    default=no  cmdline="$F fpw.mig_mib=128 fpw.mig_offline=1" \
	balloon=$H disturb=unplug stall= bw=1 dimm=256 hops= hint=yes order0=no check=hotremove
mig_variant reload       default=no  cmdline="$F fpw.mig_reload=1"       balloon=$H disturb=        stall=   bw=1   dimm=    hops=  hint=yes order0=no  check=reload
mig_variant s2idle       default=no  cmdline="$F fpw.mig_s2idle=1"       balloon=$H disturb=        stall=   bw=1   dimm=    hops=  hint=yes order0=no  check=s2idle
mig_variant reporting-churn default=no cmdline=fpw.mig_churn=1          balloon=$R disturb=        stall=   bw=1   dimm=    hops=  hint=yes order0=no  check=reporting
mig_variant ringleft     default=no  cmdline="$F $R1"                    balloon=$H disturb=stop    stall=src:20 bw=max dimm=  hops=2 hint=yes order0=no  check=ringleft
mig_variant ringfull     default=no  cmdline="$F $R1"                    balloon=$H disturb=        stall=   bw=max dimm=    hops=  hint=yes order0=no  check=ringfull
unset H F R R1

run_variant() {
	local v=$1 cmdline opts dir p rel
	local trig_re="" trig_cmd="" trig_args="" cancel_first="" dones=1 stall stall_check="" freeze="" hops
	local bw check=${_VARIANT[$v.check]} dimm=${_VARIANT[$v.dimm]} unplug="" deflate="" vq="" tdelay="" cont="" wake=""
	cmdline=${_VARIANT[$v.cmdline]}
	opts=${_VARIANT[$v.balloon]}
	stall=${_VARIANT[$v.stall]}
	local src_stall=
	case $stall in
	src:*)
		src_stall=${stall#src:}
		stall=
		;;
	esac
	if [ "${_VARIANT[$v.bw]}" = max ]; then
		bw=$MIG_BW_UNLIMITED
	else
		bw=$((MIG_BANDWIDTH / ${_VARIANT[$v.bw]}))
	fi
	hops=${_VARIANT[$v.hops]}
	case ${_VARIANT[$v.disturb]} in
	balloon)
		trig_re='^FPW-MIG-IN-ROUND '
		trig_cmd=balloon
		trig_args="{\"value\": $RESIZE_TARGET}"
		deflate=1
		;;
	unplug)
		trig_re='^FPW-MIG-IN-ROUND '
		trig_cmd=device_del
		trig_args='{"id": "dimm0"}'
		unplug=dimm0
		;;
	stop)
		trig_re='^FPW-MIG-IN-ROUND '
		tdelay=$STOP_DELAY_MS
		case $STOP_BY in
		pause)
			trig_cmd=stop
			trig_args='{}'
			cont=1
			;;
		downtime)
			trig_cmd=migrate-set-parameters
			trig_args="{\"downtime-limit\": $STOP_DOWNTIME_MS}"
			;;
		*) die "FPW_MIG_STOP_BY=$STOP_BY: pause or downtime" ;;
		esac
		;;
	cancel)
		trig_re='^FPW-MIG-IN-ROUND '
		trig_cmd=migrate_cancel
		cancel_first=1
		dones=2
		;;
	esac
	case $check in
	stall) stall_check=1 ;;
	freeze) freeze=1 ;;
	ringleft) vq=3 ;;
	s2idle) wake='^FPW-MIG-S2IDLE-ENTER ' ;;
	reporting) vq=4 ;;
	esac
	if [ -n "$stall$src_stall" ] && [ "$double" != 1 ]; then
		result FAIL "${prefix}migration:$v:migrate" "the $v variant needs the QEMU test double (-d)"
		return
	fi
	if [ -n "$hops" ]; then
		hops=${FPW_PINGPONG:-$hops}
		if ! [ "$hops" -ge 2 ] 2>/dev/null; then
			result FAIL "${prefix}migration:$v:migrate" "FPW_PINGPONG=$hops: the $v variant needs a number of migrations >= 2"
			return
		fi
		dones=$hops
	fi
	[ "$corrupt" = 1 ] && cmdline+=" fpw.corrupt=1"
	[ -z "$leak" ] || cmdline+=" fpw.leak_mib=$leak"
	dir=$WORK/migration/$name/${prefix//\//-}$v
	rel=${dir#"$TOP"/}
	p=${prefix}migration:$v
	info "migration $v: ${kernel#"$TOP"/}, -m ${GUEST_MEM}, balloon $opts${cmdline:+, cmdline:$cmdline} (files: $rel)"
	local start=$SECONDS
	if [ -n "${FPW_MIG_REJUDGE:-}" ]; then
		# The files of an earlier run, judged again: nothing runs.
		[ -f "$dir/src.log" ] || die "FPW_MIG_REJUDGE: no earlier run of $v in $rel"
		info "migration $v: judging the files of an earlier run again (FPW_MIG_REJUDGE)"
		MIG_ERR=
	else
		FPW_BALLOON_OPTS=$opts MIG_TRIGGER_RE=$trig_re MIG_TRIGGER_CMD=$trig_cmd MIG_TRIGGER_ARGS=$trig_args \
			MIG_CANCEL_FIRST=$cancel_first MIG_AFTER_BALLOON_MIB=$AFTER_BALLOON_MIB \
			FPW_QEMU_HINT_STALL=$stall MIG_SRC_HINT_STALL=$src_stall MIG_PINGPONG=$hops MIG_BANDWIDTH=$bw \
			MIG_DIMM_MIB=$dimm MIG_UNPLUG=$unplug MIG_DEFLATE=$deflate MIG_VQ=$vq MIG_TRIGGER_DELAY_MS=$tdelay MIG_CONT_DST=$cont \
			MIG_WAKE_RE=$wake \
			mig_run "$dir" "$kernel" "$initrd" migration "$cmdline" verify || true
	fi
	info "migration $v: done in $((SECONDS - start)) s${MIG_ERR:+: $MIG_ERR}"
	local src=$dir/src.log dst=$dir/dst.log mt=$dir/migrate.txt

	# 1. The migration itself, with QMP's statistics.
	local stats
	stats="transferred=$(mig_kv "$mt" transferred) normal_pages=$(mig_kv "$mt" normal_pages)"
	stats+=" duplicate_pages=$(mig_kv "$mt" duplicate_pages) total_time_ms=$(mig_kv "$mt" total_time_ms)"
	stats+=" downtime_ms=$(mig_kv "$mt" downtime_ms) dirty_syncs=$(mig_kv "$mt" dirty_sync_count)"
	stats+=" guest_used_kb=$(mig_field "$src" FPW-MIG-START used_kb)"
	if [ "$(mig_kv "$mt" status)" = completed ]; then
		result PASS "$p:migrate" "completed: $stats"
	elif [ -f "$mt" ]; then
		result FAIL "$p:migrate" "${MIG_ERR:-status $(mig_kv "$mt" status)}: $stats (files: $rel)"
	else
		result FAIL "$p:migrate" "${MIG_ERR:-not started} (files: $rel)"
	fi

	# 2. The guest's verdict on its memory.
	local line
	line=$(guest_result "$dst" migration-verify)
	case $line in
	PASS\ *) result PASS "$p:verify" "${line#PASS }" ;;
	FAIL\ *)
		local why=${line#FAIL }
		local c
		c=$(tr -d '\r' <"$dst" | grep -a 'FPW-MIG-CORRUPT' | tail -n 1)
		result FAIL "$p:verify" "$why${c:+ | $c}"
		;;
	*) result FAIL "$p:verify" "the guest did not report (no FPW-RESULT migration-verify on the destination console)${MIG_ERR:+; $MIG_ERR}" ;;
	esac

	# 2b. With the test double: it was in effect, and what it dropped.
	if [ "$double" = 1 ]; then
		local qd_line dropped hinted
		qd_line=$(grep -a '^fpw-double: sync=' "$dir/src.qemu" 2>/dev/null | tail -n 1)
		dropped=$(mig_field "$dir/src.qemu" fpw-double: total_dropped_pages)
		hinted=$(mig_field "$dir/src.qemu" fpw-double: total_hinted_pages)
		if [ "$dropped" = n/a ] || [ "$hinted" = n/a ]; then
			result FAIL "$p:double" "no fpw-double statistics in ${dir#"$TOP"/}/src.qemu: the double was not in effect"
		elif ! [ "$hinted" -gt 0 ] 2>/dev/null; then
			result FAIL "$p:double" "the double processed no hint: ${qd_line#fpw-double: }"
		else
			result PASS "$p:double" "hints dropped the writes of $dropped page(s) (pages written and freed since the last sync count too; verify decides): ${qd_line#fpw-double: }"
		fi
	fi

	# 3. Hinting: negotiated and done, or (poison, init_on_free) not offered.
	local features bit hint st
	features=$(mig_field "$src" FPW-MIG-FEATURES features)
	bit=$(mig_field "$src" FPW-MIG-FEATURES free_page_hint)
	hint=$(tr -d '\r' <"$dst" 2>/dev/null | grep -a '^FPW-MIG-HINT ' | tail -n 1)
	st=$(console_frame "$dst" hint-stats-after)
	local pages_total rounds_c rounds_s rounds_f rounds_x rounds_p last_blocks below seen done_r held early
	pages_total=$(frame_value "$st" pages_total)
	held=$(frame_value "$st" held_bytes)
	early=$(frame_value "$st" released_early_blocks)
	done_r=$(frame_value "$st" done_received)
	rounds_c=$(frame_value "$st" rounds_complete)
	rounds_s=$(frame_value "$st" rounds_stopped)
	rounds_f=$(frame_value "$st" rounds_failed)
	rounds_x=$(frame_value "$st" rounds_stalled)
	rounds_p=$(frame_value "$st" rounds_suspended)
	last_blocks=$(frame_value "$st" last_blocks_by_order)
	# Blocks below order 10 in the last round, or in any round fpwmem saw.
	below=$(awk '{ s = 0; for (i = 1; i < NF; i++) s += $i; print s }' <<<"${last_blocks:-0}")
	seen=$(tr ' ' '\n' <<<"$hint" | sed -n 's/^blocks_below_max_order=//p')
	local rounds_seen
	rounds_seen=$(tr -d '\r' <"$dst" 2>/dev/null | grep -a '^FPW-MIG-ROUND ' |
		awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(cmd_id|end|time_us|pages|blocks)=/) printf "%s ", $i; printf "; " }')
	local detail="features=$features"
	detail+=" pages_total=${pages_total:-n/a} rounds_complete=${rounds_c:-n/a} rounds_stopped=${rounds_s:-n/a}"
	detail+=" rounds_failed=${rounds_f:-n/a} rounds_stalled=${rounds_x:-n/a} rounds_suspended=${rounds_p:-n/a} done_received=${done_r:-n/a} held_bytes=${held:-n/a}"
	detail+=" released_early_blocks=${early:-n/a} rounds_renotified=$(frame_value "$st" rounds_renotified)"
	detail+=" last_blocks_by_order: ${last_blocks:-n/a}"
	[ -z "$rounds_seen" ] || detail+=" | rounds seen: $rounds_seen"
	case ${_VARIANT[$v.hint]} in
	no)
		if [ "$bit" = 0 ] && [ "${pages_total:-0}" = 0 ]; then
			result PASS "$p:hinting" "free page hinting not negotiated, as required: $detail"
		elif [ "$bit" = 0 ]; then
			result FAIL "$p:hinting" "bit 3 not negotiated but pages were hinted: $detail"
		else
			result FAIL "$p:hinting" "free page hinting negotiated (bit 3 = ${bit:-n/a}) with $cmdline: $detail"
		fi
		;;
	*)
		local why=()
		[ "$bit" = 1 ] || why+=("bit 3 not negotiated")
		[ -n "$st" ] || why+=("no hint statistics on the destination console")
		[ "${pages_total:-0}" -gt 0 ] 2>/dev/null || why+=("pages_total is ${pages_total:-n/a}")
		# stall: the stalled round counts; elsewhere a round must end
		# by the protocol, and none may stall on stock QEMU.
		if [ -n "$stall" ]; then
			[ $((${rounds_c:-0} + ${rounds_s:-0} + ${rounds_x:-0} + ${rounds_p:-0})) -ge 1 ] 2>/dev/null ||
				why+=("no complete, stopped, stalled or suspended round")
		else
			[ $((${rounds_c:-0} + ${rounds_s:-0})) -ge 1 ] 2>/dev/null || why+=("no complete or stopped round")
			[ "${rounds_x:-0}" = 0 ] || why+=("$rounds_x round(s) stalled")
			# s2idle: the PM notifier ends a round as suspended.
			[ "${rounds_p:-0}" = 0 ] || [ "$check" = s2idle ] || why+=("$rounds_p round(s) suspended")
		fi
		# The destination must have ended the round and seen DONE: a
		# round left waiting on the ring across the switch-over must
		# not stay asleep there.
		# Exactly once per migration: the balloon's config change after
		# it (migration:V:balloon) must not count DONE again.
		[ "${done_r:-x}" = "$dones" ] ||
			why+=("done_received ${done_r:-n/a} on the destination, not $dones (one per migration)")
		# After DONE nothing is held, and no block went back while the
		# device could still read its buffer.
		[ "${held:-x}" = 0 ] || why+=("held_bytes ${held:-n/a} after DONE")
		[ "${early:-x}" = 0 ] || why+=("released_early_blocks ${early:-n/a}")
		[ "${below:-0}" -gt 0 ] 2>/dev/null || [ "${seen:-0}" -gt 0 ] 2>/dev/null ||
			why+=("no block below order 10 hinted")
		if [ "${_VARIANT[$v.order0]}" = yes ]; then
			# Order-0 blocks in the last round or in any round seen.
			local o0
			o0=$( (echo "${last_blocks%% *}"; tr -d '\r' <"$dst" | grep -a '^FPW-MIG-ROUND ' |
				sed -n 's/.* blocks=\([0-9]*\),.*/\1/p') | sort -n | tail -n 1)
			[ "${o0:-0}" -gt 1000 ] 2>/dev/null || why+=("only ${o0:-0} order-0 blocks hinted in a round")
			detail+=" | holes: $(mig_field "$src" FPW-MIG-READY frag_freed_mib) MiB freed as $(mig_field "$src" FPW-MIG-READY holes)"
		fi
		if [ ${#why[@]} -eq 0 ]; then
			result PASS "$p:hinting" "$detail"
		else
			result FAIL "$p:hinting" "$(IFS=';'; echo "${why[*]}"): $detail"
		fi
		;;
	esac

	# 3b. The balloon after the migration, and the disturbance.
	local bt=$dir/balloon.txt b_before b_target b_actual
	b_before=$(mig_kv "$bt" balloon_before)
	b_target=$(mig_kv "$bt" balloon_target)
	b_actual=$(mig_kv "$bt" balloon_actual)
	local bdetail
	bdetail="before=$b_before target=$b_target actual=$b_actual in $(mig_kv "$bt" balloon_ms) ms"
	if [ ! -f "$bt" ] || [ "$b_actual" = n/a ]; then
		result FAIL "$p:balloon" "no balloon figures after the migration (${bt#"$TOP"/})"
	elif [ "$b_actual" -gt "$b_target" ]; then
		result FAIL "$p:balloon" "the destination guest did not give the balloon its ${AFTER_BALLOON_MIB} MiB: $bdetail"
	elif [ -n "$deflate" ] && [ "$(mig_kv "$mt" inflated_ms)" = n/a ]; then
		result FAIL "$p:balloon" "the inflate by $RESIZE_MIB MiB during the migration did not take effect: $bdetail"
	elif [ -n "$deflate" ] && [ "$(mig_kv "$mt" deflate_status)" != active ]; then
		result FAIL "$p:balloon" "the deflate was not asked for during the migration (status $(mig_kv "$mt" deflate_status)): $bdetail"
	elif [ -n "$deflate" ] && [ "$b_before" != "$(mig_kv "$mt" balloon_full)" ]; then
		result FAIL "$p:balloon" "the guest did not deflate back to $(mig_kv "$mt" balloon_full) after the resize (at $b_before after $(mig_kv "$bt" balloon_settle_ms) ms): $bdetail"
	else
		[ -z "$deflate" ] || bdetail+="; during the migration: inflated by $RESIZE_MIB MiB $(mig_kv "$mt" inflated_ms) ms in, target back to $(mig_kv "$mt" balloon_full) (deflated on the source $(mig_kv "$mt" deflated_ms) ms in; n/a: on the destination)"
		result PASS "$p:balloon" "$bdetail"
	fi
	if [ -n "$trig_cmd" ]; then
		local tf=$mt
		[ -z "$cancel_first" ] || tf=$dir/migrate-cancel.txt
		# Several migrations: the trigger ran in the first.
		[ -z "$hops" ] || tf=$dir/migrate-1.txt
		local tdetail
		tdetail="$(mig_kv "$tf" trigger) at $(mig_kv "$tf" trigger_ms) ms into the migration (status $(mig_kv "$tf" trigger_status)), cue: $(tr -d '\r' <"$src" 2>/dev/null | grep -a -m1 '^FPW-MIG-IN-ROUND ')"
		if [ "$(mig_kv "$tf" trigger)" != "$trig_cmd" ] || [ "$(mig_kv "$tf" trigger_status)" != active ]; then
			result FAIL "$p:disturbed" "$trig_cmd did not run during the migration: $tdetail"
		elif [ -n "$unplug" ]; then
			# QEMU 7.2 refuses device_del during a migration; had it
			# taken it, the guest would have ejected the dimm then.
			result PASS "$p:disturbed" "$tdetail; QEMU's answer: $(mig_kv "$tf" trigger_error | sed 's/^n\/a$/accepted/')"
		elif [ "$(mig_kv "$tf" trigger_error)" != n/a ]; then
			result FAIL "$p:disturbed" "$trig_cmd failed: $(mig_kv "$tf" trigger_error)"
		elif [ -n "$cancel_first" ] && [ "$(mig_kv "$tf" status)" != cancelled ]; then
			result FAIL "$p:disturbed" "the first migration ended $(mig_kv "$tf" status), not cancelled: $tdetail"
		else
			result PASS "$p:disturbed" "$tdetail${cancel_first:+; first migration cancelled, second to a new destination}"
		fi
	fi

	# 3b'. pingpong: every migration before the last completed, and the
	# guest checked every page after it, with nothing held and each DONE
	# seen once.
	if [ -n "$hops" ]; then
		local k hl hc pwhy=() pdetail=""
		for ((k = 1; k < hops; k++)); do
			hl=$dir/hop$k.log
			hc=$(tr -d '\r' <"$hl" 2>/dev/null | grep -a "^FPW-MIG-CHECK n=$k " | tail -n 1)
			if [ "$(mig_kv "$dir/migrate-$k.txt" status)" != completed ]; then
				pwhy+=("migration $k: $(mig_kv "$dir/migrate-$k.txt" status)")
				break
			fi
			case $hc in
			"FPW-MIG-CHECK n=$k PASS "*) ;;
			"FPW-MIG-CHECK n=$k FAIL "*) pwhy+=("after migration $k: ${hc#FPW-MIG-CHECK }") ;;
			*) pwhy+=("no check after migration $k in ${hl#"$TOP"/}") ;;
			esac
			[ "$(mig_field "$hl" FPW-MIG-CHECK-HINT held_bytes)" = 0 ] ||
				pwhy+=("held_bytes $(mig_field "$hl" FPW-MIG-CHECK-HINT held_bytes) after migration $k")
			[ "$(mig_field "$hl" FPW-MIG-CHECK-HINT done_received)" = "$k" ] ||
				pwhy+=("done_received $(mig_field "$hl" FPW-MIG-CHECK-HINT done_received) after migration $k, not $k")
			[ "$(mig_field "$hl" FPW-MIG-CHECK-HINT released_early_blocks)" = 0 ] ||
				pwhy+=("released_early_blocks $(mig_field "$hl" FPW-MIG-CHECK-HINT released_early_blocks) after migration $k")
			pdetail+=" $k:$(mig_field "$hl" FPW-MIG-CHECK region_pages)p,bad=$(mig_field "$hl" FPW-MIG-CHECK bad_pages)+$(mig_field "$hl" FPW-MIG-CHECK churn_bad_pages)+$(mig_field "$hl" FPW-MIG-CHECK frag_bad_pages),held=$(mig_field "$hl" FPW-MIG-CHECK-HINT held_bytes),done=$(mig_field "$hl" FPW-MIG-CHECK-HINT done_received),$(mig_kv "$dir/migrate-$k.txt" total_time_ms)ms"
		done
		if [ ${#pwhy[@]} -eq 0 ]; then
			result PASS "$p:hops" "$hops migrations, checked after each (the last by verify):$pdetail"
		else
			result FAIL "$p:hops" "$(IFS=';'; echo "${pwhy[*]}"):$pdetail"
		fi
	fi

	# 3c. stall: the device stopped, the driver took its buffers back.
	if [ -n "$stall_check" ]; then
		local stalled=$rounds_x renot resets sline abandoned failures skipped
		renot=$(frame_value "$st" rounds_renotified)
		resets=$(frame_value "$st" device_resets)
		abandoned=$(frame_value "$st" device_resets_abandoned)
		failures=$(frame_value "$st" device_reset_failures)
		skipped=$(frame_value "$st" device_resets_skipped)
		sline=$(grep -a -m1 '^fpw-double: stalled after' "$dir/src.qemu" 2>/dev/null)
		local sdetail="rounds_stalled=${stalled:-n/a} device_resets=${resets:-n/a} device_resets_abandoned=${abandoned:-n/a}"
		sdetail+=" device_reset_failures=${failures:-n/a} device_resets_skipped=${skipped:-n/a} rounds_renotified=${renot:-n/a} held_bytes=${held:-n/a}"
		sdetail+=" | rounds seen: $(tr -d '\r' <"$dst" 2>/dev/null | grep -a '^FPW-MIG-ROUND ' | sed -n 's/.* end=\([a-z]*\) time_us=\([0-9]*\).*/\1:\2us/p' | tr '\n' ' ')"
		if [ -z "$sline" ]; then
			result FAIL "$p:stall" "the double never stalled (no 'fpw-double: stalled after' in ${dir#"$TOP"/}/src.qemu): $sdetail"
		elif ! [ "${stalled:-0}" -ge 1 ] 2>/dev/null; then
			result FAIL "$p:stall" "no round gave up waiting for the stalled device: $sdetail"
		elif ! [ "${resets:-0}" -ge 1 ] 2>/dev/null; then
			result FAIL "$p:stall" "the driver never reset the stalled device to take back its buffers: $sdetail"
		elif [ "$resets" != 1 ] || [ "${abandoned:-x}" != 0 ] || [ "${failures:-x}" != 0 ]; then
			result FAIL "$p:stall" "not one reset that worked (one per migration): $sdetail"
		else
			result PASS "$p:stall" "${sline#fpw-double: }; $sdetail"
		fi
	fi

	# 3d. freeze: the round did not hold up the freezer.
	if [ -n "$freeze" ]; then
		# The source prints the line, or the destination if the
		# migration switched over while the guest was freezing.
		local fz frc fkern fdetail flog=$src
		grep -aqs '^FPW-MIG-FREEZE ' "$src" || flog=$dst
		fz=$(tr -d '\r' <"$flog" 2>/dev/null | grep -a -m1 '^FPW-MIG-FREEZE ')
		frc=$(mig_field "$flog" FPW-MIG-FREEZE rc)
		fkern=$(mig_field "$flog" FPW-MIG-FREEZE kernel)
		fdetail="${fz#FPW-MIG-FREEZE }; rounds_suspended=${rounds_p:-n/a} rounds_stalled=${rounds_x:-n/a} device_resets=$(frame_value "$st" device_resets), cue: $(tr -d '\r' <"$src" 2>/dev/null | grep -a -m1 '^FPW-MIG-IN-ROUND ')"
		if [ -z "$fz" ]; then
			result FAIL "$p:freeze" "the guest never froze (no FPW-MIG-FREEZE on ${src#"$TOP"/} or the destination's console)"
		elif [ "$frc" = -2 ]; then
			result FAIL "$p:freeze" "no /sys/power/pm_test in the guest: its kernel needs SUSPEND and PM_DEBUG (selftests/config/debug.config has them; -o debug): $fdetail"
		elif [ "$frc" != 0 ]; then
			result FAIL "$p:freeze" "freezing failed: $fdetail"
		elif ! awk -v e="$fkern" 'BEGIN { exit !(e ~ /^[0-9.]+$/ && e + 0 < 1) }'; then
			result FAIL "$p:freeze" "freezing the freezable workqueues took ${fkern} s, not under 1 s: $fdetail"
		elif ! [ "${rounds_p:-0}" -ge 1 ] 2>/dev/null; then
			result FAIL "$p:freeze" "no round ended \"suspended\": $fdetail"
		else
			result PASS "$p:freeze" "$fdetail"
		fi
	fi

	# 4. Allocating most of free memory after the migration.
	line=$(guest_result "$dst" migration-after-alloc)
	case $line in
	PASS\ *) result PASS "$p:after-alloc" "${line#PASS }" ;;
	FAIL\ *) result FAIL "$p:after-alloc" "${line#FAIL }" ;;
	*) result FAIL "$p:after-alloc" "the guest did not report (no FPW-RESULT migration-after-alloc)" ;;
	esac

	# 5. Both consoles free of kernel complaints.
	local bs bd bh="" hf
	bs=$(console_bad "$src")
	bd=$(console_bad "$dst")
	# pingpong: the consoles of the QEMUs in between too.
	for hf in "$dir"/hop*.log; do
		[ -f "$hf" ] || continue
		[ "$(console_bad "$hf" | cut -d' ' -f1)" = 0 ] || bh+="; ${hf##*/}: $(console_bad "$hf")"
	done
	if [ "${bs%% *}" = 0 ] && [ "${bd%% *}" = 0 ] && [ -z "$bh" ]; then
		result PASS "$p:console-clean" "no oops, BUG, WARNING, Call Trace, memory corruption or poison report on any console"
	else
		result FAIL "$p:console-clean" "source: $bs; destination: $bd$bh"
	fi

	# 5b. The figures of the summary table: pages verified, bad pages,
	# held bytes after, free memory before and after, splats.
	local nsplat=$((${bs%% *} + ${bd%% *})) summary
	for hf in "$dir"/hop*.log; do
		[ -f "$hf" ] || continue
		nsplat=$((nsplat + $(console_bad "$hf" | cut -d' ' -f1)))
	done
	local mf_b mf_a mt_b mt_a nh_a
	mf_b=$(mig_field "$src" "FPW-MIG-MEMFREE when=before" memfree_kb)
	mt_b=$(mig_field "$src" "FPW-MIG-MEMFREE when=before" memtotal_kb)
	mf_a=$(mig_field "$dst" "FPW-MIG-MEMFREE when=after" memfree_kb)
	mt_a=$(mig_field "$dst" "FPW-MIG-MEMFREE when=after" memtotal_kb)
	nh_a=$(mig_field "$dst" "FPW-MIG-MEMFREE when=after" nr_free_held_kb)
	summary="pages_verified=$(mig_field "$dst" "FPW-RESULT migration-verify" verified_pages)"
	summary+=" bad_pages=$(mig_field "$dst" "FPW-RESULT migration-verify" bad_total) held_bytes=${held:-n/a}"
	summary+=" memfree_before_kb=$mf_b memfree_after_kb=$mf_a splats=$nsplat"

	# 5c. Free memory: back to what it was, less what the guest gave away.
	local exp_kb=$((AFTER_BALLOON_MIB * 1024)) mwhy=() fd td
	[ -z "$unplug" ] || exp_kb=$((exp_kb + dimm * 1024))
	local mdetail="free $mf_b -> $mf_a kB, total $mt_b -> $mt_a kB, expected both to fall by $exp_kb kB"
	mdetail+=" (balloon ${AFTER_BALLOON_MIB} MiB${unplug:+, dimm $dimm MiB}) +- $MEMFREE_TOL_KB kB, nr_free_held ${nh_a} kB after"
	if ! [[ "$mf_b$mf_a$mt_b$mt_a" =~ ^[0-9]+$ ]]; then
		mwhy+=("no FPW-MIG-MEMFREE before (source) and after (destination)")
	else
		fd=$((mf_b - mf_a - exp_kb))
		td=$((mt_b - mt_a - exp_kb))
		mdetail+="; free fell by $((mf_b - mf_a)) kB ($fd off), total by $((mt_b - mt_a)) kB ($td off)"
		[ "${fd#-}" -le "$MEMFREE_TOL_KB" ] 2>/dev/null ||
			mwhy+=("free memory fell by $((mf_b - mf_a)) kB, not $exp_kb +- $MEMFREE_TOL_KB kB")
		[ "${td#-}" -le "$MEMFREE_TOL_KB" ] 2>/dev/null ||
			mwhy+=("MemTotal fell by $((mt_b - mt_a)) kB, not $exp_kb +- $MEMFREE_TOL_KB kB")
		[ "$nh_a" = 0 ] || mwhy+=("nr_free_held $nh_a kB after")
	fi
	local lk
	lk=$(tr -d '\r' <"$dst" 2>/dev/null | grep -a -m1 '^FPW-MIG-LEAK ')
	[ -z "$lk" ] || mdetail+="; ${lk#FPW-MIG-}"
	if [ ${#mwhy[@]} -eq 0 ]; then
		result PASS "$p:memfree" "$mdetail | $summary"
	else
		result FAIL "$p:memfree" "$(IFS=';'; echo "${mwhy[*]}"): $mdetail | $summary"
	fi

	# 5d. The fault's own result.
	# cue_line TAG: the guest's TAG line and the console it is on (the
	# source's, or the destination's if the migration switched over
	# first): sets cl and clog.
	local cl clog cwhy=() cdetail
	cue_line() {
		clog=$src
		grep -aqs "^$1 " "$src" || clog=$dst
		cl=$(tr -d '\r' <"$clog" 2>/dev/null | grep -a -m1 "^$1 ")
	}
	cf() { mig_field "$clog" "$1" "$2"; }
	case $check in
	hotremove)
		cue_line FPW-MIG-OFFLINE
		local uf=$dir/unplug.txt
		cdetail="offline: ${cl#FPW-MIG-OFFLINE } (${clog##*/}); on the destination: device_del deleted=$(mig_kv "$uf" unplug_deleted)"
		cdetail+=" in $(mig_kv "$uf" unplug_ms) ms error=$(mig_kv "$uf" unplug_error) memory_devices=$(mig_kv "$uf" memory_devices)"
		cdetail+=" plugged_memory=$(mig_kv "$uf" plugged_memory); device_del on the source during the migration: $(mig_kv "$mt" trigger_error)"
		if [ -z "$cl" ]; then
			cwhy+=("the guest did not offline its memory (no FPW-MIG-OFFLINE)")
		else
			[ "$(cf FPW-MIG-OFFLINE blocks)" -ge 1 ] 2>/dev/null || cwhy+=("no online ZONE_MOVABLE memory block (no dimm)")
			[ "$(cf FPW-MIG-OFFLINE offlined)" = "$(cf FPW-MIG-OFFLINE blocks)" ] && [ "$(cf FPW-MIG-OFFLINE failed)" = 0 ] ||
				cwhy+=("not every block went offline")
			[ "$(cf FPW-MIG-OFFLINE held_at_cue)" -gt 0 ] 2>/dev/null || cwhy+=("the driver held nothing when the offline began")
		fi
		[ "$(mig_kv "$uf" unplug_deleted)" = yes ] || cwhy+=("the destination did not unplug the dimm")
		[ "$(mig_kv "$uf" memory_devices)" = none ] || cwhy+=("memory devices left: $(mig_kv "$uf" memory_devices)")
		;;
	reload)
		cue_line FPW-MIG-RELOAD
		local bootl
		bootl=$(tr -d '\r' <"$src" 2>/dev/null | grep -a -m1 '^FPW: modprobe virtio_balloon ')
		cdetail="${cl#FPW-MIG-RELOAD } (${clog##*/}); at boot: ${bootl:-no modprobe}; new driver: done_received=${done_r:-n/a} pages_total=${pages_total:-n/a}"
		case $bootl in
		*"rc=0 "*) ;;
		*) cwhy+=("the boot did not load virtio_balloon as a module (a kernel with CONFIG_VIRTIO_BALLOON=m: -o module)") ;;
		esac
		if [ -z "$cl" ]; then
			cwhy+=("the guest did not reload the driver (no FPW-MIG-RELOAD)")
		else
			[ "$(cf FPW-MIG-RELOAD rmmod_rc)" = 0 ] || cwhy+=("rmmod failed")
			[ "$(cf FPW-MIG-RELOAD nr_free_held_after_rmmod)" = 0 ] ||
				cwhy+=("nr_free_held $(cf FPW-MIG-RELOAD nr_free_held_after_rmmod) after rmmod")
			[ "$(cf FPW-MIG-RELOAD held_at_cue)" -gt 0 ] 2>/dev/null || cwhy+=("the driver held nothing at rmmod")
			[ "$(cf FPW-MIG-RELOAD modprobe_rc)" = 0 ] && [ "$(cf FPW-MIG-RELOAD bound)" = 1 ] ||
				cwhy+=("modprobe did not bind the device again")
		fi
		;;
	s2idle)
		cue_line FPW-MIG-S2IDLE
		local slept
		cdetail="${cl#FPW-MIG-S2IDLE } (${clog##*/}); rounds_suspended=${rounds_p:-n/a}"
		if [ -z "$cl" ]; then
			cwhy+=("the guest did not suspend (no FPW-MIG-S2IDLE)")
		else
			# The write to /sys/power/state returns on resume. In
			# this guest CLOCK_MONOTONIC goes on while suspended to
			# idle (the timekeeping is not suspended), so boot_ms,
			# not boot_ms - mono_ms, is the time suspended.
			slept=$(cf FPW-MIG-S2IDLE boot_ms)
			cdetail+=", suspended ${slept} ms"
			case $(cf FPW-MIG-S2IDLE rc) in
			0) ;;
			-2) cwhy+=("no /sys/class/rtc/rtc0/wakealarm: the kernel needs the CMOS RTC (-o debug)") ;;
			-3) cwhy+=("pm_test is set: this would not be a real suspend") ;;
			*) cwhy+=("echo freeze > /sys/power/state failed (rc $(cf FPW-MIG-S2IDLE rc)): the kernel needs SUSPEND (-o debug)") ;;
			esac
			[ "$(cf FPW-MIG-S2IDLE entry)" = 1 ] && [ "$(cf FPW-MIG-S2IDLE exit)" = 1 ] ||
				cwhy+=("the kernel logged no suspend entry (s2idle) and exit")
			[ "$slept" -ge 1000 ] 2>/dev/null || cwhy+=("suspended for ${slept} ms, not at least 1 s")
		fi
		[ "${rounds_p:-0}" -ge 1 ] 2>/dev/null || cwhy+=("no round ended \"suspended\"")
		;;
	reporting)
		local r0 r1 nrep
		r0=$(mig_kv "$mt" vq_start_used)
		r1=$(mig_kv "$mt" vq_end_used)
		nrep=n/a
		[[ "$r0$r1" =~ ^[0-9]+$ ]] && nrep=$(((r1 - r0) & 0xffff))
		cdetail="free page reports the source's device took during the migration: $nrep (reporting virtqueue used index $r0 -> $r1)"
		[ "$nrep" != n/a ] && [ "$nrep" -gt 0 ] 2>/dev/null || cwhy+=("no free page report during the migration")
		;;
	ringleft)
		local m1=$dir/migrate-1.txt left sa l0 l1 r1 rall
		left=$(mig_kv "$m1" vq_end_pending)
		sa=$(mig_kv "$m1" vq_end_avail)
		l0=$(mig_kv "$mt" vq_start_last_avail)
		l1=$(mig_kv "$mt" vq_end_last_avail)
		r1=$(mig_field "$dir/hop1.log" FPW-MIG-CHECK-HINT rounds)
		rall=$((${rounds_c:-0} + ${rounds_s:-0} + ${rounds_f:-0} + ${rounds_x:-0} + ${rounds_p:-0}))
		cdetail="the source stopped $(mig_kv "$m1" trigger_ms) ms into migration 1 (downtime $(mig_kv "$m1" downtime_ms) ms) with $left hint buffer(s) on the ring"
		cdetail+=" (guest's available index $sa, QEMU's last $(mig_kv "$m1" vq_end_last_avail)); hop1's last available index $l0 -> $l1 over migration 2;"
		cdetail+=" rounds ended: $r1 by the check after migration 1, $rall at the end"
		# The setup itself: the source's device stalled, hop1's did not.
		grep -aqs '^fpw-double: stalled after' "$dir/src.qemu" ||
			cwhy+=("the source's device never stalled (no 'fpw-double: stalled after' in src.qemu)")
		if [ ! -s "$dir/hop1.qemu" ]; then
			cwhy+=("no hop1.qemu: hop1 never ran")
		elif grep -aq '^fpw-double: stalled after' "$dir/hop1.qemu"; then
			cwhy+=("hop1's device stalled too (MIG_SRC_HINT_STALL reached a destination)")
		fi
		[ "$left" -gt 0 ] 2>/dev/null || cwhy+=("the source left no hint buffer on the ring (the round had ended before it stopped)")
		[[ "$sa$l1" =~ ^[0-9]+$ ]] && [ $(((l1 - sa) & 0xffff)) -lt 32768 ] ||
			cwhy+=("hop1 did not take the buffers the source left (its last available index $l1, the guest's was $sa)")
		[ "$rall" -gt "${r1:-x}" ] 2>/dev/null || cwhy+=("no round ended after the first migration")
		;;
	ringfull)
		local rpb rf
		rpb=$(frame_value "$st" ranges_per_buffer)
		# A round that waited for the device and was called off, then
		# what came after it: a round of a later cmd id when QEMU
		# started one before DONE (a later sync), else DONE, which the
		# hinting result checks (nothing held, no early release).
		rf=$(tr -d '\r' <"$dst" 2>/dev/null | grep -a '^FPW-MIG-ROUND ' | awk -v done="${done_r:-0}" '
			{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
			hit && f["cmd_id"] > hit_id { print hit " | then round " f["n"] " cmd_id=" f["cmd_id"] " end=" f["end"]; found = 1; exit }
			!hit && f["end"] == "stopped" && f["ring_full_waits"] > 0 {
				hit = "round " f["n"] " cmd_id=" f["cmd_id"] " stopped after " f["ring_full_waits"] " wait(s) for the device, " \
				      f["buffers"] " buffer(s) of " f["ranges"] " range(s), " f["batches"] " batch(es), " f["rekicks"] " re-notification(s)"
				hit_id = f["cmd_id"]
			}
			END { if (hit && !found && done > 0) print hit " | then DONE (done_received=" done "), no later cmd id before it" }')
		cdetail="ranges_per_buffer=${rpb:-n/a}; ${rf:-no such round} | rounds seen: $rounds_seen"
		[ "$rpb" = 1 ] || cwhy+=("ranges_per_buffer is ${rpb:-n/a}, not 1")
		[ -n "$rf" ] || cwhy+=("no round called off while it waited for the device, followed by a round of a later cmd id or by DONE")
		;;
	esac
	case $check in
	hotremove | reload | s2idle | reporting | ringleft | ringfull)
		if [ ${#cwhy[@]} -eq 0 ]; then
			result PASS "$p:$check" "$cdetail | $summary"
		else
			result FAIL "$p:$check" "$(IFS=';'; echo "${cwhy[*]}"): $cdetail | $summary"
		fi
		;;
	esac

	# 6. The guest finished on the destination.
	if grep -aqs 'FPW: done' "$dst"; then
		result PASS "$p:power-off" "guest finished on the destination; $((SECONDS - start)) s in all (${FPW_ACCEL:-tcg})"
	else
		result FAIL "$p:power-off" "no 'FPW: done' on the destination console${MIG_ERR:+: $MIG_ERR} (files: $rel)"
	fi
}

if [ -z "$variants" ]; then
	for v in "${VARIANT_LIST[@]}"; do
		[ "${_VARIANT[$v.default]}" = yes ] && variants+=${variants:+,}$v
	done
fi
for v in ${variants//,/ }; do
	[ -n "${_VARIANT[$v.hint]+set}" ] || die "-v: unknown variant '$v' (variants: ${VARIANT_LIST[*]})"
	# The table's stall: empty, a buffer count, or src:count.
	[[ ${_VARIANT[$v.stall]} =~ ^((src:)?[1-9][0-9]*)?$ ]] ||
		die "variant '$v': stall='${_VARIANT[$v.stall]}' is not a buffer count N >= 1 or src:N"
done
# Only once the arguments are known to be good: the double may be built,
# and the result record starts anew.
if [ "$double" = 1 ]; then qemu_double_use; fi
[ -n "${FPW_IN_RUN:-}" ] || results_reset
[ "$corrupt" = 1 ] && info "fpw.corrupt=1: the guest corrupts its region on purpose, verify must FAIL"
total=$SECONDS
for v in ${variants//,/ }; do
	run_variant "$v"
done
info "migration test: $((SECONDS - total)) s"

if [ -z "${FPW_IN_RUN:-}" ]; then
	results_summary
else
	[ "$RESULTS_FAILED" -eq 0 ]
fi
