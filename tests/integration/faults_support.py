"""Shared by the storage-fault tests (test_faults, test_faults_in_place): a
base case that starts servers on data directories of its own and reads
their logs, and one whose tests mount a small tmpfs of their own (unmounted
in cleanup) to fill it up."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import redis

import support

CONNECT_ERRORS = support.CONNECT_ERRORS
MISCONF = "MISCONF Errors writing to the data directory"


def value_for(prefix, i, size=64):
    """A value that names its key, so a value under the wrong key shows."""
    head = b"%s-%d-" % (prefix, i)
    return (head * (size // len(head) + 1))[:size]


@unittest.skipIf(support.IS_REDIS, "ringkv's storage faults (LevelDB files, MISCONF)")
class FaultCase(unittest.TestCase):
    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="ringkv-faults-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def server(self, data_dir, args=(), log_dir=None):
        """A server on data_dir whose log is written to log_dir (never inside
        the faulty directory). Stopped by pid in cleanup."""
        s = support.ServerProcess(args, data_dir=data_dir)
        log_dir = log_dir or self.tmpdir()
        s.log_path = os.path.join(log_dir, "server-%s.log" % s.port)
        self.addCleanup(s.stop)
        return s

    def restart(self, s):
        """Starts the (dead) process `s` again on the same dir, port and log."""
        self.assertIsNotNone(s.proc.poll(), "old server still running")
        s.stop()  # closes the old log handle
        return s.start()

    def client(self, s, **kw):
        c = s.client(**kw)
        self.addCleanup(c.close)
        return c

    def expect_startup_failure(self, s, timeout=10.0, expected=None):
        """Starts s and expects it to exit by itself with a non-zero code
        before it ever answers a client. Returns (exit code, seconds, log).
        expected: the keys the dir held, to say in a failure what is served."""
        t0 = time.time()
        s.start(wait=False)
        deadline = t0 + timeout
        while time.time() < deadline:
            rc = s.proc.poll()
            if rc is not None:
                elapsed = time.time() - t0
                log = s.read_log()
                self.assertGreater(rc, 0, "exit by signal %s, not a clean exit code:\n%s" % (-rc, log))
                return rc, elapsed, log
            try:
                c = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=1)
                try:
                    if c.ping():
                        served = ""
                        if expected:
                            keys = list(expected)
                            got = sum(1 for k, v in zip(keys, c.mget(keys)) if v == expected[k])
                            served = ", %d of the %d keys it held readable" % (got, len(keys))
                        self.fail("expected an exit, but the server is up (DBSIZE %d%s):\n%s"
                                  % (c.dbsize(), served, s.read_log()))
                finally:
                    c.close()
            except CONNECT_ERRORS:
                pass
            time.sleep(0.05)
        self.fail("the server neither exited nor answered within %.0fs:\n%s" % (timeout, s.read_log()))

    def check_values(self, c, expected, when):
        wrong = [(k, None if got is None else got[:40])
                 for k, _, got in support.wrong_values(c, expected)]
        self.assertEqual(wrong[:5], [], "%s: %d of %d acknowledged keys wrong or missing"
                         % (when, len(wrong), len(expected)))


class TmpfsCase(FaultCase):
    """Tests on a small tmpfs of their own, unmounted in cleanup."""

    def mount_tmpfs(self, size="2m"):
        base = self.tmpdir()
        mnt = os.path.join(base, "mnt")
        os.mkdir(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", mnt],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            self.fail("mounting a tmpfs is not permitted here (needs root/CAP_SYS_ADMIN): %s"
                      % (r.stderr.strip() or r.returncode))
        # Registered after tmpdir's rmtree, so it runs before it; servers
        # started later are stopped before this runs (cleanups are LIFO).
        self.addCleanup(self.unmount, mnt)
        return mnt

    def unmount(self, mnt):
        r = subprocess.run(["umount", mnt], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            subprocess.run(["umount", "-l", mnt], capture_output=True, timeout=30)

    def remount(self, mnt, opts):
        subprocess.run(["mount", "-o", "remount," + opts, mnt], check=True,
                       capture_output=True, timeout=30)

    def fill(self, mnt):
        """Fills the tmpfs with one file; returns its path."""
        path = os.path.join(mnt, "filler")
        chunk = b"\0" * 65536
        with open(path, "wb", buffering=0) as f:
            try:
                for _ in range(100000):
                    f.write(chunk)
            except OSError:
                pass
        return path

    def populate(self, data_dir, n=200):
        s = self.server(data_dir)
        s.start()
        c = s.client()
        expected = {b"k:%d" % i: value_for(b"k", i) for i in range(n)}
        c.mset(expected)
        c.close()
        s.stop()
        return expected
