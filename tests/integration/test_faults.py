"""Storage faults: a data directory that cannot be used stops start-up with a
clear log line and a non-zero exit code, a disk that fills up at run time
never leads to an acknowledged write that is not stored, and `appendfsync
always` loses no acknowledged write when the process is killed while many
clients share each commit (group commit).

We run as root, where permission bits stop nothing, so "not writable" is made
with things that stop root too: a path under a regular file, a read-only
mount, and a small tmpfs that fills up. The tmpfs tests mount their own
tmpfs (skipped, with the reason, where mounting is not permitted) and always
unmount it. The server's log goes outside the faulty directory so that the
messages about the fault can be read.

ringkv-specific (LevelDB files, MISCONF after a failed write, INFO Storage):
the reference redis-server run skips this file.
"""

import os
import shutil
import signal
import socket
import threading
import time
import unittest

import redis

import support
from faults_support import CONNECT_ERRORS, MISCONF, FaultCase, TmpfsCase, value_for


class BadDirTest(FaultCase):
    def test_dir_under_a_regular_file(self):
        base = self.tmpdir()
        afile = os.path.join(base, "afile")
        with open(afile, "wb") as f:
            f.write(b"not a directory\n")
        data_dir = os.path.join(afile, "data")
        s = self.server(data_dir)
        rc, elapsed, log = self.expect_startup_failure(s)
        self.assertLess(elapsed, 5.0, "took %.1fs to give up" % elapsed)
        self.assertIn(data_dir, log)
        self.assertIn("not a directory", log.lower(), log)
        with open(afile, "rb") as f:
            self.assertEqual(f.read(), b"not a directory\n", "the file in the way was changed")


class CorruptDirTest(FaultCase):
    """A data dir whose LevelDB metadata is damaged must stop start-up, never
    come up with an empty (or partial) keyspace, and must not be damaged
    further: restoring the damaged file gives every key back."""

    def populated_dir(self):
        """A data dir with keys both in a LevelDB table (written when the
        second start-up replayed the log) and in the current log."""
        data_dir = os.path.join(self.tmpdir(), "data")
        s = self.server(data_dir)
        expected = {}
        s.start()
        c = s.client()
        with c.pipeline(transaction=False) as p:
            for i in range(500):
                expected[b"old:%d" % i] = value_for(b"old", i)
                p.set(b"old:%d" % i, expected[b"old:%d" % i])
            self.assertTrue(all(p.execute()))
        c.close()
        s.stop()
        self.restart(s)
        c = s.client()
        with c.pipeline(transaction=False) as p:
            for i in range(100):
                expected[b"new:%d" % i] = value_for(b"new", i)
                p.set(b"new:%d" % i, expected[b"new:%d" % i])
            self.assertTrue(all(p.execute()))
        c.close()
        s.stop()
        self.assertTrue([f for f in os.listdir(data_dir) if f.endswith(".ldb")],
                        "expected a LevelDB table: %s" % os.listdir(data_dir))
        return data_dir, expected

    def manifest(self, data_dir):
        with open(os.path.join(data_dir, "CURRENT"), "rb") as f:
            return os.path.join(data_dir, f.read().decode().strip())

    def corrupt_and_start(self, damage):
        """damage(data_dir) -> list of paths it changed (backed up first)."""
        data_dir, expected = self.populated_dir()
        backup = self.tmpdir()
        shutil.copytree(data_dir, os.path.join(backup, "data"))
        changed = damage(data_dir)
        s = self.server(data_dir)
        rc, elapsed, log = self.expect_startup_failure(s, expected=expected)
        self.assertLess(elapsed, 5.0)
        self.assertIn(data_dir, log)
        self.assertTrue(any(w in log.lower() for w in ("corrupt", "current", "manifest")),
                        "the log does not say what is wrong:\n" + log)
        # The refused start-up must not have made things worse.
        for path in changed:
            shutil.copy2(os.path.join(backup, "data", os.path.basename(path)), path)
        s.stop()
        s2 = self.server(data_dir).start()
        c = self.client(s2)
        self.assertEqual(c.dbsize(), len(expected))
        self.check_values(c, expected, "after repairing the damaged file")

    def test_current_overwritten_with_garbage(self):
        def damage(d):
            with open(os.path.join(d, "CURRENT"), "wb") as f:
                f.write(b"\x8f\x00garbage\xff" * 8)
            return [os.path.join(d, "CURRENT")]
        self.corrupt_and_start(damage)

    def test_current_names_a_missing_manifest(self):
        def damage(d):
            with open(os.path.join(d, "CURRENT"), "wb") as f:
                f.write(b"MANIFEST-999999\n")
            return [os.path.join(d, "CURRENT")]
        self.corrupt_and_start(damage)

    def test_manifest_overwritten_with_garbage(self):
        def damage(d):
            m = self.manifest(d)
            size = os.path.getsize(m)
            with open(m, "wb") as f:
                f.write(bytes((i * 7 + 13) % 256 for i in range(max(size, 128))))
            return [m]
        self.corrupt_and_start(damage)

    def test_current_missing(self):
        # A dir holding LevelDB tables and logs but no CURRENT is a damaged
        # database, not an empty directory to create a new one in.
        def damage(d):
            os.remove(os.path.join(d, "CURRENT"))
            return [os.path.join(d, "CURRENT")]
        self.corrupt_and_start(damage)


class NotWritableAtStartupTest(TmpfsCase):
    def test_read_only_mount(self):
        mnt = self.mount_tmpfs()
        data_dir = os.path.join(mnt, "data")
        expected = self.populate(data_dir)
        self.remount(mnt, "ro")
        for d in (data_dir, os.path.join(mnt, "never-created")):
            with self.subTest(dir=d):
                s = self.server(d)
                rc, elapsed, log = self.expect_startup_failure(s)
                self.assertLess(elapsed, 5.0)
                self.assertIn(d, log)
                self.assertIn("read-only file system", log.lower(), log)
        self.remount(mnt, "rw")
        c = self.client(self.server(data_dir).start())
        self.check_values(c, expected, "after remounting read-write")

    def test_full_disk(self):
        mnt = self.mount_tmpfs()
        data_dir = os.path.join(mnt, "data")
        expected = self.populate(data_dir)
        filler = self.fill(mnt)
        for d in (data_dir, os.path.join(mnt, "new")):
            with self.subTest(dir=d):
                s = self.server(d)
                rc, elapsed, log = self.expect_startup_failure(s)
                self.assertLess(elapsed, 5.0)
                self.assertIn(d, log)
                self.assertIn("no space left on device", log.lower(), log)
        os.remove(filler)
        c = self.client(self.server(data_dir).start())
        self.check_values(c, expected, "after freeing the disk")
        self.assertTrue(c.set(b"after", b"freed"))


class FullDiskWriter(threading.Thread):
    """SETs prefix:0.. with 4 KB values, one at a time, until its first
    failure; records what was acknowledged and how the failure looked."""

    def __init__(self, port, prefix, budget, deadline):
        super().__init__(daemon=True)
        self.port, self.prefix, self.budget, self.deadline = port, prefix, budget, deadline
        self.acked = {}
        self.failure = None  # ("closed" | "misconf" | "other", detail, key)
        self.stop = threading.Event()

    def run(self):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10, socket_connect_timeout=5)
        try:
            for i in range(self.budget):
                if time.time() > self.deadline or self.stop.is_set():
                    return
                k = b"%s:%d" % (self.prefix, i)
                v = value_for(self.prefix, i, 4096)
                try:
                    r = c.set(k, v)
                except redis.exceptions.ResponseError as e:
                    kind = "misconf" if str(e).startswith(MISCONF) else "other"
                    self.failure = (kind, str(e), k)
                    return
                except redis.exceptions.TimeoutError as e:
                    self.failure = ("other", "timeout: %r" % e, k)
                    return
                except CONNECT_ERRORS as e:
                    self.failure = ("closed", repr(e), k)
                    return
                if r is not True:
                    self.failure = ("other", "reply %r" % (r,), k)
                    return
                self.acked[k] = v
        finally:
            c.close()


class FullDiskAtRuntimeTest(TmpfsCase):
    WRITERS = 4
    MAX_WRITES = 5000
    LIMIT_S = 30.0

    def test_disk_fills_up_under_appendfsync_always(self):
        mnt = self.mount_tmpfs("2m")
        data_dir = os.path.join(mnt, "data")
        s = self.server(data_dir, ("--appendfsync", "always")).start()
        deadline = time.time() + self.LIMIT_S
        writers = [FullDiskWriter(s.port, b"w%d" % n, self.MAX_WRITES // self.WRITERS, deadline)
                   for n in range(self.WRITERS)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(self.LIMIT_S + 15)
        for w in writers:
            w.stop.set()
            self.assertFalse(w.is_alive(), "writer hung")
        acked = {}
        for w in writers:
            acked.update(w.acked)
        failures = [w.failure for w in writers if w.failure]
        self.assertTrue(failures, "the disk never filled: %d writes acknowledged" % len(acked))
        self.assertGreater(len(acked), 0)
        # A failing write gets a closed connection (its turn's commit failed)
        # or MISCONF (it came after), nothing else; and the first failure
        # closes connections (MISCONF alone would mean an error was skipped).
        self.assertEqual([f for f in failures if f[0] == "other"], [], failures)
        self.assertIn("closed", [f[0] for f in failures], failures)

        # The server stays up, says why, refuses writes, serves reads.
        self.assertIsNone(s.proc.poll(), "server died:\n" + s.read_log())
        log = s.read_log()
        self.assertIn("Storage write failed", log)
        self.assertIn("no space left on device", log.lower())
        self.assertIn(data_dir, log)
        c = self.client(s)
        self.assertTrue(c.ping())
        some_key = next(iter(acked))
        for cmd in (("SET", b"new-key", b"v"), ("INCR", b"counter"), ("DEL", some_key),
                    ("APPEND", some_key, b"more"), ("EXPIRE", some_key, 100)):
            with self.subTest(cmd=cmd[0]):
                with self.assertRaises(redis.exceptions.ResponseError) as cm:
                    c.execute_command(*cmd)
                self.assertTrue(str(cm.exception).startswith(MISCONF), str(cm.exception))
        self.assertEqual(c.ttl(some_key), -1)
        self.assertIsNone(c.get(b"new-key"))
        self.check_values(c, acked, "while the disk is full")
        self.assertGreaterEqual(int(c.info("stats")["storage_errors"]), 1)

        # kill -9, more room, same dir: every acknowledged write is there.
        s.kill(signal.SIGKILL)
        self.remount(mnt, "size=64m")
        self.restart(s)
        c2 = self.client(s)
        self.check_values(c2, acked, "after kill -9 and restart with room")
        self.assertTrue(c2.set(b"after-restart", b"writable again"))
        self.assertEqual(c2.get(b"after-restart"), b"writable again")


class HotKeyFullDiskWriter(threading.Thread):
    """SETs one key, prefix:hot, to step i's 4 KB value, step after step,
    until its first failure; keeps the last acknowledged step and how the
    failure looked."""

    def __init__(self, port, prefix, deadline):
        super().__init__(daemon=True)
        self.port, self.prefix, self.deadline = port, prefix, deadline
        self.last_acked = -1
        self.failure = None  # ("closed" | "misconf" | "other", detail)
        self.stop = threading.Event()

    def run(self):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10, socket_connect_timeout=5)
        try:
            i = 0
            while time.time() < self.deadline and not self.stop.is_set():
                try:
                    r = c.set(b"%s:hot" % self.prefix, value_for(self.prefix, i, 4096))
                except redis.exceptions.ResponseError as e:
                    self.failure = ("misconf" if str(e).startswith(MISCONF) else "other", str(e))
                    return
                except CONNECT_ERRORS as e:
                    self.failure = ("closed", repr(e))
                    return
                if r is not True:
                    self.failure = ("other", "reply %r" % (r,))
                    return
                self.last_acked = i
                i += 1
        finally:
            c.close()


class FullDiskWhileJournalingTest(TmpfsCase):
    """Keys written again and again are journaled (write-behind). When the
    disk fills then, the write that failed is not acknowledged and is undone
    (reads give each key's last acknowledged value), the server turns
    read-only, and after kill -9 and more room the restart replays the
    journal, a record the full disk cut short dropped."""

    WRITERS = 4
    LIMIT_S = 30.0

    def test_disk_fills_while_journaling(self):
        mnt = self.mount_tmpfs("48m")
        data_dir = os.path.join(mnt, "data")
        s = self.server(data_dir).start()
        deadline = time.time() + self.LIMIT_S
        writers = [HotKeyFullDiskWriter(s.port, b"w%d" % n, deadline) for n in range(self.WRITERS)]
        for w in writers:
            w.start()
        info = self.client(s)
        journaling = False
        until = time.time() + 10
        while time.time() < until and not journaling:
            journaling = info.info("storage")["write_behind_journaling"] == 1
            time.sleep(0.02)
        self.assertTrue(journaling, "four hot keys never turned the journal on")
        filler = self.fill(mnt)
        self.addCleanup(lambda: os.path.exists(filler) and os.remove(filler))
        for w in writers:
            w.join(self.LIMIT_S + 15)
            self.assertFalse(w.is_alive(), "writer hung")
        failures = [w.failure for w in writers]
        self.assertNotIn(None, failures, "a writer never failed: the disk did not fill")
        self.assertEqual([f for f in failures if f[0] == "other"], [], failures)
        self.assertIn("closed", [f[0] for f in failures], failures)
        acked = {b"%s:hot" % w.prefix: value_for(w.prefix, w.last_acked, 4096)
                 for w in writers if w.last_acked >= 0}
        self.assertEqual(len(acked), self.WRITERS)

        self.assertIsNone(s.proc.poll(), "server died:\n" + s.read_log())
        self.assertIn("no space left on device", s.read_log().lower())
        c = self.client(s)
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            c.set(b"w0:hot", b"after")
        self.assertTrue(str(cm.exception).startswith(MISCONF), str(cm.exception))
        self.check_values(c, acked, "while the disk is full")

        s.kill(signal.SIGKILL)
        os.remove(filler)
        self.restart(s)
        c2 = self.client(s)
        self.check_values(c2, acked, "after kill -9 and restart with room")
        self.assertGreater(c2.info("storage")["journal_replayed_records"], 0)
        self.assertTrue(c2.set(b"w0:hot", b"writable again"))


class FailedCommitMidTurnTest(TmpfsCase):
    """A SCAN (like KEYS, SAVE or FLUSHALL) commits what its turn wrote so far
    before it reads. When that commit fails, the writes of the turn were not
    stored: their replies must not say OK, and the server goes read-only
    (MISCONF) with reads still answered, expired keys included."""

    def test_a_write_whose_commit_failed_under_a_scan_is_not_acknowledged(self):
        mnt = self.mount_tmpfs("4m")
        data_dir = os.path.join(mnt, "data")
        s = self.server(data_dir).start()
        c = self.client(s)
        self.assertTrue(c.set(b"kept", b"before the disk filled"))
        self.assertTrue(c.set(b"short-lived", b"x", px=300))
        filler = self.fill(mnt)
        self.addCleanup(lambda: os.path.exists(filler) and os.remove(filler))

        # One pipeline, one turn: the SET waits in the cache, the SCAN's
        # commit fails on the full disk.
        big = b"v" * 65536
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$%d\r\n%s\r\n"
                     b"*2\r\n$4\r\nSCAN\r\n$1\r\n0\r\n" % (len(big), big))
        got = support.read_reply_bytes(sock, timeout=5.0)
        self.assertFalse(got.startswith(b"+OK"),
                         "the SET was acknowledged though its commit failed: %r" % got[:200])

        self.assertIsNone(s.proc.poll(), "server died:\n" + s.read_log())
        self.assertIn("Storage write failed", s.read_log())
        c2 = self.client(s)
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            c2.set(b"after", b"v")
        self.assertTrue(str(cm.exception).startswith(MISCONF), str(cm.exception))
        self.assertIsNone(c2.get(b"lost"))
        self.assertEqual(c2.get(b"kept"), b"before the disk filled")
        # An expired key reads as absent and the connection stays usable: the
        # read-only server does not try to delete it (that commit would fail
        # and close this connection).
        time.sleep(0.4)
        self.assertIsNone(c2.get(b"short-lived"))
        self.assertEqual(c2.get(b"kept"), b"before the disk filled")
        self.assertTrue(c2.ping())


class GroupWriter(support.AckWriter):
    """One command in flight at a time, so two writes in one commit come from
    different connections. kind "plain": SET prefix:i, and INCR prefix:ctr
    every 5th step; kind "multi": MULTI SET prefix:i:a SET prefix:i:b EXEC."""

    def __init__(self, port, prefix, kind, deadline):
        super().__init__(port, prefix, deadline, 100000, socket_timeout=10, connect_timeout=5)
        self.kind = kind       # (acked: the step numbers whose reply arrived)
        self.attempted = 0     # steps sent (the last may be unacknowledged)
        self.incr_acked = 0
        self.incr_sent = 0

    def step(self, c, i):
        self.attempted = i + 1
        if self.kind == "multi":
            with c.pipeline(transaction=True) as p:
                p.set(b"%s:%d:a" % (self.prefix, i), value_for(self.prefix, i))
                p.set(b"%s:%d:b" % (self.prefix, i), value_for(self.prefix, -i))
                if p.execute() != [True, True]:
                    raise AssertionError("EXEC did not answer [OK, OK]")
        elif i % 5 == 4:
            self.incr_sent += 1
            if c.incr(b"%s:ctr" % self.prefix) != self.incr_acked + 1:
                raise AssertionError("INCR out of step")
            self.incr_acked += 1
        else:
            if c.set(b"%s:%d" % (self.prefix, i), value_for(self.prefix, i)) is not True:
                raise AssertionError("SET did not answer OK")
        return [i]


class GroupCommitKill9Test(FaultCase):
    WRITERS = 8
    LIMIT_S = 10.0

    def test_kill9_with_eight_writers_appendfsync_always(self):
        s = self.server(None, ("--appendfsync", "always"))
        self.addCleanup(s.cleanup)
        s.start()
        deadline = time.time() + self.LIMIT_S
        writers = [GroupWriter(s.port, b"g%d" % n, "multi" if n < 2 else "plain", deadline)
                   for n in range(self.WRITERS)]
        for w in writers:
            w.start()
        info = self.client(s)
        # Let the load run, then prove commits were shared: every acknowledged
        # command needed a commit, so fewer commits than acknowledged commands
        # means some commit carried writes of several connections.
        settle = time.time() + 3.0
        while time.time() < settle and all(w.is_alive() for w in writers):
            time.sleep(0.05)
        acked_before = sum(len(w.acked) for w in writers)
        st = info.info("storage")
        commits = int(st["commits"])
        time.sleep(0.3)
        s.kill(signal.SIGKILL)
        support.join_writers(self, writers, timeout=20)
        self.assertGreater(acked_before, 100, "too little load to test anything")
        self.assertEqual(st["appendfsync"], "always")
        self.assertLess(commits, acked_before,
                        "no commit carried writes of several connections (%d commits for %d "
                        "acknowledged commands): group commit not exercised" % (commits, acked_before))

        self.restart(s)
        c = self.client(s)
        for w in writers:
            expected = {}
            if w.kind == "multi":
                for i in w.acked:
                    expected[b"%s:%d:a" % (w.prefix, i)] = value_for(w.prefix, i)
                    expected[b"%s:%d:b" % (w.prefix, i)] = value_for(w.prefix, -i)
                # The transaction in flight at the kill: all of it or none.
                last = w.attempted - 1
                if last not in w.acked and last >= 0:
                    a, b = c.mget(b"%s:%d:a" % (w.prefix, last), b"%s:%d:b" % (w.prefix, last))
                    self.assertEqual(a is None, b is None, "half a transaction survived")
            else:
                for i in w.acked:
                    if i % 5 != 4:
                        expected[b"%s:%d" % (w.prefix, i)] = value_for(w.prefix, i)
                ctr = int(c.get(b"%s:ctr" % w.prefix) or 0)
                self.assertGreaterEqual(ctr, w.incr_acked, "acknowledged INCRs lost")
                self.assertLessEqual(ctr, w.incr_sent)
            self.check_values(c, expected, "%s after kill -9" % w.prefix.decode())


if __name__ == "__main__":
    unittest.main()
