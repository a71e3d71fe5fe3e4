// CONFIG REWRITE and the config file it rewrites: comments, order, quoting,
// the lines it cannot parse, and a server started without a file.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "server/config.h"
#include "tests/support/temp_dir.h"

namespace ringkv::server {
namespace {

namespace fs = std::filesystem;
using ringkv::testing::TempDir;

std::string WriteIn(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string p = (fs::path(dir.path()) / name).string();
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

TEST_CASE("LoadConfigFile remembers the file", "[config]") {
  TempDir dir;
  std::string file = WriteIn(dir, "a.conf", "maxclients 77\n");
  Config cfg;
  REQUIRE(LoadConfigFile(file, &cfg).ok());
  CHECK(cfg.maxclients == 77);
  CHECK(cfg.config_file == file);
}

TEST_CASE("CONFIG REWRITE without a config file", "[config]") {
  Config cfg;
  CHECK(RewriteConfigFile(cfg).message() == "The server is running without a config file");
}

TEST_CASE("CONFIG REWRITE keeps comments and order, replaces in place, appends changes",
          "[config]") {
  TempDir dir;
  std::string file = WriteIn(dir, "ringkv.conf",
                             "# My ringkv\n"
                             "\n"
                             "port 7001\n"
                             "# memory\n"
                             "cache-size 32mb\n"
                             "save 900 1\n"
                             "save 300 10\n"
                             "rename-command CONFIG \"\"\n"
                             "hz 10\n"
                             "# end\n");
  Config cfg;
  REQUIRE(LoadConfigFile(file, &cfg).ok());
  REQUIRE(SetOption(&cfg, "cache-size", "128mb").ok());
  REQUIRE(SetOption(&cfg, "save", "60 10000").ok());
  REQUIRE(SetOption(&cfg, "requirepass", "p w\"d").ok());
  REQUIRE(SetOption(&cfg, "maxclients", "500").ok());
  REQUIRE(SetOption(&cfg, "client-output-buffer-limit", "pubsub 64mb 16mb 90").ok());
  REQUIRE(RewriteConfigFile(cfg).ok());

  const std::string expected =
      "# My ringkv\n"
      "\n"
      "port 7001\n"
      "# memory\n"
      "cache-size 134217728\n"
      "save 60 10000\n"
      "rename-command config \"\"\n"
      "hz 10\n"
      "# end\n"
      "# Options below were added by CONFIG REWRITE\n"
      "maxclients 500\n"
      "requirepass \"p w\\\"d\"\n"
      "client-output-buffer-limit normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 "
      "16777216 90\n";
  CHECK(ReadAll(file) == expected);

  // The rewritten file loads back to the same values.
  Config reloaded;
  REQUIRE(LoadConfigFile(file, &reloaded).ok());
  for (const auto& opt : Options()) {
    INFO(opt.name);
    CHECK(opt.get(reloaded) == opt.get(cfg));
  }

  // A second rewrite with one more change neither repeats the marker nor moves lines.
  REQUIRE(SetOption(&reloaded, "timeout", "5").ok());
  REQUIRE(RewriteConfigFile(reloaded).ok());
  CHECK(ReadAll(file) == expected + "timeout 5\n");
}

TEST_CASE("CONFIG REWRITE: empty values, unknown lines, missing file", "[config]") {
  TempDir dir;
  std::string file = WriteIn(dir, "ringkv.conf",
                             "save 900 1\n"
                             "requirepass secret\n"
                             "some-future-option 1\n");
  Config cfg;
  cfg.config_file = file;
  cfg.save.clear();
  cfg.requirepass.clear();
  REQUIRE(RewriteConfigFile(cfg).ok());
  CHECK(ReadAll(file) ==
        "save \"\"\n"
        "requirepass \"\"\n"
        "some-future-option 1\n");

  // With the file gone, a rewrite creates it holding only the changes.
  fs::remove(file);
  cfg.port = 7777;
  REQUIRE(RewriteConfigFile(cfg).ok());
  CHECK(ReadAll(file) == "# Options below were added by CONFIG REWRITE\nport 7777\n");
  Config reloaded;
  REQUIRE(LoadConfigFile(file, &reloaded).ok());
  CHECK(reloaded.port == 7777);
}

TEST_CASE("CONFIG REWRITE quotes values that need it", "[config]") {
  TempDir dir;
  std::string file = WriteIn(dir, "ringkv.conf", "");
  Config cfg;
  cfg.config_file = file;
  cfg.requirepass = std::string("tab\there \\ nl\n bell\a nul") + '\0' + "\x7f'";
  cfg.logfile = "/tmp/with space.log";
  cfg.renamed_commands = {{"flushall", ""}, {"keys", "k3ys"}};
  REQUIRE(RewriteConfigFile(cfg).ok());
  Config reloaded;
  REQUIRE(LoadConfigFile(file, &reloaded).ok());
  CHECK(reloaded.requirepass == cfg.requirepass);
  CHECK(reloaded.logfile == cfg.logfile);
  CHECK(reloaded.renamed_commands == cfg.renamed_commands);
}

}  // namespace
}  // namespace ringkv::server
