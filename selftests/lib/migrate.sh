# SPDX-License-Identifier: GPL-2.0
# Live migration of a workbench guest between two local QEMUs. Source it
# (after common.sh and qemu.sh).
#
#   mig_run DIR KERNEL INITRD TESTS CMDLINE END_CMD
#
# Boots the source guest (fpw.tests=TESTS, more kernel command line
# CMDLINE) and a destination QEMU with -incoming tcp:127.0.0.1:PORT (a free
# port), both through qemu_boot, so with the same kernel, initramfs,
# command line, memory and balloon device (FPW_BALLOON_OPTS). Each QEMU
# has a QMP socket and a second serial port (the guest's ttyS1) on a unix
# socket, the command channel of selftests/guest/fpwmem.c. Then:
#   1. waits for "FPW-MIG-READY" on the source console,
#   2. writes "start" into the source's ttyS1 (once the migration is past
#      its setup with MIG_START_AFTER_SETUP set, else before it begins),
#   3. migrates over 127.0.0.1 (selftests/lib/qmp.py migrate),
#   4. with MIG_UNPLUG=ID set, waits for the guest's FPW-MIG-OFFLINE line
#      (its memory offline, on either console) and unplugs device ID from
#      the destination (qmp.py unplug: device_del and the DEVICE_DELETED
#      event, in unplug.txt); with MIG_AFTER_BALLOON_MIB set, shrinks the
#      destination guest by that many MiB through the balloon (qmp.py
#      balloon, after the resize of MIG_DEFLATE ended) and waits for it,
#   5. writes END_CMD ("verify" or "report") into the destination's ttyS1,
#   6. waits for the guest to power off on the destination and quits the
#      source.
# With MIG_TRIGGER_RE set, step 3 runs the QMP command MIG_TRIGGER_CMD
# (arguments MIG_TRIGGER_ARGS, JSON) on the source once the migration is
# active and the source console has a line matching MIG_TRIGGER_RE. With
# MIG_CANCEL_FIRST set as well, that command is migrate_cancel: the first
# migration must end "cancelled", its destination is stopped, and step 3
# runs again, without the trigger, to a new destination.
# With MIG_TRIGGER_DELAY_MS set, the command runs that many ms after the
# line was seen (qmp.py migrate --trigger-delay); with MIG_CONT_DST set, a
# destination that the migration left paused (the trigger was "stop") is
# continued (--cont).
# With MIG_DEFLATE set and MIG_TRIGGER_CMD=balloon, the balloon is set back
# to its size before the trigger once the guest reached the trigger's
# target, while the migration runs (qmp.py migrate --deflate).
# With MIG_PINGPONG=N (N >= 2), step 3 is N migrations of the same guest:
# the first to a QEMU "hop1", each next one from there to a new QEMU
# (hop2, ...), the last to "dst". After migration K < N the guest checks its
# memory in place ("check K" on its ttyS1, FPW-MIG-CHECK on its console)
# and the QEMU it left is quit. The trigger applies to the first only.
# Every step has a time limit. Files in DIR (emptied first):
#   src.log, dst.log      the guest consoles (serial ttyS0) of each QEMU
#   src.qemu, dst.qemu    QEMU's own output
#   migrate.txt           qmp.py migrate's key=value lines, with the host
#                         CPU time of both QEMUs by thread class over the
#                         migration (src_vcpu_ms ... dst_proc_ms, --cpu)
#   migrate-cancel.txt, dst0.log, dst0.qemu
#                         MIG_CANCEL_FIRST: the cancelled migration and its
#                         destination
#   hopK.log, hopK.qemu, migrate-K.txt
#                         MIG_PINGPONG: the Kth destination and migration
#   balloon.txt           qmp.py balloon's key=value lines
#   unplug.txt            MIG_UNPLUG: qmp.py unplug's key=value lines
#   *.qmp, *.cmd          the sockets
# Returns 0 when the migration completed and the destination guest powered
# off by itself; otherwise non-zero with the reason in MIG_ERR.
#
# Environment (besides qemu.sh's GUEST_MEM, FPW_ACCEL, FPW_BALLOON_OPTS...):
#   MIG_READY_TIMEOUT   s to wait for FPW-MIG-READY (300)
#   MIG_TIMEOUT         s the migration may take before it is cancelled (300)
#   MIG_FINISH_TIMEOUT  s for the destination guest to finish (300)
#   MIG_BANDWIDTH       max-bandwidth in bytes/s (MIG_BW_UNLIMITED)
#   MIG_DOWNTIME        downtime-limit in ms (MIG_DOWNTIME_DEFAULT)
#   MIG_START_AFTER_SETUP  non-empty: "start" once the migration is active
#   MIG_DIMM_MIB        a cold-plugged pc-dimm of that many MiB, id dimm0, on
#                       every QEMU (qemu_boot -d: onlined movable)
#   MIG_WAKE_RE         3 s after a source console line matching it, "wake"
#                       into the guest's command channel while the migration
#                       runs, and into the destination's after it (a guest
#                       in suspend to idle wakes on it)
#   MIG_VQ              the state of the source's balloon virtqueue MIG_VQ
#                       before and after each migration (qmp.py migrate --vq)
#   MIG_SRC_HINT_STALL  FPW_QEMU_HINT_STALL for the source QEMU only (the
#                       test double), none for the destinations
# shellcheck shell=bash

# The console and key=value parsers (mig_field, mig_kv, console_bad, ...).
# shellcheck source=selftests/lib/console.sh
. "$TOP/selftests/lib/console.sh"

MIG_QMP=$TOP/selftests/lib/qmp.py

# The migration settings of every test and benchmark, defined once:
#   MIG_BW_UNLIMITED     10 GiB/s, more than a local TCG migration reaches:
#                        no limit
#   MIG_BW_CAPPED        128 MiB/s: a migration of a few seconds, with
#                        several dirty bitmap syncs while the guest writes
#                        (the migration test, the benchmark's -capped
#                        scenarios)
#   MIG_DOWNTIME_DEFAULT 300 ms, QEMU's own default downtime-limit
# shellcheck disable=SC2034 # used by the scripts that source this file
MIG_BW_UNLIMITED=$((10 << 30)) MIG_BW_CAPPED=$((128 << 20)) MIG_DOWNTIME_DEFAULT=300

# mig_mem MIB: the guest memory (GUEST_MEM, QEMU's -m) for a migrating
# guest of MIB MiB. Under TCG with QEMU older than 9.0 it is MIB MiB and
# 8 KiB: QEMU's dirty bitmap sync takes a fast path for RAM blocks whose
# size is a multiple of 256 KiB, and before QEMU commit 03bfc2188f
# ("physmem: Fix migration dirty bitmap coherency with TCG memory access",
# 9.0) that path does not reset the TCG TLBs' dirty state, so guest stores
# through TLB entries made before a sync are not logged and are lost on the
# destination (crashes, list corruption, lost writes; seen here with
# QEMU 7.2, with and without hinting). With the odd size the sync takes the
# per-page path, which does reset them; it costs about 1.5 s of setup time
# per GiB under TCG. FPW_MIG_EXACT_MEM=1 turns the workaround off.
mig_mem() {
	local v
	v=$("${QEMU:-qemu-system-x86_64}" --version 2>/dev/null | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p')
	if [ "${FPW_ACCEL:-tcg}" = tcg ] && [ -z "${FPW_MIG_EXACT_MEM:-}" ] && [ "${v:-0}" -lt 9 ]; then
		echo "$(($1 * 1024 + 8))k"
	else
		echo "$1"
	fi
}

# mem_bytes SIZE: QEMU's -m SIZE (MiB, or with a k, M or G suffix) in bytes.
mem_bytes() {
	case $1 in
	*[kK]) echo $((${1%?} << 10)) ;;
	*[mM]) echo $((${1%?} << 20)) ;;
	*[gG]) echo $((${1%?} << 30)) ;;
	*) echo $(($1 << 20)) ;;
	esac
}

_mig_pids=()       # the background qemu_boot jobs
_mig_qemu_pids=()  # the QEMU processes (their -pidfile)

# mig_cleanup: stop whatever QEMU of the last mig_run is still running:
# QMP quit first, then SIGKILL to the QEMU processes it started (by pid).
mig_cleanup() {
	local d=${_mig_dir:-} f pid alive
	[ -n "$d" ] || return 0
	for f in "$d"/*.pid; do
		pid=$(cat "$f" 2>/dev/null) && [ -n "$pid" ] && _mig_qemu_pids+=("$pid")
	done
	for f in "$d"/*.qmp; do
		[ -S "$f" ] && timeout 10 python3 "$MIG_QMP" quit "$f" >/dev/null 2>&1
	done
	for _ in $(seq 20); do
		alive=0
		for pid in ${_mig_pids[@]+"${_mig_pids[@]}"}; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 0 ] && break
		sleep 0.5
	done
	for pid in ${_mig_qemu_pids[@]+"${_mig_qemu_pids[@]}"}; do
		# Only a QEMU (the kernel keeps 15 characters of its name).
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "${QEMU:-qemu-system-x86_64}" | cut -c1-15)" ] ||
			continue
		kill -9 "$pid" 2>/dev/null
	done
	for pid in ${_mig_pids[@]+"${_mig_pids[@]}"}; do
		wait "$pid" 2>/dev/null
	done
	_mig_pids=()
	_mig_qemu_pids=()
	return 0
}

# _mig_wait_re FILE REGEX SECONDS [PID]: wait until FILE has a line
# matching REGEX; fails at the time limit or when PID is gone.
_mig_wait_re() {
	local file=$1 re=$2 limit=$3 pid=${4:-} start=$SECONDS
	while ! grep -aqE "$re" "$file" 2>/dev/null; do
		[ $((SECONDS - start)) -ge "$limit" ] && return 1
		[ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && {
			grep -aqE "$re" "$file" 2>/dev/null
			return
		}
		sleep 0.3
	done
}

# _mig_wait_exit PID SECONDS: wait for a background job to end.
_mig_wait_exit() {
	local pid=$1 limit=$2 start=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		[ $((SECONDS - start)) -ge "$limit" ] && return 1
		sleep 0.3
	done
	return 0
}

mig_run() {
	local dir=$1 kernel=$2 initrd=$3 tests=$4 cmdline=$5 end_cmd=$6
	local port limit src_pid dst_pid rc f pid
	MIG_ERR=
	need_pkgs python3:python3-minimal timeout:coreutils
	rm -rf "$dir"
	mkdir -p "$dir"
	_mig_dir=$dir
	_mig_pids=()
	_mig_qemu_pids=()
	port=$(python3 "$MIG_QMP" free-port) || {
		MIG_ERR="no free TCP port"
		return 1
	}
	# The QEMUs' own limit: everything below must fit in it.
	limit=$((${MIG_READY_TIMEOUT:-300} + ${MIG_TIMEOUT:-300} + ${MIG_FINISH_TIMEOUT:-300} + 60))
	local common=(-k "$kernel" -i "$initrd" -t "$tests" -c "$cmdline" -T "$limit")
	[ -z "${MIG_DIMM_MIB:-}" ] || common+=(-d "$MIG_DIMM_MIB")
	# MIG_SRC_HINT_STALL=N: only the source (the test double) stops taking
	# hint buffers after N, the destinations take them (FPW_QEMU_HINT_STALL
	# stalls every QEMU).
	local src_stall=${FPW_QEMU_HINT_STALL:-} dst_stall=${FPW_QEMU_HINT_STALL:-}
	if [ -n "${MIG_SRC_HINT_STALL:-}" ]; then
		src_stall=$MIG_SRC_HINT_STALL
		dst_stall=
	fi
	# shellcheck disable=SC2054 # the commas are QEMU's
	FPW_QEMU_HINT_STALL=$src_stall qemu_boot "${common[@]}" -l "$dir/src.log" -- \
		-qmp "unix:$dir/src.qmp,server=on,wait=off" -pidfile "$dir/src.pid" \
		-chardev "socket,id=fpwcmd,path=$dir/src.cmd,server=on,wait=off" \
		-serial chardev:fpwcmd 2>"$dir/src.qemu" &
	src_pid=$!
	_mig_pids+=("$src_pid")
	# _mig_start_dst [NAME]: a destination QEMU with files NAME.* (dst).
	_mig_start_dst() {
		local n=${1:-dst}
		# shellcheck disable=SC2054
		FPW_QEMU_HINT_STALL=$dst_stall qemu_boot "${common[@]}" -l "$dir/$n.log" -- \
			-qmp "unix:$dir/$n.qmp,server=on,wait=off" -pidfile "$dir/$n.pid" \
			-chardev "socket,id=fpwcmd,path=$dir/$n.cmd,server=on,wait=off" \
			-serial chardev:fpwcmd -incoming "tcp:127.0.0.1:$port" 2>"$dir/$n.qemu" &
		dst_pid=$!
		_mig_pids+=("$dst_pid")
	}
	# _mig_new_dst NAME: a destination QEMU NAME on a new free port, once
	# it is up (its pid file and QMP socket exist); its pid is recorded.
	_mig_new_dst() {
		local pid=
		port=$(python3 "$MIG_QMP" free-port) || {
			MIG_ERR="no free TCP port"
			return 1
		}
		_mig_start_dst "$1"
		for _ in $(seq 100); do
			pid=$(cat "$dir/$1.pid" 2>/dev/null) && [ -n "$pid" ] && [ -S "$dir/$1.qmp" ] && break
			sleep 0.1
		done
		[ -z "$pid" ] || _mig_qemu_pids+=("$pid")
	}
	# Ping-pong: the first migration goes to hop1, the next ones on from
	# there, the last one to dst.
	local hops=${MIG_PINGPONG:-1} hop from=src to=dst
	[ "$hops" -ge 1 ] 2>/dev/null || {
		MIG_ERR="MIG_PINGPONG=$hops: not a number of migrations"
		return 1
	}
	[ "$hops" -eq 1 ] || to=hop1
	_mig_start_dst "$to"

	if ! _mig_wait_re "$dir/src.log" 'FPW-MIG-READY' "${MIG_READY_TIMEOUT:-300}" "$src_pid"; then
		MIG_ERR="the source guest did not get ready (no FPW-MIG-READY within ${MIG_READY_TIMEOUT:-300} s)"
		kill -0 "$src_pid" 2>/dev/null || MIG_ERR+="; source QEMU exited: $(grep -v '^== ' "$dir/src.qemu" | tail -n 2 | tr '\n' ' ')"
		kill -0 "$dst_pid" 2>/dev/null || MIG_ERR+="; destination QEMU exited: $(grep -v '^== ' "$dir/dst.qemu" | tail -n 2 | tr '\n' ' ')"
		mig_cleanup
		return 1
	fi
	for f in "$dir/src.pid" "$dir/$to.pid"; do
		pid=$(cat "$f" 2>/dev/null) && [ -n "$pid" ] && _mig_qemu_pids+=("$pid")
	done
	local onactive=()
	if [ -n "${MIG_START_AFTER_SETUP:-}" ]; then
		onactive=(--on-active "$dir/src.cmd" start)
	else
		python3 "$MIG_QMP" send "$dir/src.cmd" start >/dev/null 2>>"$dir/src.qemu"
	fi
	local trigger=() vqopt=()
	[ -z "${MIG_TRIGGER_RE:-}" ] ||
		trigger=(--when-console "$dir/src.log" "$MIG_TRIGGER_RE" "${MIG_TRIGGER_CMD:?}" "${MIG_TRIGGER_ARGS:-"{}"}")
	[ -z "${MIG_TRIGGER_RE:-}" ] || [ -z "${MIG_DEFLATE:-}" ] || trigger+=(--deflate)
	[ -z "${MIG_TRIGGER_RE:-}" ] || [ -z "${MIG_TRIGGER_DELAY_MS:-}" ] || trigger+=(--trigger-delay "$MIG_TRIGGER_DELAY_MS")
	[ -z "${MIG_TRIGGER_RE:-}" ] || [ -z "${MIG_CONT_DST:-}" ] || trigger+=(--cont)
	[ -z "${MIG_WAKE_RE:-}" ] || trigger+=(--wake "$dir/src.log" "$MIG_WAKE_RE" "$dir/src.cmd" 3000)
	[ -z "${MIG_VQ:-}" ] || vqopt=(--vq "$MIG_VQ")
	# _mig_migrate OUT: migrate $from to $to on $port, with the on-active
	# and trigger options in effect; qmp.py's lines in OUT, with the host
	# CPU time of both QEMUs by thread class over the migration (--cpu:
	# src_*_ms and dst_*_ms, sampled where the migration is polled).
	_mig_migrate() {
		timeout $((${MIG_TIMEOUT:-300} + 60)) python3 "$MIG_QMP" migrate "$dir/$from.qmp" "$dir/$to.qmp" \
			"tcp:127.0.0.1:$port" --timeout "${MIG_TIMEOUT:-300}" \
			--bandwidth "${MIG_BANDWIDTH:-$MIG_BW_UNLIMITED}" --downtime "${MIG_DOWNTIME:-$MIG_DOWNTIME_DEFAULT}" \
			--cpu "$dir/$from.pid" "$dir/$to.pid" ${vqopt[@]+"${vqopt[@]}"} \
			${onactive[@]+"${onactive[@]}"} ${trigger[@]+"${trigger[@]}"} >"$1" 2>&1
	}
	if [ -n "${MIG_CANCEL_FIRST:-}" ]; then
		_mig_migrate "$dir/migrate-cancel.txt"
		onactive=()
		trigger=()
		if [ "$(mig_kv "$dir/migrate-cancel.txt" status)" != cancelled ]; then
			MIG_ERR="the first migration was to be cancelled: $(grep -E '^(status|error|trigger)=' "$dir/migrate-cancel.txt" | tr '\n' ' ')"
			mig_cleanup
			return 1
		fi
		# The cancelled destination exits by itself (its stream broke).
		timeout 10 python3 "$MIG_QMP" quit "$dir/dst.qmp" >/dev/null 2>&1
		if ! _mig_wait_exit "$dst_pid" 30; then
			MIG_ERR="the cancelled migration's destination did not exit"
			mig_cleanup
			return 1
		fi
		for f in dst.log dst.qemu; do mv "$dir/$f" "$dir/${f/dst/dst0}"; done
		rm -f "$dir/dst.pid" "$dir/dst.qmp" "$dir/dst.cmd"
		_mig_new_dst dst || {
			mig_cleanup
			return 1
		}
	fi
	# Migrations 1 .. hops-1 of a ping-pong: each one's destination checks
	# its memory in place ("check K") and becomes the next source.
	for ((hop = 1; hop < hops; hop++)); do
		_mig_migrate "$dir/migrate-$hop.txt" || {
			MIG_ERR="migration $hop of $hops did not complete: $(grep -E '^(status|error)=' "$dir/migrate-$hop.txt" | tr '\n' ' ')"
			mig_cleanup
			return 1
		}
		onactive=()
		trigger=()
		python3 "$MIG_QMP" send "$dir/$to.cmd" "check $hop" >/dev/null 2>>"$dir/$to.qemu"
		if ! _mig_wait_re "$dir/$to.log" "FPW-MIG-CHECK-HINT n=$hop " 60 "$dst_pid"; then
			MIG_ERR="the guest did not check its memory after migration $hop (no FPW-MIG-CHECK-HINT n=$hop in $to.log)"
			mig_cleanup
			return 1
		fi
		# The stopped source goes; the next destination comes.
		timeout 10 python3 "$MIG_QMP" quit "$dir/$from.qmp" >/dev/null 2>&1
		from=$to
		[ $((hop + 1)) -eq "$hops" ] && to=dst || to=hop$((hop + 1))
		_mig_new_dst "$to" || {
			mig_cleanup
			return 1
		}
	done
	rc=0
	_mig_migrate "$dir/migrate.txt" || rc=$?
	if [ "$rc" -ne 0 ]; then
		MIG_ERR="migration${MIG_PINGPONG:+ $hops of $hops} did not complete: $(grep -E '^(status|error)=' "$dir/migrate.txt" | tr '\n' ' ')"
		mig_cleanup
		return 1
	fi
	# A guest still in suspend to idle wakes on a line (MIG_WAKE_RE).
	[ -z "${MIG_WAKE_RE:-}" ] || python3 "$MIG_QMP" send "$dir/dst.cmd" wake >/dev/null 2>>"$dir/dst.qemu"
	if [ -n "${MIG_UNPLUG:-}" ]; then
		# The guest offlines the memory itself; QEMU refuses device_del
		# while a migration runs, so the destination unplugs it.
		local t0=$SECONDS
		until grep -aq '^FPW-MIG-OFFLINE ' "$dir/src.log" "$dir/dst.log" 2>/dev/null; do
			if [ $((SECONDS - t0)) -ge 120 ] || ! kill -0 "$dst_pid" 2>/dev/null; then
				MIG_ERR="no FPW-MIG-OFFLINE from the guest within 120 s of the migration"
				break
			fi
			sleep 0.3
		done
		python3 "$MIG_QMP" unplug "$dir/dst.qmp" "$MIG_UNPLUG" --timeout 60 >"$dir/unplug.txt" 2>&1
	fi
	if [ -n "${MIG_AFTER_BALLOON_MIB:-}" ]; then
		local expect=()
		[ "$(mig_kv "$dir/migrate.txt" balloon_full)" = n/a ] ||
			expect=(--expect "$(mig_kv "$dir/migrate.txt" balloon_full)")
		python3 "$MIG_QMP" balloon "$dir/dst.qmp" "$MIG_AFTER_BALLOON_MIB" ${expect[@]+"${expect[@]}"} >"$dir/balloon.txt" 2>&1
	fi
	python3 "$MIG_QMP" send "$dir/dst.cmd" "$end_cmd" >/dev/null 2>>"$dir/dst.qemu"
	if ! _mig_wait_exit "$dst_pid" "${MIG_FINISH_TIMEOUT:-300}"; then
		MIG_ERR="the destination guest did not finish within ${MIG_FINISH_TIMEOUT:-300} s"
		mig_cleanup
		return 1
	fi
	mig_cleanup
	return 0
}
