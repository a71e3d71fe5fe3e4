"""Differential test through a cluster: the command streams of
test_differential.py go to a 3-node ringkv cluster (3 replicas, read and
write quorum 2) and to a reference redis-server, and every reply must be the
same bytes. The "main" connection goes to node 1 and the "other" one to
node 2, so each key's writes and reads pass through two coordinators and
the quorum must make every write visible to the next read from either.

The streams hold no transactions: in a cluster, MULTI/EXEC and WATCH take
keys of one slot only (CROSSSLOT otherwise, as in Redis Cluster), and the
streams use keys from all over the ring. Everything else, multi-key
commands (MGET, MSET, DEL, RENAME, COPY) across nodes included, must answer
exactly as a single redis-server does.

    RINGKV_DIFF_SEEDS=4 RINGKV_DIFF_COMMANDS=5000 \\
    RINGKV_SERVER=../../build/server/ringkv-server /usr/bin/python3 -m unittest -v test_differential_cluster
"""

import unittest

import test_differential
from cluster_support import Cluster


class ClusterDifferentialTest(test_differential.DifferentialTest):
    TRANSACTIONS = False

    def start_ringkv(self):
        self.cluster = Cluster(3, replicas=3, read_quorum=2, write_quorum=2)
        self.addCleanup(self.cluster.cleanup)
        self.cluster.start()
        self.cluster.wait_formed()
        return {"main": self.cluster.nodes[0].port, "other": self.cluster.nodes[1].port}


if __name__ == "__main__":
    unittest.main()
