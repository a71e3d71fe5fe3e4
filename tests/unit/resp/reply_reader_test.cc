#include "resp/reply_reader.h"

#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply.h"

namespace ringkv::resp {

// For Catch's failure messages: the RESP2 bytes, escaped, plus the type.
std::ostream& operator<<(std::ostream& os, const RespValue& v) {
  return os << "{type:" << static_cast<int>(v.type) << " "
            << ::Catch::Detail::stringify(EncodeValue(v)) << "}";
}

namespace {

using namespace std::string_literals;

RespValue Make(RespValue::Type type) {
  RespValue v;
  v.type = type;
  return v;
}
RespValue WithStr(RespValue::Type type, std::string s) {
  RespValue v = Make(type);
  v.str = std::move(s);
  return v;
}
RespValue WithInt(RespValue::Type type, int64_t i) {
  RespValue v = Make(type);
  v.integer = i;
  return v;
}
RespValue Simple(std::string s) { return WithStr(RespValue::kSimple, std::move(s)); }
RespValue Err(std::string s) { return WithStr(RespValue::kError, std::move(s)); }
RespValue Int(int64_t i) { return WithInt(RespValue::kInteger, i); }
RespValue Bulk(std::string s) { return WithStr(RespValue::kBulk, std::move(s)); }
RespValue Null() { return Make(RespValue::kNull); }
RespValue NullArray() { return WithInt(RespValue::kNull, 1); }
RespValue Dbl(double d) {
  RespValue v = Make(RespValue::kDouble);
  v.dbl = d;
  return v;
}
RespValue Bool(bool b) { return WithInt(RespValue::kBool, b ? 1 : 0); }
RespValue Verbatim(std::string s) { return WithStr(RespValue::kVerbatim, std::move(s)); }
RespValue Big(std::string s) { return WithStr(RespValue::kBigNumber, std::move(s)); }
RespValue Agg(RespValue::Type t, std::vector<RespValue> e) {
  RespValue v = Make(t);
  v.elems = std::move(e);
  return v;
}
RespValue Arr(std::vector<RespValue> e) { return Agg(RespValue::kArray, std::move(e)); }

// What a peer connection saw after feeding a byte stream through one reader.
struct Outcome {
  std::vector<RespValue> values;  // every kOk, in order
  std::string error;              // the kError text, if any
  size_t unparsed = 0;            // bytes left in the buffer at the end

  bool operator==(const Outcome&) const = default;
};

Outcome Values(std::vector<RespValue> values, size_t unparsed = 0) {
  Outcome o;
  o.values = std::move(values);
  o.unparsed = unparsed;
  return o;
}

Outcome Failed(std::string_view error, size_t unparsed) {
  Outcome o;
  o.error = std::string(error);
  o.unparsed = unparsed;
  return o;
}

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{values:";
  for (const auto& v : o.values) os << v;
  return os << " error:\"" << o.error << "\" unparsed:" << o.unparsed << "}";
}

// Appends each chunk to a growing std::string (which reallocates, so the
// reader must not keep pointers), parses until kIncomplete, drops consumed bytes.
Outcome Feed(const std::vector<std::string_view>& chunks, const ReplyLimits& limits = {}) {
  ReplyReader reader(limits);
  Outcome out;
  std::string buf;
  for (std::string_view chunk : chunks) {
    buf.append(chunk);
    for (;;) {
      RespValue v;
      size_t consumed = 0;
      const ParseStatus s = reader.Parse(buf, &v, &consumed);
      if (s == ParseStatus::kIncomplete) break;
      if (s == ParseStatus::kError) {
        out.error = std::string(reader.error());
        REQUIRE(!out.error.empty());
        out.unparsed = buf.size();
        return out;
      }
      REQUIRE(consumed > 0);
      REQUIRE(consumed <= buf.size());
      out.values.push_back(std::move(v));
      buf.erase(0, consumed);
    }
  }
  out.unparsed = buf.size();
  return out;
}

Outcome FeedWhole(std::string_view in, const ReplyLimits& limits = {}) {
  return Feed({in}, limits);
}

// Whole, byte by byte, and split in two at every offset: the same outcome each
// time (on an error `unparsed` depends on how much had arrived).
void CheckAllSplits(std::string_view input, const Outcome& expected,
                    const ReplyLimits& limits = {}) {
  INFO("input: " << ::Catch::Detail::stringify(std::string(input)));
  REQUIRE(FeedWhole(input, limits) == expected);
  auto same = [&](Outcome got) {
    if (!expected.error.empty()) got.unparsed = expected.unparsed;
    return got;
  };
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  REQUIRE(same(Feed(bytes, limits)) == expected);
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    INFO("cut at " << cut);
    REQUIRE(same(Feed({input.substr(0, cut), input.substr(cut)}, limits)) == expected);
  }
}

void CheckValue(std::string_view input, const RespValue& expected) {
  CheckAllSplits(input, Values({expected}));
}

void CheckError(std::string_view input, std::string_view error, const ReplyLimits& limits = {}) {
  CheckAllSplits(input, Failed(error, input.size()), limits);
}

TEST_CASE("ReplyReader: every RESP2 type, split at every offset", "[reply_reader]") {
  CheckValue("+OK\r\n", Simple("OK"));
  CheckValue("+\r\n", Simple(""));
  CheckValue("-ERR no such key\r\n", Err("ERR no such key"));
  CheckValue(":0\r\n", Int(0));
  CheckValue(":-42\r\n", Int(-42));
  CheckValue(":9223372036854775807\r\n", Int(std::numeric_limits<int64_t>::max()));
  CheckValue(":-9223372036854775808\r\n", Int(std::numeric_limits<int64_t>::min()));
  CheckValue("$5\r\nhello\r\n", Bulk("hello"));
  CheckValue("$0\r\n\r\n", Bulk(""));
  CheckValue("$4\r\na\r\nb\r\n", Bulk("a\r\nb"));  // binary safe
  CheckValue("$3\r\n\0\xff\r\r\n"s, Bulk("\0\xff\r"s));
  CheckValue("$-1\r\n", Null());
  CheckValue("*-1\r\n", NullArray());
  CheckValue("*0\r\n", Arr({}));
  CheckValue("*3\r\n:1\r\n$1\r\nx\r\n+y\r\n", Arr({Int(1), Bulk("x"), Simple("y")}));
  CheckValue("*2\r\n*1\r\n*0\r\n$-1\r\n", Arr({Arr({Arr({})}), Null()}));
  CheckValue("*3\r\n*-1\r\n-ERR x\r\n*1\r\n:5\r\n",
             Arr({NullArray(), Err("ERR x"), Arr({Int(5)})}));
}

TEST_CASE("ReplyReader: every RESP3 type, split at every offset", "[reply_reader]") {
  CheckValue("_\r\n", Null());
  CheckValue(",1.5\r\n", Dbl(1.5));
  CheckValue(",-0.25\r\n", Dbl(-0.25));
  CheckValue(",1e10\r\n", Dbl(1e10));
  CheckValue(",inf\r\n", Dbl(std::numeric_limits<double>::infinity()));
  CheckValue(",-inf\r\n", Dbl(-std::numeric_limits<double>::infinity()));
  {
    const Outcome o = FeedWhole(",nan\r\n");
    REQUIRE(o.values.size() == 1);
    CHECK(o.values[0].type == RespValue::kDouble);
    CHECK(std::isnan(o.values[0].dbl));
  }
  CheckValue("#t\r\n", Bool(true));
  CheckValue("#f\r\n", Bool(false));
  CheckValue("!11\r\nSYNTAX oops\r\n", Err("SYNTAX oops"));
  CheckValue("!0\r\n\r\n", Err(""));
  CheckValue("=15\r\ntxt:Some string\r\n", Verbatim("Some string"));
  CheckValue("=4\r\nmkd:\r\n", Verbatim(""));
  CheckValue("(3492890328409238509324850943850943825024385\r\n",
             Big("3492890328409238509324850943850943825024385"));
  CheckValue("(-12\r\n", Big("-12"));
  CheckValue("%2\r\n+a\r\n:1\r\n$1\r\nb\r\n#f\r\n",
             Agg(RespValue::kMap, {Simple("a"), Int(1), Bulk("b"), Bool(false)}));
  CheckValue("%0\r\n", Agg(RespValue::kMap, {}));
  CheckValue("~2\r\n:1\r\n:2\r\n", Agg(RespValue::kSet, {Int(1), Int(2)}));
  CheckValue(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
             Agg(RespValue::kPush, {Bulk("message"), Bulk("ch"), Bulk("hi")}));
  CheckValue("%1\r\n$4\r\nkeys\r\n~1\r\n*2\r\n_\r\n,2\r\n",
             Agg(RespValue::kMap, {Bulk("keys"), Agg(RespValue::kSet, {Arr({Null(), Dbl(2)})})}));
}

TEST_CASE("ReplyReader: pipelined replies come out one at a time, in order", "[reply_reader]") {
  const std::string in =
      "+OK\r\n:1\r\n$3\r\nabc\r\n*2\r\n:1\r\n:2\r\n_\r\n%1\r\n+k\r\n+v\r\n$2\r\nxy";
  const Outcome expected = Values({Simple("OK"), Int(1), Bulk("abc"), Arr({Int(1), Int(2)}), Null(),
                                   Agg(RespValue::kMap, {Simple("k"), Simple("v")})},
                                  6);  // the unfinished "$2\r\nxy"
  CheckAllSplits(in, expected);
}

TEST_CASE("ReplyReader: garbage is a protocol error", "[reply_reader]") {
  CheckError("hello\r\n", "Protocol error: invalid reply type byte");
  CheckError("\r\n", "Protocol error: invalid reply type byte");
  CheckError("|1\r\n+a\r\n+b\r\n+c\r\n", "Protocol error: invalid reply type byte");
  CheckError("+OK\n", "Protocol error: expected CRLF at end of line");
  CheckError("+O\rK\r\n", "Protocol error: expected CRLF at end of line");
  CheckError(":\r\n", "Protocol error: invalid integer");
  CheckError(":12a\r\n", "Protocol error: invalid integer");
  CheckError(":+1\r\n", "Protocol error: invalid integer");
  CheckError(": 1\r\n", "Protocol error: invalid integer");
  CheckError(":9223372036854775808\r\n", "Protocol error: invalid integer");
  CheckError(",\r\n", "Protocol error: invalid double");
  CheckError(",1.5x\r\n", "Protocol error: invalid double");
  CheckError(",abc\r\n", "Protocol error: invalid double");
  CheckError("#x\r\n", "Protocol error: invalid boolean");
  CheckError("#tt\r\n", "Protocol error: invalid boolean");
  CheckError("_x\r\n", "Protocol error: invalid null");
  CheckError("(\r\n", "Protocol error: invalid big number");
  CheckError("(1.5\r\n", "Protocol error: invalid big number");
  CheckError("(-\r\n", "Protocol error: invalid big number");
  CheckError("$\r\n", "Protocol error: invalid bulk length");
  CheckError("$abc\r\n", "Protocol error: invalid bulk length");
  CheckError("$-2\r\n", "Protocol error: invalid bulk length");
  CheckError("!-1\r\n", "Protocol error: invalid bulk length");
  CheckError("=-1\r\n", "Protocol error: invalid bulk length");
  CheckError("$?\r\n", "Protocol error: invalid bulk length");  // streamed strings
  CheckError("$3\r\nabcXY", "Protocol error: expected CRLF after bulk string");
  CheckError("$3\r\nabcd\r\n", "Protocol error: expected CRLF after bulk string");
  CheckError("=3\r\ntxt\r\n", "Protocol error: invalid verbatim string");
  CheckError("=5\r\ntxt-x\r\n", "Protocol error: invalid verbatim string");
  CheckError("*\r\n", "Protocol error: invalid multibulk length");
  CheckError("*-2\r\n", "Protocol error: invalid multibulk length");
  CheckError("%-1\r\n", "Protocol error: invalid multibulk length");
  CheckError("~-1\r\n", "Protocol error: invalid multibulk length");
  CheckError(">x\r\n", "Protocol error: invalid multibulk length");
  CheckError("*?\r\n", "Protocol error: invalid multibulk length");
  // Garbage inside an aggregate fails the whole reply.
  CheckError("*2\r\n:1\r\nnope\r\n", "Protocol error: invalid reply type byte");
}

TEST_CASE("ReplyReader: the reader is reusable after an error and after Reset", "[reply_reader]") {
  ReplyReader reader;
  RespValue v;
  size_t consumed = 0;
  REQUIRE(reader.Parse("*2\r\n:1\r\n", &v, &consumed) == ParseStatus::kIncomplete);
  REQUIRE(reader.Parse("*2\r\n:1\r\n?", &v, &consumed) == ParseStatus::kError);
  REQUIRE(reader.Parse("+OK\r\n", &v, &consumed) == ParseStatus::kOk);
  CHECK(v == Simple("OK"));
  CHECK(consumed == 5);
  CHECK(reader.error().empty());

  REQUIRE(reader.Parse("*2\r\n:1\r\n", &v, &consumed) == ParseStatus::kIncomplete);
  reader.Reset();  // the caller dropped its buffer
  REQUIRE(reader.Parse(":7\r\n", &v, &consumed) == ParseStatus::kOk);
  CHECK(v == Int(7));
}

TEST_CASE("ReplyReader: kIncomplete leaves the output untouched", "[reply_reader]") {
  ReplyReader reader;
  RespValue v = Simple("before");
  size_t consumed = 99;
  REQUIRE(reader.Parse("$10\r\nhello", &v, &consumed) == ParseStatus::kIncomplete);
  CHECK(v == Simple("before"));
  CHECK(consumed == 99);
  CHECK(reader.PendingBulkBytes() == 7);  // five more payload bytes and CRLF
  REQUIRE(reader.Parse("$10\r\nhelloworld\r\n", &v, &consumed) == ParseStatus::kOk);
  CHECK(v == Bulk("helloworld"));
  CHECK(reader.PendingBulkBytes() == 0);
}

TEST_CASE("ReplyReader: limits", "[reply_reader]") {
  SECTION("bulk length is refused at its header, before the payload arrives") {
    ReplyLimits limits;
    limits.max_bulk_len = 10;
    CheckAllSplits("$10\r\n0123456789\r\n", Values({Bulk("0123456789")}), limits);
    CheckError("=14\r\ntxt:0123456789\r\n", "Protocol error: bulk length over the limit", limits);
    CHECK(FeedWhole("$11\r\n", limits).error == "Protocol error: bulk length over the limit");
    CHECK(FeedWhole("!11\r\n", limits).error == "Protocol error: bulk length over the limit");
    // The defaults refuse Redis's largest lengths plus one.
    CHECK(FeedWhole("$536870913\r\n").error == "Protocol error: bulk length over the limit");
    CHECK(FeedWhole("$9223372036854775807\r\n").error ==
          "Protocol error: bulk length over the limit");
    CHECK(FeedWhole("$536870912\r\n").error.empty());  // allowed: waits for the payload
  }

  SECTION("nesting depth 32 is allowed, 33 is not") {
    auto nested = [](int depth) {
      std::string s;
      for (int i = 0; i < depth; ++i) s += "*1\r\n";
      return s + ":1\r\n";
    };
    const Outcome ok = FeedWhole(nested(32));
    REQUIRE(ok.values.size() == 1);
    const RespValue* v = &ok.values[0];
    for (int i = 0; i < 32; ++i) {
      REQUIRE(v->type == RespValue::kArray);
      REQUIRE(v->elems.size() == 1);
      v = &v->elems[0];
    }
    CHECK(*v == Int(1));
    CheckError(nested(33), "Protocol error: reply nested too deep");
    // Empty aggregates and every aggregate type count too.
    std::string mixed;
    for (int i = 0; i < 32; ++i) mixed += i % 2 ? "%1\r\n+k\r\n" : ">1\r\n";
    CHECK(FeedWhole(mixed + ":1\r\n").values.size() == 1);
    CheckError(mixed + "*0\r\n", "Protocol error: reply nested too deep");
  }

  SECTION("a declared element count over the limit is refused at once") {
    ReplyLimits limits;
    limits.max_elements = 4;
    CHECK(FeedWhole("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", limits).values.size() == 1);
    CHECK(FeedWhole("*5\r\n", limits).error == "Protocol error: too many elements in reply");
    CHECK(FeedWhole("%2\r\n", limits).values.empty());  // 4 values: allowed, incomplete
    CHECK(FeedWhole("%3\r\n", limits).error == "Protocol error: too many elements in reply");
    // Nested counts add up: 2 + 2 + 1 > 4.
    CheckError("*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n:3\r\n", "Protocol error: too many elements in reply",
               limits);
    // The budget is per reply: the next reply starts again from zero.
    const Outcome o =
        FeedWhole("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", limits);
    CHECK(o.values.size() == 2);
    CHECK(o.error.empty());
    // A hostile count under the default limits.
    CHECK(FeedWhole("*1000000000\r\n").error == "Protocol error: too many elements in reply");
    CHECK(FeedWhole("%4611686018427387904\r\n").error ==
          "Protocol error: too many elements in reply");
    CHECK(FeedWhole("*9223372036854775807\r\n").error ==
          "Protocol error: too many elements in reply");
  }

  SECTION("a line over the limit is refused before its CRLF arrives") {
    ReplyLimits limits;
    limits.max_line_len = 8;
    CheckAllSplits("+12345678\r\n", Values({Simple("12345678")}), limits);
    CHECK(FeedWhole("+123456789", limits).error == "Protocol error: too long line in reply");
    CHECK(FeedWhole(":000000000001\r\n", limits).error == "Protocol error: too long line in reply");
    CheckError("-123456789\r\n", "Protocol error: too long line in reply", limits);
  }
}

// The ReplyWriter calls that make one reply, in RESP2 and in RESP3.
struct WriterCase {
  const char* name;
  std::function<void(ReplyWriter&)> write;
};

const std::vector<WriterCase>& WriterCases() {
  static const std::vector<WriterCase> cases = {
      {"ok", [](ReplyWriter& w) { w.Ok(); }},
      {"simple", [](ReplyWriter& w) { w.SimpleString("PONG"); }},
      {"error", [](ReplyWriter& w) { w.Error("WRONGTYPE Operation against a key"); }},
      {"integer", [](ReplyWriter& w) { w.Integer(-123456789012345); }},
      {"bulk", [](ReplyWriter& w) { w.Bulk("bin\r\n\0ary"s); }},
      {"empty bulk", [](ReplyWriter& w) { w.Bulk(""); }},
      {"null", [](ReplyWriter& w) { w.Null(); }},
      {"double", [](ReplyWriter& w) { w.Double(3.141592653589793); }},
      {"double inf", [](ReplyWriter& w) { w.Double(-std::numeric_limits<double>::infinity()); }},
      {"double tiny", [](ReplyWriter& w) { w.Double(1e-300); }},
      {"bool", [](ReplyWriter& w) { w.Bool(true); }},
      {"verbatim", [](ReplyWriter& w) { w.Verbatim("# Server\r\nredis_version:7.0.0\r\n"); }},
      {"big number",
       [](ReplyWriter& w) { w.BigNumber("-1234567890123456789012345678901234567890"); }},
      {"array",
       [](ReplyWriter& w) {
         w.ArrayHeader(3);
         w.Bulk("a");
         w.Integer(1);
         w.Null();
       }},
      {"map",
       [](ReplyWriter& w) {
         w.MapHeader(2);
         w.Bulk("server");
         w.Bulk("ringkv");
         w.Bulk("proto");
         w.Integer(3);
       }},
      {"set of maps",
       [](ReplyWriter& w) {
         w.SetHeader(2);
         w.MapHeader(1);
         w.SimpleString("k");
         w.Double(0.5);
         w.MapHeader(0);
       }},
      {"push",
       [](ReplyWriter& w) {
         w.PushHeader(3);
         w.Bulk("message");
         w.Bulk("chan");
         w.Bool(false);
       }},
      {"empty array", [](ReplyWriter& w) { w.ArrayHeader(0); }},
  };
  return cases;
}

TEST_CASE("ReplyReader: round trip with ReplyWriter", "[reply_reader]") {
  for (const WriterCase& c : WriterCases()) {
    INFO("case: " << c.name);
    std::string resp2, resp3;
    ReplyWriter w2(&resp2, 2), w3(&resp3, 3);
    c.write(w2);
    c.write(w3);

    // RESP2 bytes re-encode to themselves, whole or split anywhere.
    const Outcome from2 = FeedWhole(resp2);
    REQUIRE(from2.values.size() == 1);
    REQUIRE(from2.unparsed == 0);
    CHECK(EncodeValue(from2.values[0]) == resp2);
    CheckAllSplits(resp2, from2);

    // RESP3 bytes re-encode to what ReplyWriter writes for a RESP2 client.
    const Outcome from3 = FeedWhole(resp3);
    REQUIRE(from3.values.size() == 1);
    REQUIRE(from3.unparsed == 0);
    CHECK(EncodeValue(from3.values[0]) == resp2);
    CheckAllSplits(resp3, from3);
  }

  // RESP3 has one null: a null array comes back as a null bulk.
  std::string resp2, resp3;
  ReplyWriter(&resp2, 2).NullArray();
  ReplyWriter(&resp3, 3).NullArray();
  CHECK(EncodeValue(FeedWhole(resp2).values.at(0)) == "*-1\r\n");
  CHECK(EncodeValue(FeedWhole(resp3).values.at(0)) == "$-1\r\n");
}

TEST_CASE("EncodeValue: RESP2 forms of every type", "[reply_reader]") {
  CHECK(EncodeValue(Simple("a\r\nb")) == "+a  b\r\n");
  CHECK(EncodeValue(Err("ERR x\ny")) == "-ERR x y\r\n");
  CHECK(EncodeValue(Dbl(2.5)) == "$3\r\n2.5\r\n");
  CHECK(EncodeValue(Bool(false)) == ":0\r\n");
  CHECK(EncodeValue(Verbatim("hi")) == "$2\r\nhi\r\n");
  CHECK(EncodeValue(Big("123")) == "$3\r\n123\r\n");
  CHECK(EncodeValue(Agg(RespValue::kMap, {Bulk("k"), Int(1)})) == "*2\r\n$1\r\nk\r\n:1\r\n");
  CHECK(EncodeValue(Agg(RespValue::kSet, {})) == "*0\r\n");
  CHECK(EncodeValue(Agg(RespValue::kPush, {Null()})) == "*1\r\n$-1\r\n");
  std::string out = "prefix";
  AppendValue(Int(5), &out);
  CHECK(out == "prefix:5\r\n");
}

// A random tree of the types RESP2 keeps apart, so it survives encode/decode
// unchanged.
RespValue RandomResp2Value(std::mt19937_64& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  auto text = [&](bool binary) {
    std::string s(static_cast<size_t>(pick(12)), 'x');
    for (char& c : s) c = binary ? static_cast<char>(rng()) : static_cast<char>('a' + pick(26));
    return s;
  };
  switch (pick(depth < 4 ? 7 : 5)) {
    case 0:
      return Simple(text(false));
    case 1:
      return Err("ERR " + text(false));
    case 2:
      return Int(static_cast<int64_t>(rng()));
    case 3:
      return Bulk(text(true));
    case 4:
      return pick(2) ? Null() : NullArray();
    default: {
      std::vector<RespValue> elems(static_cast<size_t>(pick(5)));
      for (RespValue& e : elems) e = RandomResp2Value(rng, depth + 1);
      return Arr(std::move(elems));
    }
  }
}

struct HiredisReaderDeleter {
  void operator()(redisReader* r) const { redisReaderFree(r); }
};
struct HiredisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

// Compares our value with hiredis's independent decoding of the same bytes.
void CheckSameAsHiredis(const RespValue& v, const redisReply* r) {
  switch (v.type) {
    case RespValue::kSimple:
      REQUIRE(r->type == REDIS_REPLY_STATUS);
      CHECK(std::string(r->str, r->len) == v.str);
      return;
    case RespValue::kError:
      REQUIRE(r->type == REDIS_REPLY_ERROR);
      CHECK(std::string(r->str, r->len) == v.str);
      return;
    case RespValue::kInteger:
      REQUIRE(r->type == REDIS_REPLY_INTEGER);
      CHECK(r->integer == v.integer);
      return;
    case RespValue::kBulk:
      REQUIRE(r->type == REDIS_REPLY_STRING);
      CHECK(std::string(r->str, r->len) == v.str);
      return;
    case RespValue::kNull:
      CHECK(r->type == REDIS_REPLY_NIL);
      return;
    default:
      REQUIRE(r->type == REDIS_REPLY_ARRAY);
      REQUIRE(r->elements == v.elems.size());
      for (size_t i = 0; i < v.elems.size(); ++i) CheckSameAsHiredis(v.elems[i], r->element[i]);
      return;
  }
}

TEST_CASE("ReplyReader: random RESP2 trees survive encode and decode", "[reply_reader]") {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 300; ++round) {
    const RespValue v = RandomResp2Value(rng, 0);
    const std::string bytes = EncodeValue(v);
    INFO("bytes: " << ::Catch::Detail::stringify(bytes));
    const Outcome o = FeedWhole(bytes);
    REQUIRE(o.values.size() == 1);
    REQUIRE(o.unparsed == 0);
    CHECK(o.values[0] == v);

    std::unique_ptr<redisReader, HiredisReaderDeleter> reader(redisReaderCreate());
    REQUIRE(redisReaderFeed(reader.get(), bytes.data(), bytes.size()) == REDIS_OK);
    void* reply = nullptr;
    REQUIRE(redisReaderGetReply(reader.get(), &reply) == REDIS_OK);
    REQUIRE(reply != nullptr);
    std::unique_ptr<redisReply, HiredisReplyDeleter> owned(static_cast<redisReply*>(reply));
    CheckSameAsHiredis(v, owned.get());

    if (round % 30 == 0) CheckAllSplits(bytes, o);
  }
}

TEST_CASE("ReplyReader: random bytes and mutated replies never crash", "[reply_reader]") {
  std::mt19937_64 rng(7);
  const std::string alphabet = "+-:$*_,#!=(%~>|?\r\n0123456789-tfinax";
  std::vector<std::string> seeds;
  for (const WriterCase& c : WriterCases()) {
    std::string b;
    ReplyWriter w(&b, 3);
    c.write(w);
    seeds.push_back(b);
  }
  ReplyLimits limits;
  limits.max_bulk_len = 1024;
  limits.max_elements = 64;
  limits.max_depth = 4;
  limits.max_line_len = 32;
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    if (round % 2 == 0) {
      input.resize(rng() % 40);
      for (char& c : input) {
        c = rng() % 4 == 0 ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
      }
    } else {
      input = seeds[rng() % seeds.size()] + seeds[rng() % seeds.size()];
      for (int m = 0; m < 3; ++m) {
        const size_t at = rng() % input.size();
        switch (rng() % 3) {
          case 0:
            input[at] = alphabet[rng() % alphabet.size()];
            break;
          case 1:
            input.erase(at, 1 + rng() % 3);
            break;
          default:
            input.insert(at, 1, static_cast<char>(rng()));
            break;
        }
        if (input.empty()) break;
      }
    }
    // Fed whole and in random chunks; each kOk consumed a positive prefix.
    const Outcome whole = FeedWhole(input, limits);
    std::vector<std::string_view> chunks;
    for (size_t at = 0; at < input.size();) {
      const size_t len = 1 + rng() % 5;
      chunks.push_back(std::string_view(input).substr(at, len));
      at += len;
    }
    Outcome split = Feed(chunks, limits);
    if (!whole.error.empty()) split.unparsed = whole.unparsed;
    REQUIRE(split == whole);
  }
}

}  // namespace
}  // namespace ringkv::resp
