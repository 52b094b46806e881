#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration test: migrate a workbench guest between two local QEMUs
# with free page hinting on, and check that its memory survived, that the
# patched driver really hinted, and that the kernel stayed quiet.
#
#   selftests/migration-test.sh [-o NAME] [-v VARIANTS] [-x] [-d] [-p PREFIX]
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
#                                reads the cmd id as STOP)
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
#   -x           demonstration that the test can fail: the guest flips one
#                byte of its checksummed region before verifying
#                (fpw.corrupt=1); the verify result must then be FAIL.
#                Same as FPW_MIG_CORRUPT=1.
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
while getopts o:v:xdp:h opt; do
	case $opt in
	o) name=$OPTARG ;;
	v) variants=$OPTARG ;;
	x) corrupt=1 ;;
	d) double=1 ;;
	p) prefix=$OPTARG ;;
	h) usage_exit 0 ;;
	*) usage_exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage_exit 2

# The migration tests run x86_64 guests (selftests/lib/arch.sh).
arch_load x86_64
out=$WORK/build/$name
[ "$(arch_of_build "$out")" = x86_64 ] || die "${out#"$TOP"/} is a build for $(arch_of_build "$out"): the migration tests are x86_64 only"
kernel=$out/$ARCH_IMAGE
initrd=$out/initramfs.cpio.gz
[ -f "$kernel" ] || die "no ${kernel#"$TOP"/}: run selftests/build.sh${name:+ -o $name} first"
[ -f "$initrd" ] || die "no ${initrd#"$TOP"/}: run selftests/initramfs.sh${name:+ -o $name} first"

[ "$double" = 1 ] && qemu_double_use

[ -n "${FPW_IN_RUN:-}" ] || results_reset
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

# The variants, as data: one mig_variant line each (the -v list above says
# what each is for). Every key must be given ('' = none):
#   default  yes: in the default -v list
#   cmdline  the guest's kernel command line
#   balloon  the virtio-balloon-pci options
#   disturb  balloon: lower the balloon target by RESIZE_MIB, cancel:
#            migrate_cancel, then migrate again; on the source, while the
#            migration is active, once the guest reports its driver holding
#            blocks (FPW-MIG-IN-ROUND)
#   stall    the test double's FPW_QEMU_HINT_STALL (needs -d)
#   bw       the migration bandwidth is MIG_BANDWIDTH divided by this
#   hops     migrations of the guest in a row (FPW_PINGPONG overrides)
#   hint     yes: hinting negotiated and done; no: not negotiated
#   order0   yes: a round must have hinted more than 1000 order-0 blocks
#   check    the variant's own result: stall, freeze or hops
VARIANT_KEYS="default cmdline balloon disturb stall bw hops hint order0 check"
VARIANT_LIST=()
declare -A _VARIANT=()
mig_variant() { table_def _VARIANT VARIANT_LIST "$VARIANT_KEYS" "$@"; }
H=$FPW_BALLOON_OPTS_DEFAULT F=fpw.mig_frag=1
mig_variant default      default=yes cmdline=                            balloon=$H disturb=        stall=   bw=1 hops=  hint=yes order0=no  check=
mig_variant fragmented   default=yes cmdline=$F                          balloon=$H disturb=        stall=   bw=1 hops=  hint=yes order0=yes check=
mig_variant churn        default=yes cmdline="$F fpw.mig_churn=1"        balloon=$H disturb=        stall=   bw=1 hops=  hint=yes order0=yes check=
mig_variant resize       default=yes cmdline=$F                          balloon=$H disturb=balloon stall=   bw=1 hops=  hint=yes order0=no  check=
mig_variant cancel       default=yes cmdline=$F                          balloon=$H disturb=cancel  stall=   bw=1 hops=  hint=yes order0=no  check=
# The device stops early in the first round, and the first pass at half
# the bandwidth outlasts the 5 s the round waits: the next sync's cmd id or
# DONE must not end the round first.
mig_variant stall        default=no  cmdline=$F                          balloon=$H disturb=        stall=20 bw=2 hops=  hint=yes order0=no  check=stall
mig_variant freeze       default=no  cmdline="$F fpw.mig_freeze=1"       balloon=$H disturb=        stall=20 bw=2 hops=  hint=yes order0=no  check=freeze
mig_variant pingpong     default=no  cmdline="$F fpw.mig_churn=1"        balloon=$H disturb=        stall=   bw=1 hops=3 hint=yes order0=yes check=hops
mig_variant page_poison  default=yes cmdline=page_poison=1               balloon=$H disturb=        stall=   bw=1 hops=  hint=no  order0=no  check=
mig_variant init_on_free default=yes cmdline=init_on_free=1              balloon=$H disturb=        stall=   bw=1 hops=  hint=no  order0=no  check=
mig_variant reporting    default=yes cmdline=                            balloon="free-page-hint=on,free-page-reporting=on,iothread=io0" \
	disturb= stall= bw=1 hops= hint=yes order0=no check=
unset H F

run_variant() {
	local v=$1 cmdline opts dir p rel
	local trig_re="" trig_cmd="" trig_args="" cancel_first="" dones=1 stall stall_check="" freeze="" hops
	local bw
	cmdline=${_VARIANT[$v.cmdline]}
	opts=${_VARIANT[$v.balloon]}
	stall=${_VARIANT[$v.stall]}
	bw=$((MIG_BANDWIDTH / ${_VARIANT[$v.bw]}))
	hops=${_VARIANT[$v.hops]}
	case ${_VARIANT[$v.disturb]} in
	balloon)
		trig_re='^FPW-MIG-IN-ROUND '
		trig_cmd=balloon
		trig_args="{\"value\": $RESIZE_TARGET}"
		;;
	cancel)
		trig_re='^FPW-MIG-IN-ROUND '
		trig_cmd=migrate_cancel
		cancel_first=1
		dones=2
		;;
	esac
	case ${_VARIANT[$v.check]} in
	stall) stall_check=1 ;;
	freeze) freeze=1 ;;
	esac
	if [ -n "$stall" ] && [ "$double" != 1 ]; then
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
	dir=$WORK/migration/$name/${prefix//\//-}$v
	rel=${dir#"$TOP"/}
	p=${prefix}migration:$v
	info "migration $v: ${kernel#"$TOP"/}, -m ${GUEST_MEM}, balloon $opts${cmdline:+, cmdline:$cmdline} (files: $rel)"
	local start=$SECONDS
	FPW_BALLOON_OPTS=$opts MIG_TRIGGER_RE=$trig_re MIG_TRIGGER_CMD=$trig_cmd MIG_TRIGGER_ARGS=$trig_args \
		MIG_CANCEL_FIRST=$cancel_first MIG_AFTER_BALLOON_MIB=$AFTER_BALLOON_MIB \
		FPW_QEMU_HINT_STALL=$stall MIG_PINGPONG=$hops MIG_BANDWIDTH=$bw \
		mig_run "$dir" "$kernel" "$initrd" migration "$cmdline" verify || true
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
			[ "${rounds_p:-0}" = 0 ] || why+=("$rounds_p round(s) suspended")
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
	elif [ "$trig_cmd" = balloon ] && [ "$b_before" -gt "$RESIZE_TARGET" ]; then
		result FAIL "$p:balloon" "the resize during the migration did not take effect: $bdetail"
	else
		result PASS "$p:balloon" "$bdetail"
	fi
	if [ -n "$trig_cmd" ]; then
		local tf=$mt
		[ -z "$cancel_first" ] || tf=$dir/migrate-cancel.txt
		local tdetail
		tdetail="$(mig_kv "$tf" trigger) at $(mig_kv "$tf" trigger_ms) ms into the migration (status $(mig_kv "$tf" trigger_status)), cue: $(tr -d '\r' <"$src" 2>/dev/null | grep -a -m1 '^FPW-MIG-IN-ROUND ')"
		if [ "$(mig_kv "$tf" trigger)" != "$trig_cmd" ] || [ "$(mig_kv "$tf" trigger_status)" != active ]; then
			result FAIL "$p:disturbed" "$trig_cmd did not run during the migration: $tdetail"
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
		tr -d '\r' <"$src" 2>/dev/null | grep -aq '^FPW-MIG-FREEZE ' || flog=$dst
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

	# 6. The guest finished on the destination.
	if tr -d '\r' <"$dst" 2>/dev/null | grep -aq 'FPW: done'; then
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
done
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
