"""The stock Redis tools against the server: redis-cli one-shot and
interactive, redis-cli --pipe for bulk loading, --scan, --stat, and
redis-benchmark. Every subprocess runs under a timeout.
"""

import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time
import unittest

import support

CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
BENCH = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"


class ToolCase(support.ServerTestCase):
    def cli(self, *args, input=None, timeout=30):
        p = subprocess.run([CLI, "-p", str(self.server.port)] + list(args), input=input,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stdout, p.stderr


class RedisCliTest(ToolCase):
    def test_set_get(self):
        rc, out, err = self.cli("SET", "a", "b")
        self.assertEqual((rc, out, err), (0, b"OK\n", b""))
        rc, out, err = self.cli("GET", "a")
        self.assertEqual((rc, out, err), (0, b"b\n", b""))
        self.assertEqual(self.r.get("a"), b"b")

    def test_missing_key_and_integers(self):
        self.assertEqual(self.cli("GET", "nokey")[1], b"\n")
        self.assertEqual(self.cli("INCR", "n")[1], b"1\n")
        self.assertEqual(self.cli("INCRBY", "n", "41")[1], b"42\n")

    def test_no_raw_formatting(self):
        self.r.set("q", "hello")
        self.assertEqual(self.cli("--no-raw", "GET", "q")[1], b'"hello"\n')
        self.assertEqual(self.cli("--no-raw", "GET", "missing")[1], b"(nil)\n")
        self.assertEqual(self.cli("--no-raw", "INCR", "i")[1], b"(integer) 1\n")

    def test_error_reply(self):
        rc, out, err = self.cli("--no-raw", "NOSUCHCMD", "x")
        self.assertIn(b"(error) ERR unknown command 'NOSUCHCMD'", out + err)

    def test_value_from_stdin(self):
        value = b"line1\nline2\x00bin"
        rc, out, _ = self.cli("-x", "SET", "fromstdin", input=value)
        self.assertEqual((rc, out), (0, b"OK\n"))
        self.assertEqual(self.r.get("fromstdin"), value)

    def test_repeat(self):
        rc, out, _ = self.cli("-r", "50", "INCR", "rep")
        self.assertEqual(rc, 0)
        self.assertEqual(out.split(), [str(i).encode() for i in range(1, 51)])
        self.assertEqual(self.r.get("rep"), b"50")

    def test_commands_from_stdin(self):
        rc, out, _ = self.cli(input=b"SET s1 v1\nGET s1\nDBSIZE\n")
        self.assertEqual(rc, 0)
        self.assertEqual(out, b"OK\nv1\n1\n")

    def test_resp3_mode(self):
        rc, out, err = self.cli("-3", "--no-raw", "GET", "missing")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, b"(nil)\n")

    def test_info_and_config(self):
        rc, out, _ = self.cli("INFO", "server")
        self.assertEqual(rc, 0)
        self.assertIn(b"redis_version:7.", out)
        rc, out, _ = self.cli("CONFIG", "GET", "timeout")
        self.assertEqual(out, b"timeout\n0\n")

    def test_scan(self):
        with self.r.pipeline(transaction=False) as p:
            for i in range(300):
                p.set("scan:%d" % i, i)
            for i in range(50):
                p.set("other:%d" % i, i)
            p.execute()
        rc, out, _ = self.cli("--scan", "--pattern", "scan:*", timeout=60)
        self.assertEqual(rc, 0)
        keys = out.split()
        self.assertEqual(set(keys), {b"scan:%d" % i for i in range(300)})

    def test_ping_via_cli_with_wrong_port_fails(self):
        port = support.free_port()
        p = subprocess.run([CLI, "-p", str(port), "PING"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        self.assertIn(b"Could not connect", p.stdout + p.stderr)


class InteractiveCliTest(ToolCase):
    def run_interactive(self, lines, timeout=20):
        """Runs redis-cli on a pseudo-terminal, types `lines`, returns the screen text."""
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.environ["TERM"] = "dumb"
                os.environ["HOME"] = tempfile.gettempdir()   # no ~/.redisclirc surprises
                os.environ["REDISCLI_HISTFILE"] = "/dev/null"
                os.execv(CLI, [CLI, "-p", str(self.server.port)])
            finally:
                os._exit(127)
        out = b""
        deadline = time.time() + timeout

        def read_for(seconds, until=None):
            nonlocal out
            end = min(deadline, time.time() + seconds)
            start = len(out)
            while time.time() < end:
                r, _, _ = select.select([fd], [], [], 0.05)
                if r:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        return False
                    if not chunk:
                        return False
                    out += chunk
                    if until is not None and until in out[start:]:
                        return True
            return True

        try:
            read_for(3, until=b"> ")   # the prompt
            for line in lines:
                os.write(fd, line.encode() + b"\r")
                read_for(2, until=None if line.lower() == "quit" else b"> ")
            read_for(3)
        finally:
            status = None
            try:
                wait_until = time.time() + 5
                while time.time() < wait_until:
                    done, st = os.waitpid(pid, os.WNOHANG)
                    if done:
                        status = st
                        break
                    time.sleep(0.02)
                else:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
            finally:
                os.close(fd)
        return out, status

    def test_ping_then_quit(self):
        out, status = self.run_interactive(["PING", "SET inter active", "GET inter", "quit"])
        text = out.decode(errors="replace")
        self.assertIn("PONG", text)
        self.assertIn("active", text)
        self.assertNotIn("ERR", text)
        self.assertNotIn("Could not connect", text)
        self.assertRegex(text, r"127\.0\.0\.1:%d> " % self.server.port)
        self.assertIsNotNone(status, "redis-cli did not exit after quit")
        self.assertTrue(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status)
        self.assertEqual(self.r.get("inter"), b"active")

    def test_help_shows_arguments_from_command_docs(self):
        # redis-cli builds `help` (and its typing hints) from COMMAND DOCS.
        out, _ = self.run_interactive(["help set", "help mset", "help getex", "quit"])
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode(errors="replace"))
        self.assertIn("SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT "
                      "unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]", text)
        self.assertIn("MSET key value [key value ...]", text)
        self.assertIn("GETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT "
                      "unix-time-milliseconds|PERSIST]", text)


class PipeTest(ToolCase):
    N = 100000

    def test_pipe_100k_sets(self):
        parts = []
        for i in range(self.N):
            k, v = b"key:%d" % i, b"value:%d" % i
            parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
        rc, out, err = self.cli("--pipe", input=b"".join(parts), timeout=120)
        text = (out + err).decode(errors="replace")
        self.assertEqual(rc, 0, text)
        self.assertIn("errors: 0, replies: %d" % self.N, text)
        self.assertEqual(self.r.dbsize(), self.N)
        self.assertEqual(self.r.get("key:0"), b"value:0")
        self.assertEqual(self.r.get("key:%d" % (self.N - 1)), b"value:%d" % (self.N - 1))
        self.assertEqual(self.r.mget("key:500", "key:77777"), [b"value:500", b"value:77777"])

    def test_pipe_counts_errors(self):
        payload = b"SET a 1\r\nINCR a\r\nNOSUCH x\r\nINCR a extra\r\nGET a\r\n"
        rc, out, err = self.cli("--pipe", input=payload, timeout=60)
        text = (out + err).decode(errors="replace")
        self.assertIn("errors: 2, replies: 5", text)
        self.assertEqual(self.r.get("a"), b"2")


class StatTest(ToolCase):
    def test_stat_prints_rows(self):
        self.r.set("one", "1")
        # stdbuf: redis-cli block-buffers a pipe, and we stop it before it would flush.
        p = subprocess.Popen(["stdbuf", "-oL", CLI, "-p", str(self.server.port), "--stat", "-i", "0.2"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out = b""
            deadline = time.time() + 10
            while time.time() < deadline and out.count(b"\n") < 5:
                r, _, _ = select.select([p.stdout], [], [], 0.2)
                if r:
                    chunk = os.read(p.stdout.fileno(), 65536)
                    if not chunk:
                        break
                    out += chunk
        finally:
            p.kill()
            p.wait(timeout=10)
            p.stdout.close()
        text = out.decode(errors="replace")
        self.assertIn("keys", text)
        self.assertIn("clients", text)
        self.assertNotIn("ERR", text)
        # A data row: keys, mem, clients, ...
        rows = re.findall(r"(?m)^1\s+\S+\s+(\d+)\s+(\d+)\s+(\d+) \(\+\d+\)\s+(\d+)", text)
        self.assertGreaterEqual(len(rows), 2, text)
        requests = [int(r[2]) for r in rows]
        self.assertEqual(requests, sorted(requests))
        self.assertGreater(requests[-1], requests[0])


class BenchmarkTest(ToolCase):
    def test_string_benchmarks(self):
        p = subprocess.run([BENCH, "-q", "-p", str(self.server.port), "-t", "ping,set,get,incr,mset",
                            "-n", "20000", "-c", "20"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        text = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, text)
        # -q rewrites progress lines with \r; the final figure follows the last \r.
        finals = [seg.strip() for line in text.split("\n") for seg in line.split("\r")[-1:] if seg.strip()]
        for name in ("PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"):
            row = [l for l in finals if l.startswith(name + ":")]
            self.assertEqual(len(row), 1, "no result for %s in:\n%s" % (name, text))
            self.assertRegex(row[0], r"[\d.]+ requests per second")
        for bad in ("ERR", "Error", "error", "WARNING"):
            self.assertNotIn(bad, text)
        self.assertGreater(self.r.dbsize(), 0)

    def test_benchmark_with_pipelining(self):
        p = subprocess.run([BENCH, "-q", "-p", str(self.server.port), "-t", "set,get", "-n", "20000",
                            "-P", "16"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        text = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, text)
        self.assertEqual(len(re.findall(r"(?m)(^|\r)(SET|GET): [\d.]+ requests per second", text)), 2, text)
        self.assertNotIn("ERR", text)


class CostScriptTest(unittest.TestCase):
    """scripts/cost counts instructions per request under callgrind. Run
    with redis-server on both sides, the two counts of a workload must come
    out nearly equal: the same server does the same work."""

    def test_redis_against_redis_counts_the_same(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "scripts", "cost")
        redis_bin = shutil.which("redis-server") or "/usr/bin/redis-server"
        p = subprocess.run(["/usr/bin/python3", script, "--ringkv-bin", redis_bin, "--only", "^GET$",
                            "-n", "2000", "-c", "10"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        text = p.stdout.decode(errors="replace")
        self.assertEqual(p.returncode, 0, text)
        rows = re.findall(r"(?m)^GET +(\d+) +(\d+) +([\d.]+)$", text)
        self.assertEqual(len(rows), 1, text)
        ringkv, redis, ratio = int(rows[0][0]), int(rows[0][1]), float(rows[0][2])
        # A GET is some thousands of instructions (parsing, lookup, reply):
        # a count of a few or of millions means the counters were not reset
        # or not dumped around the measured run.
        self.assertGreater(redis, 500, text)
        self.assertLess(redis, 200000, text)
        self.assertAlmostEqual(ratio, 1.0, delta=0.15, msg=text)
        self.assertAlmostEqual(ringkv / redis, ratio, delta=0.01, msg=text)


if __name__ == "__main__":
    unittest.main()
