"""Pipelined bulk loads far bigger than the record cache (--cache-size 1mb):
200,000 distinct keys with 100-byte values (20 MB; the cache holds about
3,500 of them), sent over one connection in pipelined batches of 20,000
SETs (2.8 MB of RESP each). Every key is read back with its value, and
DBSIZE, right after the load, after a clean restart (SHUTDOWN, SIGTERM) and
after kill -9 right after the load's last reply. Then a load that makes
ringkv's adaptive write-behind switch its journal off (unpipelined
overwrites of random keys from three clients) and on again (pipelined loads
from three connections at once, with overwrites and deletes), checked
against a dict the test keeps, before and after kill -9.

How much one server turn commits is the server's choice: a plain pipeline
is executed as it is read, and ringkv reads at most 32 socket reads (about
1.2 MB of RESP, 1 MB of records) per connection per turn, less when the
client falls behind. So that some turns surely commit well over 1 MB (a
commit over 1 MB once lost its writes: 9071289), some batches are sent as
MULTI/EXEC, as redis-py's default (transactional) pipeline does: EXEC runs
the whole batch in one turn.

ringkv runs with its default appendfsync (everysec), under which it promises
that kill -9 loses no acknowledged write (see test_durability), so it is
killed at once. The reference redis-server runs with its append-only file
on (everysec), and waits REDIS_SETTLE_S before the kill: Redis may postpone
its AOF write() for up to 2 s in that mode (test_durability's
REDIS_EVERYSEC_REASON). Only --cache-size and the INFO storage checks of
ringkv's internals (evictions, the journal switching) are left out there.

RINGKV_BULK_SEED picks other overwritten and deleted keys (default 11).
"""

import os
import random
import signal
import socket
import threading
import time
import unittest

import redis

import support
from test_protocol import read_until_closed, resp

N = 200000          # keys of the big load
BATCH = 20000       # SETs per pipelined batch: 2.8 MB of RESP, 2 MB of values
VALUE_SIZE = 100
CACHE_SIZE = "1mb"  # cache-size takes 0 too; 1mb still holds only ~3,500 of these records
REDIS_SETTLE_S = 2.5
SEED = int(os.environ.get("RINGKV_BULK_SEED", "11"))

OK = "OK"


def value(tag, i, gen=0):
    """A 100-byte value that names its key and its generation."""
    head = b"%s:%d:%d:" % (tag, i, gen)
    return head + bytes([97 + (i + gen) % 26]) * (VALUE_SIZE - len(head))


def set_cmd(k, v):
    return b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v)


def get_cmd(k):
    return b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k)


def del_cmd(k):
    return b"*2\r\n$3\r\nDEL\r\n$%d\r\n%s\r\n" % (len(k), k)


class ErrorReply(str):
    pass


class RawConn:
    """One plain socket: pipelined RESP out, non-aggregate replies back
    (simple strings as str, errors as ErrorReply, integers, bulk strings as
    bytes or None)."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        self.sock.close()

    def _fill(self):
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def replies(self, n):
        out = []
        buf = self.buf
        while len(out) < n:
            eol = buf.find(b"\r\n", self.pos)
            if eol < 0:
                self._fill()
                buf = self.buf
                continue
            kind, line = buf[self.pos], bytes(buf[self.pos + 1:eol])
            if kind == 36:  # $
                size = int(line)
                if size < 0:
                    out.append(None)
                    self.pos = eol + 2
                    continue
                end = eol + 2 + size
                if len(buf) < end + 2:
                    self._fill()
                    buf = self.buf
                    continue
                out.append(bytes(buf[eol + 2:end]))
                self.pos = end + 2
                continue
            if kind == 42:  # *: an array (EXEC's), of non-aggregate replies here
                self.pos = eol + 2
                out.append(self.replies(int(line)))
                buf = self.buf
                continue
            if kind == 43:  # +
                out.append(line.decode())
            elif kind == 45:  # -
                out.append(ErrorReply(line.decode()))
            elif kind == 58:  # :
                out.append(int(line))
            else:
                raise AssertionError("unexpected reply %r" % bytes(buf[self.pos:eol + 2]))
            self.pos = eol + 2
        return out

    def pipeline(self, cmds):
        """Sends the commands at once, then reads one reply each."""
        self.sock.sendall(b"".join(cmds))
        return self.replies(len(cmds))


def diff(keys, expected, got, limit=10):
    return [(k, e, g) for k, e, g in zip(keys, expected, got) if e != g][:limit]


class Batch:
    """Pipelined commands with the replies they must get."""

    def __init__(self):
        self.cmds, self.want, self.keys = [], [], []

    def add(self, cmd, want, key):
        self.cmds.append(cmd)
        self.want.append(want)
        self.keys.append(key)


def as_multi(b):
    """The batch as MULTI, its commands, EXEC: one server turn runs them all."""
    m = Batch()
    m.add(resp("MULTI"), OK, b"MULTI")
    for cmd, key in zip(b.cmds, b.keys):
        m.add(cmd, "QUEUED", key)
    m.add(resp("EXEC"), list(b.want), b"EXEC")
    return m


def short(x):
    r = repr(x)
    return r if len(r) <= 200 else r[:200] + "..."


class BulkCase(unittest.TestCase):
    def start(self, data_dir=None):
        if support.IS_REDIS:
            args = ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            args = ["--cache-size", CACHE_SIZE]  # and the default appendfsync
        s = support.ServerProcess(args, data_dir=data_dir)
        self.addCleanup(s.cleanup)
        s.start()
        c = s.client(socket_timeout=30)
        self.addCleanup(c.close)
        self.assertEqual(c.config_get("appendfsync"), {"appendfsync": "everysec"})
        return s, c

    def restart(self, old):
        self.assertIsNotNone(old.proc.poll(), "old server still running")
        if getattr(old, "log", None):
            old.log.close()
            old.log = None
        return self.start(data_dir=old.dir)

    def storage(self, c):
        return c.info("storage")

    def shutdown(self, s):
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(resp("SHUTDOWN"))
            read_until_closed(sock, timeout=30)
        self.assertEqual(s.proc.wait(timeout=30), 0, s.read_log())

    def sigterm(self, s):
        s.proc.terminate()
        self.assertEqual(s.proc.wait(timeout=30), 0, s.read_log())

    def kill9(self, s):
        if s.is_redis:
            time.sleep(REDIS_SETTLE_S)  # see the module's docstring
        os.kill(s.proc.pid, signal.SIGKILL)
        s.proc.wait(timeout=30)

    def run_batches(self, port, batches):
        """Sends each batch over one connection, pipelined; checks every reply."""
        conn = RawConn(port)
        try:
            for b in batches:
                got = conn.pipeline(b.cmds)
                if got != b.want:
                    self.fail("%d of %d replies wrong, first (key, expected, got): %s" % (
                        sum(1 for e, g in zip(b.want, got) if e != g), len(b.want),
                        [tuple(map(short, d)) for d in diff(b.keys, b.want, got)]))
        finally:
            conn.close()

    def load(self, port, items, multi=()):
        """SETs (key, value) items over one connection in pipelined batches
        of BATCH; the batches numbered in multi (from 0) as MULTI/EXEC."""
        batches = []
        for n, at in enumerate(range(0, len(items), BATCH)):
            b = Batch()
            for k, v in items[at:at + BATCH]:
                b.add(set_cmd(k, v), OK, k)
            batches.append(as_multi(b) if n in multi else b)
        self.run_batches(port, batches)

    def check_all(self, s, c, expected, when):
        """GETs every key of expected ({key: value or None}), pipelined, and DBSIZE."""
        keys = list(expected)
        conn = RawConn(s.port)
        wrong, first = 0, []
        try:
            for at in range(0, len(keys), BATCH):
                chunk = keys[at:at + BATCH]
                got = conn.pipeline([get_cmd(k) for k in chunk])
                want = [expected[k] for k in chunk]
                if got != want:
                    bad = diff(chunk, want, got, limit=len(chunk))
                    wrong += len(bad)
                    first += bad[:10 - len(first)]
        finally:
            conn.close()
        self.assertEqual(first, [], "%s: %d of %d keys read back wrong (key, expected, got)"
                         % (when, wrong, len(keys)))
        self.assertEqual(c.dbsize(), sum(1 for v in expected.values() if v is not None), when)


class BigLoadTest(BulkCase):
    """200,000 keys, 20 MB of values, through a cache of 1 MB."""

    @classmethod
    def setUpClass(cls):
        cls.items = [(b"bulk:%06d" % i, value(b"bulk", i)) for i in range(N)]
        cls.expected = dict(cls.items)

    def load_big(self, s, c, check=True):
        before = None if s.is_redis else self.storage(c)
        # Batches 1, 4 and 7 of the ten as MULTI/EXEC: one turn of 2.4 MB
        # of records each (ringkv journals within the first few batches). The
        # last one is plain: its last turns may still wait behind the
        # write-behind flush in flight when kill -9 comes.
        self.load(s.port, self.items, multi=(1, 4, 7))
        if s.is_redis or not check:
            return
        # What makes this test one of big commits evicted from the cache.
        st = self.storage(c)
        self.assertEqual(st["cache_capacity"], 1 << 20, st)
        self.assertLess(st["cache_entries"], N // 10, st)
        self.assertGreater(st["cache_evictions"] - before["cache_evictions"], N // 2, st)
        self.assertEqual(st["committed_writes"] - before["committed_writes"], N, st)
        # Commits of 64 keys or more on average turn the journal on.
        self.assertGreaterEqual(st["write_behind_switches"] - before["write_behind_switches"], 1, st)

    def test_load_read_back_and_restart_after_shutdown(self):
        s, c = self.start()
        self.load_big(s, c)
        self.check_all(s, c, self.expected, "after the load")
        c.close()
        self.shutdown(s)
        s2, c2 = self.restart(s)
        self.check_all(s2, c2, self.expected, "after SHUTDOWN and a restart")

    def test_kill9_right_after_the_last_reply(self):
        s, c = self.start()
        self.load_big(s, c, check=False)
        self.kill9(s)  # ringkv: at once; Redis: after REDIS_SETTLE_S
        c.close()
        s2, c2 = self.restart(s)
        if not s2.is_redis:
            # The kill came while the load's writes were in the journal.
            st = self.storage(c2)
            self.assertGreater(st["journal_replayed_records"], 0, st)
        self.check_all(s2, c2, self.expected, "after kill -9 and a restart")
        c2.close()
        self.sigterm(s2)
        s3, c3 = self.restart(s2)
        self.check_all(s3, c3, self.expected, "after kill -9, a restart, SIGTERM and a restart")


class Overwriter(threading.Thread):
    """Unpipelined SETs of random keys this writer owns (no other client
    writes them), each to a new value, with a GET of one of them every few
    steps; until `stop`, `limit` steps or the deadline."""

    def __init__(self, port, owned, view, seed, deadline, limit=30000):
        super().__init__(daemon=True)
        self.port, self.owned, self.view = port, owned, view  # view: {key: value}, this writer's own copy
        self.rng = random.Random(seed)
        self.deadline, self.limit = deadline, limit
        self.stop = threading.Event()
        self.steps = 0
        self.error = None

    def run(self):
        c = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=10)
        try:
            while self.steps < self.limit and not self.stop.is_set() and time.time() < self.deadline:
                self.steps += 1
                i = self.rng.choice(self.owned)
                k = b"mix:%06d" % i
                v = value(b"mix", i, 1000 + self.steps)
                if c.set(k, v) is not True:
                    raise AssertionError("SET %r did not answer OK" % k)
                self.view[k] = v
                if self.steps % 8 == 0:
                    k = b"mix:%06d" % self.rng.choice(self.owned)
                    got = c.get(k)
                    if got != self.view[k]:
                        raise AssertionError("GET %r: %r, expected %r" % (k, got, self.view[k]))
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e
        finally:
            c.close()


class InterleavedTest(BulkCase):
    """Pipelined loads (big turns: ringkv journals), then unpipelined
    overwrites of random keys from three clients (one write a turn, keys
    scattered: it commits straight to LevelDB), then pipelined loads of new
    keys with overwrites and deletes among them (the journal again): every
    key read back against the test's dict, then after kill -9."""

    CONNS = 3
    CHUNK = 30000   # new keys per pipelined round: one batch on each of CONNS connections at once
    MAX_ROUNDS = 8  # rounds a phase may take to turn ringkv's journal on

    def setUp(self):
        self.rng = random.Random(SEED)
        self.expected = {}
        self.next_key = 0
        self.rounds = 0

    def round(self, s, overwrite_every=0, delete_every=0):
        """CHUNK new keys, one batch from each of CONNS connections at once
        (key i's owner is i % CONNS), with an overwrite of a random key the
        connection owns after every overwrite_every-th new key and a DEL
        after every delete_every-th; one connection's batch (in turn) is a
        MULTI/EXEC, over 1 MB in one turn. The expected replies come from
        the dict as the commands are built: a connection writes only keys it
        owns, so any interleaving of the connections ends in this state."""
        start, self.next_key = self.next_key, self.next_key + self.CHUNK
        batches = []
        for t in range(self.CONNS):
            owned = list(range(t, start, self.CONNS))
            b = Batch()
            for n, i in enumerate(range(start + t, start + self.CHUNK, self.CONNS)):
                k, v = b"mix:%06d" % i, value(b"mix", i)
                b.add(set_cmd(k, v), OK, k)
                self.expected[k] = v
                if owned and overwrite_every and n % overwrite_every == 0:
                    j = self.rng.choice(owned)
                    k = b"mix:%06d" % j
                    v = value(b"mix", j, self.rng.randrange(1, 1000))
                    b.add(set_cmd(k, v), OK, k)
                    self.expected[k] = v
                if owned and delete_every and n % delete_every == 1:
                    k = b"mix:%06d" % self.rng.choice(owned)
                    b.add(del_cmd(k), 0 if self.expected[k] is None else 1, k)
                    self.expected[k] = None
            batches.append(as_multi(b) if t == self.rounds % self.CONNS else b)
        self.rounds += 1
        errors = []

        def send(batch):
            try:
                self.run_batches(s.port, [batch])
            except BaseException as e:  # noqa: BLE001 - AssertionError too
                errors.append(e)

        threads = [threading.Thread(target=send, args=(b,), daemon=True) for b in batches]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
            self.assertFalse(th.is_alive(), "pipelined loader did not finish")
        self.assertEqual(errors, [])

    def pipelined_phase(self, s, c, min_rounds, **kw):
        """Rounds until ringkv journals (at least min_rounds, at most MAX_ROUNDS)."""
        for r in range(self.MAX_ROUNDS):
            self.round(s, **kw)
            if r + 1 >= min_rounds and (s.is_redis or self.storage(c)["write_behind_journaling"] == 1):
                return
        self.fail("%d pipelined rounds did not turn the journal on: %r" % (self.MAX_ROUNDS, self.storage(c)))

    def overwrite_phase(self, s, c):
        """Three unpipelined clients until ringkv stops journaling, and 0.3 s more."""
        keys = list(range(self.next_key))
        writers = []
        deadline = time.time() + 15
        for t in range(self.CONNS):
            owned = keys[t::self.CONNS]
            view = {b"mix:%06d" % i: self.expected[b"mix:%06d" % i] for i in owned}
            writers.append(Overwriter(s.port, owned, view, SEED * 100 + t, deadline))
        for w in writers:
            w.start()
        journal_off = None
        try:
            if s.is_redis:
                time.sleep(1.0)
            else:
                until = time.time() + 10
                while time.time() < until and all(w.is_alive() for w in writers):
                    journal_off = self.storage(c)["write_behind_journaling"] == 0
                    if journal_off:
                        time.sleep(0.3)  # writes straight to LevelDB
                        break
                    time.sleep(0.05)
        finally:
            for w in writers:
                w.stop.set()
            for w in writers:
                w.join(15)
        for w in writers:
            self.assertFalse(w.is_alive(), "overwriter did not stop")
            self.assertIsNone(w.error, w.error)
            self.expected.update(w.view)
        self.assertGreater(sum(w.steps for w in writers), 300, "too few overwrites to test anything")
        if not s.is_redis:
            self.assertTrue(journal_off, "unpipelined overwrites of scattered keys did not turn "
                            "the journal off: %r" % self.storage(c))

    def test_pipelined_then_unpipelined_then_pipelined(self):
        s, c = self.start()
        switches = None if s.is_redis else self.storage(c)["write_behind_switches"]
        self.pipelined_phase(s, c, min_rounds=3)
        self.overwrite_phase(s, c)
        self.pipelined_phase(s, c, min_rounds=3, overwrite_every=5, delete_every=50)
        if not s.is_redis:
            # On, off, on: at least three switches.
            st = self.storage(c)
            self.assertGreaterEqual(st["write_behind_switches"] - switches, 3, st)
        self.assertIn(None, self.expected.values())  # some keys were deleted
        self.check_all(s, c, self.expected, "after the interleaved load")
        c.close()
        self.kill9(s)
        s2, c2 = self.restart(s)
        self.check_all(s2, c2, self.expected, "after kill -9 and a restart")


if __name__ == "__main__":
    unittest.main()
