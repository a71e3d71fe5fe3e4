// The real dispatcher and command table, in process, against real storage.
#include <catch2/catch.hpp>

#include "tests/support/in_process.h"

using ringkv::testing::InProcessServer;

TEST_CASE("unknown command gets Redis's exact error", "[dispatch]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"nosuch", "a", "b"}) ==
        "-ERR unknown command 'nosuch', with args beginning with: 'a' 'b' \r\n");
  CHECK(s.RunRaw({"nosuch"}) == "-ERR unknown command 'nosuch', with args beginning with: \r\n");
}

TEST_CASE("unknown command error lists at most 128 bytes of arguments", "[dispatch]") {
  InProcessServer s;
  REQUIRE(s.ok());
  std::string big(300, 'x');
  std::string reply = s.RunRaw({"nosuch", big, "more"});
  CHECK(reply == "-ERR unknown command 'nosuch', with args beginning with: '" +
                     std::string(128, 'x') + "' \r\n");
}

TEST_CASE("arity is checked before the handler runs", "[dispatch]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"get"}) == "-ERR wrong number of arguments for 'get' command\r\n");
  CHECK(s.RunRaw({"GET", "a", "b"}) == "-ERR wrong number of arguments for 'get' command\r\n");
}

TEST_CASE("commands are case-insensitive", "[dispatch]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"SeT", "k", "v"}) == "+OK\r\n");
  CHECK(s.RunRaw({"gEt", "k"}) == "$1\r\nv\r\n");
}

TEST_CASE("requirepass refuses commands before AUTH", "[dispatch][auth]") {
  ringkv::server::Config cfg;
  cfg.requirepass = "pw";
  InProcessServer s(cfg);
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"get", "k"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(s.Run({"auth", "wrong"}).IsError());
  CHECK(s.RunRaw({"auth", "pw"}) == "+OK\r\n");
  CHECK(s.RunRaw({"get", "k"}) == "$-1\r\n");
}

TEST_CASE("MULTI queues and EXEC runs the queue in order", "[dispatch][multi]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"multi"}) == "+OK\r\n");
  CHECK(s.RunRaw({"set", "a", "1"}) == "+QUEUED\r\n");
  CHECK(s.RunRaw({"incr", "a"}) == "+QUEUED\r\n");
  CHECK(s.RunRaw({"get", "a"}) == "+QUEUED\r\n");
  CHECK(s.RunRaw({"exec"}) == "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n");
  CHECK(s.RunRaw({"exec"}) == "-ERR EXEC without MULTI\r\n");
}

TEST_CASE("an error while queueing aborts EXEC", "[dispatch][multi]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"multi"}) == "+OK\r\n");
  CHECK(s.RunRaw({"set", "a", "1"}) == "+QUEUED\r\n");
  CHECK(s.Run({"get"}).IsError());
  CHECK(s.RunRaw({"exec"}) == "-EXECABORT Transaction discarded because of previous errors.\r\n");
  CHECK(s.RunRaw({"get", "a"}) == "$-1\r\n");
}

TEST_CASE("a runtime error inside EXEC does not stop the others", "[dispatch][multi]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"set", "s", "notanumber"}) == "+OK\r\n");
  CHECK(s.RunRaw({"multi"}) == "+OK\r\n");
  CHECK(s.RunRaw({"incr", "s"}) == "+QUEUED\r\n");
  CHECK(s.RunRaw({"set", "b", "2"}) == "+QUEUED\r\n");
  CHECK(s.RunRaw({"exec"}) == "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n");
}

TEST_CASE("WATCH makes EXEC fail after the key changed", "[dispatch][watch]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"watch", "w"}) == "+OK\r\n");
  // Another client's write, through the same store.
  CHECK(s.RunRaw({"set", "w", "changed"}) == "+OK\r\n");
  CHECK(s.RunRaw({"multi"}) == "+OK\r\n");
  CHECK(s.RunRaw({"set", "w", "mine"}) == "+QUEUED\r\n");
  CHECK(s.RunRaw({"exec"}) == "*-1\r\n");
  CHECK(s.RunRaw({"get", "w"}) == "$7\r\nchanged\r\n");
}

TEST_CASE("WATCH of an untouched key lets EXEC run", "[dispatch][watch]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"watch", "w"}) == "+OK\r\n");
  CHECK(s.RunRaw({"set", "other", "x"}) == "+OK\r\n");
  CHECK(s.RunRaw({"multi"}) == "+OK\r\n");
  CHECK(s.RunRaw({"set", "w", "mine"}) == "+QUEUED\r\n");
  CHECK(s.RunRaw({"exec"}) == "*1\r\n+OK\r\n");
}

TEST_CASE("nested MULTI and DISCARD errors", "[dispatch][multi]") {
  InProcessServer s;
  REQUIRE(s.ok());
  CHECK(s.RunRaw({"discard"}) == "-ERR DISCARD without MULTI\r\n");
  CHECK(s.RunRaw({"multi"}) == "+OK\r\n");
  CHECK(s.RunRaw({"multi"}) == "-ERR MULTI calls can not be nested\r\n");
  CHECK(s.RunRaw({"watch", "x"}) == "-ERR WATCH inside MULTI is not allowed\r\n");
  CHECK(s.RunRaw({"discard"}) == "+OK\r\n");
}
