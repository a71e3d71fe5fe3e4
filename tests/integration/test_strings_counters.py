"""String counters: INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT, with their
reply types and error texts byte for byte (helpers from test_strings.py).

Expectations were checked against redis-server 7.0.15:

    RINGKV_SERVER=/usr/bin/redis-server /usr/bin/python3 -m unittest -v test_strings_counters
"""

import unittest

from test_strings import LLONG_MAX, LLONG_MIN, StringTestCase


class TestCounters(StringTestCase):
    def test_incr_creates_and_counts(self):
        self.assertEqual(self.r.incr("n"), 1)
        self.assertEqual(self.r.incr("n"), 2)
        self.assertEqual(self.r.get("n"), b"2")
        self.assertEqual(self.rc.call("INCR", "n"), 3)

    def test_decr(self):
        self.assertEqual(self.r.decr("n"), -1)
        self.assertEqual(self.r.decr("n"), -2)
        self.assertEqual(self.r.get("n"), b"-2")

    def test_incrby_decrby(self):
        self.r.set("n", "10")
        self.assertEqual(self.r.incrby("n", 25), 35)
        self.assertEqual(self.r.decrby("n", 50), -15)
        self.assertEqual(self.rc.call("INCRBY", "n", "-5"), -20)
        self.assertEqual(self.rc.call("DECRBY", "n", "-30"), 10)
        self.assertEqual(self.r.get("n"), b"10")

    def test_incr_keeps_ttl(self):
        self.r.set("n", "5", ex=100)
        self.r.incr("n")
        self.assertTTLAbout("n", 100)
        self.assertEqual(self.r.get("n"), b"6")

    def test_incr_on_non_integer_values(self):
        for value in ["abc", "1.5", " 1", "1 ", "", "0x10", "+", "12a", str(LLONG_MAX + 1), "1e3"]:
            with self.subTest(value=value):
                self.r.set("n", value)
                self.assertErr("ERR value is not an integer or out of range", "INCR", "n")
                self.assertEqual(self.r.get("n"), value.encode())

    def test_incr_accepts_negative_and_extreme_values(self):
        self.r.set("n", "-10")
        self.assertEqual(self.r.incr("n"), -9)
        self.r.set("n", str(LLONG_MAX - 1))
        self.assertEqual(self.r.incr("n"), LLONG_MAX)
        self.r.set("n", str(LLONG_MIN + 1))
        self.assertEqual(self.r.decr("n"), LLONG_MIN)

    def test_overflow(self):
        self.r.set("n", str(LLONG_MAX))
        self.assertErr("ERR increment or decrement would overflow", "INCR", "n")
        self.assertErr("ERR increment or decrement would overflow", "INCRBY", "n", "1")
        self.assertEqual(self.r.get("n"), str(LLONG_MAX).encode())
        self.r.set("n", str(LLONG_MIN))
        self.assertErr("ERR increment or decrement would overflow", "DECR", "n")
        self.assertErr("ERR increment or decrement would overflow", "DECRBY", "n", "1")
        self.assertErr("ERR increment or decrement would overflow", "INCRBY", "n", "-1")
        self.assertEqual(self.r.get("n"), str(LLONG_MIN).encode())
        self.r.set("n", "1")
        self.assertErr("ERR increment or decrement would overflow", "INCRBY", "n", str(LLONG_MAX))

    def test_decrby_llong_min(self):
        self.r.set("n", "0")
        self.assertErr("ERR decrement would overflow", "DECRBY", "n", str(LLONG_MIN))
        self.assertEqual(self.r.get("n"), b"0")

    def test_incrby_bad_increment(self):
        for value in ["x", "1.0", "", str(LLONG_MAX + 1)]:
            with self.subTest(value=value):
                self.assertErr("ERR value is not an integer or out of range", "INCRBY", "n", value)
                self.assertErr("ERR value is not an integer or out of range", "DECRBY", "n", value)
        self.assertEqual(self.r.exists("n"), 0)

    def test_counter_arity(self):
        self.assertErr("ERR wrong number of arguments for 'incr' command", "INCR")
        self.assertErr("ERR wrong number of arguments for 'incr' command", "INCR", "a", "b")
        self.assertErr("ERR wrong number of arguments for 'decr' command", "DECR")
        self.assertErr("ERR wrong number of arguments for 'incrby' command", "INCRBY", "a")
        self.assertErr("ERR wrong number of arguments for 'decrby' command", "DECRBY", "a")
        self.assertErr("ERR wrong number of arguments for 'incrbyfloat' command", "INCRBYFLOAT", "a")

    def test_incrbyfloat(self):
        self.assertEqual(self.r.incrbyfloat("f", 10.5), 10.5)
        self.assertEqual(self.r.get("f"), b"10.5")
        # The reply is a bulk string in Redis's shortest form.
        self.assertEqual(self.rc.call("INCRBYFLOAT", "f", "0.1"), b"10.6")
        self.assertEqual(self.rc.call("INCRBYFLOAT", "f", "-5"), b"5.6")
        self.assertEqual(self.rc.call("INCRBYFLOAT", "f", "-5.6"), b"0")
        self.assertEqual(self.r.get("f"), b"0")

    def test_incrbyfloat_formats(self):
        self.r.set("f", "5.0e3")
        self.assertEqual(self.rc.call("INCRBYFLOAT", "f", "2.0e2"), b"5200")
        self.r.set("g", "1")
        self.assertEqual(self.rc.call("INCRBYFLOAT", "g", "0.5"), b"1.5")
        self.assertEqual(self.rc.call("INCRBYFLOAT", "missing", "3"), b"3")
        self.assertEqual(self.rc.call("INCRBYFLOAT", "neg", "-2.25"), b"-2.25")
        self.r.set("i", "17")
        self.assertEqual(self.rc.call("INCRBYFLOAT", "i", "1"), b"18")

    def test_incrbyfloat_keeps_ttl(self):
        self.r.set("f", "1", ex=100)
        self.r.incrbyfloat("f", 1.5)
        self.assertTTLAbout("f", 100)

    def test_incrbyfloat_errors(self):
        self.r.set("s", "abc")
        self.assertErr("ERR value is not a valid float", "INCRBYFLOAT", "s", "1")
        self.assertErr("ERR value is not a valid float", "INCRBYFLOAT", "f", "abc")
        self.assertErr("ERR value is not a valid float", "INCRBYFLOAT", "f", "")
        self.assertErr("ERR value is not a valid float", "INCRBYFLOAT", "f", "1.5x")
        self.r.set("sp", "1.5 ")
        self.assertErr("ERR value is not a valid float", "INCRBYFLOAT", "sp", "1")
        self.assertEqual(self.r.exists("f"), 0)
        self.assertEqual(self.r.get("s"), b"abc")

    def test_incrbyfloat_nan_or_infinity(self):
        self.r.set("f", "1")
        self.assertErr("ERR increment would produce NaN or Infinity", "INCRBYFLOAT", "f", "inf")
        self.assertErr("ERR increment would produce NaN or Infinity", "INCRBYFLOAT", "f", "-inf")
        self.assertEqual(self.r.get("f"), b"1")


if __name__ == "__main__":
    unittest.main()
