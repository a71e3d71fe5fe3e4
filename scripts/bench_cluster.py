"""scripts/bench --cluster: a 3-node ringkv cluster (replicas 3, read and
write quorum 2) beside the single ringkv and redis-server, benchmarked with
SET, GET -r (over keys loaded into every server), INCR and SET/GET -P 16
against four targets: redis, the single ringkv, the cluster through one node
(node1, which forwards writes to each key's coordinator) and the cluster
spread (one redis-benchmark per node, started together, rps summed). After
the rounds each node's INFO cluster counters are printed.

scripts/bench's main drives a ClusterBench: start, load, measure (each
round), print_counters, and report at the end.
"""

import os
import signal
import subprocess
import tempfile
import time

from bench_lib import (Conn, RespError, Server, benchmark_argv, check_keys, fmt_rps, free_port,
                       load_keys, log, med, parse_benchmark, run_benchmark)


CLUSTER_SIZE = 3
# INFO cluster fields printed per node after the cluster runs.
CLUSTER_COUNTERS = ("reads", "writes", "forwarded", "forward_failures", "remote_requests",
                    "remote_applies", "peer_requests", "peer_errors", "read_repairs",
                    "quorum_failures")


# --- redis-benchmark on every node at once ------------------------------------

def run_spread(ports, opts, n, clients, timeout):
    """The workload split over several servers at once: one redis-benchmark
    per port, all started together, each with 1/k of the requests and
    ceil(clients/k) clients. rps is the sum, p50/p99 the worst of them."""
    k = len(ports)
    procs = []
    try:
        for i, port in enumerate(ports):
            share = n // k + (1 if i < n % k else 0)
            out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
            p = subprocess.Popen(benchmark_argv(port, opts, share, -(-clients // k)),
                                 stdout=out, stderr=err, stdin=subprocess.DEVNULL, text=True)
            procs.append((p, out, err))
        deadline = time.monotonic() + timeout
        parts = []
        for p, out, err in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                return {"error": "timeout after %ds" % timeout}
            out.seek(0)
            err.seek(0)
            parts.append(parse_benchmark(p.returncode, out.read(), err.read()))
    finally:
        for p, out, err in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
            out.close()
            err.close()
    for i, r in enumerate(parts):
        if "error" in r:
            return {"error": "node %d: %s" % (i + 1, r["error"])}
    return {"rps": sum(r["rps"] for r in parts), "p50": max(r["p50"] for r in parts),
            "p99": max(r["p99"] for r in parts)}


# --- the nodes and their INFO -----------------------------------------------

def info_fields(port, *section):
    """INFO [section] (or CLUSTER INFO with section "CLUSTER") as a dict."""
    c = Conn(port, timeout=10)
    try:
        text = c.call(*(("CLUSTER", "INFO") if section == ("CLUSTER",) else ("INFO",) + section))
    finally:
        c.close()
    if isinstance(text, RespError):
        raise RuntimeError("INFO on port %d: %s" % (port, text))
    return dict(l.split(":", 1) for l in text.decode(errors="replace").splitlines()
                if ":" in l and not l.startswith("#"))


def wait_cluster_formed(nodes, timeout=30):
    """Every node's CLUSTER INFO shows cluster_known_nodes = len(nodes)."""
    deadline = time.monotonic() + timeout
    for srv in nodes:
        while True:
            known = info_fields(srv.port, "CLUSTER").get("cluster_known_nodes", "?")
            if known == str(len(nodes)):
                break
            if time.monotonic() >= deadline or not srv.alive():
                raise RuntimeError("%s knows %s of %d nodes after %ds:\n%s" % (
                    srv.label, known, len(nodes), timeout, srv.log_tail()))
            time.sleep(0.1)


def cluster_counters(nodes):
    """{node label: {counter: int}} from each node's INFO cluster."""
    out = {}
    for srv in nodes:
        f = info_fields(srv.port, "cluster")
        out[srv.label] = {k: int(f[k]) for k in CLUSTER_COUNTERS if k in f}
    return out


def counter_lines(title, now, before=None):
    """A small table: one row per node, one column per counter it reports."""
    cols = [k for k in CLUSTER_COUNTERS if any(k in v for v in now.values())]
    lines = [title, "  %-6s" % "node" + "".join(" %*s" % (max(8, len(k)), k) for k in cols)]
    for label, v in now.items():
        b = before.get(label, {}) if before else {}
        lines.append("  %-6s" % label + "".join(
            " %*d" % (max(8, len(k)), v[k] - b.get(k, 0)) for k in cols))
    missing = [k for k in CLUSTER_COUNTERS if k not in cols]
    if missing:
        lines.append("  (not in INFO cluster: %s)" % ", ".join(missing))
    return lines


def start_nodes(top, ringkv_bin):
    """CLUSTER_SIZE ringkv nodes seeded with the first, N=3, R=2, W=2."""
    ports = [free_port() for _ in range(CLUSTER_SIZE)]
    secret = "bench-%s" % os.urandom(8).hex()
    nodes = []
    for i, port in enumerate(ports):
        d = os.path.join(top, "cluster-node%d" % (i + 1))
        os.mkdir(d)
        argv = [ringkv_bin, "--port", "{port}", "--bind", "127.0.0.1", "--dir", d,
                "--cluster-enabled", "yes", "--cluster-seeds", "127.0.0.1:%d" % ports[0],
                "--cluster-secret", secret, "--replicas", "3",
                "--read-quorum", "2", "--write-quorum", "2"]
        nodes.append(Server("node%d" % (i + 1), argv, d, port=port))
    for srv in nodes:
        srv.start()
    wait_cluster_formed(nodes)
    return nodes


class ClusterBench:
    """The --cluster part of one bench run: the nodes, the workloads, their
    targets and the results (results[workload][label] = per-round dicts)."""

    def __init__(self, args, top, ringkv_bin):
        self.args, self.top, self.ringkv_bin = args, top, ringkv_bin
        self.nodes = []      # the cluster's servers, once started
        self.workloads = []  # (name, redis-benchmark options, multiplier of -n)
        self.targets = []    # (label, servers, run(opts, n))
        self.results = {}
        self.before = None   # INFO cluster counters before the benchmark runs

    def start(self):
        """Starts the nodes (data dirs under top) and waits until every node
        knows all of them. Returns the nodes."""
        self.nodes = start_nodes(self.top, self.ringkv_bin)
        log("cluster: %d nodes on ports %s (N=3, R=2, W=2), every node knows all %d"
            % (len(self.nodes), ", ".join(str(n.port) for n in self.nodes), len(self.nodes)))
        return self.nodes

    def load(self, main_pair, failures, extra):
        """Loads --cluster-keys keys through node1 and reads samples back
        through the other nodes; then sets up the workloads and the targets
        (main_pair: the single ringkv and redis, which hold the same keys).
        Problems go to failures, lines for the end of the report to extra."""
        args, nodes = self.args, self.nodes
        nk = args.cluster_keys
        log("\nloading %d keys into the cluster through node1 for GET -r %d" % (nk, nk))
        secs, errors, first = load_keys(nodes[0].port, nk)
        log("  cluster %.1fs (%.0f keys/s)%s" % (
            secs, nk / secs, ", %d errors: %s" % (errors, first) if errors else ""))
        extra.append("load %d keys cluster: %.1fs (%.0f keys/s)" % (nk, secs, nk / secs))
        if errors:
            failures.append("cluster: %d errors loading keys: %s" % (errors, first))
        for srv in nodes[1:]:  # every key readable through the other nodes
            dbsize, bad = check_keys(srv.port, nk, samples=200)
            log("  %s: DBSIZE %s, %d of 200 sampled GETs wrong" % (srv.label, dbsize, bad))
            if bad:
                failures.append("cluster %s: %d of 200 sampled GETs wrong" % (srv.label, bad))
        self.before = cluster_counters(nodes)
        rk = "%dk" % (nk // 1000) if nk % 1000 == 0 else str(nk)
        self.workloads = [
            ("SET", ["-t", "set"], 1),
            ("GET -r %s (loaded)" % rk, ["-t", "get", "-r", str(nk)], 1),
            ("INCR", ["-t", "incr"], 1),
            ("SET -P 16", ["-t", "set", "-P", "16"], 10),
            ("GET -P 16", ["-t", "get", "-P", "16"], 10),
        ]

        def one(srv):
            return lambda opts, n: run_benchmark(srv.port, opts, n, args.clients,
                                                 args.run_timeout)
        self.targets = [(srv.label, [srv], one(srv)) for srv in main_pair[::-1]] + [
            ("cluster", nodes, one(nodes[0])),
            ("spread", nodes, lambda opts, n: run_spread(
                [s.port for s in nodes], opts, n, args.clients, args.run_timeout))]

    def measure(self, round_no, record):
        """One round of every workload on every target; the order rotates by
        round and workload so that no target always goes first. record is
        bench's: record(store, workload, label, result, servers, round_no, width)."""
        log("  -- cluster: redis, ringkv, cluster via node1, spread over %d nodes"
            % len(self.nodes))
        for wi, (wname, opts, mult) in enumerate(self.workloads):
            k = (round_no + wi) % len(self.targets)
            for label, servers, run in self.targets[k:] + self.targets[:k]:
                r = run(opts, self.args.requests * mult)
                record(self.results, wname, label, r, servers, round_no, width=7)

    def print_counters(self, extra):
        """Each node's INFO cluster counters: what the benchmark runs added
        (also kept in extra, for the end of the report), then the totals."""
        after = cluster_counters(self.nodes)
        lines = counter_lines("INFO cluster counters added by the benchmark runs "
                              "(node1 took the one-node runs):", after, self.before)
        log("")
        for line in lines + counter_lines(
                "INFO cluster counters, totals (load and checks included):", after):
            log(line)
        extra.extend(lines)

    def report(self):
        """The cluster's results table (nothing when no run was recorded)."""
        if not self.results:
            return
        args, nodes = self.args, self.nodes
        log("\n==== cluster (N=3, R=2, W=2): median rps of %d rounds, -c %d ===="
            % (args.rounds, args.clients))
        hdr = "%-24s %9s %9s %9s %9s %7s %7s %7s %7s" % (
            "workload", "redis", "ringkv", "cl-1node", "cl-spread",
            "1n/kv", "sp/kv", "1n/red", "sp/red")
        log(hdr)
        log("-" * len(hdr))

        def ratio(x, y):
            return "%.2f" % (x / y) if x and y else "-"
        for wname, _, _ in self.workloads:
            m = {label: med(self.results.get(wname, {}).get(label, []), "rps")
                 for label in ("redis", "ringkv", "cluster", "spread")}
            log("%-24s %9s %9s %9s %9s %7s %7s %7s %7s" % (
                wname, fmt_rps(m["redis"]), fmt_rps(m["ringkv"]), fmt_rps(m["cluster"]),
                fmt_rps(m["spread"]), ratio(m["cluster"], m["ringkv"]),
                ratio(m["spread"], m["ringkv"]), ratio(m["cluster"], m["redis"]),
                ratio(m["spread"], m["redis"])))
        log("cl-1node: all clients on node1; cl-spread: %d redis-benchmark processes, one per "
            "node, -c %d each, rps summed\n1n = cl-1node, sp = cl-spread, kv = single ringkv, "
            "red = redis; SET/INCR/-P 16 use one key (as above)"
            % (len(nodes), -(-args.clients // len(nodes))))
