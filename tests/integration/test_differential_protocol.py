"""Second differential test against redis-server 7.0 (the first is
test_differential.py): bytes on the wire, and the connection and keyspace
server commands with their error paths.

test_inline_and_malformed_sessions: each session is a fresh connection to
both servers getting the same seeded bytes: inline commands (spaces, tabs,
quotes, \x41 \n \" \' escapes, unbalanced quotes, empty lines, LF-only
endings, lines up to the 64 KiB inline limit, unterminated lines past it) and
RESP commands in one stream, CLIENT REPLY OFF/SKIP/ON, HELLO, MULTI, RESET,
QUIT, often a malformed or unfinished frame at the end. Sent in one write, in
random pieces or byte by byte. The outcome is every byte received plus
whether the server closed; "no reply, still open" is an outcome too. Sessions
run in parallel batches (private keys), so the quiet period that tells
"waits" from "done" is paid once per batch; a mismatch is read again for
longer before it counts.

test_server_commands: one connection per server, a seeded sequence of CLIENT
SETNAME/GETNAME/NO-EVICT/REPLY, ECHO, PING, SELECT, HELLO, AUTH, COMMAND
GETKEYS/INFO, TYPE, DBSIZE, FLUSHDB/FLUSHALL, SCAN (a whole iteration, as a
set of keys), KEYS (a set), RENAME, the EXPIRE family (TTLs within 2 s).

Not compared, on purpose (resp/parser.cc; README "Where ringkv differs"):
a NUL byte in an inline or header line (Redis's strchr waits forever, ringkv
uses memchr); a header line or bulk not followed by CRLF (Redis skips any two
bytes); terminated lines over 64 KiB (Redis's answer depends on how its reads
split the bytes); HELLO's id and version values; commands only one server
has (CLIENT SETINFO/NO-TOUCH, SUBSCRIBE, LCS, SORT...), SELECT 1..15, COMMAND
COUNT; COMMAND INFO beyond name, arity, flags, first/last/step; a command
name with a NUL in COMMAND INFO; SCAN from a non-zero cursor.

A mismatch shows the seed, the session or step, what was sent and both
outcomes. More seeds, longer runs (RINGKV_SERVER=/usr/bin/redis-server
compares Redis with itself: the stream is deterministic; the reference is
/usr/bin/redis-server, or RINGKV_REFERENCE):

    RINGKV_DIFFP_SEEDS=7,8 RINGKV_DIFFP_SESSIONS=200 RINGKV_DIFFP_COMMANDS=2000 \\
    RINGKV_SERVER=../../build/server/ringkv-server /usr/bin/python3 -m unittest -v test_differential_protocol
"""

import os
import random
import re
import select
import socket
import time
import unittest

import support
from test_differential import start_reference
from test_protocol import Conn, parse_reply, resp

SEEDS = [int(s) for s in os.environ.get("RINGKV_DIFFP_SEEDS", "1,2,3,4,5").split(",") if s.strip()]
SESSIONS = int(os.environ.get("RINGKV_DIFFP_SESSIONS", "48"))
COMMANDS = int(os.environ.get("RINGKV_DIFFP_COMMANDS", "300"))
BATCH = 24           # sessions run side by side
QUIET = 0.3          # no byte for this long: the server is done (or waits)
RECHECK_QUIET = 1.5  # a mismatch is read again with this much patience
SOCKET_TIMEOUT = 5.0
SHOWN = 6            # mismatches shown in full per seed
INLINE_MAX = 65536   # Redis's PROTO_INLINE_MAX_SIZE

# -- helpers ------------------------------------------------------------------


def normalize(data):
    """HELLO's reply holds the client id and the server's version: masked."""
    data = re.sub(rb"(\$2\r\nid\r\n):\d+\r\n", rb"\1:<id>\r\n", data)
    return re.sub(rb"(\$7\r\nversion\r\n)\$\d+\r\n[^\r\n]*\r\n", rb"\1<version>\r\n", data)


def show(b, limit=700):
    """repr of bytes with runs of one byte folded and the middle of long ones cut."""
    out, i = [], 0
    while i < len(b):
        j = i
        while j < len(b) and b[j] == b[i]:
            j += 1
        out.append(repr(b[i:j])[2:-1] if j - i < 24 else "<%r x %d>" % (b[i:i + 1], j - i))
        i = j
    s = "".join(out)
    if len(s) > limit:
        s = s[:limit // 2] + " ... <%d chars> ... " % (len(s) - limit) + s[-limit // 2:]
    return "b'" + s + "'"


def enc(a):
    return a if isinstance(a, bytes) else str(a).encode()


# -- sessions: raw bytes ----------------------------------------------------------

VALUES = [
    b"", b"v", b"hello world", b'a"b', b"it's", b"back\\slash", b"tab\there", b"nl\nx", b"cr\rx",
    b"\x00bin\xff", b"\xe2\x82\xac", b"x" * 100, b"$3", b"*1", b"-ERR", b"\\x41", b"'", b'"',
    b" lead", b"trail ", b"\x7f\x01", b"42", b"-1", b"\x0bvt", b"a\r\n",
]
# Tokens of odd inline lines: quotes closed and not, escapes whole and cut.
JUNK = [
    b'"unterminated', b"'unterminated", b'"a"b', b"'a'b", b'"\\x41\\x4"', b'"\\xZZ"', b'"\\"',
    b"'\\''", b'""', b"''", b'\\"', b'a"b c"', b'"a\\\\"', b"'a\\\\'", b'"\\', b'x"y', b"x'y'",
    b'"a" "b"', b'"\\a\\b\\t\\r\\n\\z\\q"', b'"\\X41"', b'"\\x7f\\xff\\x00"', b"\xe9\xff",
    b"\x01\x02", b"a\x0bb", b"\x0b", b"\x0c", b"\r", b"it's", b"\\", b"$3", b"*1", b"-ERR",
    b"+OK", b":5", b"%", b"'a'\"b\"", b'"\'"', b"'\"'", b'"\\x4a\\x4B\\x4c"', b"'\\x41'",
    b'"a\rb"', b'"\xe2\x82\xac"', b"word", b"123", b'"sp ace"', b"'sp ace'",
]
NAMES = [b"ECHO", b"PING", b"FOO", b"GET", b"SET", b'"ECHO"', b"'PING'", b'e"cho"', b'""',
         b"echo", b"ping", b"$4", b"-x", b"\x0bPING"]
SEPARATORS = [b" ", b" ", b" ", b"  ", b"\t", b" \t ", b"\r", b"\x0b", b"\x0c "]

BAD_COUNTS = [b"abc", b"", b" 1", b"1 ", b"+1", b"01", b"-0", b"2147483648", b"1a", b"0x1",
              b"1.0", b"--1", b"\xff", b"99999999999999999999", b"-9999999999999999999"]
EMPTY_COUNTS = [b"0", b"-1", b"-5", b"-2147483649"]     # consumed without a reply
BAD_BULKS = [b"abc", b"", b"-1", b"-0", b"04", b" 4", b"+4", b"4 ", b"536870913", b"1.0",
             b"4a", b"-2", b"99999999999999999999", b"\xff"]
WAIT_BULKS = [b"70000", b"1000000", b"536870912"]       # valid: the server waits for the data
# First byte of a line where '$' belongs ("" is an empty line: the CR shows as a space).
NOT_DOLLAR = [b"*1", b":1", b"+OK", b"-ERR", b"#t", b"%1", b"_", b"x", b"1", b" $1", b"\t",
              b"\xff", b"\nX", b"", b"=", b"~1", b"|", b",1.5", b"(1", b">1", b"!"]


# malformed() labels of frames refused as soon as they are complete.
REFUSED = ("bad count", "bad bulk length", "no '$'", "unbalanced quotes")


class SessionGen:
    """The writes of one session, from one seeded random.Random. Each piece
    is kept with a label for the report."""

    def __init__(self, rng, prefix):
        self.rng = rng
        self.prefix = prefix
        self.long_used = False
        self.quiet_reply = False   # a CLIENT REPLY OFF or SKIP was generated

    def key(self):
        return self.prefix + self.rng.choice([b"a", b"b", b"n", b"sp ace", b"q\"uote", b"\xe9"])

    def value(self):
        r = self.rng.random()
        if r < 0.7:
            return self.rng.choice(VALUES)
        if r < 0.85:
            return enc(self.rng.randint(-1000, 1000))
        return bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 8)))

    def name(self, word):
        r = self.rng.random()
        if r < 0.2:
            return word.lower()
        if r < 0.3:
            return bytes(c ^ 0x20 if chr(c).isalpha() and self.rng.random() < 0.5 else c for c in word)
        return word

    def command(self):
        """A command for the sessions: mostly valid, some errors, some that
        change how the connection replies (CLIENT REPLY, HELLO, MULTI, QUIT)."""
        rng, k, v = self.rng, self.key(), self.value()
        table = [
            (6, lambda: [b"PING"] + ([v] if rng.random() < 0.5 else [])),
            (6, lambda: [b"ECHO", v]),
            (6, lambda: [b"SET", k, v]),
            (5, lambda: [b"GET", k]),
            (3, lambda: [b"INCR", k]),
            (3, lambda: [b"APPEND", k, v]),
            (2, lambda: [b"STRLEN", k]),
            (2, lambda: [b"DEL", k, self.key()]),
            (2, lambda: [b"EXISTS", k]),
            (2, lambda: [b"MSET", k, v, self.key(), self.value()]),
            (2, lambda: [b"MGET", k, self.key()]),
            (2, lambda: [b"GETRANGE", k, b"0", b"-1"]),
            (1, lambda: [b"TYPE", k]),
            (3, lambda: [rng.choice([b"FOO", b"", b"x" * 200, b"G\xe9T", b"set\r\n"])] + [v] * rng.randint(0, 3)),
            (2, lambda: rng.choice([[b"GET"], [b"ECHO"], [b"PING", v, v], [b"SET", k], [b"CLIENT"]])),
            (2, lambda: [b"CLIENT", b"SETNAME", rng.choice([b"conn", b"a b", b"x\ny", b"", b"n\xe9", b"~ok!"])]),
            (2, lambda: [b"CLIENT", b"GETNAME"]),
            (1, lambda: [b"CLIENT", b"NO-EVICT", rng.choice([b"on", b"OFF", b"maybe"])]),
            (4, lambda: [b"CLIENT", b"REPLY", rng.choice([b"ON", b"ON", b"SKIP", b"SKIP", b"OFF", b"bad"])]),
            (2, lambda: [b"HELLO"] + rng.choice([[b"3"], [b"2"], [b"4"], [b"abc"], [], [b"3", b"SETNAME", b"h"]])),
            (1, lambda: [b"SELECT", rng.choice([b"0", b"16", b"abc"])]),
            (1, lambda: [b"RESET"]),
            (1, lambda: [b"QUIT"]),
            (2, lambda: [rng.choice([b"MULTI", b"EXEC", b"DISCARD"])]),
            (1, lambda: rng.choice([[b"AUTH", b"x"], [b"AUTH", b"default", b"x"], [b"AUTH", b"u", b"p"]])),
        ]
        pick = rng.uniform(0, sum(w for w, _ in table))
        for w, build in table:
            pick -= w
            if pick <= 0:
                break
        args = build()
        if args[:2] == [b"CLIENT", b"REPLY"] and args[2:] in ([b"OFF"], [b"SKIP"]):
            self.quiet_reply = True
        args[0] = self.name(args[0])
        if len(args) > 1 and args[0].upper() == b"CLIENT":
            args[1] = self.name(args[1])
        return args

    # -- inline rendering --

    def sep(self):
        return self.rng.choice(SEPARATORS)

    def render(self, a):
        """One argument as an inline token that sdssplitargs reads back as `a`."""
        rng = self.rng
        bare_ok = a and not any(c in b" \t\r\n\x00\"'" for c in a) and a[:1] not in (b"\x0b", b"\x0c")
        r = rng.random()
        if bare_ok and r < 0.6:
            return a
        if r < 0.8 and b"\\" not in a and b"\n" not in a and b"\x00" not in a:
            return b"'" + a.replace(b"'", b"\\'") + b"'"
        out = bytearray(b'"')
        for c in a:
            ch = bytes([c])
            if ch in (b'"', b"\\"):
                out += b"\\" + ch
            elif ch == b"\n":
                out += b"\\n"
            elif ch == b"\r":
                out += rng.choice([b"\\r", b"\\x0d", b"\r"])
            elif ch == b"\t":
                out += rng.choice([b"\\t", b"\t"])
            elif c in (7, 8):
                out += b"\\a" if c == 7 else b"\\b"
            elif c == 0 or c < 32 or c >= 127:
                out += (b"\\x%02x" if rng.random() < 0.5 else b"\\x%02X") % c if c == 0 or rng.random() < 0.7 else ch
            elif rng.random() < 0.05:
                out += b"\\x%02x" % c
            else:
                out += ch
        return bytes(out + b'"')

    def eol(self):
        return self.rng.choice([b"\r\n", b"\r\n", b"\n"])

    def inline_command(self):
        args = self.command()
        lead = self.rng.choice([b"", b"", b"", b" ", b"\t", b"  "])
        toks = [self.render(a) for a in args]
        line = lead + toks[0]
        for t in toks[1:]:
            line += self.sep() + t
        if self.rng.random() < 0.2:
            line += self.rng.choice([b" ", b"\t", b"  \t"])
        return line + self.eol()

    def inline_junk(self):
        rng = self.rng
        name = rng.choice(NAMES)
        line = name if rng.random() < 0.8 else rng.choice([b"SET ", b"APPEND "]) + self.prefix + b"j"
        for _ in range(rng.randint(0, 4)):
            line += self.sep() + (rng.choice(JUNK) if rng.random() < 0.8 else self.render(self.value()))
        return line + self.eol()

    def long_inline(self):
        """A line of at most 65536 bytes up to its LF: never too big."""
        rng = self.rng
        eol = self.eol()
        n = INLINE_MAX - (len(eol) - 1)   # bytes before the terminator
        n = rng.choice([n, n - 1, n - 2, rng.randint(1000, n), rng.randint(60000, n)])
        head, unit, tail = rng.choice([
            (b"ECHO ", b"x", b""), (b'ECHO "', b"\\x41", b'"'), (b"ECHO", b" a", b""),
            (b"FOO", b" arg", b""), (b"SET " + self.prefix + b"long '", b"ab", b"'"),
            (b"MSET", b" " + self.prefix + b"m v", b""), (b"PING\t", b"\xe9", b""),
        ])
        size = n - len(head) - len(tail)
        body = (unit * (size // len(unit) + 1))[:size]
        return head + body + tail + eol

    # -- malformed and unfinished frames --

    def bulks(self, args):
        return b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

    def malformed(self):
        """(label, bytes): a frame that ends the session: a protocol error, or
        one the server must wait on."""
        rng = self.rng
        args = self.command()
        done = rng.randint(0, len(args) - 1)   # arguments sent whole before the bad one
        r = rng.random()
        if r < 0.18:
            return "bad count", b"*" + rng.choice(BAD_COUNTS) + b"\r\n" + self.bulks(args)
        if r < 0.36:
            bad = rng.choice(BAD_BULKS)
            return "bad bulk length", b"*%d\r\n" % len(args) + self.bulks(args[:done]) + b"$" + bad + b"\r\n"
        if r < 0.52:
            x = rng.choice(NOT_DOLLAR)
            return "no '$'", b"*%d\r\n" % len(args) + self.bulks(args[:done]) + x + b"\r\n" + self.bulks(args[done:])
        if r < 0.6:
            frame = resp(*args)
            return "cut frame", frame[:rng.randint(1, len(frame) - 1)]
        if r < 0.66:
            line = self.inline_command()
            return "cut inline", line[:rng.randint(1, len(line) - 1)].rstrip(b"\r\n") or b"PING"
        if r < 0.72:
            size = rng.choice([b"1048577", b"2147483647", b"%d" % (len(args) + 1)])
            return "waits for args", b"*" + size + b"\r\n" + self.bulks(args)
        if r < 0.78:
            n = rng.choice(WAIT_BULKS)
            return "waits for bulk", b"*2\r\n$4\r\nECHO\r\n$" + n + b"\r\n" + b"y" * rng.randint(0, 3000)
        if r < 0.93:
            # Past the inline limit with no terminator at all: refused.
            n = rng.randint(INLINE_MAX + 1, 70000)
            kind = rng.choice(["inline", "inline", "count", "bulk"])
            if kind == "inline":
                head = rng.choice([b"ECHO ", b"a", b'SET k "', b"\tPING "])
                return "too big inline", head + b"z" * (n - len(head))
            if kind == "count":
                return "too big count", b"*" + b"1" * (n - 1)
            return "too big bulk count", b"*2\r\n$4\r\nECHO\r\n$" + b"9" * (n - 1)
        return "unbalanced quotes", rng.choice([b'ECHO "abc', b"ECHO 'abc", b'ECHO "a"b', b'"x\\"']) + self.eol()

    def session(self):
        """([(label, bytes)], mode, check_close): the pieces in order, how to
        send them, and whether to compare if the server closed. With replies
        off or skipped, Redis closes after a protocol error or QUIT only if
        some reply was still waiting to go out in that event-loop turn;
        otherwise the connection stays open with its input ignored. ringkv
        closes it either way (on purpose), so that is not compared then."""
        rng = self.rng
        pieces = []
        for _ in range(rng.randint(1, 8)):
            r = rng.random()
            if r < 0.34:
                pieces.append(("resp", resp(*self.command())))
            elif r < 0.6:
                pieces.append(("inline", self.inline_command()))
            elif r < 0.74:
                pieces.append(("inline junk", self.inline_junk()))
            elif r < 0.8:
                pieces.append(("blank", rng.choice([b"\r\n", b"\n", b"   \r\n", b"\t\n", b" \x0b\r\n"])))
            elif r < 0.85 and not self.long_used:
                self.long_used = True
                pieces.append(("long inline", self.long_inline()))
            elif r < 0.92:
                odd = rng.choice([b"*" + rng.choice(EMPTY_COUNTS) + b"\r\n", b"$3\r\nGET\r\n", b"+PING\r\n",
                                  b":1\r\n", b"-ERR x\r\n", b"*1\r\n$0\r\n\r\n", b" *1\r\n"])
                pieces.append(("odd", odd))
            else:
                args = [self.name(b"SET"), self.key(), bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))]
                pieces.append(("resp binary", resp(*args)))
        if rng.random() < 0.6:
            pieces.append(self.malformed())
            # More bytes only after a refused frame: after one the server
            # waits on, they would be part of it (maybe a NUL in a line).
            if pieces[-1][0] in REFUSED and rng.random() < 0.3:
                pieces.append(("after", rng.choice([resp("PING"), b"PING\r\n", b"\x00\xff junk\r\n"])))
        total = sum(len(p) for _, p in pieces)
        r = rng.random()
        mode = "bytes" if total <= 300 and r < 0.2 else "cuts" if r < 0.45 else "one"
        return pieces, mode, not self.quiet_reply

    def writes(self, pieces, mode):
        data = b"".join(p for _, p in pieces)
        if mode == "one" or len(data) < 2:
            return [data]
        if mode == "bytes":
            return [data[i:i + 1] for i in range(len(data))]
        cuts = sorted(set(self.rng.sample(range(1, len(data)), min(len(data) - 1, self.rng.randint(1, 6)))))
        bounds = [0] + cuts + [len(data)]
        return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def collect(socks, quiet, limit=15.0):
    """Reads every socket until each is closed or nothing has come for
    `quiet` seconds. Returns {sock: [data, closed]}."""
    out = {s: [b"", False] for s in socks}
    live = set(socks)
    for s in socks:
        s.setblocking(False)
    last = time.time()
    end = last + limit
    while live:
        now = time.time()
        stop = min(last + quiet, end)
        if now >= stop:
            break
        ready, _, _ = select.select(list(live), [], [], stop - now)
        for s in ready:
            try:
                chunk = s.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:   # reset: the server closed with our bytes unread
                chunk = b""
            if chunk:
                out[s][0] += chunk
            else:
                out[s][1] = True
                live.discard(s)
            last = time.time()
    return out


# -- server commands: one connection --------------------------------------------

CMD_KEYS = [b"a", b"b", b"c", b"key:1", b"key:2", b"key:10", b"user:1000", b"{t}x", b"", b"sp ace",
            b"h\xc3\xa9", b"k\x00z", b"*", b"[x]", b"\\", b"a?", b"missing", b"nokey"]
PATTERNS = [b"*", b"a*", b"key:*", b"key:?", b"key:[12]", b"key:[^1]*", b"*:*", b"?", b"h\xc3\xa9*",
            b"k\x00*", b"\\*", b"[[]x]", b"\\\\", b"a\\?", b"*[", b"[", b"", b"{t}*", b"*e*", b"[a-c]",
            b"[c-a]", b"sp ace", b"k?z", b"**", b"*1*0"]
SHARED = [b"get", b"set", b"setnx", b"setex", b"psetex", b"getset", b"getdel", b"getex", b"mget",
          b"mset", b"msetnx", b"incr", b"decr", b"incrby", b"decrby", b"incrbyfloat", b"append",
          b"strlen", b"getrange", b"substr", b"setrange", b"del", b"unlink", b"exists", b"type",
          b"rename", b"renamenx", b"copy", b"touch", b"expire", b"pexpire", b"expireat",
          b"pexpireat", b"persist", b"ttl", b"pttl", b"expiretime", b"pexpiretime", b"dbsize",
          b"echo", b"ping", b"keys", b"scan", b"randomkey", b"flushdb", b"flushall", b"select",
          b"auth", b"hello", b"client", b"command", b"object", b"multi", b"exec", b"watch"]
BAD_EXPIRES = [0, -1, -1000, b"abc", b"", b"1.5", b" 100000000", b"9223372036854775807",
               b"-9223372036854775808", b"9223372036854775808", 4611686018427387904, 9223372036854776]
TOLERANCE = {b"TTL": 2, b"EXPIRETIME": 2, b"PTTL": 2000, b"PEXPIRETIME": 2000}
CLIENT_ARGS = {
    b"SETNAME": [[b"conn-1"], [b"a b"], [b"a\nb"], [b"a\x01b"], [b"a\x7fb"], [b"\xe9"], [b""],
                 [b"~!@#$%^&*()_+{}|:<>?"], [b"a\x00b"], [], [b"x", b"y"]],
    b"GETNAME": [[], [], [b"x"]],
    b"NO-EVICT": [[b"on"], [b"OFF"], [b"ON"], [b"maybe"], [], [b"on", b"x"], [b"o\x00n"]],
    b"REPLY": [[b"ON"], [b"on"], [b"maybe"], [], [b"on", b"x"], [b""], [b"OFF", b"x"]],
    b"HELP": [[b"x"]],
}


class CommandGen:
    def __init__(self, rng):
        self.rng = rng
        self.step = 0

    def key(self):
        return self.rng.choice(CMD_KEYS)

    def kw(self, word):
        return word.lower() if self.rng.random() < 0.25 else word

    def far(self):
        return 10_000_000 * self.rng.randint(1, 40) + 100 * self.step

    def when(self, ms, absolute):
        rng = self.rng
        if rng.random() < 0.3:
            return enc(rng.choice(BAD_EXPIRES))
        if absolute and rng.random() < 0.1:
            return rng.choice([b"1", b"1000", b"1600000000"])
        t = self.far() + (4_000_000_000 if absolute else 0)
        return enc(t * 1000 + rng.randint(0, 999) if ms else t)

    def step_args(self):
        """(kind, args); kind tells how replies compare."""
        rng = self.rng
        k = self.key()
        r = rng.random()
        if r < 0.06:
            pairs = []
            for key in rng.sample(CMD_KEYS[:16], rng.randint(1, 10)):
                pairs += [key, enc(rng.randint(0, 99))]
            return "cmd", [b"MSET"] + pairs
        if r < 0.1:
            return "cmd", [b"SET", k, enc(rng.randint(0, 9))]
        if r < 0.13:
            name = rng.choice([b"DEL", b"EXISTS", b"UNLINK", b"TOUCH"])
            return "cmd", [name] + [self.key() for _ in range(rng.randint(0, 3))]
        if r < 0.16:
            return "cmd", [b"TYPE"] + rng.choice([[k], [k], [], [k, k]])
        if r < 0.18:
            return "cmd", [b"DBSIZE"] + rng.choice([[], [], [b"x"]])
        if r < 0.21:
            opts = rng.choice([[], [], [b"ASYNC"], [b"SYNC"], [b"sync"], [b"foo"], [b"ASYNC", b"x"],
                               [b"SYNC", b"ASYNC"], [b""]])
            if not opts and rng.random() < 0.6:
                opts = [b"bad"]   # a valid flush empties the keyspace: rarer
            return "cmd", [rng.choice([b"FLUSHDB", b"FLUSHALL"])] + opts
        if r < 0.26:
            return "keys", [b"KEYS"] + rng.choice([[rng.choice(PATTERNS)]] * 6 + [[], [b"*", b"x"]])
        if r < 0.34:
            return "scan", self.scan()
        if r < 0.39:
            name = rng.choice([b"RENAME", b"RENAMENX"])
            return "cmd", [name] + rng.choice([[k, self.key()]] * 5 + [[k, k], [k], [k, k, k]])
        if r < 0.47:
            name, ms, absolute = rng.choice([(b"EXPIRE", 0, 0), (b"PEXPIRE", 1, 0), (b"EXPIREAT", 0, 1),
                                             (b"PEXPIREAT", 1, 1)])
            args = [name, k, self.when(ms, absolute)]
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                args.append(self.kw(rng.choice([b"NX", b"XX", b"GT", b"LT", b"FOO", b""])))
            return "cmd", args
        if r < 0.51:
            return "ttl", [rng.choice([b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME", b"PERSIST"]), k]
        if r < 0.58:
            return "cmd", self.client()
        if r < 0.62:
            return "cmd", rng.choice([[b"ECHO", k], [b"ECHO"], [b"ECHO", k, k], [b"PING"], [b"PING", k],
                                      [b"PING", k, k]])
        if r < 0.66:
            return "cmd", [b"SELECT"] + rng.choice([[b"0"], [b"16"], [b"-1"], [b"abc"], [b""], [b"2147483648"],
                                                   [b"-2147483649"], [b"00"], [b"+0"], [b" 0"], [b"0", b"1"], [],
                                                   [b"0\x00"]])
        if r < 0.72:
            return "hello", self.hello()
        if r < 0.75:
            return "cmd", [b"AUTH"] + rng.choice([[b"x"], [b"default", b"x"], [b"foo", b"x"], [], [b"a", b"b", b"c"],
                                                 [b""]])
        if r < 0.88:
            return "cmd", self.getkeys()
        if r < 0.95:
            names = [rng.choice(SHARED) for _ in range(rng.randint(1, 4))]
            names = [n.upper() if rng.random() < 0.3 else n for n in names]
            if rng.random() < 0.2:
                names.append(rng.choice([b"nosuch", b"", b"client|setname", b"config|get", b"GET\x00x"]))
            return "cmdinfo", [b"COMMAND", b"INFO"] + names
        return "cmd", rng.choice([[b"COMMAND", b"COUNT", b"x"], [b"COMMAND", b"NOSUCH"], [b"COMMAND", b"HELP", b"x"],
                                  [b"COMMAND", b"GETKEYS"], [b"COMMAND", b"NOSUCH", b"x"], [b"CLIENT", b"GETNAME"]])

    def scan(self):
        rng = self.rng
        cursor = rng.choice([b"0"] * 6 + [b"00", b"+0", b"-0", b"", b"abc", b" 0", b"0x", b"1.5", b"-",
                                          b"18446744073709551616", b"0 "])
        args = [b"SCAN", cursor]
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            opt = rng.choice([
                [self.kw(b"MATCH"), rng.choice(PATTERNS)], [self.kw(b"MATCH"), rng.choice(PATTERNS)],
                [self.kw(b"COUNT"), rng.choice([b"1", b"2", b"3", b"10", b"1000", b"0", b"-1", b"abc", b"1.5",
                                                b"9223372036854775808", b"2147483648"])],
                [self.kw(b"TYPE"), rng.choice([b"string", b"STRING", b"list", b"hash", b"none", b"foo"])],
                [b"FOO"], [self.kw(b"MATCH")], [self.kw(b"COUNT")], [self.kw(b"TYPE")],
            ])
            args += opt
        return args

    def client(self):
        sub = self.rng.choice([b"SETNAME", b"SETNAME", b"GETNAME", b"NO-EVICT", b"REPLY", b"HELP", b"NOSUCH", None])
        if sub is None:
            return [b"CLIENT"]
        return [b"CLIENT", self.kw(sub)] + self.rng.choice(CLIENT_ARGS.get(sub, [[]]))

    def hello(self):
        return [b"HELLO"] + self.rng.choice([
            [], [b"2"], [b"3"], [b"4"], [b"0"], [b"1"], [b"-1"], [b"abc"], [b""], [b"3\x00"],
            [b"2", b"AUTH", b"default"], [b"2", b"FOO"], [b"2", b"SETNAME"], [b"2", b"SETNAME", b"x y"],
            [b"3", b"AUTH", b"foo", b"bar"], [b"3", b"AUTH", b"default", b"wrong"], [b"2", b"SETNAME", b"nm"],
            [b"3", b"AUTH", b"default", b"x", b"SETNAME", b"bad name"],
            [b"3", b"SETNAME", b"n1", b"AUTH", b"u", b"p"],
            [b"3", b"SETNAME", b"bad name", b"AUTH", b"u", b"p"], [b"2", b"SETNAME", b"n2", b"FOO"],
        ])

    def getkeys(self):
        rng = self.rng
        name = rng.choice(SHARED + [b"nosuch", b"OBJECT", b"CLIENT", b"GeT"])
        sub = []
        if name in (b"OBJECT", b"object"):
            sub = [rng.choice([b"ENCODING", b"FREQ", b"NOSUCH"])]
        elif name in (b"CLIENT", b"client"):
            sub = [rng.choice([b"SETNAME", b"NOSUCH"])]
        rest = [rng.choice(CMD_KEYS + [b"1", b"EX", b"DB", b"GET", b"100"]) for _ in range(rng.randint(0, 5))]
        return [b"COMMAND", b"GETKEYS", name] + sub + rest if rng.random() < 0.95 else [b"COMMAND", b"GETKEYS"]


def scan_all(conn, args):
    """A whole SCAN iteration: ("reply", raw) for an error or odd reply,
    ("keys", sorted set) otherwise."""
    raw = conn.call_raw(resp(*args))
    if not raw.startswith(b"*2\r\n"):
        return ("reply", raw)
    cursor, keys = parse_reply(raw)[0]
    seen = set(keys)
    for _ in range(5000):
        if cursor == b"0":
            return ("keys", sorted(seen))
        raw = conn.call_raw(resp(b"SCAN", cursor, *args[2:]))
        if not raw.startswith(b"*2\r\n"):
            return ("reply during iteration", raw)
        cursor, keys = parse_reply(raw)[0]
        seen.update(keys)
    return ("no end after 5000 calls", sorted(seen))


def cmdinfo_view(raw):
    """COMMAND INFO reduced to what both servers share: name, arity, flags,
    first key, last key, step (or the raw reply if it is no array)."""
    if raw[:1] not in (b"*", b"~"):
        return raw
    entries = parse_reply(raw)[0]
    if not all(e is None or isinstance(e, list) for e in entries):
        return raw
    return [e if e is None else [sorted(x) if isinstance(x, list) else x for x in e[:6]] for e in entries]


def same(kind, args, a, b):
    if a == b:
        return True
    if kind == "hello":
        return normalize(a) == normalize(b)
    if kind == "keys":
        if a[:1] != b[:1] or a[:1] not in (b"*",):
            return False
        return sorted(parse_reply(a)[0]) == sorted(parse_reply(b)[0])
    if kind == "ttl" and args[0].upper() in TOLERANCE:
        try:
            x, y = int(a[1:-2]), int(b[1:-2])
        except ValueError:
            return False
        return a[:1] == b[:1] == b":" and x >= 0 and y >= 0 and abs(x - y) <= TOLERANCE[args[0].upper()]
    if kind == "cmdinfo":
        if a[:1] != b[:1]:
            return False
        va, vb = cmdinfo_view(a), cmdinfo_view(b)
        if isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb):
            # A name with a NUL: redis-server's answer depends on its hash
            # seed, random per process (its command table hashes every byte
            # and compares up to the NUL), so either answer is taken.
            names = args[2:]
            va = [None if b"\0" in n else e for n, e in zip(names, va)]
            vb = [None if b"\0" in n else e for n, e in zip(names, vb)]
        return va == vb
    return False


# -- the test -------------------------------------------------------------------


class ProtocolDifferentialTest(unittest.TestCase):
    def setUp(self):
        self.socks = []
        self.addCleanup(self.close_socks)
        self.ringkv = support.ServerProcess()
        self.addCleanup(self.ringkv.cleanup)
        self.ringkv.start()
        self.reference = start_reference(self)
        self.redis_port = self.reference.port

    def close_socks(self):
        for s in self.socks:
            s.close()
        self.socks = []

    def connect(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socks.append(s)
        return s

    def servers_alive(self):
        for who, proc in (("redis", self.reference.proc), ("ringkv", self.ringkv.proc)):
            if proc.poll() is not None:
                self.fail("%s exited with %s" % (who, proc.returncode))

    # -- part 1 and 2: raw sessions --

    def test_inline_and_malformed_sessions(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                self.run_sessions(seed)

    def run_sessions(self, seed):
        rng = random.Random(seed)
        sessions = []
        for i in range(SESSIONS):
            g = SessionGen(rng, b"s%d:%d:" % (seed, i))
            pieces, mode, check_close = g.session()
            sessions.append((i, pieces, mode, check_close, g.writes(pieces, mode)))
        bad = []
        for start in range(0, len(sessions), BATCH):
            bad += self.run_batch(seed, sessions[start:start + BATCH])
            self.servers_alive()
        if bad:
            lines = ["seed %d: %d of %d sessions differ" % (seed, len(bad), len(sessions))]
            for i, pieces, mode, check_close, ra, rb in bad[:SHOWN]:
                lines.append("")
                lines.append("seed %d, session %d (sent %s):" % (seed, i, {"one": "in one write", "cuts": "in pieces",
                                                                           "bytes": "byte by byte"}[mode]))
                for label, data in pieces:
                    lines.append("  %-16s %s" % (label, show(data)))
                lines.append("  sent:   %s" % show(b"".join(p for _, p in pieces), 1200))
                if not check_close:
                    lines.append("  (closed not compared: CLIENT REPLY OFF/SKIP, sent in several reads)")
                lines.append("  redis:  closed=%s %s" % (ra[1], show(ra[0])))
                lines.append("  ringkv: closed=%s %s" % (rb[1], show(rb[0])))
            if len(bad) > SHOWN:
                lines.append("\nother sessions that differ: %s" % ", ".join(str(b[0]) for b in bad[SHOWN:]))
            lines.append("rerun: RINGKV_DIFFP_SEEDS=%d RINGKV_DIFFP_SESSIONS=%d" % (seed, SESSIONS))
            self.fail("\n".join(lines))

    def run_batch(self, seed, batch):
        pairs = []
        for _ in batch:
            pairs.append((self.connect(self.redis_port), self.connect(self.ringkv.port)))
        for (i, pieces, mode, _, writes), (ref, sut) in zip(batch, pairs):
            closed = set()   # by the server: its outcome is read later
            for n, chunk in enumerate(writes):
                for s in (ref, sut):
                    if s not in closed:
                        try:
                            s.sendall(chunk)
                        except OSError:
                            closed.add(s)
                if mode != "one" and (mode == "cuts" or n % 8 == 7):
                    time.sleep(0.001)
        socks = [s for p in pairs for s in p]
        got = collect(socks, QUIET)

        def outcome(s, check_close):
            return normalize(got[s][0]), got[s][1] if check_close else None

        differ = [j for j, (ref, sut) in enumerate(pairs) if outcome(ref, batch[j][3]) != outcome(sut, batch[j][3])]
        if differ:
            # Slow or late? Give every differing session more time, all at once.
            again = [s for j in differ for s in pairs[j] if not got[s][1]]
            more = collect(again, RECHECK_QUIET) if again else {}
            for s, (data, closed) in more.items():
                got[s][0] += data
                got[s][1] = closed
        bad = []
        for j in differ:
            ref, sut = pairs[j]
            ra, rb = got[ref], got[sut]
            i, pieces, mode, check_close, _ = batch[j]
            if outcome(ref, check_close) != outcome(sut, check_close):
                bad.append((i, pieces, mode, check_close, tuple(ra), tuple(rb)))
        for s in socks:
            s.close()
            self.socks.remove(s)
        return bad

    # -- part 3: server and keyspace commands --

    def test_server_commands(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                self.run_commands(seed)

    def run_commands(self, seed):
        """Every step is compared; a step that differs is reported with the
        steps before it and the run goes on (later differences may follow
        from an earlier one: the report lists them in order)."""
        rng = random.Random(seed * 7919 + 1)
        g = CommandGen(rng)
        ref, sut = Conn(self.redis_port, SOCKET_TIMEOUT), Conn(self.ringkv.port, SOCKET_TIMEOUT)
        self.socks += [ref.sock, sut.sock]
        setup = [[b"FLUSHALL"], [b"MSET"] + [x for k in CMD_KEYS[:16] for x in (k, b"1")]]
        history, bad = [], []
        for step in range(-len(setup), COMMANDS):
            if step < 0:
                kind, args = "cmd", setup[step + len(setup)]
            else:
                g.step = step
                kind, args = g.step_args()
                if rng.random() < 0.15 and args[0] not in (b"COMMAND", b"SCAN"):
                    args[0] = args[0].lower()
            got = []
            for c in (ref, sut):
                try:
                    got.append(scan_all(c, args) if kind == "scan" else c.call_raw(resp(*args)))
                except (AssertionError, OSError) as e:
                    got.append(("no reply", str(e)))
            a, b = got
            if kind == "scan" or isinstance(a, tuple) or isinstance(b, tuple):
                ok = a == b
            else:
                ok = same(kind, args, a, b)
            if not ok:
                bad.append(((repr(a)[:300], repr(b)[:300]), self.step_report(seed, step, kind, args, a, b, history)))
                if isinstance(a, tuple) and a[0] == "no reply" or isinstance(b, tuple) and b[0] == "no reply":
                    break
            history.append((step, kind, args, a))
            del history[:-6]
        self.servers_alive()
        if bad:
            # The first step of each distinct pair of replies in full, the rest counted.
            firsts = {}
            for sig, text in bad:
                firsts.setdefault(sig, text)
            shown = list(firsts.values())[:SHOWN]
            text = "seed %d: %d of %d steps differ, %d distinct pairs of replies (first step of each below)\n\n" % (
                seed, len(bad), COMMANDS, len(firsts)) + "\n\n".join(shown)
            if len(firsts) > SHOWN:
                text += "\n\n(%d more distinct)" % (len(firsts) - SHOWN)
            self.fail(text + "\nrerun: RINGKV_DIFFP_SEEDS=%d RINGKV_DIFFP_COMMANDS=%d" % (seed, COMMANDS))

    @staticmethod
    def step_report(seed, step, kind, args, a, b, history):
        def fmt(x, limit, kind=kind):
            if kind == "cmdinfo" and isinstance(x, bytes) and x[:1] in (b"*", b"~"):
                return "(name, arity, flags, first, last, step) %r" % (cmdinfo_view(x),)
            return show(x, limit) if isinstance(x, bytes) else repr(x)[:limit]
        lines = ["seed %d, step %d: %s" % (seed, step, " ".join(show(x, 200) for x in args)),
                 "  redis:  " + fmt(a, 1500),
                 "  ringkv: " + fmt(b, 1500),
                 "  preceding steps (redis reply):"]
        for n, h_kind, h_args, h_reply in history:
            lines.append("    #%d %s -> %s" % (n, " ".join(show(x, 80) for x in h_args), fmt(h_reply, 120, h_kind)))
        return "\n".join(lines)


if __name__ == "__main__":
    unittest.main()
