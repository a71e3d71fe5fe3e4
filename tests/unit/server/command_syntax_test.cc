// The usage lines behind COMMAND DOCS "arguments": the notation's parser, and
// the table against the command table (every command described, nothing
// described that does not exist).
#include "server/command_syntax.h"

#include <catch2/catch.hpp>
#include <string>

#include "server/command_docs.h"
#include "server/command_table.h"

using namespace ringkv::server;

namespace {

std::vector<ArgDoc> Parse(std::string_view text) {
  std::vector<ArgDoc> out;
  std::string error;
  INFO(text);
  REQUIRE(ParseSyntax(text, &out, &error));
  return out;
}

std::string ParseError(std::string_view text) {
  std::vector<ArgDoc> out;
  std::string error;
  CHECK_FALSE(ParseSyntax(text, &out, &error));
  return error;
}

}  // namespace

TEST_CASE("words, types, tokens", "[syntax]") {
  auto args = Parse("key:key value COUNT count:integer [REPLACE] ip:port");
  REQUIRE(args.size() == 5);
  CHECK(args[0].name == "key");
  CHECK(args[0].type == "key");
  CHECK(args[1].name == "value");
  CHECK(args[1].type == "string");
  CHECK(args[2].name == "count");
  CHECK(args[2].type == "integer");
  CHECK(args[2].token == "COUNT");
  CHECK(args[3].name == "replace");
  CHECK(args[3].type == "pure-token");
  CHECK(args[3].token == "REPLACE");
  CHECK(args[3].optional);
  CHECK_FALSE(args[0].optional);
  // ip:port is not name:type ("port" is no type): the whole word is the name.
  CHECK(args[4].name == "ip:port");
  CHECK(args[4].type == "string");
}

TEST_CASE("groups: oneof, block, names, repetition", "[syntax]") {
  auto set =
      Parse("key:key value [condition: NX | XX] [GET] [expiration: EX seconds:integer | KEEPTTL]");
  REQUIRE(set.size() == 5);
  CHECK(set[2].name == "condition");
  CHECK(set[2].type == "oneof");
  CHECK(set[2].optional);
  REQUIRE(set[2].args.size() == 2);
  CHECK(set[2].args[1].token == "XX");
  CHECK(set[4].args[0].name == "seconds");
  CHECK(set[4].args[0].token == "EX");
  CHECK(set[4].args[1].type == "pure-token");

  auto mset = Parse("(data: key:key value)...");
  REQUIRE(mset.size() == 1);
  CHECK(mset[0].name == "data");
  CHECK(mset[0].type == "block");
  CHECK(mset[0].multiple);
  CHECK_FALSE(mset[0].optional);
  CHECK(mset[0].args.size() == 2);

  auto del = Parse("key:key...");
  CHECK(del[0].multiple);
  CHECK(del[0].type == "key");

  // A token before a required group is that group's token.
  auto list = Parse("[TYPE (client-type: NORMAL | PUBSUB)]");
  CHECK(list[0].name == "client-type");
  CHECK(list[0].token == "TYPE");
  CHECK(list[0].type == "oneof");
  CHECK(list[0].optional);
  // Unnamed groups take their first member's name.
  CHECK(Parse("[ASYNC | SYNC]")[0].name == "async");
  CHECK(Parse("").empty());
}

TEST_CASE("malformed usage lines are refused", "[syntax]") {
  CHECK(ParseError("[a") == "missing ']'");
  CHECK(ParseError("(a | )") == "empty alternative");
  CHECK(ParseError("a | b") == "unexpected '|'");
  CHECK(ParseError("a ]") == "unexpected ']'");
}

TEST_CASE("every command has parseable arguments, and only real commands do", "[syntax]") {
  CommandTable table;
  for (const SyntaxEntry& e : AllSyntax()) {
    INFO(e.command);
    std::vector<ArgDoc> args;
    std::string error;
    CHECK(ParseSyntax(e.usage, &args, &error));
    CHECK(error.empty());
    CHECK(LookupForClients(table, e.command) != nullptr);
    CHECK(ArgumentsOf(e.command) != nullptr);
  }
  for (const CommandSpec* spec : VisibleCommands(table)) {
    auto subs = Subcommands(spec->name);
    if (subs.empty()) {
      INFO(spec->name);
      // DEBUG's subcommands are Redis's internals; its docs stay bare.
      if (spec->name != "debug") CHECK(ArgumentsOf(spec->name) != nullptr);
    }
    for (const CommandSpec& sub : subs) {
      INFO(sub.name);
      CHECK(ArgumentsOf(sub.name) != nullptr);
    }
  }
}
