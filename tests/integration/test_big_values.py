"""Big strings changed a little at a time: APPEND, SETRANGE and SETBIT on
values of tens of KB to MB, as a log or a bitmap is kept in Redis.

Every value read back is checked against a model the test keeps: right
away, after a clean restart, after kill -9 in the middle of the changes
(no acknowledged change may be lost), and with a cache smaller than the
values (--cache-size 1mb: they are read back from LevelDB).

The disk cost: ringkv journals such a change as the bytes that changed (a
range, or patches of 64-byte blocks), and writes the whole value to LevelDB
only once its changes add up to half of it (redis.conf.example,
write-behind-ms). 3,000 unpipelined 1 KB APPENDs
that grow one string to 3 MB must write under 200 MB to disk (the process's
write_bytes in /proc): writing the whole value at each APPEND is 4.5 GB of
values alone, and at each write-behind flush it was over 1 GB.

Against a reference redis-server (RINGKV_SERVER=.../redis-server) the kill
-9 test runs with appendonly yes and appendfsync always.
"""

import os
import random
import signal
import time
import unittest

import support

KB = 1024


def write_bytes(pid):
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    raise AssertionError("no write_bytes in /proc/%d/io" % pid)


def durable_args():
    if support.IS_REDIS:
        return ("--appendonly", "yes", "--appendfsync", "always")
    return ("--appendfsync", "everysec")


class Model:
    """The values as the server acknowledged them."""

    def __init__(self):
        self.values = {}

    def append(self, key, tail):
        self.values[key] = self.values.get(key, b"") + tail

    def setrange(self, key, offset, data):
        v = bytearray(self.values.get(key, b""))
        if len(v) < offset + len(data):
            v.extend(b"\0" * (offset + len(data) - len(v)))
        v[offset:offset + len(data)] = data
        self.values[key] = bytes(v)

    def setbit(self, key, bit, on):
        v = bytearray(self.values.get(key, b""))
        byte = bit // 8
        if len(v) <= byte:
            v.extend(b"\0" * (byte + 1 - len(v)))
        mask = 0x80 >> (bit % 8)
        v[byte] = (v[byte] | mask) if on else (v[byte] & ~mask)
        self.values[key] = bytes(v)


def random_change(rng, model, key):
    """A change as (apply to redis-py client, apply to model)."""
    size = len(model.values[key])
    kind = rng.random()
    if kind < 0.6:
        tail = bytes([rng.randrange(97, 123)]) * rng.randrange(1, 2000)
        return (lambda r: r.append(key, tail)), (lambda: model.append(key, tail))
    if kind < 0.85:
        offset = rng.randrange(0, size + 100)  # anywhere, sometimes past the end
        data = os.urandom(rng.randrange(1, 300))
        return (lambda r: r.setrange(key, offset, data)), (lambda: model.setrange(key, offset, data))
    bit = rng.randrange(0, size * 8 + 64)
    on = rng.random() < 0.5
    return (lambda r: r.setbit(key, bit, 1 if on else 0)), (lambda: model.setbit(key, bit, on))


class TestBigValues(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()

    def start(self, *args, data_dir=None):
        s = support.ServerProcess(args, data_dir=data_dir).start()
        self.servers.append(s)
        return s

    def check(self, r, model, when):
        for key, want in model.values.items():
            got = r.get(key)
            self.assertIsNotNone(got, "%s: %r is missing" % (when, key))
            self.assertEqual(len(got), len(want), "%s: length of %r" % (when, key))
            if got != want:
                first = next(i for i in range(len(want)) if got[i] != want[i])
                self.fail("%s: %r differs from byte %d of %d" % (when, key, first, len(want)))

    def check_after_restart(self, s, model):
        s.stop()
        s.start()
        r = s.client()
        self.check(r, model, "after a restart")
        r.close()

    def test_append_log_writes_its_changes_not_the_value(self):
        s = self.start(*durable_args())
        r = s.client()
        model = Model()
        before = write_bytes(s.proc.pid)
        for i in range(3000):
            tail = bytes([97 + i % 26]) * KB
            self.assertEqual(r.append("log", tail), (i + 1) * KB)
            model.append(b"log", tail)
        written = write_bytes(s.proc.pid) - before
        print("\n3000 1 KB APPENDs to a 3 MB string: %.1f MB written to disk" % (written / 1e6))
        self.assertLess(written, 200 * 1000 * 1000)
        self.check(r, model, "live")
        if not support.IS_REDIS:
            st = r.info("storage")
            print("INFO storage: %s" % {k: v for k, v in st.items() if "journal" in k or "behind" in k})
            self.assertGreater(st["journal_range_writes"], 2000, st)
            self.assertGreater(st["appends_in_place"], 2000, st)  # not a copy each
        r.close()
        self.check_after_restart(s, model)

    def test_kill9_keeps_every_acknowledged_change(self):
        s = self.start(*durable_args())
        r = s.client()
        rng = random.Random(int(os.environ.get("RINGKV_BIG_SEED", "7")))
        model = Model()
        keys = [b"big:%d" % k for k in range(5)]
        for k in keys:
            v = os.urandom(50 * KB)
            r.set(k, v)
            model.values[k] = v
        deadline = time.time() + 2.0
        changes = 0
        while time.time() < deadline and changes < 20000:
            # Pipelines of 1 to 10 changes: a key's later changes in one
            # loop turn take the in-place paths.
            p = r.pipeline(transaction=False)
            applies = []
            for _ in range(rng.randrange(1, 11)):
                send, apply = random_change(rng, model, rng.choice(keys))
                send(p)
                applies.append(apply)
            p.execute()  # acknowledged when this returns
            for apply in applies:
                apply()
            changes += len(applies)
        self.assertGreater(changes, 100)
        if not support.IS_REDIS:  # changes inside the values went as patches, some in place
            st = r.info("storage")
            self.assertGreater(st["journal_patch_writes"], 10, st)
            self.assertGreater(st["changes_in_place"], 10, st)
            self.assertGreater(st["appends_in_place"], 10, st)
        s.kill(signal.SIGKILL)
        r.close()
        s.start()
        r = s.client()
        self.check(r, model, "after kill -9 (%d changes)" % changes)
        r.close()

    def test_values_bigger_than_the_cache(self):
        s = self.start(*durable_args(), *(() if support.IS_REDIS else ("--cache-size", "1mb")))
        r = s.client()
        rng = random.Random(3)
        model = Model()
        keys = [b"wide:%d" % k for k in range(20)]
        for k in keys:
            v = os.urandom(100 * KB)
            r.set(k, v)
            model.values[k] = v
        for _ in range(1500):
            key = rng.choice(keys)
            send, apply = random_change(rng, model, key)
            send(r)
            apply()
        self.check(r, model, "live, 2 MB of values in a 1 MB cache")
        r.close()
        self.check_after_restart(s, model)


if __name__ == "__main__":
    unittest.main()
