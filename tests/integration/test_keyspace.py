"""Keyspace commands: DEL/EXISTS/TYPE, KEYS and SCAN, RENAME/COPY, the
EXPIRE family and TTLs, FLUSHDB/FLUSHALL and SELECT, as a Redis user sees them.

Expectations were checked against redis-server 7.0.15:

    RINGKV_SERVER=/usr/bin/redis-server /usr/bin/python3 -m unittest -v test_keyspace
"""

import time
import unittest

import support
from test_strings import LLONG_MAX, Err, RespAssertions, RespConn, Status

# Bounds every SCAN loop: far more calls than any sane server needs.
MAX_SCAN_CALLS = 2000


class KeyspaceTestCase(RespAssertions, support.ServerTestCase):
    def scan_all(self, *options):
        """Iterates SCAN with raw replies until cursor 0; returns every key
        returned (with repeats) and the number of calls."""
        cursor = b"0"
        seen = []
        for calls in range(1, MAX_SCAN_CALLS + 1):
            reply = self.rc.call("SCAN", cursor, *options)
            self.assertIsInstance(reply, list)
            self.assertEqual(len(reply), 2)
            cursor, keys = reply
            self.assertIsInstance(cursor, bytes, "cursor is a bulk string")
            self.assertTrue(cursor.isdigit(), cursor)
            self.assertIsInstance(keys, list)
            for k in keys:
                self.assertIsInstance(k, bytes)
            seen.extend(keys)
            if cursor == b"0":
                return seen, calls
        self.fail("SCAN did not return cursor 0 within %d calls" % MAX_SCAN_CALLS)


class TestDelExistsType(KeyspaceTestCase):
    def test_del(self):
        self.r.mset({"a": "1", "b": "2", "c": "3"})
        self.assertEqual(self.r.delete("a", "b", "nokey"), 2)
        self.assertEqual(self.r.exists("a", "b", "c"), 1)
        self.assertEqual(self.rc.call("DEL", "c"), 1)
        self.assertEqual(self.rc.call("DEL", "c"), 0)
        self.assertEqual(self.r.dbsize(), 0)

    def test_del_same_key_twice_counts_once(self):
        self.r.set("a", "1")
        self.assertEqual(self.rc.call("DEL", "a", "a"), 1)
        self.assertEqual(self.r.exists("a"), 0)

    def test_del_then_set_has_no_ttl(self):
        self.r.set("a", "1", ex=100)
        self.r.delete("a")
        self.r.set("a", "2")
        self.assertEqual(self.r.ttl("a"), -1)

    def test_unlink(self):
        self.r.mset({"a": "1", "b": "2"})
        self.assertEqual(self.r.unlink("a", "b", "c"), 2)
        self.assertEqual(self.r.exists("a", "b"), 0)
        self.assertEqual(self.rc.call("UNLINK", "a"), 0)
        self.assertErr("ERR wrong number of arguments for 'unlink' command", "UNLINK")

    def test_exists_counts_duplicates(self):
        self.r.set("a", "1")
        self.r.set("b", "2")
        self.assertEqual(self.r.exists("a"), 1)
        self.assertEqual(self.r.exists("nokey"), 0)
        self.assertEqual(self.r.exists("a", "a", "a"), 3)
        self.assertEqual(self.rc.call("EXISTS", "a", "b", "c", "a"), 3)

    def test_type(self):
        self.r.set("s", "v")
        self.assertEqual(self.r.type("s"), b"string")
        self.assertEqual(self.r.type("nokey"), b"none")
        self.assertEqual(self.rc.call("TYPE", "s"), Status("string"))
        self.assertIsInstance(self.rc.call("TYPE", "nokey"), Status)
        self.assertEqual(self.rc.call("TYPE", "nokey"), "none")
        self.r.incr("n")
        self.assertEqual(self.r.type("n"), b"string")

    def test_arity(self):
        self.assertErr("ERR wrong number of arguments for 'del' command", "DEL")
        self.assertErr("ERR wrong number of arguments for 'exists' command", "EXISTS")
        self.assertErr("ERR wrong number of arguments for 'type' command", "TYPE")
        self.assertErr("ERR wrong number of arguments for 'type' command", "TYPE", "a", "b")
        self.assertErr("ERR wrong number of arguments for 'dbsize' command", "DBSIZE", "x")
        self.assertErr("ERR wrong number of arguments for 'randomkey' command", "RANDOMKEY", "x")
        self.assertErr("ERR wrong number of arguments for 'keys' command", "KEYS")
        self.assertErr("ERR wrong number of arguments for 'scan' command", "SCAN")
        self.assertErr("ERR wrong number of arguments for 'touch' command", "TOUCH")


class TestKeys(KeyspaceTestCase):
    def setUp(self):
        super().setUp()
        self.r.mset({k: "v" for k in ["hello", "hallo", "hxllo", "hllo", "heeeello",
                                      "abc", "bbc", "cbc", "dbc", "a*b", "axb", "a?b",
                                      "a[b", "key:1", "key:2", "key:10"]})

    def keys(self, pattern):
        return sorted(k.decode() for k in self.r.keys(pattern))

    def test_star(self):
        self.assertEqual(len(self.r.keys("*")), 16)
        self.assertEqual(self.keys("h*llo"), ["hallo", "heeeello", "hello", "hllo", "hxllo"])
        self.assertEqual(self.keys("key:*"), ["key:1", "key:10", "key:2"])
        self.assertEqual(self.keys("*bc"), ["abc", "bbc", "cbc", "dbc"])

    def test_question_mark(self):
        self.assertEqual(self.keys("h?llo"), ["hallo", "hello", "hxllo"])
        self.assertEqual(self.keys("key:?"), ["key:1", "key:2"])
        self.assertEqual(self.keys("key:??"), ["key:10"])

    def test_brackets(self):
        self.assertEqual(self.keys("h[ae]llo"), ["hallo", "hello"])
        self.assertEqual(self.keys("[a-c]bc"), ["abc", "bbc", "cbc"])
        self.assertEqual(self.keys("[^a]bc"), ["bbc", "cbc", "dbc"])
        self.assertEqual(self.keys("[^a-c]bc"), ["dbc"])
        self.assertEqual(self.keys("[c-a]bc"), ["abc", "bbc", "cbc"])  # a reversed range still matches

    def test_escapes(self):
        self.assertEqual(self.keys("a\\*b"), ["a*b"])
        self.assertEqual(self.keys("a\\?b"), ["a?b"])
        self.assertEqual(self.keys("a\\[b"), ["a[b"])
        self.assertEqual(self.keys("a*b"), ["a*b", "a?b", "a[b", "axb"])
        self.assertEqual(self.keys("a?b"), ["a*b", "a?b", "a[b", "axb"])
        self.assertEqual(self.keys("a[*]b"), ["a*b"])

    def test_exact_and_no_match(self):
        self.assertEqual(self.keys("hello"), ["hello"])
        self.assertEqual(self.r.keys("nomatch*"), [])
        self.assertEqual(self.rc.call("KEYS", "zzz"), [])

    def test_keys_on_empty_db(self):
        self.r.flushall()
        self.assertEqual(self.r.keys("*"), [])

    def test_binary_keys(self):
        self.r.set(b"\x00bin\xff", "v")
        self.assertEqual(self.r.keys(b"\x00*"), [b"\x00bin\xff"])
        self.assertEqual(self.r.keys(b"*\xff"), [b"\x00bin\xff"])


class TestScan(KeyspaceTestCase):
    def test_scan_empty_db(self):
        reply = self.rc.call("SCAN", "0")
        self.assertEqual(reply, [b"0", []])
        self.assertEqual(self.r.scan(0), (0, []))

    def test_scan_returns_every_key(self):
        names = {("key:%d" % i).encode() for i in range(300)}
        self.r.mset({k: "v" for k in names})
        seen, _ = self.scan_all()
        self.assertEqual(set(seen), names)
        seen, _ = self.scan_all("COUNT", "7")
        self.assertEqual(set(seen), names)
        seen, _ = self.scan_all("COUNT", "1000")
        self.assertEqual(set(seen), names)

    def test_scan_iter_with_redis_py(self):
        names = {("k%d" % i).encode() for i in range(120)}
        self.r.mset({k: "x" for k in names})
        self.assertEqual(set(self.r.scan_iter(count=10)), names)
        cursor, keys = self.r.scan(0, count=5)
        self.assertIsInstance(cursor, int)
        self.assertTrue(set(keys) <= names)

    def test_scan_match(self):
        self.r.mset({"user:%d" % i: "u" for i in range(50)})
        self.r.mset({"item:%d" % i: "i" for i in range(50)})
        seen, _ = self.scan_all("MATCH", "user:*", "COUNT", "10")
        self.assertEqual(set(seen), {("user:%d" % i).encode() for i in range(50)})
        seen, _ = self.scan_all("MATCH", "item:?")
        self.assertEqual(set(seen), {("item:%d" % i).encode() for i in range(10)})
        seen, _ = self.scan_all("MATCH", "nothing*")
        self.assertEqual(seen, [])
        self.assertEqual(set(self.r.scan_iter(match="item:4?")),
                         {("item:4%d" % i).encode() for i in range(10)})

    def test_scan_type(self):
        self.r.mset({"s%d" % i: "v" for i in range(40)})
        seen, _ = self.scan_all("TYPE", "string")
        self.assertEqual(set(seen), {("s%d" % i).encode() for i in range(40)})
        seen, _ = self.scan_all("TYPE", "list")
        self.assertEqual(seen, [])
        seen, _ = self.scan_all("MATCH", "s1*", "TYPE", "string", "COUNT", "5")
        self.assertEqual(set(seen), {b"s1"} | {("s1%d" % i).encode() for i in range(10)})
        self.assertEqual(set(self.r.scan_iter(_type="string", match="s3?")),
                         {("s3%d" % i).encode() for i in range(10)})

    def test_scan_skips_deleted_and_sees_stable_keys(self):
        stable = {("stable:%d" % i).encode() for i in range(100)}
        doomed = {("doomed:%d" % i).encode() for i in range(100)}
        self.r.mset({k: "v" for k in stable | doomed})
        cursor, keys = self.rc.call("SCAN", "0", "COUNT", "10")
        seen = list(keys)
        self.r.delete(*doomed)
        for _ in range(MAX_SCAN_CALLS):
            if cursor == b"0":
                break
            cursor, keys = self.rc.call("SCAN", cursor, "COUNT", "10")
            seen.extend(keys)
        self.assertEqual(cursor, b"0")
        self.assertTrue(stable <= set(seen))
        self.assertTrue(set(seen) <= stable | doomed)

    def test_scan_errors(self):
        self.assertErr("ERR invalid cursor", "SCAN", "abc")
        self.assertErr("ERR invalid cursor", "SCAN", "1.5")
        self.assertErr("ERR invalid cursor", "SCAN", "18446744073709551616")
        self.assertErr("ERR syntax error", "SCAN", "0", "COUNT", "0")
        self.assertErr("ERR syntax error", "SCAN", "0", "COUNT", "-1")
        self.assertErr("ERR value is not an integer or out of range", "SCAN", "0", "COUNT", "ten")
        self.assertErr("ERR syntax error", "SCAN", "0", "MATCH")
        self.assertErr("ERR syntax error", "SCAN", "0", "COUNT")
        self.assertErr("ERR syntax error", "SCAN", "0", "TYPE")
        self.assertErr("ERR syntax error", "SCAN", "0", "FOO", "bar")


class TestRandomkeyDbsize(KeyspaceTestCase):
    def test_randomkey(self):
        self.assertIsNone(self.r.randomkey())
        self.assertIsNone(self.rc.call("RANDOMKEY"))
        self.r.set("only", "v")
        self.assertEqual(self.r.randomkey(), b"only")
        names = {b"a", b"b", b"c", b"only"}
        self.r.mset({"a": 1, "b": 2, "c": 3})
        for _ in range(20):
            self.assertIn(self.r.randomkey(), names)

    def test_dbsize(self):
        self.assertEqual(self.r.dbsize(), 0)
        self.r.mset({"k%d" % i: i for i in range(25)})
        self.assertEqual(self.r.dbsize(), 25)
        self.assertEqual(self.rc.call("DBSIZE"), 25)
        self.r.delete("k0", "k1")
        self.assertEqual(self.r.dbsize(), 23)
        self.r.set("k2", "overwritten")
        self.assertEqual(self.r.dbsize(), 23)


class TestRenameCopy(KeyspaceTestCase):
    def test_rename(self):
        self.r.set("a", "value")
        self.assertIs(self.r.rename("a", "b"), True)
        self.assertEqual(self.r.exists("a"), 0)
        self.assertEqual(self.r.get("b"), b"value")
        self.assertEqual(self.rc.call("RENAME", "b", "c"), Status("OK"))
        self.assertEqual(self.r.get("c"), b"value")

    def test_rename_overwrites_destination_and_its_ttl(self):
        self.r.set("src", "new")
        self.r.set("dst", "old", ex=100)
        self.r.rename("src", "dst")
        self.assertEqual(self.r.get("dst"), b"new")
        self.assertEqual(self.r.ttl("dst"), -1)

    def test_rename_moves_ttl(self):
        self.r.set("src", "v", ex=100)
        self.r.rename("src", "dst")
        self.assertTTLAbout("dst", 100)
        self.assertEqual(self.r.ttl("src"), -2)

    def test_rename_missing_key(self):
        self.assertErr("ERR no such key", "RENAME", "nokey", "b")
        self.assertEqual(self.r.exists("b"), 0)

    def test_rename_to_itself(self):
        self.r.set("a", "v", ex=100)
        self.assertEqual(self.rc.call("RENAME", "a", "a"), "OK")
        self.assertEqual(self.r.get("a"), b"v")
        self.assertTTLAbout("a", 100)
        self.assertErr("ERR no such key", "RENAME", "nokey", "nokey")

    def test_renamenx(self):
        self.r.set("a", "1")
        self.r.set("b", "2")
        self.assertIs(self.r.renamenx("a", "b"), False)
        self.assertEqual(self.r.mget("a", "b"), [b"1", b"2"])
        self.assertEqual(self.rc.call("RENAMENX", "a", "c"), 1)
        self.assertEqual(self.r.mget("a", "c"), [None, b"1"])
        self.assertEqual(self.rc.call("RENAMENX", "c", "c"), 0)
        self.assertEqual(self.r.get("c"), b"1")
        self.assertErr("ERR no such key", "RENAMENX", "nokey", "x")
        self.assertErr("ERR no such key", "RENAMENX", "nokey", "nokey")

    def test_rename_arity(self):
        self.assertErr("ERR wrong number of arguments for 'rename' command", "RENAME", "a")
        self.assertErr("ERR wrong number of arguments for 'renamenx' command", "RENAMENX", "a", "b", "c")

    def test_copy(self):
        self.r.set("src", "v", ex=100)
        self.assertIs(self.r.copy("src", "dst"), True)
        self.assertEqual(self.r.get("dst"), b"v")
        self.assertEqual(self.r.get("src"), b"v")
        self.assertTTLAbout("dst", 100)
        # The copy is independent of its source.
        self.r.append("dst", "w")
        self.assertEqual(self.r.get("src"), b"v")
        self.assertEqual(self.r.get("dst"), b"vw")

    def test_copy_does_not_overwrite_without_replace(self):
        self.r.set("src", "new")
        self.r.set("dst", "old", ex=100)
        self.assertIs(self.r.copy("src", "dst"), False)
        self.assertEqual(self.rc.call("COPY", "src", "dst"), 0)
        self.assertEqual(self.r.get("dst"), b"old")
        self.assertEqual(self.rc.call("COPY", "src", "dst", "REPLACE"), 1)
        self.assertEqual(self.r.get("dst"), b"new")
        self.assertEqual(self.r.ttl("dst"), -1)
        self.assertIs(self.r.copy("src", "dst", replace=True), True)

    def test_copy_missing_source(self):
        self.assertEqual(self.rc.call("COPY", "nokey", "dst"), 0)
        self.assertEqual(self.rc.call("COPY", "nokey", "dst", "REPLACE"), 0)
        self.assertEqual(self.r.exists("dst"), 0)

    def test_copy_errors(self):
        self.r.set("a", "v")
        self.assertErr("ERR source and destination objects are the same", "COPY", "a", "a")
        self.assertErr("ERR syntax error", "COPY", "a", "b", "FOO")
        self.assertErr("ERR syntax error", "COPY", "a", "b", "DB")
        self.assertErr("ERR wrong number of arguments for 'copy' command", "COPY", "a")
        self.assertEqual(self.r.exists("b"), 0)


class TestTouch(KeyspaceTestCase):
    def test_touch(self):
        self.r.mset({"a": 1, "b": 2})
        self.assertEqual(self.rc.call("TOUCH", "a", "b", "c"), 2)
        self.assertEqual(self.rc.call("TOUCH", "a", "a"), 2)
        self.assertEqual(self.r.touch("nokey"), 0)
        self.assertEqual(self.r.mget("a", "b"), [b"1", b"2"])


class TestExpire(KeyspaceTestCase):
    def test_expire_and_ttl(self):
        self.r.set("k", "v")
        self.assertEqual(self.r.ttl("k"), -1)
        self.assertEqual(self.r.pttl("k"), -1)
        self.assertIs(self.r.expire("k", 100), True)
        self.assertEqual(self.r.ttl("k"), 100)
        self.assertTTLAbout("k", 100)
        self.assertEqual(self.rc.call("EXPIRE", "k", "200"), 1)
        self.assertTTLAbout("k", 200)
        self.assertEqual(self.r.get("k"), b"v")

    def test_ttl_missing_key(self):
        self.assertEqual(self.r.ttl("nokey"), -2)
        self.assertEqual(self.r.pttl("nokey"), -2)
        self.assertEqual(self.rc.call("TTL", "nokey"), -2)
        self.assertEqual(self.rc.call("PTTL", "nokey"), -2)

    def test_expire_missing_key(self):
        self.assertEqual(self.rc.call("EXPIRE", "nokey", "100"), 0)
        self.assertEqual(self.rc.call("PEXPIRE", "nokey", "100"), 0)
        self.assertEqual(self.rc.call("EXPIREAT", "nokey", str(int(time.time()) + 100)), 0)
        self.assertEqual(self.rc.call("PEXPIREAT", "nokey", str(int(time.time() * 1000) + 100)), 0)
        self.assertEqual(self.rc.call("EXPIRE", "nokey", "-1"), 0)
        self.assertEqual(self.r.exists("nokey"), 0)

    def test_pexpire(self):
        self.r.set("k", "v")
        self.assertIs(self.r.pexpire("k", 100000), True)
        self.assertTTLAbout("k", 100)
        self.assertEqual(self.r.ttl("k"), 100)

    def test_ttl_rounds_to_nearest_second(self):
        self.r.set("k", "v", px=2600)
        self.assertEqual(self.r.ttl("k"), 3)
        self.r.set("k", "v", px=2400)
        self.assertEqual(self.r.ttl("k"), 2)

    def test_expireat_and_pexpireat(self):
        self.r.set("k", "v")
        at = int(time.time()) + 1000
        self.assertIs(self.r.expireat("k", at), True)
        self.assertEqual(self.r.expiretime("k"), at)
        self.assertEqual(self.r.pexpiretime("k"), at * 1000)
        self.assertTTLAbout("k", 1000)
        second = int(time.time()) + 500
        self.assertEqual(self.rc.call("PEXPIREAT", "k", str(second * 1000 + 123)), 1)
        self.assertEqual(self.r.pexpiretime("k"), second * 1000 + 123)
        # EXPIRETIME rounds the millisecond deadline to the nearest second.
        self.assertEqual(self.rc.call("EXPIRETIME", "k"), second)
        self.r.pexpireat("k", second * 1000 + 700)
        self.assertEqual(self.rc.call("PEXPIRETIME", "k"), second * 1000 + 700)
        self.assertEqual(self.rc.call("EXPIRETIME", "k"), second + 1)

    def test_expiretime_missing_and_persistent(self):
        self.r.set("k", "v")
        self.assertEqual(self.rc.call("EXPIRETIME", "k"), -1)
        self.assertEqual(self.rc.call("PEXPIRETIME", "k"), -1)
        self.assertEqual(self.rc.call("EXPIRETIME", "nokey"), -2)
        self.assertEqual(self.rc.call("PEXPIRETIME", "nokey"), -2)

    def test_negative_or_zero_expire_deletes(self):
        for args in [("EXPIRE", "k", "0"), ("EXPIRE", "k", "-10"), ("PEXPIRE", "k", "-1"),
                     ("PEXPIRE", "k", "0"), ("EXPIREAT", "k", "1"), ("EXPIREAT", "k", "-5"),
                     ("PEXPIREAT", "k", "1000"),
                     ("EXPIREAT", "k", str(int(time.time()) - 10))]:
            with self.subTest(args=args):
                self.r.set("k", "v", ex=100)
                self.assertEqual(self.rc.call(*args), 1)
                self.assertEqual(self.r.exists("k"), 0)
                self.assertIsNone(self.r.get("k"))
                self.assertEqual(self.r.ttl("k"), -2)

    def test_nx(self):
        self.r.set("k", "v")
        self.assertIs(self.r.expire("k", 100, nx=True), True)
        self.assertTTLAbout("k", 100)
        self.assertIs(self.r.expire("k", 200, nx=True), False)
        self.assertTTLAbout("k", 100)
        self.assertEqual(self.rc.call("PEXPIRE", "k", "300000", "NX"), 0)

    def test_xx(self):
        self.r.set("k", "v")
        self.assertIs(self.r.expire("k", 100, xx=True), False)
        self.assertEqual(self.r.ttl("k"), -1)
        self.r.expire("k", 100)
        self.assertIs(self.r.expire("k", 200, xx=True), True)
        self.assertTTLAbout("k", 200)

    def test_gt(self):
        self.r.set("k", "v")
        # No TTL counts as infinite: GT never applies to a persistent key.
        self.assertIs(self.r.expire("k", 100, gt=True), False)
        self.assertEqual(self.r.ttl("k"), -1)
        self.r.expire("k", 100)
        self.assertIs(self.r.expire("k", 50, gt=True), False)
        self.assertTTLAbout("k", 100)
        self.assertIs(self.r.expire("k", 200, gt=True), True)
        self.assertTTLAbout("k", 200)

    def test_lt(self):
        self.r.set("k", "v")
        self.assertIs(self.r.expire("k", 300, lt=True), True)
        self.assertTTLAbout("k", 300)
        self.assertIs(self.r.expire("k", 400, lt=True), False)
        self.assertTTLAbout("k", 300)
        self.assertIs(self.r.expire("k", 100, lt=True), True)
        self.assertTTLAbout("k", 100)

    def test_xx_gt_combined(self):
        self.r.set("k", "v")
        self.assertEqual(self.rc.call("EXPIRE", "k", "100", "XX", "GT"), 0)
        self.assertEqual(self.r.ttl("k"), -1)
        self.r.expire("k", 100)
        self.assertEqual(self.rc.call("EXPIRE", "k", "200", "XX", "GT"), 1)
        self.assertTTLAbout("k", 200)
        self.assertEqual(self.rc.call("EXPIRE", "k", "300", "xx", "lt"), 0)

    def test_options_on_other_expire_commands(self):
        self.r.set("k", "v")
        now = int(time.time())
        self.assertEqual(self.rc.call("EXPIREAT", "k", str(now + 100), "XX"), 0)
        self.assertEqual(self.rc.call("EXPIREAT", "k", str(now + 100), "NX"), 1)
        self.assertEqual(self.rc.call("EXPIREAT", "k", str(now + 50), "GT"), 0)
        self.assertEqual(self.rc.call("PEXPIREAT", "k", str((now + 50) * 1000), "LT"), 1)
        self.assertEqual(self.r.expiretime("k"), now + 50)
        self.assertEqual(self.rc.call("PEXPIRE", "k", "500000", "GT"), 1)
        self.assertTTLAbout("k", 500)

    def test_negative_expire_with_failing_condition_keeps_key(self):
        self.r.set("k", "v")
        self.assertEqual(self.rc.call("EXPIRE", "k", "-1", "XX"), 0)
        self.assertEqual(self.r.get("k"), b"v")
        self.r.expire("k", 100)
        self.assertEqual(self.rc.call("EXPIRE", "k", "-1", "NX"), 0)
        self.assertEqual(self.r.get("k"), b"v")
        self.assertEqual(self.rc.call("EXPIRE", "k", "-1", "LT"), 1)
        self.assertEqual(self.r.exists("k"), 0)

    def test_option_errors(self):
        self.r.set("k", "v")
        nx_msg = "ERR NX and XX, GT or LT options at the same time are not compatible"
        for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]:
            with self.subTest(cmd=cmd):
                self.assertErr(nx_msg, cmd, "k", "100", "NX", "XX")
                self.assertErr(nx_msg, cmd, "k", "100", "NX", "GT")
                self.assertErr(nx_msg, cmd, "k", "100", "LT", "NX")
                self.assertErr("ERR GT and LT options at the same time are not compatible",
                               cmd, "k", "100", "GT", "LT")
                self.assertErr("ERR Unsupported option FOO", cmd, "k", "100", "FOO")
                self.assertErr("ERR Unsupported option keepttl", cmd, "k", "100", "keepttl")
                self.assertErr("ERR value is not an integer or out of range", cmd, "k", "1.5")
                self.assertErr("ERR value is not an integer or out of range", cmd, "k", "abc")
                self.assertErr("ERR wrong number of arguments for '%s' command" % cmd.lower(), cmd, "k")
        self.assertEqual(self.r.ttl("k"), -1)

    def test_invalid_expire_time(self):
        self.r.set("k", "v")
        self.assertErr("ERR invalid expire time in 'expire' command", "EXPIRE", "k", str(LLONG_MAX))
        self.assertErr("ERR invalid expire time in 'pexpire' command", "PEXPIRE", "k", str(LLONG_MAX))
        self.assertErr("ERR invalid expire time in 'expireat' command", "EXPIREAT", "k", str(LLONG_MAX))
        self.assertEqual(self.r.get("k"), b"v")
        self.assertEqual(self.r.ttl("k"), -1)

    def test_persist(self):
        self.r.set("k", "v", ex=100)
        self.assertIs(self.r.persist("k"), True)
        self.assertEqual(self.r.ttl("k"), -1)
        self.assertEqual(self.rc.call("PERSIST", "k"), 0)
        self.assertEqual(self.rc.call("PERSIST", "nokey"), 0)
        self.assertEqual(self.r.get("k"), b"v")
        self.assertErr("ERR wrong number of arguments for 'persist' command", "PERSIST")

    def test_ttl_arity(self):
        self.assertErr("ERR wrong number of arguments for 'ttl' command", "TTL")
        self.assertErr("ERR wrong number of arguments for 'pttl' command", "PTTL", "a", "b")
        self.assertErr("ERR wrong number of arguments for 'expiretime' command", "EXPIRETIME")
        self.assertErr("ERR wrong number of arguments for 'pexpiretime' command", "PEXPIRETIME")


class TestActualExpiry(KeyspaceTestCase):
    def test_key_expires(self):
        self.r.set("k", "v", px=300)
        self.r.set("keep", "v")
        self.assertEqual(self.r.exists("k"), 1)
        time.sleep(0.7)
        self.assertIsNone(self.r.get("k"))
        self.assertEqual(self.r.exists("k"), 0)
        self.assertEqual(self.r.ttl("k"), -2)
        self.assertEqual(self.r.pttl("k"), -2)
        self.assertEqual(self.r.type("k"), b"none")
        self.assertEqual(self.r.keys("*"), [b"keep"])
        self.assertEqual(self.r.get("keep"), b"v")

    def test_expired_keys_leave_keys_scan_and_randomkey(self):
        self.r.mset({"gone%d" % i: "v" for i in range(20)})
        for i in range(20):
            self.r.pexpire("gone%d" % i, 100)
        self.r.set("stay", "v")
        time.sleep(0.35)
        self.assertEqual(self.r.keys("*"), [b"stay"])
        seen, _ = self.scan_all()
        self.assertEqual(set(seen), {b"stay"})
        for _ in range(5):
            self.assertEqual(self.r.randomkey(), b"stay")
        self.assertEqual(self.r.exists(*["gone%d" % i for i in range(20)]), 0)

    def test_randomkey_finds_the_live_key_among_many_expired_ones(self):
        # Thousands of keys expired that active expiry has not reached yet:
        # RANDOMKEY purges those it meets and still answers the live key.
        if not support.IS_REDIS:
            old = self.r.config_get("active-expire-keys-per-cycle")["active-expire-keys-per-cycle"]
            self.r.config_set("active-expire-keys-per-cycle", 1)
            self.addCleanup(self.r.config_set, "active-expire-keys-per-cycle", old)
        p = self.r.pipeline(transaction=False)
        for i in range(3000):
            p.set("dead%d" % i, "v", px=50)
        p.execute()
        self.r.set("alive", "v")
        time.sleep(0.2)
        for _ in range(3):
            self.assertEqual(self.r.randomkey(), b"alive")

    def test_every_expired_key_counts_once_in_expired_keys(self):
        # Whether active expiry or a read found it, each key counts once (as in
        # Redis); CONFIG RESETSTAT starts the count again.
        self.r.config_resetstat()
        self.assertEqual(int(self.r.info("stats")["expired_keys"]), 0)
        if not support.IS_REDIS:  # active expiry slowed to one key per cycle: reads find most
            old = self.r.config_get("active-expire-keys-per-cycle")["active-expire-keys-per-cycle"]
            self.r.config_set("active-expire-keys-per-cycle", 1)
            self.addCleanup(self.r.config_set, "active-expire-keys-per-cycle", old)
        for i in range(10):
            self.r.set("short%d" % i, "v", px=50)
        time.sleep(0.15)
        # Read half right away (a read that finds a key expired removes it),
        # leave the rest to active expiry.
        for i in range(5):
            self.assertIsNone(self.r.get("short%d" % i))
        deadline = time.time() + 5
        while self.r.dbsize() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.r.dbsize(), 0)
        self.assertEqual(int(self.r.info("stats")["expired_keys"]), 10)
        self.r.config_resetstat()
        self.assertEqual(int(self.r.info("stats")["expired_keys"]), 0)

    def test_expired_key_commands(self):
        self.r.set("a", "v", px=100)
        self.r.set("b", "v", px=100)
        time.sleep(0.35)
        self.assertErr("ERR no such key", "RENAME", "a", "x")
        self.assertEqual(self.r.copy("b", "y"), False)
        self.assertEqual(self.r.expire("a", 100), False)
        self.assertEqual(self.r.persist("b"), False)
        self.assertEqual(self.r.delete("a", "b"), 0)
        self.assertEqual(self.r.exists("x", "y"), 0)

    def test_pexpire_then_persist_keeps_key(self):
        self.r.set("k", "v")
        self.r.pexpire("k", 300)
        self.assertIs(self.r.persist("k"), True)
        time.sleep(0.6)
        self.assertEqual(self.r.get("k"), b"v")

    def test_expire_to_later_extends_life(self):
        self.r.set("k", "v", px=300)
        self.assertIs(self.r.pexpire("k", 100000), True)
        time.sleep(0.6)
        self.assertEqual(self.r.get("k"), b"v")


class TestFlushAndSelect(KeyspaceTestCase):
    def fill(self):
        self.r.mset({"k%d" % i: i for i in range(10)})
        self.r.set("ttl", "v", ex=100)
        self.assertEqual(self.r.dbsize(), 11)

    def test_flushdb(self):
        self.fill()
        self.assertIs(self.r.flushdb(), True)
        self.assertEqual(self.r.dbsize(), 0)
        self.assertEqual(self.r.keys("*"), [])
        self.assertIsNone(self.r.get("k1"))

    def test_flushdb_modes(self):
        for mode in ["SYNC", "ASYNC", "sync", "async"]:
            with self.subTest(mode=mode):
                self.fill()
                self.assertEqual(self.rc.call("FLUSHDB", mode), Status("OK"))
                self.assertEqual(self.r.dbsize(), 0)
                self.assertIsNone(self.r.get("k1"))

    def test_flushall(self):
        for args in [(), ("SYNC",), ("ASYNC",)]:
            with self.subTest(args=args):
                self.fill()
                self.assertEqual(self.rc.call("FLUSHALL", *args), Status("OK"))
                self.assertEqual(self.r.dbsize(), 0)
                self.assertEqual(self.r.ttl("ttl"), -2)
        self.fill()
        self.assertIs(self.r.flushall(asynchronous=True), True)
        self.assertEqual(self.r.dbsize(), 0)

    def test_flushed_keys_can_be_written_again(self):
        self.fill()
        self.r.flushall()
        self.r.set("k1", "new")
        self.assertEqual(self.r.get("k1"), b"new")
        self.assertEqual(self.r.ttl("k1"), -1)
        self.assertEqual(self.r.dbsize(), 1)

    def test_flush_errors(self):
        self.fill()
        self.assertErr("ERR syntax error", "FLUSHALL", "FOO")
        self.assertErr("ERR syntax error", "FLUSHDB", "FOO")
        self.assertErr("ERR syntax error", "FLUSHDB", "ASYNC", "SYNC")
        self.assertErr("ERR syntax error", "FLUSHALL", "SYNC", "SYNC")
        self.assertEqual(self.r.dbsize(), 11)

    def test_select_0(self):
        self.r.set("k", "v")
        self.assertEqual(self.rc.call("SELECT", "0"), Status("OK"))
        self.assertEqual(self.rc.call("GET", "k"), b"v")

    def test_select_out_of_range(self):
        conn = RespConn(self.server.port)
        try:
            self.assertEqual(conn.call("SELECT", "16"), Err("ERR DB index is out of range"))
            self.assertEqual(conn.call("SELECT", "-1"), Err("ERR DB index is out of range"))
            self.assertEqual(conn.call("SELECT", "abc"),
                             Err("ERR value is not an integer or out of range"))
            self.assertEqual(conn.call("SELECT"),
                             Err("ERR wrong number of arguments for 'select' command"))
        finally:
            conn.close()

    def test_select_1(self):
        self.r.set("k", "v")
        conn = RespConn(self.server.port)
        try:
            reply = conn.call("SELECT", "1")
            if support.IS_REDIS:
                self.assertEqual(reply, Status("OK"))
                self.assertIsNone(conn.call("GET", "k"))
            else:
                # ringkv has only DB 0; the connection stays on it.
                self.assertEqual(reply, Err("ERR DB index is out of range"))
                self.assertEqual(conn.call("GET", "k"), b"v")
        finally:
            conn.close()


if __name__ == "__main__":
    unittest.main()
