"""Starts a ringkv cluster of K real server processes for integration tests.

Every node gets its own free loopback port and data directory (under one
temporary root that cleanup() removes); the first node is every node's seed.
Nodes can be stopped with SIGSTOP, resumed with SIGCONT, killed with
SIGKILL and restarted on the same port and data directory, always by the
pid this module started. cleanup() resumes paused nodes first (a stopped
process ignores SIGTERM until continued), then stops every node.

Cluster-only commands that may not exist yet in the binary under test are
probed with cluster_features() and missing_features(), so a test can skip
itself naming exactly what is missing.
"""

import os
import shutil
import signal
import tempfile
import time

import redis

import support
from support import wait_until  # noqa: F401 (the cluster tests import it from here)

SECRET = "ringkv-test-secret"


def parse_info(text):
    """INFO text -> {field: value} (numbers as int/float where they parse)."""
    if isinstance(text, dict):  # redis-py already parsed INFO
        return dict(text)
    out = {}
    if isinstance(text, bytes):
        text = text.decode()
    for line in text.splitlines():
        if not line or line.startswith("#") or ":" not in line:
            continue
        k, v = line.split(":", 1)
        for conv in (int, float):
            try:
                v = conv(v)
                break
            except ValueError:
                pass
        out[k] = v
    return out


class Node:
    """One cluster member: a support.ServerProcess plus its fixed port/dir."""

    def __init__(self, index, port, data_dir, args):
        self.index = index
        self.port = port
        self.dir = data_dir
        self.args = list(args)
        self.server = None
        self.paused = False

    @property
    def pid(self):
        return self.server.proc.pid if self.server and self.server.proc else None

    def alive(self):
        return bool(self.server and self.server.proc and self.server.proc.poll() is None)

    def client(self, **kw):
        kw.setdefault("socket_timeout", 15)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def read_log(self):
        return self.server.read_log() if self.server else ""


class Cluster:
    """K ringkv nodes in cluster mode on loopback.

    args: options for every node; node_args: {index: [extra options]};
    weights: a list of cluster-weight values, one per node.
    """

    def __init__(self, k, replicas=3, read_quorum=2, write_quorum=2, weights=None,
                 gossip_ms=100, node_timeout_ms=1000, peer_timeout_ms=1000, args=(),
                 node_args=None):
        if not support.SERVER:
            raise RuntimeError("set RINGKV_SERVER to the server binary")
        self.k = k
        self.root = tempfile.mkdtemp(prefix="ringkv-cluster-")
        self.nodes = []
        ports = set()
        while len(ports) < k:
            ports.add(support.free_port())
        ports = sorted(ports)
        seed = "127.0.0.1:%d" % ports[0]
        for i, port in enumerate(ports):
            d = os.path.join(self.root, "node%d" % i)
            os.makedirs(d)
            a = ["--cluster-enabled", "yes", "--cluster-seeds", seed,
                 "--cluster-secret", SECRET,
                 "--replicas", str(replicas), "--read-quorum", str(read_quorum),
                 "--write-quorum", str(write_quorum),
                 "--gossip-interval-ms", str(gossip_ms),
                 "--cluster-node-timeout", str(node_timeout_ms),
                 "--peer-request-timeout-ms", str(peer_timeout_ms)]
            if weights:
                a += ["--cluster-weight", str(weights[i])]
            a += list(args)
            a += list((node_args or {}).get(i, ()))
            self.nodes.append(Node(i, port, d, a))
        self.node_timeout_ms = node_timeout_ms
        self.gossip_ms = gossip_ms

    # ---- lifecycle -------------------------------------------------------

    def start(self, timeout=30.0):
        try:
            for n in self.nodes:
                self._start_node(n, wait=False)
            for n in self.nodes:
                n.server.wait_ready()
            self.wait_formed(timeout)
        except Exception:
            self.cleanup()
            raise
        return self

    def _start_node(self, n, wait=True):
        n.server = support.ServerProcess(n.args, data_dir=n.dir, port=n.port)
        n.server.start(wait=wait)
        n.paused = False

    def cleanup(self):
        for n in self.nodes:
            if n.alive() and n.paused:
                self.resume(n.index)
        for n in self.nodes:
            if n.server:
                try:
                    n.server.stop()
                except Exception:
                    n.server.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def pause(self, i):
        """SIGSTOP: the process keeps its sockets but answers nothing."""
        n = self.nodes[i]
        os.kill(n.pid, signal.SIGSTOP)
        n.paused = True

    def resume(self, i):
        n = self.nodes[i]
        os.kill(n.pid, signal.SIGCONT)
        n.paused = False

    def kill9(self, i):
        n = self.nodes[i]
        if n.paused:
            self.resume(i)
        n.server.kill(signal.SIGKILL)
        if getattr(n.server, "log", None):
            n.server.log.close()
            n.server.log = None

    def restart(self, i):
        """A new process on node i's port and data directory (it must be down)."""
        n = self.nodes[i]
        assert not n.alive(), "node %d still running" % i
        self._start_node(n, wait=True)

    def logs(self, tail=3000):
        """The last `tail` characters of every node's log."""
        return "\n".join("---- node %d (port %d) ----\n%s" % (n.index, n.port, n.read_log()[-tail:])
                         for n in self.nodes)

    # ---- views -----------------------------------------------------------

    def client(self, i, **kw):
        return self.nodes[i].client(**kw)

    def port_index(self, port):
        for n in self.nodes:
            if n.port == int(port):
                return n.index
        raise KeyError(port)

    def cluster_info(self, i):
        c = self.client(i, socket_timeout=5)
        try:
            return parse_info(c.execute_command("CLUSTER", "INFO"))
        finally:
            c.close()

    def info_cluster(self, i):
        c = self.client(i, socket_timeout=5)
        try:
            return parse_info(c.execute_command("INFO", "cluster"))
        finally:
            c.close()

    def up_ports(self, i):
        """Ports of the nodes that node i believes up (CLUSTER NODES without
        fail/pfail/noaddr/handshake flags), itself included."""
        c = self.client(i, socket_timeout=5)
        try:
            text = c.execute_command("CLUSTER", "NODES")
        finally:
            c.close()
        if isinstance(text, bytes):
            text = text.decode()
        up = set()
        for line in text.splitlines():
            f = line.split()
            if len(f) < 8:
                continue
            flags = set(f[2].split(","))
            if flags & {"fail", "fail?", "pfail", "noaddr", "handshake"}:
                continue
            addr = f[1].split("@")[0]
            up.add(int(addr.rsplit(":", 1)[1]))
        return up

    def known_nodes(self, i):
        """How many nodes node i knows: CLUSTER INFO cluster_known_nodes, or,
        while CLUSTER is missing, the last "Ring rebuilt: K nodes" log line."""
        try:
            return int(self.cluster_info(i).get("cluster_known_nodes", 0))
        except redis.exceptions.ResponseError:
            pass
        k = 1
        for line in self.nodes[i].read_log().splitlines():
            if "Ring rebuilt:" in line:
                try:
                    k = int(line.split("Ring rebuilt:")[1].split()[0])
                except (IndexError, ValueError):
                    pass
        return k

    def wait_formed(self, timeout=30.0, among=None):
        """Until every running node knows all K nodes and (where CLUSTER
        NODES exists) sees every running node of `among` up."""
        live = [n.index for n in self.nodes if n.alive() and not n.paused]
        among = live if among is None else among
        want_ports = {self.nodes[j].port for j in among}

        def formed():
            for i in live:
                if self.known_nodes(i) < self.k:
                    return False
                if self.has_cluster_nodes():
                    if not want_ports <= self.up_ports(i):
                        return False
            return True

        wait_until(formed, timeout, 0.05, "the cluster to form (every node sees %s)"
                   % sorted(want_ports))

    def wait_down(self, down, observers, timeout=10.0):
        """Until every observer sees node `down` as not up. Without CLUSTER
        NODES, waits two node timeouts instead."""
        if not self.has_cluster_nodes():
            time.sleep(2.0 * self.node_timeout_ms / 1000.0)
            return
        port = self.nodes[down].port
        wait_until(lambda: all(port not in self.up_ports(o) for o in observers), timeout,
                   0.05, "nodes %s to mark node %d down" % (observers, down))

    def wait_up(self, ups, observers, timeout=15.0):
        if not self.has_cluster_nodes():
            time.sleep(2.0 * self.node_timeout_ms / 1000.0)
            return
        ports = {self.nodes[u].port for u in ups}
        wait_until(lambda: all(ports <= self.up_ports(o) for o in observers), timeout,
                   0.05, "nodes %s to see nodes %s up" % (observers, ups))

    # ---- features --------------------------------------------------------

    _features = None

    def cluster_features(self):
        """Upper-case CLUSTER subcommands named by CLUSTER HELP on a live
        node, plus "CONSISTENCY" if that command exists."""
        if self._features is not None:
            return self._features
        live = [n for n in self.nodes if n.alive() and not n.paused]
        c = live[0].client(socket_timeout=5)
        feats = set()
        try:
            try:
                lines = c.execute_command("CLUSTER", "HELP")
                for line in lines:
                    if isinstance(line, bytes):
                        line = line.decode(errors="replace")
                    w = line.strip().split()
                    if w and w[0].isupper() and w[0].replace("-", "").isalpha():
                        feats.add(w[0].upper())
            except redis.exceptions.ResponseError:
                pass
            try:
                c.execute_command("CONSISTENCY", "QUORUM")
                feats.add("CONSISTENCY")
            except redis.exceptions.ResponseError as e:
                if "unknown command" not in str(e).lower():
                    feats.add("CONSISTENCY")
        finally:
            c.close()
        self._features = feats
        return feats

    def missing_features(self, *names):
        have = self.cluster_features()
        return [n for n in names if n.upper() not in have]

    def has_cluster_nodes(self):
        return "NODES" in self.cluster_features()

    # ---- placement -------------------------------------------------------

    def slot_map(self, i=0):
        """CLUSTER SLOTS of node i -> list of 16384 tuples of node indexes,
        master (the slot's coordinator) first."""
        c = self.client(i, socket_timeout=10)
        try:
            ranges = c.execute_command("CLUSTER", "SLOTS")
        finally:
            c.close()
        slots = [None] * 16384
        for r in ranges:
            start, end = int(r[0]), int(r[1])
            owners = tuple(self.port_index(int(n[1])) for n in r[2:])
            for s in range(start, end + 1):
                slots[s] = owners
        return slots

    def keyslot(self, key, i=0):
        c = self.client(i, socket_timeout=5)
        try:
            return int(c.execute_command("CLUSTER", "KEYSLOT", key))
        finally:
            c.close()

    def local_count(self, i):
        """CLUSTER LOCALKEYS of node i as a number (it may answer a count or
        the list of keys)."""
        c = self.client(i, socket_timeout=60)
        try:
            r = c.execute_command("CLUSTER", "LOCALKEYS")
        finally:
            c.close()
        return r if isinstance(r, int) else len(r)

    def localget_many(self, i, keys, batch=1000):
        """CLUSTER LOCALGET of every key on node i, pipelined: list of values."""
        c = self.client(i, socket_timeout=60)
        out = []
        try:
            for b in range(0, len(keys), batch):
                p = c.pipeline(transaction=False)
                for k in keys[b:b + batch]:
                    p.execute_command("CLUSTER", "LOCALGET", k)
                out.extend(p.execute())
        finally:
            c.close()
        return out


def key_slot(key):
    """Redis Cluster's CRC16 slot of a key (hash tags honored), for the
    tests' own bookkeeping; CLUSTER KEYSLOT is what the server says."""
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b"{")
    if s != -1:
        e = key.find(b"}", s + 1)
        if e != -1 and e != s + 1:
            key = key[s + 1:e]
    crc = 0
    for b in key:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc % 16384
