#include "resp/peek.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"

namespace ringkv::resp {
namespace {

using namespace std::string_literals;

struct Peeked {
  std::vector<std::string> keys;
  std::vector<size_t> ends;
};

Peeked Peek(std::string_view buf, size_t max = 16) {
  PeekedCommand out[16];
  size_t n = PeekCommands(buf, out, max);
  Peeked p;
  for (size_t i = 0; i < n; ++i) {
    p.keys.emplace_back(out[i].key);
    p.ends.push_back(out[i].end);
  }
  return p;
}

TEST_CASE("Peek: the keys and ends of complete pipelined commands", "[peek]") {
  const std::string get = "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n";
  const std::string set = "*3\r\n$3\r\nSET\r\n$4\r\nb\0ar\r\n$1\r\nv\r\n"s;
  const std::string ping = "*1\r\n$4\r\nPING\r\n";
  const std::string buf = get + set + ping + get;
  Peeked p = Peek(buf);
  CHECK(p.keys == std::vector<std::string>{"foo", "b\0ar"s, "", "foo"});
  CHECK(p.ends == std::vector<size_t>{get.size(), get.size() + set.size(),
                                      get.size() + set.size() + ping.size(), buf.size()});
}

TEST_CASE("Peek: stops at the first incomplete command", "[peek]") {
  const std::string get = "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n";
  for (size_t cut = 0; cut < get.size(); ++cut) {
    INFO("cut at " << cut);
    Peeked p = Peek(get + get.substr(0, cut));
    CHECK(p.keys.size() == 1);
  }
}

TEST_CASE("Peek: at most `max` commands", "[peek]") {
  std::string buf;
  for (int i = 0; i < 10; ++i) buf += "*2\r\n$3\r\nGET\r\n$1\r\n" + std::to_string(i) + "\r\n";
  CHECK(Peek(buf, 4).keys == std::vector<std::string>{"0", "1", "2", "3"});
  CHECK(Peek(buf, 0).keys.empty());
}

TEST_CASE("Peek: anything but the canonical multibulk form ends the look", "[peek]") {
  const std::string get = "*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n";
  const char* stops[] = {
      "GET foo\r\n",                      // inline
      "*02\r\n$3\r\nGET\r\n$1\r\nk\r\n",  // leading zero (a protocol error)
      "*+2\r\n$3\r\nGET\r\n$1\r\nk\r\n",  // sign
      "*-1\r\n",                          // negative count
      "*2\r\n$-1\r\n",                    // negative length
      "*2\r\n:3\r\nGET\r\n$1\r\nk\r\n",   // not a bulk
      "*2\r\n$3\r\nGETX\r\n$1\r\nk\r\n",  // bulk longer than its length
      "*2\r\n$3\r\nGET\n$1\r\nk\r\n",     // LF alone
      "*1\r\n$99999999999999999999\r\n",  // a length past 18 digits
      "*9999999\r\n$3\r\nGET\r\n",        // more arguments than bytes left
  };
  for (const char* s : stops) {
    INFO(s);
    Peeked p = Peek(get + s + get);
    CHECK(p.keys == std::vector<std::string>{"foo"});
  }
}

TEST_CASE("Peek: empty commands and empty keys", "[peek]") {
  Peeked p = Peek("*0\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n*1\r\n$0\r\n\r\n");
  CHECK(p.keys == std::vector<std::string>{"", "", ""});
  CHECK(p.ends == std::vector<size_t>{4, 4 + 19, 4 + 19 + 10});
}

TEST_CASE("Peek: agrees with the parser on what it reports", "[peek]") {
  const std::string buf =
      "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$3\r\nxxx\r\n"
      "*0\r\n"
      "*4\r\n$4\r\nMSET\r\n$1\r\na\r\n$0\r\n\r\n$1\r\nb\r\n"
      "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n";
  PeekedCommand out[8];
  size_t n = PeekCommands(buf, out, 8);
  REQUIRE(n == 4);
  Parser parser;
  std::vector<std::string_view> args;
  size_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    ParseResult r = parser.Parse(std::string_view(buf).substr(pos), &args);
    REQUIRE(r.status == ParseStatus::kOk);
    pos += r.consumed;
    CHECK(out[i].end == pos);
    CHECK(out[i].key == (args.size() >= 2 ? args[1] : std::string_view()));
  }
}

}  // namespace
}  // namespace ringkv::resp
