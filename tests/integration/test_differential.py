"""Differential test: the same seeded pseudo-random command stream goes to
ringkv (RINGKV_SERVER) and to a reference redis-server 7.0 side by side, on
raw sockets, and every reply must be the same bytes (error texts included).

The stream uses a small key space (eight keys, some binary, one empty) so
commands act on each other's keys, and arguments that are often valid and
often not: non-numbers, overflowing counters, negative and huge offsets,
floats such as 1e308, inf and nan, wrong arity, unknown and conflicting
options, MULTI/EXEC/DISCARD with queued errors, WATCH touched from a second
connection, pipelined bursts. Halfway through, the main connection switches
to RESP3 (HELLO 3), the second one at three quarters.

Only what cannot be equal is relaxed: TTL/PTTL/EXPIRETIME/PEXPIRETIME may
differ by 2 s (both integers, same special values -1/-2), KEYS is compared as
a set, and HELLO's map (it holds the client id) only by its type. Every
expiry sent is either in the past, invalid, or at least 10^7 s (4 months) ahead, so
nothing expires during a run; TTLs set by different commands differ by at
least 100 s, so NX/XX/GT/LT decide the same way on both servers.

A mismatch reports the seed, the command's index, the command, both replies
and the commands before it. To rerun one seed, or a longer stream:

    RINGKV_DIFF_SEEDS=2 RINGKV_DIFF_COMMANDS=5000 \\
    RINGKV_SERVER=../../build/server/ringkv-server /usr/bin/python3 -m unittest -v test_differential

The reference is /usr/bin/redis-server (RINGKV_REFERENCE overrides it;
scripts/test installs it); without it the test fails. RINGKV_SERVER=/usr/bin/redis-server compares
Redis with itself, which checks that the stream is deterministic.
"""

import os
import random
import unittest

import support
from test_protocol import Conn, parse_reply, resp

REFERENCE = os.environ.get("RINGKV_REFERENCE", "/usr/bin/redis-server")
SEEDS = [int(s) for s in os.environ.get("RINGKV_DIFF_SEEDS", "1,2,3,4,5,6,7,8,9,10").split(",")
         if s.strip()]
COMMANDS = int(os.environ.get("RINGKV_DIFF_COMMANDS", "2000"))
SOCKET_TIMEOUT = 5.0
CONTEXT = 10  # commands shown before a mismatch

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)

KEYS = [b"k1", b"k2", b"num", b"fl", b"", b"bin\x00\xff\r\n", b"\xe2\x82\xac", b"{t}a b"]

VALUES = [
    b"", b"v", b"hello", b"0", b"1", b"-1", b"42", b"-17", b"007", b"+5", b" 3", b"3 ", b"-0",
    b"9223372036854775807", b"-9223372036854775808", b"9223372036854775806",
    b"-9223372036854775807", b"9223372036854775808", b"18446744073709551616",
    b"1.5", b"-0.25", b"3e2", b"1e308", b"-1e308", b"inf", b"-inf", b"nan", b"0x1f", b"1.0",
    b"10.50", b"5e-324", b"1.7976931348623157e308", b"0.1", b"1e-17",
    b"bin\x00\xff\x01", b"\r\n", b"x" * 40, "\u00e9t\u00e9".encode(), b"y" * 130, b"a\r\n",
]

INT_ARGS = [
    0, 1, -1, 2, 7, -3, 100, -100, LLONG_MAX, LLONG_MIN, LLONG_MAX - 1, LLONG_MIN + 1,
    b"9223372036854775808", b"-9223372036854775809", b"18446744073709551616", b"abc", b"",
    b"1.0", b" 1", b"1 ", b"+1", b"0x10", b"1e3", b"-0", b"00012", b"1\x00",
]

FLOAT_ARGS = [
    b"1", b"1.5", b"-0.1", b"0.1", b"0.2", b"3.0e3", b"1e308", b"-1e308", b"1e309", b"-1e309",
    b"1.7976931348623157e308", b"inf", b"-inf", b"+inf", b"Infinity", b"nan", b"NaN", b"-nan",
    b"1e-320", b"5e-324", b"", b"abc", b" 1", b"1 ", b"0x10", b".5", b"5.", b"1e", b"-0", b"0",
    b"9223372036854775807", b"1e-17", b"123456789.123456789", b"17.5e-3", b"1e3000", b"1,5",
    b"100000000000000000000", b"0.30000000000000004", b"-5",
]

RANGE_ARGS = [
    0, 1, 2, 3, 5, 10, 100, -1, -2, -5, -100, LLONG_MAX, LLONG_MIN, b"9223372036854775808",
    b"abc", b"", b"1.0", b" 1",
]

# SETRANGE offsets: small, or so large that Redis refuses them (never between:
# an offset of a few hundred MB would really allocate that much).
OFFSET_ARGS = [0, 0, 1, 2, 3, 7, 20, 100, -1, -100, 536870912, 1000000000, LLONG_MAX,
               b"9223372036854775808", b"abc", b"", b"1.5"]

# SETBIT/GETBIT offsets: small, or refused (negative, not integers, or a
# byte past proto-max-bulk-len). Never a large valid one: SETBIT would
# really make a string that long.
BIT_OFFSETS = [0, 1, 2, 7, 8, 9, 15, 16, 31, 63, 64, 100, 333, -1, -8, 4294967296, LLONG_MAX,
               b"9223372036854775808", b"abc", b"", b"1.5", b" 1", b"+1", b"01"]
BIT_VALUES = [b"0", b"1", b"1", b"0", b"2", b"-1", b"01", b"-0", b"", b"a", b"1.0", b" 1"]
# BITFIELD types and offsets: valid ones, and refused ones. Offsets stay
# small (a field far out would make a string that long).
FIELD_TYPES = [b"i8", b"u8", b"i16", b"u16", b"i5", b"u3", b"i64", b"u63", b"i1", b"u1", b"i32",
               b"u64", b"i65", b"i0", b"x8", b"I8", b"i", b"", b"u-1", b"i08"]
FIELD_OFFSETS = [0, 1, 3, 7, 8, 13, 31, 64, 100, 200, b"#0", b"#1", b"#3", b"#17", -1, b"#-1",
                 b"#", b"abc", 4294967296, b"1.5",
                 # N times the width wraps in 64 bits: bit 8 of a u8, or negative
                 b"#2305843009213693953", b"#-2305843009213693951"]
BITOP_OPS = [b"AND", b"OR", b"XOR", b"NOT", b"and", b"Or", b"xor", b"not", b"NAND", b""]

# Odd expiry arguments: refused (not integers, overflowing), deleting the key
# at once (zero, negative) or valid but centuries ahead. No small positive
# value: it would expire during the run.
BAD_EXPIRES = [0, -1, -1000, b"abc", b"", b"1.5", b" 100000000", b"+100000000", b"1e9",
               LLONG_MAX, LLONG_MIN, b"9223372036854775808", 9223372036854775, 9223372036854776,
               4611686018427387904, 100000000000000, LLONG_MAX // 1000 + 1]
# Absolute times in the past: EXPIREAT/GETEX delete the key.
PAST_SECONDS = [1, 1000, 1600000000]
PAST_MILLIS = [1, 1000, 1600000000000]
# Far-future absolute times start here (year 2096), far above any relative
# expiry sent (at most ~13 years), so both kinds compare the same way.
ABS_BASE = 4_000_000_000

KEYS_PATTERNS = [b"*", b"*", b"k*", b"*1", b"?", b"k?", b"[a-k]*", b"[^k]*", b"*\x00*", b"",
                 b"\\*", b"{t}*", b"*[", b"[", b"b*\\", b"[a-]*", b"*a b", b"\xe2*", b"[!k]*",
                 # range ends compare as signed chars: \xff..'a', 0..-1
                 b"[a-\xff]*", b"[^a-\xff]*", b"b[\x00-\xff]*"]

SMALL_DBS = {str(n).encode() for n in range(1, 16)}

# Never an existing name followed by NUL (see Gen.kw).
UNKNOWN = [b"GETT", b"FOO", b"SETT", b"X", b"incrbyfloats", b"FOO\x00bar", b"y" * 140]

# Replies that depend on the moment they were computed: integers that may
# differ by this much (negative special values must be equal).
TOLERANCE = {b"TTL": 2, b"EXPIRETIME": 2, b"PTTL": 2000, b"PEXPIRETIME": 2000}


def enc(a):
    if isinstance(a, bytes):
        return a
    if isinstance(a, int):
        return str(a).encode()
    return a.encode()


class Gen:
    """Random commands (lists of bytes) from one seeded random.Random."""

    def __init__(self, rng, keys=KEYS, listing=True):
        self.rng = rng
        self.keyspace = keys
        self.index = 0   # the stream position: makes every valid expiry distinct
        self.focus = []  # keys to prefer (the watched ones in a WATCH block)
        self.builders = [
            (10, self.c_get), (14, self.c_set), (2, self.c_setnx), (3, self.c_setex),
            (2, self.c_psetex), (2, self.c_getset), (2, self.c_getdel), (6, self.c_getex),
            (3, self.c_mget), (3, self.c_mset), (2, self.c_msetnx), (4, self.c_incr),
            (4, self.c_decr), (5, self.c_incrby), (3, self.c_decrby), (8, self.c_incrbyfloat),
            (4, self.c_append), (3, self.c_strlen), (5, self.c_getrange), (4, self.c_setrange),
            (4, self.c_setbit), (3, self.c_getbit), (3, self.c_bitcount), (3, self.c_bitpos),
            (2, self.c_bitop), (3, self.c_bitfield), (1, self.c_bitfield_ro), (2, self.c_lcs),
            (3, self.c_del), (1, self.c_unlink), (3, self.c_exists), (2, self.c_type),
            (2, self.c_rename), (2, self.c_renamenx), (3, self.c_copy), (1, self.c_touch),
            (8, self.c_expire), (2, self.c_persist), (6, self.c_ttl), (2, self.c_dbsize),
            (2, self.c_echo), (2, self.c_ping), (2, self.c_keys), (1, self.c_unknown),
        ]
        if not listing:  # no command that counts or lists the whole keyspace
            self.builders = [(w, b) for w, b in self.builders if b not in (self.c_dbsize, self.c_keys)]
        self.total = sum(w for w, _ in self.builders)

    # -- argument pickers --------------------------------------------------

    def key(self):
        if self.focus and self.rng.random() < 0.7:
            return self.rng.choice(self.focus)
        return self.rng.choice(self.keyspace)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.rng.randint(lo, hi))]

    def name(self, word):
        """A command name or keyword, sometimes in lower or mixed case."""
        r = self.rng.random()
        if r < 0.15:
            return word.lower()
        if r < 0.25:
            return bytes(c ^ 0x20 if self.rng.random() < 0.5 and chr(c).isalpha() else c for c in word)
        return word

    def kw(self, word):
        """An option keyword: name(). Never with a NUL byte in it: Redis
        compares options as C strings, so it takes "NX\\0junk" for NX, where
        ringkv matches all the bytes and answers a syntax error. That
        difference is deliberate (a keyword with a NUL in it is a client bug
        better reported than guessed at)."""
        return self.name(word)

    def value(self):
        r = self.rng.random()
        if r < 0.65:
            return self.rng.choice(VALUES)
        if r < 0.85:
            return enc(self.rng.randint(-1000, 1000))
        if r < 0.95:
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randint(0, 12)))
        return enc(repr(self.rng.uniform(-1e6, 1e6)))

    def int_arg(self):
        if self.rng.random() < 0.3:
            return enc(self.rng.randint(-10**6, 10**6))
        return enc(self.rng.choice(INT_ARGS))

    def float_arg(self):
        r = self.rng.random()
        if r < 0.6:
            return self.rng.choice(FLOAT_ARGS)
        if r < 0.8:
            return enc(repr(self.rng.uniform(-1000, 1000)))
        if r < 0.9:
            digits, scale = self.rng.randint(1, 20), 10 ** self.rng.randint(-20, 20)
            return enc("%.*g" % (digits, self.rng.uniform(-1, 1) * scale))
        return enc(self.rng.randint(-10**6, 10**6))

    def far(self):
        """Seconds ahead: at least 10^7, and 100 s apart from any other call."""
        return 10_000_000 * self.rng.randint(1, 40) + 100 * self.index

    def rel_s(self, bad=0.25):
        return enc(self.rng.choice(BAD_EXPIRES)) if self.rng.random() < bad else enc(self.far())

    def rel_ms(self, bad=0.25):
        if self.rng.random() < bad:
            return enc(self.rng.choice(BAD_EXPIRES))
        return enc(self.far() * 1000 + self.rng.randint(0, 999))

    def abs_s(self, bad=0.25, past=True):
        r = self.rng.random()
        if r < bad:
            return enc(self.rng.choice(BAD_EXPIRES))
        if past and r < bad + 0.1:
            return enc(self.rng.choice(PAST_SECONDS))
        return enc(ABS_BASE + self.far())

    def abs_ms(self, bad=0.25, past=True):
        r = self.rng.random()
        if r < bad:
            return enc(self.rng.choice(BAD_EXPIRES))
        if past and r < bad + 0.1:
            return enc(self.rng.choice(PAST_MILLIS))
        return enc((ABS_BASE + self.far()) * 1000 + self.rng.randint(0, 999))

    # -- commands -------------------------------------------------------------

    def c_get(self):
        return [b"GET", self.key()]

    def c_set(self):
        args = [b"SET", self.key(), self.value()]
        if self.rng.random() < 0.35:
            return args
        # SET EXAT/PXAT in the past would leave a logically expired key that
        # DBSIZE counts until Redis's active expiry removes it: not sent.
        pool = [
            [self.kw(b"NX")], [self.kw(b"XX")], [self.kw(b"GET")], [self.kw(b"KEEPTTL")],
            [self.kw(b"EX"), self.rel_s()], [self.kw(b"PX"), self.rel_ms()],
            [self.kw(b"EXAT"), self.abs_s(past=False)], [self.kw(b"PXAT"), self.abs_ms(past=False)],
            [b"FOO"], [self.kw(b"EX")], [self.kw(b"PX"), b"abc"],
        ]
        weights = [4, 4, 4, 2, 5, 3, 2, 2, 1, 1, 1]
        n = self.rng.choice([1, 1, 1, 2, 2, 3])
        for opt in self.rng.choices(pool, weights, k=n):
            args += opt
        return args

    def c_setnx(self):
        return [b"SETNX", self.key(), self.value()]

    def c_setex(self):
        return [b"SETEX", self.key(), self.rel_s(0.35), self.value()]

    def c_psetex(self):
        return [b"PSETEX", self.key(), self.rel_ms(0.35), self.value()]

    def c_getset(self):
        return [b"GETSET", self.key(), self.value()]

    def c_getdel(self):
        return [b"GETDEL", self.key()]

    def c_getex(self):
        args = [b"GETEX", self.key()]
        r = self.rng.random()
        if r < 0.25:
            return args
        pool = [
            [self.kw(b"EX"), self.rel_s()], [self.kw(b"PX"), self.rel_ms()],
            [self.kw(b"EXAT"), self.abs_s()], [self.kw(b"PXAT"), self.abs_ms()],
            [self.kw(b"PERSIST")], [b"FOO"], [self.kw(b"EX")], [self.kw(b"KEEPTTL")],
        ]
        n = 1 if self.rng.random() < 0.7 else 2
        for opt in self.rng.choices(pool, [4, 3, 2, 2, 4, 1, 1, 1], k=n):
            args += opt
        return args

    def c_mget(self):
        return [b"MGET"] + self.keys()

    def _pairs(self):
        out = []
        for _ in range(self.rng.randint(1, 3)):
            out += [self.key(), self.value()]
        if self.rng.random() < 0.1:
            out.append(self.key())   # odd count: wrong arity
        return out

    def c_mset(self):
        return [b"MSET"] + self._pairs()

    def c_msetnx(self):
        return [b"MSETNX"] + self._pairs()

    def c_incr(self):
        return [b"INCR", self.key()]

    def c_decr(self):
        return [b"DECR", self.key()]

    def c_incrby(self):
        return [b"INCRBY", self.key(), self.int_arg()]

    def c_decrby(self):
        return [b"DECRBY", self.key(), self.int_arg()]

    def c_incrbyfloat(self):
        return [b"INCRBYFLOAT", self.key(), self.float_arg()]

    def c_append(self):
        return [b"APPEND", self.key(), self.value()]

    def c_strlen(self):
        return [b"STRLEN", self.key()]

    def c_getrange(self):
        name = b"GETRANGE" if self.rng.random() < 0.75 else b"SUBSTR"
        return [name, self.key(), enc(self.rng.choice(RANGE_ARGS)), enc(self.rng.choice(RANGE_ARGS))]

    def c_setrange(self):
        return [b"SETRANGE", self.key(), enc(self.rng.choice(OFFSET_ARGS)), self.value()]

    def c_setbit(self):
        return [b"SETBIT", self.key(), enc(self.rng.choice(BIT_OFFSETS)),
                self.rng.choice(BIT_VALUES)]

    def c_getbit(self):
        return [b"GETBIT", self.key(), enc(self.rng.choice(BIT_OFFSETS))]

    def _unit(self):
        return self.kw(self.rng.choice([b"BYTE", b"BIT", b"BIT", b"BITS", b""]))

    def _range_tail(self, n):
        """BITCOUNT's and BITPOS's `n` arguments after the bit: start, end,
        a unit, then one too many."""
        tail = [enc(self.rng.choice(RANGE_ARGS)) for _ in range(min(n, 2))]
        if n >= 3:
            tail.append(self._unit())
        if n == 4:
            tail.append(b"x")
        return tail

    def c_bitcount(self):
        cmd = [b"BITCOUNT", self.key()]
        # 1 and 4 extra arguments are refused
        return cmd + self._range_tail(self.rng.choice([0, 0, 1, 2, 2, 3, 4]))

    def c_bitpos(self):
        bit = self.rng.choice([b"0", b"1", b"1", b"0", b"2", b"-1", b"a", b""])
        cmd = [b"BITPOS", self.key(), bit]
        # 4 extra arguments are refused
        return cmd + self._range_tail(self.rng.choice([0, 1, 2, 2, 3, 4]))

    def c_bitop(self):
        op = self.rng.choice(BITOP_OPS)
        return [b"BITOP", op, self.key()] + self.keys(0 if op.upper() == b"NOT" else 1, 3)

    def _field(self):
        return [self.rng.choice(FIELD_TYPES), enc(self.rng.choice(FIELD_OFFSETS))]

    def c_bitfield(self):
        cmd = [b"BITFIELD", self.key()]
        for _ in range(self.rng.randint(0, 4)):
            r = self.rng.random()
            if r < 0.3:
                cmd += [self.kw(b"GET")] + self._field()
            elif r < 0.55:
                cmd += [self.kw(b"SET")] + self._field() + [self.int_arg()]
            elif r < 0.8:
                cmd += [self.kw(b"INCRBY")] + self._field() + [self.int_arg()]
            elif r < 0.95:
                cmd += [self.kw(b"OVERFLOW"), self.kw(self.rng.choice([b"WRAP", b"SAT", b"FAIL", b"NONE"]))]
            else:  # cut short, or unknown
                cmd += self.rng.choice([[b"GET", b"i8"], [b"SET", b"u8", b"0"], [b"FOO"]])
        return cmd

    def c_bitfield_ro(self):
        cmd = [b"BITFIELD_RO", self.key()]
        for _ in range(self.rng.randint(0, 3)):
            if self.rng.random() < 0.85:
                cmd += [self.kw(b"GET")] + self._field()
            else:
                cmd += [b"SET", b"u8", b"0", b"1"]
        return cmd

    def c_lcs(self):
        cmd = [b"LCS", self.key(), self.key()]
        for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
            r = self.rng.random()
            if r < 0.3:
                cmd.append(self.kw(b"IDX"))
            elif r < 0.5:
                cmd.append(self.kw(b"LEN"))
            elif r < 0.7:
                cmd.append(self.kw(b"WITHMATCHLEN"))
            elif r < 0.95:
                cmd += [self.kw(b"MINMATCHLEN"),
                        enc(self.rng.choice([0, 1, 2, 3, 5, -1, b"x", LLONG_MAX]))]
            else:
                cmd.append(self.rng.choice([b"MINMATCHLEN", b"FOO"]))
        return cmd

    def c_del(self):
        return [b"DEL"] + self.keys()

    def c_unlink(self):
        return [b"UNLINK"] + self.keys()

    def c_exists(self):
        return [b"EXISTS"] + self.keys()

    def c_touch(self):
        return [b"TOUCH"] + self.keys()

    def c_type(self):
        return [b"TYPE", self.key()]

    def c_rename(self):
        return [b"RENAME", self.key(), self.key()]

    def c_renamenx(self):
        return [b"RENAMENX", self.key(), self.key()]

    def c_copy(self):
        args = [b"COPY", self.key(), self.key()]
        extra = self.rng.choice([
            [], [], [], [self.kw(b"REPLACE")], [self.kw(b"DB"), b"0"], [self.kw(b"DB"), b"0", self.kw(b"REPLACE")],
            [self.kw(b"DB"), b"x"], [self.kw(b"DB"), b"99"], [self.kw(b"DB"), b"-1"], [b"FOO"],
            [self.kw(b"DB"), self.rng.choice([b"16", b"2147483648", b"-2147483649", enc(LLONG_MAX)])],
            [self.kw(b"REPLACE"), self.kw(b"REPLACE")], [self.kw(b"DB")],
        ])
        return args + extra

    def c_expire(self):
        name, when = self.rng.choice([
            (b"EXPIRE", self.rel_s), (b"PEXPIRE", self.rel_ms),
            (b"EXPIREAT", self.abs_s), (b"PEXPIREAT", self.abs_ms),
        ])
        args = [name, self.key(), when()]
        r = self.rng.random()
        if r < 0.4:
            return args
        flags = [b"NX", b"XX", b"GT", b"LT"]
        n = 1 if r < 0.85 else 2
        for _ in range(n):
            args.append(self.kw(self.rng.choice(flags)) if self.rng.random() < 0.9
                        else self.rng.choice([b"FOO", b"a\r\n", b"x\x00y", b"\r\n"]))
        return args

    def c_persist(self):
        return [b"PERSIST", self.key()]

    def c_ttl(self):
        return [self.rng.choice([b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"]), self.key()]

    def c_dbsize(self):
        return [b"DBSIZE"]

    def c_echo(self):
        return [b"ECHO", self.value()]

    def c_ping(self):
        return [b"PING"] + ([self.value()] if self.rng.random() < 0.5 else [])

    def c_keys(self):
        return [b"KEYS", self.rng.choice(KEYS_PATTERNS)]

    def c_unknown(self):
        return [self.rng.choice(UNKNOWN)] + [self.value() for _ in range(self.rng.randint(0, 3))]

    # -- one command ---------------------------------------------------------

    def command(self):
        pick = self.rng.uniform(0, self.total)
        for w, build in self.builders:
            pick -= w
            if pick <= 0:
                break
        args = build()
        r = self.rng.random()
        if r < 0.04 and len(args) > 1:
            args = args[:-1]                          # wrong arity, or a missing option value
        elif r < 0.07:
            args = args + [self.rng.choice([self.value(), b"NX", b"EX"])]   # one argument too many
        if args[0].upper() == b"COPY":
            # ringkv has one database (README): COPY to a valid other index
            # would succeed on Redis only. Invalid indexes are still sent.
            for j in range(3, len(args) - 1):
                if args[j].upper() == b"DB" and args[j + 1] in SMALL_DBS:
                    args[j + 1] = b"0"
        args[0] = self.name(args[0])
        return args


# A stream item: (connection, args, kind). kind "hello" compares only the
# reply's type; everything else is compared exactly (with TOLERANCE/KEYS).
def command_stream(seed, n, transactions=True, listing=True):
    """n commands as (connection, args, kind). Without `transactions`, no
    MULTI, EXEC, DISCARD, WATCH or UNWATCH is sent; without `listing`, no
    DBSIZE or KEYS."""
    rng = random.Random(seed)
    g = Gen(rng, listing=listing)
    out = []

    def add(conn, args, kind="cmd"):
        g.index = len(out)
        out.append((conn, [enc(a) for a in args], kind))

    def cmd(conn="main"):
        g.index = len(out)
        out.append((conn, g.command(), "cmd"))

    switched = other_switched = False
    while len(out) < n:
        if not switched and len(out) >= n // 2:
            # Leave any open MULTI first (HELLO's reply holds the client id,
            # so it must not end up inside an EXEC array).
            add("main", [b"DISCARD"])
            add("main", [b"HELLO", b"3"], "hello")
            switched = True
            continue
        if not other_switched and len(out) >= 3 * n // 4:
            add("other", [b"HELLO", b"3"], "hello")   # never in MULTI
            other_switched = True
            continue
        r = rng.random()
        if not transactions and r < 0.065:
            r = 0.1  # one more plain command on the other connection
        if r < 0.035:
            # MULTI block: queued commands (some refused at queue time), other
            # connection's writes in between, then EXEC / DISCARD / left open.
            add("main", [g.name(b"MULTI")])
            for _ in range(rng.randint(0, 6)):
                x = rng.random()
                if x < 0.1:
                    cmd("other")
                elif x < 0.14:
                    extra = [g.key()] if rng.random() < 0.5 else []
                    add("main", [rng.choice([b"MULTI", b"WATCH", b"UNWATCH"])] + extra)
                else:
                    cmd()
            y = rng.random()
            if y < 0.75:
                add("main", [g.name(b"EXEC")] + ([b"x"] if rng.random() < 0.03 else []))
            elif y < 0.93:
                add("main", [g.name(b"DISCARD")])
        elif r < 0.055:
            # WATCH block: the watched keys are touched (or not) by either
            # connection, maybe UNWATCH, then a transaction.
            watched = g.keys(1, 3)
            add("main", [g.name(b"WATCH")] + watched)
            g.focus = watched   # mostly touch the watched keys, often with no-op writes
            for _ in range(rng.randint(0, 3)):
                cmd("other" if rng.random() < 0.6 else "main")
            g.focus = []
            if rng.random() < 0.15:
                add("main", [g.name(b"UNWATCH")])
            add("main", [b"MULTI"])
            for _ in range(rng.randint(1, 3)):
                cmd()
            add("main", [b"EXEC"])
        elif r < 0.065:
            add("main", [rng.choice([b"EXEC", b"DISCARD", b"UNWATCH", b"WATCH", b"MULTI"])])
        elif r < 0.07:
            add("main", [b"HELLO", rng.choice([b"4", b"1", b"abc", b"-1", b""])])
        elif r < 0.08:
            # A pipelined burst: sent in one write, replies read in order.
            conn = "other" if rng.random() < 0.3 else "main"
            for _ in range(rng.randint(2, 8)):
                g.index = len(out)
                out.append((conn, g.command(), "pipe"))
        elif r < 0.2:
            cmd("other")
        else:
            cmd()
    return out


def fmt_cmd(args):
    return " ".join(repr(a)[1:] if a else "''" for a in args)


def int_reply(raw):
    if raw.startswith(b":") and raw.endswith(b"\r\n"):
        try:
            return int(raw[1:-2])
        except ValueError:
            return None
    return None


def elements(raw):
    """(header, [raw element]) of an array reply, or None."""
    if raw[:1] not in (b"*", b"~") or raw.startswith(b"*-1"):
        return None
    end = raw.find(b"\r\n")
    header = raw[:end]
    pos = end + 2
    out = []
    for _ in range(int(header[1:])):
        _, nxt = parse_reply(raw, pos)
        out.append(raw[pos:nxt])
        pos = nxt
    return header, out


def same_reply(args, a, b, queued=None):
    """Whether two raw replies to `args` count as the same."""
    if a == b:
        return True
    name = args[0].upper() if args else b""
    if name in TOLERANCE:
        x, y = int_reply(a), int_reply(b)
        if x is None or y is None or x < 0 or y < 0:
            return False
        return abs(x - y) <= TOLERANCE[name]
    if name == b"KEYS":
        ea, eb = elements(a), elements(b)
        return ea is not None and eb is not None and ea[0] == eb[0] and sorted(ea[1]) == sorted(eb[1])
    if name == b"EXEC" and queued is not None:
        ea, eb = elements(a), elements(b)
        if ea is None or eb is None or ea[0] != eb[0] or len(ea[1]) != len(queued):
            return False
        return all(same_reply(q, x, y) for q, x, y in zip(queued, ea[1], eb[1]))
    return False


def start_reference(test):
    """Starts the reference redis-server for `test` (persistence off; stopped
    by pid and its directory removed at the test's cleanup) and returns it."""
    if not os.path.exists(REFERENCE):
        test.fail("reference %s is missing (scripts/test installs it)" % REFERENCE)
    ref = support.ServerProcess(binary=REFERENCE)
    test.addCleanup(ref.cleanup)
    return ref.start()


class DifferentialTest(unittest.TestCase):
    TRANSACTIONS = True  # the stream holds MULTI/EXEC/WATCH blocks
    LISTING = True  # and DBSIZE and KEYS

    def start_ringkv(self):
        """Starts what is under test; returns the ports that the "main" and
        "other" connections go to."""
        self.ringkv = support.ServerProcess()
        self.addCleanup(self.ringkv.cleanup)
        self.ringkv.start()
        return {"main": self.ringkv.port, "other": self.ringkv.port}

    def setUp(self):
        self.conns = []
        self.ports = self.start_ringkv()
        self.redis_port = start_reference(self).port

    def tearDown(self):
        for c in self.conns:
            c.close()

    def connect(self, port):
        c = Conn(port, timeout=SOCKET_TIMEOUT)
        self.conns.append(c)
        return c

    def test_same_replies_as_redis(self):
        for seed in SEEDS:
            with self.subTest(seed=seed):
                self.run_seed(seed)

    def before_command(self, i, n):
        """Called before command i of n (the first of a pipelined burst)."""

    def run_seed(self, seed):
        stream = command_stream(seed, COMMANDS, self.TRANSACTIONS, self.LISTING)
        pair = {name: (self.connect(self.redis_port), self.connect(self.ports[name]))
                for name in ("main", "other")}
        for ref, sut in pair.values():
            self.assertEqual(ref.call_raw(resp("FLUSHALL")), b"+OK\r\n")
            self.assertEqual(sut.call_raw(resp("FLUSHALL")), b"+OK\r\n")
        tx = {name: None for name in pair}   # commands queued in an open MULTI, per connection
        history = []
        i = 0
        while i < len(stream):
            self.before_command(i, len(stream))
            conn = stream[i][0]
            end = i + 1
            if stream[i][2] == "pipe":   # the whole burst goes out in one write
                while end < len(stream) and stream[end][2] == "pipe" and stream[end][0] == conn:
                    end += 1
            ref, sut = pair[conn]
            payload = b"".join(resp(*args) for _, args, _ in stream[i:end])
            for who, c in (("redis", ref), ("ringkv", sut)):
                try:
                    c.send(payload)
                except OSError as e:
                    self.fail(self.report(seed, i, conn, stream[i][1], history,
                                          "cannot send to %s: %s" % (who, e), []))
            for i in range(i, end):
                _, args, kind = stream[i]
                got = []
                for who, c in (("redis", ref), ("ringkv", sut)):
                    try:
                        got.append(c.read_raw())
                    except (AssertionError, OSError) as e:
                        self.fail(self.report(seed, i, conn, args, history,
                                              "no reply from %s: %s" % (who, e), got))
                a, b = got
                name = args[0].upper()
                queued = tx[conn]
                if kind == "hello":
                    ok = a[:1] == b[:1]
                else:
                    ok = same_reply(args, a, b, queued if name == b"EXEC" else None)
                if not ok:
                    self.fail(self.report(seed, i, conn, args, history, None, got))
                # Follow the transaction state from Redis's replies.
                if name == b"MULTI" and a == b"+OK\r\n":
                    tx[conn] = []
                elif name in (b"EXEC", b"DISCARD") and queued is not None:
                    tx[conn] = None
                elif queued is not None and a == b"+QUEUED\r\n":
                    queued.append(args)
                history.append((i, conn, args, a, b))
                del history[:-CONTEXT]
            i = end
        for ref, sut in pair.values():
            ref.close()
            sut.close()
            self.conns.remove(ref)
            self.conns.remove(sut)

    @staticmethod
    def report(seed, i, conn, args, history, problem, got):
        lines = ["seed %d, command #%d on %s: %s" % (seed, i, conn, fmt_cmd(args))]
        if problem:
            lines.append("  " + problem)
        if len(got) > 0:
            lines.append("  redis:  %r" % got[0])
        if len(got) > 1:
            lines.append("  ringkv: %r" % got[1])
        lines.append("preceding commands (redis reply | ringkv reply if different):")
        for j, c, a, ra, rb in history:
            extra = "" if ra == rb else "  |  %r" % rb
            lines.append("  #%d %s: %s -> %r%s" % (j, c, fmt_cmd(a), ra, extra))
        lines.append("rerun: RINGKV_DIFF_SEEDS=%d RINGKV_DIFF_COMMANDS=%d" % (seed, COMMANDS))
        return "\n".join(lines)


if __name__ == "__main__":
    unittest.main()
