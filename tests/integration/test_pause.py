"""CLIENT PAUSE and CLIENT UNPAUSE as a Redis user sees them: held commands
answer only when the pause ends, in order; WRITE holds writes only; UNPAUSE
ends a pause at once; active expiry waits too. Behaviour checked against
redis-server 7.0 (RINGKV_SERVER=/usr/bin/redis-server runs these tests too).
"""

import socket
import time
import unittest

import support
from test_protocol import resp


class PauseTest(support.ServerTestCase):
    def tearDown(self):
        self.r.execute_command("CLIENT", "UNPAUSE")
        super().tearDown()

    def sock(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        self.addCleanup(s.close)
        return s

    def send_and_time(self, s, payload, expected):
        """Sends payload, reads until `expected` bytes; returns (bytes, seconds)."""
        start = time.monotonic()
        s.sendall(payload)
        got = b""
        while len(got) < len(expected):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got, time.monotonic() - start

    def test_all_holds_every_command_until_the_timeout(self):
        self.r.set("k", "v")
        paused = time.monotonic()  # the pause's 1000 ms start after this
        self.assertTrue(self.r.execute_command("CLIENT", "PAUSE", "1000", "ALL"))
        s = self.sock()
        got, took = self.send_and_time(s, resp("GET", "k") + resp("PING"), b"$1\r\nv\r\n+PONG\r\n")
        self.assertEqual(got, b"$1\r\nv\r\n+PONG\r\n")
        self.assertGreater(time.monotonic() - paused, 0.99)
        self.assertLess(took, 5.0)

    def test_default_mode_is_all(self):
        paused = time.monotonic()
        self.r.execute_command("CLIENT", "PAUSE", "800")
        s = self.sock()
        got, _ = self.send_and_time(s, resp("PING"), b"+PONG\r\n")
        self.assertEqual(got, b"+PONG\r\n")
        self.assertGreater(time.monotonic() - paused, 0.79)

    def test_write_holds_writes_and_answers_reads(self):
        self.r.set("k", "old")
        paused = time.monotonic()
        self.r.execute_command("CLIENT", "PAUSE", "1000", "WRITE")
        reader = self.sock()
        got, took = self.send_and_time(reader, resp("GET", "k"), b"$3\r\nold\r\n")
        self.assertEqual(got, b"$3\r\nold\r\n")
        self.assertLess(took, 0.5)
        writer = self.sock()
        got, _ = self.send_and_time(writer, resp("SET", "k", "new"), b"+OK\r\n")
        self.assertEqual(got, b"+OK\r\n")
        self.assertGreater(time.monotonic() - paused, 0.99)
        self.assertEqual(self.r.get("k"), b"new")

    def test_pipeline_behind_a_held_write_keeps_its_order(self):
        self.r.set("k", "1")
        paused = time.monotonic()
        self.r.execute_command("CLIENT", "PAUSE", "800", "WRITE")
        s = self.sock()
        expected = b"$1\r\n1\r\n:2\r\n$1\r\n2\r\n"
        got, _ = self.send_and_time(s, resp("GET", "k") + resp("INCR", "k") + resp("GET", "k"),
                                    expected)
        self.assertEqual(got, expected)
        self.assertGreater(time.monotonic() - paused, 0.79)

    def test_unpause_releases_held_clients_at_once(self):
        self.r.execute_command("CLIENT", "PAUSE", "20000", "WRITE")
        s = self.sock()
        s.sendall(resp("SET", "k", "v"))
        time.sleep(0.3)
        s.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            s.recv(100)  # still held
        start = time.monotonic()
        self.assertTrue(self.r.execute_command("CLIENT", "UNPAUSE"))
        s.settimeout(5)
        self.assertEqual(s.recv(100), b"+OK\r\n")
        self.assertLess(time.monotonic() - start, 2.0)
        self.assertEqual(self.r.get("k"), b"v")

    def test_wrong_arity_is_answered_during_a_pause(self):
        self.r.execute_command("CLIENT", "PAUSE", "2000", "ALL")
        s = self.sock()
        expected = b"-ERR wrong number of arguments for 'get' command\r\n"
        got, took = self.send_and_time(s, resp("GET"), expected)
        self.assertEqual(got, expected)
        self.assertLess(took, 0.5)

    def test_transaction_with_writes_waits_at_exec(self):
        self.r.execute_command("CLIENT", "PAUSE", "800", "WRITE")
        s = self.sock()
        expected = b"+OK\r\n"
        got, took = self.send_and_time(s, resp("MULTI"), expected)
        self.assertEqual(got, expected)
        self.assertLess(took, 0.5)
        got, took = self.send_and_time(s, resp("GET", "k"), b"+QUEUED\r\n")
        self.assertLess(took, 0.5)
        expected = b"+QUEUED\r\n*2\r\n$-1\r\n+OK\r\n"
        got, took = self.send_and_time(s, resp("SET", "k", "v") + resp("EXEC"), expected)
        self.assertEqual(got, expected)
        self.assertGreater(took, 0.3)

    def test_a_held_client_that_disconnects_leaves_the_others_running(self):
        self.r.execute_command("CLIENT", "PAUSE", "700", "ALL")
        gone = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        gone.sendall(resp("SET", "a", "1"))
        time.sleep(0.1)
        gone.close()
        s = self.sock()
        got, _ = self.send_and_time(s, resp("SET", "b", "2"), b"+OK\r\n")
        self.assertEqual(got, b"+OK\r\n")
        self.assertEqual(self.r.get("b"), b"2")

    def test_held_clients_count_as_blocked(self):
        self.r.execute_command("CLIENT", "PAUSE", "20000", "WRITE")
        s = self.sock()
        s.sendall(resp("SET", "k", "v"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.r.info("clients")["blocked_clients"] == 0:
            time.sleep(0.02)
        self.assertEqual(self.r.info("clients")["blocked_clients"], 1)
        self.r.execute_command("CLIENT", "UNPAUSE")
        s.settimeout(5)
        self.assertEqual(s.recv(100), b"+OK\r\n")
        self.assertEqual(self.r.info("clients")["blocked_clients"], 0)

    def test_unauthenticated_commands_are_refused_at_once(self):
        self.r.config_set("requirepass", "secret")
        try:
            self.r.execute_command("AUTH", "secret")
            self.r.execute_command("CLIENT", "PAUSE", "2000", "ALL")
            s = self.sock()
            got, took = self.send_and_time(s, resp("GET", "k"), b"-NOAUTH Authentication required.\r\n")
            self.assertEqual(got, b"-NOAUTH Authentication required.\r\n")
            self.assertLess(took, 0.5)
        finally:
            self.r.execute_command("CLIENT", "UNPAUSE")
            self.r.config_set("requirepass", "")

    def test_writes_of_a_client_gone_while_held_are_dropped(self):
        self.r.execute_command("CLIENT", "PAUSE", "700", "WRITE")
        gone = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        gone.sendall(resp("SET", "dropped", "1"))
        time.sleep(0.1)
        gone.close()
        time.sleep(1.0)  # the pause ends meanwhile
        self.assertIsNone(self.r.get("dropped"))

    def test_active_expiry_waits_for_the_pause(self):
        self.r.set("gone", "x", px=500)
        self.r.execute_command("CLIENT", "PAUSE", "2500", "WRITE")
        time.sleep(1.0)
        probe = self.sock()
        got, _ = self.send_and_time(probe, resp("DBSIZE"), b":1\r\n")
        self.assertEqual(got, b":1\r\n")  # expired, but nothing deleted it yet
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.r.dbsize() != 0:
            time.sleep(0.05)
        self.assertEqual(self.r.dbsize(), 0)


if __name__ == "__main__":
    unittest.main()
