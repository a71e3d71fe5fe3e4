"""Cluster mode end to end: real ringkv processes on loopback.

1. Placement: 10k keys written through random nodes read back identically
   through every node; each key lives on exactly N=3 nodes; keys spread
   evenly over equal nodes and in proportion to cluster-weight.
2. Repair: a replica paused (SIGSTOP) while writes go on, then resumed,
   holds the newest version of every key after one read at CONSISTENCY ALL.
3. Conflicts: two coordinators writing the same keys while the other is
   stopped make concurrent versions; they are counted (conflicts_resolved)
   and resolved the same way on every replica.
4. Failover: kill -9 of one node during a W=2 write load through the others
   fails no request, and every acknowledged write is readable at R=2.

Every test starts its own cluster (cluster_support.Cluster) and removes it
in a cleanup; every wait is bounded. A test that needs a cluster command the
binary lacks skips itself naming that command.
"""

import random
import sys
import threading
import time
import unittest

import redis

from cluster_support import Cluster, key_slot, wait_until

K3 = 3


def log(msg):
    sys.stderr.write("    [cluster] %s\n" % msg)
    sys.stderr.flush()


class ClusterCase(unittest.TestCase):
    def start_cluster(self, k, **kw):
        c = Cluster(k, **kw)
        self.addCleanup(c.cleanup)
        t0 = time.time()
        c.start()
        log("%d-node cluster formed in %.2fs" % (k, time.time() - t0))
        self.cluster = c
        return c

    def require(self, *features):
        missing = self.cluster.missing_features(*features)
        if missing:
            self.skipTest("server lacks %s" % ", ".join(
                f if f == "CONSISTENCY" else "CLUSTER " + f for f in missing))

    def client(self, i, **kw):
        c = self.cluster.client(i, **kw)
        self.addCleanup(c.close)
        return c

    def fail_with_logs(self, msg):
        self.fail("%s\n%s" % (msg, self.cluster.logs()))


def pipelined(client, cmds, batch=500, consistency=None):
    """Runs [(cmd, args...)] in pipelines of `batch` on one connection each,
    with CONSISTENCY first when given; returns the replies (errors as
    exception objects, never raised)."""
    out = []
    for b in range(0, len(cmds), batch):
        p = client.pipeline(transaction=False)
        if consistency:
            p.execute_command("CONSISTENCY", *consistency)
        for cmd in cmds[b:b + batch]:
            p.execute_command(*cmd)
        res = p.execute(raise_on_error=False)
        if consistency:
            if isinstance(res[0], Exception):
                raise res[0]
            res = res[1:]
        out.extend(res)
    return out


def value_of(tag, i, version=0):
    # Varied lengths and a few non-ASCII bytes: binary-safe round trips.
    return b"%s:%d:%d:" % (tag, i, version) + bytes([i % 251, 0xFF]) + b"v" * (i % 37)


# ---------------------------------------------------------------------------
# 1. Placement
# ---------------------------------------------------------------------------

class TestPlacement(ClusterCase):
    NKEYS = 10000

    def write_random(self, c, keys, values, seed):
        """SETs every key through a random node, pipelined; asserts each OK."""
        rng = random.Random(seed)
        by_node = {i: [] for i in range(c.k)}
        for k, v in zip(keys, values):
            by_node[rng.randrange(c.k)].append((k, v))
        failures = []
        t0 = time.time()
        for i, kvs in by_node.items():
            cl = self.client(i, socket_timeout=60)
            res = pipelined(cl, [("SET", k, v) for k, v in kvs])
            failures += [(k, r) for (k, _), r in zip(kvs, res) if r is not True]
        took = time.time() - t0
        log("wrote %d keys through random nodes in %.2fs" % (len(keys), took))
        self.assertEqual(failures[:5], [], "%d of %d SETs failed" % (len(failures), len(keys)))
        self.assertLess(took, 90, "writing %d keys took %.1fs" % (len(keys), took))

    def read_everywhere(self, c, keys, values):
        t0 = time.time()
        for i in range(c.k):
            cl = self.client(i, socket_timeout=60)
            got = pipelined(cl, [("GET", k) for k in keys])
            bad = [(k, v, g) for k, v, g in zip(keys, values, got) if g != v]
            self.assertEqual(len(bad), 0, "node %d read %d of %d keys wrong, e.g. %r"
                             % (i, len(bad), len(keys), bad[:3]))
        log("read %d keys back through each of %d nodes in %.2fs"
            % (len(keys), c.k, time.time() - t0))

    def wait_local_total(self, c, expected):
        counts = []

        def settled():
            counts[:] = [c.local_count(i) for i in range(c.k)]
            return sum(counts) >= expected

        try:
            wait_until(settled, 20, 0.2, "LOCALKEYS to add up to %d" % expected)
        except AssertionError:
            pass
        # The last replica's copy may land after the client's OK (W < N);
        # once it has, the total must be exact: no key on a 4th node.
        self.assertEqual(sum(counts), expected,
                         "sum of CLUSTER LOCALKEYS %s = %d, want %d"
                         % (counts, sum(counts), expected))
        return counts

    def check_sample_placement(self, c, keys, values, replicas, sample=200):
        rng = random.Random(7)
        idx = rng.sample(range(len(keys)), sample)
        skeys = [keys[j] for j in idx]
        svals = [values[j] for j in idx]
        per_node = [c.localget_many(i, skeys) for i in range(c.k)]
        slots = c.slot_map(0) if not c.missing_features("SLOTS") else None
        for n, (k, v) in enumerate(zip(skeys, svals)):
            holders = {i for i in range(c.k) if per_node[i][n] is not None}
            vals = {per_node[i][n] for i in holders}
            self.assertEqual(len(holders), replicas,
                             "key %r is on nodes %s, want exactly %d" % (k, sorted(holders), replicas))
            self.assertEqual(vals, {v}, "key %r: replicas hold %r, want %r" % (k, vals, v))
            if slots is not None:
                owners = slots[key_slot(k)]
                self.assertEqual(holders, set(owners),
                                 "key %r (slot %d) is on nodes %s but CLUSTER SLOTS lists %s"
                                 % (k, key_slot(k), sorted(holders), owners))

    def check_shares(self, c, counts, total, expected_shares, tol=0.15):
        shares = [n / float(total) for n in counts]
        log("per-node share of keys: %s (expected %s)"
            % (["%.3f" % s for s in shares], ["%.3f" % s for s in expected_shares]))
        for i, (s, e) in enumerate(zip(shares, expected_shares)):
            self.assertTrue(abs(s - e) <= tol * e,
                            "node %d holds %.3f of the keys, want %.3f +-%d%% (all: %s)"
                            % (i, s, e, int(tol * 100), ["%.3f" % x for x in shares]))

    def run_placement(self, k, seed):
        c = self.start_cluster(k)
        self.require("LOCALKEYS", "LOCALGET")
        keys = [b"pl:%d:%d" % (seed, i) for i in range(self.NKEYS)]
        values = [value_of(b"pl", i) for i in range(self.NKEYS)]
        self.write_random(c, keys, values, seed)
        self.read_everywhere(c, keys, values)
        counts = self.wait_local_total(c, 3 * self.NKEYS)
        self.check_sample_placement(c, keys, values, 3)
        self.check_shares(c, counts, self.NKEYS, [3.0 / k] * k)
        # The keyspace as a client sees it: each key once.
        cl = self.client(k - 1)
        self.assertEqual(cl.dbsize(), self.NKEYS, "DBSIZE through node %d" % (k - 1))

    def test_three_nodes_placement(self):
        self.run_placement(3, 3)

    def test_five_nodes_placement(self):
        self.run_placement(5, 5)

    def test_weighted_placement(self):
        """Weights 1,1,2 with N=1: the weight-2 node holds about half."""
        c = self.start_cluster(3, replicas=1, read_quorum=1, write_quorum=1, weights=[1, 1, 2])
        self.require("LOCALKEYS", "LOCALGET")
        keys = [b"wt:%d" % i for i in range(self.NKEYS)]
        values = [value_of(b"wt", i) for i in range(self.NKEYS)]
        self.write_random(c, keys, values, 11)
        counts = self.wait_local_total(c, self.NKEYS)
        self.check_sample_placement(c, keys, values, 1)
        self.check_shares(c, counts, self.NKEYS, [0.25, 0.25, 0.5])


# ---------------------------------------------------------------------------
# 2. Read repair of a resumed replica
# ---------------------------------------------------------------------------

class TestRepairAfterPause(ClusterCase):
    NKEYS = 1000

    def test_paused_replica_repaired_by_reads_at_all(self):
        c = self.start_cluster(K3, gossip_ms=100, node_timeout_ms=1000, peer_timeout_ms=500)
        self.require("LOCALGET", "CONSISTENCY")
        keys = [b"rp:%d" % i for i in range(self.NKEYS)]
        newest = {}
        w0 = self.client(0, socket_timeout=60)
        res = pipelined(w0, [("SET", k, value_of(b"rp", i, 0)) for i, k in enumerate(keys)])
        self.assertTrue(all(r is True for r in res), "initial writes: %r" % res[:5])
        for i, k in enumerate(keys):
            newest[k] = value_of(b"rp", i, 0)

        writers = [self.client(0, socket_timeout=60), self.client(1, socket_timeout=60)]
        rng = random.Random(2)
        failures = []
        version = [0]

        def write_round(n=200, idx=None):
            version[0] += 1
            if idx is None:
                idx = rng.sample(range(self.NKEYS), n)
            cmds = [("SET", keys[i], value_of(b"rp", i, version[0])) for i in idx]
            res = pipelined(writers[version[0] % 2], cmds, batch=100)
            for i, r in zip(idx, res):
                if r is True:
                    newest[keys[i]] = value_of(b"rp", i, version[0])
                else:
                    failures.append((keys[i], r))

        write_round()
        # Keys the paused node coordinates (first of their preference list):
        # their writes are forwarded to it until the others notice it is gone.
        slots = c.slot_map(0) if not c.missing_features("SLOTS") else None
        own2 = [i for i, k in enumerate(keys) if slots and slots[key_slot(k)][0] == 2][:4]
        c.pause(2)
        t_pause = time.time()
        log("node 2 (port %d) paused" % c.nodes[2].port)
        # Writes go on while the others notice, and after: first, one at a
        # time, keys that node 2 coordinates, through either node.
        for j in own2:
            write_round(idx=[j])
        deadline = time.time() + 20
        while time.time() - t_pause < 0.5 and time.time() < deadline:
            write_round()
        c.wait_down(2, [0, 1])
        log("node 2 marked down after %.2fs, %d write rounds so far"
            % (time.time() - t_pause, version[0]))
        t1 = time.time()
        while time.time() - t1 < 0.5 and time.time() < deadline:
            write_round()
        # Every key once more (so its newest version is one node 2 missed).
        write_round(idx=list(range(self.NKEYS)))
        log("%d write rounds in total (%d failed writes), resuming node 2"
            % (version[0], len(failures)))
        self.assertEqual(failures[:5], [], "%d writes failed with node 2 paused" % len(failures))
        c.resume(2)
        c.wait_up([0, 1, 2], [0, 1, 2])

        stale = sum(1 for k, v in zip(keys, c.localget_many(2, keys)) if v != newest[k])
        log("node 2 is stale for %d of %d keys before the reads at ALL" % (stale, self.NKEYS))

        # Every key read once, at ALL, through node 1.
        reader = self.client(1, socket_timeout=60)
        got = pipelined(reader, [("GET", k) for k in keys], batch=200, consistency=("ALL",))
        problems = []
        bad = [(k, newest[k], g) for k, g in zip(keys, got) if g != newest[k]]
        if bad:
            slots = c.slot_map(0) if not c.missing_features("SLOTS") else None
            problems.append(
                "%d of %d reads at ALL through node 1 were not the newest acknowledged write; "
                "(key, newest, got, preference list per CLUSTER SLOTS, written one at a time "
                "through a node that forwarded it to the paused node 2): %r"
                % (len(bad), self.NKEYS,
                   [(k, n, g, slots[key_slot(k)] if slots else None,
                     keys.index(k) in own2) for k, n, g in bad[:5]]))
        bad_keys = {k for k, _, _ in bad}

        # Read repair runs in the background: poll until node 2 caught up
        # (on the keys read correctly; the others are reported above).
        def repaired():
            local = c.localget_many(2, keys)
            wrong = [(k, newest[k], v) for k, v in zip(keys, local)
                     if v != newest[k] and k not in bad_keys]
            repaired.wrong = wrong
            return not wrong

        repaired.wrong = []
        try:
            wait_until(repaired, 15, 0.2, "node 2 to be repaired")
        except AssertionError:
            problems.append(
                "after reading every key at ALL, node 2 still has an old or no version of %d "
                "of %d keys (stale before the reads: %d), e.g. (key, newest, got) %r"
                % (len(repaired.wrong), self.NKEYS, stale, repaired.wrong[:3]))
        # All three replicas agree on the newest version.
        for i in (0, 1, 2):
            local = c.localget_many(i, keys)
            wrong = [(k, newest[k], v) for k, v in zip(keys, local) if v != newest[k]]
            if wrong:
                problems.append("CLUSTER LOCALGET on node %d: %d keys not at the newest "
                                "version, e.g. (key, newest, got) %r" % (i, len(wrong), wrong[:3]))
        repairs = sum(c.info_cluster(i).get("read_repairs", 0) for i in range(3))
        # Hinted handoff may have brought node 2 up to date before the reads.
        handed = sum(int(c.info_cluster(i).get("hints_delivered", 0)) for i in range(3))
        log("read_repairs over all nodes: %s, hinted writes handed off: %s" % (repairs, handed))
        if stale and not repairs and not handed:
            problems.append("node 2 was stale for %d keys, yet INFO cluster read_repairs and "
                            "hints_delivered are 0 on every node" % stale)
        if problems:
            self.fail_with_logs("\n".join(problems))


# ---------------------------------------------------------------------------
# 3. Concurrent writes through two coordinators
# ---------------------------------------------------------------------------

class TestConflicts(ClusterCase):
    NKEYS = 30

    def test_concurrent_coordinators_conflict_resolved_everywhere(self):
        c = self.start_cluster(K3, gossip_ms=100, node_timeout_ms=1000, peer_timeout_ms=500)
        self.require("LOCALGET", "SLOTS", "KEYSLOT", "CONSISTENCY")
        slots = c.slot_map(0)
        a = 1  # the usual coordinator of the keys below
        keys = []
        i = 0
        while len(keys) < self.NKEYS and i < 100000:
            k = b"cf:%d" % i
            if slots[key_slot(k)][0] == a:
                keys.append(k)
            i += 1
        self.assertEqual(len(keys), self.NKEYS, "no keys coordinated by node %d" % a)
        self.assertEqual(c.keyslot(keys[0]), key_slot(keys[0]), "CLUSTER KEYSLOT disagrees")
        b, cc = [n for n in slots[key_slot(keys[0])] if n != a][:2]

        def v(tag, n):
            return b"%s-%d" % (tag, n)

        # v0 everywhere.
        res = pipelined(self.client(cc), [("SET", k, v(b"v0", n)) for n, k in enumerate(keys)],
                        consistency=("ALL",))
        self.assertTrue(all(r is True for r in res), "v0 at ALL: %r" % res[:3])

        # Coordinator A isolated: B coordinates v1 (with C, W=2).
        c.pause(a)
        c.wait_down(a, [b, cc])
        res = pipelined(self.client(b, socket_timeout=30),
                        [("SET", k, v(b"v1", n)) for n, k in enumerate(keys)])
        self.assertTrue(all(r is True for r in res), "v1 through node %d: %r" % (b, res[:3]))

        # Now B isolated and A back: A coordinates v2 from its own (v0) clock,
        # concurrently with v1. CONSISTENCY ONE: A's own replica is enough.
        c.pause(b)
        c.resume(a)
        res = pipelined(self.client(a, socket_timeout=30),
                        [("SET", k, v(b"v2", n)) for n, k in enumerate(keys)],
                        consistency=("ONE",))
        self.assertTrue(all(r is True for r in res), "v2 through node %d at ONE: %r" % (a, res[:3]))
        c.resume(b)
        c.wait_up([0, 1, 2], [0, 1, 2])

        # One read at ALL per key through C; retried while a replica is
        # still coming back (bounded).
        reader = self.client(cc, socket_timeout=30)
        reader.execute_command("CONSISTENCY", "ALL")
        resolved = {}
        for n, k in enumerate(keys):
            deadline = time.time() + 10
            while True:
                try:
                    resolved[k] = reader.get(k)
                    break
                except redis.exceptions.ResponseError as e:
                    if time.time() > deadline:
                        self.fail_with_logs("GET %r at ALL through node %d: %s" % (k, cc, e))
                    time.sleep(0.1)

        def agreed():
            locals_ = [c.localget_many(i, keys) for i in range(3)]
            agreed.rows = list(zip(keys, *locals_))
            return all(r[1] == r[2] == r[3] and r[1] is not None for r in agreed.rows)

        agreed.rows = []
        try:
            wait_until(agreed, 15, 0.2, "replicas to agree")
        except AssertionError:
            bad = [r for r in agreed.rows if not (r[1] == r[2] == r[3])]
            self.fail("after reads at ALL, %d of %d keys differ between replicas "
                      "(key, node0, node1, node2): %r" % (len(bad), len(keys), bad[:3]))
        for k, l0, l1, l2 in agreed.rows:
            self.assertEqual(resolved[k], l0, "GET at ALL answered %r but replicas hold %r"
                             % (resolved[k], l0))
        for i in range(3):
            got = [self.client(i).get(k) for k in keys]
            self.assertEqual(got, [r[1] for r in agreed.rows], "GET through node %d" % i)

        infos = [c.info_cluster(i) for i in range(3)]
        conflicts = [inf.get("conflicts_resolved") for inf in infos]
        log("conflicts_resolved per node: %s; winners: %s" % (
            conflicts, sorted({r[1].split(b"-")[0].decode() for r in agreed.rows})))
        self.assertTrue(all(x is not None for x in conflicts),
                        "INFO cluster lacks conflicts_resolved: %r" % infos[0])
        self.assertGreater(sum(conflicts), 0, "concurrent v1/v2 writes counted no conflict")
        # Last write wins on the hybrid clock: v2 was written after v1.
        losers = [(k, r[1]) for k, r in zip(keys, agreed.rows) if r[1] != v(b"v2", keys.index(k))]
        self.assertEqual(losers[:3], [], "%d keys did not resolve to the later write v2"
                         % len(losers))


# ---------------------------------------------------------------------------
# 4. kill -9 during a write load
# ---------------------------------------------------------------------------

class TestKillDuringWrites(ClusterCase):
    KEYSPACE = 3000

    def test_kill9_one_node_no_failed_write_no_lost_write(self):
        c = self.start_cluster(K3, gossip_ms=100, node_timeout_ms=1000, peer_timeout_ms=1000)
        stop = threading.Event()
        results = {}
        t_kill = [time.time() + 1.0]

        def writer(node):
            cl = c.client(node, socket_timeout=30)
            # acked: the last acknowledged value of each key; later[k]: the
            # values of failed writes sent after it ("may still apply later").
            acked, later, errors, n = {}, {}, [], 0
            hard_deadline = time.time() + 30
            try:
                while not stop.is_set() and time.time() < hard_deadline:
                    p = cl.pipeline(transaction=False)
                    batch = []
                    for _ in range(20):
                        key = b"kw%d:%d" % (node, n % self.KEYSPACE)
                        val = b"kw%d:%d:%d" % (node, n % self.KEYSPACE, n)
                        p.set(key, val)
                        batch.append((key, val))
                        n += 1
                    try:
                        res = p.execute(raise_on_error=False)
                    except Exception as e:  # connection-level failure: the batch failed
                        errors.append((time.time() - t_kill[0], "batch ending at %d" % n,
                                       repr(e)[:120]))
                        for k, v in batch:
                            later.setdefault(k, set()).add(v)
                        break
                    for (k, v), r in zip(batch, res):
                        if r is True:
                            acked[k] = v
                            later[k] = set()
                        else:
                            later.setdefault(k, set()).add(v)
                            errors.append((time.time() - t_kill[0], k, repr(r)[:120]))
            finally:
                cl.close()
                results[node] = (acked, errors, n, later)

        threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in (0, 1)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        c.kill9(2)
        t_kill[0] = time.time()
        log("node 2 killed with SIGKILL under load")
        time.sleep(max(3.0, 2.5 * c.node_timeout_ms / 1000.0))
        stop.set()
        for t in threads:
            t.join(40)
        self.assertFalse(any(t.is_alive() for t in threads), "a writer hung")
        for node in (0, 1):
            acked, errors, n, _ = results[node]
            log("writer via node %d: %d writes sent, %d failed, %d keys acknowledged"
                % (node, n, len(errors), len(acked)))
        # Every acknowledged write readable at R=2 through both survivors
        # (checked first, so a failure reports both findings), once they
        # see each other up again.
        c.wait_up([0, 1], [0, 1])
        lost = []
        for via in (0, 1):
            cl = self.client(via, socket_timeout=60)
            for node in (0, 1):
                acked, later = results[node][0], results[node][3]
                ks = sorted(acked)
                got = pipelined(cl, [("GET", k) for k in ks])
                # The acknowledged value, or a failed write sent after it.
                bad = [(k, acked[k], g) for k, g in zip(ks, got)
                       if g != acked[k] and g not in later.get(k, ())]
                if bad:
                    lost.append("read through node %d at R=2: %d of %d acknowledged writes "
                                "of writer %d not found, e.g. %r"
                                % (via, len(bad), len(ks), node, bad[:3]))
        failed = ["writer through node %d saw %d failed requests of %d (first at +%.2fs after "
                  "the kill, last at +%.2fs): %s"
                  % (node, len(results[node][1]), results[node][2],
                     results[node][1][0][0], results[node][1][-1][0],
                     sorted(set(e[2] for e in results[node][1])))
                  for node in (0, 1) if results[node][1]]
        if lost or failed:
            self.fail("\n".join(failed + lost))


if __name__ == "__main__":
    unittest.main()
