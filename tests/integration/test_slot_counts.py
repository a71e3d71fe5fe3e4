"""Per-slot key counts (CLUSTER COUNTKEYSINSLOT) across restarts.

A one-node cluster (replicas 1, quorums 1) takes pipelines of ten SETs of
new random keys and of DELs, so that most commits change the counts of more
than two slots: those go to the slot count log, which is folded into the
counts once it holds slot-log-fold-pairs pairs. After kill -9 and after a
clean shutdown, every one of the 16384 slots must count exactly the keys
the test left in it, and DBSIZE their sum: with the log folded many times
(slot-log-fold-pairs 64), with the log never folded (the default), and with
every write journaled (write-behind-adaptive no), where the journal carries
the counts.
"""

import random
import time
import unittest

import support
from cluster_support import Cluster, key_slot, parse_info

SLOTS = 16384


class SlotCountsTest(unittest.TestCase):
    def setUp(self):
        if support.IS_REDIS:
            self.skipTest("a ringkv cluster node")
        self.rng = random.Random(20261128)
        self.keys = set()
        self.next_key = 0

    def start(self, args):
        c = Cluster(1, replicas=1, read_quorum=1, write_quorum=1, args=args)
        self.addCleanup(c.cleanup)
        c.start()
        return c

    def load(self, cluster, pipelines):
        """Pipelines of ten commands each: SETs of new keys, and one in four
        of DELs of ten keys written before. Keeps self.keys as the server's."""
        cl = cluster.client(0)
        try:
            for _ in range(pipelines):
                p = cl.pipeline(transaction=False)
                if self.keys and self.rng.random() < 0.25:
                    gone = self.rng.sample(sorted(self.keys), min(10, len(self.keys)))
                    for k in gone:
                        p.delete(k)
                    self.assertEqual(p.execute(), [1] * len(gone))
                    self.keys.difference_update(gone)
                else:
                    new = [b"sc:%d" % (self.next_key + i) for i in range(10)]
                    self.next_key += 10
                    for k in new:
                        p.set(k, b"v")
                    self.assertEqual(p.execute(), [True] * 10)
                    self.keys.update(new)
        finally:
            cl.close()

    def check_counts(self, cluster, when):
        want = [0] * SLOTS
        for k in self.keys:
            want[key_slot(k)] += 1
        cl = cluster.client(0)
        try:
            p = cl.pipeline(transaction=False)
            for s in range(SLOTS):
                p.execute_command("CLUSTER", "COUNTKEYSINSLOT", s)
            got = [int(n) for n in p.execute()]
            self.assertEqual(cl.dbsize(), len(self.keys), when)
        finally:
            cl.close()
        wrong = [(s, got[s], want[s]) for s in range(SLOTS) if got[s] != want[s]]
        self.assertEqual(wrong, [], "%s: (slot, counted, stored) of the wrong slots" % when)

    def info_storage(self, cluster):
        cl = cluster.client(0)
        try:
            return parse_info(cl.info("storage"))
        finally:
            cl.close()

    def kill9_and_restart(self, cluster):
        cluster.kill9(0)
        cluster.restart(0)
        cluster.wait_formed()

    def test_log_folded_often(self):
        # write-behind-ms 0: every commit goes straight to LevelDB.
        c = self.start(["--write-behind-ms", "0", "--slot-log-fold-pairs", "64"])
        cl = c.client(0)
        self.assertEqual(cl.config_get("slot-log-fold-pairs"), {"slot-log-fold-pairs": "64"})
        cl.close()
        self.load(c, 400)
        # About 300 commits of 10 slots: 3000 pairs, a fold every 64.
        self.assertGreaterEqual(self.info_storage(c)["slot_log_folds"], 10)
        self.check_counts(c, "before the kill")
        self.kill9_and_restart(c)
        self.check_counts(c, "after kill -9")
        self.load(c, 200)
        c.nodes[0].server.stop()  # a clean shutdown
        c.restart(0)
        c.wait_formed()
        self.check_counts(c, "after a clean restart")

    def test_log_never_folded_by_default(self):
        c = self.start(["--write-behind-ms", "0"])
        cl = c.client(0)
        self.assertEqual(cl.config_get("slot-log-fold-pairs"),
                         {"slot-log-fold-pairs": str(8 * SLOTS)})
        cl.close()
        self.load(c, 400)
        self.assertEqual(self.info_storage(c)["slot_log_folds"], 0)
        self.kill9_and_restart(c)
        self.check_counts(c, "after kill -9")

    def test_log_kept_through_a_switch_to_the_journal(self):
        # Adaptive (the default): direct commits log the counts; turns of 100
        # writes turn the journal on, and the log stays unfolded under the
        # journal's counts. (Turns that big keep it on however slow the
        # server is: a turn's rewrites of one key would count once, and one
        # turn per write-behind-ms is all new writes.)
        c = self.start([])
        self.load(c, 200)
        cl = c.client(0)
        self.addCleanup(cl.close)
        hot = [b"hot:%d" % i for i in range(100)]

        def pipeline(gone=()):
            p = cl.pipeline(transaction=False)
            for k in gone:
                p.delete(k)
            for k in hot[len(gone):]:
                p.set(k, b"h")
            self.assertEqual(p.execute(), [1] * len(gone) + [True] * (len(hot) - len(gone)))

        deadline = time.time() + 20
        while self.info_storage(c)["write_behind_journaling"] != 1 and time.time() < deadline:
            pipeline()
        self.keys.update(hot)
        st = self.info_storage(c)
        self.assertEqual((st["write_behind_journaling"], st["slot_log_folds"]), (1, 0))
        # Journaled: DELs of keys the log counted, five a turn.
        logged = sorted(self.keys - set(hot))
        self.assertGreater(len(logged), 1000)
        for at in range(0, 200, 5):
            pipeline(logged[at:at + 5])
            self.keys.difference_update(logged[at:at + 5])
        self.assertEqual(self.info_storage(c)["write_behind_journaling"], 1)
        self.check_counts(c, "before the kill")
        self.kill9_and_restart(c)
        self.check_counts(c, "after kill -9")

    def test_every_write_journaled(self):
        c = self.start(["--write-behind-adaptive", "no", "--slot-log-fold-pairs", "64"])
        self.load(c, 400)
        st = self.info_storage(c)
        self.assertEqual((st["write_behind_journaling"], st["write_behind_switches"]), (1, 0))
        self.kill9_and_restart(c)
        self.check_counts(c, "after kill -9")


if __name__ == "__main__":
    unittest.main()
