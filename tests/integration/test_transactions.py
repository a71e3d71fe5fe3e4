"""MULTI/EXEC/DISCARD and WATCH/UNWATCH, on raw connections (exact replies)
and through redis-py's pipelines and transaction() helper.

Expectations were checked against redis-server 7.0.15:

    RINGKV_SERVER=/usr/bin/redis-server /usr/bin/python3 -m unittest -v test_transactions
"""

import time
import unittest

import redis

import support
from test_strings import Err, RespAssertions, RespConn, Status

EXECABORT = "EXECABORT Transaction discarded because of previous errors."


class TransactionTestCase(RespAssertions, support.ServerTestCase):
    def setUp(self):
        super().setUp()
        self._conns = []

    def tearDown(self):
        for c in self._conns:
            c.close()
        super().tearDown()

    def conn(self):
        """Another raw client connection, closed after the test."""
        c = RespConn(self.server.port)
        self._conns.append(c)
        return c

    def run_multi(self, conn, *commands):
        """MULTI, each command (which must answer QUEUED), EXEC's reply."""
        self.assertEqual(conn.call("MULTI"), Status("OK"))
        for cmd in commands:
            self.assertEqual(conn.call(*cmd), Status("QUEUED"), cmd)
        return conn.call("EXEC")


class TestMultiExec(TransactionTestCase):
    def test_queued_replies_and_exec_array(self):
        c = self.rc
        self.assertEqual(c.call("MULTI"), Status("OK"))
        for cmd in [("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("GET", "missing"),
                    ("MSET", "b", "x", "c", "y"), ("DEL", "c"), ("EXISTS", "a", "b", "c")]:
            reply = c.call(*cmd)
            self.assertIsInstance(reply, Status)
            self.assertEqual(reply, "QUEUED")
        reply = c.call("EXEC")
        self.assertEqual(reply, [Status("OK"), 2, b"2", None, Status("OK"), 1, 2])
        self.assertIsInstance(reply[0], Status)
        self.assertIsInstance(reply[2], bytes)
        self.assertEqual(self.r.mget("a", "b", "c"), [b"2", b"x", None])

    def test_exec_own_errors_are_counted_as_redis_counts_them(self):
        """An aborted EXEC and an EXEC without MULTI are EXEC's failed calls
        (errorstat EXECABORT, ERR); an error inside a transaction that ran
        is the inner command's."""
        c = self.rc
        self.assertEqual(c.call("CONFIG", "RESETSTAT"), Status("OK"))
        c.call("SET", "n", "x")
        c.call("MULTI")
        c.call("SET", "a")  # wrong arity: refused, the transaction is doomed
        self.assertIsInstance(c.call("EXEC"), Err)
        self.assertIsInstance(c.call("EXEC"), Err)  # without MULTI
        self.assertEqual(len(self.run_multi(c, ("INCR", "n"))), 1)  # ran: INCR's error
        errors = self.r.info("errorstats")
        self.assertEqual((errors.get("errorstat_ERR"), errors.get("errorstat_EXECABORT")),
                         ("count=3", "count=1"), errors)
        stats = self.r.info("commandstats")
        self.assertEqual((stats["cmdstat_exec"]["calls"], stats["cmdstat_exec"]["failed_calls"],
                          stats["cmdstat_incr"]["failed_calls"],
                          stats["cmdstat_set"]["rejected_calls"]), (3, 2, 1, 1), stats)

    def test_nothing_applies_before_exec(self):
        c = self.rc
        other = self.conn()
        c.call("MULTI")
        c.call("SET", "k", "v")
        c.call("INCR", "n")
        self.assertIsNone(other.call("GET", "k"))
        self.assertEqual(other.call("EXISTS", "n"), 0)
        self.assertEqual(c.call("EXEC"), ["OK", 1])
        self.assertEqual(other.call("GET", "k"), b"v")

    def test_queued_commands_run_at_exec_time(self):
        c = self.rc
        c.call("MULTI")
        c.call("INCR", "n")
        self.conn().call("SET", "n", "100")
        self.assertEqual(c.call("EXEC"), [101])
        self.assertEqual(self.r.get("n"), b"101")

    def test_subcommands_are_checked_when_queued(self):
        c = self.rc
        self.assertEqual(c.call("MULTI"), Status("OK"))
        self.assertEqual(c.call("CLIENT", "FOO"), Err("ERR unknown subcommand 'FOO'. Try CLIENT HELP."))
        self.assertEqual(c.call("CLIENT", "SETNAME"),
                         Err("ERR wrong number of arguments for 'client|setname' command"))
        self.assertEqual(c.call("CONFIG", "GET"),
                         Err("ERR wrong number of arguments for 'config|get' command"))
        self.assertEqual(c.call("CLIENT", "GETNAME"), Status("QUEUED"))
        self.assertEqual(c.call("EXEC"),
                         Err("EXECABORT Transaction discarded because of previous errors."))

    def test_save_and_shutdown_are_refused_inside_multi(self):
        # Redis's no_multi commands: refused when queued, which aborts EXEC.
        # Queued, SHUTDOWN would stop the server at EXEC.
        c = self.rc
        for cmd in [("SAVE",), ("SHUTDOWN", "NOSAVE"), ("SHUTDOWN",)]:
            self.assertEqual(c.call("MULTI"), Status("OK"))
            self.assertEqual(c.call(*cmd), Err("ERR Command not allowed inside a transaction"))
            self.assertEqual(c.call("SET", "a", "1"), Status("QUEUED"))
            self.assertEqual(c.call("EXEC"), Err(EXECABORT), cmd)
        self.assertEqual(c.call("PING"), Status("PONG"))
        self.assertIsNone(c.call("GET", "a"))
        self.assertEqual(c.call("SAVE"), Status("OK"))
        for entry in c.call("COMMAND", "INFO", "save", "shutdown"):
            self.assertIn("no_multi", entry[2], entry[0])

    def test_empty_transaction(self):
        self.assertEqual(self.run_multi(self.rc), [])

    def test_commands_see_earlier_queued_writes(self):
        reply = self.run_multi(self.rc, ("SET", "a", "5"), ("INCRBY", "a", "10"),
                               ("APPEND", "a", "0"), ("GET", "a"), ("DEL", "a"), ("GET", "a"))
        self.assertEqual(reply, ["OK", 15, 3, b"150", 1, None])

    def test_after_exec_commands_run_immediately(self):
        self.run_multi(self.rc, ("SET", "a", "1"))
        self.assertEqual(self.rc.call("SET", "b", "2"), Status("OK"))
        self.assertEqual(self.rc.call("GET", "b"), b"2")

    def test_exec_without_multi(self):
        self.assertErr("ERR EXEC without MULTI", "EXEC")

    def test_discard_without_multi(self):
        self.assertErr("ERR DISCARD without MULTI", "DISCARD")

    def test_discard(self):
        c = self.rc
        self.r.set("a", "old")
        self.assertEqual(c.call("MULTI"), "OK")
        self.assertEqual(c.call("SET", "a", "new"), "QUEUED")
        self.assertEqual(c.call("SET", "b", "x"), "QUEUED")
        self.assertEqual(c.call("DISCARD"), Status("OK"))
        self.assertEqual(self.r.get("a"), b"old")
        self.assertEqual(self.r.exists("b"), 0)
        # Back to normal: commands run at once, EXEC has nothing to run.
        self.assertEqual(c.call("GET", "a"), b"old")
        self.assertEqual(c.call("EXEC"), Err("ERR EXEC without MULTI"))
        self.assertEqual(c.call("DISCARD"), Err("ERR DISCARD without MULTI"))

    def test_nested_multi(self):
        c = self.rc
        self.assertEqual(c.call("MULTI"), "OK")
        self.assertEqual(c.call("SET", "a", "1"), "QUEUED")
        self.assertEqual(c.call("MULTI"), Err("ERR MULTI calls can not be nested"))
        self.assertEqual(c.call("SET", "b", "2"), "QUEUED")
        # The nested MULTI is refused but does not spoil the transaction.
        self.assertEqual(c.call("EXEC"), ["OK", "OK"])
        self.assertEqual(self.r.mget("a", "b"), [b"1", b"2"])

    def test_nested_multi_via_redis_py(self):
        conn = self.server.client()
        try:
            conn.execute_command("MULTI")
            with self.assertRaises(redis.exceptions.ResponseError) as cm:
                conn.execute_command("MULTI")
            self.assertEqual(str(cm.exception), "MULTI calls can not be nested")
            self.assertEqual(conn.execute_command("EXEC"), [])
        finally:
            conn.close()

    def test_multi_arity(self):
        self.assertErr("ERR wrong number of arguments for 'multi' command", "MULTI", "x")
        # The refused MULTI did not start a transaction.
        self.assertEqual(self.rc.call("SET", "a", "1"), Status("OK"))

    def test_unknown_command_aborts_exec(self):
        c = self.rc
        self.assertEqual(c.call("MULTI"), "OK")
        self.assertEqual(c.call("SET", "a", "1"), "QUEUED")
        self.assertEqual(c.call("NOSUCHCOMMAND", "x"),
                         Err("ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' "))
        self.assertEqual(c.call("SET", "b", "2"), "QUEUED")
        self.assertEqual(c.call("EXEC"), Err(EXECABORT))
        self.assertEqual(self.r.exists("a", "b"), 0)
        # The transaction is over.
        self.assertEqual(c.call("EXEC"), Err("ERR EXEC without MULTI"))
        self.assertEqual(c.call("SET", "c", "3"), Status("OK"))

    def test_wrong_arity_aborts_exec(self):
        c = self.rc
        c.call("MULTI")
        self.assertEqual(c.call("SET", "b", "2"), "QUEUED")
        self.assertEqual(c.call("GET", "a", "b"), Err("ERR wrong number of arguments for 'get' command"))
        self.assertEqual(c.call("SET", "a"), Err("ERR wrong number of arguments for 'set' command"))
        self.assertEqual(c.call("EXEC"), Err(EXECABORT))
        self.assertEqual(self.r.exists("b"), 0)

    def test_execabort_as_redis_py_sees_it(self):
        conn = self.server.client()
        try:
            conn.execute_command("MULTI")
            with self.assertRaises(redis.exceptions.ResponseError):
                conn.execute_command("GET")
            with self.assertRaises(redis.exceptions.ExecAbortError) as cm:
                conn.execute_command("EXEC")
            self.assertEqual(str(cm.exception), "Transaction discarded because of previous errors.")
        finally:
            conn.close()

    def test_runtime_errors_are_returned_and_others_apply(self):
        self.r.set("s", "abc")
        reply = self.run_multi(self.rc, ("SET", "a", "1"), ("INCR", "s"),
                               ("SET", "k", "v", "NX", "XX"), ("INCRBYFLOAT", "s", "1"),
                               ("RENAME", "nokey", "x"), ("SET", "b", "2"), ("INCR", "a"))
        self.assertEqual(reply, [Status("OK"),
                                 Err("ERR value is not an integer or out of range"),
                                 Err("ERR syntax error"),
                                 Err("ERR value is not a valid float"),
                                 Err("ERR no such key"),
                                 Status("OK"), 2])
        self.assertIsInstance(reply[1], Err)
        self.assertEqual(self.r.mget("a", "b", "s", "k"), [b"2", b"2", b"abc", None])

    def test_expiry_inside_transaction(self):
        reply = self.run_multi(self.rc, ("SET", "k", "v", "EX", "100"), ("TTL", "k"),
                               ("PERSIST", "k"), ("TTL", "k"), ("PEXPIRE", "k", "50000"))
        self.assertEqual(reply, ["OK", 100, 1, -1, 1])
        self.assertTTLAbout("k", 50)


class TestWatch(TransactionTestCase):
    def test_watch_replies_ok(self):
        self.assertEqual(self.rc.call("WATCH", "a", "b"), Status("OK"))
        self.assertEqual(self.rc.call("UNWATCH"), Status("OK"))
        self.assertEqual(self.rc.call("UNWATCH"), Status("OK"))
        self.assertErr("ERR wrong number of arguments for 'watch' command", "WATCH")

    def test_unmodified_watched_key_lets_exec_run(self):
        self.r.set("k", "1")
        c = self.rc
        c.call("WATCH", "k")
        other = self.conn()
        self.assertEqual(other.call("GET", "k"), b"1")  # reads do not count
        other.call("SET", "unrelated", "x")
        self.assertEqual(self.run_multi(c, ("INCR", "k")), [2])
        self.assertEqual(self.r.get("k"), b"2")

    def test_write_by_another_client_aborts(self):
        self.r.set("k", "1")
        c = self.rc
        self.assertEqual(c.call("WATCH", "k"), "OK")
        self.conn().call("SET", "k", "changed")
        self.assertIsNone(self.run_multi(c, ("SET", "k", "mine"), ("SET", "other", "x")))
        self.assertEqual(self.r.get("k"), b"changed")
        self.assertEqual(self.r.exists("other"), 0)

    def test_write_after_multi_also_aborts(self):
        self.r.set("k", "1")
        c = self.rc
        c.call("WATCH", "k")
        c.call("MULTI")
        c.call("INCR", "k")
        self.conn().call("INCR", "k")
        self.assertIsNone(c.call("EXEC"))
        self.assertEqual(self.r.get("k"), b"2")

    def test_modifications_that_abort(self):
        mods = [
            ("DEL", "k"),
            ("EXPIRE", "k", "100"),
            ("APPEND", "k", "x"),
            ("RENAME", "k", "elsewhere"),
            ("GETDEL", "k"),
            ("SET", "k", "1"),  # same value, still a write
            ("FLUSHALL",),
            ("FLUSHDB",),
        ]
        for mod in mods:
            with self.subTest(mod=mod):
                self.r.flushall()
                self.r.set("k", "1")
                c = self.conn()
                c.call("WATCH", "k")
                self.conn().call(*mod)
                self.assertIsNone(self.run_multi(c, ("SET", "result", "ran")))
                self.assertEqual(self.r.exists("result"), 0)

    def test_creating_a_missing_watched_key_aborts(self):
        c = self.rc
        c.call("WATCH", "k")
        self.conn().call("SET", "k", "new")
        self.assertIsNone(self.run_multi(c, ("SET", "k", "mine")))
        self.assertEqual(self.r.get("k"), b"new")

    def test_own_write_before_multi_aborts(self):
        self.r.set("k", "1")
        c = self.rc
        c.call("WATCH", "k")
        self.assertEqual(c.call("SET", "k", "2"), "OK")
        self.assertIsNone(self.run_multi(c, ("SET", "k", "3")))
        self.assertEqual(self.r.get("k"), b"2")

    def test_any_of_several_watched_keys(self):
        self.r.mset({"a": 1, "b": 2, "c": 3})
        c = self.rc
        c.call("WATCH", "a", "b")
        c.call("WATCH", "c")
        self.conn().call("INCR", "c")
        self.assertIsNone(self.run_multi(c, ("SET", "a", "x")))
        self.assertEqual(self.r.get("a"), b"1")

    def test_watched_key_expiring_aborts(self):
        self.r.set("k", "v", px=300)
        c = self.rc
        self.assertEqual(c.call("WATCH", "k"), "OK")
        self.assertEqual(self.r.exists("k"), 1)  # watched while it still existed
        time.sleep(0.7)
        self.assertIsNone(self.run_multi(c, ("SET", "result", "ran")))
        self.assertEqual(self.r.exists("result"), 0)

    def test_watched_key_expiring_aborts_before_anything_purged_it(self):
        # Redis checks at EXEC whether a watched key has expired since WATCH,
        # whether or not expiry removed it yet.
        if not support.IS_REDIS:  # slow active expiry: nothing purges it first
            old = self.r.config_get("active-expire-keys-per-cycle")["active-expire-keys-per-cycle"]
            self.r.config_set("active-expire-keys-per-cycle", 1)
            self.addCleanup(self.r.config_set, "active-expire-keys-per-cycle", old)
        self.r.set("k", "1", px=300)
        c = self.rc
        c.call("WATCH", "k")
        time.sleep(0.35)
        self.assertIsNone(self.run_multi(c, ("INCR", "k")))

    def test_watching_an_already_expired_key_then_purging_it_is_no_change(self):
        self.r.set("x", "foo", px=1)
        time.sleep(0.01)
        c = self.rc
        c.call("WATCH", "x")
        self.assertEqual(c.call("EXISTS", "x"), 0)  # a read purges it
        self.assertEqual(self.run_multi(c, ("PING",)), [Status("PONG")])

    def test_key_with_distant_ttl_does_not_abort(self):
        self.r.set("k", "v", ex=100)
        c = self.rc
        c.call("WATCH", "k")
        self.assertEqual(self.run_multi(c, ("GET", "k")), [b"v"])

    def test_unwatch_forgets_watches(self):
        self.r.set("k", "1")
        c = self.rc
        c.call("WATCH", "k")
        self.assertEqual(c.call("UNWATCH"), "OK")
        self.conn().call("SET", "k", "2")
        self.assertEqual(self.run_multi(c, ("INCR", "k")), [3])

    def test_exec_clears_watches_even_when_aborted(self):
        self.r.set("k", "1")
        c = self.rc
        other = self.conn()
        c.call("WATCH", "k")
        other.call("SET", "k", "2")
        self.assertIsNone(self.run_multi(c, ("INCR", "k")))
        other.call("SET", "k", "10")
        self.assertEqual(self.run_multi(c, ("INCR", "k")), [11])

    def test_exec_clears_watches_after_success(self):
        self.r.set("k", "1")
        c = self.rc
        c.call("WATCH", "k")
        self.assertEqual(self.run_multi(c, ("INCR", "k")), [2])
        self.conn().call("SET", "k", "10")
        self.assertEqual(self.run_multi(c, ("INCR", "k")), [11])

    def test_discard_clears_watches(self):
        self.r.set("k", "1")
        c = self.rc
        c.call("WATCH", "k")
        c.call("MULTI")
        c.call("INCR", "k")
        self.assertEqual(c.call("DISCARD"), "OK")
        self.conn().call("SET", "k", "5")
        self.assertEqual(self.run_multi(c, ("INCR", "k")), [6])

    def test_watch_inside_multi(self):
        c = self.rc
        c.call("MULTI")
        self.assertEqual(c.call("SET", "a", "1"), "QUEUED")
        self.assertEqual(c.call("WATCH", "a"), Err("ERR WATCH inside MULTI is not allowed"))
        self.assertEqual(c.call("EXEC"), ["OK"])
        self.assertEqual(self.r.get("a"), b"1")

    def test_watch_inside_multi_via_redis_py(self):
        conn = self.server.client()
        try:
            conn.execute_command("MULTI")
            with self.assertRaises(redis.exceptions.ResponseError) as cm:
                conn.execute_command("WATCH", "a")
            self.assertEqual(str(cm.exception), "WATCH inside MULTI is not allowed")
            conn.execute_command("DISCARD")
        finally:
            conn.close()

    def test_flushall_touches_only_watched_keys_that_exist(self):
        # Redis: FLUSHALL dooms a transaction watching a key it removed, not
        # one watching a key that did not exist.
        self.r.set("present", "1")
        self.r.delete("absent")
        on_present, on_absent = self.rc, self.conn()
        on_present.call("WATCH", "present")
        on_absent.call("WATCH", "absent")
        self.conn().call("FLUSHALL")
        self.assertIsNone(self.run_multi(on_present, ("PING",)))
        self.assertEqual(self.run_multi(on_absent, ("PING",)), [Status("PONG")])

    def test_an_exec_refused_for_its_arguments_drops_the_watches(self):
        # EXECABORT discards the transaction, and with it the WATCHes (Redis's
        # discardTransaction): a later change of the key dooms nothing.
        self.r.set("k", "1")
        c = self.rc
        c.call("WATCH", "k")
        c.call("MULTI")
        reply = c.call("EXEC", "extra")
        self.assertIsInstance(reply, Err)
        self.assertTrue(str(reply).startswith("EXECABORT"), reply)
        self.conn().call("SET", "k", "2")
        self.assertEqual(self.run_multi(c, ("PING",)), [Status("PONG")])

    def test_watches_are_per_connection(self):
        self.r.set("k", "1")
        watcher = self.rc
        bystander = self.conn()
        watcher.call("WATCH", "k")
        self.conn().call("SET", "k", "2")
        # Only the watching connection's transaction is affected.
        self.assertEqual(self.run_multi(bystander, ("INCR", "k")), [3])
        self.assertIsNone(self.run_multi(watcher, ("INCR", "k")))


class TestRedisPyPipelines(TransactionTestCase):
    def test_transactional_pipeline(self):
        pipe = self.r.pipeline(transaction=True)
        pipe.set("a", "1").incr("a").incrby("a", 10).get("a").getdel("a").exists("a")
        self.assertEqual(pipe.execute(), [True, 2, 12, b"12", b"12", 0])

    def test_pipeline_context_manager(self):
        with self.r.pipeline() as pipe:
            pipe.mset({"x": 1, "y": 2})
            pipe.mget("x", "y", "z")
            pipe.expire("x", 100)
            pipe.ttl("x")
            self.assertEqual(pipe.execute(), [True, [b"1", b"2", None], True, 100])

    def test_pipeline_runtime_error_raises_but_others_apply(self):
        self.r.set("s", "abc")
        pipe = self.r.pipeline(transaction=True)
        pipe.set("a", "1").incr("s").set("b", "2")
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            pipe.execute()
        self.assertIn("value is not an integer or out of range", str(cm.exception))
        self.assertEqual(self.r.mget("a", "b"), [b"1", b"2"])

    def test_pipeline_raise_on_error_false(self):
        self.r.set("s", "abc")
        pipe = self.r.pipeline(transaction=True)
        pipe.set("a", "1").incr("s").incrbyfloat("s", 1).get("a")
        result = pipe.execute(raise_on_error=False)
        self.assertEqual(len(result), 4)
        self.assertIs(result[0], True)
        self.assertIsInstance(result[1], redis.exceptions.ResponseError)
        self.assertEqual(str(result[1]), "value is not an integer or out of range")
        self.assertIsInstance(result[2], redis.exceptions.ResponseError)
        self.assertEqual(str(result[2]), "value is not a valid float")
        self.assertEqual(result[3], b"1")

    def test_pipeline_with_queue_time_error_applies_nothing(self):
        pipe = self.r.pipeline(transaction=True)
        pipe.set("a", "1")
        pipe.execute_command("GET", "too", "many")
        pipe.set("b", "2")
        with self.assertRaises(redis.exceptions.ResponseError) as cm:
            pipe.execute()
        self.assertIn("wrong number of arguments for 'get' command", str(cm.exception))
        self.assertEqual(self.r.exists("a", "b"), 0)

    def test_watch_in_pipeline_raises_watch_error(self):
        self.r.set("k", "1")
        other = self.server.client()
        try:
            with self.r.pipeline() as pipe:
                pipe.watch("k")
                self.assertEqual(pipe.get("k"), b"1")  # immediate mode after WATCH
                other.set("k", "5")
                pipe.multi()
                pipe.set("k", "2")
                with self.assertRaises(redis.exceptions.WatchError):
                    pipe.execute()
        finally:
            other.close()
        self.assertEqual(self.r.get("k"), b"5")

    def test_watch_in_pipeline_succeeds_when_untouched(self):
        self.r.set("k", "1")
        with self.r.pipeline() as pipe:
            pipe.watch("k")
            current = int(pipe.get("k"))
            pipe.multi()
            pipe.set("k", current + 41)
            pipe.get("k")
            self.assertEqual(pipe.execute(), [True, b"42"])

    def test_transaction_helper(self):
        self.r.set("balance", "100")

        def withdraw(pipe):
            balance = int(pipe.get("balance"))
            pipe.multi()
            pipe.set("balance", balance - 30)
            pipe.incr("withdrawals")

        self.assertEqual(self.r.transaction(withdraw, "balance"), [True, 1])
        self.assertEqual(self.r.get("balance"), b"70")

    def test_transaction_helper_retries_after_conflict(self):
        self.r.set("counter", "10")
        other = self.server.client()
        attempts = []

        def double(pipe):
            value = int(pipe.get("counter"))
            attempts.append(value)
            if len(attempts) == 1:
                other.set("counter", "50")  # a concurrent write: first EXEC must fail
            pipe.multi()
            pipe.set("counter", value * 2)

        try:
            self.assertEqual(self.r.transaction(double, "counter"), [True])
        finally:
            other.close()
        self.assertEqual(attempts, [10, 50])
        self.assertEqual(self.r.get("counter"), b"100")

    def test_transaction_helper_value_from_callable(self):
        self.r.set("k", "7")

        def read_and_bump(pipe):
            value = pipe.get("k")
            pipe.multi()
            pipe.incr("k")
            return value

        self.assertEqual(self.r.transaction(read_and_bump, "k", value_from_callable=True), b"7")
        self.assertEqual(self.r.get("k"), b"8")

    def test_concurrent_increments_with_optimistic_locking(self):
        """Two clients each add 1 twenty times through WATCH/MULTI/EXEC with
        their commands interleaved; no increment may be lost."""
        self.r.set("n", "0")
        clients = [self.conn(), self.conn()]
        done = [0, 0]
        for _ in range(400):  # bounded: each round makes progress for someone
            if done == [20, 20]:
                break
            pending = []
            for i, c in enumerate(clients):
                if done[i] < 20:
                    c.call("WATCH", "n")
                    value = int(c.call("GET", "n"))
                    pending.append((i, c, value))
            for i, c, value in pending:
                c.call("MULTI")
                c.call("SET", "n", str(value + 1))
                if c.call("EXEC") is not None:
                    done[i] += 1
        self.assertEqual(done, [20, 20])
        self.assertEqual(self.r.get("n"), b"40")


if __name__ == "__main__":
    unittest.main()
