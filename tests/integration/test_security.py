"""Who may talk to the server: requirepass (nothing but AUTH, HELLO ... AUTH,
QUIT and RESET before authenticating; wrong passwords refused and counted;
no big requests from strangers), rename-command, and protected mode seen
from a real non-loopback client.

The non-loopback client lives in a network namespace this file creates for
itself: a veth pair with a private /30 from 10.213.0.0/16 used only between
its two ends, torn down again after each class. That part needs root and
iproute2 and is skipped without them.

Expected texts were checked against Redis 7.0 (RINGKV_SERVER=/usr/bin/redis-server).
"""

import json
import os
import shutil
import socket
import subprocess
import unittest

import support
from test_limits import Bystander, close_client, info_fields
from test_protocol import Conn, parse_reply, read_until_closed, resp

PASSWORD = "s3cret-pw"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                b"HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
                b"the RESP protocol version at the same time\r\n")
DENIED_PREFIX = b"-DENIED Redis is running in protected mode because protected mode is enabled"
# Redis 7.0's whole message, byte for byte.
DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no password "
    b"is set for the default user. In this mode connections are only accepted from the loopback "
    b"interface. If you want to connect from external computers to Redis you may adopt one of the "
    b"following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    b"protected-mode no' from the loopback interface by connecting to Redis from the same host the "
    b"server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
    b"so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the "
    b"protected mode by editing the Redis configuration file, and setting the protected mode option "
    b"to 'no', and then restarting the server. 3) If you started the server manually just for "
    b"testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication "
    b"password for the default user. NOTE: You only need to do one of the above things in order for "
    b"the server to start accepting connections from the outside.\r\n")


def unknown_command(name, *args):
    return b"-ERR unknown command '%s', with args beginning with: %s\r\n" % (
        name, b"".join(b"'%s' " % a for a in args))


class AuthCase(support.ServerTestCase):
    """A server with requirepass; self.r is an authenticated redis-py client."""

    server_args = ("--requirepass", PASSWORD)

    def setUp(self):
        self.r = self.server.client(password=PASSWORD)
        self.addCleanup(close_client, self.r)

    def conn(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        return c

    def assertServerUp(self):
        self.assertIsNone(self.server.proc.poll(), "server exited:\n" + self.server.read_log())
        c = self.server.client(password=PASSWORD, socket_timeout=10)
        try:
            self.assertTrue(c.ping())
        finally:
            close_client(c)


class RequirePassTest(AuthCase):
    # Each of these must get exactly NOAUTH from a client that has not
    # authenticated, and must have done nothing.
    REFUSED = [
        ("PING",), ("PING", "hello"), ("ECHO", "x"), ("GET", "sec:k"), ("SET", "sec:k", "evil"),
        ("MSET", "sec:a", "1", "sec:b", "2"), ("INCR", "sec:n"), ("APPEND", "sec:k", "x"),
        ("DEL", "sec:k"), ("UNLINK", "sec:k"), ("EXPIRE", "sec:k", "1"), ("RENAME", "sec:k", "sec:k2"),
        ("COPY", "sec:k", "sec:k3"), ("EXISTS", "sec:k"), ("TYPE", "sec:k"), ("KEYS", "*"),
        ("SCAN", "0"), ("RANDOMKEY",), ("DBSIZE",), ("FLUSHALL",), ("FLUSHDB",), ("SELECT", "0"),
        ("INFO",), ("INFO", "server"), ("CONFIG", "GET", "requirepass"),
        ("CONFIG", "SET", "requirepass", ""), ("CONFIG", "SET", "maxclients", "5"),
        ("CLIENT", "LIST"), ("CLIENT", "SETNAME", "intruder"), ("CLIENT", "KILL", "TYPE", "normal"),
        ("COMMAND",), ("COMMAND", "COUNT"), ("MULTI",), ("WATCH", "sec:k"), ("DISCARD",),
        ("SLOWLOG", "GET"), ("TIME",), ("LASTSAVE",), ("SAVE",), ("BGSAVE",), ("READONLY",),
        ("MEMORY", "USAGE", "sec:k"), ("SHUTDOWN", "NOSAVE"), ("SHUTDOWN",),
    ]

    def test_nothing_but_auth_hello_quit_works_before_auth(self):
        self.r.set("sec:k", "original")
        by = Bystander(self.server, password=PASSWORD)
        self.addCleanup(close_client, by.client)
        c = self.conn()
        for cmd in self.REFUSED:
            with self.subTest(cmd=cmd):
                self.assertEqual(c.call_raw(resp(*cmd)), NOAUTH)
        with self.subTest(cmd="inline PING"):
            self.assertEqual(c.call_raw(b"PING\r\n"), NOAUTH)
        with self.subTest(cmd="HELLO 3 without AUTH"):
            self.assertEqual(c.call_raw(resp("HELLO", "3")), HELLO_NOAUTH)
        # Nothing happened: the data, the config and the server are as they were.
        self.assertEqual(self.r.get("sec:k"), b"original")
        self.assertEqual(self.r.keys("sec:*"), [b"sec:k"])
        self.assertEqual(self.r.config_get("maxclients")["maxclients"], "10000")
        self.assertEqual(self.r.config_get("requirepass")["requirepass"], PASSWORD)
        names = [cl.get("name") for cl in self.r.client_list()]
        self.assertNotIn("intruder", names)
        # The refused client was not killed, the bystander was served all along.
        self.assertEqual(c.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("GET", "sec:k")), b"$8\r\noriginal\r\n")
        by.finish(self)
        self.assertServerUp()

    def test_quit_and_reset_work_before_auth(self):
        c = self.conn()
        # RESET carries Redis's no-auth flag too: it only resets the connection.
        self.assertEqual(c.call_raw(resp("RESET")), b"+RESET\r\n")
        self.assertEqual(c.call_raw(resp("GET", "sec:k")), NOAUTH)
        c.send(resp("QUIT"))
        data, closed = read_until_closed(c.sock)
        self.assertEqual(data, b"+OK\r\n")
        self.assertTrue(closed)

    def test_exec_before_auth_is_an_execabort(self):
        # Redis turns any refused EXEC into EXECABORT, so clients raise the
        # transaction error they expect.
        c = self.conn()
        self.assertEqual(c.call_raw(resp("MULTI")), NOAUTH)
        self.assertEqual(c.call_raw(resp("EXEC")),
                         b"-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n")

    def test_auth_default_user_and_password_only(self):
        a = self.conn()
        self.assertEqual(a.call_raw(resp("AUTH", "default", PASSWORD)), b"+OK\r\n")
        self.assertEqual(a.call_raw(resp("SET", "sec:a", "1")), b"+OK\r\n")
        self.assertEqual(a.call_raw(resp("PING")), b"+PONG\r\n")
        b = self.conn()
        self.assertEqual(b.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")
        self.assertEqual(b.call_raw(resp("GET", "sec:a")), b"$1\r\n1\r\n")
        # Authentication belongs to one connection.
        other = self.conn()
        self.assertEqual(other.call_raw(resp("GET", "sec:a")), NOAUTH)
        self.r.delete("sec:a")

    def test_wrong_passwords_are_refused_and_counted(self):
        counter = "acl_access_denied_auth"   # Redis 7.2's name; 7.0 has no counter
        before = info_fields(self.r, "stats").get(counter)
        c = self.conn()
        attempts = [
            resp("AUTH", "wrong"),
            resp("AUTH", "default", "wrong"),
            resp("AUTH", "nobody", PASSWORD),
            resp("AUTH", PASSWORD + "x"),
            resp("AUTH", ""),
            resp("HELLO", "3", "AUTH", "default", "wrong"),
        ]
        for a in attempts:
            with self.subTest(attempt=a):
                self.assertEqual(c.call_raw(a), WRONGPASS)
        # Still not authenticated, still connected.
        self.assertEqual(c.call_raw(resp("GET", "sec:k")), NOAUTH)
        after = info_fields(self.r, "stats").get(counter)
        if before is not None:
            self.assertEqual(int(after) - int(before), len(attempts), "INFO stats %s" % counter)
        self.assertEqual(c.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")

    def test_hello3_auth_setname(self):
        c = self.conn()
        raw = c.call_raw(resp("HELLO", "3", "AUTH", "default", PASSWORD, "SETNAME", "x"))
        self.assertTrue(raw.startswith(b"%"), raw[:60])
        fields = dict(parse_reply(raw)[0])
        self.assertEqual(fields[b"proto"], 3)
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$1\r\nx\r\n")
        self.assertEqual(c.call_raw(resp("GET", "sec:missing")), b"_\r\n")   # RESP3 null
        self.assertIn("x", [cl.get("name") for cl in self.r.client_list()])

    def test_unauthenticated_clients_cannot_send_big_requests(self):
        # Before AUTH a request may have at most 10 elements of at most 16 KB,
        # so a stranger cannot make the server hold memory for him.
        by = Bystander(self.server, password=PASSWORD)
        self.addCleanup(close_client, by.client)
        cases = [
            (b"*11\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
            (b"*2147483647\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
            (b"*1\r\n$16385\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n"),
            (b"*2\r\n$4\r\nAUTH\r\n$100000000\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n"),
        ]
        for payload, want in cases:
            with self.subTest(payload=payload):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
                try:
                    s.sendall(payload)
                    data, closed = read_until_closed(s, timeout=5.0)
                finally:
                    s.close()
                self.assertEqual(data, want)
                self.assertTrue(closed)
        # Once authenticated, the same sizes are fine.
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")
        args = ["MSET"] + ["sec:m%d" % (i // 2) if i % 2 == 0 else "v" for i in range(20)]
        self.assertEqual(c.call_raw(resp(*args)), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("SET", "sec:big", "b" * 100000)), b"+OK\r\n")
        self.r.delete("sec:big", *["sec:m%d" % i for i in range(10)])
        by.finish(self)
        self.assertServerUp()

    def restore_password(self, other):
        """Puts PASSWORD back whichever of the two is in force."""
        for pw in (PASSWORD, other):
            c = self.server.client(password=pw)
            try:
                c.config_set("requirepass", PASSWORD)
                return
            except Exception:  # noqa: BLE001 - that password was not the one
                pass
            finally:
                close_client(c)

    def test_requirepass_changed_at_runtime(self):
        self.addCleanup(self.restore_password, "new-pw")
        kept = self.conn()
        self.assertEqual(kept.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")
        self.assertTrue(self.r.config_set("requirepass", "new-pw"))
        # Connections already in keep working; new ones need the new password.
        self.assertEqual(kept.call_raw(resp("PING")), b"+PONG\r\n")
        c = self.conn()
        self.assertEqual(c.call_raw(resp("GET", "sec:k")), NOAUTH)
        self.assertEqual(c.call_raw(resp("AUTH", PASSWORD)), WRONGPASS)
        self.assertEqual(c.call_raw(resp("AUTH", "default", "new-pw")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("CONFIG", "SET", "requirepass", PASSWORD)), b"+OK\r\n")
        d = self.conn()
        self.assertEqual(d.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")


class SecretsStayOutOfTheSlowlogTest(AuthCase):
    """Passwords never reach SLOWLOG: AUTH's, HELLO AUTH's, the value of
    CONFIG SET requirepass and the rules of ACL SETUSER are "(redacted)",
    as in Redis."""

    def test_slowlog_redacts_passwords(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", PASSWORD)), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("CONFIG", "SET", "slowlog-log-slower-than", "0")),
                         b"+OK\r\n")
        self.addCleanup(c.call_raw, resp("CONFIG", "SET", "slowlog-log-slower-than", "10000"))
        self.assertEqual(c.call_raw(resp("SLOWLOG", "RESET")), b"+OK\r\n")
        c.call_raw(resp("AUTH", "wrong-secret"))
        c.call_raw(resp("AUTH", "default", PASSWORD))
        c.call_raw(resp("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "n"))
        self.addCleanup(c.call_raw, resp("CONFIG", "SET", "requirepass", PASSWORD))
        self.assertEqual(c.call_raw(resp("CONFIG", "SET", "requirepass", "new-secret", "timeout", "0")),
                         b"+OK\r\n")
        c.call_raw(resp("ACL", "SETUSER", "bob", "on", ">bob-secret"))
        entries = parse_reply(c.call_raw(resp("SLOWLOG", "GET", "-1")))[0]
        logged = [[a.decode() for a in e[3]] for e in entries]
        text = repr(logged)
        for secret in ("wrong-secret", PASSWORD, "new-secret", "bob-secret"):
            self.assertNotIn(secret, text)
        for want in (["AUTH", "(redacted)"], ["AUTH", "(redacted)", "(redacted)"],
                     ["HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"],
                     ["CONFIG", "SET", "requirepass", "(redacted)", "timeout", "0"],
                     ["ACL", "SETUSER", "(redacted)", "(redacted)", "(redacted)"]):
            self.assertIn(want, logged)


DEBUG_REFUSED = (b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to '
                 b'"local", you can run it from a local connection, otherwise you need to set this '
                 b'option in the configuration file, and then restart the server.\r\n')


class DebugRefusedByDefaultTest(support.ServerTestCase):
    """enable-debug-command no (the default, as in Redis 7): DEBUG is
    refused, after its arity check, also inside MULTI (which it dooms)."""

    def test_debug_is_refused(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call_raw(resp("CONFIG", "GET", "enable-debug-command")),
                         b"*2\r\n$20\r\nenable-debug-command\r\n$2\r\nno\r\n")
        self.assertEqual(c.call_raw(resp("DEBUG", "SLEEP", "0")), DEBUG_REFUSED)
        self.assertEqual(c.call_raw(resp("DEBUG", "HELP")), DEBUG_REFUSED)
        self.assertEqual(c.call_raw(resp("DEBUG")),
                         b"-ERR wrong number of arguments for 'debug' command\r\n")
        self.assertEqual(c.call_raw(resp("MULTI")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("DEBUG", "SLEEP", "0")), DEBUG_REFUSED)
        self.assertTrue(c.call_raw(resp("EXEC")).startswith(b"-EXECABORT"))
        self.assertTrue(c.call_raw(resp("CONFIG", "SET", "enable-debug-command", "yes")).startswith(
            b"-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command')"))


class DebugRefusedBeforeAuthTest(AuthCase):
    def test_debug_is_refused_before_noauth(self):
        c = self.conn()  # not authenticated
        self.assertEqual(c.call_raw(resp("DEBUG", "SLEEP", "0")), DEBUG_REFUSED)
        self.assertEqual(c.call_raw(resp("GET", "k")), NOAUTH)


class DebugAllowedTest(support.ServerTestCase):
    server_args = ("--enable-debug-command", "local")

    def test_loopback_clients_may_debug(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call_raw(resp("DEBUG", "SLEEP", "0")), b"+OK\r\n")


class RenameCommandTest(support.ServerTestCase):
    server_args = ("--rename-command", "FLUSHALL", "", "--rename-command", "CONFIG", "cfg42")

    def setUp(self):
        self.r = self.server.client()   # FLUSHALL is gone, so no flush here
        self.addCleanup(close_client, self.r)

    def conn(self):
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        return c

    def test_command_renamed_to_nothing_is_unknown(self):
        self.r.set("rn:k", "kept")
        c = self.conn()
        self.assertEqual(c.call_raw(resp("FLUSHALL")), unknown_command(b"FLUSHALL"))
        self.assertEqual(c.call_raw(resp("flushall")), unknown_command(b"flushall"))
        self.assertEqual(c.call_raw(resp("FLUSHALL", "ASYNC")), unknown_command(b"FLUSHALL", b"ASYNC"))
        self.assertEqual(c.call_raw(b"FLUSHALL\r\n"), unknown_command(b"FLUSHALL"))
        # Renaming to "" must not create a command with an empty name.
        self.assertEqual(c.call_raw(resp("")), unknown_command(b""))
        self.assertEqual(c.call_raw(resp("GET", "rn:k")), b"$4\r\nkept\r\n")
        # MULTI queues nothing for it and EXEC aborts.
        self.assertEqual(c.call_raw(resp("MULTI")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("FLUSHALL")), unknown_command(b"FLUSHALL"))
        self.assertEqual(c.call_raw(resp("EXEC")),
                         b"-EXECABORT Transaction discarded because of previous errors.\r\n")
        self.assertEqual(self.r.get("rn:k"), b"kept")
        self.r.delete("rn:k")

    def test_command_renamed_to_a_new_name(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CONFIG", "GET", "maxclients")),
                         unknown_command(b"CONFIG", b"GET", b"maxclients"))
        self.assertEqual(c.call_raw(resp("config", "set", "slowlog-max-len", "7")),
                         unknown_command(b"config", b"set", b"slowlog-max-len", b"7"))
        self.assertEqual(parse_reply(c.call_raw(resp("cfg42", "GET", "maxclients")))[0],
                         [b"maxclients", b"10000"])
        self.assertEqual(c.call_raw(resp("CFG42", "SET", "slowlog-max-len", "77")), b"+OK\r\n")
        self.assertEqual(parse_reply(c.call_raw(resp("Cfg42", "GET", "slowlog-max-len")))[0],
                         [b"slowlog-max-len", b"77"])
        self.assertEqual(c.call_raw(resp("cfg42", "SET", "slowlog-max-len", "128")), b"+OK\r\n")
        # Commands that were not renamed are untouched.
        self.assertEqual(c.call_raw(resp("PING")), b"+PONG\r\n")
        self.assertEqual(c.call_raw(resp("FLUSHDB")), b"+OK\r\n")


# ---------------------------------------------------------------- protected mode

HAVE_NETNS = os.geteuid() == 0 and shutil.which("ip") is not None
NETNS_NEEDS = "protected mode tests need root and iproute2's `ip` (to build a network namespace)"

# Runs inside the namespace: connects, takes what the server says unasked,
# then sends each payload and takes its answer. Prints JSON.
NETNS_CLIENT = r"""
import json, socket, sys, time
host, port, payloads = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
out = {"unasked": "", "replies": [], "closed": False, "error": ""}
def read(first_wait):
    s.settimeout(first_wait)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                out["closed"] = True
                break
            data += chunk
            s.settimeout(0.3)
    except socket.timeout:
        pass
    except ConnectionResetError:
        out["closed"] = True
    return data.decode("latin1")
try:
    s = socket.create_connection((host, port), timeout=5)
    out["unasked"] = read(0.7)
    for p in payloads:
        if out["closed"]:
            break
        s.sendall(p.encode("latin1"))
        out["replies"].append(read(5.0))
    s.close()
except OSError as e:
    out["error"] = repr(e)
print(json.dumps(out))
"""


class NetNs:
    """A network namespace joined to this host by a veth pair, with
    10.213.X.1 on the host end and 10.213.X.2 inside, X chosen so that no
    address of the host is in that /30."""

    def __init__(self):
        pid = os.getpid()
        self.name = "ringkv-t-%d" % pid
        self.host_if = "rkvh%d" % (pid % 10000000)   # interface names: at most 15 bytes
        self.ns_if = "rkvn%d" % (pid % 10000000)
        self.host_ip = self.ns_ip = None

    def ip(self, *args, ns=False, check=True):
        # nsenter joins the namespace without iproute2's remount of / (`ip
        # netns exec`, `ip -n`), which fails where / is not a mount point.
        prefix = ["nsenter", "--net=/var/run/netns/" + self.name] if ns else []
        cmd = prefix + ["ip"] + list(args)
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=20)

    def pick_subnet(self):
        used = self.ip("-o", "-4", "addr", "show").stdout + self.ip("-4", "route", "show").stdout
        start = os.getpid() % 254
        for i in range(254):
            x = (start + i) % 254 + 1
            if "10.213.%d." % x not in used:
                return x
        raise unittest.SkipTest("no free /30 in 10.213.0.0/16 on this host")

    def up(self):
        x = self.pick_subnet()
        self.host_ip, self.ns_ip = "10.213.%d.1" % x, "10.213.%d.2" % x
        try:
            self.ip("netns", "add", self.name)
            self.ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
            self.ip("link", "set", self.ns_if, "netns", self.name)
            self.ip("addr", "add", self.host_ip + "/30", "dev", self.host_if)
            self.ip("link", "set", self.host_if, "up")
            self.ip("addr", "add", self.ns_ip + "/30", "dev", self.ns_if, ns=True)
            self.ip("link", "set", self.ns_if, "up", ns=True)
            self.ip("link", "set", "lo", "up", ns=True)
        except subprocess.CalledProcessError as e:
            self.down()
            raise RuntimeError("network namespace setup failed: %s %s" % (e.cmd, e.stderr))
        return self

    def down(self):
        self.ip("link", "del", self.host_if, check=False)   # takes its peer with it
        self.ip("netns", "del", self.name, check=False)

    def client(self, port, payloads=()):
        """Connects from inside the namespace to the host end; see NETNS_CLIENT."""
        out = subprocess.run(
            ["nsenter", "--net=/var/run/netns/" + self.name, "/usr/bin/python3", "-c", NETNS_CLIENT,
             self.host_ip, str(port), json.dumps([p.decode("latin1") for p in payloads])],
            capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError("namespace client failed: %s" % out.stderr)
        res = json.loads(out.stdout)
        res["unasked"] = res["unasked"].encode("latin1")
        res["replies"] = [r.encode("latin1") for r in res["replies"]]
        return res


class ProtectedModeCase(unittest.TestCase):
    password = None

    @classmethod
    def setUpClass(cls):
        # Not a skip: a check that could not run must not count as passed.
        if not HAVE_NETNS:
            raise AssertionError(NETNS_NEEDS)
        cls.netns = NetNs()
        cls.addClassCleanup(cls.netns.down)
        cls.netns.up()
        args = ["--bind", "127.0.0.1", cls.netns.host_ip, "--protected-mode", "yes"]
        if cls.password:
            args += ["--requirepass", cls.password]
        cls.server = support.ServerProcess(args)
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()

    def setUp(self):
        self.r = self.server.client(password=self.password)
        self.addCleanup(close_client, self.r)

    def first_answer(self, res):
        """What the outside client got first: unasked, or the first reply."""
        return res["unasked"] or (res["replies"][0] if res["replies"] else b"")

    def assertServerUp(self):
        self.assertIsNone(self.server.proc.poll(), "server exited:\n" + self.server.read_log())
        self.assertTrue(self.r.ping())


class ProtectedModeTest(ProtectedModeCase):
    def test_outside_client_is_denied_loopback_is_served(self):
        by = Bystander(self.server)
        self.addCleanup(close_client, by.client)
        res = self.netns.client(self.server.port, [b"PING\r\n", b"PING\r\n"])
        self.assertEqual(res["error"], "")
        got = self.first_answer(res)
        self.assertTrue(got.startswith(DENIED_PREFIX), got[:120])
        self.assertEqual(got, DENIED)
        self.assertTrue(res["closed"], "the denied connection should be closed")
        self.assertNotIn(b"+PONG\r\n", b"".join(res["replies"]))
        # Loopback clients are served all along.
        c = Conn(self.server.port)
        self.addCleanup(c.close)
        self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")
        by.finish(self)
        self.assertServerUp()

    def test_config_set_protected_mode_no_lets_the_outside_in(self):
        self.assertTrue(self.r.config_set("protected-mode", "no"))
        try:
            res = self.netns.client(self.server.port, [resp("PING"), resp("SET", "pm:k", "v")])
            self.assertEqual(res["error"], "")
            self.assertEqual(res["unasked"], b"")
            self.assertEqual(res["replies"], [b"+PONG\r\n", b"+OK\r\n"])
        finally:
            self.r.config_set("protected-mode", "yes")
        res = self.netns.client(self.server.port, [b"PING\r\n"])
        self.assertTrue(self.first_answer(res).startswith(DENIED_PREFIX), res)
        self.assertEqual(self.r.get("pm:k"), b"v")
        self.r.delete("pm:k")


class ProtectedModeWithPasswordTest(ProtectedModeCase):
    password = PASSWORD

    def test_outside_client_needs_auth_instead_of_being_denied(self):
        by = Bystander(self.server, password=PASSWORD)
        self.addCleanup(close_client, by.client)
        res = self.netns.client(self.server.port, [
            resp("PING"), resp("GET", "pm:k"), resp("AUTH", "wrong"), resp("AUTH", "default", PASSWORD),
            resp("PING"), resp("SET", "pm:k", "outside")])
        self.assertEqual(res["error"], "")
        self.assertEqual(res["unasked"], b"")
        self.assertEqual(res["replies"], [NOAUTH, NOAUTH, WRONGPASS, b"+OK\r\n", b"+PONG\r\n", b"+OK\r\n"])
        self.assertFalse(res["closed"])
        self.assertEqual(self.r.get("pm:k"), b"outside")
        self.r.delete("pm:k")
        by.finish(self)
        self.assertServerUp()


if __name__ == "__main__":
    unittest.main()
