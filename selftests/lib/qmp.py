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
  qmp.py balloon SOCK MIB [--timeout S]
                                     shrink the guest by MIB MiB (balloon
                                     target = actual - MIB) and wait until
                                     the guest gave them; prints
                                     balloon_before, balloon_target,
                                     balloon_actual and balloon_ms
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
  trigger          with --when-console: the command run, or "not run"
  trigger_status   the migration's status just before it ran
  trigger_ms       ms from the end of the setup to the command
  trigger_error    the command's error, when it failed
"""

import json
import os
import re
import socket
import sys
import time


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

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


def usage():
    sys.stderr.write(__doc__)
    sys.exit(2)


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


def cmd_migrate(argv):
    # No defaults: selftests/lib/migrate.sh defines them (MIG_BW_*).
    opts = {"timeout": None, "bandwidth": None, "downtime": None}
    caps = {}
    pos = []
    on_active = None
    trigger = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--when-console":
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
        src.execute("migrate", uri=uri)
        deadline = time.monotonic() + opts["timeout"]
        info = {}
        active_at = None
        trig = {"trigger": "not run"} if trigger else {}
        while True:
            info = src.execute("query-migrate")
            st = info.get("status")
            if st != "setup" and active_at is None:
                active_at = time.monotonic()
            if on_active and st != "setup":
                send_line(on_active[0], on_active[1])
                on_active = None
            if trigger and st == "active" and console_has(trigger[0], trigger[1]):
                trig = {"trigger": trigger[2], "trigger_status": st,
                        "trigger_ms": int((time.monotonic() - active_at) * 1000)}
                try:
                    src.execute(trigger[2], **trigger[3])
                except QMPError as e:
                    trig["trigger_error"] = str(e).replace("\n", " ")
                trigger = None
                continue
            if st in ("completed", "failed", "cancelled"):
                break
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
            # A pending trigger looks at the console more often.
            time.sleep(0.02 if trigger else 0.2)
        if result.get("status") != "timeout":
            result = flatten(info)
        result.update(trig)
        # The destination runs the guest once it has everything.
        dst_status = "n/a"
        if result["status"] == "completed":
            end = time.monotonic() + 30
            while time.monotonic() < end:
                dst_status = dst.execute("query-status").get("status", "n/a")
                if dst_status == "running":
                    break
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
    if len(argv) == 4 and argv[2] == "--timeout":
        timeout = float(argv[3])
    elif len(argv) != 2:
        usage()
    try:
        mib = int(argv[1])
    except ValueError:
        usage()
    if mib <= 0:
        usage()
    q = QMP(argv[0])
    try:
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
    print("balloon_before=%d\nballoon_target=%d\nballoon_actual=%d\nballoon_ms=%d"
          % (before, target, actual, ms))
    return 0 if actual <= target else 1


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
            "balloon": cmd_balloon, "figures": cmd_figures}
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
