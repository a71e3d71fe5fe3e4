"""key-filter-bits: the in-memory filter of stored keys. A bulk load through
redis-cli --pipe, a clean restart (the filter is saved and read back), kill -9
(it is loaded by a scan of the stored keys in the background), and then
writes and reads of the same and of new keys:
DBSIZE and every value stay exact, and reads of absent keys skip LevelDB.
The cache is kept small, so that the keys are not simply all cached.
"""

import os
import shutil
import subprocess
import time
import unittest

import support

CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
N = 50000


def info(c):
    return c.info("storage")


def wait_loaded(c, timeout=60):
    support.wait_until(lambda: info(c).get("key_filter_loaded") == 1, timeout,
                       what="the key filter to be loaded")


def pipe_sets(port, keys, value):
    """SETs every key to value through redis-cli --pipe; returns its output."""
    parts = [b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(value), value)
             for k in keys]
    p = subprocess.run([CLI, "-p", str(port), "--pipe"], input=b"".join(parts),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return p.returncode, p.stdout.decode(errors="replace")


def key(i):
    return b"key:%d" % i


def run_log(s):
    """What this run of the server logged (not the runs before it)."""
    with open(s.log_path, "rb") as f:
        f.seek(getattr(s, "log_start", 0))
        return f.read().decode(errors="replace")


class KeyFilterTest(unittest.TestCase):
    def setUp(self):
        if support.IS_REDIS:
            self.skipTest("key-filter-bits is ringkv's own option")

    def start(self, args=(), data_dir=None):
        s = support.ServerProcess(["--cache-size", "1mb"] + list(args), data_dir=data_dir)
        self.addCleanup(s.cleanup)
        s.start()
        c = s.client()
        self.addCleanup(c.close)
        return s, c

    def restart(self, old, args=()):
        if getattr(old, "log", None):
            old.log.close()
            old.log = None
        try:
            at = os.path.getsize(old.log_path)
        except OSError:
            at = 0
        s, c = self.start(args, data_dir=old.dir)
        s.log_start = at  # the runs share one log file
        return s, c

    def load(self, s, c, keys, value):
        rc, out = pipe_sets(s.port, keys, value)
        self.assertEqual(rc, 0, out)
        self.assertIn("errors: 0, replies: %d" % len(keys), out)

    def check_values(self, c, keys, value):
        wrong = 0
        for at in range(0, len(keys), 1000):
            chunk = keys[at:at + 1000]
            wrong += sum(1 for got in c.mget(chunk) if got != value)
        self.assertEqual(wrong, 0, "%d of %d keys wrong" % (wrong, len(keys)))

    def absent_reads(self, c, count):
        """GETs count keys never written: all nil. Returns how many skipped LevelDB."""
        before = info(c)["key_filter_skipped_reads"]
        with c.pipeline(transaction=False) as p:
            for i in range(count):
                p.get(b"never:%d" % i)
            self.assertEqual(set(p.execute()), {None})
        return info(c)["key_filter_skipped_reads"] - before

    def test_bulk_load_restart_and_overwrite(self):
        s, c = self.start()
        wait_loaded(c)
        keys = [key(i) for i in range(N)]
        self.load(s, c, keys, b"first")
        self.assertEqual(c.dbsize(), N)
        st = info(c)
        self.assertGreaterEqual(st["key_filter_keys"], N)
        self.assertGreater(st["key_filter_bytes"], 0)
        self.assertGreaterEqual(self.absent_reads(c, 2000), 1900)

        c.close()
        s.stop()  # SIGTERM: a clean stop saves the filter
        self.assertIn("Key filter saved: %d keys" % N, run_log(s))
        s2, c2 = self.restart(s)
        # Read back from its file before the first client is served: no scan.
        self.assertEqual(info(c2)["key_filter_loaded"], 1)
        self.assertIn("Key filter read from keyfilter.rkf: %d keys" % N, run_log(s2))
        self.assertNotIn("Key filter loaded", run_log(s2))
        # Every stored key again, then new ones: only the new ones count.
        self.load(s2, c2, keys, b"second")
        self.assertEqual(c2.dbsize(), N)
        self.load(s2, c2, [key(i) for i in range(N, N + 5000)], b"third")
        self.assertEqual(c2.dbsize(), N + 5000)
        self.check_values(c2, keys, b"second")
        self.check_values(c2, [key(i) for i in range(N, N + 5000)], b"third")
        self.assertGreaterEqual(self.absent_reads(c2, 2000), 1900)
        # Deleted keys are gone, and come back as new keys.
        self.assertEqual(c2.delete(*keys[:1000]), 1000)
        self.assertEqual(c2.mget(keys[:1000]), [None] * 1000)
        self.load(s2, c2, keys[:2000], b"fourth")
        self.assertEqual(c2.dbsize(), N + 5000)

    def test_kill9_then_overwrite(self):
        """A clean stop saves the filter; the run that reads it back writes
        new keys and is killed: the next start must not trust the saved
        filter (it lacks them) and loads one by a scan."""
        args = ["--appendfsync", "always"]
        s, c = self.start(args)
        keys = [key(i) for i in range(N)]
        self.load(s, c, keys[:N - 5000], b"first")
        c.close()
        s.stop()
        s, c = self.restart(s, args)
        self.assertIn("Key filter read from keyfilter.rkf", run_log(s))
        self.load(s, c, keys[N - 5000:], b"first")
        self.assertEqual(c.dbsize(), N)
        c.close()
        s.kill()
        s2, c2 = self.restart(s, args)
        self.assertNotIn("Key filter read from", run_log(s2))
        # Writes while the filter may still be loading, then after it.
        self.load(s2, c2, keys[:N // 2], b"second")
        wait_loaded(c2)
        self.load(s2, c2, keys[N // 2:], b"second")
        self.assertEqual(c2.dbsize(), N)
        self.check_values(c2, keys, b"second")
        # The cron logs the scan's end, within a tick.
        line = "Key filter loaded: %d keys" % N
        deadline = time.time() + 10
        while line not in run_log(s2) and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn(line, run_log(s2))

    def delete_all(self, c, keys):
        for at in range(0, len(keys), 1000):
            self.assertEqual(c.delete(*keys[at:at + 1000]), len(keys[at:at + 1000]))

    def test_rebuilt_once_deleted_keys_pass_the_slack(self):
        # Direct commits (no journal): LevelDB holds every DEL once its turn
        # ends, so what the new filter holds does not depend on when
        # write-behind flushes ran. (Keys journaled and not yet in LevelDB
        # are added to a rebuilt filter: the storage unit test "a filter
        # grown by deleted keys is rebuilt, keeping keys not yet on disk".)
        s, c = self.start(["--key-filter-rebuild-slack", "1000", "--write-behind-ms", "0"])
        self.assertEqual(c.config_get("key-filter-rebuild-slack"),
                         {"key-filter-rebuild-slack": "1000"})
        wait_loaded(c)
        keys = [key(i) for i in range(5000)]
        self.load(s, c, keys, b"v")
        self.assertEqual(info(c)["key_filter_keys"], 5000)
        # 5000 keys held, fewer than 2000 stored after the fourth DEL of
        # 1000: over twice that plus 1000, so the next background step loads
        # a new filter from what LevelDB holds then.
        self.delete_all(c, keys)
        def rebuilt():
            st = info(c)
            return st if (st["key_filter_rebuilds"], st["key_filter_loaded"]) == (1, 1) else None

        st = support.wait_until(rebuilt, 10, what="the key filter rebuilt and loaded")
        # It ran after the fourth or the fifth DEL: it holds at most the
        # fifth's 1000 keys; the other deleted keys are gone.
        self.assertLessEqual(st["key_filter_keys"], 1000, st)
        self.assertGreaterEqual(self.absent_reads(c, 100), 99)
        self.assertEqual(c.dbsize(), 0)
        self.load(s, c, keys[:100], b"w")
        self.check_values(c, keys[:100], b"w")

        # The default slack (1M) leaves the same filter alone.
        s2, c2 = self.start()
        self.assertEqual(c2.config_get("key-filter-rebuild-slack"),
                         {"key-filter-rebuild-slack": "1048576"})
        wait_loaded(c2)
        self.load(s2, c2, keys, b"v")
        self.delete_all(c2, keys)
        time.sleep(0.5)  # five background steps at hz 10
        st = info(c2)
        self.assertEqual((st["key_filter_rebuilds"], st["key_filter_keys"]), (0, 5000), st)

    def test_off(self):
        s, c = self.start(["--key-filter-bits", "0"])
        self.assertEqual(c.config_get("key-filter-bits"), {"key-filter-bits": "0"})
        keys = [key(i) for i in range(5000)]
        self.load(s, c, keys, b"v")
        self.load(s, c, keys, b"w")
        self.assertEqual(c.dbsize(), 5000)
        self.check_values(c, keys, b"w")
        st = info(c)
        self.assertEqual((st["key_filter_loaded"], st["key_filter_bytes"]), (0, 0))
        self.assertEqual(self.absent_reads(c, 100), 0)


if __name__ == "__main__":
    unittest.main()
