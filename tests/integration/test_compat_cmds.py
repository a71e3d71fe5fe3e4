"""ROLE, WAIT, OBJECT, MOVE and SWAPDB, which client libraries and tools
call: replies and error texts as redis-server 7.0 gives them
(RINGKV_SERVER=/usr/bin/redis-server runs these tests against it)."""

import unittest


import support
from test_protocol import Conn, parse_reply, resp


class CompatCommandsTest(support.ServerTestCase):
    def raw(self, *args):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        return c.call_raw(resp(*args))

    def test_role_is_master_without_replicas(self):
        self.assertEqual(self.raw("ROLE"), b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n")

    def test_wait_counts_no_replicas(self):
        self.r.set("k", "v")
        self.assertEqual(self.r.execute_command("WAIT", "0", "0"), 0)
        self.assertEqual(self.raw("WAIT", "0", "-1"), b"-ERR timeout is negative\r\n")
        self.assertEqual(self.raw("WAIT", "x", "0"), b"-ERR value is not an integer or out of range\r\n")
        self.assertEqual(self.raw("WAIT", "0", "x"),
                         b"-ERR timeout is not an integer or out of range\r\n")

    def test_object_encoding_and_refcount(self):
        values = {"small-int": "123", "big-int": "12345", "neg": "-5", "word": "hello",
                  "leading-zero": "0123", "long": "x" * 45, "exactly-44": "y" * 44}
        for k, v in values.items():
            self.r.set(k, v)
        expect = {"small-int": (b"int", 2147483647), "big-int": (b"int", 1), "neg": (b"int", 1),
                  "word": (b"embstr", 1), "leading-zero": (b"embstr", 1), "long": (b"raw", 1),
                  "exactly-44": (b"embstr", 1)}
        for k, (enc, refs) in expect.items():
            with self.subTest(key=k):
                self.assertEqual(self.r.object("encoding", k), enc)
                self.assertEqual(self.r.object("refcount", k), refs)
        self.assertEqual(self.raw("OBJECT", "ENCODING", "missing"), b"$-1\r\n")
        self.assertEqual(self.raw("OBJECT", "REFCOUNT", "missing"), b"$-1\r\n")

    def test_object_errors(self):
        self.r.set("k", "1")
        self.assertTrue(self.raw("OBJECT", "FREQ", "k").startswith(
            b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked."))
        self.assertEqual(self.raw("OBJECT", "FREQ", "nokey"), b"$-1\r\n")  # looked up first
        self.assertEqual(self.raw("OBJECT", "NOSUCH", "k"),
                         b"-ERR unknown subcommand 'NOSUCH'. Try OBJECT HELP.\r\n")
        self.assertEqual(self.raw("OBJECT", "ENCODING"),
                         b"-ERR wrong number of arguments for 'object|encoding' command\r\n")
        help_lines = parse_reply(self.raw("OBJECT", "HELP"))[0]
        self.assertTrue(help_lines[0].startswith(b"OBJECT <subcommand>"))
        self.assertIn(b"ENCODING <key>", help_lines)


    def test_argument_checks_as_redis(self):
        self.r.set("k", "1")
        self.assertEqual(self.raw("MEMORY", "USAGE", "k", "SAMPLES", "-1"), b"-ERR syntax error\r\n")
        self.assertEqual(self.raw("MEMORY", "USAGE", "nokey", "SAMPLES", "-1"),
                         b"-ERR syntax error\r\n")
        self.assertTrue(self.raw("MEMORY", "USAGE", "k", "SAMPLES", "0").startswith(b":"))
        self.assertEqual(self.raw("SLOWLOG", "GET", "1", "2"),
                         b"-ERR unknown subcommand or wrong number of arguments for 'GET'. "
                         b"Try SLOWLOG HELP.\r\n")
        self.assertTrue(self.raw("SLOWLOG", "GET", "1").startswith(b"*"))
        self.assertEqual(self.raw("LOLWUT", "VERSION", "abc"),
                         b"-ERR value is not an integer or out of range\r\n")

    def test_maxmemory_and_policy(self):
        # What BullMQ and others read: no memory limit, keys never evicted.
        self.assertEqual(self.r.config_get("maxmemory"), {"maxmemory": "0"})
        self.assertEqual(self.r.config_get("maxmemory-policy"), {"maxmemory-policy": "noeviction"})
        self.assertEqual(self.raw("CONFIG", "SET", "maxmemory-policy", "noeviction"), b"+OK\r\n")
        self.assertEqual(self.raw("CONFIG", "SET", "maxmemory", "0"), b"+OK\r\n")
        if support.IS_REDIS:
            return  # Redis takes the other values too
        self.assertEqual(
            self.raw("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
            b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - ringkv "
            b"never evicts keys (records that leave cache-size stay on disk): the policy is "
            b"noeviction\r\n")
        self.assertEqual(self.r.config_get("maxmemory-policy"), {"maxmemory-policy": "noeviction"})

    def test_latency_histogram(self):
        self.r.config_resetstat()
        self.r.set("k", "v")
        for _ in range(20):
            self.r.get("k")
        reply = parse_reply(self.raw("LATENCY", "HISTOGRAM", "get", "set", "nosuch"))[0]
        got = dict(zip(reply[0::2], reply[1::2]))
        self.assertEqual(sorted(got), [b"get", b"set"])
        for name, calls in ((b"get", 20), (b"set", 1)):
            fields = dict(zip(got[name][0::2], got[name][1::2]))
            self.assertEqual(fields[b"calls"], calls)
            hist = fields[b"histogram_usec"]
            bounds, counts = hist[0::2], hist[1::2]
            powers = [(1024 << k) // 1000 for k in range(40)]
            self.assertTrue(set(bounds) <= set(powers), bounds)
            self.assertEqual(bounds, sorted(bounds))
            self.assertEqual(counts, sorted(counts))  # cumulative
            self.assertEqual(counts[-1], calls)
        self.assertEqual(self.raw("LATENCY", "HISTOGRAM", "nosuch"), b"*0\r\n")

    def test_subcommands_in_histogram_and_commandstats(self):
        self.r.config_resetstat()
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        c.call_raw(resp("CLIENT", "ID"))
        c.call_raw(resp("CONFIG", "GET", "port"))
        # Unknown: counted nowhere. Wrong arity: a rejected call of client|id.
        self.assertEqual(c.call_raw(resp("CLIENT", "NOSUCH")),
                         b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "ID", "extra")),
                         b"-ERR wrong number of arguments for 'client|id' command\r\n")
        # A container named stands for its subcommands.
        reply = parse_reply(self.raw("LATENCY", "HISTOGRAM", "client", "config"))[0]
        # (CONFIG RESETSTAT counts itself once it has reset the rest.)
        self.assertEqual(sorted(reply[0::2]), [b"client|id", b"config|get", b"config|resetstat"])
        stats = parse_reply(self.raw("INFO", "commandstats"))[0].decode()
        self.assertNotIn("cmdstat_client:", stats)
        self.assertIn("cmdstat_client|id:calls=1,", stats)
        self.assertRegex(stats, r"cmdstat_client\|id:calls=1,.*rejected_calls=1,failed_calls=0")

    def test_latency_monitor_has_no_events(self):
        self.assertEqual(self.raw("LATENCY", "LATEST"), b"*0\r\n")
        self.assertEqual(self.raw("LATENCY", "HISTORY", "command"), b"*0\r\n")
        self.assertEqual(self.raw("LATENCY", "RESET"), b":0\r\n")
        self.assertEqual(self.raw("LATENCY", "GRAPH", "command"),
                         b"-ERR No samples available for event 'command'\r\n")
        self.assertTrue(parse_reply(self.raw("LATENCY", "HELP"))[0][0].startswith(b"LATENCY <subcommand>"))


class SingleDatabaseTest(support.ServerTestCase):
    """MOVE and SWAPDB with one database, as redis-server with `databases 1`
    answers them (ringkv has only database 0)."""
    server_args = ("--databases", "1")

    def raw(self, *args):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        return c.call_raw(resp(*args))

    def test_move_and_swapdb(self):
        self.r.set("k", "v")
        same = b"-ERR source and destination objects are the same\r\n"
        out_of_range = b"-ERR DB index is out of range\r\n"
        for args, want in [
                (("MOVE", "k", "0"), same), (("MOVE", "nokey", "0"), same),
                (("MOVE", "k", "1"), out_of_range), (("MOVE", "k", "-1"), out_of_range),
                (("MOVE", "k", "x"), b"-ERR value is not an integer or out of range\r\n"),
                (("MOVE", "k", "99999999999999"),
                 b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"),
                (("SWAPDB", "0", "0"), b"+OK\r\n"), (("SWAPDB", "-0", "0"), b"-ERR invalid first DB index\r\n"),
                (("SWAPDB", "0", "1"), out_of_range), (("SWAPDB", "1", "1"), out_of_range),
                (("SWAPDB", "x", "0"), b"-ERR invalid first DB index\r\n"),
                (("SWAPDB", "0", "99999999999999"), b"-ERR invalid second DB index\r\n"),
                (("SWAPDB", "0"), b"-ERR wrong number of arguments for 'swapdb' command\r\n")]:
            with self.subTest(args=args):
                self.assertEqual(self.raw(*args), want)
        self.assertEqual(self.r.get("k"), b"v")
        self.assertEqual(self.r.dbsize(), 1)


if __name__ == "__main__":
    unittest.main()
