"""The harness of scripts/bench and scripts/bench_cluster.py: a minimal RESP
client, loading and checking keys, server processes (started on free
loopback ports, stopped by pid), redis-benchmark runs, and the report's
number formatting. Needs only the Python standard library."""

import csv
import io
import os
import random
import signal
import socket
import statistics
import subprocess
import threading
import time

VALUE = b"xxx"  # redis-benchmark's default 3-byte value


def log(msg):
    print(msg, flush=True)


# --- a minimal RESP client (enough for PING, DBSIZE, GET checks) ----------

class RespError(Exception):
    pass


class Conn:
    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def close(self):
        self.rfile.close()
        self.sock.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read_reply(self):
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line[:80])

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        return self.read_reply()


def load_keys(port, count, value=VALUE, batch=20000, timeout=1800):
    """SETs key:000000000000 .. key:<count-1> (redis-benchmark's -r key names)
    over one pipelined connection. Returns (seconds, errors, first_error)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    tmpl = (b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$"
            + str(len(value)).encode() + b"\r\n"
            + value.replace(b"%", b"%%") + b"\r\n")
    state = {"replies": 0, "errors": 0, "first_error": None, "exc": None}

    def reader():
        # Each reply to SET is one line: +OK or -ERR..., so one "\n" each (a
        # "\r\n" may be split between two reads: counting those lost one).
        prev = b"\n"
        try:
            while state["replies"] < count:
                data = sock.recv(1 << 20)
                if not data:
                    raise ConnectionError("server closed the connection")
                state["replies"] += data.count(b"\n")
                errs = data.count(b"\n-") + (prev == b"\n" and data[:1] == b"-")
                if errs and state["first_error"] is None:
                    i = (prev + data).find(b"\n-")
                    state["first_error"] = (prev + data)[i + 1:i + 120].split(b"\r")[0]
                state["errors"] += errs
                prev = data[-1:]
        except Exception as e:  # reported by the caller
            state["exc"] = e

    t = threading.Thread(target=reader, daemon=True)
    start = time.monotonic()
    t.start()
    try:
        for lo in range(0, count, batch):
            hi = min(count, lo + batch)
            sock.sendall(b"".join([tmpl % i for i in range(lo, hi)]))
        t.join(timeout)
    finally:
        sock.close()
    if state["exc"] is not None:
        raise RuntimeError("loading keys: %s" % state["exc"])
    if t.is_alive():
        raise RuntimeError("loading keys: timed out after %ds" % timeout)
    err = state["first_error"].decode(errors="replace") if state["first_error"] else None
    return time.monotonic() - start, state["errors"], err


def check_keys(port, count, value=VALUE, samples=1000):
    """DBSIZE must be count, and sampled keys must read back as value."""
    c = Conn(port, timeout=600)
    try:
        dbsize = c.call("DBSIZE")
        keys = [random.randrange(count) for _ in range(samples)]
        c.sock.sendall(b"".join(c.encode("GET", b"key:%012d" % k) for k in keys))
        bad = sum(1 for _ in keys if c.read_reply() != value)
    finally:
        c.close()
    return dbsize, bad


def check_commands(port):
    """redis-benchmark counts error replies as requests, so make sure the
    benchmarked commands work at all before timing them."""
    c = Conn(port)
    try:
        probes = [
            (("SET", "bench:probe", "v"), b"OK"),
            (("GET", "bench:probe"), b"v"),
            (("INCR", "bench:counter"), 1),
            (("MSET", "bench:a", "1", "bench:b", "2"), b"OK"),
            (("DEL", "bench:probe", "bench:counter", "bench:a", "bench:b"), 4),
        ]
        problems = []
        for args, want in probes:
            got = c.call(*args)
            if got != want:
                problems.append("%s -> %r (want %r)" % (" ".join(args), got, want))
        return problems
    finally:
        c.close()


# --- servers ----------------------------------------------------------------

_used_ports = set()


def free_port():
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _used_ports and port < 55536:  # leave room for port+10000
            _used_ports.add(port)
            return port


class Server:
    all = []

    def __init__(self, label, argv, workdir, port=None):
        self.label = label
        self.argv = argv
        self.workdir = workdir
        self.port = port  # None: a free one is picked at start
        self.proc = None

    def start(self, timeout=60):
        self.port = self.port or free_port()
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        self.logpath = os.path.join(self.workdir, "server.log")
        logf = open(self.logpath, "ab")
        # Own session: a Ctrl-C reaches only this script, which then stops
        # the servers by pid.
        self.proc = subprocess.Popen(argv, cwd=self.workdir, stdout=logf,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        logf.close()
        Server.all.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %d at startup:\n  %s\n%s" % (
                    self.label, self.proc.returncode, " ".join(argv), self.log_tail()))
            try:
                c = Conn(self.port, timeout=2)
                try:
                    if c.call("PING") == b"PONG":
                        return self
                finally:
                    c.close()
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("%s did not answer PING within %ds:\n%s" % (
            self.label, timeout, self.log_tail()))

    def log_tail(self, n=20):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()[-n:]
            return "\n".join("  | " + l for l in lines)
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_ticks(self):
        """User + system CPU time of the process (all threads), in clock ticks."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            return None

    def wait_idle(self, timeout=120.0):
        """Waits until the server uses (almost) no CPU for a second: after a
        bulk load, LevelDB compacts in the background for a while. Returns
        the seconds waited."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            a = self.cpu_ticks()
            time.sleep(1.0)
            b = self.cpu_ticks()
            if a is None or b is None or b - a <= 2:
                break
        return time.time() - t0

    def peak_rss_kb(self):
        """VmHWM: the most resident memory the process has had."""
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass


def stop_all():
    for s in Server.all:
        s.stop()


# --- redis-benchmark --------------------------------------------------------

def benchmark_argv(port, opts, n, clients):
    return ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
            "-c", str(clients), "-n", str(n), "--csv"] + opts


def parse_benchmark(returncode, stdout, stderr):
    """Returns {"rps", "p50", "p99"} or {"error": text}."""
    rows = list(csv.DictReader(io.StringIO(stdout)))
    if returncode != 0 or not rows or "rps" not in rows[0]:
        msg = (stderr.strip() or stdout.strip()).splitlines()
        return {"error": "exit %d: %s" % (returncode, msg[-1] if msg else "no output")}
    r = rows[0]
    return {"rps": float(r["rps"]), "p50": float(r["p50_latency_ms"]),
            "p99": float(r["p99_latency_ms"])}


def run_benchmark(port, opts, n, clients, timeout):
    """Returns {"rps", "p50", "p99"} or {"error": text}."""
    try:
        p = subprocess.run(benchmark_argv(port, opts, n, clients),
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timeout after %ds" % timeout}
    return parse_benchmark(p.returncode, p.stdout, p.stderr)


# --- the report -------------------------------------------------------------

def fmt_rps(v):
    return "%.0f" % v if v is not None else "-"


def med(rs, key):
    """The median of key over the runs without an error, or None."""
    vals = [r[key] for r in rs if "error" not in r]
    return statistics.median(vals) if vals else None


def round_ratios(a, b):
    """ "median [low..high]" of a[i].rps / b[i].rps over the rounds where both
    ran without an error; "-" if none did. One round's two runs were back to
    back, so their ratio sees the same machine load."""
    ratios = sorted(x["rps"] / y["rps"] for x, y in zip(a, b)
                    if "error" not in x and "error" not in y and y["rps"])
    if not ratios:
        return "-"
    if len(ratios) == 1:
        return "%.2f" % ratios[0]
    return "%.2f [%.2f..%.2f]" % (statistics.median(ratios), ratios[0], ratios[-1])
