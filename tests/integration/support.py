"""Starts real server processes on free loopback ports for integration tests.

RINGKV_SERVER names the binary under test (ctest sets it to the built
ringkv-server). Pointing it at a reference redis-server runs the same tests
against Redis itself, which is how the expectations here were checked:

    RINGKV_SERVER=/usr/bin/redis-server /usr/bin/python3 -m unittest test_strings

Every process started here is killed by its pid in stop()/tearDown, and its
temporary data directory removed.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import redis

SERVER = os.environ.get("RINGKV_SERVER", "")
IS_REDIS = os.path.basename(SERVER).startswith("redis-server")

# What a client sees when the server is gone (killed, or the connection closed).
CONNECT_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def wait_until(pred, timeout, interval=0.05, what="condition"):
    """Polls pred() until it is truthy or `timeout` seconds pass; returns
    its last value (raises AssertionError with `what` on timeout)."""
    deadline = time.time() + timeout
    last = None
    while True:
        try:
            last = pred()
        except (redis.exceptions.RedisError, OSError) as e:
            last = None
            err = e
        else:
            err = None
        if last:
            return last
        if time.time() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r%s)"
                                 % (timeout, what, last, ", error %r" % err if err else ""))
        time.sleep(interval)


def free_port():
    """A TCP port that nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """One server process with its own port and data directory: the binary
    under test, or `binary` (a reference redis-server beside it)."""

    def __init__(self, args=(), data_dir=None, port=None, binary=None):
        self.binary = binary or SERVER
        if not self.binary:
            raise RuntimeError("set RINGKV_SERVER to the server binary")
        self.is_redis = os.path.basename(self.binary).startswith("redis-server")
        self.port = port or free_port()
        self.own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="ringkv-test-")
        self.extra = list(args)
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    def start(self, wait=True):
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        if self.is_redis:
            cmd += ["--save", "", "--appendonly", "no"]
        cmd += self.extra
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if wait:
            try:
                self.wait_ready()
            except Exception:
                self.kill()  # never leave a process behind when start-up fails
                raise
        return self

    def wait_ready(self, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.proc.returncode, self.read_log()))
            try:
                c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
                if c.ping():
                    c.close()
                    return
            except (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError):
                return  # up, but wants AUTH (AuthenticationError is a ConnectionError: first)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not answer PING within %.0fs:\n%s" % (timeout, self.read_log()))

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def client(self, **kw):
        kw.setdefault("socket_timeout", 10)
        kw.setdefault("host", "127.0.0.1")  # "localhost" needs /etc/hosts
        return redis.Redis(port=self.port, **kw)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self):
        """SIGTERM, then SIGKILL if it lingers; keeps the data dir."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """One fresh server per test class; `self.r` is a redis-py client (RESP2,
    decode_responses=False so values are bytes, binary-safe)."""

    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess(cls.server_args).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        self.r = self.server.client()
        self.r.flushall()

    def tearDown(self):
        self.r.close()

    def raw(self):
        """A plain socket to the server, for byte-exact protocol checks."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        return s


def read_reply_bytes(sock, expected_len=None, timeout=5.0):
    """Reads what the server sends until `expected_len` bytes or a pause."""
    sock.settimeout(timeout)
    data = b""
    while expected_len is None or len(data) < expected_len:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
        if expected_len is None:
            sock.settimeout(0.3)
    return data


class AckWriter(threading.Thread):
    """A background writer for crash tests: one connection, one step at a
    time, until `limit` steps are done, the deadline passes or `stop` is set.
    A subclass's step(c, i) sends step i (or a batch from i) and returns the
    step numbers it did; they are then recorded in `acked` (their replies
    came back: the acknowledged writes). A connection error ends the run
    quietly (the server was killed under us); any other exception is kept in
    `error` for the test to report."""

    def __init__(self, port, prefix, deadline, limit, socket_timeout, connect_timeout):
        super().__init__(daemon=True)
        self.port, self.prefix, self.deadline, self.limit = port, prefix, deadline, limit
        self.socket_timeout, self.connect_timeout = socket_timeout, connect_timeout
        self.acked = []
        self.error = None
        self.stop = threading.Event()

    def step(self, c, i):
        raise NotImplementedError

    def run(self):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=self.socket_timeout,
                        socket_connect_timeout=self.connect_timeout)
        try:
            i = 0
            while i < self.limit and time.time() < self.deadline and not self.stop.is_set():
                ids = self.step(c, i)
                self.acked.extend(ids)
                i = ids[-1] + 1
        except CONNECT_ERRORS:
            pass  # the server died under us: expected
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass


def wrong_values(c, expected, chunk=500):
    """The keys of `expected` ({key: value, or None for absent}) that MGET,
    in chunks, answers otherwise: (key, expected, got) each."""
    keys = list(expected)
    wrong = []
    for at in range(0, len(keys), chunk):
        part = keys[at:at + chunk]
        for k, got in zip(part, c.mget(part)):
            if got != expected[k]:
                wrong.append((k, expected[k], got))
    return wrong


def join_writers(test, writers, timeout=15):
    """After a kill: waits for each AckWriter, which must have stopped and
    kept no error (a connection error ends one quietly)."""
    for w in writers:
        w.join(timeout)
        test.assertFalse(w.is_alive(), "writer did not stop")
        test.assertIsNone(w.error, w.error)
