"""Transactions in cluster mode: WATCH sees a write made through any node,
also on a node that holds no replica of the key; keys of one transaction
must share a slot (CROSSSLOT otherwise), as in Redis Cluster."""

import unittest

import redis

import support
from cluster_support import Cluster, key_slot


@unittest.skipIf(support.IS_REDIS, "ringkv's cluster mode")
class ClusterTransactionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(5, replicas=3, read_quorum=2, write_quorum=2)
        try:
            cls.c.start()
            cls.c.wait_formed()
        except Exception:
            cls.c.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.c.cleanup()

    def test_config_set_quorums_apply_and_the_peer_timeout_is_fixed(self):
        n = self.c.client(0, socket_timeout=10)
        self.addCleanup(n.close)
        try:
            n.config_set("read-quorum", 1)
            n.config_set("write-quorum", 3)
            info = self.c.info_cluster(0)
            self.assertEqual((int(info["read_quorum"]), int(info["write_quorum"])), (1, 3))
        finally:
            n.config_set("read-quorum", 2)
            n.config_set("write-quorum", 2)
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            n.config_set("peer-request-timeout-ms", 60000)
        self.assertIn("peer-request-timeout-ms", str(cm.exception))

    def outsider_and_writer(self, key):
        """A node holding no replica of `key`, and one holding one."""
        owners = self.c.slot_map(0)[key_slot(key)]
        outsider = next(i for i in range(5) if i not in owners)
        return outsider, owners[1]

    def test_watch_on_a_node_without_the_key_sees_a_write_elsewhere(self):
        key = b"tx:w1"
        outsider, writer = self.outsider_and_writer(key)
        a = self.c.client(outsider, socket_timeout=10)
        b = self.c.client(writer, socket_timeout=10)
        b.set(key, "v0")
        with a.pipeline(transaction=True) as p:
            p.watch(key)
            b.set(key, "changed")  # another client, another node
            p.multi()
            p.set(key, "mine")
            with self.assertRaises(redis.exceptions.WatchError):
                p.execute()
        self.assertEqual(b.get(key), b"changed")

    def test_watch_without_a_change_lets_exec_run(self):
        key = b"tx:w2"
        outsider, writer = self.outsider_and_writer(key)
        a = self.c.client(outsider, socket_timeout=10)
        self.c.client(writer, socket_timeout=10).set(key, "v0")
        with a.pipeline(transaction=True) as p:
            p.watch(key)
            p.multi()
            p.incr(b"{tx:w2}n")
            p.set(key, "mine")
            self.assertEqual(p.execute(), [1, True])
        self.assertEqual(a.get(key), b"mine")

    def test_keys_of_two_slots_in_one_transaction_are_crossslot(self):
        a = self.c.client(0, socket_timeout=10)
        with a.pipeline(transaction=True) as p:
            p.set(b"tx:a", "1")
            p.set(b"tx:b", "2")
            with self.assertRaises(redis.exceptions.ResponseError) as cm:
                p.execute()
        self.assertIn("CROSSSLOT", str(cm.exception))
        self.assertIsNone(a.get(b"tx:a"))


if __name__ == "__main__":
    unittest.main()
