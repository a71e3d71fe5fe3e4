"""Peer links are closed to anyone without the cluster secret.

A connection becomes a peer link only with PEER.HELLO and the right
cluster-secret; every other PEER.* command is an unknown command on a client
connection; a node started with another secret cannot join, and the refusal
is logged.
"""

import socket
import time
import unittest

import support
from cluster_support import wait_until


def node(secret, seeds=None):
    args = ["--cluster-enabled", "yes", "--cluster-secret", secret,
            "--gossip-interval-ms", "100", "--cluster-node-timeout", "1000"]
    if seeds:
        args += ["--cluster-seeds", seeds]
    return support.ServerProcess(args)


def raw(port, payload):
    """Sends RESP bytes, returns what comes back until the server closes or pauses."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        return support.read_reply_bytes(s, timeout=2.0)


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


@unittest.skipIf(support.IS_REDIS, "ringkv's cluster protocol")
class PeerSecretTest(unittest.TestCase):
    def setUp(self):
        self.a = node("right-secret").start()
        self.addCleanup(self.a.cleanup)

    def test_wrong_secret_is_refused_closed_and_logged(self):
        got = raw(self.a.port, resp("PEER.HELLO", "ab" * 20, "wrong-secret", "127.0.0.1", 1, 1))
        self.assertEqual(got, b"-ERR wrong cluster secret\r\n")
        wait_until(lambda: "wrong cluster-secret" in self.a.read_log(), 5,
                   what="the refusal in the log")
        info = self.a.client().execute_command("CLUSTER", "INFO").decode()
        self.assertIn("cluster_known_nodes:1", info)

    def test_peer_commands_are_unknown_on_client_connections(self):
        for cmd in (resp("PEER.READ", "k"), resp("PEER.WRITE", "k", "x"), resp("PEER.FLUSHALL"),
                    resp("PEER.EXEC", 2, 0, 0, 0, "SET", "k", "v")):
            got = raw(self.a.port, cmd)
            self.assertTrue(got.startswith(b"-ERR unknown command 'PEER."), got)
        self.assertIsNone(self.a.client().get("k"))

    def test_node_with_another_secret_cannot_join(self):
        b = node("other-secret", seeds="127.0.0.1:%d" % self.a.port).start()
        self.addCleanup(b.cleanup)
        # Both keep trying (seeds are retried every second); neither lets the other in.
        time.sleep(2.5)
        for n in (self.a, b):
            info = n.client().execute_command("CLUSTER", "INFO").decode()
            self.assertIn("cluster_known_nodes:1", info)
        self.assertIn("wrong cluster-secret", self.a.read_log())
        # And a write on b stays on b: a does not have it.
        b.client().set("only-b", "1")
        self.assertIsNone(self.a.client().get("only-b"))


if __name__ == "__main__":
    unittest.main()
