"""Server administration as a Redis user and their tools see it: INFO,
CONFIG GET/SET/RESETSTAT/REWRITE, COMMAND, TIME, DBSIZE, SLOWLOG, SAVE,
BGSAVE, LASTSAVE, SHUTDOWN, and starting from a config file. Expected values
and texts were checked against Redis 7.0.
"""

import fnmatch
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import redis

import support
from test_protocol import Conn, ErrorReply, parse_reply, read_until_closed, resp


def info_text(conn, section=None):
    raw = conn.call_raw(resp("INFO", section) if section else resp("INFO"))
    return parse_reply(raw)[0]


def info_fields(text):
    out = {}
    for line in text.split(b"\r\n"):
        if line and not line.startswith(b"#") and b":" in line:
            k, _, v = line.partition(b":")
            out[k] = v
    return out


def flat_to_dict(flat):
    return dict(zip(flat[0::2], flat[1::2]))


class AdminCase(support.ServerTestCase):
    def conn(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        return c

    def call(self, *args):
        """One command on a fresh raw connection; the parsed reply."""
        c = self.conn()
        return parse_reply(c.call_raw(resp(*args)))[0]

    def config_set_restore(self, name, value):
        old = self.r.config_get(name)[name]
        self.addCleanup(lambda: self.server.client().config_set(name, old))
        return self.r.config_set(name, value)


class InfoTest(AdminCase):
    SECTIONS = [b"Server", b"Clients", b"Memory", b"Persistence", b"Stats", b"Replication", b"CPU", b"Keyspace"]

    def test_default_info_has_the_usual_sections(self):
        text = info_text(self.conn())
        self.assertIsInstance(text, bytes)
        headers = re.findall(rb"^# (\w+)\r$", text, re.M)
        for s in self.SECTIONS:
            self.assertIn(s, headers)
        self.assertTrue(text.startswith(b"# Server\r\n"), text[:40])
        # Lines end with CRLF, like Redis.
        self.assertNotIn(b"\n", text.replace(b"\r\n", b""))

    def test_server_section(self):
        text = info_text(self.conn(), "server")
        self.assertTrue(text.startswith(b"# Server\r\n"))
        self.assertNotIn(b"# Clients", text)
        f = info_fields(text)
        self.assertRegex(f[b"redis_version"], rb"^7\.\d+\.\d+$")
        self.assertEqual(f[b"tcp_port"], str(self.server.port).encode())
        self.assertEqual(int(f[b"process_id"]), self.server.proc.pid)
        self.assertGreaterEqual(int(f[b"uptime_in_seconds"]), 0)
        self.assertIn(b"redis_mode", f)

    def test_fields_tools_depend_on(self):
        f = info_fields(info_text(self.conn(), "all"))
        for key in (b"connected_clients", b"used_memory", b"used_memory_human", b"total_commands_processed",
                    b"total_connections_received", b"instantaneous_ops_per_sec", b"keyspace_hits",
                    b"keyspace_misses", b"role", b"used_cpu_sys", b"used_cpu_user", b"loading",
                    b"rdb_changes_since_last_save", b"rdb_last_save_time", b"aof_enabled", b"maxclients"):
            self.assertIn(key, f)
        self.assertEqual(f[b"role"], b"master")
        self.assertEqual(f[b"loading"], b"0")
        self.assertGreaterEqual(int(f[b"connected_clients"]), 1)

    def test_persistence_says_loading_0(self):
        text = info_text(self.conn(), "persistence")
        self.assertIn(b"\r\nloading:0\r\n", text)

    def test_section_names_are_case_insensitive(self):
        self.assertTrue(info_text(self.conn(), "CLIENTS").startswith(b"# Clients\r\n"))

    def test_connected_clients_counts_connections(self):
        before = int(info_fields(info_text(self.conn(), "clients"))[b"connected_clients"])
        extra = [self.conn() for _ in range(5)]
        for c in extra:
            c.call_raw(b"PING\r\n")
        after = int(info_fields(info_text(self.conn(), "clients"))[b"connected_clients"])
        self.assertEqual(after, before + 6)  # five extra plus the one asking

    def test_keyspace_empty(self):
        text = info_text(self.conn(), "keyspace")
        self.assertEqual(text.strip(), b"# Keyspace")

    def test_keyspace_counts_keys_and_expires(self):
        for i in range(7):
            self.r.set("k%d" % i, i)
        self.r.set("e1", "x", ex=100)
        self.r.set("e2", "x", px=100000)
        text = info_text(self.conn(), "keyspace")
        m = re.search(rb"^db0:keys=(\d+),expires=(\d+),avg_ttl=(\d+)\r$", text, re.M)
        self.assertIsNotNone(m, text)
        self.assertEqual(int(m.group(1)), 9)
        self.assertEqual(int(m.group(2)), 2)
        self.assertLessEqual(int(m.group(3)), 100000)
        self.r.persist("e1")
        m = re.search(rb"^db0:keys=(\d+),expires=(\d+)", info_text(self.conn(), "keyspace"), re.M)
        self.assertEqual((int(m.group(1)), int(m.group(2))), (9, 1))

    def test_avg_ttl_is_the_mean_remaining_time(self):
        if support.IS_REDIS:
            self.skipTest("redis-server estimates avg_ttl by sampling; ringkv's is exact")
        for i in range(10):
            self.r.set("a%d" % i, "x", ex=1000)
            self.r.set("b%d" % i, "x", ex=3000)
        self.r.set("plain", "x")
        avg = self.r.info("keyspace")["db0"]["avg_ttl"]
        self.assertGreater(avg, 1995000)  # 2000 s, less the few ms this took
        self.assertLessEqual(avg, 2000000)
        for i in range(10):
            self.r.persist("b%d" % i)
        self.assertAlmostEqual(self.r.info("keyspace")["db0"]["avg_ttl"], 1000000, delta=5000)

    def test_keyspace_hits_and_misses(self):
        self.assertEqual(self.r.config_resetstat(), True)
        self.r.set("hit", "1")
        self.r.get("hit")
        self.r.get("hit")
        self.r.get("miss")
        f = info_fields(info_text(self.conn(), "stats"))
        self.assertEqual(int(f[b"keyspace_hits"]), 2)
        self.assertEqual(int(f[b"keyspace_misses"]), 1)
        # OBJECT's lookups count too; MEMORY USAGE's do not.
        self.r.object("encoding", "hit")
        self.r.object("refcount", "miss")
        self.r.memory_usage("hit")
        self.r.memory_usage("miss")
        f = info_fields(info_text(self.conn(), "stats"))
        self.assertEqual((int(f[b"keyspace_hits"]), int(f[b"keyspace_misses"])), (3, 2))

    def test_commandstats_and_errorstats(self):
        self.assertEqual(self.r.config_resetstat(), True)
        self.r.set("cs", "1")
        self.r.get("cs")
        self.r.get("cs")
        self.r.set("notnum", "x")
        with self.assertRaises(redis.ResponseError):
            self.r.execute_command("INCR", "notnum")  # redis-py's incr() sends INCRBY
        c = self.conn()
        self.assertTrue(c.call_raw(resp("GET")).startswith(b"-ERR wrong number of arguments"))
        self.assertTrue(c.call_raw(resp("NOSUCHCMD", "x")).startswith(b"-ERR unknown command"))
        stats = {}
        for m in re.finditer(rb"^cmdstat_(\w+):(.*)\r$", info_text(self.conn(), "commandstats"), re.M):
            stats[m.group(1)] = {k: v for k, v in (kv.split(b"=") for kv in m.group(2).split(b","))}
        self.assertEqual(stats[b"get"][b"calls"], b"2")
        self.assertEqual(stats[b"get"][b"rejected_calls"], b"1")
        self.assertEqual(stats[b"get"][b"failed_calls"], b"0")
        self.assertEqual(stats[b"set"][b"calls"], b"2")
        self.assertEqual(stats[b"incr"][b"calls"], b"1")
        self.assertEqual(stats[b"incr"][b"failed_calls"], b"1")
        self.assertRegex(stats[b"set"][b"usec_per_call"], rb"^\d+\.\d\d$")
        self.assertNotIn(b"nosuchcmd", stats)
        errs = info_fields(info_text(self.conn(), "errorstats"))
        self.assertEqual(errs[b"errorstat_ERR"], b"count=3")  # arity, unknown command, not an integer
        f = info_fields(info_text(self.conn(), "stats"))
        self.assertEqual(int(f[b"total_error_replies"]), 3)
        # redis-py parses the section too.
        self.assertEqual(self.r.info("commandstats")["cmdstat_get"]["calls"], 2)

    def test_commandstats_time_adds_up_sub_microsecond_calls(self):
        # A SET takes well under a microsecond; summing whole microseconds per
        # call used to report usec=0 however many ran.
        self.r.config_resetstat()
        p = self.r.pipeline(transaction=False)
        for i in range(5000):
            p.set("t%d" % (i % 10), "v")
        p.execute()
        st = self.r.info("commandstats")["cmdstat_set"]
        self.assertEqual(st["calls"], 5000)
        self.assertGreater(st["usec"], 0)
        self.assertGreater(st["usec_per_call"], 0)
        self.assertLess(st["usec_per_call"], 1000)

    def test_redis_py_info_parses(self):
        info = self.r.info()
        self.assertEqual(info["loading"], 0)
        self.assertIn("redis_version", info)
        self.assertEqual(self.r.info("keyspace"), {})


class ConfigTest(AdminCase):
    def test_get_single(self):
        self.assertEqual(self.call("CONFIG", "GET", "timeout"), [b"timeout", b"0"])
        self.assertEqual(self.call("CONFIG", "GET", "port"), [b"port", str(self.server.port).encode()])

    def test_hz_is_brought_into_range(self):
        try:
            for value, kept in (("0", b"1"), ("1000", b"500"), ("50", b"50")):
                self.assertEqual(self.call("CONFIG", "SET", "hz", value), b"OK")
                self.assertEqual(self.call("CONFIG", "GET", "hz"), [b"hz", kept])
            self.assertEqual(self.call("CONFIG", "SET", "hz", "-1"),
                             b"ERR CONFIG SET failed (possibly related to argument 'hz') - "
                             b"argument must be between 0 and 2147483647 inclusive")
            # The new rate is used: at hz 1 a CLIENT PAUSE of 10 ms ends only
            # at the next tick, so a held write waits for it.
            self.assertEqual(self.call("CONFIG", "SET", "hz", "1"), b"OK")
            time.sleep(1.2)  # the tick armed at the old rate has passed
            held = []
            for _ in range(3):
                self.assertEqual(self.call("CLIENT", "PAUSE", "10", "WRITE"), b"OK")
                t0 = time.monotonic()
                self.r.set("hz-probe", "1")
                held.append(time.monotonic() - t0)
            self.assertGreater(max(held), 0.3, held)
        finally:
            self.call("CONFIG", "SET", "hz", "10")

    def test_empty_output_buffer_limit_changes_nothing(self):
        before = self.call("CONFIG", "GET", "client-output-buffer-limit")
        self.assertEqual(self.call("CONFIG", "SET", "client-output-buffer-limit", ""), b"OK")
        self.assertEqual(self.call("CONFIG", "GET", "client-output-buffer-limit"), before)

    def test_get_missing(self):
        self.assertEqual(self.call("CONFIG", "GET", "no-such-option"), [])

    def test_get_usual_values(self):
        got = self.r.config_get("*")
        self.assertIsInstance(got, dict)
        self.assertRegex(got["save"], r"^(\d+ \d+( \d+ \d+)*)?$")
        self.assertIn(got["appendonly"], ("yes", "no"))
        self.assertGreaterEqual(int(got["databases"]), 1)
        self.assertEqual(got["timeout"], "0")
        self.assertEqual(got["maxclients"], self.r.config_get("maxclients")["maxclients"])
        self.assertGreater(int(got["maxclients"]), 0)
        self.assertEqual(os.path.realpath(got["dir"]), os.path.realpath(self.server.dir))

    def test_get_star_is_pairs_with_unique_names(self):
        flat = self.call("CONFIG", "GET", "*")
        self.assertEqual(len(flat) % 2, 0)
        names = flat[0::2]
        self.assertEqual(len(names), len(set(names)))
        for n in (b"port", b"timeout", b"maxclients", b"save", b"appendonly", b"dir", b"databases"):
            self.assertIn(n, names)

    def test_get_pattern(self):
        flat = self.call("CONFIG", "GET", "max*")
        names = [n.decode() for n in flat[0::2]]
        self.assertIn("maxclients", names)
        for n in names:
            self.assertTrue(fnmatch.fnmatchcase(n, "max*"), n)
        flat = self.call("CONFIG", "GET", "time?ut")
        self.assertEqual(flat, [b"timeout", b"0"])

    def test_get_several_at_once(self):
        got = flat_to_dict(self.call("CONFIG", "GET", "timeout", "port"))
        self.assertEqual(got, {b"timeout": b"0", b"port": str(self.server.port).encode()})

    def test_get_is_case_insensitive(self):
        name, value = self.call("CONFIG", "GET", "TIMEOUT")
        self.assertEqual((name.lower(), value), (b"timeout", b"0"))  # Redis 7.0 echoes the name as asked

    def test_set_maxclients_and_timeout(self):
        self.assertTrue(self.config_set_restore("maxclients", "777"))
        self.assertEqual(self.r.config_get("maxclients"), {"maxclients": "777"})
        self.assertTrue(self.config_set_restore("timeout", "300"))
        self.assertEqual(self.r.config_get("timeout"), {"timeout": "300"})
        f = info_fields(info_text(self.conn(), "clients"))
        self.assertEqual(f[b"maxclients"], b"777")

    def test_set_bad_values(self):
        c = self.conn()
        raw = c.call_raw(resp("CONFIG", "SET", "maxclients", "abc"))
        self.assertTrue(raw.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'maxclients')"), raw)
        raw = c.call_raw(resp("CONFIG", "SET", "timeout", "-1"))
        self.assertTrue(raw.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'timeout')"), raw)
        self.assertEqual(self.r.config_get("timeout"), {"timeout": "0"})
        self.assertEqual(c.call_raw(resp("CONFIG", "SET", "nosuch", "1")),
                         b"-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n")
        self.assertEqual(c.call_raw(resp("CONFIG", "SET", "timeout")),
                         b"-ERR wrong number of arguments for 'config|set' command\r\n")

    def test_timeout_closes_idle_clients(self):
        keeper = self.conn()
        self.assertEqual(keeper.call_raw(resp("CONFIG", "SET", "timeout", "1")), b"+OK\r\n")
        self.addCleanup(lambda: self.server.client().config_set("timeout", "0"))
        idle = self.raw()
        self.addCleanup(idle.close)
        idle.sendall(b"PING\r\n")
        self.assertEqual(idle.recv(100), b"+PONG\r\n")
        deadline = time.time() + 8
        closed = False
        while time.time() < deadline and not closed:
            self.assertEqual(keeper.call_raw(b"PING\r\n"), b"+PONG\r\n")  # busy clients stay
            idle.settimeout(0.3)
            try:
                closed = idle.recv(100) == b""
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
        self.assertTrue(closed, "idle client not closed within 8s of timeout 1")
        self.assertEqual(keeper.call_raw(resp("CONFIG", "SET", "timeout", "0")), b"+OK\r\n")

    def test_maxclients_refuses_extra_connections(self):
        keeper = self.conn()
        keeper.call_raw(b"PING\r\n")
        self.r.close()  # so only `keeper` (and the INFO asker) count
        connected = int(info_fields(info_text(keeper, "clients"))[b"connected_clients"])
        limit = connected + 3
        self.assertEqual(keeper.call_raw(resp("CONFIG", "SET", "maxclients", limit)), b"+OK\r\n")
        self.addCleanup(lambda: self.server.client().config_set("maxclients", "10000"))
        socks = []
        try:
            for _ in range(3):
                s = self.raw()
                socks.append(s)
                s.sendall(b"PING\r\n")
                self.assertEqual(s.recv(100), b"+PONG\r\n")
            s = self.raw()
            socks.append(s)
            s.sendall(b"PING\r\n")
            data, closed = read_until_closed(s)
            self.assertEqual(data, b"-ERR max number of clients reached\r\n")
            self.assertTrue(closed)
            self.assertEqual(keeper.call_raw(b"PING\r\n"), b"+PONG\r\n")
        finally:
            for s in socks:
                s.close()
        self.assertEqual(keeper.call_raw(resp("CONFIG", "SET", "maxclients", "10000")), b"+OK\r\n")

    def test_resetstat(self):
        for _ in range(20):
            self.r.get("nope")
        self.assertEqual(self.call("CONFIG", "RESETSTAT"), b"OK")
        f = info_fields(info_text(self.conn(), "stats"))
        self.assertEqual(int(f[b"keyspace_misses"]), 0)
        self.assertLessEqual(int(f[b"total_commands_processed"]), 3)

    def test_rewrite_without_config_file(self):
        raw = self.conn().call_raw(resp("CONFIG", "REWRITE"))
        self.assertEqual(raw, b"-ERR The server is running without a config file\r\n")


class CommandTableTest(AdminCase):
    def test_count_matches_command_reply(self):
        count = self.call("COMMAND", "COUNT")
        self.assertIsInstance(count, int)
        everything = self.call("COMMAND")
        self.assertEqual(len(everything), count)
        names = {entry[0] for entry in everything}
        for n in (b"get", b"set", b"ping", b"info", b"config", b"command", b"client"):
            self.assertIn(n, names)

    def test_info_get(self):
        (entry,) = self.call("COMMAND", "INFO", "get")
        self.assertEqual(entry[0], b"get")
        self.assertEqual(entry[1], 2)
        self.assertIn(b"readonly", entry[2])
        self.assertIn(b"fast", entry[2])
        self.assertEqual(entry[3:6], [1, 1, 1])

    def test_info_set_and_mset(self):
        set_, mset, missing = self.call("COMMAND", "INFO", "set", "mset", "nosuchcmd")
        self.assertEqual(set_[0:2], [b"set", -3])
        self.assertIn(b"write", set_[2])
        self.assertEqual(set_[3:6], [1, 1, 1])
        self.assertEqual(mset[0:2], [b"mset", -3])
        self.assertEqual(mset[3:6], [1, -1, 2])
        self.assertIsNone(missing)

    def test_info_is_case_insensitive(self):
        (entry,) = self.call("COMMAND", "INFO", "GET")
        self.assertEqual(entry[0], b"get")

    def test_docs_get(self):
        reply = self.call("COMMAND", "DOCS", "get")
        self.assertEqual(len(reply), 2)
        self.assertEqual(reply[0], b"get")
        doc = reply[1]
        self.assertEqual(len(doc) % 2, 0)
        doc = flat_to_dict(doc)
        self.assertIsInstance(doc[b"summary"], bytes)
        self.assertTrue(doc[b"summary"])
        self.assertEqual(doc.get(b"group"), b"string")

    def test_docs_resp3_is_a_map(self):
        c = self.conn()
        c.call_raw(b"HELLO 3\r\n")
        raw = c.call_raw(resp("COMMAND", "DOCS", "set"))
        self.assertTrue(raw.startswith(b"%1\r\n$3\r\nset\r\n%"), raw[:40])

    def test_list(self):
        names = self.call("COMMAND", "LIST")
        self.assertEqual(len(names), len(set(names)))
        for n in (b"get", b"set", b"ping", b"config", b"command", b"info", b"slowlog"):
            self.assertIn(n, names)
        top = {e[0] for e in self.call("COMMAND")}
        self.assertTrue(top.issubset(set(names)))

    def test_getkeys(self):
        self.assertEqual(self.call("COMMAND", "GETKEYS", "set", "k", "v"), [b"k"])
        self.assertEqual(self.call("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"), [b"a", b"b"])
        self.assertEqual(self.call("COMMAND", "GETKEYS", "get", "x"), [b"x"])
        err = self.call("COMMAND", "GETKEYS", "nosuchcmd", "a")
        self.assertIsInstance(err, ErrorReply)
        self.assertEqual(err, b"ERR Invalid command specified")
        # "no key arguments" comes before the argument count, as in Redis.
        self.assertEqual(self.call("COMMAND", "GETKEYS", "echo", "a", "b"),
                         b"ERR The command has no key arguments")
        self.assertEqual(self.call("COMMAND", "GETKEYS", "get", "a", "b"),
                         b"ERR Invalid number of arguments specified for command")

    def test_exec_is_kept_out_of_the_slowlog(self):
        info = self.call("COMMAND", "INFO", "exec")[0]
        self.assertEqual(info[2], [b"noscript", b"loading", b"stale", b"skip_slowlog"])
        self.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
        self.call("SLOWLOG", "RESET")
        self.call("MULTI")
        self.call("PING", "inside")
        self.call("EXEC")
        logged = [e[3][0].upper() for e in self.call("SLOWLOG", "GET", "100")]
        self.assertIn(b"PING", logged)
        self.assertNotIn(b"EXEC", logged)
        self.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")

    def test_redis_py_command_helpers(self):
        self.assertEqual(self.r.command_count(), self.call("COMMAND", "COUNT"))
        cmds = self.r.command()
        self.assertEqual(cmds["get"]["arity"], 2)


class MiscServerTest(AdminCase):
    def test_time(self):
        sec, usec = self.call("TIME")
        self.assertRegex(sec, rb"^\d+$")
        self.assertRegex(usec, rb"^\d+$")
        self.assertLess(abs(int(sec) - time.time()), 5)
        self.assertLess(int(usec), 1000000)
        t1 = self.r.time()
        t2 = self.r.time()
        self.assertGreaterEqual(t2, t1)

    def test_dbsize(self):
        self.assertEqual(self.r.dbsize(), 0)
        for i in range(10):
            self.r.set("d%d" % i, i)
        self.assertEqual(self.r.dbsize(), 10)
        self.r.delete("d0")
        self.assertEqual(self.r.dbsize(), 9)
        self.r.set("d1", "overwrite")
        self.assertEqual(self.r.dbsize(), 9)
        self.r.flushall()
        self.assertEqual(self.r.dbsize(), 0)
        self.assertEqual(self.conn().call_raw(resp("DBSIZE", "x")),
                         b"-ERR wrong number of arguments for 'dbsize' command\r\n")

    def test_save_bgsave_lastsave(self):
        self.r.set("persist-me", "1")
        before = int(time.time())
        self.assertEqual(self.call("SAVE"), b"OK")
        last = self.call("LASTSAVE")
        self.assertIsInstance(last, int)
        self.assertGreaterEqual(last, before - 1)
        self.assertLessEqual(last, time.time() + 1)
        self.assertEqual(self.call("BGSAVE"), b"Background saving started")
        # Let it finish so later tests are not refused with "already in progress".
        deadline = time.time() + 15
        while time.time() < deadline:
            if b"rdb_bgsave_in_progress:1" not in info_text(self.conn(), "persistence"):
                break
            time.sleep(0.05)
        self.assertGreaterEqual(self.call("LASTSAVE"), last)


class SlowlogTest(AdminCase):
    def setUp(self):
        super().setUp()
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CONFIG", "SET", "slowlog-log-slower-than", "0")), b"+OK\r\n")
        self.addCleanup(lambda: self.server.client().config_set("slowlog-log-slower-than", "10000"))
        self.assertEqual(c.call_raw(resp("SLOWLOG", "RESET")), b"+OK\r\n")

    def slowlog(self, *args):
        return self.call("SLOWLOG", "GET", *args)

    def test_every_command_is_logged_with_threshold_0(self):
        self.r.set("slowkey", "slowval")
        entries = self.slowlog("100")
        # Arguments are logged as sent (redis-py sends "SET").
        match = [e for e in entries if e[3] == [b"SET", b"slowkey", b"slowval"]]
        self.assertEqual(len(match), 1, entries)
        e = match[0]
        self.assertEqual(len(e), 6)
        self.assertIsInstance(e[0], int)
        self.assertLess(abs(e[1] - time.time()), 10)
        self.assertGreaterEqual(e[2], 0)
        self.assertRegex(e[4], rb"^127\.0\.0\.1:\d+$")
        self.assertIsInstance(e[5], bytes)

    def test_newest_first_and_count(self):
        for i in range(5):
            self.r.set("s%d" % i, i)
        entries = self.slowlog("3")
        self.assertEqual(len(entries), 3)
        ids = [e[0] for e in entries]
        self.assertEqual(ids, sorted(ids, reverse=True))
        sets = [e[3] for e in self.slowlog("100") if e[3][:1] == [b"SET"]]
        self.assertEqual([a[1] for a in sets], [b"s4", b"s3", b"s2", b"s1", b"s0"])

    def test_len_and_reset(self):
        for i in range(4):
            self.r.get("x%d" % i)
        n = self.call("SLOWLOG", "LEN")
        self.assertGreaterEqual(n, 4)
        self.assertEqual(self.call("CONFIG", "SET", "slowlog-log-slower-than", "1000000"), b"OK")
        self.assertEqual(self.call("SLOWLOG", "RESET"), b"OK")
        self.assertEqual(self.call("SLOWLOG", "LEN"), 0)
        self.assertEqual(self.slowlog(), [])

    def test_max_len(self):
        self.assertEqual(self.call("CONFIG", "SET", "slowlog-max-len", "5"), b"OK")
        self.addCleanup(lambda: self.server.client().config_set("slowlog-max-len", "128"))
        for i in range(20):
            self.r.set("m%d" % i, i)
        self.assertEqual(self.call("SLOWLOG", "LEN"), 5)

    def test_redis_py_slowlog(self):
        self.r.set("pykey", "v")
        log = self.r.slowlog_get(50)
        self.assertTrue(any(e["command"] == b"SET pykey v" for e in log), log)


def start_with_config(conf_text, *flags, port=None, data_dir=None):
    """A server started as `server CONFIG_FILE [--flags]`; returns (proc, port, dir, conf_path)."""
    d = data_dir or tempfile.mkdtemp(prefix="ringkv-conf-")
    conf = os.path.join(d, "server.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    port = port or support.free_port()
    cmd = [support.SERVER, conf]
    if "--port" not in flags:
        cmd += ["--port", str(port)]
    cmd += ["--bind", "127.0.0.1", "--dir", d]
    if support.IS_REDIS:
        cmd += ["--save", "", "--appendonly", "no"]
    cmd += list(flags)
    log = open(os.path.join(d, "server.log"), "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    return proc, port, d, conf


def wait_port(proc, port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(100) == b"+PONG\r\n":
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def port_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(100) == b"+PONG\r\n"
    except OSError:
        return False


def end(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=15)


def read_log(d):
    try:
        with open(os.path.join(d, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


class ConfigFileTest(unittest.TestCase):
    def setUp(self):
        if not support.SERVER:
            raise RuntimeError("set RINGKV_SERVER to the server binary")
        self.dirs = []

    def tearDown(self):
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)

    def start(self, conf_text, *flags, port=None):
        proc, port, d, conf = start_with_config(conf_text, *flags, port=port)
        self.dirs.append(d)
        self.addCleanup(end, proc)
        return proc, port, d, conf

    def test_config_file_is_read(self):
        proc, port, d, conf = self.start("# comment line\n\ntimeout 120\nmaxclients \"321\"\n")
        self.assertTrue(wait_port(proc, port), read_log(d))
        c = Conn(port)
        try:
            self.assertEqual(parse_reply(c.call_raw(resp("CONFIG", "GET", "timeout")))[0], [b"timeout", b"120"])
            self.assertEqual(parse_reply(c.call_raw(resp("CONFIG", "GET", "maxclients")))[0], [b"maxclients", b"321"])
            text = parse_reply(c.call_raw(resp("INFO", "server")))[0]
            reported = info_fields(text).get(b"config_file", b"").decode()
            self.assertEqual(os.path.realpath(reported), os.path.realpath(conf))
        finally:
            c.close()

    def test_port_flag_wins_over_file(self):
        file_port, flag_port = support.free_port(), support.free_port()
        proc, _, d, _ = self.start("port %d\n" % file_port, "--port", str(flag_port))
        self.assertTrue(wait_port(proc, flag_port), read_log(d))
        self.assertFalse(port_answers(file_port))

    def test_later_flag_wins_over_file_setting(self):
        proc, port, d, _ = self.start("timeout 50\n", "--timeout", "60")
        self.assertTrue(wait_port(proc, port), read_log(d))
        c = Conn(port)
        try:
            self.assertEqual(parse_reply(c.call_raw(resp("CONFIG", "GET", "timeout")))[0], [b"timeout", b"60"])
        finally:
            c.close()

    def test_unknown_option_refuses_to_start(self):
        proc, port, d, conf = self.start("timeout 0\nbogus-option yes\n")
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("server with an unknown config option kept running")
        self.assertNotEqual(rc, 0)
        out = read_log(d)
        self.assertIn("bogus-option", out)
        self.assertRegex(out, r"(?i)(line\s*:?\s*2\b|:2\b)", "message should name line 2:\n" + out)
        self.assertFalse(port_answers(port))

    def test_bad_value_refuses_to_start(self):
        proc, port, d, _ = self.start("timeout abc\n")
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("server with a bad config value kept running")
        self.assertNotEqual(rc, 0)
        self.assertIn("timeout", read_log(d))

    def test_unknown_flag_refuses_to_start(self):
        proc, port, d, _ = self.start("", "--no-such-flag", "1")
        try:
            rc = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("server with an unknown flag kept running")
        self.assertNotEqual(rc, 0)
        self.assertIn("no-such-flag", read_log(d))

    def test_config_rewrite(self):
        proc, port, d, conf = self.start("# keep this comment\ntimeout 0\nmaxclients 1000\n")
        self.assertTrue(wait_port(proc, port), read_log(d))
        c = Conn(port)
        try:
            self.assertEqual(c.call_raw(resp("CONFIG", "SET", "timeout", "33")), b"+OK\r\n")
            self.assertEqual(c.call_raw(resp("CONFIG", "SET", "maxclients", "777")), b"+OK\r\n")
            self.assertEqual(c.call_raw(resp("CONFIG", "REWRITE")), b"+OK\r\n")
        finally:
            c.close()
        with open(conf) as f:
            text = f.read()
        lines = [l.strip() for l in text.splitlines()]
        self.assertIn("# keep this comment", lines)
        self.assertIn("timeout 33", lines)
        self.assertIn("maxclients 777", lines)
        self.assertNotIn("timeout 0", lines)
        self.assertNotIn("maxclients 1000", lines)
        # The rewritten file starts a server with those values.
        c = Conn(port)
        try:
            c.send(resp("SHUTDOWN", "NOSAVE"))
            read_until_closed(c.sock)
        finally:
            c.close()
        proc.wait(timeout=15)
        port2 = support.free_port()
        cmd = [support.SERVER, conf, "--port", str(port2), "--bind", "127.0.0.1", "--dir", d]
        if support.IS_REDIS:
            cmd += ["--save", "", "--appendonly", "no"]
        with open(os.path.join(d, "server2.log"), "wb") as log:
            proc2 = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.addCleanup(end, proc2)
        self.assertTrue(wait_port(proc2, port2), open(os.path.join(d, "server2.log")).read())
        c = Conn(port2)
        try:
            got = flat_to_dict(parse_reply(c.call_raw(resp("CONFIG", "GET", "timeout", "maxclients")))[0])
            self.assertEqual(got, {b"timeout": b"33", b"maxclients": b"777"})
        finally:
            c.close()


class ShutdownTest(unittest.TestCase):
    def start(self):
        s = support.ServerProcess()
        self.addCleanup(s.cleanup)
        return s.start()

    def shutdown_with(self, *args):
        s = self.start()
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        try:
            sock.sendall(resp("SHUTDOWN", *args))
            data, closed = read_until_closed(sock, timeout=15)
        finally:
            sock.close()
        self.assertEqual(data, b"")  # a successful SHUTDOWN sends no reply
        self.assertTrue(closed)
        try:
            rc = s.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("server still running after SHUTDOWN")
        self.assertEqual(rc, 0, s.read_log())
        self.assertFalse(port_answers(s.port))

    def test_shutdown_nosave(self):
        self.shutdown_with("NOSAVE")

    def test_shutdown(self):
        self.shutdown_with()

    def test_sigterm_exits_0(self):
        s = self.start()
        os.kill(s.proc.pid, signal.SIGTERM)
        self.assertEqual(s.proc.wait(timeout=15), 0, s.read_log())

    def test_shutdown_bad_arg(self):
        s = self.start()
        c = Conn(s.port)
        try:
            self.assertEqual(c.call_raw(resp("SHUTDOWN", "BOGUS")), b"-ERR syntax error\r\n")
            self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")
        finally:
            c.close()
        self.assertIsNone(s.proc.poll())


if __name__ == "__main__":
    unittest.main()
