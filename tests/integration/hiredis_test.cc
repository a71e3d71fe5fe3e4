// Black-box: the real ringkv-server driven by hiredis, the C client most
// Redis libraries wrap.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "tests/support/server_process.h"

using ringkv::testing::ServerProcess;

namespace {
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;
struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

template <class... A>
ReplyPtr Cmd(redisContext* c, const char* fmt, A... a) {
  return ReplyPtr(static_cast<redisReply*>(redisCommand(c, fmt, a...)));
}
}  // namespace

TEST_CASE("hiredis: SET/GET with binary values", "[hiredis]") {
  ServerProcess server;
  ContextPtr c(server.Connect());
  REQUIRE(c);
  std::string value("a\0b\r\nc\xff", 7);
  auto r = Cmd(c.get(), "SET %b %b", "bin", size_t{3}, value.data(), value.size());
  REQUIRE(r);
  CHECK(r->type == REDIS_REPLY_STATUS);
  CHECK(std::string(r->str) == "OK");
  r = Cmd(c.get(), "GET bin");
  REQUIRE(r);
  REQUIRE(r->type == REDIS_REPLY_STRING);
  CHECK(std::string(r->str, r->len) == value);
  r = Cmd(c.get(), "GET missing");
  REQUIRE(r);
  CHECK(r->type == REDIS_REPLY_NIL);
}

TEST_CASE("hiredis: pipelined commands come back in order", "[hiredis]") {
  ServerProcess server;
  ContextPtr c(server.Connect());
  REQUIRE(c);
  constexpr int kN = 5000;
  for (int i = 0; i < kN; ++i) {
    redisAppendCommand(c.get(), "SET key:%d %d", i, i);
    redisAppendCommand(c.get(), "INCR key:%d", i);
  }
  for (int i = 0; i < kN; ++i) {
    void* raw = nullptr;
    REQUIRE(redisGetReply(c.get(), &raw) == REDIS_OK);
    ReplyPtr set(static_cast<redisReply*>(raw));
    CHECK(set->type == REDIS_REPLY_STATUS);
    REQUIRE(redisGetReply(c.get(), &raw) == REDIS_OK);
    ReplyPtr incr(static_cast<redisReply*>(raw));
    REQUIRE(incr->type == REDIS_REPLY_INTEGER);
    CHECK(incr->integer == i + 1);
  }
  auto r = Cmd(c.get(), "DBSIZE");
  REQUIRE(r);
  CHECK(r->integer == kN);
}

TEST_CASE("hiredis: errors are error replies, the connection stays usable", "[hiredis]") {
  ServerProcess server;
  ContextPtr c(server.Connect());
  REQUIRE(c);
  auto r = Cmd(c.get(), "INCR %s", "k");
  REQUIRE(r);
  CHECK(r->integer == 1);
  Cmd(c.get(), "SET s abc");
  r = Cmd(c.get(), "INCR s");
  REQUIRE(r);
  REQUIRE(r->type == REDIS_REPLY_ERROR);
  CHECK(std::string(r->str) == "ERR value is not an integer or out of range");
  r = Cmd(c.get(), "NOSUCHCOMMAND x");
  REQUIRE(r);
  REQUIRE(r->type == REDIS_REPLY_ERROR);
  CHECK(std::string(r->str) ==
        "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ");
  r = Cmd(c.get(), "PING");
  REQUIRE(r);
  CHECK(std::string(r->str) == "PONG");
}
