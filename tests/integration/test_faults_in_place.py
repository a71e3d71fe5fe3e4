"""Storage faults under the in-place changes of big strings: APPEND grows a
cached value where it is, SETBIT and SETRANGE overwrite it where it is
(INFO storage appends_in_place, changes_in_place). When the disk fills, the
change whose commit failed is not acknowledged and is undone, alone or mixed
with other writes of the key in one loop turn, while the disk is full and
after kill -9 and a restart with room.

ringkv-specific (MISCONF, INFO Storage): the reference redis-server run
skips this file.
"""

import hashlib
import os
import random
import signal
import time
import unittest

import redis

from faults_support import CONNECT_ERRORS, MISCONF, TmpfsCase, value_for


class InPlaceFullDiskCase(TmpfsCase):
    """One write at a time to a big string until the disk fills under it."""

    LIMIT_S = 30.0

    def write_until_full(self, mnt, c, write, stat, least):
        """Calls write(step), which checks its reply and updates the model of
        what was acknowledged, until a write fails; once INFO storage `stat`
        reached `least` (the writes go in place), fills the disk. Returns the
        filler's path."""
        deadline = time.time() + self.LIMIT_S
        step, filler, failure = 0, None, None
        while failure is None and time.time() < deadline:
            step += 1
            try:
                write(step)
            except redis.exceptions.ResponseError as e:
                failure = ("misconf" if str(e).startswith(MISCONF) else "other", str(e))
                break
            except CONNECT_ERRORS as e:
                failure = ("closed", repr(e))
                break
            # Once the writes go in place, fill the disk under them.
            if filler is None and step % 10 == 0 and c.info("storage")[stat] >= least:
                filler = self.fill(mnt)
                self.addCleanup(lambda: os.path.exists(filler) and os.remove(filler))
        self.assertIsNotNone(filler, "the writes never went in place (%s)" % stat)
        self.assertIsNotNone(failure, "no write failed: the disk did not fill")
        self.assertIn(failure[0], ("misconf", "closed"), failure)
        return filler

    def start_with_string(self, key, size):
        """A server on a fresh 48 MB tmpfs holding `size` bytes at `key`:
        (mount point, server, client, the string as acknowledged)."""
        mnt = self.mount_tmpfs("48m")
        s = self.server(os.path.join(mnt, "data")).start()
        c = self.client(s, socket_timeout=10)
        acked = bytearray(value_for(key, 0, size))
        self.assertTrue(c.set(key, bytes(acked)))
        return mnt, s, c, acked

    def restart_with_room(self, s, filler, key, acked):
        """kill -9, the filler removed, a restart: `key` must hold `acked`.
        Returns a client of the restarted server."""
        s.kill(signal.SIGKILL)
        os.remove(filler)
        self.restart(s)
        c = self.client(s)
        self.assert_string(c, key, acked, "after kill -9 and restart with room")
        return c

    def assert_string(self, c, key, acked, when):
        got = c.get(key)
        self.assertEqual(len(got), len(acked), when)
        self.assertTrue(got == bytes(acked), when + ": not the acknowledged string")


class AppendLogFullDiskTest(InPlaceFullDiskCase):
    """A big string grown by APPEND is grown in place once writes are
    journaled (INFO storage appends_in_place). When the disk fills, the
    APPEND whose commit failed is not acknowledged and is undone: the string
    reads as the last acknowledged APPEND left it, while the disk is full and
    after kill -9 and a restart with room."""

    def test_disk_fills_under_appends_in_place(self):
        mnt, s, c, acked = self.start_with_string(b"log", 64 * 1024)

        def append(step):
            piece = value_for(b"p", step, 4096)
            length = c.append(b"log", piece)
            acked.extend(piece)
            self.assertEqual(length, len(acked))
        filler = self.write_until_full(mnt, c, append, "appends_in_place", 1)

        self.assertIsNone(s.proc.poll(), "server died:\n" + s.read_log())
        c2 = self.client(s)
        self.assert_string(c2, b"log", acked, "while the disk is full")
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            c2.append(b"log", b"more")
        self.assertTrue(str(cm.exception).startswith(MISCONF), str(cm.exception))

        c3 = self.restart_with_room(s, filler, b"log", acked)
        self.assertEqual(c3.append(b"log", b"!"), len(acked) + 1)


class ChangeInPlaceFullDiskTest(InPlaceFullDiskCase):
    """SETBIT and SETRANGE change a big string in place, a turn's first
    change keeping the bytes it overwrote (INFO storage changes_in_place).
    When the disk fills, the change whose commit failed is not acknowledged
    and is put back: the string reads as the acknowledged changes left it,
    while the disk is full and after kill -9 and a restart with room."""

    def test_disk_fills_under_changes_in_place(self):
        mnt, s, c, acked = self.start_with_string(b"bits", 256 * 1024)

        def change(step):
            # Alternately a bit and a few bytes, spread over the value.
            at = (step * 7919) % (len(acked) - 16)
            if step % 2:
                bit = 1 - ((acked[at] >> 7) & 1)  # the top bit of byte `at`, flipped
                old = c.setbit(b"bits", at * 8, bit)
                self.assertEqual(old, 1 - bit)
                acked[at] = (acked[at] & 0x7F) | (bit << 7)
            else:
                piece = b"%08d" % step
                self.assertEqual(c.setrange(b"bits", at, piece), len(acked))
                acked[at:at + len(piece)] = piece
        filler = self.write_until_full(mnt, c, change, "changes_in_place", 10)

        self.assertIsNone(s.proc.poll(), "server died:\n" + s.read_log())
        self.assert_string(self.client(s), b"bits", acked, "while the disk is full")

        c3 = self.restart_with_room(s, filler, b"bits", acked)
        self.assertEqual(c3.setrange(b"bits", 0, b"!"), len(acked))


class MixedPipelineFullDiskTest(TmpfsCase):
    """Pipelines that mix in-place changes of a big string (SETBIT,
    SETRANGE, APPEND; SETBIT and SETRANGE past its end too, which grow it)
    with a SET of it, EXPIRE and PERSIST of it, and writes
    of another key, so that one loop turn holds several kinds of writes of
    one key. When the disk fills, the string and the other key read as the
    acknowledged pipelines and a prefix of the failed one left them, the
    same prefix for both keys, while the disk is full and after kill -9 and
    a restart with room."""

    LIMIT_S = 30.0
    SIZE = 128 * 1024

    def commands(self, step, rng):
        """A pipeline: (command tuple, function of the model) pairs."""
        out = []
        for _ in range(rng.randrange(2, 9)):
            kind = rng.randrange(12)
            at = rng.randrange(self.SIZE - 16)
            if kind >= 10:
                # Past the end, mostly: each step's lie past the last's
                # (APPENDs add less; a SET cuts it back to SIZE).
                at = self.SIZE + 64 * step + rng.randrange(64)
            if kind < 3 or kind == 10:
                bit = rng.randrange(2)

                def f(m, at=at, bit=bit):
                    b = m["bits"]
                    if len(b) <= at:
                        b.extend(bytes(at + 1 - len(b)))
                    b[at] = (b[at] & 0x7F) | (bit << 7)
                out.append((("SETBIT", "bits", at * 8, bit), f))
            elif kind < 6 or kind == 11:
                piece = b"%08d" % rng.randrange(10 ** 8)

                def f(m, at=at, piece=piece):
                    b = m["bits"]
                    if len(b) < at:
                        b.extend(bytes(at - len(b)))
                    b[at:at + len(piece)] = piece
                out.append((("SETRANGE", "bits", at, piece), f))
            elif kind == 6:
                piece = b"+%d" % step

                def f(m, piece=piece):
                    m["bits"] += piece
                out.append((("APPEND", "bits", piece), f))
            elif kind == 7:
                value = bytearray(value_for(b"set", step, self.SIZE))

                def f(m, value=value):
                    m["bits"] = bytearray(value)
                    m["ttl"] = False  # SET drops the key's TTL
                out.append((("SET", "bits", bytes(value)), f))
            elif kind == 8:
                ttl = rng.choice([None, 100000])

                def f(m, ttl=ttl):
                    m["ttl"] = ttl is not None
                out.append((("EXPIRE", "bits", ttl) if ttl else ("PERSIST", "bits"), f))
            else:
                value = b"other-%d" % step

                def f(m, value=value):
                    m["other"] = value
                out.append((("SET", "other", value), f))
        return out

    @staticmethod
    def summary(bits, ttl, other):
        """What is compared: short, so that a failure prints readably."""
        return (len(bits), hashlib.sha256(bits).hexdigest()[:16], ttl, other)

    def state(self, c):
        return self.summary(bytes(c.get(b"bits")), c.ttl(b"bits") > 0, c.get(b"other"))

    def frozen(self, m):
        return self.summary(bytes(m["bits"]), m["ttl"], m["other"])

    def test_disk_fills_under_mixed_pipelines(self):
        for seed in range(1, 6):
            with self.subTest(seed=seed):
                self.run_seed(seed)

    def run_seed(self, seed):
        rng = random.Random(seed)
        mnt = self.mount_tmpfs("48m")
        s = self.server(os.path.join(mnt, "data")).start()
        c = self.client(s, socket_timeout=10)
        model = {"bits": bytearray(value_for(b"bits", 0, self.SIZE)), "ttl": False,
                 "other": b"other-0"}
        self.assertTrue(c.set(b"bits", bytes(model["bits"])))
        self.assertTrue(c.set(b"other", model["other"]))
        deadline = time.time() + self.LIMIT_S
        step, filler, failed = 0, None, None
        while failed is None and time.time() < deadline:
            step += 1
            cmds = self.commands(step, rng)
            p = c.pipeline(transaction=False)
            for cmd, _ in cmds:
                p.execute_command(*cmd)
            try:
                replies = p.execute(raise_on_error=False)
            except CONNECT_ERRORS:
                failed = (cmds, None)
                break
            errors = [r for r in replies if isinstance(r, Exception)]
            if errors:
                for r in errors:
                    self.assertTrue(str(r).startswith(MISCONF), str(r))
                failed = (cmds, replies)
                break
            for _, f in cmds:
                f(model)
            if filler is None and step % 10 == 0 and \
                    c.info("storage")["changes_in_place"] >= 20:
                filler = self.fill(mnt)
                self.addCleanup(lambda: os.path.exists(filler) and os.remove(filler))
        self.assertIsNotNone(filler, "the changes never went in place")
        self.assertIsNotNone(failed, "no write failed: the disk did not fill")
        self.assertIsNone(s.proc.poll(), "server died:\n" + s.read_log())

        # The states each prefix of the failed pipeline leaves.
        cmds, replies = failed
        prefixes = [self.frozen(model)]
        for _, f in cmds:
            f(model)
            prefixes.append(self.frozen(model))
        if replies is not None:  # acknowledged up to the first MISCONF
            first_error = next(i for i, r in enumerate(replies) if isinstance(r, Exception))
            self.assertTrue(all(isinstance(r, Exception) for r in replies[first_error:]))
            prefixes = prefixes[first_error:first_error + 1]
        live = self.state(self.client(s))
        self.assertIn(live, prefixes, "while the disk is full: not a prefix of the writes")

        s.kill(signal.SIGKILL)
        os.remove(filler)
        self.restart(s)
        self.assertEqual(self.state(self.client(s)), live, "after kill -9 and a restart with room")


if __name__ == "__main__":
    unittest.main()
