"""Limits that bound one client's share of the server, tried with real
sockets: proto-max-bulk-len, client-query-buffer-limit,
client-output-buffer-limit, maxclients (20 and 10,000 connections), timeout,
absurd multibulk counts and a million-command pipeline.

Every attack runs while a bystander client does ordinary work on its own
connection, and ends by checking that the bystander was served all along and
that the server process is still up. Memory is watched through the server's
VmRSS in /proc while the attack runs. Expectations were checked against Redis
7.0 (RINGKV_SERVER=/usr/bin/redis-server); where 7.0 lacks an INFO field that
ringkv has, the field is only checked when the server reports it.
"""

import gc
import resource
import select
import socket
import threading
import time
import unittest

import support
from test_protocol import Conn, read_until_closed, resp

MB = 1 << 20
PROTO_ERR_BULK = b"-ERR Protocol error: invalid bulk length\r\n"
PROTO_ERR_INLINE = b"-ERR Protocol error: too big inline request\r\n"
MAXCLIENTS_ERR = b"-ERR max number of clients reached\r\n"


# ---------------------------------------------------------------- helpers

def proc_status_kb(pid, field):
    """A `kB` figure from /proc/PID/status (VmRSS, VmHWM), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class RssWatch:
    """Samples a process's VmRSS every few milliseconds from a thread, and also
    resets its VmHWM (peak RSS) at the start when /proc allows, so a spike
    between two samples is still seen."""

    def __init__(self, pid, interval=0.005):
        self.pid = pid
        self.interval = interval
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")   # resets VmHWM to the current RSS
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self.baseline_kb = proc_status_kb(pid, "VmRSS") or 0
        self.peak_kb = self.baseline_kb
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            rss = proc_status_kb(self.pid, "VmRSS")
            if rss is None:
                return
            self.peak_kb = max(self.peak_kb, rss)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        if self.hwm_reset:
            hwm = proc_status_kb(self.pid, "VmHWM")
            if hwm is not None:
                self.peak_kb = max(self.peak_kb, hwm)
        return self

    @property
    def growth_mb(self):
        return (self.peak_kb - self.baseline_kb) / 1024.0

    @property
    def peak_mb(self):
        return self.peak_kb / 1024.0


class Bystander:
    """Another client doing ordinary work (SET, GET, PING) on its own
    connection every 20 ms from a thread while a test attacks the server.
    finish() checks it was served every time, within its socket timeout."""

    def __init__(self, server, password=None, key="bystander"):
        self.client = server.client(password=password, socket_timeout=10)
        self.key = key
        self.rounds = 0
        self.errors = []
        self.max_latency = 0.0
        self._stop = threading.Event()
        self._round()   # served once before the attack starts
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _round(self):
        t0 = time.monotonic()
        value = b"v%d" % self.rounds
        self.client.set(self.key, value)
        got = self.client.get(self.key)
        if got != value:
            raise AssertionError("bystander read %r, wrote %r" % (got, value))
        if not self.client.ping():
            raise AssertionError("bystander PING failed")
        self.max_latency = max(self.max_latency, time.monotonic() - t0)
        self.rounds += 1

    def _run(self):
        while not self._stop.wait(0.02):
            try:
                self._round()
            except Exception as e:  # noqa: BLE001 - recorded, reported by finish()
                self.errors.append(repr(e))
                return

    def finish(self, test):
        self._stop.set()
        self._thread.join(30)
        try:
            if not self.errors:
                self._round()   # and once more after the attack
                self.client.delete(self.key)
        except Exception as e:  # noqa: BLE001
            self.errors.append(repr(e))
        finally:
            close_client(self.client)
        test.assertFalse(self._thread.is_alive(), "bystander thread hung")
        test.assertEqual(self.errors, [], "the bystander client was not served normally")
        test.assertGreaterEqual(self.rounds, 2)


def close_client(client):
    """Really closes a redis-py client: Redis.close() in redis-py 4.3 only
    returns the connection to the pool, which keeps the socket open."""
    client.close()
    client.connection_pool.disconnect()


def info_fields(client, section):
    """INFO <section> as {name: str}."""
    raw = client.execute_command("INFO", section)
    if isinstance(raw, dict):   # redis-py may parse it already
        return {k: str(v) for k, v in raw.items()}
    out = {}
    for line in raw.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, _, v = line.partition(":")
            out[k] = v
    return out


def flood(sock, chunk, max_bytes, timeout):
    """Sends `chunk` over and over until the server answers or closes, or
    max_bytes / timeout run out. Sending stops at the first byte the server
    sends, so its error is not lost to a reset. Returns (sent, closed, data)."""
    sock.setblocking(False)
    sent = 0
    data = b""
    closed = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and sent < max_bytes and not data:
            r, w, _ = select.select([sock], [sock], [], 0.2)
            if r:
                try:
                    got = sock.recv(65536)
                except ConnectionResetError:
                    closed = True
                    break
                if not got:
                    closed = True
                    break
                data += got
                break
            if w:
                try:
                    sent += sock.send(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break   # closed; what it said before may still be queued
                except BlockingIOError:
                    pass
    finally:
        sock.setblocking(True)
    if not closed:
        more, closed = read_until_closed(sock, timeout=10.0)
        data += more
    return sent, closed, data


def rst_close(sock):
    """Closes with a reset, so thousands of test sockets leave no TIME_WAIT."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    sock.close()


def pipeline(port, payload, expected_len, timeout=60.0):
    """Sends payload in one sendall while a thread reads the replies.
    Returns (replies, seconds)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = bytearray()
    deadline = time.monotonic() + timeout

    def reader():
        try:
            while len(got) < expected_len and time.monotonic() < deadline:
                chunk = s.recv(1 << 20)
                if not chunk:
                    return
                got.extend(chunk)
        except OSError:
            return

    t0 = time.monotonic()
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    try:
        s.sendall(payload)
        th.join(max(1.0, deadline - time.monotonic()))
        elapsed = time.monotonic() - t0
    finally:
        s.close()   # also ends a reader stuck in recv
        th.join(5)
    return bytes(got), elapsed


def note(text):
    """A figure worth seeing in a verbose run (unittest -v prints it after
    the test's name)."""
    print("\n  " + text, end=" ")


class LimitCase(support.ServerTestCase):
    def conn(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        return c

    def bystander(self, **kw):
        b = Bystander(self.server, **kw)
        self.addCleanup(close_client, b.client)
        return b

    def raw_sock(self, rcvbuf=None, sndbuf=None, timeout=10):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        s.settimeout(timeout)
        s.connect(("127.0.0.1", self.server.port))
        return s

    def assertServerUp(self):
        self.assertIsNone(self.server.proc.poll(), "server exited:\n" + self.server.read_log())
        c = self.server.client(socket_timeout=10)
        try:
            self.assertTrue(c.ping())
        finally:
            close_client(c)

    def connected_clients(self):
        return int(info_fields(self.r, "clients")["connected_clients"])

    def wait_connected(self, n, timeout=10.0):
        """Waits until the server counts exactly n clients. Collects garbage
        first: a redis-py client dropped without close (the harness's
        readiness probe) keeps its socket until the collector frees it."""
        gc.collect()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connected_clients() == n:
                return
            time.sleep(0.05)
        self.assertEqual(self.connected_clients(), n)

    def stat(self, name):
        """An INFO stats counter, or None when the server has no such field."""
        v = info_fields(self.r, "stats").get(name)
        return int(v) if v is not None else None

    def assertCounterRose(self, name, before, by=1):
        """Checks an INFO stats counter only when the server reports it
        (Redis 7.0 has none of ringkv's *_limit_disconnections fields)."""
        if before is None:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            now = self.stat(name)
            if now is not None and now >= before + by:
                break
            time.sleep(0.05)
        self.assertGreaterEqual(now, before + by, "INFO stats %s" % name)


# ---------------------------------------------------------------- proto-max-bulk-len

class ProtoMaxBulkLenTest(LimitCase):
    server_args = ("--proto-max-bulk-len", "1mb")

    def test_bulk_header_above_the_limit_is_refused_before_the_payload(self):
        by = self.bystander()
        headers = [
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",          # one byte over
            b"*2\r\n$3\r\nGET\r\n$1048577\r\n",                      # a key over
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n",         # 512mb, the default
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2147483648\r\n",        # past 32 bits
            b"*1\r\n$1048577\r\n",                                   # the command name
        ]
        for header in headers:
            with self.subTest(header=header):
                watch = RssWatch(self.server.proc.pid)
                s = self.raw_sock()
                s.sendall(header)          # only the header; the payload never comes
                data, closed = read_until_closed(s, timeout=5.0)
                s.close()
                watch.stop()
                self.assertEqual(data, PROTO_ERR_BULK)
                self.assertTrue(closed, "connection should close without waiting for the payload")
                self.assertLess(watch.growth_mb, 20, "RSS grew %.1f MB for a header" % watch.growth_mb)
        self.assertIsNone(self.r.get("k"))
        by.finish(self)
        self.assertServerUp()

    def test_values_at_and_just_under_the_limit_work(self):
        by = self.bystander()
        c = self.conn()
        for n in (MB - 1, MB):    # Redis refuses only lengths above the limit
            with self.subTest(length=n):
                value = bytes([65 + n % 26]) * n
                self.assertEqual(c.call_raw(resp("SET", "big", value)), b"+OK\r\n")
                self.assertEqual(c.call_raw(resp("STRLEN", "big")), b":%d\r\n" % n)
                self.assertEqual(c.call_raw(resp("GET", "big")), b"$%d\r\n%s\r\n" % (n, value))
        by.finish(self)
        self.assertServerUp()


# ---------------------------------------------------------------- client-query-buffer-limit

class QueryBufferLimitTest(LimitCase):
    server_args = ("--client-query-buffer-limit", "1mb")
    LIMIT_MB = 1

    def rss_bound_mb(self):
        return 3 * self.LIMIT_MB + 50

    def test_endless_bulk_is_disconnected(self):
        # 500,000,000 is within proto-max-bulk-len (512mb by default), so only
        # the query buffer limit can stop it.
        by = self.bystander()
        before = self.stat("client_query_buffer_limit_disconnections")
        watch = RssWatch(self.server.proc.pid)
        s = self.raw_sock(sndbuf=256 * 1024)
        s.sendall(b"*3\r\n$3\r\nSET\r\n$7\r\nqb:bulk\r\n$500000000\r\n")
        t0 = time.monotonic()
        sent, closed, data = flood(s, b"x" * 65536, max_bytes=256 * MB, timeout=30)
        elapsed = time.monotonic() - t0
        s.close()
        watch.stop()
        note("cut after %.1f MB sent in %.1fs; RSS +%.1f MB" % (sent / MB, elapsed, watch.growth_mb))
        self.assertTrue(closed, "still connected after sending %d MB of one bulk in %.1fs" % (sent // MB, elapsed))
        self.assertNotIn(b"+OK", data)
        self.assertLess(sent, 128 * MB, "sent %d MB before the cut" % (sent // MB))
        self.assertLess(watch.growth_mb, self.rss_bound_mb(),
                        "RSS grew %.1f MB (peak %.1f MB)" % (watch.growth_mb, watch.peak_mb))
        self.assertIsNone(self.r.get("qb:bulk"))
        self.assertCounterRose("client_query_buffer_limit_disconnections", before)
        by.finish(self)
        self.assertServerUp()

    def test_endless_inline_line_is_cut_by_the_inline_limit(self):
        by = self.bystander()
        watch = RssWatch(self.server.proc.pid)
        s = self.raw_sock(sndbuf=256 * 1024)
        sent, closed, data = flood(s, b"a" * 4096, max_bytes=256 * MB, timeout=30)
        s.close()
        watch.stop()
        note("answered after %.1f MB sent; RSS +%.1f MB" % (sent / MB, watch.growth_mb))
        self.assertEqual(data, PROTO_ERR_INLINE)
        self.assertTrue(closed)
        self.assertLess(watch.growth_mb, self.rss_bound_mb(),
                        "RSS grew %.1f MB (peak %.1f MB)" % (watch.growth_mb, watch.peak_mb))
        by.finish(self)
        self.assertServerUp()

    def test_a_value_under_the_limit_still_works(self):
        c = self.conn()
        value = b"v" * 900000
        self.assertEqual(c.call_raw(resp("SET", "qb:ok", value)), b"+OK\r\n")
        self.assertEqual(self.r.strlen("qb:ok"), len(value))

    def test_a_long_pipeline_is_not_mistaken_for_an_overflow(self):
        # 100,000 small SETs are several times the 1mb limit in total, but the
        # server consumes them as they arrive: none of it is "unprocessed".
        by = self.bystander()
        n = 100000
        payload = b"".join(resp("SET", "qp:%d" % i, "x" * 20) for i in range(n))
        self.assertGreater(len(payload), 4 * MB)
        got, _ = pipeline(self.server.port, payload, 5 * n, timeout=60)
        self.assertEqual(len(got), 5 * n, "got %d of %d reply bytes" % (len(got), 5 * n))
        self.assertEqual(got, b"+OK\r\n" * n)
        by.finish(self)
        self.assertServerUp()


# ---------------------------------------------------------------- client-output-buffer-limit

class OutputBufferLimitTest(LimitCase):
    server_args = ("--client-output-buffer-limit", "normal", "4mb", "2mb", "1")

    def test_client_that_never_reads_is_disconnected(self):
        value = b"o" * MB
        self.r.set("ob:big", value)
        by = self.bystander()
        before = self.stat("client_output_buffer_limit_disconnections")
        watch = RssWatch(self.server.proc.pid)
        # A small receive buffer keeps the kernel from soaking up tens of MB
        # of replies on our side of the socket.
        s = self.raw_sock(rcvbuf=64 * 1024)
        port = s.getsockname()[1]
        n = 2000   # 2 GB of replies if nobody stopped them
        s.sendall(resp("GET", "ob:big") * n)

        # Wait (bounded) for the server to drop the connection without our reading.
        gone = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            clients = self.r.execute_command("CLIENT", "LIST")
            if b"addr=127.0.0.1:%d " % port not in clients:
                gone = True
                break
            time.sleep(0.1)
        peak_while_stuck = watch.peak_mb

        # Now drain what reached our socket: it ends with a close, well short of 2 GB.
        received = 0
        closed = False
        s.settimeout(5)
        try:
            while received < n * MB:
                chunk = s.recv(1 << 20)
                if not chunk:
                    closed = True
                    break
                received += len(chunk)
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
        s.close()
        watch.stop()

        note("disconnected: %s, %d MB reached the client, RSS peak %.0f MB"
             % (gone, received // MB, watch.peak_mb))
        self.assertTrue(gone, "client still in CLIENT LIST after 20s (RSS peak %.0f MB)" % peak_while_stuck)
        self.assertTrue(closed, "socket not closed after reading %d MB" % (received // MB))
        self.assertLess(received, 200 * MB)
        self.assertLess(watch.peak_mb, 300, "RSS peaked at %.0f MB" % watch.peak_mb)
        self.assertCounterRose("client_output_buffer_limit_disconnections", before)
        by.finish(self)
        self.assertServerUp()

    def test_the_soft_limit_clock_restarts_once_the_output_drained(self):
        # Over the soft limit (2 MB) for less than its 1 s, drained, idle for
        # longer than 1 s: the next big reply starts a new count, it does not
        # find the old one expired.
        value = b"q" * (3 * MB)
        self.r.set("ob:soft", value)
        s = self.raw_sock(rcvbuf=64 * 1024)
        for round_no in range(2):
            s.sendall(resp("GET", "ob:soft"))
            time.sleep(0.3)  # not reading: the reply waits in the server, over 2 MB
            want = len(b"$%d\r\n" % len(value)) + len(value) + 2
            got = 0
            s.settimeout(10)
            while got < want:
                chunk = s.recv(1 << 20)
                self.assertTrue(chunk, "closed in round %d after %d bytes" % (round_no, got))
                got += len(chunk)
            time.sleep(1.5)
        s.close()
        self.assertServerUp()

    def test_a_client_that_reads_gets_big_values(self):
        value = b"p" * MB
        self.r.set("ob:big", value)
        c = self.server.client(socket_timeout=10)
        try:
            for _ in range(5):
                self.assertEqual(c.get("ob:big"), value)
        finally:
            close_client(c)


class OutputBufferLimitFlagTest(unittest.TestCase):
    def test_limit_line_as_one_quoted_flag_value(self):
        # The shell form --client-output-buffer-limit "normal 4mb 2mb 1" hands
        # the server one argument holding the whole line; Redis splits it.
        server = support.ServerProcess(("--client-output-buffer-limit", "normal 4mb 2mb 1"))
        self.addCleanup(server.cleanup)
        server.start()
        c = server.client()
        self.addCleanup(close_client, c)
        limits = c.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
        self.assertTrue(limits.startswith("normal 4194304 2097152 1 "), limits)


# ---------------------------------------------------------------- maxclients

class MaxClientsTest(LimitCase):
    server_args = ("--maxclients", "20")
    MAX = 20

    def open_served(self):
        s = self.raw_sock()
        s.sendall(b"PING\r\n")
        data = b""
        while len(data) < 7:
            chunk = s.recv(64)
            if not chunk:
                break
            data += chunk
        self.assertEqual(data, b"+PONG\r\n")
        return s

    def assertRefused(self):
        s = self.raw_sock()
        # Redis writes the error as soon as it accepts, before any command.
        data, closed = read_until_closed(s, timeout=5.0)
        s.close()
        self.assertEqual(data, MAXCLIENTS_ERR)
        self.assertTrue(closed)

    def test_connection_past_maxclients_is_refused_and_slots_are_reused(self):
        self.r.set("mc:k", "v")
        self.wait_connected(1)   # self.r alone
        rejected_before = self.stat("rejected_connections")
        socks = [self.open_served() for _ in range(self.MAX - 1)]
        self.assertEqual(self.connected_clients(), self.MAX)
        self.assertRefused()
        self.assertRefused()
        # The clients already connected are served all along.
        self.assertEqual(self.r.get("mc:k"), b"v")
        for s in socks[:3]:
            s.sendall(b"PING\r\n")
            self.assertEqual(s.recv(64), b"+PONG\r\n")
        self.assertEqual(self.stat("rejected_connections"), rejected_before + 2)

        # Close five; five new ones fit, the sixth does not.
        for s in socks[:5]:
            s.close()
        del socks[:5]
        self.wait_connected(self.MAX - 5)
        socks += [self.open_served() for _ in range(5)]
        self.assertRefused()
        for s in socks:
            s.close()
        self.wait_connected(1)
        self.assertServerUp()


class TenThousandClientsTest(LimitCase):
    """10,000 live connections, each served, and the next one refused. The
    file descriptor limit is raised for this process before the server starts,
    and the server inherits it."""

    N = 10000
    server_args = ("--maxclients", str(N))
    BUDGET = 60.0   # seconds for the whole test

    @classmethod
    def setUpClass(cls):
        cls.old_nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = cls.N + 1000
        soft, hard = cls.old_nofile
        try:
            if hard != resource.RLIM_INFINITY and hard < want:
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))   # needs root
            elif soft != resource.RLIM_INFINITY and soft < want:
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError) as e:
            raise unittest.SkipTest("cannot raise RLIMIT_NOFILE to %d: %s" % (want, e))
        try:
            super().setUpClass()
        except Exception:
            resource.setrlimit(resource.RLIMIT_NOFILE, cls.old_nofile)
            raise

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, cls.old_nofile)
        except (ValueError, OSError):
            pass

    def recv_exact(self, s, n, deadline):
        data = b""
        while len(data) < n:
            s.settimeout(max(0.1, min(10.0, deadline - time.monotonic())))
            chunk = s.recv(n - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def test_ten_thousand_connections(self):
        t0 = time.monotonic()
        deadline = t0 + self.BUDGET
        socks = []
        try:
            self.wait_connected(1)        # self.r alone
            by = Bystander(self.server)   # the first of the N clients
            self.addCleanup(close_client, by.client)
            close_client(self.r)          # setUp's client must not take a slot
            batch = 250
            while len(socks) < self.N - 1:   # the bystander holds one slot
                self.assertLess(time.monotonic(), deadline,
                                "only %d connections within %.0fs" % (len(socks), self.BUDGET))
                fresh = []
                for _ in range(min(batch, self.N - 1 - len(socks))):
                    s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                    socks.append(s)
                    fresh.append(s)
                # Every new connection answers a PING before the next batch, so
                # the listen backlog never overflows.
                for s in fresh:
                    s.sendall(b"PING\r\n")
                for s in fresh:
                    got = self.recv_exact(s, 7, deadline)
                    self.assertEqual(got, b"+PONG\r\n", "connection %d" % socks.index(s))
            opened = time.monotonic() - t0

            # Number N+1 is refused.
            extra = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            data, closed = read_until_closed(extra, timeout=10.0)
            extra.close()
            self.assertEqual(data, MAXCLIENTS_ERR)
            self.assertTrue(closed)

            # All of them again at once: N PINGs out, then N PONGs back.
            for s in socks:
                s.sendall(b"PING\r\n")
            for i, s in enumerate(socks):
                self.assertEqual(self.recv_exact(s, 7, deadline), b"+PONG\r\n", "connection %d" % i)
            by.finish(self)
            self.assertLess(time.monotonic() - t0, self.BUDGET)
            note("%d connections opened and pinged in %.1fs, total %.1fs"
                 % (self.N, opened, time.monotonic() - t0))
        finally:
            for s in socks:
                rst_close(s)
        self.r = self.server.client()
        self.wait_connected(1, timeout=20)
        self.assertServerUp()


# ---------------------------------------------------------------- timeout

class IdleTimeoutTest(LimitCase):
    server_args = ("--timeout", "1")

    def test_idle_client_is_closed_and_active_one_is_not(self):
        idle = self.conn()
        half = self.raw_sock()
        active = self.conn()
        self.assertEqual(idle.call_raw(b"PING\r\n"), b"+PONG\r\n")
        half.sendall(b"*2\r\n$3\r\nGET")   # a command that never finishes is idle too
        self.assertEqual(active.call_raw(b"PING\r\n"), b"+PONG\r\n")
        t0 = time.monotonic()
        closed_at = {}
        pings = 0
        watched = {"idle": idle.sock, "half": half}
        while time.monotonic() - t0 < 5.0:
            r, _, _ = select.select([s for k, s in watched.items() if k not in closed_at], [], [], 0.25)
            for name, s in watched.items():
                if s in r:
                    try:
                        data = s.recv(100)
                    except ConnectionResetError:
                        data = b""
                    self.assertEqual(data, b"", "%s client got %r" % (name, data))
                    closed_at[name] = time.monotonic() - t0
            self.assertEqual(active.call_raw(b"PING\r\n"), b"+PONG\r\n")
            pings += 1
            if len(closed_at) == 2 and time.monotonic() - t0 > 3.5:
                break
        note("closed after: " + ", ".join("%s %.2fs" % kv for kv in sorted(closed_at.items())))
        self.assertIn("idle", closed_at, "idle client still open after 5s")
        self.assertIn("half", closed_at, "client with half a command still open after 5s")
        for name, at in closed_at.items():
            self.assertGreaterEqual(at, 0.9, "%s client closed after only %.2fs" % (name, at))
        # The active client outlived them and still works.
        self.assertEqual(active.call_raw(resp("SET", "to:k", "v")), b"+OK\r\n")
        self.assertEqual(active.call_raw(resp("GET", "to:k")), b"$1\r\nv\r\n")
        self.assertGreater(pings, 10)
        self.assertServerUp()


# ---------------------------------------------------------------- multibulk counts

class MultibulkCountTest(LimitCase):
    def test_huge_multibulk_counts(self):
        by = self.bystander()
        for header in (b"*2147483647\r\n", b"*2147483648\r\n", b"*99999999999\r\n",
                       b"*9223372036854775807\r\n"):
            with self.subTest(header=header):
                watch = RssWatch(self.server.proc.pid)
                s = self.raw_sock()
                s.sendall(header)
                # A protocol error and a close, or nothing yet (waiting for the
                # elements): both are fine as long as nothing is reserved for them.
                data, closed = read_until_closed(s, timeout=1.0)
                if data:
                    self.assertTrue(data.startswith(b"-ERR Protocol error: "), data)
                    self.assertTrue(data.endswith(b"\r\n") and data.count(b"\r\n") == 1, data)
                    self.assertTrue(closed)
                else:
                    time.sleep(0.3)   # still waiting: give a lazy allocation time to show
                watch.stop()
                s.close()
                self.assertLess(watch.growth_mb, 50, "RSS grew %.1f MB" % watch.growth_mb)
        by.finish(self)
        self.assertServerUp()

    def test_huge_count_then_elements_keep_memory_small(self):
        # The elements that do arrive cost what they are, not what was announced.
        watch = RssWatch(self.server.proc.pid)
        s = self.raw_sock()
        s.sendall(b"*2147483647\r\n" + b"$1\r\nx\r\n" * 10000)
        data, closed = read_until_closed(s, timeout=1.0)
        s.close()
        watch.stop()
        if data:
            self.assertTrue(data.startswith(b"-ERR Protocol error: "), data)
        self.assertLess(watch.growth_mb, 50, "RSS grew %.1f MB" % watch.growth_mb)
        self.assertServerUp()

    def test_negative_and_zero_counts_are_ignored(self):
        c = self.conn()
        c.send(b"*-1\r\n*0\r\n*-1\r\nPING\r\n*-1\r\n")
        self.assertEqual(c.read_raw(), b"+PONG\r\n")
        self.assertEqual(c.call_raw(resp("ECHO", "after")), b"$5\r\nafter\r\n")


# ---------------------------------------------------------------- deep pipelines

class DeepPipelineTest(LimitCase):
    N = 1000000
    BUDGET = 60.0

    def run_pipeline(self, payload, expected):
        by = self.bystander()
        got, elapsed = pipeline(self.server.port, payload, len(expected), timeout=self.BUDGET)
        self.assertEqual(len(got), len(expected),
                         "got %d of %d reply bytes in %.1fs" % (len(got), len(expected), elapsed))
        if got != expected:
            i = next(i for i in range(len(got)) if got[i] != expected[i])
            self.fail("replies differ at byte %d: got %r, want %r" % (i, got[i - 20:i + 40], expected[i - 20:i + 40]))
        self.assertLess(elapsed, self.BUDGET)
        by.finish(self)
        note("%d commands in %.1fs (bystander max latency %.3fs)" % (self.N, elapsed, by.max_latency))
        self.assertServerUp()

    def test_million_pings_replies_in_order(self):
        # PING <i> echoes i, so order is checked reply by reply, not just counted.
        payload = b"".join(b"*2\r\n$4\r\nPING\r\n$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(self.N))
        expected = b"".join(b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(self.N))
        self.run_pipeline(payload, expected)

    def test_million_sets(self):
        payload = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nk:%d\r\n$%d\r\n%d\r\n" % (len(str(i)) + 2, i, len(str(i)), i)
                           for i in range(self.N))
        self.run_pipeline(payload, b"+OK\r\n" * self.N)
        self.assertEqual(self.r.dbsize(), self.N)
        for i in (0, 1, 4242, 765432, self.N - 1):
            self.assertEqual(self.r.get("k:%d" % i), str(i).encode())

    def test_million_incrs_in_order(self):
        payload = b"*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n" * self.N
        expected = b"".join(b":%d\r\n" % i for i in range(1, self.N + 1))
        self.run_pipeline(payload, expected)
        self.assertEqual(self.r.get("ctr"), str(self.N).encode())


if __name__ == "__main__":
    unittest.main()
