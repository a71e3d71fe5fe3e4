"""Wire-level checks on raw sockets: inline commands, pipelining, split
frames, binary-safe bulks, RESP3 reply types after HELLO 3, and what a
malformed request does (a protocol error, then the connection closes, while
everyone else is unaffected). Replies are compared byte for byte with what
Redis 7.0 sends.
"""

import random
import re
import select
import socket
import threading
import time
import unittest

import support


def recv_exact(sock, n, timeout=10.0):
    """Exactly n bytes, or fewer if the peer closes or `timeout` passes."""
    deadline = time.time() + timeout
    data = b""
    while len(data) < n:
        left = deadline - time.time()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(1 << 20, n - len(data)))
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_until_closed(sock, timeout=5.0):
    """Everything the server sends until it closes; (data, closed)."""
    deadline = time.time() + timeout
    data = b""
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def send_until_reply(sock, payload, chunk=4096, timeout=10.0):
    """Sends payload in chunks but stops as soon as the server answers or
    closes, so a server that gives up early on a huge request is not turned
    into a reset that hides its error reply. Returns (reply, closed)."""
    sock.setblocking(False)
    pos = 0
    data = b""
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            want_write = pos < len(payload) and not data
            r, w, _ = select.select([sock], [sock] if want_write else [], [], 0.2)
            if r:
                try:
                    got = sock.recv(65536)
                except ConnectionResetError:
                    return data, True
                if not got:
                    return data, True
                data += got
                continue
            if w:
                try:
                    pos += sock.send(payload[pos:pos + chunk])
                except (BrokenPipeError, ConnectionResetError):
                    # The server closed; what it said before is still readable.
                    pass
                except BlockingIOError:
                    pass
                continue
            if data:
                return data, False   # answered, then quiet: the caller checks for close
    finally:
        sock.setblocking(True)
    return data, False


class Incomplete(Exception):
    pass


class SimpleString(bytes):
    pass


class ErrorReply(bytes):
    pass


def parse_reply(buf, pos=0):
    """One RESP2/RESP3 value from buf[pos:]; returns (value, next_pos).
    Maps come back as lists of (key, value) pairs to keep order and type."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete()
    kind, line, nxt = buf[pos:pos + 1], buf[pos + 1:end], end + 2
    if kind == b"+":
        return SimpleString(line), nxt
    if kind == b"-":
        return ErrorReply(line), nxt
    if kind == b":":
        return int(line), nxt
    if kind == b"_":
        return None, nxt
    if kind == b",":
        return float(line), nxt
    if kind == b"#":
        return line == b"t", nxt
    if kind == b"(":
        return int(line), nxt
    if kind in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return None, nxt
        if len(buf) < nxt + n + 2:
            raise Incomplete()
        if buf[nxt + n:nxt + n + 2] != b"\r\n":
            raise ValueError("bulk not terminated by CRLF")
        return buf[nxt:nxt + n], nxt + n + 2
    if kind in (b"*", b"~", b">"):
        n = int(line)
        if n < 0:
            return None, nxt
        out = []
        for _ in range(n):
            v, nxt = parse_reply(buf, nxt)
            out.append(v)
        return out, nxt
    if kind in (b"%", b"|"):
        n = int(line)
        out = []
        for _ in range(n):
            k, nxt = parse_reply(buf, nxt)
            v, nxt = parse_reply(buf, nxt)
            out.append((k, v))
        return out, nxt
    raise ValueError("unknown RESP type %r" % kind)


class Conn:
    """A raw connection that reads whole replies and keeps their bytes."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def send(self, data):
        self.sock.sendall(data)

    def read_raw(self):
        """The bytes of exactly one reply."""
        deadline = time.time() + self.timeout
        while True:
            try:
                _, n = parse_reply(self.buf)
                raw, self.buf = self.buf[:n], self.buf[n:]
                return raw
            except Incomplete:
                pass
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no complete reply within %.0fs; have %r" % (self.timeout, self.buf[:200]))
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("connection closed; partial reply %r" % self.buf[:200])
            self.buf += chunk

    def read(self):
        return parse_reply(self.read_raw())[0]

    def call_raw(self, data):
        self.send(data)
        return self.read_raw()

    def close(self):
        self.sock.close()


def resp(*args):
    """A command encoded as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


class ProtoCase(support.ServerTestCase):
    def conn(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        return c

    def assertServerHealthy(self, bystander):
        self.assertIsNone(self.server.proc.poll(), "server exited:\n" + self.server.read_log())
        self.assertEqual(bystander.call_raw(b"PING\r\n"), b"+PONG\r\n")
        fresh = self.conn()
        self.assertEqual(fresh.call_raw(resp("ECHO", "still here")), bulk(b"still here"))


class InlineCommandsTest(ProtoCase):
    def test_inline_ping(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")

    def test_inline_ping_with_argument_and_extra_spaces(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"   PING    hello  \r\n"), b"$5\r\nhello\r\n")

    def test_inline_lf_only_and_empty_lines_are_ignored(self):
        c = self.conn()
        c.send(b"\r\n\r\nPING\n\nECHO x\n")
        self.assertEqual(c.read_raw(), b"+PONG\r\n")
        self.assertEqual(c.read_raw(), b"$1\r\nx\r\n")

    def test_inline_command_name_is_case_insensitive(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"pInG\r\n"), b"+PONG\r\n")

    def test_inline_double_quotes_group_words(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b'SET k "a b"\r\n'), b"+OK\r\n")
        self.assertEqual(c.call_raw(b"GET k\r\n"), b"$3\r\na b\r\n")
        self.assertEqual(self.r.get("k"), b"a b")

    def test_inline_single_quotes_and_escaped_quote(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"SET k 'it\\'s here'\r\n"), b"+OK\r\n")
        self.assertEqual(self.r.get("k"), b"it's here")

    def test_inline_double_quote_escapes(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b'SET k "a\\x41\\n\\t\\"q"\r\n'), b"+OK\r\n")
        self.assertEqual(self.r.get("k"), b'aA\n\t"q')

    def test_inline_empty_quoted_argument(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b'SET k ""\r\n'), b"+OK\r\n")
        self.assertEqual(c.call_raw(b"GET k\r\n"), b"$0\r\n\r\n")

    def test_inline_unbalanced_quotes_is_a_protocol_error(self):
        bystander = self.conn()
        self.assertEqual(bystander.call_raw(b"PING\r\n"), b"+PONG\r\n")
        s = self.raw()
        s.sendall(b'SET k "ab\r\n')
        data, closed = read_until_closed(s)
        s.close()
        self.assertEqual(data, b"-ERR Protocol error: unbalanced quotes in request\r\n")
        self.assertTrue(closed, "connection should close after a protocol error")
        self.assertServerHealthy(bystander)

    def test_inline_and_resp_mixed_in_one_send(self):
        c = self.conn()
        c.send(b"SET a 1\r\n" + resp("INCR", "a") + b"GET a\r\n" + resp("PING"))
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.assertEqual(c.read_raw(), b":2\r\n")
        self.assertEqual(c.read_raw(), b"$1\r\n2\r\n")
        self.assertEqual(c.read_raw(), b"+PONG\r\n")


class PipelineTest(ProtoCase):
    def test_quoted_inline_and_resp_commands_interleaved_in_one_send(self):
        # The server parses a pipeline ahead of the command it runs (to
        # prefetch keys); quoted inline arguments live in the parser, not in
        # the input, and must still reach each command intact.
        payload, expected = [], []
        for i in range(40):
            key = "k %d" % i
            payload.append(b'SET "%s" "v %d"\r\n' % (key.encode(), i))
            payload.append(resp("APPEND", key, "!"))
            payload.append(b"GET '%s'\r\n" % key.encode())
            expected += [b"+OK\r\n", b":%d\r\n" % len("v %d!" % i), bulk(b"v %d!" % i)]
        c = self.conn()
        c.send(b"".join(payload))
        want = b"".join(expected)
        self.assertEqual(recv_exact(c.sock, len(want), timeout=20), want)

    def test_ten_thousand_commands_in_one_send(self):
        n = 10000
        payload = []
        expected = []
        for i in range(n // 2):
            key, val = b"key:%d" % i, b"value-%d" % i
            payload.append(resp(b"SET", key, val))
            expected.append(b"+OK\r\n")
            if i % 2:
                payload.append(b"GET " + key + b"\r\n")   # inline, in the same stream
            else:
                payload.append(resp(b"GET", key))
            expected.append(bulk(val))
        payload, expected = b"".join(payload), b"".join(expected)
        s = self.raw()
        self.addCleanup(s.close)
        # Send from a thread so a server that writes before reading all of it
        # cannot deadlock against us.
        sender = threading.Thread(target=s.sendall, args=(payload,), daemon=True)
        sender.start()
        got = recv_exact(s, len(expected), timeout=30)
        sender.join(10)
        self.assertEqual(len(got), len(expected), "short read: %d of %d bytes" % (len(got), len(expected)))
        if got != expected:
            i = next(i for i in range(len(got)) if got[i] != expected[i])
            self.fail("replies differ at byte %d: got %r, want %r" % (i, got[i - 20:i + 40], expected[i - 20:i + 40]))
        # and nothing extra after them
        s.settimeout(0.3)
        try:
            extra = s.recv(100)
        except socket.timeout:
            extra = b""
        self.assertEqual(extra, b"")
        self.assertEqual(self.r.dbsize(), n // 2)

    def test_counter_pipeline_replies_in_order(self):
        c = self.conn()
        n = 3000
        c.send(resp("INCR", "ctr") * n)
        got = recv_exact(c.sock, sum(len(b":%d\r\n" % i) for i in range(1, n + 1)), timeout=20)
        self.assertEqual(got, b"".join(b":%d\r\n" % i for i in range(1, n + 1)))

    def test_pipelined_commands_before_a_protocol_error_are_answered(self):
        s = self.raw()
        s.sendall(b"PING\r\n" + resp("SET", "before", "1") + b"*abc\r\n" + resp("SET", "after", "1"))
        data, closed = read_until_closed(s)
        s.close()
        self.assertEqual(data, b"+PONG\r\n+OK\r\n-ERR Protocol error: invalid multibulk length\r\n")
        self.assertTrue(closed)
        self.assertEqual(self.r.get("before"), b"1")
        self.assertIsNone(self.r.get("after"))


class SplitFramesTest(ProtoCase):
    def send_byte_by_byte(self, c, data):
        for i in range(len(data)):
            c.send(data[i:i + 1])
            if i % 4 == 0:
                time.sleep(0.001)

    def test_resp_command_sent_one_byte_at_a_time(self):
        c = self.conn()
        value = b"va\r\nl\x00ue"
        self.send_byte_by_byte(c, resp(b"SET", b"split", value))
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.send_byte_by_byte(c, resp(b"GET", b"split"))
        self.assertEqual(c.read_raw(), bulk(value))

    def test_inline_command_sent_one_byte_at_a_time(self):
        c = self.conn()
        self.send_byte_by_byte(c, b'SET k "x y"\r\n')
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.assertEqual(self.r.get("k"), b"x y")

    def test_no_reply_until_the_last_byte_arrives(self):
        c = self.conn()
        frame = resp("SET", "k", "abcdef")
        c.send(frame[:-1])
        c.sock.settimeout(0.4)
        with self.assertRaises(socket.timeout):
            c.sock.recv(100)
        self.assertIsNone(self.r.get("k"), "command ran before its frame was complete")
        c.send(frame[-1:])
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.assertEqual(self.r.get("k"), b"abcdef")

    def test_pipeline_split_at_every_offset_group(self):
        frames = resp("SET", "a", "1") + resp("INCR", "a") + b"INCRBY a 10\r\n" + resp("GET", "a")
        expected = b"+OK\r\n:2\r\n:12\r\n$2\r\n12\r\n"
        rng = random.Random(7)
        for trial in range(20):
            with self.subTest(trial=trial):
                cuts = sorted(rng.sample(range(1, len(frames)), rng.randint(1, 8)))
                c = Conn(self.server.port)
                try:
                    prev = 0
                    for cut in cuts + [len(frames)]:
                        c.send(frames[prev:cut])
                        prev = cut
                        time.sleep(0.002)
                    self.assertEqual(recv_exact(c.sock, len(expected), timeout=5), expected)
                finally:
                    c.close()


class BinarySafeTest(ProtoCase):
    def test_all_byte_values_in_value(self):
        c = self.conn()
        value = bytes(range(256)) * 4
        self.assertEqual(c.call_raw(resp(b"SET", b"bin", value)), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp(b"GET", b"bin")), b"$1024\r\n" + value + b"\r\n")
        self.assertEqual(c.call_raw(resp(b"STRLEN", b"bin")), b":1024\r\n")

    def test_binary_key(self):
        c = self.conn()
        key = b"k\x00\r\n\xff*1\r\n$3"
        self.assertEqual(c.call_raw(resp(b"SET", key, b"v")), b"+OK\r\n")
        self.assertEqual(self.r.get(key), b"v")
        self.assertIsNone(self.r.get(b"k"))
        self.assertEqual(c.call_raw(resp(b"EXISTS", key)), b":1\r\n")

    def test_bulk_that_looks_like_resp(self):
        c = self.conn()
        value = b"\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"
        self.assertEqual(c.call_raw(resp(b"SET", b"k", value)), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp(b"GET", b"k")), bulk(value))

    def test_empty_bulk(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp(b"GET", b"k")), b"$0\r\n\r\n")
        self.assertEqual(c.call_raw(resp(b"STRLEN", b"k")), b":0\r\n")

    def test_one_megabyte_value_round_trip(self):
        c = self.conn()
        rng = random.Random(1)
        value = bytes(rng.getrandbits(8) for _ in range(1 << 20))
        self.assertEqual(c.call_raw(resp(b"SET", b"big", value)), b"+OK\r\n")
        c.send(resp(b"GET", b"big"))
        expected = b"$1048576\r\n" + value + b"\r\n"
        self.assertEqual(recv_exact(c.sock, len(expected), timeout=20), expected)

    def test_multibulk_args_are_exact_length_not_line_based(self):
        c = self.conn()
        # A bulk whose body contains CRLF and a following frame in one send.
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n\r\n\r\n\r\n" + resp("GET", "k"))
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.assertEqual(c.read_raw(), b"$4\r\n\r\n\r\n\r\n")


class Resp3Test(ProtoCase):
    def hello3(self, c):
        raw = c.call_raw(b"HELLO 3\r\n")
        self.assertTrue(raw.startswith(b"%"), "HELLO 3 should answer a RESP3 map, got %r" % raw[:40])
        return dict(parse_reply(raw)[0])

    def test_hello3_map_reply(self):
        c = self.conn()
        client_id = int(c.call_raw(b"CLIENT ID\r\n")[1:-2])
        info = self.hello3(c)
        for key in (b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"):
            self.assertIn(key, info)
        self.assertEqual(info[b"proto"], 3)
        self.assertEqual(info[b"id"], client_id)
        self.assertIsInstance(info[b"server"], bytes)
        self.assertTrue(info[b"server"])
        self.assertEqual(info[b"role"], b"master")
        self.assertIn(info[b"mode"], (b"standalone", b"cluster"))
        self.assertIsInstance(info[b"modules"], list)
        infotext = parse_reply(c.call_raw(resp("INFO", "server")))[0]
        m = re.search(rb"^redis_version:(\S+)\r?$", infotext, re.M)
        self.assertIsNotNone(m, "INFO server has no redis_version")
        self.assertEqual(info[b"version"], m.group(1))

    def test_hello2_is_a_flat_array(self):
        c = self.conn()
        raw = c.call_raw(b"HELLO 2\r\n")
        self.assertTrue(raw.startswith(b"*"), raw[:40])   # Redis: *14, seven pairs
        flat = parse_reply(raw)[0]
        self.assertEqual(len(flat) % 2, 0)
        info = dict(zip(flat[0::2], flat[1::2]))
        self.assertEqual(info[b"proto"], 2)
        self.assertTrue({b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"}.issubset(info))

    def test_hello_without_version_keeps_protocol(self):
        c = self.conn()
        raw = c.call_raw(b"HELLO\r\n")
        self.assertTrue(raw.startswith(b"*"), raw[:40])
        self.assertEqual(dict(zip(*[iter(parse_reply(raw)[0])] * 2))[b"proto"], 2)
        self.assertEqual(c.call_raw(b"GET missing\r\n"), b"$-1\r\n")

    def test_null_is_underscore(self):
        c = self.conn()
        self.hello3(c)
        self.assertEqual(c.call_raw(resp("GET", "missing")), b"_\r\n")
        self.assertEqual(c.call_raw(resp("MGET", "missing", "missing2")), b"*2\r\n_\r\n_\r\n")

    def test_config_get_is_a_map(self):
        c = self.conn()
        self.hello3(c)
        self.assertEqual(c.call_raw(resp("CONFIG", "GET", "timeout")), b"%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n")

    def test_incrbyfloat_is_a_bulk_string_in_redis_7_0(self):
        # Redis 7.0 answers INCRBYFLOAT with a bulk string even in RESP3 (not a ',' double).
        c = self.conn()
        self.hello3(c)
        self.assertEqual(c.call_raw(resp("INCRBYFLOAT", "f", "1.5")), b"$3\r\n1.5\r\n")
        self.assertEqual(c.call_raw(resp("GET", "f")), b"$3\r\n1.5\r\n")

    def test_simple_replies_unchanged_in_resp3(self):
        c = self.conn()
        self.hello3(c)
        self.assertEqual(c.call_raw(resp("SET", "n", "1")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("INCR", "n")), b":2\r\n")
        self.assertEqual(c.call_raw(resp("GET", "n")), b"$1\r\n2\r\n")
        self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")
        self.assertEqual(c.call_raw(resp("INCR", "n", "extra")),
                         b"-ERR wrong number of arguments for 'incr' command\r\n")

    def test_hello4_is_refused_and_protocol_unchanged(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"HELLO 4\r\n"), b"-NOPROTO unsupported protocol version\r\n")
        self.assertEqual(c.call_raw(b"GET missing\r\n"), b"$-1\r\n")
        self.hello3(c)
        self.assertEqual(c.call_raw(b"HELLO 4\r\n"), b"-NOPROTO unsupported protocol version\r\n")
        self.assertEqual(c.call_raw(b"GET missing\r\n"), b"_\r\n")

    def test_hello_bad_version(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"HELLO 1\r\n"), b"-NOPROTO unsupported protocol version\r\n")
        self.assertEqual(c.call_raw(b"HELLO abc\r\n"),
                         b"-ERR Protocol version is not an integer or out of range\r\n")

    def test_back_to_resp2(self):
        c = self.conn()
        self.hello3(c)
        self.assertEqual(c.call_raw(b"GET missing\r\n"), b"_\r\n")
        self.assertTrue(c.call_raw(b"HELLO 2\r\n").startswith(b"*"))
        self.assertEqual(c.call_raw(b"GET missing\r\n"), b"$-1\r\n")

    def test_resp3_is_per_connection(self):
        c3 = self.conn()
        c2 = self.conn()
        self.hello3(c3)
        self.assertEqual(c3.call_raw(b"GET missing\r\n"), b"_\r\n")
        self.assertEqual(c2.call_raw(b"GET missing\r\n"), b"$-1\r\n")

    def test_reset_returns_to_resp2(self):
        c = self.conn()
        self.hello3(c)
        self.assertEqual(c.call_raw(b"RESET\r\n"), b"+RESET\r\n")
        self.assertEqual(c.call_raw(b"GET missing\r\n"), b"$-1\r\n")


class MalformedInputTest(ProtoCase):
    """Each bad request: exactly Redis's error, then the connection closes; a
    client that was connected all along keeps working and the server stays up."""

    EXACT = [
        (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*99999999999\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$99999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*3\r\n$3\r\nSET\r\nX\r\n", b"-ERR Protocol error: expected '$', got 'X'\r\n"),
        (b"*2\r\n+PING\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
        (b"*2\r\n$3\r\nGET\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    ]

    def test_malformed_requests(self):
        bystander = self.conn()
        self.assertEqual(bystander.call_raw(b"PING\r\n"), b"+PONG\r\n")
        for payload, want in self.EXACT:
            with self.subTest(payload=payload):
                s = self.raw()
                try:
                    s.sendall(payload)
                    data, closed = read_until_closed(s)
                finally:
                    s.close()
                self.assertEqual(data, want)
                self.assertTrue(closed, "connection should be closed after %r" % payload)
                self.assertServerHealthy(bystander)

    def test_incomplete_frame_waits_instead_of_erroring(self):
        # "*3 $3 SET X" without CRLF after X is not yet wrong: the server waits.
        s = self.raw()
        self.addCleanup(s.close)
        s.sendall(b"*3\r\n$3\r\nSET\r\nX")
        s.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            s.recv(100)
        s.sendall(b"\r\n")
        data, closed = read_until_closed(s)
        self.assertEqual(data, b"-ERR Protocol error: expected '$', got 'X'\r\n")
        self.assertTrue(closed)

    def test_one_megabyte_inline_line_without_newline(self):
        bystander = self.conn()
        s = self.raw()
        try:
            data, closed = send_until_reply(s, b"a" * (1 << 20))
            if not closed:
                more, closed = read_until_closed(s)
                data += more
        finally:
            s.close()
        self.assertTrue(data.startswith(b"-ERR Protocol error: "), data[:100])
        self.assertTrue(data.endswith(b"\r\n") and data.count(b"\r\n") == 1, data[:200])
        self.assertTrue(closed)
        self.assertServerHealthy(bystander)

    def test_huge_multibulk_count_line_without_newline(self):
        bystander = self.conn()
        s = self.raw()
        try:
            data, closed = send_until_reply(s, b"*" + b"1" * (1 << 20))
            if not closed:
                more, closed = read_until_closed(s)
                data += more
        finally:
            s.close()
        self.assertTrue(data.startswith(b"-ERR Protocol error: "), data[:100])
        self.assertTrue(closed)
        self.assertServerHealthy(bystander)

    def test_huge_bulk_length_line_without_newline(self):
        bystander = self.conn()
        s = self.raw()
        try:
            data, closed = send_until_reply(s, b"*1\r\n$" + b"9" * (1 << 20))
            if not closed:
                more, closed = read_until_closed(s)
                data += more
        finally:
            s.close()
        self.assertTrue(data.startswith(b"-ERR Protocol error: "), data[:100])
        self.assertTrue(closed)
        self.assertServerHealthy(bystander)

    def test_random_garbage_does_not_hurt_the_server(self):
        bystander = self.conn()
        self.r.set("survivor", "yes")
        rng = random.Random(42)
        for trial in range(5):
            s = self.raw()
            try:
                junk = bytes(rng.getrandbits(8) for _ in range(20000))
                try:
                    s.sendall(junk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                read_until_closed(s, timeout=0.5)
            finally:
                s.close()
        self.assertServerHealthy(bystander)
        self.assertEqual(self.r.get("survivor"), b"yes")

    def test_dollar_line_inline_is_an_unknown_command(self):
        # Outside a multibulk, "$-5" is just an inline command named "$-5".
        c = self.conn()
        self.assertEqual(c.call_raw(b"$-5\r\n"), b"-ERR unknown command '$-5', with args beginning with: \r\n")
        self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")

    def test_many_bad_clients_at_once(self):
        bystander = self.conn()
        socks = []
        try:
            for i in range(50):
                s = self.raw()
                socks.append(s)
                s.sendall(b"*1\r\n$-5\r\n" if i % 2 else b"*x\r\n")
            for s in socks:
                data, closed = read_until_closed(s)
                self.assertTrue(data.startswith(b"-ERR Protocol error: "), data)
                self.assertTrue(closed)
        finally:
            for s in socks:
                s.close()
        self.assertServerHealthy(bystander)


class ErrorTextTest(ProtoCase):
    def test_unknown_command_inline(self):
        c = self.conn()
        self.assertEqual(c.call_raw(b"foo a b\r\n"),
                         b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n")

    def test_unknown_command_resp_no_args(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("foo")), b"-ERR unknown command 'foo', with args beginning with: \r\n")

    def test_unknown_command_keeps_case_and_empty_arg(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("FooBar", "")),
                         b"-ERR unknown command 'FooBar', with args beginning with: '' \r\n")

    def test_unknown_command_does_not_close_connection(self):
        c = self.conn()
        c.send(b"nosuch\r\nPING\r\n")
        self.assertTrue(c.read_raw().startswith(b"-ERR unknown command 'nosuch'"))
        self.assertEqual(c.read_raw(), b"+PONG\r\n")

    def test_unknown_subcommands(self):
        c = self.conn()
        for cmd in (b"CLIENT", b"CONFIG", b"COMMAND"):
            with self.subTest(cmd=cmd):
                self.assertEqual(c.call_raw(resp(cmd, b"foo")),
                                 b"-ERR unknown subcommand 'foo'. Try %s HELP.\r\n" % cmd)
                self.assertEqual(c.call_raw(resp(cmd, b"foo", b"bar")),
                                 b"-ERR unknown subcommand 'foo'. Try %s HELP.\r\n" % cmd)

    def test_wrong_arity(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("GET")), b"-ERR wrong number of arguments for 'get' command\r\n")
        self.assertEqual(c.call_raw(resp("set", "k")), b"-ERR wrong number of arguments for 'set' command\r\n")
        self.assertEqual(c.call_raw(resp("ECHO")), b"-ERR wrong number of arguments for 'echo' command\r\n")

    def test_arguments_quoted_as_c_strings(self):
        # Redis prints an argument in an error as a C string: up to a NUL;
        # CR/LF at the end of the message go, inside it they become spaces.
        c = self.conn()
        self.assertEqual(c.call_raw(resp(b"FOO\x00bar", b"a\x00b", b"c")),
                         b"-ERR unknown command 'FOO', with args beginning with: 'a' 'c' \r\n")
        self.assertEqual(c.call_raw(resp("SET", "k", "v")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("EXPIRE", "k", "100", b"x\x00y")),
                         b"-ERR Unsupported option x\r\n")
        self.assertEqual(c.call_raw(resp("EXPIRE", "k", "100", b"a\r\n")),
                         b"-ERR Unsupported option a\r\n")
        self.assertEqual(c.call_raw(resp("EXPIRE", "k", "100", b"a\rb")),
                         b"-ERR Unsupported option a b\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", b"x\x00y")),
                         b"-ERR unknown subcommand 'x'. Try CLIENT HELP.\r\n")

    def test_refused_exec_drops_the_err_code(self):
        c = self.conn()
        want = (b"-EXECABORT Transaction discarded because of: "
                b"wrong number of arguments for 'exec' command\r\n")
        self.assertEqual(c.call_raw(resp("EXEC", "x")), want)
        self.assertEqual(c.call_raw(resp("MULTI")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("EXEC", "x")), want)
        self.assertEqual(c.call_raw(resp("EXEC")), b"-ERR EXEC without MULTI\r\n")

    def test_db_index_outside_c_int(self):
        c = self.conn()
        out_of_int = b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
        self.assertEqual(c.call_raw(resp("SELECT", "2147483648")), out_of_int)
        self.assertEqual(c.call_raw(resp("SELECT", "-2147483649")), out_of_int)
        self.assertEqual(c.call_raw(resp("SELECT", "2147483647")), b"-ERR DB index is out of range\r\n")
        self.assertEqual(c.call_raw(resp("SET", "k", "v")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("COPY", "k", "j", "DB", "2147483648")), out_of_int)
        self.assertEqual(c.call_raw(resp("COPY", "k", "j", "DB", "16")), b"-ERR DB index is out of range\r\n")


if __name__ == "__main__":
    unittest.main()
