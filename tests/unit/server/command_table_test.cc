// CommandTable's name lookup: the hashed table against the list of every
// command it was built from.
#include "server/command_table.h"

#include <catch2/catch.hpp>
#include <string>

#include "server/command_docs.h"

using namespace ringkv::server;

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

TEST_CASE("every command is found by its name in any case, with its subcommands", "[table]") {
  CommandTable table;
  REQUIRE(table.All().size() > 100);
  size_t containers = 0;
  for (const CommandSpec* spec : table.All()) {
    INFO(spec->name);
    const CommandEntry* e = table.Lookup(spec->name);
    REQUIRE(e != nullptr);
    CHECK(e->spec == spec);
    CHECK(table.Find(Upper(spec->name)) == spec);
    const auto subs = Subcommands(spec->name);
    CHECK(e->subcommands.data() == subs.data());
    CHECK(e->subcommands.size() == subs.size());
    if (!subs.empty()) ++containers;
  }
  CHECK(containers >= 5);  // CLIENT, CONFIG, COMMAND, CLUSTER, LATENCY, ACL, ...
  CHECK(table.Lookup("config")->subcommands.size() > 3);
  CHECK(table.Lookup("get")->subcommands.empty());
}

TEST_CASE("names that are no command are not found", "[table]") {
  CommandTable table;
  for (std::string_view name :
       {std::string_view(""), std::string_view("ge"), std::string_view("gett"),
        std::string_view("get\0x", 5), std::string_view("g\xc5t"), std::string_view("config|get"),
        std::string_view(" get")}) {
    INFO(name);
    CHECK(table.Lookup(name) == nullptr);
  }
  // Only A-Z fold: a byte above 127 does not become a letter.
  CHECK(table.Find("G\xc5T") == nullptr);
  CHECK(table.Find(std::string(200, 'a')) == nullptr);
}

TEST_CASE("rename-command moves the name, and the old one is gone", "[table]") {
  CommandTable table;
  const CommandSpec* get = table.Find("get");
  REQUIRE(get != nullptr);
  table.Rename("GET", "Fetch");
  CHECK(table.Find("get") == nullptr);
  CHECK(table.Find("FETCH") == get);
  const CommandSpec* config = table.Find("config");
  REQUIRE(config != nullptr);
  table.Rename("config", "cfg");
  REQUIRE(table.Lookup("cfg") != nullptr);
  CHECK(table.Lookup("cfg")->subcommands.size() == Subcommands("config").size());
  table.Rename("set", "");
  CHECK(table.Find("set") == nullptr);
  CHECK(table.Find("") == nullptr);
  // A name no lookup may take (past 63 bytes) leaves the command unreachable.
  table.Rename("del", std::string(100, 'd'));
  CHECK(table.Find("del") == nullptr);
  CHECK(table.Find(std::string(100, 'd')) == nullptr);
}
