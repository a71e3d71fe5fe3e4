"""DUMP and RESTORE: the serialized form moves keys between ringkv and
redis-server both ways (Redis's payloads include LZF-compressed strings,
which ringkv reads; ringkv's are uncompressed, which Redis reads), and
RESTORE's replies, error texts and the order of its checks are Redis's.
Every exchange is sent to the server under test and to a reference
redis-server, and the raw replies are compared.
"""

import struct
import time
import unittest

import support
from test_differential import start_reference
from test_protocol import Conn, resp

SOCKET_TIMEOUT = 10

# Values whose payload Redis writes plainly, as an 8/16/32-bit integer, or
# LZF-compressed (over 20 bytes, when that saves space).
VALUES = [b"bar", b"123", b"-5", b"70000", b"-70000", b"2147483648", b"12345678901", b"+1",
          b"01", b"", b"0", b"-0", b"x" * 100, b"abcdefghij" * 5, bytes(range(256)) * 3,
          b"y" * 20000]


def crc64(data):
    """Redis's CRC-64 (Jones polynomial, reflected), bit by bit."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x95ac9329ac4bc9b5 if crc & 1 else crc >> 1
    return crc


def payload(body, version=10):
    """A payload around an RDB object `body`: version, then checksum."""
    b = body + struct.pack("<H", version)
    return b + struct.pack("<Q", crc64(b))


def bulk(reply):
    """The bytes of a bulk string reply."""
    head, rest = reply.split(b"\r\n", 1)
    assert head.startswith(b"$"), reply
    return rest[:int(head[1:])]


class DumpRestoreTest(unittest.TestCase):
    def setUp(self):
        self.assertEqual(crc64(b"123456789"), 0xe9c6d914c4b8d9ca)
        self.server = support.ServerProcess()
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.sut = self.connect(self.server.port)
        self.ref = self.connect(start_reference(self).port)

    def connect(self, port):
        c = Conn(port, timeout=SOCKET_TIMEOUT)
        self.addCleanup(c.close)
        return c

    def both(self, *args):
        return self.ref.call_raw(resp(*args)), self.sut.call_raw(resp(*args))

    def same(self, *args):
        want, got = self.both(*args)
        self.assertEqual(got, want, args)
        return got

    def test_payloads_move_both_ways(self):
        for i, v in enumerate(VALUES):
            with self.subTest(value=v[:20], size=len(v)):
                self.same("SET", "v%d" % i, v)
                from_redis, from_sut = (bulk(r) for r in self.both("DUMP", "v%d" % i))
                if len(v) <= 20:  # never compressed: the same bytes
                    self.assertEqual(from_sut, from_redis)
                self.assertEqual(self.sut.call_raw(resp("RESTORE", "r%d" % i, "0", from_redis)),
                                 b"+OK\r\n")
                self.assertEqual(self.ref.call_raw(resp("RESTORE", "r%d" % i, "0", from_sut)),
                                 b"+OK\r\n")
                self.assertEqual(bulk(self.same("GET", "r%d" % i)), v)
                self.same("TTL", "r%d" % i)
        self.same("DUMP", "missing")
        self.same("DBSIZE")

    def test_checks_and_errors_as_redis(self):
        self.same("SET", "k", "bar")
        p = bulk(self.same("DUMP", "k"))
        for args in [
                ("RESTORE", "k", "0", p),                       # BUSYKEY
                ("RESTORE", "k", "x", p),                       # BUSYKEY before the TTL
                ("RESTORE", "new", "x", p),
                ("RESTORE", "new", "-1", p),
                ("RESTORE", "new", "0", b"garbage"),
                ("RESTORE", "k", "0", b"garbage"),              # BUSYKEY before the payload
                ("RESTORE", "new", "0", p, "BOGUS"),
                ("RESTORE", "k", "0", p, "BOGUS"),              # options before BUSYKEY
                ("RESTORE", "new", "0", p, "IDLETIME", "-1"),
                ("RESTORE", "new", "0", p, "IDLETIME", "x"),
                ("RESTORE", "new", "0", p, "IDLETIME"),
                ("RESTORE", "new", "0", p, "FREQ", "256"),
                ("RESTORE", "new", "0", p, "FREQ", "x"),
                ("RESTORE", "new", "0", p, "IDLETIME", "1", "FREQ", "1"),
                ("RESTORE", "new", "0", p, "FREQ", "-1", "IDLETIME", "1"),
                ("RESTORE", "new", "-5", b"garbage"),
                ("RESTORE", "k", "x", p, "REPLACE"),
                ("RESTORE", "new", "0", p[:-1]),                # checksum
                ("RESTORE", "new", "0", b""),
                ("RESTORE", "new", "0", payload(b"\x00\x03abc", 13)),  # version
                ("RESTORE", "new", "0", payload(b"\x00\xc3\x05\x0aabc")),  # bad LZF
                ("RESTORE", "new", "0", payload(b"\x00\xc4")),  # unknown encoding
                ("RESTORE", "new", "0", payload(b"")),
                ("RESTORE", "new", "0", payload(b"\x00")),
                ("RESTORE", "v9", "0", payload(b"\x00\x03abc", 9)),  # an older version
                ("GET", "v9"),
                ("RESTORE", "big", "0", payload(b"\x00\x80\x00\x00\x00\x03abc")),  # 32-bit length
                ("GET", "big"),
                ("RESTORE", "i16", "0", payload(b"\x00\xc1\x01\x80")),
                ("GET", "i16"),
                ("DUMP",),
                ("DUMP", "k", "x"),
                ("RESTORE", "a", "0"),
                ("DBSIZE",)]:
            self.same(*args)

    def test_ttl_replace_and_absttl(self):
        self.same("SET", "k", "bar")
        p = bulk(self.same("DUMP", "k"))
        self.same("RESTORE", "t", "100000", p, "idletime", "5")
        for c in (self.ref, self.sut):
            ms = c.call_raw(resp("PTTL", "t"))
            self.assertTrue(ms.startswith(b":"), ms)
            self.assertTrue(99000 <= int(ms[1:]) <= 100000, ms)
        self.same("RESTORE", "k", "0", p, "REPLACE", "REPLACE", "ABSTTL")
        self.same("TTL", "k")
        self.same("RESTORE", "abs", "4102444800000", p, "ABSTTL")
        self.same("PEXPIRETIME", "abs")
        # A time already past: the key is not created, and REPLACE deletes
        # the one there.
        self.same("RESTORE", "past", "1", p, "ABSTTL")
        self.same("EXISTS", "past")
        self.same("RESTORE", "k", "1", p, "REPLACE", "ABSTTL")
        self.same("EXISTS", "k")
        # A relative TTL that overflows wraps into the past, as in Redis.
        self.same("RESTORE", "huge", "9223372036854775807", p)
        self.same("EXISTS", "huge")
        self.same("DBSIZE")

    def test_other_types_are_refused_clearly(self):
        if support.IS_REDIS:
            self.skipTest("redis-server stores every type")
        self.assertEqual(self.ref.call_raw(resp("RPUSH", "list", "a", "b")), b":2\r\n")
        p = bulk(self.ref.call_raw(resp("DUMP", "list")))
        got = self.sut.call_raw(resp("RESTORE", "list", "0", p))
        self.assertTrue(got.startswith(b"-ERR Bad data format: the payload holds a value of RDB "
                                       b"type "), got)
        self.assertIn(b"ringkv stores only strings", got)
        self.assertEqual(self.sut.call_raw(resp("EXISTS", "list")), b":0\r\n")

    def test_restored_keys_survive_a_restart(self):
        if support.IS_REDIS:
            self.skipTest("the reference runs without persistence")
        self.same("SET", "k", "x" * 100)
        p = bulk(self.ref.call_raw(resp("DUMP", "k")))  # compressed
        self.assertEqual(self.sut.call_raw(resp("RESTORE", "r", "600000", p)), b"+OK\r\n")
        self.server.stop()
        self.server.start()
        c = self.connect(self.server.port)
        self.assertEqual(c.call_raw(resp("GET", "r")), b"$100\r\n" + b"x" * 100 + b"\r\n")
        ttl = c.call_raw(resp("TTL", "r"))
        self.assertTrue(590 <= int(ttl[1:]) <= 600, ttl)


if __name__ == "__main__":
    unittest.main()
