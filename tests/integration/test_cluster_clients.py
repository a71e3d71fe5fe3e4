"""Real clients against a 3-node cluster give what they give against one node.

One compact list of string/keyspace checks (CHECKS) runs through:
  redis-cli (plain and -c), redis-py (Redis and RedisCluster),
  ioredis (plain and Cluster, via cluster_clients.js under node).
Each runner normalizes replies the same way ("OK", None, ints, str, sorted
lists for KEYS/SCAN, "!message" for errors), so the results compare across
clients. The reference is redis-py's plain client against one standalone
node; every plain client must match it against one node (a check of the
runners themselves) and every client against the cluster (the test). KEYS,
SCAN and DBSIZE must count each key once: a cluster-aware client scans every
master, as its library does, and expects no duplicates.

ioredis comes from package.json (pinned); when node_modules is missing the
class installs it with `npm ci` (bounded), and the ioredis cases fail if
that fails: a check that did not run must not count as passed.
"""

import json
import random
import logging
import os
import shutil
import socket
import subprocess
import time
import unittest

import redis
from redis.cluster import RedisCluster

import support
from test_protocol import Conn, resp
from cluster_support import Cluster, wait_until

# RedisCluster logs every error reply with a traceback; the checks expect some.
logging.getLogger("redis.cluster").setLevel(logging.CRITICAL)

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = shutil.which("node") or "/usr/bin/node"
NPM = shutil.which("npm") or "/usr/bin/npm"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"

BULK = [["ck:bulk:%03d" % i, "b%d" % i] for i in range(150)]

# name, op, args (and "approx" for a TTL that may have ticked down a little).
CHECKS = [
    {"name": "set", "op": "set", "args": ["ck:s", "hello"]},
    {"name": "get", "op": "get", "args": ["ck:s"]},
    {"name": "get_missing", "op": "get", "args": ["ck:nope"]},
    {"name": "set_nx_existing", "op": "set_nx", "args": ["ck:s", "other"]},
    {"name": "set_nx_new", "op": "set_nx", "args": ["ck:nx", "first"]},
    {"name": "append", "op": "append", "args": ["ck:s", " world"]},
    {"name": "append_new", "op": "append", "args": ["ck:ap", "abc"]},
    {"name": "get_appended", "op": "get", "args": ["ck:s"]},
    {"name": "strlen", "op": "strlen", "args": ["ck:s"]},
    {"name": "set_counter", "op": "set", "args": ["ck:n", "10"]},
    {"name": "incr", "op": "incr", "args": ["ck:n"]},
    {"name": "incrby", "op": "incrby", "args": ["ck:n", "5"]},
    {"name": "decr", "op": "decr", "args": ["ck:n"]},
    {"name": "incr_new", "op": "incr", "args": ["ck:fresh"]},
    {"name": "incr_not_integer", "op": "incr", "args": ["ck:s"]},
    {"name": "get_counter", "op": "get", "args": ["ck:n"]},
    {"name": "mset_cross_slot", "op": "mset",
     "args": [["ck:a", "1"], ["ck:b", "2"], ["ck:c", "3"], ["ck:d", "4"]]},
    {"name": "mget_cross_slot", "op": "mget", "args": ["ck:a", "ck:b", "ck:nope", "ck:c"]},
    {"name": "mset_one_slot", "op": "mset", "args": [["{ck}x", "x1"], ["{ck}y", "y1"]]},
    {"name": "mget_one_slot", "op": "mget", "args": ["{ck}x", "{ck}y", "{ck}z"]},
    {"name": "exists", "op": "exists", "args": ["ck:a", "ck:b", "ck:nope", "ck:a"]},
    {"name": "del", "op": "del", "args": ["ck:a", "ck:nope", "ck:b"]},
    {"name": "exists_after_del", "op": "exists", "args": ["ck:a", "ck:b"]},
    {"name": "get_deleted", "op": "get", "args": ["ck:a"]},
    {"name": "expire", "op": "expire", "args": ["ck:s", 100]},
    {"name": "ttl", "op": "ttl", "args": ["ck:s"], "approx": 100},
    {"name": "ttl_no_expiry", "op": "ttl", "args": ["ck:n"]},
    {"name": "ttl_missing", "op": "ttl", "args": ["ck:nope"]},
    {"name": "expire_missing", "op": "expire", "args": ["ck:nope", 10]},
    {"name": "persist", "op": "persist", "args": ["ck:s"]},
    {"name": "ttl_after_persist", "op": "ttl", "args": ["ck:s"]},
    {"name": "set_ex", "op": "set_ex", "args": ["ck:e", "v", 50]},
    {"name": "ttl_set_ex", "op": "ttl", "args": ["ck:e"], "approx": 50},
    {"name": "set_short", "op": "set", "args": ["ck:gone", "soon"]},
    {"name": "pexpire_short", "op": "pexpire", "args": ["ck:gone", 100]},
    {"name": "wait_expiry", "op": "sleep", "args": [0.4]},
    {"name": "get_expired", "op": "get", "args": ["ck:gone"]},
    {"name": "exists_expired", "op": "exists", "args": ["ck:gone"]},
    {"name": "type", "op": "type", "args": ["ck:s"]},
    {"name": "type_missing", "op": "type", "args": ["ck:nope"]},
    {"name": "dbsize", "op": "dbsize", "args": []},
    {"name": "keys_all", "op": "keys", "args": ["*"]},
    {"name": "keys_pattern", "op": "keys", "args": ["ck:?"]},
    {"name": "keys_none", "op": "keys", "args": ["zz*"]},
    {"name": "scan_all", "op": "scan", "args": [None]},
    {"name": "scan_match", "op": "scan", "args": ["{ck}*"]},
    {"name": "mset_bulk", "op": "mset", "args": BULK},
    {"name": "dbsize_bulk", "op": "dbsize", "args": []},
    {"name": "keys_bulk", "op": "keys", "args": ["ck:bulk:*"]},
    {"name": "scan_bulk", "op": "scan", "args": ["ck:bulk:*"]},
    {"name": "del_one_slot", "op": "del", "args": ["{ck}x", "{ck}y"]},
    {"name": "dbsize_end", "op": "dbsize", "args": []},
]


def _norm(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if v is True:
        return "OK"
    return v


def _err(e):
    m = str(e)
    if m.startswith("ERR "):
        m = m[4:]
    return "!" + m


def _approx(check, r):
    a = check.get("approx")
    if a is not None and isinstance(r, int) and a - 5 <= r <= a:
        return "~%d" % a
    return r


# ---- redis-py --------------------------------------------------------------

def run_redis_py(client, cluster_mode):
    out = []
    for c in CHECKS:
        op, a = c["op"], c["args"]
        try:
            if op == "set":
                r = client.set(a[0], a[1])
            elif op == "set_nx":
                r = client.set(a[0], a[1], nx=True)
            elif op == "set_ex":
                r = client.set(a[0], a[1], ex=a[2])
            elif op in ("get", "append", "strlen", "incr", "decr", "ttl", "type"):
                r = getattr(client, op)(*a)
            elif op == "persist":
                r = int(client.persist(a[0]))
            elif op == "incrby":
                r = client.incrby(a[0], int(a[1]))
            elif op == "mset":
                mapping = dict((k, v) for k, v in a)
                if cluster_mode:
                    # The library's own way across slots: one MSET per slot.
                    r = client.mset_nonatomic(mapping)
                    r = True if all(x is True for x in r) else r
                else:
                    r = client.mset(mapping)
            elif op == "mget":
                r = client.mget_nonatomic(a) if cluster_mode else client.mget(a)
            elif op == "exists":
                r = client.exists(*a)
            elif op == "del":
                r = client.delete(*a)
            elif op == "expire":
                r = int(client.expire(a[0], a[1]))
            elif op == "pexpire":
                r = int(client.pexpire(a[0], a[1]))
            elif op == "dbsize":
                r = client.dbsize()
            elif op == "keys":
                r = sorted(client.keys(a[0]))
            elif op == "scan":
                # RedisCluster.scan_iter scans every primary and chains them.
                r = sorted(client.scan_iter(match=a[0], count=10))
            elif op == "sleep":
                time.sleep(a[0])
                r = None
            else:
                raise AssertionError("unknown op " + op)
            r = _norm(r)
        except redis.exceptions.ResponseError as e:
            r = _err(e)
        out.append([c["name"], _approx(c, r)])
    return out


# ---- redis-cli -------------------------------------------------------------

INT_OPS = {"append", "strlen", "incr", "incrby", "decr", "exists", "del", "expire", "pexpire",
           "persist", "ttl", "dbsize"}


def run_redis_cli(port, follow):
    base = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port)] + (["-c"] if follow else [])

    def cli(*args):
        p = subprocess.run(base + [str(x) for x in args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise AssertionError("redis-cli %s failed: %s %s" % (args, p.stdout, p.stderr))
        return p.stdout.decode()

    out = []
    for c in CHECKS:
        op, a = c["op"], c["args"]
        if op == "sleep":
            time.sleep(a[0])
            out.append([c["name"], None])
            continue
        if op == "scan":
            text = cli("--scan", *(["--pattern", a[0]] if a[0] else []))
            r = sorted(x for x in text.split("\n") if x)
            out.append([c["name"], r])
            continue
        if op == "set_nx":
            cmd = ["SET", a[0], a[1], "NX"]
        elif op == "set_ex":
            cmd = ["SET", a[0], a[1], "EX", a[2]]
        elif op == "mset":
            cmd = ["MSET"] + [x for kv in a for x in kv]
        else:
            cmd = [op.upper()] + list(a)
        text = cli(*cmd)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        first = lines[0] if lines else ""
        if first.split(" ")[0].isupper() and first.split(" ")[0] in (
                "ERR", "WRONGTYPE", "CROSSSLOT", "MOVED", "ASK", "NOQUORUM", "TRYAGAIN",
                "CLUSTERDOWN", "READONLY", "NOAUTH", "LOADING") and op not in ("get", "mget"):
            r = _err(first)
        elif op in INT_OPS:
            try:
                r = int(first)
            except ValueError:
                r = "?" + text
        elif op == "get":
            r = first if first != "" else None
        elif op == "mget":
            r = [x if x != "" else None for x in lines]
        elif op == "keys":
            r = sorted(x for x in lines if x)
        else:
            r = first if first != "" else None
        out.append([c["name"], _approx(c, r)])
    return out


# ---- ioredis ---------------------------------------------------------------

_npm_state = {}


def ensure_ioredis():
    """None if ioredis is importable by node, else the reason it is not."""
    if "reason" in _npm_state:
        return _npm_state["reason"]
    reason = None
    if not os.path.exists(NODE):
        reason = "node is not installed"
    elif not os.path.isdir(os.path.join(HERE, "node_modules", "ioredis")):
        try:
            p = subprocess.run([NPM, "ci", "--prefix", HERE, "--no-audit", "--no-fund",
                                "--prefer-offline"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=180, stdin=subprocess.DEVNULL)
            if p.returncode != 0:
                reason = "npm ci failed: %s" % p.stdout.decode(errors="replace")[-500:]
        except (OSError, subprocess.TimeoutExpired) as e:
            reason = "npm ci failed: %r" % e
    _npm_state["reason"] = reason
    return reason


def run_ioredis(port, mode):
    p = subprocess.run([NODE, os.path.join(HERE, "cluster_clients.js"), mode, str(port)],
                       input=json.dumps(CHECKS).encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=90, cwd=HERE)
    if p.returncode != 0:
        raise AssertionError("ioredis %s runner failed (exit %d): %s"
                             % (mode, p.returncode, p.stderr.decode(errors="replace")[-2000:]))
    return [list(x) for x in json.loads(p.stdout)]


# ---- the tests -------------------------------------------------------------

class TestClusterClients(unittest.TestCase):
    """One standalone node and one 3-node cluster for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.single = support.ServerProcess().start()
        try:
            cls.cluster = Cluster(3).start()
        except Exception:
            cls.single.cleanup()
            raise
        try:
            c = redis.Redis(host="127.0.0.1", port=cls.single.port, socket_timeout=10)
            c.flushall()
            cls.reference = run_redis_py(c, False)
            c.close()
        except Exception:
            # tearDownClass does not run when setUpClass fails: stop them here.
            cls.cluster.cleanup()
            cls.single.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.cleanup()
        cls.single.cleanup()

    def setUp(self):
        self.flush_both()

    def flush_both(self):
        c = redis.Redis(host="127.0.0.1", port=self.single.port, socket_timeout=10)
        c.flushall()
        c.close()
        c = self.cluster.client(0, socket_timeout=30)
        c.flushall()
        c.close()
        clients = [self.cluster.client(i, socket_timeout=10) for i in range(3)]
        try:
            wait_until(lambda: all(x.dbsize() == 0 for x in clients), 10, 0.1,
                       "FLUSHALL to empty the cluster")
        finally:
            for x in clients:
                x.close()

    def require_slots(self):
        missing = self.cluster.missing_features("SLOTS")
        if missing:
            self.skipTest("server lacks CLUSTER SLOTS (cluster clients read the slot map)")

    def compare(self, label, got, expected=None):
        expected = expected if expected is not None else self.reference
        exp = dict((n, v) for n, v in expected)
        diffs = [(n, exp.get(n), v) for n, v in got if exp.get(n) != v]
        self.assertEqual(len(got), len(expected), "%s ran %d checks of %d"
                         % (label, len(got), len(expected)))
        if diffs:
            self.fail("%s differs from redis-py against one node in %d of %d checks:\n%s"
                      % (label, len(diffs), len(got),
                         "\n".join("  %s: expected %s, got %s"
                                   % (n, json.dumps(e)[:300], json.dumps(g)[:300])
                                   for n, e, g in diffs)))

    def test_reference_is_sane(self):
        r = dict((n, v) for n, v in self.reference)
        self.assertEqual(r["get_appended"], "hello world")
        self.assertEqual(r["mget_cross_slot"], ["1", "2", None, "3"])
        self.assertEqual(r["exists"], 3)
        self.assertEqual(r["ttl"], "~100")
        self.assertEqual(r["dbsize_bulk"], 160)
        self.assertEqual(len(r["scan_bulk"]), 150)
        self.assertEqual(r["dbsize_end"], 158)

    # redis-py

    def test_hello_and_info_say_cluster_mode(self):
        for port, mode in ((self.single.port, b"standalone"), (self.cluster.nodes[1].port, b"cluster")):
            c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
            try:
                flat = c.execute_command("HELLO", "2")  # the RESP2 form: a flat list of pairs
                hello = dict(zip(flat[0::2], flat[1::2]))
                self.assertEqual(hello[b"mode"], mode, hello)
                self.assertEqual(c.info("server")["redis_mode"], mode.decode())
            finally:
                c.close()

    def test_pipelined_commands_answer_in_order_as_on_one_node(self):
        """A deep pipeline mixing commands on few keys (which must wait for
        each other) and on many keys (which may overlap) gets, on a cluster
        node, exactly the replies one node gives, in order."""
        rng = random.Random(5)
        cmds = []
        for i in range(3000):
            k = "pk:%d" % rng.randrange(40 if i % 2 else 2000)
            op = rng.randrange(7)
            if op == 0:
                cmds.append(("SET", k, "v%d" % i))
            elif op == 1:
                cmds.append(("GET", k))
            elif op == 2:
                cmds.append(("APPEND", k, "+%d" % i))
            elif op == 3:
                cmds.append(("INCR", "pc:%d" % rng.randrange(5)))
            elif op == 4:
                cmds.append(("DEL", k))
            elif op == 5:
                cmds.append(("EXISTS", k))
            else:
                cmds.append(("PING",))  # no keys: waits for everything before it

        def run(port):
            c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=60)
            try:
                p = c.pipeline(transaction=False)
                for cmd in cmds:
                    p.execute_command(*cmd)
                return p.execute(raise_on_error=False)
            finally:
                c.close()

        expected = run(self.single.port)
        got = run(self.cluster.nodes[1].port)
        self.assertEqual(len(got), len(cmds))
        diff = [(i, cmds[i], e, g) for i, (e, g) in enumerate(zip(expected, got)) if e != g]
        self.assertEqual(diff[:5], [], "%d of %d replies differ" % (len(diff), len(cmds)))

    def test_client_reply_off_and_skip_silence_forwarded_writes(self):
        """Writes a node forwards to their keys' coordinators answer nothing
        under CLIENT REPLY OFF or SKIP, as on one node."""
        def run(port):
            c = Conn(port)
            try:
                keys = ["rk:%d" % i for i in range(50)]
                payload = resp("CLIENT", "REPLY", "OFF")
                for k in keys:
                    payload += resp("SET", k, "v-" + k)
                payload += (resp("CLIENT", "REPLY", "ON") + resp("CLIENT", "REPLY", "SKIP")
                            + resp("SET", "rk:skipped", "1") + resp("MGET", *keys)
                            + resp("GET", "rk:skipped"))
                c.send(payload)
                return [c.read_raw() for _ in range(3)]
            finally:
                c.close()

        expected = run(self.single.port)
        self.assertEqual(expected[0], b"+OK\r\n")
        self.assertEqual(expected[2], b"$1\r\n1\r\n")
        self.assertEqual(run(self.cluster.nodes[1].port), expected)

    def test_client_gone_while_its_pipeline_is_in_flight(self):
        """Clients that send a deep pipeline and close at once (the node is
        still waiting for other nodes on their commands): no crash, no
        leak (the ASan build checks), the node keeps serving."""
        port = self.cluster.nodes[1].port
        payload = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len(k), k)
                           for k in (b"gone:%d" % i for i in range(500)))
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(payload)
            s.close()
        c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        try:
            self.assertTrue(c.ping())
            self.assertTrue(c.set("after-gone", "1"))
            self.assertEqual(c.get("after-gone"), b"1")
            # Commands already running when their client left still finish:
            # let them, so the next test's FLUSHALL is not followed by them.
            deadline = time.time() + 30
            prev = -1
            while time.time() < deadline:
                n = c.dbsize()
                if n == prev:
                    break
                prev = n
                time.sleep(0.5)
        finally:
            c.close()

    def test_redis_py_plain(self):
        for i in range(3):
            c = self.cluster.client(i, socket_timeout=30)
            try:
                self.compare("redis-py Redis via node %d" % i, run_redis_py(c, False))
            finally:
                c.close()
            self.flush_both()

    def test_redis_py_cluster(self):
        self.require_slots()
        rc = RedisCluster(host="127.0.0.1", port=self.cluster.nodes[0].port,
                          socket_timeout=30)
        try:
            self.compare("redis-py RedisCluster", run_redis_py(rc, True))
        finally:
            rc.close()

    # redis-cli

    def test_redis_cli_plain(self):
        self.compare("redis-cli against one node", run_redis_cli(self.single.port, False))
        self.flush_both()
        self.compare("redis-cli against the cluster (node 1)",
                     run_redis_cli(self.cluster.nodes[1].port, False))

    def test_redis_cli_cluster_mode(self):
        self.compare("redis-cli -c against one node", run_redis_cli(self.single.port, True))
        self.flush_both()
        self.compare("redis-cli -c against the cluster (node 2)",
                     run_redis_cli(self.cluster.nodes[2].port, True))

    # ioredis

    def require_ioredis(self):
        reason = ensure_ioredis()
        if reason:
            self.fail("ioredis unavailable (scripts/test installs it with npm ci): " + reason)

    def test_ioredis_plain(self):
        self.require_ioredis()
        self.compare("ioredis Redis against one node", run_ioredis(self.single.port, "plain"))
        self.flush_both()
        self.compare("ioredis Redis against the cluster (node 1)",
                     run_ioredis(self.cluster.nodes[1].port, "plain"))

    def test_ioredis_cluster(self):
        self.require_ioredis()
        self.require_slots()
        self.compare("ioredis Cluster", run_ioredis(self.cluster.nodes[0].port, "cluster"))


if __name__ == "__main__":
    unittest.main()
