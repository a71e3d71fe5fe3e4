"""CLIENT PAUSE on one node of a cluster holds that node's own clients only:
the cluster's traffic to it (gossip, replica writes and reads, a restarted
peer's new link) goes on, so the rest of the cluster keeps its quorums."""

import socket
import time
import unittest

import support
from cluster_support import Cluster


@unittest.skipIf(support.IS_REDIS, "ringkv's cluster mode")
class ClusterPauseTest(unittest.TestCase):
    def setUp(self):
        self.c = Cluster(3, replicas=3, read_quorum=2, write_quorum=2)
        self.addCleanup(self.c.cleanup)
        self.c.start()
        self.c.wait_formed()

    def test_a_paused_node_keeps_serving_its_peers(self):
        admin = self.c.client(0, socket_timeout=10)
        self.addCleanup(admin.close)
        start = time.monotonic()
        admin.execute_command("CLIENT", "PAUSE", "15000", "ALL")
        # A client of the paused node waits...
        held = socket.create_connection(("127.0.0.1", self.c.nodes[0].port), timeout=10)
        self.addCleanup(held.close)
        held.sendall(b"*2\r\n$3\r\nGET\r\n$4\r\npk:7\r\n")
        held.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            held.recv(100)
        # ...while writes at CONSISTENCY ALL through another node reach it.
        w = self.c.client(2, socket_timeout=10)
        self.addCleanup(w.close)
        w.execute_command("CONSISTENCY", "ALL")
        for i in range(50):
            self.assertTrue(w.set("pk:%d" % i, "v%d" % i))
        # A peer that restarts links to the paused node again (PEER.HELLO is
        # not held), sees it up, and reads from it at CONSISTENCY ALL.
        self.c.kill9(1)
        self.c.restart(1)
        self.c.wait_up([0], observers=[1], timeout=10)
        r = self.c.client(1, socket_timeout=10)
        self.addCleanup(r.close)
        r.execute_command("CONSISTENCY", "ALL")
        self.assertEqual(r.get("pk:9"), b"v9")
        # All of that happened inside the pause: the held GET is still waiting.
        self.assertLess(time.monotonic() - start, 14)
        held.settimeout(0.1)
        with self.assertRaises(socket.timeout):
            held.recv(100)
        # It runs when the pause ends, and sees the writes made meanwhile.
        held.settimeout(20)
        self.assertEqual(held.recv(100), b"$2\r\nv7\r\n")
        self.assertGreater(time.monotonic() - start, 14)

if __name__ == "__main__":
    unittest.main()
