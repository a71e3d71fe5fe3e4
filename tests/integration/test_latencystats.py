"""INFO latencystats and its options (latency-tracking,
latency-tracking-info-percentiles), in Redis 7's format. The same tests pass
against redis-server 7.0 (RINGKV_SERVER=/usr/bin/redis-server).
"""

import re
import time
import unittest

import redis

from test_protocol import ErrorReply
from test_server_cmds import AdminCase, info_fields, info_text

LINE = re.compile(rb"^latency_percentiles_usec_([a-z|]+):(.*)$")


def latency_lines(text):
    """{command name: [(percentile name, microseconds), ...]} from INFO latencystats."""
    out = {}
    for line in text.split(b"\r\n"):
        m = LINE.match(line)
        if not m:
            continue
        pairs = []
        if m.group(2):
            for part in m.group(2).split(b","):
                name, _, value = part.partition(b"=")
                pairs.append((name.decode(), float(value)))
        out[m.group(1).decode()] = pairs
    return out


class LatencyStatsTest(AdminCase):
    def setUp(self):
        super().setUp()
        self.r.config_set("latency-tracking", "yes")
        self.r.config_set("latency-tracking-info-percentiles", "50 99 99.9")
        self.r.config_resetstat()

    def tearDown(self):
        self.r.config_set("latency-tracking", "yes")
        self.r.config_set("latency-tracking-info-percentiles", "50 99 99.9")
        super().tearDown()

    def test_default_percentiles_per_command(self):
        self.assertEqual(self.r.config_get("latency-tracking"), {"latency-tracking": "yes"})
        self.assertEqual(self.r.config_get("latency-tracking-info-percentiles"),
                         {"latency-tracking-info-percentiles": "50 99 99.9"})
        self.r.set("k", "v")
        for _ in range(200):
            self.r.get("k")
        self.r.client_id()
        lines = latency_lines(info_text(self.conn(), "latencystats"))
        self.assertIn("get", lines)
        self.assertIn("set", lines)
        self.assertIn("client|id", lines)
        # Subcommands are counted apart in commandstats too, as in Redis 7.
        self.assertIn(b"\r\ncmdstat_client|id:calls=1,", info_text(self.conn(), "commandstats"))
        self.assertNotIn("incr", lines)  # never called
        names = [n for n, _ in lines["get"]]
        self.assertEqual(names, ["p50", "p99", "p99.9"])
        values = [v for _, v in lines["get"]]
        self.assertEqual(values, sorted(values))  # percentiles never decrease
        self.assertGreater(values[0], 0)
        self.assertLess(values[0], 100000)  # a GET on loopback takes far less than 0.1 s

    def test_default_info_leaves_latencystats_out(self):
        self.r.get("k")
        text = info_text(self.conn())
        self.assertNotIn(b"# Latencystats", text)
        self.assertIn(b"# Latencystats", info_text(self.conn(), "all"))

    def test_percentiles_option_changes_the_fields(self):
        self.r.get("k")
        self.r.config_set("latency-tracking-info-percentiles", "50 99.5 100")
        self.assertEqual([n for n, _ in latency_lines(info_text(self.conn(), "latencystats"))["get"]],
                         ["p50", "p99.5", "p100"])
        self.r.config_set("latency-tracking-info-percentiles", "")
        self.assertEqual(latency_lines(info_text(self.conn(), "latencystats"))["get"], [])

    def test_bad_percentiles_are_refused(self):
        with self.assertRaisesRegex(redis.ResponseError, r"should sit between \[0.0,100.0\]"):
            self.r.config_set("latency-tracking-info-percentiles", "101")
        with self.assertRaisesRegex(redis.ResponseError, "Invalid latency-tracking-info-percentiles"):
            self.r.config_set("latency-tracking-info-percentiles", "abc")
        self.assertEqual(self.r.config_get("latency-tracking-info-percentiles"),
                         {"latency-tracking-info-percentiles": "50 99 99.9"})

    def test_tracking_off_shows_nothing_and_resetstat_clears(self):
        self.r.get("k")
        self.r.config_set("latency-tracking", "no")
        self.assertEqual(latency_lines(info_text(self.conn(), "latencystats")), {})
        self.r.config_set("latency-tracking", "yes")
        self.r.config_resetstat()
        lines = latency_lines(info_text(self.conn(), "latencystats"))
        self.assertNotIn("get", lines)

    def test_a_slow_command_moves_the_tail(self):
        # DEBUG SLEEP is not ours; many fast SETs then one big value: the
        # maximum (p100) must be at least the slowest call's own duration.
        self.r.config_set("latency-tracking-info-percentiles", "0 100")
        for i in range(50):
            self.r.set("small", "x")
        start = time.monotonic()
        self.r.set("big", b"x" * (8 << 20))
        took_us = (time.monotonic() - start) * 1e6
        lines = dict(latency_lines(info_text(self.conn(), "latencystats"))["set"])
        self.assertLessEqual(lines["p0"], lines["p100"])
        self.assertGreater(lines["p100"], lines["p0"])
        self.assertLess(lines["p100"], took_us * 1.05 + 1000)  # within the client's own timing


if __name__ == "__main__":
    unittest.main()
