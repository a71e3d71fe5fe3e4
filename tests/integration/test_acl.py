"""ACL for ringkv's one user, "default" (all permissions, the password of
requirepass): every subcommand that looks answers as redis-server 7.0 does,
byte for byte, with and without requirepass; the ones that would create or
store users are refused. Each request goes to the server under test and to a
reference redis-server."""

import unittest

import support
from test_differential import start_reference
from test_protocol import Conn, parse_reply, resp

PASSWORD = "acl-pw"

SAME = [
    ("ACL", "WHOAMI"), ("ACL", "USERS"), ("ACL", "LIST"), ("ACL", "GETUSER", "default"),
    ("ACL", "GETUSER", "nobody"), ("ACL", "CAT"), ("ACL", "CAT", "nosuch"),
    ("ACL", "CAT", "a", "b"), ("ACL", "LOG"), ("ACL", "LOG", "RESET"),
    ("ACL", "LOG", "5"), ("ACL", "LOG", "x"), ("ACL", "LOG", "1", "2"), ("ACL", "GENPASS", "0"),
    ("ACL", "GENPASS", "4097"), ("ACL", "GENPASS", "x"), ("ACL", "GENPASS", "1", "2"),
    ("ACL", "DELUSER", "default"), ("ACL", "DELUSER", "bob"), ("ACL", "DELUSER", "bob", "default"),
    ("ACL", "SAVE"), ("ACL", "LOAD"), ("ACL", "DRYRUN", "default", "get", "k"),
    ("ACL", "DRYRUN", "bob", "get", "k"), ("ACL", "DRYRUN", "default", "nosuch"),
    ("ACL", "DRYRUN", "default", "get"), ("ACL", "DRYRUN", "default", "client", "list"),
    ("ACL", "DRYRUN", "default"), ("ACL", "DRYRUN", "default", "config", "foo"),
    ("ACL", "DRYRUN", "default", "config", "get"), ("ACL", "DRYRUN", "default", "config|get", "x"),
    ("ACL", "DRYRUN", "default", "config"), ("ACL", "DRYRUN", "default", "CONFIG", "GET", "x"),
    ("ACL", "DRYRUN", "default", "client", "id", "x"), ("ACL", "CAT", "x" * 300),
    ("ACL", "NOSUCH"), ("ACL",), ("ACL", "WHOAMI", "x"),
    ("ACL", "GETUSER"), ("ACL", "USERS", "x"),
]


class AclCase(unittest.TestCase):
    ARGS = ()

    def setUp(self):
        self.server = support.ServerProcess(self.ARGS)
        self.addCleanup(self.server.cleanup)
        self.server.start()
        ref = support.ServerProcess(self.ARGS, binary=start_reference(self).binary)
        self.addCleanup(ref.cleanup)
        ref.start()
        self.sut, self.ref = self.connect(self.server.port), self.connect(ref.port)

    def connect(self, port):
        c = Conn(port)
        self.addCleanup(c.close)
        if self.ARGS:
            self.assertEqual(c.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")
        return c

    def same(self, *args):
        want, got = self.ref.call_raw(resp(*args)), self.sut.call_raw(resp(*args))
        self.assertEqual(got, want, args)
        return got

    def check_all(self):
        for args in SAME:
            with self.subTest(args=args):
                self.same(*args)
        # The commands of a category, in Redis in its hash table's order.
        for category in ("string", "bitmap", "transaction"):
            want, got = (sorted(parse_reply(c.call_raw(resp("ACL", "CAT", category)))[0])
                         for c in (self.ref, self.sut))
            self.assertEqual(got, want, category)
        for proto in ("3", "2"):  # GETUSER's flags are a set in RESP3
            self.assertEqual(self.sut.call_raw(resp("HELLO", proto))[:1],
                             self.ref.call_raw(resp("HELLO", proto))[:1])
            self.same("ACL", "GETUSER", "default")
        for bits, digits in ((None, 64), ("32", 8), ("1", 1), ("4096", 1024), ("5", 2)):
            args = ("ACL", "GENPASS") + ((bits,) if bits else ())
            password = parse_reply(self.sut.call_raw(resp(*args)))[0]
            self.assertRegex(password.decode(), "^[0-9a-f]{%d}$" % digits)
        self.assertNotEqual(self.sut.call_raw(resp("ACL", "GENPASS")),
                            self.sut.call_raw(resp("ACL", "GENPASS")))


class AclWithoutPasswordTest(AclCase):
    def test_same_as_redis(self):
        self.check_all()

    def test_setuser_is_refused(self):
        if support.IS_REDIS:
            self.skipTest("redis-server creates users")
        self.assertTrue(self.sut.call_raw(resp("ACL", "SETUSER", "bob", "on")).startswith(
            b"-ERR ringkv has only the default user"))
        self.same("ACL", "USERS")


class AclWithPasswordTest(AclCase):
    ARGS = ("--requirepass", PASSWORD)

    def test_same_as_redis(self):
        self.check_all()
        # The password is listed as its SHA-256, and follows CONFIG SET.
        self.same("CONFIG", "SET", "requirepass", "other-pw")
        self.same("ACL", "LIST")
        self.same("ACL", "GETUSER", "default")
        self.same("CONFIG", "SET", "requirepass", "")
        self.same("ACL", "LIST")
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call_raw(resp("ACL", "WHOAMI")), b"$7\r\ndefault\r\n")


if __name__ == "__main__":
    unittest.main()
