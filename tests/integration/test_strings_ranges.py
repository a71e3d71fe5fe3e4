"""String ranges and binary values: APPEND, STRLEN, GETRANGE/SUBSTR and
SETRANGE, then binary-safe keys and values and megabyte values through them
(helpers from test_strings.py).

Expectations were checked against redis-server 7.0.15:

    RINGKV_SERVER=/usr/bin/redis-server /usr/bin/python3 -m unittest -v test_strings_ranges
"""

import unittest

from test_strings import LLONG_MAX, StringTestCase


class TestAppendAndRanges(StringTestCase):
    def test_append(self):
        self.assertEqual(self.r.append("k", "Hello"), 5)
        self.assertEqual(self.r.append("k", " World"), 11)
        self.assertEqual(self.r.get("k"), b"Hello World")
        self.assertEqual(self.rc.call("APPEND", "k", ""), 11)
        self.assertErr("ERR wrong number of arguments for 'append' command", "APPEND", "k")

    def test_append_to_integer_value(self):
        self.r.incr("n")
        self.assertEqual(self.r.append("n", "23"), 3)
        self.assertEqual(self.r.incr("n"), 124)

    def test_append_keeps_ttl(self):
        self.r.set("k", "a", ex=100)
        self.r.append("k", "b")
        self.assertTTLAbout("k", 100)

    def test_strlen(self):
        self.assertEqual(self.r.strlen("k"), 0)
        self.r.set("k", "hello")
        self.assertEqual(self.r.strlen("k"), 5)
        self.r.set("u", "\u00e9\u00e9")  # 2 characters, 4 bytes of UTF-8
        self.assertEqual(self.r.strlen("u"), 4)
        self.assertErr("ERR wrong number of arguments for 'strlen' command", "STRLEN")

    def test_getrange(self):
        self.r.set("k", "This is a string")
        cases = [
            ((0, 3), b"This"),
            ((-3, -1), b"ing"),
            ((0, -1), b"This is a string"),
            ((10, 100), b"string"),
            ((5, 3), b""),
            ((-100, 3), b"This"),
            # Redis 7.0 clamps both ends to 0 before comparing them.
            ((-100, -50), b"T"),
            ((100, 200), b""),
            ((15, 15), b"g"),
            ((16, 16), b""),
            ((0, LLONG_MAX), b"This is a string"),
            ((-1, -2), b""),
        ]
        for (start, end), want in cases:
            with self.subTest(start=start, end=end):
                self.assertEqual(self.r.getrange("k", start, end), want)
                self.assertEqual(self.rc.call("GETRANGE", "k", start, end), want)

    def test_getrange_missing_key(self):
        self.assertEqual(self.rc.call("GETRANGE", "nokey", "0", "-1"), b"")
        self.assertEqual(self.rc.call("GETRANGE", "nokey", "0", "10"), b"")

    def test_getrange_errors(self):
        self.r.set("k", "abc")
        self.assertErr("ERR value is not an integer or out of range", "GETRANGE", "k", "a", "1")
        self.assertErr("ERR value is not an integer or out of range", "GETRANGE", "k", "0", "1.5")
        self.assertErr("ERR wrong number of arguments for 'getrange' command", "GETRANGE", "k", "0")

    def test_substr(self):
        self.r.set("k", "Hello World")
        self.assertEqual(self.rc.call("SUBSTR", "k", "0", "4"), b"Hello")
        self.assertEqual(self.rc.call("SUBSTR", "k", "-5", "-1"), b"World")
        self.assertEqual(self.rc.call("SUBSTR", "k", "20", "30"), b"")
        self.assertEqual(self.rc.call("SUBSTR", "nokey", "0", "1"), b"")
        self.assertErr("ERR wrong number of arguments for 'substr' command", "SUBSTR", "k", "1")

    def test_setrange(self):
        self.r.set("k", "Hello World")
        self.assertEqual(self.r.setrange("k", 6, "Redis"), 11)
        self.assertEqual(self.r.get("k"), b"Hello Redis")
        self.assertEqual(self.rc.call("SETRANGE", "k", "6", "Everyone"), 14)
        self.assertEqual(self.r.get("k"), b"Hello Everyone")

    def test_setrange_pads_with_zero_bytes(self):
        self.assertEqual(self.r.setrange("k", 5, "x"), 6)
        self.assertEqual(self.r.get("k"), b"\x00\x00\x00\x00\x00x")
        self.r.set("s", "ab")
        self.assertEqual(self.r.setrange("s", 4, "z"), 5)
        self.assertEqual(self.r.get("s"), b"ab\x00\x00z")

    def test_setrange_empty_value(self):
        # An empty value never creates the key and never grows it.
        self.assertEqual(self.r.setrange("k", 10, ""), 0)
        self.assertEqual(self.r.exists("k"), 0)
        self.r.set("s", "abc")
        self.assertEqual(self.r.setrange("s", 100, ""), 3)
        self.assertEqual(self.r.get("s"), b"abc")

    def test_setrange_keeps_ttl(self):
        self.r.set("k", "abc", ex=100)
        self.r.setrange("k", 1, "X")
        self.assertEqual(self.r.get("k"), b"aXc")
        self.assertTTLAbout("k", 100)

    def test_setrange_errors(self):
        self.r.set("k", "abc")
        self.assertErr("ERR offset is out of range", "SETRANGE", "k", "-1", "x")
        self.assertErr("ERR value is not an integer or out of range", "SETRANGE", "k", "x", "x")
        self.assertErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)",
                       "SETRANGE", "k", str(512 * 1024 * 1024), "x")
        self.assertErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)",
                       "SETRANGE", "new", str(512 * 1024 * 1024 - 1), "xy")
        self.assertErr("ERR wrong number of arguments for 'setrange' command", "SETRANGE", "k", "1")
        self.assertEqual(self.r.get("k"), b"abc")
        self.assertEqual(self.r.exists("new"), 0)


class TestBinaryAndLarge(StringTestCase):
    KEY = b"bin\r\nkey\x00\xff\xfe end"
    VALUE = bytes(range(256)) + b"\r\n$3\r\n*1\r\n" + b"\x00" * 10

    def test_binary_key_and_value(self):
        self.r.set(self.KEY, self.VALUE)
        self.assertEqual(self.r.get(self.KEY), self.VALUE)
        self.assertEqual(self.rc.call(b"GET", self.KEY), self.VALUE)
        self.assertEqual(self.r.strlen(self.KEY), len(self.VALUE))
        self.assertEqual(self.r.exists(self.KEY), 1)
        # Keys differing only after a NUL byte are distinct.
        self.assertIsNone(self.r.get(b"bin\r\nkey\x00\xff\xfe"))
        self.assertIsNone(self.r.get(b"bin\r\nkey"))
        self.assertEqual(self.r.delete(self.KEY), 1)

    def test_binary_append_and_getrange(self):
        self.r.set(b"k", b"\x00\xff")
        self.assertEqual(self.r.append(b"k", b"\r\n\x00"), 5)
        self.assertEqual(self.r.get(b"k"), b"\x00\xff\r\n\x00")
        self.assertEqual(self.r.getrange(b"k", 1, 3), b"\xff\r\n")

    def test_binary_mset_mget(self):
        pairs = {b"\x00": b"zero", b"\xff": b"\x00\x01", b"a\r\nb": b""}
        self.r.mset(pairs)
        self.assertEqual(self.r.mget(list(pairs)), list(pairs.values()))

    def test_one_megabyte_value(self):
        value = bytes((i * 7 + 3) % 256 for i in range(1024 * 1024))
        self.assertIs(self.r.set("big", value), True)
        self.assertEqual(self.r.get("big"), value)
        self.assertEqual(self.r.strlen("big"), len(value))
        self.assertEqual(self.r.getrange("big", 1000000, 1000009), value[1000000:1000010])
        self.assertEqual(self.r.append("big", value), 2 * len(value))
        self.assertEqual(self.r.get("big"), value + value)
        self.assertEqual(self.r.setrange("big", 2 * len(value) - 1, b"!"), 2 * len(value))
        self.assertEqual(self.r.getrange("big", -2, -1), value[-2:-1] + b"!")

    def test_pipelined_large_and_small(self):
        value = b"x" * (1024 * 1024)
        pipe = self.r.pipeline(transaction=False)
        for i in range(5):
            pipe.set("big%d" % i, value + str(i).encode())
            pipe.get("big%d" % i)
        replies = pipe.execute()
        for i in range(5):
            self.assertIs(replies[2 * i], True)
            self.assertEqual(replies[2 * i + 1], value + str(i).encode())


if __name__ == "__main__":
    unittest.main()
