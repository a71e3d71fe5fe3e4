#include "resp/reply.h"

#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

namespace ringkv::resp {
namespace {

using namespace std::string_literals;

struct ReaderDeleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Decodes `bytes` with hiredis (RESP2 only) and requires that they hold
// exactly one complete reply.
ReplyPtr DecodeOne(const std::string& bytes) {
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  REQUIRE(reader != nullptr);
  REQUIRE(redisReaderFeed(reader.get(), bytes.data(), bytes.size()) == REDIS_OK);
  void* reply = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &reply) == REDIS_OK);
  REQUIRE(reply != nullptr);
  ReplyPtr decoded(static_cast<redisReply*>(reply));
  void* extra = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &extra) == REDIS_OK);
  REQUIRE(extra == nullptr);
  return decoded;
}

std::string_view Str(const redisReply* r) { return std::string_view(r->str, r->len); }

std::string Write2(void (*write)(ReplyWriter&)) {
  std::string out;
  ReplyWriter w(&out, 2);
  write(w);
  return out;
}

std::string Write3(void (*write)(ReplyWriter&)) {
  std::string out;
  ReplyWriter w(&out, 3);
  write(w);
  return out;
}

std::string FormatG17(double v) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, static_cast<size_t>(n));
}

TEST_CASE("reply: simple strings", "[reply]") {
  const std::string out = Write2([](ReplyWriter& w) { w.SimpleString("PONG"); });
  CHECK(out == "+PONG\r\n");
  const ReplyPtr r = DecodeOne(out);
  CHECK(r->type == REDIS_REPLY_STATUS);
  CHECK(Str(r.get()) == "PONG");
  CHECK(Write3([](ReplyWriter& w) { w.SimpleString(""); }) == "+\r\n");
}

TEST_CASE("reply: Ok", "[reply]") {
  CHECK(Write2([](ReplyWriter& w) { w.Ok(); }) == "+OK\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Ok(); }) == "+OK\r\n");
  const ReplyPtr r = DecodeOne(Write2([](ReplyWriter& w) { w.Ok(); }));
  CHECK(r->type == REDIS_REPLY_STATUS);
  CHECK(Str(r.get()) == "OK");
}

TEST_CASE("reply: errors", "[reply]") {
  const std::string out = Write2([](ReplyWriter& w) { w.Error("ERR unknown command 'x'"); });
  CHECK(out == "-ERR unknown command 'x'\r\n");
  const ReplyPtr r = DecodeOne(out);
  CHECK(r->type == REDIS_REPLY_ERROR);
  CHECK(Str(r.get()) == "ERR unknown command 'x'");
  CHECK(Write3([](ReplyWriter& w) { w.Error("WRONGTYPE x"); }) == "-WRONGTYPE x\r\n");
}

TEST_CASE("reply: newlines in an error become spaces, and at its end are dropped", "[reply]") {
  const std::string out = Write2([](ReplyWriter& w) { w.Error("ERR a\r\nb\nc\rd"); });
  CHECK(out == "-ERR a  b c d\r\n");
  const ReplyPtr r = DecodeOne(out);
  CHECK(r->type == REDIS_REPLY_ERROR);
  CHECK(Str(r.get()) == "ERR a  b c d");
  // Only the message is rewritten, never bytes already in the buffer.
  std::string buf = "+x\r\n";
  ReplyWriter w(&buf);
  w.Error("E\na");
  CHECK(buf == "+x\r\n-E a\r\n");
  // As Redis trims a formatted error: "Unsupported option a\r\n" ends at "a".
  CHECK(Write2([](ReplyWriter& w) { w.Error("ERR x a\r\n\n\r"); }) == "-ERR x a\r\n");
  CHECK(Write2([](ReplyWriter& w) { w.Error("ERR x \r\n"); }) == "-ERR x \r\n");
}

TEST_CASE("reply: integers", "[reply]") {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> values = {0,   1,     -1,     9,    10,   -10,     99,
                                 100, 12345, -12345, kMax, kMin, kMin + 1};
  for (int64_t p = 1; p <= kMax / 10; p *= 10) {
    for (int64_t v : {p - 1, p, p + 1, -p, -(p - 1)}) values.push_back(v);
  }
  for (int64_t v : values) {
    INFO("value " << v);
    std::string out;
    ReplyWriter w(&out, 2);
    w.Integer(v);
    CHECK(out == ":" + std::to_string(v) + "\r\n");
    out.clear();
    w.set_proto(3);
    w.Integer(v);
    CHECK(out == ":" + std::to_string(v) + "\r\n");
    // hiredis 0.14 overflows parsing INT64_MIN itself; the bytes are checked above.
    if (v != kMin) {
      const ReplyPtr r = DecodeOne(out);
      CHECK(r->type == REDIS_REPLY_INTEGER);
      CHECK(r->integer == v);
    }
  }
}

TEST_CASE("reply: bulk strings", "[reply]") {
  const std::string value = "a\r\nb\0c$-1\r\n"s;
  std::string out;
  ReplyWriter w(&out);
  w.Bulk(value);
  CHECK(out == "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n");
  ReplyPtr r = DecodeOne(out);
  CHECK(r->type == REDIS_REPLY_STRING);
  CHECK(Str(r.get()) == value);

  out.clear();
  w.Bulk("");
  CHECK(out == "$0\r\n\r\n");
  r = DecodeOne(out);
  CHECK(r->type == REDIS_REPLY_STRING);
  CHECK(r->len == 0);

  const std::string big(1 << 20, 'x');
  out.clear();
  w.set_proto(3);
  w.Bulk(big);
  CHECK(out == "$1048576\r\n" + big + "\r\n");
}

TEST_CASE("reply: nulls", "[reply]") {
  CHECK(Write2([](ReplyWriter& w) { w.Null(); }) == "$-1\r\n");
  CHECK(Write2([](ReplyWriter& w) { w.NullArray(); }) == "*-1\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Null(); }) == "_\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.NullArray(); }) == "_\r\n");
  CHECK(DecodeOne(Write2([](ReplyWriter& w) { w.Null(); }))->type == REDIS_REPLY_NIL);
  CHECK(DecodeOne(Write2([](ReplyWriter& w) { w.NullArray(); }))->type == REDIS_REPLY_NIL);
}

TEST_CASE("reply: arrays nest", "[reply]") {
  const std::string out = Write2([](ReplyWriter& w) {
    w.ArrayHeader(4);
    w.Bulk("a");
    w.Integer(-7);
    w.ArrayHeader(2);
    w.Null();
    w.SimpleString("x");
    w.ArrayHeader(0);
  });
  CHECK(out == "*4\r\n$1\r\na\r\n:-7\r\n*2\r\n$-1\r\n+x\r\n*0\r\n");
  const ReplyPtr r = DecodeOne(out);
  REQUIRE(r->type == REDIS_REPLY_ARRAY);
  REQUIRE(r->elements == 4);
  CHECK(Str(r->element[0]) == "a");
  CHECK(r->element[1]->integer == -7);
  REQUIRE(r->element[2]->elements == 2);
  CHECK(r->element[2]->element[0]->type == REDIS_REPLY_NIL);
  CHECK(Str(r->element[2]->element[1]) == "x");
  CHECK(r->element[3]->type == REDIS_REPLY_ARRAY);
  CHECK(r->element[3]->elements == 0);
  CHECK(Write3([](ReplyWriter& w) { w.ArrayHeader(3); }) == "*3\r\n");
}

TEST_CASE("reply: maps are flat arrays in RESP2", "[reply]") {
  auto write = [](ReplyWriter& w) {
    w.MapHeader(2);
    w.Bulk("k1");
    w.Integer(1);
    w.Bulk("k2");
    w.Bulk("v2");
  };
  const std::string resp2 = Write2(write);
  CHECK(resp2 == "*4\r\n$2\r\nk1\r\n:1\r\n$2\r\nk2\r\n$2\r\nv2\r\n");
  const ReplyPtr r = DecodeOne(resp2);
  REQUIRE(r->type == REDIS_REPLY_ARRAY);
  REQUIRE(r->elements == 4);
  CHECK(Str(r->element[0]) == "k1");
  CHECK(r->element[1]->integer == 1);
  CHECK(Str(r->element[3]) == "v2");
  CHECK(Write3(write) == "%2\r\n$2\r\nk1\r\n:1\r\n$2\r\nk2\r\n$2\r\nv2\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.MapHeader(0); }) == "%0\r\n");
}

TEST_CASE("reply: sets and pushes are arrays in RESP2", "[reply]") {
  auto set = [](ReplyWriter& w) {
    w.SetHeader(2);
    w.Bulk("a");
    w.Bulk("b");
  };
  auto push = [](ReplyWriter& w) {
    w.PushHeader(3);
    w.Bulk("message");
    w.Bulk("ch");
    w.Bulk("hi");
  };
  CHECK(Write2(set) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(Write3(set) == "~2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(Write2(push) == "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  CHECK(Write3(push) == ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  CHECK(DecodeOne(Write2(set))->elements == 2);
  CHECK(DecodeOne(Write2(push))->elements == 3);
}

TEST_CASE("reply: doubles", "[reply]") {
  const double kValues[] = {0.0,
                            -0.0,
                            1.0,
                            -1.5,
                            0.1,
                            1.0 / 3,
                            3.0e100,
                            1e-300,
                            123456789012345678.0,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::min(),
                            std::numeric_limits<double>::denorm_min(),
                            1e17,
                            1e16,
                            2.5e-5};
  for (double v : kValues) {
    const std::string text = FormatG17(v);
    INFO("value " << text);
    std::string out;
    ReplyWriter w(&out, 2);
    w.Double(v);
    CHECK(out == "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n");
    const ReplyPtr r = DecodeOne(out);
    CHECK(r->type == REDIS_REPLY_STRING);
    CHECK(Str(r.get()) == text);
    out.clear();
    w.set_proto(3);
    w.Double(v);
    CHECK(out == "," + text + "\r\n");
  }
  // Spot checks against redis-server 7.0 output.
  CHECK(Write2([](ReplyWriter& w) { w.Double(0.1); }) == "$19\r\n0.10000000000000001\r\n");
  CHECK(Write2([](ReplyWriter& w) { w.Double(3.0); }) == "$1\r\n3\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Double(1.5); }) == ",1.5\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Double(1e300); }) == ",1.0000000000000001e+300\r\n");
}

TEST_CASE("reply: infinite and NaN doubles", "[reply]") {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
  CHECK(Write2([](ReplyWriter& w) { w.Double(kInf); }) == "$3\r\ninf\r\n");
  CHECK(Write2([](ReplyWriter& w) { w.Double(-kInf); }) == "$4\r\n-inf\r\n");
  CHECK(Write2([](ReplyWriter& w) { w.Double(kNan); }) == "$3\r\nnan\r\n");
  CHECK(Write2([](ReplyWriter& w) { w.Double(-kNan); }) == "$3\r\nnan\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Double(kInf); }) == ",inf\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Double(-kInf); }) == ",-inf\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Double(kNan); }) == ",nan\r\n");
  CHECK(Str(DecodeOne(Write2([](ReplyWriter& w) { w.Double(-kInf); })).get()) == "-inf");
}

TEST_CASE("reply: booleans", "[reply]") {
  CHECK(Write2([](ReplyWriter& w) { w.Bool(true); }) == ":1\r\n");
  CHECK(Write2([](ReplyWriter& w) { w.Bool(false); }) == ":0\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Bool(true); }) == "#t\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Bool(false); }) == "#f\r\n");
  const ReplyPtr r = DecodeOne(Write2([](ReplyWriter& w) { w.Bool(true); }));
  CHECK(r->type == REDIS_REPLY_INTEGER);
  CHECK(r->integer == 1);
}

TEST_CASE("reply: verbatim strings", "[reply]") {
  auto write = [](ReplyWriter& w) { w.Verbatim("Some string"); };
  CHECK(Write2(write) == "$11\r\nSome string\r\n");
  CHECK(Str(DecodeOne(Write2(write)).get()) == "Some string");
  CHECK(Write3(write) == "=15\r\ntxt:Some string\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Verbatim("# x\r\n", "mkd"); }) == "=9\r\nmkd:# x\r\n\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.Verbatim(""); }) == "=4\r\ntxt:\r\n");
}

TEST_CASE("reply: big numbers", "[reply]") {
  auto write = [](ReplyWriter& w) { w.BigNumber("3492890328409238509324850943850943825024385"); };
  CHECK(Write2(write) == "$43\r\n3492890328409238509324850943850943825024385\r\n");
  CHECK(Str(DecodeOne(Write2(write)).get()) == "3492890328409238509324850943850943825024385");
  CHECK(Write3(write) == "(3492890328409238509324850943850943825024385\r\n");
  CHECK(Write3([](ReplyWriter& w) { w.BigNumber("-1"); }) == "(-1\r\n");
}

TEST_CASE("reply: the writer appends and can switch buffers and protocol", "[reply]") {
  std::string a = "existing";
  std::string b;
  ReplyWriter w(&a);
  CHECK(w.proto() == 2);
  CHECK(w.buffer() == &a);
  w.Integer(5);
  w.set_buffer(&b);
  w.set_proto(3);
  CHECK(w.proto() == 3);
  w.Null();
  CHECK(a == "existing:5\r\n");
  CHECK(b == "_\r\n");
}

TEST_CASE("reply: a pipeline of replies decodes in order", "[reply]") {
  std::string out;
  ReplyWriter w(&out);
  w.Ok();
  w.Bulk("v");
  w.Null();
  w.Integer(42);
  w.Error("ERR x");
  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  REQUIRE(redisReaderFeed(reader.get(), out.data(), out.size()) == REDIS_OK);
  const int kTypes[] = {REDIS_REPLY_STATUS, REDIS_REPLY_STRING, REDIS_REPLY_NIL,
                        REDIS_REPLY_INTEGER, REDIS_REPLY_ERROR};
  for (int type : kTypes) {
    void* reply = nullptr;
    REQUIRE(redisReaderGetReply(reader.get(), &reply) == REDIS_OK);
    REQUIRE(reply != nullptr);
    ReplyPtr r(static_cast<redisReply*>(reply));
    CHECK(r->type == type);
  }
  void* reply = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &reply) == REDIS_OK);
  CHECK(reply == nullptr);
}

}  // namespace
}  // namespace ringkv::resp
