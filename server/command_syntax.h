// The arguments of each command, for COMMAND DOCS (redis-cli builds its
// `help` text and its typing hints from them; GUIs their command helpers).
//
// Each command's arguments are written once, as a usage line in a small
// notation, and parsed into Redis 7's argument tree when first asked for:
//
//   word            an argument named "word", type string
//   word:type       ... of another type: key, integer, double, pattern,
//                   unix-time (a key also gets key_spec_index 0)
//   WORD            a token; alone it is a pure-token argument named "word",
//                   before an argument or a group it is that one's token
//                   ("EX seconds:integer", "TYPE (NORMAL|MASTER)")
//   [ ... ]         optional; ( ... ) required
//   a | b           inside brackets: one of the alternatives (oneof)
//   a b             inside brackets, without |: a block
//   [name: ...]     names the group (else named after its first member)
//   item...         the item may repeat ("key:key...", "(data: key:key value)...")
//
// A bracket holding a single item is that item (made optional by [ ]).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringkv::server {

struct ArgDoc {
  std::string name;
  std::string type;   // string, integer, double, key, pattern, unix-time, pure-token, oneof, block
  std::string token;  // empty: none
  bool optional = false;
  bool multiple = false;
  std::vector<ArgDoc> args;  // oneof and block
};

// Parses a usage line; false with `*error` set if it is malformed.
bool ParseSyntax(std::string_view text, std::vector<ArgDoc>* out, std::string* error);

// The arguments of `command` ("set", "client|kill"); null if none are
// written down (COMMAND DOCS then leaves "arguments" out).
const std::vector<ArgDoc>* ArgumentsOf(std::string_view command);

// Every (command, usage line) pair, for tests.
struct SyntaxEntry {
  std::string_view command;
  std::string_view usage;
};
std::vector<SyntaxEntry> AllSyntax();

}  // namespace ringkv::server
