#include "resp/parser.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::resp {
namespace {

using namespace std::string_literals;
using Command = std::vector<std::string>;

// What a connection saw after feeding a byte stream through one parser.
struct Outcome {
  std::vector<Command> commands;  // every kOk, in order (empty commands included)
  std::string error;              // the kError text, if any
  size_t unparsed = 0;            // bytes left in the buffer at the end

  bool operator==(const Outcome& o) const {
    return commands == o.commands && error == o.error && unparsed == o.unparsed;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "{commands:";
  for (const auto& c : o.commands) os << ::Catch::Detail::stringify(c);
  return os << " error:\"" << o.error << "\" unparsed:" << o.unparsed << "}";
}

// Feeds `chunks` in order the way a connection would: append what arrived,
// parse until kIncomplete, drop consumed bytes. The buffer is a std::string
// that reallocates as it grows, so the parser must not keep pointers into it.
Outcome Feed(const std::vector<std::string_view>& chunks, const ParseLimits& limits = {}) {
  Parser parser(limits);
  Outcome out;
  std::string buf;
  std::vector<std::string_view> args;
  for (std::string_view chunk : chunks) {
    buf.append(chunk);
    for (;;) {
      const ParseResult r = parser.Parse(buf, &args);
      if (r.status == ParseStatus::kIncomplete) break;
      if (r.status == ParseStatus::kError) {
        out.error = std::string(r.error);
        out.unparsed = buf.size();
        return out;
      }
      REQUIRE(r.consumed > 0);
      REQUIRE(r.consumed <= buf.size());
      out.commands.emplace_back(args.begin(), args.end());
      buf.erase(0, r.consumed);
    }
  }
  out.unparsed = buf.size();
  return out;
}

Outcome FeedWhole(std::string_view input, const ParseLimits& limits = {}) {
  return Feed({input}, limits);
}

// Feeds `input` whole, one byte at a time, and split in two at every offset,
// and requires the same outcome every time. On an error `unparsed` depends on
// how much had arrived, so it is only compared for the whole feed.
void CheckAllSplits(std::string_view input, const Outcome& expected,
                    const ParseLimits& limits = {}) {
  INFO("input: " << ::Catch::Detail::stringify(std::string(input)));
  const Outcome whole = FeedWhole(input, limits);
  REQUIRE(whole == expected);

  auto same = [&](Outcome got) {
    if (!expected.error.empty()) got.unparsed = expected.unparsed;
    return got;
  };
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  {
    INFO("byte by byte");
    REQUIRE(same(Feed(bytes, limits)) == expected);
  }
  for (size_t i = 1; i < input.size(); ++i) {
    INFO("split at " << i);
    REQUIRE(same(Feed({input.substr(0, i), input.substr(i)}, limits)) == expected);
  }
}

Outcome Commands(std::vector<Command> commands) { return {std::move(commands), "", 0}; }

Outcome Error(std::string_view error, size_t unparsed, std::vector<Command> before = {}) {
  return {std::move(before), std::string(error), unparsed};
}

Outcome Pending(size_t unparsed, std::vector<Command> before = {}) {
  return {std::move(before), "", unparsed};
}

bool PointsInto(std::string_view arg, std::string_view buf) {
  return arg.data() >= buf.data() && arg.data() + arg.size() <= buf.data() + buf.size();
}

// ---------------------------------------------------------------- multibulk

TEST_CASE("multibulk: a simple command", "[parser][multibulk]") {
  CheckAllSplits("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", Commands({{"GET", "k"}}));
  CheckAllSplits("*1\r\n$4\r\nPING\r\n", Commands({{"PING"}}));
}

TEST_CASE("multibulk: bulks are binary safe", "[parser][multibulk]") {
  const std::string value = "a\r\nb\0c\r\n$1\r\n*"s;
  const std::string frame =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  CheckAllSplits(frame, Commands({{"SET", "k", value}}));

  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  CheckAllSplits("*1\r\n$256\r\n" + all_bytes + "\r\n", Commands({{all_bytes}}));
}

TEST_CASE("multibulk: empty bulk strings", "[parser][multibulk]") {
  CheckAllSplits("*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n", Commands({{"SET", "", ""}}));
}

TEST_CASE("multibulk: *0 and negative counts are empty commands", "[parser][multibulk]") {
  CheckAllSplits("*0\r\n", Commands({{}}));
  CheckAllSplits("*-1\r\n", Commands({{}}));
  CheckAllSplits("*-10\r\n", Commands({{}}));
  CheckAllSplits("*0\r\n*1\r\n$4\r\nPING\r\n", Commands({{}, {"PING"}}));
}

TEST_CASE("multibulk: pipelined commands in one buffer", "[parser][multibulk]") {
  const std::string frame =
      "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
      "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
      "PING\r\n"
      "*1\r\n$4\r\nPING\r\n"
      "\r\n"
      "*2\r\n$4\r\nECHO\r\n$5\r\nhel";
  CheckAllSplits(frame, Pending(std::string_view("*2\r\n$4\r\nECHO\r\n$5\r\nhel").size(),
                                {{"SET", "a", "1"}, {"GET", "a"}, {"PING"}, {"PING"}, {}}));
}

TEST_CASE("multibulk: an incomplete command waits and consumes nothing", "[parser][multibulk]") {
  const std::string frame = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  for (size_t len = 1; len < frame.size(); ++len) {
    INFO("prefix length " << len);
    CHECK(FeedWhole(std::string_view(frame).substr(0, len)) == Pending(len));
  }
}

TEST_CASE("multibulk: count errors", "[parser][multibulk][errors]") {
  const auto invalid = "Protocol error: invalid multibulk length";
  for (std::string_view frame :
       {"*x\r\n", "*\r\n", "*1x\r\n", "*+1\r\n", "*01\r\n", "*-\r\n", "*-0\r\n", "* 1\r\n",
        "*1 \r\n", "*99999999999999999999\r\n", "*9223372036854775808\r\n", "*1\n$4\r\nPING\r\n"}) {
    CheckAllSplits(frame, Error(invalid, frame.size()));
  }
  // A header line must end in CRLF, not a lone CR.
  const std::string_view lone_cr = "*1\rx$4\r\nPING\r\n";
  CheckAllSplits(lone_cr, Error(invalid, lone_cr.size()));
}

TEST_CASE("multibulk: count limit", "[parser][multibulk][limits]") {
  ParseLimits limits;
  limits.max_multibulk_len = 3;
  CheckAllSplits("*4\r\n", Error("Protocol error: invalid multibulk length", 4), limits);
  CheckAllSplits("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", Commands({{"a", "b", "c"}}), limits);
  // The default admits up to INT_MAX arguments (as redis-server) but
  // preallocates only for a few.
  CheckAllSplits("*2147483648\r\n", Error("Protocol error: invalid multibulk length", 13));
  CHECK(FeedWhole("*2147483647\r\n$1\r\na\r\n") == Pending(20));
  // Before AUTH: at most 10 arguments of at most 16 KiB.
  ParseLimits unauth;
  unauth.unauthenticated = true;
  CheckAllSplits("*11\r\n", Error("Protocol error: unauthenticated multibulk length", 5), unauth);
  CheckAllSplits("*1\r\n$16385\r\n", Error("Protocol error: unauthenticated bulk length", 12),
                 unauth);
  CHECK(FeedWhole("*10\r\n$16384\r\n", unauth) == Pending(13));
}

TEST_CASE("multibulk: a huge count is not preallocated", "[parser][multibulk][limits]") {
  ParseLimits limits;
  limits.max_multibulk_len = std::numeric_limits<int64_t>::max();
  Parser parser(limits);
  std::vector<std::string_view> args;
  // Reserving 2^62 slots would throw; only arriving arguments take memory.
  const std::string frame = "*4611686018427387904\r\n$1\r\na\r\n$1\r\nb\r\n";
  CHECK(parser.Parse(frame, &args).status == ParseStatus::kIncomplete);
  CHECK(parser.Parse(frame, &args).status == ParseStatus::kIncomplete);
}

TEST_CASE("multibulk: expected '$'", "[parser][multibulk][errors]") {
  CheckAllSplits("*1\r\nX\r\n", Error("Protocol error: expected '$', got 'X'", 7));
  CheckAllSplits("*1\r\n:1\r\n", Error("Protocol error: expected '$', got ':'", 8));
  CheckAllSplits("*1\r\n\r\n", Error("Protocol error: expected '$', got '\r'", 6));
  // A bulk count claiming more arguments than sent runs into the next command.
  const std::string frame = "*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n";
  CheckAllSplits(frame, Error("Protocol error: expected '$', got 'f'", frame.size()));
  // The type byte is judged only once its line is complete, as Redis does.
  CHECK(FeedWhole("*1\r\nX") == Pending(5));
}

TEST_CASE("multibulk: bulk length errors", "[parser][multibulk][errors]") {
  const auto invalid = "Protocol error: invalid bulk length";
  for (std::string_view frame :
       {"*1\r\n$x\r\n", "*1\r\n$\r\n", "*1\r\n$-1\r\n", "*1\r\n$-5\r\n", "*1\r\n$+1\r\n",
        "*1\r\n$01\r\n", "*1\r\n$1x\r\n", "*1\r\n$99999999999999999999\r\n", "*1\r\n$1\rxa\r\n"}) {
    CheckAllSplits(frame, Error(invalid, frame.size()));
  }
}

TEST_CASE("multibulk: bulk length limit is enforced at the header", "[parser][multibulk][limits]") {
  ParseLimits limits;
  limits.max_bulk_len = 5;
  CheckAllSplits("*1\r\n$5\r\nhello\r\n", Commands({{"hello"}}), limits);
  // Refused with no payload sent at all.
  CheckAllSplits("*1\r\n$6\r\n", Error("Protocol error: invalid bulk length", 8), limits);
  // Default limit: 512 MiB.
  CheckAllSplits("*1\r\n$536870913\r\n", Error("Protocol error: invalid bulk length", 16));
  CHECK(FeedWhole("*1\r\n$536870912\r\n") == Pending(16));
}

TEST_CASE("multibulk: header lines longer than the inline limit", "[parser][multibulk][limits]") {
  ParseLimits limits;
  limits.max_inline_len = 16;
  // Without a CR the line may hold max_inline_len bytes, counted from its start.
  const std::string count16 = "*" + std::string(15, '1');
  CheckAllSplits(count16, Pending(16), limits);
  CheckAllSplits(count16 + "1", Error("Protocol error: too big mbulk count string", 17), limits);

  const std::string bulk16 = "*1\r\n$" + std::string(15, '1');
  CheckAllSplits(bulk16, Pending(20), limits);
  CheckAllSplits(bulk16 + "1", Error("Protocol error: too big bulk count string", 21), limits);
  // The second bulk header is measured from its own start, not the command's.
  const std::string second = "*2\r\n$1\r\na\r\n$" + std::string(15, '1');
  CheckAllSplits(second, Pending(second.size()), limits);
  CheckAllSplits(second + "1", Error("Protocol error: too big bulk count string", 28), limits);

  // Default limit: 64 KiB.
  CHECK(FeedWhole("*" + std::string(64 * 1024, '1')).error ==
        "Protocol error: too big mbulk count string");
  CHECK(FeedWhole("*" + std::string(64 * 1024 - 1, '1')) == Pending(64 * 1024));
}

TEST_CASE("multibulk: a bulk must be followed by CRLF", "[parser][multibulk][errors]") {
  const auto error = "Protocol error: expected CRLF after bulk string";
  CheckAllSplits("*1\r\n$3\r\nGETxx", Error(error, 13));
  CheckAllSplits("*1\r\n$3\r\nGET\rx", Error(error, 13));
  CheckAllSplits("*1\r\n$3\r\nGET\n\r", Error(error, 13));
  CheckAllSplits("*1\r\n$3\r\nGETX\r\n", Error(error, 14));
  CheckAllSplits("*1\r\n$0\r\nxx", Error(error, 10));
}

TEST_CASE("multibulk: large values in chunks", "[parser][multibulk]") {
  std::string value(1 << 20, 'v');
  for (size_t i = 0; i < value.size(); i += 4099) value[i] = '\r';
  const std::string frame = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$" + std::to_string(value.size()) +
                            "\r\n" + value + "\r\n*1\r\n$4\r\nPING\r\n";
  for (size_t chunk : {size_t{1} << 20, size_t{65536}, size_t{4096}, size_t{1000}, size_t{7}}) {
    INFO("chunk " << chunk);
    std::vector<std::string_view> chunks;
    for (size_t i = 0; i < frame.size(); i += chunk) {
      chunks.push_back(std::string_view(frame).substr(i, chunk));
    }
    CHECK(Feed(chunks) == Commands({{"SET", "key", value}, {"PING"}}));
  }
}

TEST_CASE("multibulk: PendingBulkBytes counts the rest of the bulk and its CRLF",
          "[parser][multibulk]") {
  Parser parser;
  std::vector<std::string_view> args;
  std::string buf = "*2\r\n$3\r\nGET\r\n";
  CHECK(parser.Parse(buf, &args).status == ParseStatus::kIncomplete);
  CHECK(parser.PendingBulkBytes() == 0);  // the next bulk's header is not here yet
  buf += "$10\r\n";
  CHECK(parser.Parse(buf, &args).status == ParseStatus::kIncomplete);
  CHECK(parser.PendingBulkBytes() == 12);
  buf += "abc";
  CHECK(parser.Parse(buf, &args).status == ParseStatus::kIncomplete);
  CHECK(parser.PendingBulkBytes() == 9);
  buf += "defghij\r";
  CHECK(parser.Parse(buf, &args).status == ParseStatus::kIncomplete);
  CHECK(parser.PendingBulkBytes() == 1);
  buf += "\n";
  const ParseResult r = parser.Parse(buf, &args);
  CHECK(r.status == ParseStatus::kOk);
  CHECK(r.consumed == buf.size());
  CHECK(parser.PendingBulkBytes() == 0);
  CHECK(args == std::vector<std::string_view>{"GET", "abcdefghij"});
}

TEST_CASE("multibulk: args are views into the caller's buffer", "[parser][multibulk]") {
  Parser parser;
  std::vector<std::string_view> args = {"stale", "junk", "from", "before"};
  const std::string buf = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\ntrailing";
  const ParseResult r = parser.Parse(buf, &args);
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.consumed == buf.size() - 8);
  REQUIRE(args.size() == 2);
  CHECK(args[0].data() == buf.data() + 8);
  CHECK(args[1].data() == buf.data() + 17);
  CHECK(args.capacity() >= 4);  // the caller's vector is cleared, not shrunk
}

TEST_CASE("multibulk: the buffer may move between calls", "[parser][multibulk]") {
  Parser parser;
  std::vector<std::string_view> args;
  const std::string frame = "*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n";
  ParseResult r;
  for (size_t len = 1; len <= frame.size(); ++len) {
    // A fresh copy every time: a different address, same bytes.
    const std::string copy = frame.substr(0, len);
    r = parser.Parse(copy, &args);
    if (len < frame.size()) REQUIRE(r.status == ParseStatus::kIncomplete);
  }
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.consumed == frame.size());
}

TEST_CASE("multibulk: Reset forgets a partial command", "[parser][multibulk]") {
  Parser parser;
  std::vector<std::string_view> args;
  CHECK(parser.Parse("*3\r\n$3\r\nSET\r\n$5\r\nab", &args).status == ParseStatus::kIncomplete);
  CHECK(parser.PendingBulkBytes() == 5);
  parser.Reset();
  CHECK(parser.PendingBulkBytes() == 0);
  const ParseResult r = parser.Parse("PING\r\n", &args);
  CHECK(r.status == ParseStatus::kOk);
  CHECK(args == std::vector<std::string_view>{"PING"});
}

TEST_CASE("parser: state resets after an error", "[parser][errors]") {
  Parser parser;
  std::vector<std::string_view> args;
  ParseResult r = parser.Parse("*1\r\n$-1\r\n", &args);
  CHECK(r.status == ParseStatus::kError);
  CHECK(r.error == "Protocol error: invalid bulk length");
  r = parser.Parse("*1\r\n$4\r\nPING\r\n", &args);
  CHECK(r.status == ParseStatus::kOk);
  CHECK(args == std::vector<std::string_view>{"PING"});
}

TEST_CASE("parser: an empty buffer is incomplete", "[parser]") {
  Parser parser;
  std::vector<std::string_view> args;
  CHECK(parser.Parse("", &args).status == ParseStatus::kIncomplete);
  CHECK(parser.Parse(std::string_view(), &args).status == ParseStatus::kIncomplete);
}

TEST_CASE("parser: set_limits applies to the next command", "[parser][limits]") {
  Parser parser;
  std::vector<std::string_view> args;
  CHECK(parser.Parse("*1\r\n$6\r\nfoobar\r\n", &args).status == ParseStatus::kOk);
  ParseLimits limits;
  limits.max_bulk_len = 5;
  parser.set_limits(limits);
  const ParseResult r = parser.Parse("*1\r\n$6\r\nfoobar\r\n", &args);
  CHECK(r.status == ParseStatus::kError);
  CHECK(r.error == "Protocol error: invalid bulk length");
}

// ------------------------------------------------------------------- inline

TEST_CASE("inline: plain commands", "[parser][inline]") {
  CheckAllSplits("PING\r\n", Commands({{"PING"}}));
  CheckAllSplits("PING\n", Commands({{"PING"}}));
  CheckAllSplits("SET k v\r\n", Commands({{"SET", "k", "v"}}));
  CheckAllSplits("  SET \t k\t\tv  \r\n", Commands({{"SET", "k", "v"}}));
  CheckAllSplits("\v\fGET a\vb\r\n",
                 Commands({{"GET", "a\vb"}}));                    // \v separates only between args
  CheckAllSplits("GET a\rb\r\n", Commands({{"GET", "a", "b"}}));  // a CR inside the line splits
  CheckAllSplits("GET k\r\r\n", Commands({{"GET", "k"}}));
  CheckAllSplits("a$b *c\r\n", Commands({{"a$b", "*c"}}));
}

TEST_CASE("inline: empty lines are empty commands", "[parser][inline]") {
  CheckAllSplits("\r\n", Commands({{}}));
  CheckAllSplits("\n", Commands({{}}));
  CheckAllSplits("   \t \r\n", Commands({{}}));
  CheckAllSplits("\r\n\n\r\nPING\r\n", Commands({{}, {}, {}, {"PING"}}));
}

TEST_CASE("inline: quoting", "[parser][inline]") {
  CheckAllSplits("SET \"a b\" 'c d'\r\n", Commands({{"SET", "a b", "c d"}}));
  CheckAllSplits("SET k \"\\x41\\x6a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n",
                 Commands({{"SET", "k", "Aj\n\r\t\b\a\\\"q"}}));
  CheckAllSplits("SET k 'it\\'s \\n \"x\"'\r\n", Commands({{"SET", "k", "it's \\n \"x\""}}));
  CheckAllSplits("SET k \"\"\r\n", Commands({{"SET", "k", ""}}));
  CheckAllSplits("SET k ''\r\n", Commands({{"SET", "k", ""}}));
  CheckAllSplits("ECHO a\"b c\" d\r\n", Commands({{"ECHO", "ab c", "d"}}));  // quote opens mid-arg
  CheckAllSplits("ECHO \"\\x00\"\r\n", Commands({{"ECHO", "\0"s}}));
  CheckAllSplits("ECHO \"\\xZZ\"\r\n", Commands({{"ECHO", "xZZ"}}));
}

TEST_CASE("inline: unbalanced quotes", "[parser][inline][errors]") {
  const auto error = "Protocol error: unbalanced quotes in request";
  for (std::string_view frame :
       {"SET k \"abc\r\n", "SET k 'abc\r\n", "SET k \"abc\"def\r\n", "SET k 'abc'def\r\n",
        "SET k \"abc\\\"\r\n", "\"\r\n", "'\n", "SET k \"a\"\"b\"\r\n"}) {
    CheckAllSplits(frame, Error(error, frame.size()));
  }
}

TEST_CASE("inline: too big inline request", "[parser][inline][limits]") {
  ParseLimits limits;
  limits.max_inline_len = 16;
  CheckAllSplits(std::string(16, 'a'), Pending(16), limits);
  CheckAllSplits(std::string(17, 'a'), Error("Protocol error: too big inline request", 17), limits);
  CheckAllSplits(std::string(15, 'a') + "\r\n", Commands({{std::string(15, 'a')}}), limits);
  CHECK(FeedWhole(std::string(64 * 1024 + 1, 'a')).error ==
        "Protocol error: too big inline request");
  CHECK(FeedWhole(std::string(64 * 1024, 'a')) == Pending(64 * 1024));
}

TEST_CASE("inline: args are views into buf unless unescaped", "[parser][inline]") {
  Parser parser;
  std::vector<std::string_view> args;
  const std::string plain = "SET key value\r\n";
  ParseResult r = parser.Parse(plain, &args);
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.consumed == plain.size());
  REQUIRE(args.size() == 3);
  for (auto arg : args) CHECK(PointsInto(arg, plain));

  const std::string quoted = "SET \"key\\n\" value\r\nPING\r\n";
  r = parser.Parse(quoted, &args);
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.consumed == quoted.size() - 6);
  CHECK(args == std::vector<std::string_view>{"SET", "key\n", "value"});
  CHECK_FALSE(PointsInto(args[1], quoted));
}

TEST_CASE("inline: a NUL ends the line for splitting, as in redis", "[parser][inline]") {
  CheckAllSplits("SET k a\0b c\r\n"s, Commands({{"SET", "k", "a"}}));
  CheckAllSplits("SET k \"a\0b\"\r\n"s, Error("Protocol error: unbalanced quotes in request", 13));
}

// ---------------------------------------------------------------- SplitArgs

std::vector<std::string> Split(std::string_view line) {
  std::vector<std::string> out = {"stale"};
  REQUIRE(SplitArgs(line, &out));
  return out;
}

bool Fails(std::string_view line) {
  std::vector<std::string> out;
  return !SplitArgs(line, &out);
}

TEST_CASE("SplitArgs: sdssplitargs semantics", "[splitargs]") {
  using V = std::vector<std::string>;
  CHECK(Split("") == V{});
  CHECK(Split("   ") == V{});
  CHECK(Split("a") == V{"a"});
  CHECK(Split(" a  b\tc\nd\re ") == V{"a", "b", "c", "d", "e"});
  CHECK(Split("a\vb \fc") == V{"a\vb", "c"});
  CHECK(Split("\"a b\" 'c d'") == V{"a b", "c d"});
  CHECK(Split("\"\\x4a\\x4B\\x4\" x") == V{"JKx4", "x"});
  CHECK(Split("\"\\n\\r\\t\\b\\a\\\\\\\"\\'\"") == V{"\n\r\t\b\a\\\"'"});
  CHECK(Split("'\\n\\\\x'") == V{"\\n\\\\x"});
  CHECK(Split("'a\\'b'") == V{"a'b"});
  CHECK(Split("'a\"b' \"a'b\"") == V{"a\"b", "a'b"});
  CHECK(Split("pre\"fix\" x") == V{"prefix", "x"});
  CHECK(Split("\"a\"\t\"b\"\v'c'\f") == V{"a", "b", "c"});
  CHECK(Split("\"\"") == V{""});
  CHECK(Split("dir /var/lib/redis # comment") == V{"dir", "/var/lib/redis", "#", "comment"});
  CHECK(Split("a\0b"s) == V{"a"});
}

TEST_CASE("SplitArgs: unbalanced quotes", "[splitargs][errors]") {
  CHECK(Fails("\""));
  CHECK(Fails("'"));
  CHECK(Fails("\"abc"));
  CHECK(Fails("'abc"));
  CHECK(Fails("\"abc\\\""));
  CHECK(Fails("\"abc\\"));
  CHECK(Fails("'abc\\'"));
  CHECK(Fails("\"a\"b"));
  CHECK(Fails("'a'b"));
  CHECK(Fails("\"a\"\"b\""));
  CHECK(Fails("x \"a\0\""s));
}

}  // namespace
}  // namespace ringkv::resp
