"""A write sent to a node that is not its key's coordinator is forwarded
there (PEER.EXEC) and must take effect once, however slow the coordinator.

1. The coordinator holds the key's lock (an INCR at W=3 waiting for a paused
   replica) past the forwarded INCR's start deadline: the forwarded INCR is
   refused there without running, and the client gets TRYAGAIN (not applied):
   the forwarding node does not run it beside the coordinator's own INCR of
   the key, where one of the two could be lost. A blind SET of another key in
   the slot, forwarded meanwhile, takes no lock and succeeds at once.
2. The coordinator stops (SIGSTOP) while it runs a forwarded INCR: the
   forwarding node does not run it again (it may have been applied); the
   client gets an error saying so, and the counter never counts it twice.

Real ringkv processes on loopback (cluster_support.Cluster); every wait is
bounded and every process is stopped in a cleanup.
"""

import threading
import time
import unittest

import redis

from cluster_support import key_slot
from test_cluster import K3, ClusterCase, log


class TestForwardedWritesRunOnce(ClusterCase):
    PEER_TIMEOUT_MS = 1000

    def start(self):
        # A long node timeout: the paused node must not be declared down by
        # gossip while the test runs (the peer links still notice it).
        c = self.start_cluster(K3, gossip_ms=100, node_timeout_ms=20000,
                               peer_timeout_ms=self.PEER_TIMEOUT_MS)
        self.require("SLOTS", "CONSISTENCY")
        return c

    def key_coordinated_by(self, c, node, tag):
        slots = c.slot_map(0)
        for i in range(100000):
            k = b"%s:%d" % (tag, i)
            if slots[key_slot(k)][0] == node:
                return k
        self.fail("no key coordinated by node %d" % node)

    def read_all(self, c, key):
        # The nodes a link timed out to are suspect until gossip shows them up
        # again, and a request that was in flight while a node was paused can
        # time out after it resumed and make it suspect once more: the read
        # at ALL is retried (bounded) while it finds a replica down.
        c.wait_up([0, 1, 2], [0, 1, 2])
        cl = self.client(0, socket_timeout=30)
        cl.execute_command("CONSISTENCY", "ALL")
        deadline = time.time() + 20
        while True:
            try:
                return cl.get(key)
            except redis.ResponseError as e:
                if "NOQUORUM" not in str(e) or time.time() > deadline:
                    raise
                time.sleep(0.1)

    def test_incr_refused_at_the_coordinators_lock_is_not_applied(self):
        c = self.start()
        key = self.key_coordinated_by(c, 1, b"fw")
        # Another key node 1 coordinates, in key's slot: held by the same INCR.
        other = b"{%s}blind" % key
        direct = self.client(1, socket_timeout=30)  # at the coordinator
        direct.execute_command("CONSISTENCY", "R", "2", "W", "3")
        forwarded = self.client(0, socket_timeout=30)  # node 0 forwards to node 1
        forwarded.ping()
        blind = self.client(0, socket_timeout=30)
        blind.ping()
        results = {}

        def run(name, fn):
            t0 = time.time()
            try:
                results[name] = fn()
            except redis.ResponseError as e:
                results[name] = e
            log("%s: %r after %.2fs" % (name, results[name], time.time() - t0))

        c.pause(2)
        try:
            # The direct INCR takes the key's lock on node 1 and holds it while
            # its write waits for paused node 2 (a peer timeout). The forwarded
            # one queues behind it past its start deadline (half of that).
            threads = [threading.Thread(target=run, args=("direct", lambda: direct.incr(key)))]
            threads[0].start()
            time.sleep(0.1)
            threads.append(threading.Thread(target=run, args=(
                "forwarded", lambda: forwarded.incr(key))))
            threads.append(threading.Thread(target=run, args=(
                "blind", lambda: blind.set(other, b"v"))))
            for t in threads[1:]:
                t.start()
            for t in threads:
                t.join(20)
            self.assertFalse(any(t.is_alive() for t in threads), "a command hung")
        finally:
            c.resume(2)
        # The direct one could not reach W=3; its write stays on nodes 0 and 1.
        self.assertIsInstance(results["direct"], redis.ResponseError)
        self.assertIsInstance(results["forwarded"], redis.ResponseError)
        self.assertTrue(str(results["forwarded"]).startswith("TRYAGAIN"), results["forwarded"])
        self.assertIn("not applied", str(results["forwarded"]))
        self.assertEqual(self.read_all(c, key), b"1", "the refused INCR was applied")
        self.assertIs(results["blind"], True)
        self.assertEqual(self.read_all(c, other), b"v")
        self.assertGreaterEqual(c.info_cluster(0).get("forward_failures", 0), 1)

    def test_incr_whose_coordinator_stops_midway_is_not_run_again(self):
        c = self.start()
        key = self.key_coordinated_by(c, 1, b"fs")
        cl = self.client(0, socket_timeout=30)
        cl.execute_command("CONSISTENCY", "R", "2", "W", "3")
        result = []

        def run():
            t0 = time.time()
            try:
                result.append(cl.incr(key))
            except redis.ResponseError as e:
                result.append(e)
            log("forwarded INCR: %r after %.2fs" % (result[0], time.time() - t0))

        c.pause(2)
        try:
            t = threading.Thread(target=run)
            t.start()
            # Node 1 starts the INCR at once (its write then waits for node 2)
            # and stops before answering, for longer than node 0 waits.
            time.sleep(0.3)
            c.pause(1)
            t.join(3 * self.PEER_TIMEOUT_MS / 1000.0 + 10)
            self.assertFalse(t.is_alive(), "the INCR hung")
        finally:
            c.resume(1)
            c.resume(2)
        self.assertIsInstance(result[0], redis.ResponseError)
        self.assertIn("may or may not have been applied", str(result[0]))
        # Node 1 applied it (on itself and node 0) before it stopped; nobody
        # applied it again.
        got = self.read_all(c, key)
        self.assertIn(got, (None, b"1"), "the INCR was applied %r times" % got)


if __name__ == "__main__":
    unittest.main()
