"""Hinted handoff: the writes a replica missed while it was down reach it once
it is back, without any read of those keys.

With 3 nodes and N=3 every key lives on every node, and each node is the
primary (first up replica) of about a third of the slots, which is where
DBSIZE, KEYS and SCAN take those slots' keys from. Before handoff, a node
killed and restarted listed what it had before it died: keys deleted
meanwhile were still counted and new ones were missing, until reads of each
key repaired it.
"""

import time
import unittest

import support
from cluster_support import Cluster, wait_until


def log(msg):
    print("[handoff] %s" % msg, flush=True)


class HandoffTest(unittest.TestCase):
    def setUp(self):
        if support.IS_REDIS:
            self.skipTest("ringkv's cluster mode")
        self.c = Cluster(3, gossip_ms=100, node_timeout_ms=1000, peer_timeout_ms=1000)
        self.addCleanup(self.c.cleanup)
        self.c.start()

    def client(self, i):
        cl = self.c.client(i, socket_timeout=30)
        self.addCleanup(cl.close)
        return cl

    def hints(self, field):
        return [int(self.c.info_cluster(i).get(field, 0)) for i in (0, 1)]

    def hints_for(self, node_id):
        """Hints nodes 0 and 1 keep for `node_id` (INFO cluster
        hints_pending_by_node: "<id>=<n>,...", which redis-py may parse)."""
        n = 0
        for i in (0, 1):
            v = self.c.info_cluster(i).get("hints_pending_by_node", "")
            if isinstance(v, (bytes, str)):
                v = v.decode() if isinstance(v, bytes) else v
                v = dict(x.split("=") for x in v.split(",") if x)
            n += int(v.get(node_id, 0))
        return n

    def run_pipeline(self, cl, cmds):
        p = cl.pipeline(transaction=False)
        for cmd in cmds:
            p.execute_command(*cmd)
        res = p.execute(raise_on_error=False)
        bad = [(cmd, r) for cmd, r in zip(cmds, res) if isinstance(r, Exception)]
        self.assertEqual(bad[:3], [], "%d of %d commands failed" % (len(bad), len(cmds)))
        return res

    def test_restarted_replica_gets_the_writes_it_missed(self):
        c = self.c
        w = self.client(0)
        expected = {}
        self.run_pipeline(w, [("SET", "k:%d" % i, "v0-%d" % i) for i in range(600)])
        expected.update({"k:%d" % i: "v0-%d" % i for i in range(600)})
        node2 = self.client(2).execute_command("CLUSTER", "MYID")
        node2 = node2.decode() if isinstance(node2, bytes) else node2

        c.kill9(2)
        c.wait_down(2, [0, 1])
        log("node 2 killed; writing through nodes 0 and 1")
        # Overwrite 200, delete 200, add 300: every one of them is a write
        # node 2 should have had (it is a replica of every key).
        w1 = self.client(1)
        self.run_pipeline(w, [("SET", "k:%d" % i, "v1-%d" % i) for i in range(0, 200)])
        expected.update({"k:%d" % i: "v1-%d" % i for i in range(0, 200)})
        dels = self.run_pipeline(w1, [("DEL", "k:%d" % i) for i in range(200, 400)])
        self.assertEqual(dels, [1] * 200)
        for i in range(200, 400):
            del expected["k:%d" % i]
        self.run_pipeline(w1, [("SET", "new:%d" % i, "n-%d" % i) for i in range(300)])
        expected.update({"new:%d" % i: "n-%d" % i for i in range(300)})
        kept = self.hints("hints_pending")
        log("hints kept by nodes 0 and 1: %s" % kept)
        self.assertEqual(self.hints_for(node2), 700, "one hint per write node 2 missed")
        # Nodes 0 and 1 may also keep (and soon hand off) hints for each
        # other, where a write to one of them timed out on a loaded machine
        # (a sanitizer build under ctest -j2 kept 702): every hint stored
        # must be delivered in the end.
        stored = sum(self.hints("hints_stored"))
        self.assertGreaterEqual(stored, 700)

        c.restart(2)
        c.wait_formed()
        t0 = time.time()
        wait_until(lambda: sum(self.hints("hints_pending")) == 0, 30, 0.1,
                   "nodes 0 and 1 to hand their hints to node 2")
        log("hints handed off %.2fs after node 2 was seen up" % (time.time() - t0))
        self.assertEqual(sum(self.hints("hints_delivered")), stored)

        # Node 2's own copies, read without a quorum (which would repair them).
        keys = sorted(set(expected) | {"k:%d" % i for i in range(200, 400)})
        local = c.localget_many(2, keys)
        wrong = [(k, expected.get(k), v) for k, v in zip(keys, local)
                 if v != (expected[k].encode() if k in expected else None)]
        self.assertEqual(wrong[:5], [], "%d keys differ on node 2" % len(wrong))
        # What a client lists, through every node.
        for i in (0, 1, 2):
            cl = self.client(i)
            self.assertEqual(cl.dbsize(), len(expected), "DBSIZE through node %d" % i)
            self.assertEqual(sorted(k.decode() for k in cl.keys("*")), sorted(expected),
                             "KEYS through node %d" % i)
        logs = "\n".join(c.nodes[i].read_log() for i in (0, 1))
        self.assertIn("Hinted handoff:", logs)

    def test_writes_a_replica_seen_up_did_not_take_are_hinted_too(self):
        # Node 2 is stopped (SIGSTOP: its sockets stay open), and for the
        # next second (node-timeout) nodes 0 and 1 still take it for up: they
        # send it the writes, which time out (peer-timeout). Each is kept as a
        # hint as well; before, only writes made once node 2 was seen down
        # were, and a gossip message that briefly showed it up again (a newer
        # heartbeat from the other node) lost some.
        c = self.c
        c.pause(2)
        w = self.client(0)
        self.run_pipeline(w, [("SET", "s:%d" % i, "y%d" % i) for i in range(300)])
        wait_until(lambda: sum(self.hints("hints_pending")) == 300, 10, 0.05,
                   "a hint for each of the 300 writes node 2 did not take")
        self.assertEqual(sum(self.hints("hints_stored")), 300)
        c.resume(2)
        wait_until(lambda: sum(self.hints("hints_pending")) == 0, 30, 0.1,
                   "the hints to reach node 2")
        keys = ["s:%d" % i for i in range(300)]
        self.assertEqual(c.localget_many(2, keys), [("y%d" % i).encode() for i in range(300)])

    def test_hints_survive_a_restart_of_the_node_that_keeps_them(self):
        c = self.c
        c.kill9(2)
        c.wait_down(2, [0, 1])
        w = self.client(0)
        self.run_pipeline(w, [("SET", "h:%d" % i, "x%d" % i) for i in range(100)])
        kept = self.hints("hints_pending")
        self.assertEqual(sum(kept), 100)
        # Nodes 0 and 1 restart (clean stop) while node 2 is still down: the
        # hints are on their disks. (They forget node 2 until it comes back.)
        for i in (0, 1):
            c.nodes[i].server.stop()
            c.restart(i)
        c.wait_up([0, 1], [0, 1])
        self.assertEqual(sum(self.hints("hints_pending")), 100)
        c.restart(2)
        c.wait_formed()
        wait_until(lambda: sum(self.hints("hints_pending")) == 0, 30, 0.1,
                   "the hints to reach node 2")
        keys = ["h:%d" % i for i in range(100)]
        self.assertEqual(c.localget_many(2, keys), [("x%d" % i).encode() for i in range(100)])

    def test_hints_for_a_forgotten_node_are_dropped(self):
        c = self.c
        gone = c.info_cluster(2)["cluster_node_id"]
        c.kill9(2)
        c.wait_down(2, [0, 1])
        self.run_pipeline(self.client(0), [("SET", "f:%d" % i, "x") for i in range(50)])
        self.assertEqual(sum(self.hints("hints_pending")), 50)
        self.assertEqual(self.client(0).execute_command("CLUSTER", "FORGET", gone), b"OK")
        wait_until(lambda: sum(self.hints("hints_pending")) == 0, 10, 0.05,
                   "the forgotten node's hints to be dropped everywhere")
        logs = "\n".join(c.nodes[i].read_log() for i in (0, 1))
        self.assertIn("which left the cluster", logs)

    def test_a_node_restarted_on_another_port_is_reached_there(self):
        # Same data dir, so the same node id, but a new port: the others learn
        # the address by gossip, and their links to it must dial the new one
        # (before, they kept dialling the old port until they restarted).
        c = self.c
        w = self.client(0)
        c.kill9(2)
        c.wait_down(2, [0, 1])
        self.run_pipeline(w, [("SET", "moved:%d" % i, "v%d" % i) for i in range(100)])
        c.nodes[2].port = support.free_port()
        c.restart(2)
        c.wait_formed()
        log("node 2 back on port %d" % c.nodes[2].port)
        wait_until(lambda: sum(self.hints("hints_pending")) == 0, 30, 0.1,
                   "the hints to reach node 2 at its new port")
        # Every replica must take these: node 0 reaches node 2 at its new port.
        self.run_pipeline(w, [("CONSISTENCY", "ALL")] +
                          [("SET", "all:%d" % i, "a%d" % i) for i in range(100)])
        got = c.localget_many(2, ["all:%d" % i for i in range(100)] +
                              ["moved:%d" % i for i in range(100)])
        self.assertEqual(sum(1 for v in got if v is not None), 200, "node 2 lacks some keys")


if __name__ == "__main__":
    unittest.main()
