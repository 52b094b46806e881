#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""QMP client and live migration driver of the workbench (stdlib only).

  qmp.py cmd SOCK NAME [JSON_ARGS]   run one QMP command, print its return
                                     value as JSON
  qmp.py quit SOCK                   ask QEMU to quit (no error if gone)
  qmp.py migrate SRC_SOCK DST_SOCK URI --timeout S --bandwidth B/s
                 --downtime MS [--cap NAME=on|off ...]
                 [--on-active PATH TEXT]
                 [--when-console LOG REGEX NAME JSON_ARGS]
                 [--cpu SRC_PIDFILE DST_PIDFILE] [--deflate] [--vq N]
                 [--trigger-delay MS] [--cont]
                 [--wake LOG REGEX PATH MS]
                                     migrate SRC to DST and print the
                                     outcome as key=value lines (the
                                     three numbers are required: their
                                     values are selftests/lib/migrate.sh's);
                                     --on-active writes TEXT into the unix
                                     socket PATH (as send does) once the
                                     migration is past its setup;
                                     --when-console runs the QMP command
                                     NAME on SRC once the migration is past
                                     its setup and the file LOG (a guest
                                     console) has a line matching REGEX
                                     (and, with --trigger-delay, MS ms
                                     after the line was first seen);
                                     --cpu adds the host CPU time of the
                                     two QEMUs (pids in the files) by
                                     thread class over the migration;
                                     --deflate: once the balloon target
                                     the --when-console command "balloon"
                                     set is reached, set it back to the
                                     balloon's size before it (while the
                                     migration runs);
                                     --wake: MS ms after LOG has a line
                                     matching REGEX, "wake" is written into
                                     PATH (the guest's command channel)
                                     while the migration runs;
                                     --cont: a destination left paused (the
                                     source was stopped) is continued;
                                     --vq N adds the state of the source's
                                     balloon virtqueue N (3: free page
                                     hints, 4: free page reporting) before
                                     the migrate command and at its end
  qmp.py unplug SOCK ID [--timeout S]
                                     device_del ID and wait for QEMU's
                                     DEVICE_DELETED event (the guest
                                     ejected it); prints unplug_error,
                                     unplug_deleted (yes, no), unplug_ms,
                                     memory_devices (ids left) and
                                     plugged_memory (bytes)
  qmp.py threads PID                 the host CPU time of process PID
                                     since it started, by thread class (as
                                     --cpu counts it) and in all: ms of
                                     each class, then proc_ms (the
                                     process's own figure) and unseen_ms
  qmp.py balloon SOCK MIB [--timeout S] [--expect BYTES]
                                     shrink the guest by MIB MiB (balloon
                                     target = actual - MIB) and wait until
                                     the guest gave them; prints
                                     balloon_before, balloon_target,
                                     balloon_actual and balloon_ms; with
                                     --expect, first waits (--timeout)
                                     until the balloon's actual size is
                                     BYTES (a resize in progress ended),
                                     and prints balloon_expect and
                                     balloon_settle_ms
  qmp.py send PATH TEXT              connect to the unix socket PATH (a
                                     chardev, e.g. a guest serial port),
                                     write TEXT and a newline
  qmp.py free-port                   print a free TCP port on 127.0.0.1
  qmp.py figures FILE                print the key=value lines of migrate
                                     for a query-migrate reply saved in
                                     FILE (JSON, "-" for stdin; the
                                     harness's self-test reads fixtures)
  qmp.py -h                          this help

Exit status: 0 on success; 1 when the QMP command failed, the migration
did not complete or (figures) FILE is not a query-migrate reply; 2 on a
usage or connection error, or a FILE that cannot be read or is not JSON.

migrate prints (one key=value per line, missing values as n/a):
  status           completed, failed, cancelled or timeout
  error            QEMU's error-desc, when any
  total_time_ms, downtime_ms, setup_time_ms
  transferred      bytes on the wire (ram.transferred)
  normal_pages     pages sent in full (ram.normal)
  normal_bytes, duplicate_pages (zero pages sent as a flag),
  dirty_sync_count, mbps, precopy_bytes, downtime_bytes, pages_per_second
  dst_status       the destination's run state afterwards
  dst_cont         yes: --cont continued the paused destination
  trigger          with --when-console: the command run, or "not run"
  trigger_status   the migration's status just before it ran
  trigger_ms       ms from the end of the setup to the command
  trigger_error    the command's error, when it failed
  with --deflate (the trigger was "balloon"):
  balloon_full     the balloon's actual size before the trigger (bytes)
  inflated_ms      ms from the end of the setup to the poll that saw the
                   target reached (n/a: never, while the migration ran)
  deflate_status   the migration's status when the target was set back
  deflated_ms      likewise, the poll that saw balloon_full again (n/a:
                   not on the source; the destination goes on with it)
  with --vq N, for WHEN start and end: vq_WHEN_last_avail, vq_WHEN_used
  (QEMU's last available index and used index of queue N, from
  x-query-virtio-queue-status) and vq_WHEN_avail (the guest's available
  index, read from the ring with x-query-virtio-queue-element; end only,
  when the source is stopped), vq_end_pending (buffers the guest made
  available that the device had not taken: vq_end_avail - vq_end_last_avail,
  modulo 2^16) and vq_path (the balloon's QOM path)
  with --cpu, for SIDE src and dst (the source and destination QEMU), the
  utime + stime of its threads in ms, from just before the migrate command
  to the poll that saw the migration end (the window, cpu_window_ms; the
  poll is every 0.1 s with --cpu), read every CPU_SAMPLE_S (20 ms) by a
  thread, by class of thread (THREAD_CLASSES, QEMU's thread names with
  -name ...,debug-threads=on):
  SIDE_vcpu_ms     the vCPU threads ("CPU 0/TCG", "CPU 1/KVM", ...)
  SIDE_io_ms       the iothreads ("IO io0": the balloon's virtqueues, and
                   with them free page hinting on the source)
  SIDE_mig_ms      migration threads ("live_migration", "return path",
                   multifd, postcopy, (de)compression)
  SIDE_main_ms     the main loop (the thread whose id is the pid: QMP, and
                   on the destination the incoming migration's loading)
  SIDE_other_ms    every other thread ("call_rcu", "worker", the monitor's
                   "IO mon_iothread", ...)
  SIDE_proc_ms     the process's own total (/proc/PID/stat), which keeps
                   the time of threads that exited
  SIDE_unseen_ms   SIDE_proc_ms less the five classes: time of threads that
                   ran and exited between two samples, or after the last
                   sample that saw them, and up to a clock tick per thread
                   of rounding (it can be a few ticks negative)
  SIDE_threads     threads seen in the window
"""

import json
import os
import re
import socket
import sys
import threading
import time

# The classes of QEMU's threads by name (comm, at most 15 characters; QEMU
# names them with -name ...,debug-threads=on, selftests/lib/qemu.sh), first
# match wins; the thread whose id is the pid is "main", any other "other".
THREAD_CLASSES = [
    ("vcpu", re.compile(r"^CPU \d+/")),
    # The monitor's own iothread (QMP's I/O) is not a guest's iothread.
    ("other", re.compile(r"^IO mon_iothread")),
    ("io", re.compile(r"^IO ")),
    ("mig", re.compile(r"^(live_migration|return path|multifd|mig/|postcopy|"
                       r"fault-|compress|decompress|bg_snapshot)")),
]
CPU_CLASSES = ["vcpu", "io", "mig", "main", "other"]
# How often --cpu reads the threads' times, in s: a thread that exits loses
# at most this much of its time (the migration thread exits as the
# migration completes, after its last iteration and the downtime's send).
CPU_SAMPLE_S = 0.02


class QMPError(Exception):
    pass


def connect_unix(path, timeout):
    """A socket connected to the unix socket PATH, trying again for up to
    TIMEOUT seconds while it does not exist or refuses."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except OSError as e:
            s.close()
            if time.monotonic() > deadline:
                raise QMPError("cannot connect to %s: %s" % (path, e))
            time.sleep(0.1)


class QMP:
    def __init__(self, path, timeout=30.0, io_timeout=180.0):
        self.path = path
        self.buf = b""
        self.events = []
        self.sock = connect_unix(path, timeout)
        # QEMU answers once its main loop is free: a dirty bitmap sync
        # under TCG can hold it for a while.
        self.sock.settimeout(io_timeout)
        greeting = self._read()
        if "QMP" not in greeting:
            raise QMPError("no QMP greeting on %s: %r" % (path, greeting))
        self.execute("qmp_capabilities")

    def _read(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise QMPError("QEMU closed %s" % self.path)
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, cmd, **args):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            resp = self._read()
            if "event" in resp:
                self.events.append(resp)
                continue
            if "error" in resp:
                raise QMPError("%s: %s" % (cmd, resp["error"].get("desc", resp["error"])))
            if "return" in resp:
                return resp["return"]

    def wait_event(self, name, match, timeout):
        """The first event NAME (collected or read within TIMEOUT s) whose
        data has the items of MATCH, or None."""
        deadline = time.monotonic() + timeout
        while True:
            for ev in self.events:
                data = ev.get("data", {})
                if ev.get("event") == name and all(data.get(k) == v for k, v in match.items()):
                    self.events.remove(ev)
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                resp = self._read()
            except socket.timeout:
                return None
            finally:
                self.sock.settimeout(180.0)
            if "event" in resp:
                self.events.append(resp)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


def usage():
    sys.stderr.write(__doc__)
    sys.exit(2)


def stat_ticks(path):
    """(comm, utime + stime in clock ticks) of a /proc stat file, or None
    when the task is gone. The comm is in parentheses and may hold blanks
    and parentheses itself: the fields after it follow the last ')'."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    head, _, tail = text.rpartition(")")
    fields = tail.split()
    if "(" not in head or len(fields) < 13:
        return None
    # Fields 14 and 15 of proc(5), utime and stime; field 3 is fields[0].
    return head.split("(", 1)[1], int(fields[11]) + int(fields[12])


def thread_class(pid, tid, comm):
    if tid == pid:
        return "main"
    for name, regex in THREAD_CLASSES:
        if regex.search(comm):
            return name
    return "other"


class ThreadCPU:
    """The CPU time of one process's threads by class over a window, from
    /proc/PID/task/*/stat. Threads come and go: one that appears after the
    first sample counts from zero; one that exits keeps the figure of the
    last sample that saw it, so the time it ran after that sample (and all
    of a thread that ran and exited between two samples) is missing from
    the classes but not from the process's own total (/proc/PID/stat),
    which the kernel keeps for exited threads: the difference is unseen."""

    def __init__(self, pid):
        self.pid = pid
        self.tick_ms = 1000.0 / os.sysconf("SC_CLK_TCK")
        self.first = {}     # tid -> ticks at the first sample
        self.last = {}      # tid -> (class, ticks) at the last sample seeing it
        self.proc_first = self.proc_last = None
        self.stop_event = None
        self.thread = None
        self.stopped = False
        self.sample(first=True)

    def start(self, period=CPU_SAMPLE_S):
        """Sample every PERIOD s in a thread of its own until stop()."""
        self.stop_event = threading.Event()

        def run():
            while not self.stop_event.wait(period):
                self.sample()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self):
        """End the window (once): the sampling thread stops, a last
        sample."""
        if self.stopped:
            return
        self.stopped = True
        if self.thread:
            self.stop_event.set()
            self.thread.join()
            self.thread = None
        self.sample()

    def sample(self, first=False):
        proc = stat_ticks("/proc/%d/stat" % self.pid)
        if proc is None:
            return
        try:
            tids = os.listdir("/proc/%d/task" % self.pid)
        except OSError:
            return
        for t in tids:
            tid = int(t)
            got = stat_ticks("/proc/%d/task/%d/stat" % (self.pid, tid))
            if got is None:
                continue
            comm, ticks = got
            if first:
                self.first[tid] = ticks
            self.last[tid] = (thread_class(self.pid, tid, comm), ticks)
        # The process's total last: it is never behind its threads' sum.
        proc = stat_ticks("/proc/%d/stat" % self.pid) or proc
        if first:
            self.proc_first = proc[1]
        self.proc_last = proc[1]

    def figures(self, prefix):
        """PREFIX_CLASS_ms, PREFIX_proc_ms, PREFIX_unseen_ms, PREFIX_threads
        over the window so far."""
        out = dict(("%s_%s_ms" % (prefix, c), 0.0) for c in CPU_CLASSES)
        for tid, (cls, ticks) in self.last.items():
            out["%s_%s_ms" % (prefix, cls)] += (ticks - self.first.get(tid, 0)) * self.tick_ms
        proc = (self.proc_last - self.proc_first) * self.tick_ms
        out["%s_proc_ms" % prefix] = proc
        out["%s_unseen_ms" % prefix] = proc - sum(out["%s_%s_ms" % (prefix, c)] for c in CPU_CLASSES)
        out["%s_threads" % prefix] = len(self.last)
        return dict((k, int(round(v))) for k, v in out.items())


def read_pid(path):
    try:
        with open(path, encoding="utf-8") as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    return pid if os.path.isdir("/proc/%d/task" % pid) else None


def cmd_threads(argv):
    if len(argv) != 1 or not argv[0].isdigit():
        usage()
    pid = int(argv[0])
    if not os.path.isdir("/proc/%d/task" % pid):
        print("qmp.py: no process %d" % pid, file=sys.stderr)
        return 1
    t = ThreadCPU(pid)
    # Since the process started: every thread counts from zero.
    t.first = {}
    t.proc_first = 0
    for k, v in t.figures("cpu").items():
        print("%s=%s" % (k[4:], v))
    return 0


def cmd_cmd(argv):
    if len(argv) not in (2, 3):
        usage()
    args = json.loads(argv[2]) if len(argv) == 3 else {}
    q = QMP(argv[0])
    try:
        print(json.dumps(q.execute(argv[1], **args), indent=1, sort_keys=True))
    except QMPError as e:
        print("qmp.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        q.close()
    return 0


def cmd_quit(argv):
    if len(argv) != 1:
        usage()
    if not os.path.exists(argv[0]):
        return 0
    try:
        q = QMP(argv[0], timeout=5)
        q.execute("quit")
        q.close()
    except (QMPError, OSError):
        pass
    return 0


def flatten(info):
    ram = info.get("ram", {})
    out = {
        "status": info.get("status", "n/a"),
        "total_time_ms": info.get("total-time"),
        "downtime_ms": info.get("downtime"),
        "setup_time_ms": info.get("setup-time"),
        "transferred": ram.get("transferred"),
        "normal_pages": ram.get("normal"),
        "normal_bytes": ram.get("normal-bytes"),
        "duplicate_pages": ram.get("duplicate"),
        "dirty_sync_count": ram.get("dirty-sync-count"),
        "mbps": ram.get("mbps"),
        "precopy_bytes": ram.get("precopy-bytes"),
        "downtime_bytes": ram.get("downtime-bytes"),
        "pages_per_second": ram.get("pages-per-second"),
    }
    if "error-desc" in info:
        out["error"] = info["error-desc"].replace("\n", " ")
    return out


def balloon_path(q):
    """The QOM path of the virtio-balloon device, or None."""
    for dev in q.execute("x-query-virtio"):
        if dev.get("name") == "virtio-balloon":
            return dev.get("path")
    return None


def vq_state(q, queue, when, with_ring):
    """vq_WHEN_* of the balloon's virtqueue QUEUE (see the help)."""
    out = {}
    try:
        path = balloon_path(q)
        if path is None:
            return {"vq_path": "n/a"}
        out["vq_path"] = path
        st = q.execute("x-query-virtio-queue-status", path=path, queue=queue)
        out["vq_%s_last_avail" % when] = st.get("last-avail-idx")
        out["vq_%s_used" % when] = st.get("used-idx")
        if with_ring:
            el = q.execute("x-query-virtio-queue-element", path=path, queue=queue)
            avail = el.get("avail", {}).get("idx")
            out["vq_%s_avail" % when] = avail
            if avail is not None and st.get("last-avail-idx") is not None:
                out["vq_%s_pending" % when] = (avail - st["last-avail-idx"]) & 0xffff
    except QMPError as e:
        out["vq_%s_error" % when] = str(e).replace("\n", " ")
    return out


def cmd_migrate(argv):
    # No defaults: selftests/lib/migrate.sh defines them (MIG_BW_*).
    opts = {"timeout": None, "bandwidth": None, "downtime": None}
    caps = {}
    pos = []
    on_active = None
    trigger = None
    cpu_files = None
    deflate = False
    vq = None
    delay = 0.0
    cont = False
    wake = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--deflate":
            deflate = True
            i += 1
        elif a == "--wake":
            if i + 4 >= len(argv) or not argv[i + 4].isdigit():
                usage()
            wake = [argv[i + 1], re.compile(argv[i + 2]), argv[i + 3],
                    int(argv[i + 4]) / 1000.0, None]
            i += 5
        elif a == "--cont":
            cont = True
            i += 1
        elif a == "--trigger-delay":
            if i + 1 >= len(argv) or not argv[i + 1].isdigit():
                usage()
            delay = int(argv[i + 1]) / 1000.0
            i += 2
        elif a == "--vq":
            if i + 1 >= len(argv) or not argv[i + 1].isdigit():
                usage()
            vq = int(argv[i + 1])
            i += 2
        elif a == "--cpu":
            if i + 2 >= len(argv):
                usage()
            cpu_files = (argv[i + 1], argv[i + 2])
            i += 3
        elif a == "--when-console":
            if i + 4 >= len(argv):
                usage()
            trigger = (argv[i + 1], re.compile(argv[i + 2]), argv[i + 3],
                       json.loads(argv[i + 4]))
            i += 5
        elif a == "--on-active":
            if i + 2 >= len(argv):
                usage()
            on_active = (argv[i + 1], argv[i + 2])
            i += 3
        elif a in ("--timeout", "--bandwidth", "--downtime", "--cap"):
            if i + 1 >= len(argv):
                usage()
            v = argv[i + 1]
            if a == "--cap":
                name, _, state = v.partition("=")
                caps[name] = state in ("on", "true", "1", "yes")
            else:
                opts[a[2:]] = float(v)
            i += 2
        else:
            pos.append(a)
            i += 1
    if len(pos) != 3 or None in opts.values():
        usage()
    src_path, dst_path, uri = pos
    result = {"status": "n/a"}
    try:
        src = QMP(src_path)
        dst = QMP(dst_path)
        if caps:
            c = [{"capability": k, "state": v} for k, v in caps.items()]
            src.execute("migrate-set-capabilities", capabilities=c)
            dst.execute("migrate-set-capabilities", capabilities=c)
        src.execute("migrate-set-parameters", **{
            "max-bandwidth": int(opts["bandwidth"]),
            "downtime-limit": int(opts["downtime"]),
        })
        vqs = vq_state(src, vq, "start", False) if vq is not None else {}
        defl = None
        # The CPU window opens just before the migrate command.
        cpu = []
        cpu_end = None
        if cpu_files:
            for side, path in zip(("src", "dst"), cpu_files):
                pid = read_pid(path)
                if pid is not None:
                    cpu.append((side, ThreadCPU(pid)))
            cpu_start = time.monotonic()
            for _, t in cpu:
                t.start()
        src.execute("migrate", uri=uri)
        deadline = time.monotonic() + opts["timeout"]
        info = {}
        active_at = None
        trig = {"trigger": "not run"} if trigger else {}
        cue_at = None
        while True:
            info = src.execute("query-migrate")
            st = info.get("status")
            if st in ("completed", "failed", "cancelled"):
                for _, t in cpu:
                    t.stop()
                cpu_end = time.monotonic()
            if st != "setup" and active_at is None:
                active_at = time.monotonic()
            if on_active and st != "setup":
                send_line(on_active[0], on_active[1])
                on_active = None
            if trigger and cue_at is None and st == "active" and console_has(trigger[0], trigger[1]):
                cue_at = time.monotonic()
            if trigger and st == "active" and cue_at is not None and \
                    time.monotonic() - cue_at >= delay:
                trig = {"trigger": trigger[2], "trigger_status": st,
                        "trigger_ms": int((time.monotonic() - active_at) * 1000),
                        "trigger_cue_ms": int((cue_at - active_at) * 1000)}
                if deflate and trigger[2] == "balloon":
                    defl = {"balloon_full": src.execute("query-balloon")["actual"],
                            "target": trigger[3].get("value"), "inflated_ms": None,
                            "deflate_status": "n/a", "deflated_ms": None}
                try:
                    src.execute(trigger[2], **trigger[3])
                except QMPError as e:
                    trig["trigger_error"] = str(e).replace("\n", " ")
                trigger = None
                continue
            if st in ("completed", "failed", "cancelled"):
                break
            # --wake: the guest is woken from suspend to idle.
            if wake and st == "active":
                if wake[4] is None and console_has(wake[0], wake[1]):
                    wake[4] = time.monotonic()
                if wake[4] is not None and time.monotonic() - wake[4] >= wake[3]:
                    send_line(wake[2], "wake", linger=0.1)
                    trig["wake_ms"] = int((time.monotonic() - active_at) * 1000)
                    wake = None
            # --deflate: the inflate done, the balloon goes back.
            if defl and st == "active" and defl["deflated_ms"] is None:
                actual = src.execute("query-balloon")["actual"]
                ms = int((time.monotonic() - active_at) * 1000)
                if defl["inflated_ms"] is None and actual <= defl["target"]:
                    defl["inflated_ms"] = ms
                    defl["deflate_status"] = st
                    src.execute("balloon", value=defl["balloon_full"])
                elif defl["inflated_ms"] is not None and actual >= defl["balloon_full"]:
                    defl["deflated_ms"] = ms
            if time.monotonic() > deadline:
                try:
                    src.execute("migrate_cancel")
                except QMPError:
                    pass
                info = src.execute("query-migrate")
                result = flatten(info)
                result["status"] = "timeout"
                result["error"] = "not completed within %d s (last status %s)" % (
                    opts["timeout"], st)
                break
            # A pending trigger looks at the console more often; the CPU
            # window ends at the poll that sees the end.
            time.sleep(0.02 if trigger else 0.1 if cpu_files else 0.2)
        if cpu_end is None:
            for _, t in cpu:
                t.stop()
            cpu_end = time.monotonic()
        if result.get("status") != "timeout":
            result = flatten(info)
        result.update(trig)
        if defl:
            for k in ("balloon_full", "inflated_ms", "deflate_status", "deflated_ms"):
                result[k] = defl[k]
        if vq is not None:
            result.update(vqs)
            result.update(vq_state(src, vq, "end", result["status"] == "completed"))
        if cpu_files:
            result["cpu_window_ms"] = int((cpu_end - cpu_start) * 1000)
            for side, t in cpu:
                result.update(t.figures(side))
        # The destination runs the guest once it has everything.
        dst_status = "n/a"
        if result["status"] == "completed":
            end = time.monotonic() + 30
            while time.monotonic() < end:
                dst_status = dst.execute("query-status").get("status", "n/a")
                if dst_status == "running":
                    break
                if cont and dst_status == "paused":
                    dst.execute("cont")
                    result["dst_cont"] = "yes"
                time.sleep(0.2)
        result["dst_status"] = dst_status
        src.close()
        dst.close()
    except (QMPError, OSError) as e:
        result["status"] = result.get("status") if result.get("status") not in (None, "n/a") else "failed"
        result["error"] = str(e)
    print_kv(result)
    return 0 if result["status"] == "completed" else 1


def print_kv(result):
    for k, v in result.items():
        print("%s=%s" % (k, "n/a" if v is None else v))


def cmd_figures(argv):
    if len(argv) != 1:
        usage()
    try:
        if argv[0] == "-":
            text = sys.stdin.read()
        else:
            with open(argv[0], encoding="utf-8") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print("qmp.py: cannot read %s: %s" % (argv[0], e), file=sys.stderr)
        return 2
    try:
        info = json.loads(text)
    except ValueError as e:
        print("qmp.py: %s is not JSON: %s" % (argv[0], e), file=sys.stderr)
        return 2
    if isinstance(info, dict) and isinstance(info.get("return"), dict):
        info = info["return"]
    if not isinstance(info, dict) or not isinstance(info.get("status"), str) \
            or not isinstance(info.get("ram", {}), dict):
        print("qmp.py: %s is not a query-migrate reply (no status)" % argv[0],
              file=sys.stderr)
        return 1
    print_kv(flatten(info))
    return 0


def console_has(path, regex):
    """Does the file PATH have a line matching REGEX?"""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return False
    return any(regex.search(line) for line in text.splitlines())


def cmd_balloon(argv):
    timeout = 30.0
    expect = None
    rest = argv[2:]
    if len(argv) < 2 or len(rest) % 2:
        usage()
    for k, v in zip(rest[::2], rest[1::2]):
        if k == "--timeout":
            timeout = float(v)
        elif k == "--expect" and v.isdigit():
            expect = int(v)
        else:
            usage()
    try:
        mib = int(argv[1])
    except ValueError:
        usage()
    if mib <= 0:
        usage()
    q = QMP(argv[0])
    settle = ""
    try:
        if expect is not None:
            start = time.monotonic()
            while q.execute("query-balloon")["actual"] != expect and \
                    time.monotonic() - start < timeout:
                time.sleep(0.1)
            settle = "balloon_expect=%d\nballoon_settle_ms=%d\n" % (
                expect, int((time.monotonic() - start) * 1000))
        before = q.execute("query-balloon")["actual"]
        target = before - (mib << 20)
        start = time.monotonic()
        q.execute("balloon", value=target)
        actual = before
        while time.monotonic() - start < timeout:
            actual = q.execute("query-balloon")["actual"]
            if actual <= target:
                break
            time.sleep(0.1)
        ms = int((time.monotonic() - start) * 1000)
    finally:
        q.close()
    print("%sballoon_before=%d\nballoon_target=%d\nballoon_actual=%d\nballoon_ms=%d"
          % (settle, before, target, actual, ms))
    return 0 if actual <= target else 1


def cmd_unplug(argv):
    timeout = 60.0
    if len(argv) == 4 and argv[2] == "--timeout":
        timeout = float(argv[3])
    elif len(argv) != 2:
        usage()
    q = QMP(argv[0])
    out = {"unplug_error": None, "unplug_deleted": "no"}
    start = time.monotonic()
    try:
        try:
            q.execute("device_del", id=argv[1])
            if q.wait_event("DEVICE_DELETED", {"device": argv[1]}, timeout):
                out["unplug_deleted"] = "yes"
        except QMPError as e:
            out["unplug_error"] = str(e).replace("\n", " ")
        out["unplug_ms"] = int((time.monotonic() - start) * 1000)
        devs = q.execute("query-memory-devices")
        out["memory_devices"] = ",".join(d.get("data", {}).get("id") or "?" for d in devs) or "none"
        out["plugged_memory"] = q.execute("query-memory-size-summary").get("plugged-memory", 0)
    finally:
        q.close()
    print_kv(out)
    return 0 if out["unplug_deleted"] == "yes" else 1


def send_line(path, text, linger=1.0):
    """Write TEXT and a newline into the unix socket PATH."""
    s = connect_unix(path, 10.0)
    s.sendall(text.encode() + b"\n")
    # Let QEMU hand the bytes to the serial port before the hang-up.
    time.sleep(linger)
    s.close()


def cmd_send(argv):
    if len(argv) != 2:
        usage()
    send_line(argv[0], argv[1])
    return 0


def cmd_free_port(argv):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()
    return 0


def main():
    if len(sys.argv) < 2:
        usage()
    if sys.argv[1] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0
    cmds = {"cmd": cmd_cmd, "quit": cmd_quit, "migrate": cmd_migrate,
            "send": cmd_send, "free-port": cmd_free_port,
            "balloon": cmd_balloon, "figures": cmd_figures,
            "threads": cmd_threads, "unplug": cmd_unplug}
    f = cmds.get(sys.argv[1])
    if not f:
        usage()
    try:
        return f(sys.argv[2:])
    except QMPError as e:
        print("qmp.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
