"""String commands, checked as a Redis user sees them: reply values, reply
types on the wire, and error texts byte for byte. This file: GET/SET and the
SET options, SETNX/SETEX/PSETEX/GETSET/GETDEL/GETEX, MGET/MSET/MSETNX, and
expiry; counters are in test_strings_counters.py, APPEND/STRLEN/GETRANGE/
SETRANGE and binary or large values in test_strings_ranges.py (both use the
helpers defined here).

Expectations were checked against redis-server 7.0.15:

    RINGKV_SERVER=/usr/bin/redis-server /usr/bin/python3 -m unittest -v test_strings
"""

import socket
import time
import unittest

import redis

import support

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)

# Error codes that redis-py strips from the front of an error's text.
_STRIPPED_CODES = ("ERR", "EXECABORT", "LOADING", "NOSCRIPT", "READONLY", "NOAUTH", "NOPERM")


class Status(str):
    """A RESP simple string (+OK), as opposed to a bulk string (bytes).
    Equal to a plain str or Status of the same text, never to an Err."""

    def __eq__(self, other):
        return not isinstance(other, Err) and str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


class Err(str):
    """A RESP error reply, full text including its code (e.g. 'ERR ...').
    Equal only to another Err, so a test must say it expects an error."""

    def __eq__(self, other):
        return isinstance(other, Err) and str.__eq__(self, other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespConn:
    """A minimal RESP2 client on a plain socket, for exact reply types."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, *args):
        self.sock.sendall(encode_command(args))

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return Status(rest.decode())
        if kind == b"-":
            return Err(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise AssertionError("unexpected RESP2 reply line %r" % line)

    def call(self, *args):
        self.send(*args)
        return self.read()


class RespAssertions:
    """Mixed into a ServerTestCase: `self.rc` is a raw RESP connection (opened
    on first use), plus assertions on exact error texts and TTLs. Other test
    files import this from here."""

    def setUp(self):
        super().setUp()
        self._raw = None

    def tearDown(self):
        if self._raw is not None:
            self._raw.close()
        super().tearDown()

    @property
    def rc(self):
        if self._raw is None:
            self._raw = RespConn(self.server.port)
        return self._raw

    def assertErr(self, expected, *args):
        """The command fails with exactly `expected` ('ERR ...'), both as
        redis-py reports it and byte for byte on the wire."""
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            self.r.execute_command(*args)
        code = expected.split(" ", 1)[0]
        shown = expected[len(code) + 1:] if code in _STRIPPED_CODES else expected
        self.assertEqual(str(cm.exception), shown)
        reply = self.rc.call(*args)
        self.assertEqual(reply, Err(expected), "raw reply to %r" % (args,))

    def assertTTLAbout(self, key, seconds):
        pttl = self.r.pttl(key)
        self.assertLessEqual(pttl, seconds * 1000)
        self.assertGreater(pttl, seconds * 1000 - 5000)


class StringTestCase(RespAssertions, support.ServerTestCase):
    pass


class TestGetSet(StringTestCase):
    def test_get_missing_is_nil(self):
        self.assertIsNone(self.r.get("nokey"))
        self.assertIsNone(self.rc.call("GET", "nokey"))

    def test_set_then_get(self):
        self.assertIs(self.r.set("k", "hello"), True)
        self.assertEqual(self.r.get("k"), b"hello")

    def test_set_reply_is_simple_ok_and_get_is_bulk(self):
        self.assertEqual(self.rc.call("SET", "k", "v"), Status("OK"))
        self.assertIsInstance(self.rc.call("SET", "k", "v"), Status)
        reply = self.rc.call("GET", "k")
        self.assertEqual(reply, b"v")
        self.assertIsInstance(reply, bytes)

    def test_set_overwrites(self):
        self.r.set("k", "one")
        self.r.set("k", "two")
        self.assertEqual(self.r.get("k"), b"two")

    def test_empty_value(self):
        self.r.set("k", "")
        self.assertEqual(self.r.get("k"), b"")
        self.assertEqual(self.r.strlen("k"), 0)
        self.assertEqual(self.r.exists("k"), 1)
        self.assertEqual(self.rc.call("GET", "k"), b"")

    def test_command_names_and_options_are_case_insensitive(self):
        self.assertEqual(self.rc.call("sEt", "k", "v", "ex", "100"), "OK")
        self.assertEqual(self.rc.call("get", "k"), b"v")
        self.assertTTLAbout("k", 100)

    def test_keys_are_case_sensitive(self):
        self.r.set("Key", "upper")
        self.r.set("key", "lower")
        self.assertEqual(self.r.get("Key"), b"upper")
        self.assertEqual(self.r.get("key"), b"lower")

    def test_set_ex(self):
        self.assertIs(self.r.set("k", "v", ex=100), True)
        self.assertEqual(self.r.ttl("k"), 100)
        self.assertTTLAbout("k", 100)

    def test_set_px(self):
        self.r.set("k", "v", px=100000)
        self.assertTTLAbout("k", 100)

    def test_set_exat(self):
        at = int(time.time()) + 200
        self.r.set("k", "v", exat=at)
        self.assertEqual(self.r.expiretime("k"), at)
        self.assertTTLAbout("k", 200)

    def test_set_pxat(self):
        at = int(time.time() * 1000) + 200000
        self.r.set("k", "v", pxat=at)
        self.assertEqual(self.r.pexpiretime("k"), at)
        self.assertTTLAbout("k", 200)

    def test_set_exat_in_the_past_leaves_no_key(self):
        self.r.set("k", "old")
        self.assertEqual(self.rc.call("SET", "k", "v", "EXAT", "1"), "OK")
        self.assertIsNone(self.r.get("k"))
        self.assertEqual(self.r.exists("k"), 0)

    def test_set_pxat_in_the_past_leaves_no_key(self):
        self.assertEqual(self.rc.call("SET", "k", "v", "PXAT", "1000"), "OK")
        self.assertEqual(self.r.exists("k"), 0)

    def test_plain_set_clears_ttl(self):
        self.r.set("k", "v", ex=100)
        self.r.set("k", "w")
        self.assertEqual(self.r.ttl("k"), -1)

    def test_set_keepttl(self):
        self.r.set("k", "v", ex=100)
        self.assertIs(self.r.set("k", "w", keepttl=True), True)
        self.assertEqual(self.r.get("k"), b"w")
        self.assertTTLAbout("k", 100)

    def test_set_keepttl_on_key_without_ttl(self):
        self.r.set("k", "v")
        self.r.set("k", "w", keepttl=True)
        self.assertEqual(self.r.ttl("k"), -1)
        self.assertEqual(self.r.get("k"), b"w")

    def test_set_nx(self):
        self.assertIs(self.r.set("k", "first", nx=True), True)
        self.assertIsNone(self.r.set("k", "second", nx=True))
        self.assertEqual(self.r.get("k"), b"first")
        # The refused SET is a nil bulk reply on the wire.
        self.assertIsNone(self.rc.call("SET", "k", "third", "NX"))
        self.assertEqual(self.r.get("k"), b"first")

    def test_set_xx(self):
        self.assertIsNone(self.r.set("k", "v", xx=True))
        self.assertEqual(self.r.exists("k"), 0)
        self.r.set("k", "v")
        self.assertIs(self.r.set("k", "w", xx=True), True)
        self.assertEqual(self.r.get("k"), b"w")

    def test_set_nx_with_ex(self):
        self.assertIs(self.r.set("k", "v", nx=True, ex=50), True)
        self.assertTTLAbout("k", 50)
        self.assertIsNone(self.r.set("k", "w", nx=True, ex=500))
        self.assertTTLAbout("k", 50)

    def test_set_xx_keepttl(self):
        self.r.set("k", "v", px=80000)
        self.assertEqual(self.rc.call("SET", "k", "w", "XX", "KEEPTTL"), "OK")
        self.assertTTLAbout("k", 80)

    def test_set_get_returns_old_value(self):
        self.assertIsNone(self.r.set("k", "v1", get=True))
        self.assertEqual(self.r.get("k"), b"v1")
        self.assertEqual(self.r.set("k", "v2", get=True), b"v1")
        self.assertEqual(self.r.get("k"), b"v2")
        self.assertEqual(self.rc.call("SET", "k", "v3", "GET"), b"v2")

    def test_set_nx_get(self):
        # Allowed since Redis 7.0: the old value comes back, nothing is written.
        self.r.set("k", "old")
        self.assertEqual(self.rc.call("SET", "k", "new", "NX", "GET"), b"old")
        self.assertEqual(self.r.get("k"), b"old")
        self.assertIsNone(self.rc.call("SET", "fresh", "new", "NX", "GET"))
        self.assertEqual(self.r.get("fresh"), b"new")

    def test_set_xx_get(self):
        self.assertIsNone(self.rc.call("SET", "k", "v", "XX", "GET"))
        self.assertEqual(self.r.exists("k"), 0)
        self.r.set("k", "a")
        self.assertEqual(self.rc.call("SET", "k", "b", "XX", "GET"), b"a")
        self.assertEqual(self.r.get("k"), b"b")

    def test_set_get_with_ex(self):
        self.r.set("k", "a")
        self.assertEqual(self.rc.call("SET", "k", "b", "GET", "EX", "100"), b"a")
        self.assertTTLAbout("k", 100)

    def test_set_syntax_errors(self):
        bad = [
            ("SET", "k", "v", "NX", "XX"),
            ("SET", "k", "v", "XX", "NX"),
            ("SET", "k", "v", "EX", "10", "PX", "100"),
            ("SET", "k", "v", "EX", "10", "EXAT", "99999999999"),
            ("SET", "k", "v", "PX", "10", "PXAT", "99999999999"),
            ("SET", "k", "v", "KEEPTTL", "EX", "10"),
            ("SET", "k", "v", "PX", "100", "KEEPTTL"),
            ("SET", "k", "v", "EX"),
            ("SET", "k", "v", "PXAT"),
            ("SET", "k", "v", "FOO"),
            ("SET", "k", "v", "10"),
        ]
        for args in bad:
            with self.subTest(args=args):
                self.assertErr("ERR syntax error", *args)
        self.assertEqual(self.r.exists("k"), 0)

    def test_set_invalid_expire_time(self):
        for args in [
            ("SET", "k", "v", "EX", "0"),
            ("SET", "k", "v", "EX", "-1"),
            ("SET", "k", "v", "PX", "0"),
            ("SET", "k", "v", "PX", "-100"),
            ("SET", "k", "v", "EXAT", "0"),
            ("SET", "k", "v", "PXAT", "-5"),
            ("SET", "k", "v", "EX", str(LLONG_MAX)),
            ("SET", "k", "v", "EX", str(LLONG_MAX // 1000 + 1)),
        ]:
            with self.subTest(args=args):
                self.assertErr("ERR invalid expire time in 'set' command", *args)
        self.assertEqual(self.r.exists("k"), 0)

    def test_set_non_integer_expire(self):
        for value in ["abc", "1.5", "", " 10", str(LLONG_MAX + 1)]:
            with self.subTest(value=value):
                self.assertErr("ERR value is not an integer or out of range",
                               "SET", "k", "v", "EX", value)
        self.assertErr("ERR value is not an integer or out of range", "SET", "k", "v", "PX", "1e3")
        self.assertEqual(self.r.exists("k"), 0)

    def test_failed_set_keeps_old_value(self):
        self.r.set("k", "keep", ex=100)
        self.assertErr("ERR syntax error", "SET", "k", "v", "NX", "XX")
        self.assertErr("ERR invalid expire time in 'set' command", "SET", "k", "v", "EX", "0")
        self.assertEqual(self.r.get("k"), b"keep")
        self.assertTTLAbout("k", 100)

    def test_get_and_set_arity(self):
        self.assertErr("ERR wrong number of arguments for 'get' command", "GET")
        self.assertErr("ERR wrong number of arguments for 'get' command", "GET", "a", "b")
        self.assertErr("ERR wrong number of arguments for 'set' command", "SET", "k")
        self.assertErr("ERR wrong number of arguments for 'set' command", "SET")

    def test_unknown_command(self):
        self.assertErr("ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ",
                       "NOSUCHCMD", "a", "b")
        self.assertErr("ERR unknown command 'nosuchcmd', with args beginning with: ",
                       "nosuchcmd")


class TestSetVariants(StringTestCase):
    def test_setnx(self):
        self.assertIs(self.r.setnx("k", "a"), True)
        self.assertIs(self.r.setnx("k", "b"), False)
        self.assertEqual(self.r.get("k"), b"a")
        self.assertEqual(self.rc.call("SETNX", "k", "c"), 0)
        self.assertEqual(self.rc.call("SETNX", "k2", "c"), 1)
        self.assertErr("ERR wrong number of arguments for 'setnx' command", "SETNX", "k")

    def test_setnx_does_not_touch_ttl(self):
        self.r.set("k", "a", ex=100)
        self.r.setnx("k", "b")
        self.assertTTLAbout("k", 100)

    def test_setex(self):
        self.assertIs(self.r.setex("k", 100, "v"), True)
        self.assertEqual(self.r.get("k"), b"v")
        self.assertTTLAbout("k", 100)
        self.assertEqual(self.rc.call("SETEX", "k", "50", "w"), "OK")
        self.assertEqual(self.r.get("k"), b"w")
        self.assertTTLAbout("k", 50)

    def test_setex_errors(self):
        self.assertErr("ERR invalid expire time in 'setex' command", "SETEX", "k", "0", "v")
        self.assertErr("ERR invalid expire time in 'setex' command", "SETEX", "k", "-10", "v")
        self.assertErr("ERR value is not an integer or out of range", "SETEX", "k", "ten", "v")
        self.assertErr("ERR wrong number of arguments for 'setex' command", "SETEX", "k", "10")
        self.assertEqual(self.r.exists("k"), 0)

    def test_psetex(self):
        self.assertIs(self.r.psetex("k", 100000, "v"), True)
        self.assertEqual(self.r.get("k"), b"v")
        self.assertTTLAbout("k", 100)

    def test_psetex_errors(self):
        self.assertErr("ERR invalid expire time in 'psetex' command", "PSETEX", "k", "0", "v")
        self.assertErr("ERR invalid expire time in 'psetex' command", "PSETEX", "k", "-1", "v")
        self.assertErr("ERR value is not an integer or out of range", "PSETEX", "k", "1.5", "v")
        self.assertEqual(self.r.exists("k"), 0)

    def test_getset(self):
        self.assertIsNone(self.r.getset("k", "a"))
        self.assertEqual(self.r.getset("k", "b"), b"a")
        self.assertEqual(self.r.get("k"), b"b")
        self.assertErr("ERR wrong number of arguments for 'getset' command", "GETSET", "k")

    def test_getset_clears_ttl(self):
        self.r.set("k", "a", ex=100)
        self.assertEqual(self.r.getset("k", "b"), b"a")
        self.assertEqual(self.r.ttl("k"), -1)

    def test_getdel(self):
        self.r.set("k", "v", ex=100)
        self.assertEqual(self.r.getdel("k"), b"v")
        self.assertEqual(self.r.exists("k"), 0)
        self.assertIsNone(self.r.getdel("k"))
        self.assertIsNone(self.rc.call("GETDEL", "k"))
        self.assertErr("ERR wrong number of arguments for 'getdel' command", "GETDEL")
        self.assertErr("ERR wrong number of arguments for 'getdel' command", "GETDEL", "a", "b")


class TestGetex(StringTestCase):
    def test_getex_without_options_keeps_ttl(self):
        self.r.set("k", "v", ex=100)
        self.assertEqual(self.r.getex("k"), b"v")
        self.assertTTLAbout("k", 100)
        self.r.set("p", "v")
        self.assertEqual(self.r.getex("p"), b"v")
        self.assertEqual(self.r.ttl("p"), -1)

    def test_getex_missing(self):
        self.assertIsNone(self.r.getex("nokey", ex=10))
        self.assertEqual(self.r.exists("nokey"), 0)
        self.assertIsNone(self.rc.call("GETEX", "nokey", "PERSIST"))

    def test_getex_ex(self):
        self.r.set("k", "v")
        self.assertEqual(self.r.getex("k", ex=100), b"v")
        self.assertTTLAbout("k", 100)

    def test_getex_px(self):
        self.r.set("k", "v")
        self.assertEqual(self.r.getex("k", px=70000), b"v")
        self.assertTTLAbout("k", 70)

    def test_getex_exat(self):
        self.r.set("k", "v")
        at = int(time.time()) + 300
        self.assertEqual(self.r.getex("k", exat=at), b"v")
        self.assertEqual(self.r.expiretime("k"), at)

    def test_getex_pxat(self):
        self.r.set("k", "v")
        at = int(time.time() * 1000) + 300000
        self.assertEqual(self.r.getex("k", pxat=at), b"v")
        self.assertEqual(self.r.pexpiretime("k"), at)

    def test_getex_persist(self):
        self.r.set("k", "v", ex=100)
        self.assertEqual(self.r.getex("k", persist=True), b"v")
        self.assertEqual(self.r.ttl("k"), -1)
        self.assertEqual(self.r.get("k"), b"v")

    def test_getex_exat_in_the_past_deletes(self):
        self.r.set("k", "v")
        self.assertEqual(self.rc.call("GETEX", "k", "EXAT", "1"), b"v")
        self.assertEqual(self.r.exists("k"), 0)

    def test_getex_errors(self):
        self.r.set("k", "v", ex=100)
        for opt, name in [("EX", "getex"), ("PX", "getex"), ("EXAT", "getex"), ("PXAT", "getex")]:
            with self.subTest(opt=opt):
                self.assertErr("ERR invalid expire time in '%s' command" % name, "GETEX", "k", opt, "0")
                self.assertErr("ERR invalid expire time in '%s' command" % name, "GETEX", "k", opt, "-3")
                self.assertErr("ERR value is not an integer or out of range", "GETEX", "k", opt, "x")
        for args in [
            ("GETEX", "k", "PERSIST", "EX", "10"),
            ("GETEX", "k", "EX", "10", "PERSIST"),
            ("GETEX", "k", "EX", "10", "PX", "100"),
            ("GETEX", "k", "EX"),
            ("GETEX", "k", "FOO"),
            ("GETEX", "k", "KEEPTTL"),
        ]:
            with self.subTest(args=args):
                self.assertErr("ERR syntax error", *args)
        self.assertErr("ERR wrong number of arguments for 'getex' command", "GETEX")
        # Nothing above changed the key.
        self.assertEqual(self.r.get("k"), b"v")
        self.assertTTLAbout("k", 100)


class TestMulti(StringTestCase):
    def test_mget(self):
        self.r.set("a", "1")
        self.r.set("c", "3")
        self.assertEqual(self.r.mget("a", "b", "c"), [b"1", None, b"3"])
        self.assertEqual(self.rc.call("MGET", "a", "b", "a"), [b"1", None, b"1"])
        self.assertEqual(self.rc.call("MGET", "zz"), [None])
        self.assertErr("ERR wrong number of arguments for 'mget' command", "MGET")

    def test_mset(self):
        self.assertIs(self.r.mset({"a": "1", "b": "2", "c": "3"}), True)
        self.assertEqual(self.r.mget("a", "b", "c"), [b"1", b"2", b"3"])
        self.assertEqual(self.rc.call("MSET", "a", "x"), "OK")
        self.assertEqual(self.r.get("a"), b"x")

    def test_mset_same_key_twice_last_wins(self):
        self.rc.call("MSET", "k", "first", "k", "second")
        self.assertEqual(self.r.get("k"), b"second")

    def test_mset_clears_ttl(self):
        self.r.set("a", "v", ex=100)
        self.r.mset({"a": "w"})
        self.assertEqual(self.r.ttl("a"), -1)

    def test_mset_arity(self):
        self.assertErr("ERR wrong number of arguments for 'mset' command", "MSET", "a", "1", "b")
        self.assertErr("ERR wrong number of arguments for 'mset' command", "MSET", "a")
        self.assertErr("ERR wrong number of arguments for 'mset' command", "MSET")
        self.assertEqual(self.r.exists("a"), 0)

    def test_msetnx(self):
        self.assertIs(self.r.msetnx({"a": "1", "b": "2"}), True)
        self.assertIs(self.r.msetnx({"b": "x", "c": "3"}), False)
        # All or nothing: c was not set because b existed.
        self.assertEqual(self.r.mget("a", "b", "c"), [b"1", b"2", None])
        self.assertEqual(self.rc.call("MSETNX", "c", "3", "d", "4"), 1)
        self.assertEqual(self.rc.call("MSETNX", "d", "5"), 0)
        self.assertEqual(self.r.get("d"), b"4")
        self.assertErr("ERR wrong number of arguments for 'msetnx' command", "MSETNX", "x", "1", "y")


class TestExpiryOfStrings(StringTestCase):
    def test_set_px_expires(self):
        self.r.set("k", "v", px=300)
        self.assertEqual(self.r.get("k"), b"v")
        time.sleep(0.7)
        self.assertIsNone(self.r.get("k"))
        self.assertEqual(self.r.exists("k"), 0)
        self.assertEqual(self.r.strlen("k"), 0)

    def test_expired_key_behaves_as_missing_for_writes(self):
        self.r.set("n", "41", px=150)
        self.r.set("a", "old", px=150)
        self.r.set("x", "v", px=150)
        time.sleep(0.4)
        self.assertEqual(self.r.incr("n"), 1)
        self.assertEqual(self.r.ttl("n"), -1)
        self.assertEqual(self.r.append("a", "new"), 3)
        self.assertIs(self.r.setnx("x", "fresh"), True)
        self.assertEqual(self.r.get("x"), b"fresh")
        self.assertEqual(self.r.ttl("x"), -1)

    def test_getex_px_expires(self):
        self.r.set("k", "v")
        self.assertEqual(self.r.getex("k", px=150), b"v")
        time.sleep(0.4)
        self.assertIsNone(self.r.get("k"))


if __name__ == "__main__":
    unittest.main()
