"""MONITOR as a Redis user watches traffic: redis-py's Monitor and
`redis-cli monitor` see every command other clients run, in order, with
binary-safe quoting and passwords redacted, not admin commands (CONFIG ...)
nor ones refused before running; commands of a transaction appear when EXEC
runs them. The monitoring connection may ping but not touch keys, and RESET
ends monitoring. Expected texts were checked against redis-server 7.0
(RINGKV_SERVER=/usr/bin/redis-server runs the same tests on it).
"""

import os
import re
import socket
import subprocess
import time
import unittest

import redis

import support
from test_protocol import Conn, resp

LINE = re.compile(rb'^\+(\d+)\.(\d{6}) \[0 127\.0\.0\.1:(\d+)\] (.*)$')


class MonitorTest(support.ServerTestCase):
    def monitor_conn(self):
        m = Conn(self.server.port)
        self.addCleanup(m.close)
        self.assertEqual(m.call_raw(resp("MONITOR")), b"+OK\r\n")
        return m

    def lines(self, m, n):
        """The next `n` monitor lines (each a simple string), without CRLF."""
        return [m.read_raw()[:-2] for _ in range(n)]

    def assert_quiet(self, m, seconds=0.3):
        m.timeout = seconds
        with self.assertRaises((AssertionError, TimeoutError), msg="a monitor line arrived"):
            m.read_raw()

    def test_redis_py_monitor_sees_commands_in_order(self):
        c = self.server.client()
        c.ping()
        with self.server.client().monitor() as m:
            c.set(b"k", b"v")
            c.get(b"k")
            c.incr(b"n")
            seen = [m.next_command() for _ in range(3)]
        self.assertEqual([s["command"] for s in seen], ["SET k v", "GET k", "INCRBY n 1"])
        self.assertTrue(all(s["db"] == 0 for s in seen))
        self.assertTrue(all(s["client_address"] == "127.0.0.1" for s in seen))
        self.assertEqual(len({s["client_port"] for s in seen}), 1)  # one connection
        now = time.time()
        self.assertTrue(all(abs(s["time"] - now) < 30 for s in seen), seen)
        self.assertTrue(seen[0]["time"] <= seen[1]["time"] <= seen[2]["time"])

    def test_quoting_redaction_and_what_is_left_out(self):
        m = self.monitor_conn()
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        for cmd in [("SET", b"bin", b'a\x00\xff"\\\n\r\t\x07\x08 \x7f\xe2\x82\xac'),
                    ("AUTH", "secret"), ("HELLO", "2", "AUTH", "default", "secret"),
                    ("CONFIG", "GET", "port"), ("GET",), ("NOSUCHCOMMAND", "x"),
                    ("CLIENT", "NOSUCHSUB"), ("CLIENT", "SETNAME"), ("CLIENT", "KILL", "ID", "0"),
                    ("CLIENT", "SETNAME", "nm"), ("ECHO", "done")]:
            c.call_raw(resp(*cmd))
        got = [LINE.match(line).group(4) for line in self.lines(m, 5)]
        self.assertEqual(got, [
            b'"SET" "bin" "a\\x00\\xff\\"\\\\\\n\\r\\t\\a\\b \\x7f\\xe2\\x82\\xac"',
            b'"AUTH" "(redacted)"',
            b'"HELLO" "2" "AUTH" "(redacted)" "(redacted)"',
            b'"CLIENT" "SETNAME" "nm"',
            b'"ECHO" "done"',
        ])

    def test_another_clients_quit_is_shown(self):
        m = self.monitor_conn()
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call_raw(resp("QUIT")), b"+OK\r\n")
        self.assertEqual(LINE.match(self.lines(m, 1)[0]).group(4), b'"QUIT"')

    def test_transaction_commands_appear_when_exec_runs_them(self):
        m = self.monitor_conn()
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        c.call_raw(resp("MULTI"))
        c.call_raw(resp("SET", "a", "1"))
        c.call_raw(resp("INCR", "a"))
        self.assertEqual(c.call_raw(resp("EXEC")), b"*2\r\n+OK\r\n:2\r\n")
        got = [LINE.match(line).group(4) for line in self.lines(m, 4)]
        self.assertEqual(got, [b'"MULTI"', b'"SET" "a" "1"', b'"INCR" "a"', b'"EXEC"'])

    def test_monitoring_connection_pings_but_does_not_touch_keys_until_reset(self):
        m = self.monitor_conn()
        self.assertEqual(m.call_raw(resp("PING")), b"+PONG\r\n")
        self.assertTrue(LINE.match(m.read_raw()[:-2]).group(4) == b'"PING"')
        self.assertEqual(m.call_raw(resp("GET", "k")),
                         b"-ERR Replica can't interact with the keyspace\r\n")
        # A subcommand that reads keys is refused too (the subcommand's flags).
        self.assertEqual(m.call_raw(resp("OBJECT", "ENCODING", "k")),
                         b"-ERR Replica can't interact with the keyspace\r\n")
        self.assertEqual(m.call_raw(resp("RESET")), b"+RESET\r\n")
        self.assertEqual(m.call_raw(resp("GET", "k")), b"$-1\r\n")
        # Not monitoring any more: other clients' commands no longer arrive.
        self.server.client().set(b"after", b"1")
        self.assert_quiet(m)

    def test_monitor_inside_exec_is_refused(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        c.call_raw(resp("MULTI"))
        c.call_raw(resp("MONITOR"))
        self.assertEqual(c.call_raw(resp("EXEC")),
                         b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n")

    def test_client_list_shows_the_monitor_flag(self):
        self.monitor_conn()
        listing = self.server.client().client_list()
        self.assertIn("O", [cl["flags"] for cl in listing])

    def test_redis_cli_monitor(self):
        proc = subprocess.Popen(["redis-cli", "-p", str(self.server.port), "monitor"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait(),
                                 proc.stdout.close()))
        c = self.server.client()
        deadline = time.time() + 5
        # redis-cli connects in its own time: wait until it is monitoring.
        while time.time() < deadline and not any("O" in cl["flags"] for cl in c.client_list()):
            time.sleep(0.05)
        c.set(b"from-test", b"42")
        c.ping()
        out = b""
        os.set_blocking(proc.stdout.fileno(), False)
        while time.time() < deadline and b'"PING"' not in out:
            chunk = proc.stdout.read()
            if chunk:
                out += chunk
            else:
                time.sleep(0.05)
        self.assertIn(b'"SET" "from-test" "42"', out)
        self.assertRegex(out, rb'\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "from-test" "42"')


class MonitorConfigTest(unittest.TestCase):
    """Servers started with their own options."""

    def start(self, *args):
        s = support.ServerProcess(args)
        self.addCleanup(s.cleanup)
        s.start()
        return s

    def test_renamed_auth_is_still_redacted(self):
        s = self.start("--rename-command", "AUTH", "xauth", "--rename-command", "HELLO", "xhello")
        m = Conn(s.port)
        self.addCleanup(m.close)
        self.assertEqual(m.call_raw(resp("MONITOR")), b"+OK\r\n")
        c = Conn(s.port)
        self.addCleanup(c.close)
        c.call_raw(resp("xauth", "s3cret"))
        c.call_raw(resp("xhello", "2", "AUTH", "default", "s3cret"))
        got = [LINE.match(m.read_raw()[:-2]).group(4) for _ in range(2)]
        self.assertEqual(got, [b'"xauth" "(redacted)"',
                               b'"xhello" "2" "AUTH" "(redacted)" "(redacted)"'])

    def test_idle_timeout_spares_a_monitor(self):
        s = self.start("--timeout", "1")
        m = Conn(s.port)
        self.addCleanup(m.close)
        self.assertEqual(m.call_raw(resp("MONITOR")), b"+OK\r\n")
        idle = Conn(s.port)
        self.addCleanup(idle.close)
        self.assertEqual(idle.call_raw(resp("PING")), b"+PONG\r\n")
        m.read_raw()  # the PING's line
        time.sleep(3.0)  # the timeout is checked about ten times a second
        with self.assertRaises((AssertionError, ConnectionError, OSError)):
            idle.call_raw(resp("PING"))  # closed as idle
        c = s.client()
        c.set(b"still", b"watching")
        self.assertIn(b'"SET" "still" "watching"', m.read_raw())

    def test_client_kill_drops_a_monitor_that_stopped_reading(self):
        s = self.start()
        m = socket.create_connection(("127.0.0.1", s.port))
        m.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.addCleanup(m.close)
        m.sendall(resp("MONITOR"))
        c = s.client()
        deadline = time.time() + 5
        while time.time() < deadline and not any("O" in cl["flags"] for cl in c.client_list()):
            time.sleep(0.05)
        mon_id = next(cl["id"] for cl in c.client_list() if "O" in cl["flags"])
        p = c.pipeline(transaction=False)
        for i in range(2000):  # about 20 MB of lines the monitor never reads
            p.set(b"big:%d" % i, b"x" * 10000)
        p.execute()
        self.assertEqual(c.client_kill_filter(_id=mon_id), 1)
        wait = time.time() + 5
        while time.time() < wait and any(cl["id"] == mon_id for cl in c.client_list()):
            time.sleep(0.05)
        self.assertFalse(any(cl["id"] == mon_id for cl in c.client_list()),
                         "the killed monitor is still connected")


if __name__ == "__main__":
    unittest.main()
