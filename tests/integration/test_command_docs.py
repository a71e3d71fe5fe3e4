"""COMMAND DOCS argument trees, the part redis-cli and GUIs read: each
argument's name, type, token, flags and nested arguments. The expectations
are redis-server 7.0's own trees (RINGKV_SERVER=/usr/bin/redis-server runs
these tests against it); fields we do not write ("since", "display_text")
are left out of the comparison.
"""

import unittest

import support
from test_protocol import Conn, parse_reply, resp


def as_map(flat):
    """A RESP2 map (a flat [key, value, ...] array) as a dict with str keys."""
    return {k.decode(): v for k, v in zip(flat[0::2], flat[1::2])}


def simplify(args):
    """The comparable part of a list of argument maps."""
    out = []
    for a in args:
        a = as_map(a)
        item = [a["name"].decode(), a["type"].decode()]
        if "token" in a:
            item.append(a["token"].decode())
        flags = sorted(f.decode() for f in a.get("flags", []))
        if flags:
            item.append(flags)
        if "arguments" in a:
            item.append(simplify(a["arguments"]))
        out.append(item)
    return out


EXPIRY = ["expiration", "oneof", ["optional"], [
    ["seconds", "integer", "EX"], ["milliseconds", "integer", "PX"],
    ["unix-time-seconds", "unix-time", "EXAT"], ["unix-time-milliseconds", "unix-time", "PXAT"]]]

EXPECTED = {
    "get": [["key", "key"]],
    "del": [["key", "key", ["multiple"]]],
    "mset": [["key_value", "block", ["multiple"], [["key", "key"], ["value", "string"]]]],
    "set": [["key", "key"], ["value", "string"],
            ["condition", "oneof", ["optional"], [["nx", "pure-token", "NX"], ["xx", "pure-token", "XX"]]],
            ["get", "pure-token", "GET", ["optional"]],
            EXPIRY[:3] + [EXPIRY[3] + [["keepttl", "pure-token", "KEEPTTL"]]]],
    "getex": [["key", "key"], EXPIRY[:3] + [EXPIRY[3] + [["persist", "pure-token", "PERSIST"]]]],
    "expire": [["key", "key"], ["seconds", "integer"],
               ["condition", "oneof", ["optional"], [["nx", "pure-token", "NX"], ["xx", "pure-token", "XX"],
                                                     ["gt", "pure-token", "GT"], ["lt", "pure-token", "LT"]]]],
    "scan": [["cursor", "integer"], ["pattern", "pattern", "MATCH", ["optional"]],
             ["count", "integer", "COUNT", ["optional"]], ["type", "string", "TYPE", ["optional"]]],
}


class CommandDocsArgumentsTest(support.ServerTestCase):
    def docs(self, name):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        reply = parse_reply(c.call_raw(resp("COMMAND", "DOCS", name)))[0]
        self.assertEqual(reply[0], name.encode())
        return as_map(reply[1])

    def test_argument_trees_match_redis(self):
        for name, expected in EXPECTED.items():
            with self.subTest(command=name):
                self.assertEqual(simplify(self.docs(name)["arguments"]), expected)

    def test_commands_without_arguments_leave_the_field_out(self):
        self.assertNotIn("arguments", self.docs("dbsize"))
        self.assertNotIn("arguments", self.docs("multi"))

    def test_key_arguments_point_at_a_key_spec(self):
        args = self.docs("get")["arguments"]
        self.assertEqual(as_map(args[0])["key_spec_index"], 0)


if __name__ == "__main__":
    unittest.main()
