"""Connection-level commands as a Redis user sees them: PING, ECHO, QUIT,
RESET, SELECT, AUTH, HELLO, the CLIENT family, READONLY, and a server that
requires a password. Expected texts were checked against Redis 7.0.
"""

import socket
import time
import unittest

import redis

import support
from test_protocol import Conn, bulk, parse_reply, read_until_closed, resp

NO_PASSWORD_AUTH = (b"-ERR AUTH <password> called without any password configured for the default "
                    b"user. Are you sure your configuration is correct?\r\n")
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


def client_fields(line):
    """'id=1 addr=... name=x' -> {b'id': b'1', ...}"""
    out = {}
    for part in line.strip().split(b" "):
        k, _, v = part.partition(b"=")
        out[k] = v
    return out


class ConnCase(support.ServerTestCase):
    def conn(self, port=None):
        c = Conn(port or self.server.port)
        self.addCleanup(c.close)
        return c

    def client_id(self, c):
        raw = c.call_raw(b"CLIENT ID\r\n")
        self.assertRegex(raw, rb"^:\d+\r\n$")
        return int(raw[1:-2])

    def client_info(self, c):
        return client_fields(parse_reply(c.call_raw(resp("CLIENT", "INFO")))[0])


class PingEchoQuitTest(ConnCase):
    def test_ping(self):
        self.assertTrue(self.r.ping())
        c = self.conn()
        self.assertEqual(c.call_raw(resp("PING")), b"+PONG\r\n")

    def test_ping_with_argument_is_a_bulk(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("PING", "hello world")), b"$11\r\nhello world\r\n")

    def test_ping_too_many_args(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("PING", "a", "b")), b"-ERR wrong number of arguments for 'ping' command\r\n")

    def test_echo(self):
        self.assertEqual(self.r.echo("hi there"), b"hi there")
        c = self.conn()
        self.assertEqual(c.call_raw(resp("ECHO", "")), b"$0\r\n\r\n")
        self.assertEqual(c.call_raw(resp(b"ECHO", b"\x00\xff\r\n")), bulk(b"\x00\xff\r\n"))
        self.assertEqual(c.call_raw(resp("ECHO")), b"-ERR wrong number of arguments for 'echo' command\r\n")
        self.assertEqual(c.call_raw(resp("ECHO", "a", "b")), b"-ERR wrong number of arguments for 'echo' command\r\n")

    def test_quit_replies_ok_then_closes(self):
        s = self.raw()
        s.sendall(b"QUIT\r\nPING\r\n")
        data, closed = read_until_closed(s)
        s.close()
        self.assertEqual(data, b"+OK\r\n")
        self.assertTrue(closed)

    def test_quit_after_pipelined_writes_keeps_them(self):
        s = self.raw()
        s.sendall(resp("SET", "q1", "v") + resp("INCR", "q2") + resp("QUIT"))
        data, closed = read_until_closed(s)
        s.close()
        self.assertEqual(data, b"+OK\r\n:1\r\n+OK\r\n")
        self.assertTrue(closed)
        self.assertEqual(self.r.get("q1"), b"v")
        self.assertEqual(self.r.get("q2"), b"1")

    def test_redis_py_ping_after_server_side_close_reconnects(self):
        c = self.server.client()
        self.assertTrue(c.ping())
        victim = c.client_id()
        self.assertEqual(self.r.client_kill_filter(_id=victim), 1)
        # redis-py sees the dead socket and the next command on a new one works.
        try:
            c.ping()
        except redis.exceptions.ConnectionError:
            pass
        self.assertTrue(c.ping())
        c.close()


class ResetSelectTest(ConnCase):
    def test_reset(self):
        c = self.conn()
        c.call_raw(resp("CLIENT", "SETNAME", "before-reset"))
        self.assertTrue(c.call_raw(b"HELLO 3\r\n").startswith(b"%"))
        self.assertEqual(c.call_raw(b"RESET\r\n"), b"+RESET\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$-1\r\n")
        self.assertEqual(c.call_raw(resp("GET", "missing")), b"$-1\r\n")  # back to RESP2
        self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")

    def test_reset_takes_no_args(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("RESET", "x")), b"-ERR wrong number of arguments for 'reset' command\r\n")

    def test_reset_keeps_data(self):
        self.r.set("kept", "1")
        c = self.conn()
        self.assertEqual(c.call_raw(b"RESET\r\n"), b"+RESET\r\n")
        self.assertEqual(c.call_raw(resp("GET", "kept")), b"$1\r\n1\r\n")

    def test_select_0(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("SELECT", "0")), b"+OK\r\n")
        c.call_raw(resp("SET", "sel", "x"))
        self.assertEqual(self.r.get("sel"), b"x")

    def test_select_not_an_integer(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("SELECT", "abc")), b"-ERR value is not an integer or out of range\r\n")
        self.assertEqual(c.call_raw(resp("SELECT")), b"-ERR wrong number of arguments for 'select' command\r\n")

    def test_redis_py_with_db0(self):
        c = redis.Redis(host="127.0.0.1", port=self.server.port, db=0, socket_timeout=10)
        self.assertTrue(c.set("x", "1"))
        self.assertEqual(c.get("x"), b"1")
        c.close()


class AuthWithoutPasswordTest(ConnCase):
    def test_auth_one_arg_without_password_configured(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", "foo")), NO_PASSWORD_AUTH)
        self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")

    def test_auth_default_user_any_password_when_nopass(self):
        # The default user has 'nopass', so AUTH default <anything> succeeds.
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", "default", "whatever")), b"+OK\r\n")

    def test_auth_arity(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH")), b"-ERR wrong number of arguments for 'auth' command\r\n")
        self.assertEqual(c.call_raw(resp("AUTH", "a", "b", "c")), b"-ERR syntax error\r\n")

    def test_redis_py_error_class(self):
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            self.r.execute_command("AUTH", "foo")
        self.assertIn("without any password configured", str(cm.exception))


class HelloTest(ConnCase):
    def hello(self, c, *args):
        raw = c.call_raw(resp("HELLO", *args))
        value = parse_reply(raw)[0]
        if isinstance(value, bytes):
            return raw, value
        if raw.startswith(b"%"):
            return raw, dict(value)
        return raw, dict(zip(value[0::2], value[1::2]))

    def test_hello2_setname(self):
        c = self.conn()
        raw, info = self.hello(c, "2", "SETNAME", "myname")
        self.assertTrue(raw.startswith(b"*"), raw[:30])
        self.assertEqual(info[b"proto"], 2)
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$6\r\nmyname\r\n")

    def test_hello3_auth_and_setname(self):
        c = self.conn()
        raw, info = self.hello(c, "3", "AUTH", "default", "anything", "SETNAME", "n3")
        self.assertTrue(raw.startswith(b"%"), raw[:30])
        self.assertEqual(info[b"proto"], 3)
        self.assertEqual(info[b"id"], self.client_id(c))
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$2\r\nn3\r\n")
        self.assertEqual(c.call_raw(resp("GET", "missing")), b"_\r\n")

    def test_hello_bad_setname(self):
        c = self.conn()
        raw = c.call_raw(resp("HELLO", "2", "SETNAME", "bad name"))
        self.assertEqual(raw, b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")

    def test_hello_unknown_option(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("HELLO", "2", "FOO")), b"-ERR Syntax error in HELLO option 'FOO'\r\n")

    def test_hello_reports_client_id(self):
        c = self.conn()
        cid = self.client_id(c)
        _, info = self.hello(c, "2")
        self.assertEqual(info[b"id"], cid)

    def test_redis_py_resp3_style_handshake(self):
        # What newer client libraries send first.
        c = self.conn()
        _, info = self.hello(c, "3", "SETNAME", "lib-conn")
        self.assertEqual(info[b"proto"], 3)
        self.assertEqual(c.call_raw(resp("PING")), b"+PONG\r\n")
        names = [client_fields(l).get(b"name") for l in self.r.execute_command("CLIENT", "LIST").splitlines()]
        self.assertIn(b"lib-conn", names)


class ClientCommandTest(ConnCase):
    def test_client_id_is_unique_and_stable(self):
        a, b = self.conn(), self.conn()
        ida, idb = self.client_id(a), self.client_id(b)
        self.assertNotEqual(ida, idb)
        self.assertGreater(ida, 0)
        self.assertEqual(self.client_id(a), ida)
        c = self.conn()
        self.assertGreater(self.client_id(c), idb)  # ids grow

    def test_getname_setname(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$-1\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "SETNAME", "worker-1")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$8\r\nworker-1\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "SETNAME", "a b")),
                         b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$8\r\nworker-1\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "SETNAME", "")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$-1\r\n")

    def test_setname_arity(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CLIENT", "SETNAME")),
                         b"-ERR wrong number of arguments for 'client|setname' command\r\n")

    def test_redis_py_client_name_helpers(self):
        self.assertTrue(self.r.client_setname("pyname"))
        self.assertEqual(self.r.client_getname(), "pyname")  # redis-py decodes this one

    def test_client_list(self):
        conns = [self.conn() for _ in range(3)]
        ids = []
        for i, c in enumerate(conns):
            c.call_raw(resp("CLIENT", "SETNAME", "lister-%d" % i))
            ids.append(self.client_id(c))
        text = self.r.execute_command("CLIENT", "LIST")
        self.assertIsInstance(text, bytes)
        self.assertTrue(text.endswith(b"\n"))
        lines = text.rstrip(b"\n").split(b"\n")
        self.assertGreaterEqual(len(lines), 4)
        by_id = {}
        for line in lines:
            f = client_fields(line)
            for key in (b"id", b"addr", b"name", b"age", b"idle", b"db", b"cmd"):
                self.assertIn(key, f, line)
            self.assertRegex(f[b"addr"], rb"^127\.0\.0\.1:\d+$")
            by_id[int(f[b"id"])] = f
        for i, cid in enumerate(ids):
            self.assertIn(cid, by_id)
            self.assertEqual(by_id[cid][b"name"], b"lister-%d" % i)
            self.assertEqual(by_id[cid][b"db"], b"0")
        # The lines' client ports are the ones the sockets really use.
        ports = {int(by_id[cid][b"addr"].split(b":")[1]) for cid in ids}
        self.assertEqual(ports, {c.sock.getsockname()[1] for c in conns})

    def test_client_list_cmd_is_null_after_an_unknown_command(self):
        c = self.conn()
        cid = self.client_id(c)
        for sent, want in ((("PING",), b"ping"), (("NOSUCH", "x"), b"NULL"), (("GET", "k"), b"get"),
                           (("CLIENT", "NOSUCH"), b"NULL"), (("GET",), b"get")):
            c.call_raw(resp(*sent))
            line = self.r.execute_command("CLIENT", "LIST", "ID", cid)
            self.assertEqual(client_fields(line.rstrip(b"\n"))[b"cmd"], want, sent)

    def test_client_list_id_filter(self):
        a, b = self.conn(), self.conn()
        ida = self.client_id(a)
        self.client_id(b)
        text = self.r.execute_command("CLIENT", "LIST", "ID", ida)
        lines = text.rstrip(b"\n").split(b"\n")
        self.assertEqual(len(lines), 1)
        self.assertEqual(int(client_fields(lines[0])[b"id"]), ida)

    def test_client_info(self):
        c = self.conn()
        cid = self.client_id(c)
        c.call_raw(resp("CLIENT", "SETNAME", "infoname"))
        raw = parse_reply(c.call_raw(resp("CLIENT", "INFO")))[0]
        self.assertTrue(raw.endswith(b"\n"))
        self.assertEqual(raw.count(b"\n"), 1)
        self.assertTrue(raw.startswith(b"id=%d addr=" % cid), raw)
        f = client_fields(raw)
        self.assertEqual(f[b"name"], b"infoname")
        self.assertEqual(f[b"addr"], b"127.0.0.1:%d" % c.sock.getsockname()[1])
        self.assertEqual(f[b"resp"], b"2")
        self.assertEqual(f[b"cmd"], b"client|info")
        c.call_raw(b"HELLO 3\r\n")
        self.assertEqual(self.client_info(c)[b"resp"], b"3")

    def test_kill_by_id(self):
        victim = self.conn()
        vid = self.client_id(victim)
        self.assertEqual(self.r.execute_command("CLIENT", "KILL", "ID", vid), 1)
        data, closed = read_until_closed(victim.sock)
        self.assertEqual(data, b"")
        self.assertTrue(closed)
        ids = [int(client_fields(l)[b"id"]) for l in self.r.execute_command("CLIENT", "LIST").splitlines()]
        self.assertNotIn(vid, ids)
        self.assertEqual(self.r.execute_command("CLIENT", "KILL", "ID", vid), 0)

    def test_kill_by_addr(self):
        victim = self.conn()
        self.client_id(victim)
        addr = "127.0.0.1:%d" % victim.sock.getsockname()[1]
        self.assertEqual(self.r.execute_command("CLIENT", "KILL", "ADDR", addr), 1)
        data, closed = read_until_closed(victim.sock)
        self.assertTrue(closed)
        self.assertEqual(self.r.execute_command("CLIENT", "KILL", "ADDR", addr), 0)

    def test_kill_old_form(self):
        victim = self.conn()
        self.client_id(victim)
        addr = "127.0.0.1:%d" % victim.sock.getsockname()[1]
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CLIENT", "KILL", addr)), b"+OK\r\n")
        _, closed = read_until_closed(victim.sock)
        self.assertTrue(closed)
        self.assertEqual(c.call_raw(resp("CLIENT", "KILL", addr)), b"-ERR No such client\r\n")

    def test_kill_bad_id(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CLIENT", "KILL", "ID", "999999999")), b":0\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "KILL", "ID", "abc")),
                         b"-ERR client-id should be greater than 0\r\n")

    def test_kill_skips_self_by_default(self):
        c = self.conn()
        cid = self.client_id(c)
        self.assertEqual(c.call_raw(resp("CLIENT", "KILL", "ID", cid)), b":0\r\n")  # SKIPME yes
        self.assertEqual(c.call_raw(b"PING\r\n"), b"+PONG\r\n")

    def test_kill_self_with_skipme_no(self):
        c = self.conn()
        cid = self.client_id(c)
        c.send(resp("CLIENT", "KILL", "ID", cid, "SKIPME", "no"))
        data, closed = read_until_closed(c.sock)
        # The reply is sent before the calling connection is closed.
        self.assertEqual(data, b":1\r\n")
        self.assertTrue(closed)

    def test_setinfo(self):
        c = self.conn()
        a = c.call_raw(resp("CLIENT", "SETINFO", "LIB-NAME", "mylib"))
        b = c.call_raw(resp("CLIENT", "SETINFO", "LIB-VER", "1.2.3"))
        if support.IS_REDIS:
            # CLIENT SETINFO arrived in Redis 7.2; the 7.0 reference does not know it.
            self.assertEqual(a, b"-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n")
            self.assertEqual(b, b"-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n")
            return
        self.assertEqual(a, b"+OK\r\n")
        self.assertEqual(b, b"+OK\r\n")
        info = self.client_info(c)
        self.assertEqual(info.get(b"lib-name"), b"mylib")
        self.assertEqual(info.get(b"lib-ver"), b"1.2.3")
        self.assertTrue(c.call_raw(resp("CLIENT", "SETINFO", "LIB-NAME", "bad name")).startswith(b"-ERR"))
        self.assertTrue(c.call_raw(resp("CLIENT", "SETINFO", "NOSUCHATTR", "x")).startswith(b"-ERR"))

    def test_no_evict(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CLIENT", "NO-EVICT", "on")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "NO-EVICT", "off")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "NO-EVICT", "maybe")), b"-ERR syntax error\r\n")

    def test_reply_off_on(self):
        c = self.conn()
        c.send(resp("CLIENT", "REPLY", "OFF") + resp("SET", "silent", "1") + resp("PING")
               + resp("CLIENT", "REPLY", "ON") + resp("PING", "back"))
        # OFF itself is not answered, nor anything until ON, which answers +OK.
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.assertEqual(c.read_raw(), b"$4\r\nback\r\n")
        self.assertEqual(self.r.get("silent"), b"1")  # the silent command still ran

    def test_reply_skip(self):
        c = self.conn()
        c.send(resp("CLIENT", "REPLY", "SKIP") + resp("PING", "1") + resp("PING", "2"))
        self.assertEqual(c.read_raw(), b"$1\r\n2\r\n")
        c.sock.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            c.sock.recv(100)

    def test_reply_silences_refusals_and_protocol_errors(self):
        c = self.conn()
        # Unknown command and wrong arity under OFF: nothing until ON's +OK.
        c.send(resp("CLIENT", "REPLY", "OFF") + resp("NOSUCH") + resp("GET")
               + resp("CLIENT", "REPLY", "ON") + resp("PING"))
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.assertEqual(c.read_raw(), b"+PONG\r\n")
        # SKIP silences the next command even when it is refused.
        c.send(resp("CLIENT", "REPLY", "SKIP") + resp("NOSUCH") + resp("PING", "x"))
        self.assertEqual(c.read_raw(), b"$1\r\nx\r\n")
        # A protocol error under OFF is not answered either. ringkv closes the
        # connection; Redis leaves it open with its input ignored.
        c2 = self.conn()
        c2.send(resp("CLIENT", "REPLY", "OFF") + b"*abc\r\n")
        if support.IS_REDIS:
            c2.sock.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                c2.sock.recv(100)
        else:
            c2.sock.settimeout(5)
            self.assertEqual(c2.sock.recv(100), b"")

    def test_reply_skip_sequences(self):
        c = self.conn()
        # ON right after SKIP is answered; SKIP twice silences one command;
        # an empty command (blank inline line, *0) uses a SKIP up.
        c.send(resp("CLIENT", "REPLY", "SKIP") + resp("CLIENT", "REPLY", "ON") + resp("PING", "a"))
        self.assertEqual(c.read_raw(), b"+OK\r\n")
        self.assertEqual(c.read_raw(), b"$1\r\na\r\n")
        c.send(resp("CLIENT", "REPLY", "SKIP") + resp("CLIENT", "REPLY", "SKIP")
               + resp("PING", "b") + resp("PING", "c"))
        self.assertEqual(c.read_raw(), b"$1\r\nc\r\n")
        c.send(resp("CLIENT", "REPLY", "SKIP") + b"\r\n" + resp("PING", "d"))
        self.assertEqual(c.read_raw(), b"$1\r\nd\r\n")
        c.send(resp("CLIENT", "REPLY", "SKIP") + b"*0\r\n" + resp("PING", "e"))
        self.assertEqual(c.read_raw(), b"$1\r\ne\r\n")

    def test_hello_options_take_effect_in_order(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CLIENT", "SETNAME", "before")), b"+OK\r\n")
        self.assertTrue(c.call_raw(resp("HELLO", "2", "SETNAME", "n1", "AUTH", "u", "p"))
                        .startswith(b"-WRONGPASS"))
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$2\r\nn1\r\n")
        self.assertEqual(c.call_raw(resp("HELLO", "2", "SETNAME", "bad name", "AUTH", "u", "p")),
                         b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")
        self.assertEqual(c.call_raw(resp("HELLO", "2", "SETNAME", "n2", "FOO")),
                         b"-ERR Syntax error in HELLO option 'FOO'\r\n")
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$2\r\nn2\r\n")

    def test_reply_bad_mode(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("CLIENT", "REPLY", "maybe")), b"-ERR syntax error\r\n")

    def test_readonly_readwrite(self):
        c = self.conn()
        ro = c.call_raw(resp("READONLY"))
        rw = c.call_raw(resp("READWRITE"))
        if support.IS_REDIS:
            # Redis without cluster-enabled refuses these; ringkv (always a ring) accepts them.
            self.assertEqual(ro, b"-ERR This instance has cluster support disabled\r\n")
            self.assertEqual(rw, b"-ERR This instance has cluster support disabled\r\n")
        else:
            self.assertEqual(ro, b"+OK\r\n")
            self.assertEqual(rw, b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("SET", "afterro", "1")), b"+OK\r\n")


def wait_ready_with_password(server, timeout=20.0):
    """support's wait_ready cannot tell NOAUTH from 'not up' (redis-py raises
    AuthenticationError, a ConnectionError), so wait on a raw PING instead."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError("server exited with %s:\n%s" % (server.proc.returncode, server.read_log()))
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(100).startswith((b"-NOAUTH", b"+PONG")):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not answer within %.0fs:\n%s" % (timeout, server.read_log()))


class RequirePassTest(ConnCase):
    server_args = ("--requirepass", "s3cret")

    @classmethod
    def setUpClass(cls):
        cls.server = support.ServerProcess(cls.server_args).start(wait=False)
        try:
            wait_ready_with_password(cls.server)
        except Exception:
            cls.server.cleanup()
            raise

    def setUp(self):
        self.r = self.server.client(password="s3cret")
        self.r.flushall()

    def test_noauth_before_auth(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("GET", "k")), NOAUTH)
        self.assertEqual(c.call_raw(resp("SET", "k", "v")), NOAUTH)
        self.assertEqual(c.call_raw(resp("PING")), NOAUTH)
        self.assertIsNone(self.r.get("k"))

    def test_wrong_password(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", "wrong")), WRONGPASS)
        self.assertEqual(c.call_raw(resp("AUTH", "default", "wrong")), WRONGPASS)
        self.assertEqual(c.call_raw(resp("AUTH", "nobody", "s3cret")), WRONGPASS)
        self.assertEqual(c.call_raw(resp("GET", "k")), NOAUTH)

    def test_auth_password_only(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", "s3cret")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("GET", "k")), b"$-1\r\n")

    def test_auth_default_user(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", "default", "s3cret")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("SET", "k", "v")), b"+OK\r\n")
        self.assertEqual(self.r.get("k"), b"v")

    def test_hello3_auth(self):
        c = self.conn()
        raw = c.call_raw(resp("HELLO", "3", "AUTH", "default", "s3cret"))
        self.assertTrue(raw.startswith(b"%"), raw[:40])
        self.assertEqual(dict(parse_reply(raw)[0])[b"proto"], 3)
        self.assertEqual(c.call_raw(resp("GET", "k")), b"_\r\n")

    def test_hello2_auth_setname(self):
        c = self.conn()
        raw = c.call_raw(resp("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "n1"))
        self.assertTrue(raw.startswith(b"*"), raw[:40])
        self.assertEqual(dict(zip(*[iter(parse_reply(raw)[0])] * 2))[b"proto"], 2)
        self.assertEqual(c.call_raw(resp("CLIENT", "GETNAME")), b"$2\r\nn1\r\n")

    def test_hello_wrong_password(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("HELLO", "3", "AUTH", "default", "wrong")), WRONGPASS)
        self.assertEqual(c.call_raw(resp("GET", "k")), NOAUTH)

    def test_hello_without_auth_is_refused(self):
        c = self.conn()
        raw = c.call_raw(resp("HELLO", "3"))
        self.assertTrue(raw.startswith(b"-NOAUTH "), raw)
        self.assertEqual(c.call_raw(resp("GET", "k")), NOAUTH)

    def test_reset_forgets_authentication(self):
        c = self.conn()
        self.assertEqual(c.call_raw(resp("AUTH", "s3cret")), b"+OK\r\n")
        self.assertEqual(c.call_raw(resp("RESET")), b"+RESET\r\n")
        self.assertEqual(c.call_raw(resp("GET", "k")), NOAUTH)

    def test_quit_without_auth(self):
        s = self.raw()
        s.sendall(resp("QUIT"))
        data, closed = read_until_closed(s)
        s.close()
        self.assertEqual(data, b"+OK\r\n")
        self.assertTrue(closed)

    def test_redis_py_errors(self):
        anon = self.server.client()
        with self.assertRaises(redis.exceptions.AuthenticationError):
            anon.get("k")
        anon.close()
        bad = self.server.client(password="nope")
        with self.assertRaises(redis.exceptions.RedisError) as cm:
            bad.ping()
        self.assertIn("WRONGPASS", str(cm.exception))
        bad.close()
        good = self.server.client(username="default", password="s3cret")
        self.assertTrue(good.ping())
        good.close()


if __name__ == "__main__":
    unittest.main()
