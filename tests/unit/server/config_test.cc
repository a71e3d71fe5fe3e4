#include "server/config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ringkv::server {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ringkv-config-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string Get(const Config& cfg, std::string_view name) {
  const OptionDef* opt = FindOption(name);
  REQUIRE(opt != nullptr);
  return opt->get(cfg);
}

// Applies one config line and returns the error message ("" when it worked).
std::string ApplyLine(Config* cfg, const std::string& line) {
  Status s = ApplyConfigText(line, cfg);
  return s.ok() ? "" : s.message();
}

Status RunCommandLine(std::vector<std::string> words, Config* cfg) {
  words.insert(words.begin(), "ringkv-server");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(words.size()), argv.data(), cfg);
}

TEST_CASE("ParseMemory follows redis-server's units", "[config]") {
  struct Case {
    const char* text;
    bool ok;
    uint64_t bytes;
  };
  const Case cases[] = {
      {"0", true, 0},
      {"4096", true, 4096},
      {"10b", true, 10},
      {"10B", true, 10},
      {"1k", true, 1000},
      {"1kb", true, 1024},
      {"1KB", true, 1024},
      {"1Kb", true, 1024},
      {"2m", true, 2000000},
      {"2mb", true, 2ULL << 20},
      {"32MB", true, 32ULL << 20},
      {"1g", true, 1000000000},
      {"1gb", true, 1ULL << 30},
      {"16GB", true, 16ULL << 30},
      {"18446744073709551615", true, UINT64_MAX},
      {"", false, 0},
      {"mb", false, 0},
      {"-1", false, 0},
      {"+1", false, 0},
      {" 1", false, 0},
      {"1 ", false, 0},
      {"1.5gb", false, 0},
      {"1tb", false, 0},
      {"1kib", false, 0},
      {"12x", false, 0},
      {"18446744073709551616", false, 0},
      {"17179869184gb", false, 0},  // overflows once multiplied
  };
  for (const auto& c : cases) {
    INFO("input '" << c.text << "'");
    uint64_t v = 12345;
    REQUIRE(ParseMemory(c.text, &v) == c.ok);
    if (c.ok) CHECK(v == c.bytes);
  }
}

TEST_CASE("the option table covers every Config field once", "[config]") {
  const std::vector<std::string> expected = {
      "bind",
      "protected-mode",
      "enable-debug-command",
      "port",
      "tcp-backlog",
      "timeout",
      "tcp-keepalive",
      "maxclients",
      "requirepass",
      "rename-command",
      "daemonize",
      "pidfile",
      "loglevel",
      "logfile",
      "hz",
      "databases",
      "maxmemory",
      "maxmemory-policy",
      "dir",
      "appendonly",
      "appendfsync",
      "save",
      "cache-size",
      "key-filter-bits",
      "key-filter-rebuild-slack",
      "leveldb-block-cache-size",
      "leveldb-mmap-size",
      "leveldb-write-buffer-size",
      "leveldb-max-open-files",
      "leveldb-bloom-bits",
      "leveldb-block-size",
      "leveldb-block-restart-interval",
      "leveldb-compression",
      "leveldb-compaction-nice",
      "leveldb-compaction-idle",
      "leveldb-idle-flush-ms",
      "leveldb-idle-compact-percent",
      "write-behind-ms",
      "write-behind-nice",
      "write-behind-adaptive",
      "journal-segment-size",
      "slot-log-fold-pairs",
      "active-expire-keys-per-cycle",
      "proto-max-bulk-len",
      "client-query-buffer-limit",
      "client-output-buffer-limit",
      "slowlog-log-slower-than",
      "slowlog-max-len",
      "latency-tracking",
      "latency-tracking-info-percentiles",
      "cluster-enabled",
      "cluster-seeds",
      "cluster-secret",
      "cluster-announce-ip",
      "replicas",
      "read-quorum",
      "write-quorum",
      "cluster-vnodes",
      "cluster-weight",
      "gossip-interval-ms",
      "cluster-node-timeout",
      "cluster-pipeline-depth",
      "peer-request-timeout-ms",
  };
  std::vector<std::string> names;
  for (const auto& opt : Options()) names.emplace_back(opt.name);
  CHECK(names == expected);
  CHECK(FindOption("MaxClients") == FindOption("maxclients"));
  CHECK(FindOption("no-such-option") == nullptr);
}

TEST_CASE("defaults read back as Redis prints them", "[config]") {
  Config cfg;
  CHECK(Get(cfg, "port") == "6379");
  CHECK(Get(cfg, "bind") == "127.0.0.1 -::1");
  CHECK(Get(cfg, "protected-mode") == "yes");
  CHECK(Get(cfg, "loglevel") == "notice");
  CHECK(Get(cfg, "appendfsync") == "everysec");
  CHECK(Get(cfg, "appendonly") == "no");
  CHECK(Get(cfg, "save") == "");
  CHECK(Get(cfg, "cache-size") == std::to_string(256ULL << 20));
  CHECK(Get(cfg, "proto-max-bulk-len") == "536870912");
  CHECK(Get(cfg, "client-query-buffer-limit") == "1073741824");
  CHECK(Get(cfg, "client-output-buffer-limit") ==
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  CHECK(Get(cfg, "rename-command") == "");
  CHECK(Get(cfg, "databases") == "1");
}

TEST_CASE("every option's default value is accepted back by its own setter", "[config]") {
  // What CONFIG REWRITE writes must load again.
  const Config defaults;
  for (const auto& opt : Options()) {
    if (opt.name == "rename-command") continue;  // no value when nothing is renamed
    INFO(opt.name);
    Config cfg;
    std::string line = std::string(opt.name) + " \"" + opt.get(defaults) + "\"";
    if (opt.name == "bind" || opt.name == "client-output-buffer-limit") {
      line = std::string(opt.name) + " " + opt.get(defaults);
    }
    CHECK(ApplyLine(&cfg, line) == "");
    CHECK(opt.get(cfg) == opt.get(defaults));
  }
}

TEST_CASE("redis.conf.example documents every option at its default", "[config]") {
  const fs::path example =
      fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "redis.conf.example";
  REQUIRE(fs::exists(example));
  Config cfg;
  Status s = LoadConfigFile(example.string(), &cfg);
  INFO(s.message());
  REQUIRE(s.ok());
  const Config defaults;
  const std::string text = ReadAll(example.string());
  for (const auto& opt : Options()) {
    INFO(opt.name);
    CHECK(opt.get(cfg) == opt.get(defaults));
    // Every option has a directive line, active or (with no default) commented out.
    const std::string name(opt.name);
    CHECK((text.find("\n" + name + " ") != std::string::npos ||
           text.find("\n# " + name + " ") != std::string::npos));
  }
}

TEST_CASE("yes/no options", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "protected-mode no") == "");
  CHECK_FALSE(cfg.protected_mode);
  CHECK(ApplyLine(&cfg, "protected-mode YES") == "");
  CHECK(cfg.protected_mode);
  CHECK(ApplyLine(&cfg, "daemonize yes\nappendonly yes") == "");
  CHECK(cfg.daemonize);
  CHECK(cfg.appendonly);
  CHECK(ApplyLine(&cfg, "appendonly 1") ==
        "line 1: 'appendonly 1': argument must be 'yes' or 'no'");
  CHECK(cfg.appendonly);
}

TEST_CASE("integer options check syntax and range", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "port 7001") == "");
  CHECK(cfg.port == 7001);
  CHECK(ApplyLine(&cfg, "timeout 300\ntcp-keepalive 0\nmaxclients 5\ntcp-backlog 128") == "");
  CHECK(cfg.timeout == 300);
  CHECK(cfg.tcp_keepalive == 0);
  CHECK(cfg.maxclients == 5);
  CHECK(cfg.tcp_backlog == 128);
  CHECK(ApplyLine(&cfg, "slowlog-log-slower-than -1\nslowlog-max-len 0") == "");
  CHECK(cfg.slowlog_log_slower_than == -1);
  CHECK(cfg.slowlog_max_len == 0);
  CHECK(ApplyLine(&cfg, "leveldb-max-open-files 500\nleveldb-bloom-bits 0") == "");
  CHECK(cfg.leveldb_max_open_files == 500);
  CHECK(cfg.leveldb_bloom_bits == 0);
  CHECK(ApplyLine(&cfg, "leveldb-block-size 16kb\nleveldb-block-restart-interval 4") == "");
  CHECK(cfg.leveldb_block_size == 16 << 10);
  CHECK(cfg.leveldb_block_restart_interval == 4);
  CHECK(ApplyLine(&cfg, "active-expire-keys-per-cycle 20") == "");
  CHECK(cfg.active_expire_keys_per_cycle == 20);

  CHECK(ApplyLine(&cfg, "port abc") ==
        "line 1: 'port abc': argument couldn't be parsed into an integer");
  CHECK(ApplyLine(&cfg, "port 6379.5") ==
        "line 1: 'port 6379.5': argument couldn't be parsed into an integer");
  CHECK(ApplyLine(&cfg, "port 65536") ==
        "line 1: 'port 65536': argument must be between 1 and 65535 inclusive");
  CHECK(ApplyLine(&cfg, "timeout -1") ==
        "line 1: 'timeout -1': argument must be between 0 and 2147483647 inclusive");
  // hz: any int from 0, brought into 1..500 (as Redis does).
  CHECK(ApplyLine(&cfg, "hz -1") ==
        "line 1: 'hz -1': argument must be between 0 and 2147483647 inclusive");
  CHECK(ApplyLine(&cfg, "hz 0") == "");
  CHECK(cfg.hz == 1);
  CHECK(ApplyLine(&cfg, "hz 501") == "");
  CHECK(cfg.hz == 500);
  CHECK(ApplyLine(&cfg, "hz 37") == "");
  CHECK(cfg.hz == 37);
  CHECK(ApplyLine(&cfg, "leveldb-bloom-bits 65") ==
        "line 1: 'leveldb-bloom-bits 65': argument must be between 0 and 64 inclusive");
  CHECK(ApplyLine(&cfg, "leveldb-block-restart-interval 0") ==
        "line 1: 'leveldb-block-restart-interval 0': argument must be between 1 and 1024 "
        "inclusive");
  CHECK(ApplyLine(&cfg, "leveldb-block-size 100") ==
        "line 1: 'leveldb-block-size 100': argument must be between 256 and 4194304 inclusive");
  CHECK(ApplyLine(&cfg, "slowlog-log-slower-than -2") ==
        "line 1: 'slowlog-log-slower-than -2': argument must be between -1 and "
        "9223372036854775807 inclusive");
  CHECK(ApplyLine(&cfg, "maxclients 0") ==
        "line 1: 'maxclients 0': argument must be between 1 and 4294967295 inclusive");
  CHECK(cfg.port == 7001);  // failed lines change nothing
}

TEST_CASE("maxmemory accepts only 0 and maxmemory-policy only noeviction", "[config]") {
  Config cfg;
  CHECK(Get(cfg, "maxmemory") == "0");
  CHECK(Get(cfg, "maxmemory-policy") == "noeviction");
  CHECK(ApplyLine(&cfg, "maxmemory 0") == "");
  CHECK(ApplyLine(&cfg, "maxmemory-policy NoEviction") == "");
  CHECK(ApplyLine(&cfg, "maxmemory 1gb") ==
        "line 1: 'maxmemory 1gb': ringkv has no maxmemory: cache-size bounds the memory records "
        "take");
  CHECK(ApplyLine(&cfg, "maxmemory-policy allkeys-lru") ==
        "line 1: 'maxmemory-policy allkeys-lru': ringkv never evicts keys (records that leave "
        "cache-size stay on disk): the policy is noeviction");
  CHECK(SetOption(&cfg, "maxmemory", "0").ok());
  CHECK(SetOption(&cfg, "maxmemory-policy", "noeviction").ok());
  CHECK(SetOption(&cfg, "maxmemory", "big").message() == "argument must be a memory value");
}

TEST_CASE("databases accepts only 1", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "databases 1") == "");
  CHECK(ApplyLine(&cfg, "databases 16") == "line 1: 'databases 16': ringkv has a single database");
  CHECK(ApplyLine(&cfg, "databases x") ==
        "line 1: 'databases x': argument couldn't be parsed into an integer");
  CHECK(cfg.databases == 1);
}

TEST_CASE("key-filter-bits: bits per key, 0 to 64", "[config]") {
  Config cfg;
  CHECK(cfg.key_filter_bits == 10);
  CHECK(ApplyLine(&cfg, "key-filter-bits 0") == "");
  CHECK(cfg.key_filter_bits == 0);
  CHECK(ApplyLine(&cfg, "key-filter-bits 65") ==
        "line 1: 'key-filter-bits 65': argument must be between 0 and 64 inclusive");
  CHECK(cfg.key_filter_bits == 0);
}

TEST_CASE("memory options take units and check their bounds", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "cache-size 1gb\nleveldb-block-cache-size 16MB") == "");
  CHECK(cfg.cache_size == 1ULL << 30);
  CHECK(cfg.leveldb_block_cache_size == 16ULL << 20);
  CHECK(ApplyLine(&cfg, "leveldb-write-buffer-size 8mb") == "");
  CHECK(cfg.leveldb_write_buffer_size == 8ULL << 20);
  CHECK(ApplyLine(&cfg, "proto-max-bulk-len 1mb\nclient-query-buffer-limit 2mb") == "");
  CHECK(cfg.proto_max_bulk_len == 1ULL << 20);
  CHECK(cfg.client_query_buffer_limit == 2ULL << 20);
  CHECK(Get(cfg, "proto-max-bulk-len") == "1048576");

  CHECK(ApplyLine(&cfg, "cache-size lots") ==
        "line 1: 'cache-size lots': argument must be a memory value");
  CHECK(ApplyLine(&cfg, "cache-size -1") ==
        "line 1: 'cache-size -1': argument must be a memory value");
  CHECK(ApplyLine(&cfg, "proto-max-bulk-len 1000k") ==
        "line 1: 'proto-max-bulk-len 1000k': argument must be between 1048576 and "
        "9223372036854775807 inclusive");
  CHECK(ApplyLine(&cfg, "client-query-buffer-limit 1m") ==
        "line 1: 'client-query-buffer-limit 1m': argument must be between 1048576 and "
        "9223372036854775807 inclusive");
  CHECK(ApplyLine(&cfg, "leveldb-write-buffer-size 2gb") ==
        "line 1: 'leveldb-write-buffer-size 2gb': argument must be between 65536 and "
        "1073741824 inclusive");
}

TEST_CASE("enum options", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "appendfsync always") == "");
  CHECK(cfg.appendfsync == FsyncPolicy::kAlways);
  CHECK(ApplyLine(&cfg, "appendfsync NO") == "");
  CHECK(cfg.appendfsync == FsyncPolicy::kNo);
  CHECK(Get(cfg, "appendfsync") == "no");
  CHECK(ApplyLine(&cfg, "# a comment\n\nappendfsync sometimes") ==
        "line 3: 'appendfsync sometimes': argument(s) must be one of the following: everysec, "
        "always, no");
  for (const char* level : {"debug", "verbose", "notice", "warning", "nothing"}) {
    CHECK(ApplyLine(&cfg, std::string("loglevel ") + level) == "");
    CHECK(Get(cfg, "loglevel") == level);
  }
  CHECK(cfg.loglevel == LogLevel::kNothing);
  CHECK(ApplyLine(&cfg, "loglevel loud") ==
        "line 1: 'loglevel loud': argument(s) must be one of the following: debug, verbose, "
        "notice, warning, nothing");
}

TEST_CASE("string options and quoting", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "requirepass \"with space\\tand \\\"quotes\\\"\"") == "");
  CHECK(cfg.requirepass == "with space\tand \"quotes\"");
  CHECK(ApplyLine(&cfg, "requirepass 'single \\'quoted\\''") == "");
  CHECK(cfg.requirepass == "single 'quoted'");
  CHECK(ApplyLine(&cfg, "requirepass \"\\x41\\x42\"") == "");
  CHECK(cfg.requirepass == "AB");
  CHECK(ApplyLine(&cfg, "requirepass \"\"") == "");
  CHECK(cfg.requirepass.empty());
  CHECK(ApplyLine(&cfg, "logfile /var/log/ringkv.log\npidfile /run/ringkv.pid") == "");
  CHECK(cfg.logfile == "/var/log/ringkv.log");
  CHECK(cfg.pidfile == "/run/ringkv.pid");
  CHECK(ApplyLine(&cfg, "logfile \"\"") == "");
  CHECK(cfg.logfile.empty());
  CHECK(ApplyLine(&cfg, "dir /data/ringkv") == "");
  CHECK(cfg.dir == "/data/ringkv");
  CHECK(ApplyLine(&cfg, "dir \"\"") == "line 1: 'dir \"\"': argument can't be empty");
  CHECK(ApplyLine(&cfg, "requirepass a b") ==
        "line 1: 'requirepass a b': wrong number of arguments");
  CHECK(ApplyLine(&cfg, "requirepass") == "line 1: 'requirepass': wrong number of arguments");
}

TEST_CASE("file syntax: comments, blank lines, case, CRLF", "[config]") {
  Config cfg;
  const std::string text =
      "# ringkv test\r\n"
      "\r\n"
      "   PORT   7002   \r\n"
      "\t# indented comment\n"
      "Hz 20";
  CHECK(ApplyConfigText(text, &cfg).ok());
  CHECK(cfg.port == 7002);
  CHECK(cfg.hz == 20);
}

TEST_CASE("start-up errors name the line and the directive", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "port 7000\n\n# c\nfrobnicate 1") ==
        "line 4: 'frobnicate 1': unknown option");
  CHECK(ApplyLine(&cfg, "port 7000\nrequirepass \"open") ==
        "line 2: 'requirepass \"open': Unbalanced quotes in configuration line");
  CHECK(ApplyLine(&cfg, "requirepass \"a\"b") ==
        "line 1: 'requirepass \"a\"b': Unbalanced quotes in configuration line");
  CHECK(ApplyLine(&cfg, "\n\n  port 1 2  ") == "line 3: 'port 1 2': wrong number of arguments");
  CHECK(ApplyLine(&cfg, "hz") == "line 1: 'hz': wrong number of arguments");
  // Lines before the bad one have been applied; the file is fatal anyway.
  CHECK(cfg.port == 7000);
}

TEST_CASE("bind takes several addresses, '-' marking optional ones", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "bind 0.0.0.0 -::1 10.0.0.5") == "");
  CHECK(cfg.bind == std::vector<std::string>{"0.0.0.0", "-::1", "10.0.0.5"});
  CHECK(Get(cfg, "bind") == "0.0.0.0 -::1 10.0.0.5");
  CHECK(ApplyLine(&cfg, "bind") == "line 1: 'bind': wrong number of arguments");
  std::string many = "bind";
  for (int i = 0; i < 17; ++i) many += " 10.0.0." + std::to_string(i);
  CHECK(ApplyLine(&cfg, many) == "line 1: '" + many + "': Too many bind addresses specified.");
  CHECK(ApplyLine(&cfg, "bind 1.2.3.4 -") ==
        "line 1: 'bind 1.2.3.4 -': bind address can't be empty");
  CHECK(cfg.bind.size() == 3);
}

TEST_CASE("save: pairs, empty, several lines add up", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "save 3600 1 300 100") == "");
  CHECK(cfg.save == "3600 1 300 100");
  CHECK(ApplyLine(&cfg, "save \"\"") == "");
  CHECK(cfg.save.empty());
  CHECK(ApplyLine(&cfg, "save 900 1\nsave 300 10\nsave 60 10000") == "");
  CHECK(cfg.save == "900 1 300 10 60 10000");
  // A new source replaces, it does not add to the previous one.
  CHECK(ApplyLine(&cfg, "save 5 5") == "");
  CHECK(cfg.save == "5 5");
  CHECK(ApplyLine(&cfg, "save 900 1\nsave \"\"") == "");
  CHECK(cfg.save.empty());
  CHECK(ApplyLine(&cfg, "save 900") == "line 1: 'save 900': Invalid save parameters");
  CHECK(ApplyLine(&cfg, "save 0 1") == "line 1: 'save 0 1': Invalid save parameters");
  CHECK(ApplyLine(&cfg, "save 10 -1") == "line 1: 'save 10 -1': Invalid save parameters");
  CHECK(ApplyLine(&cfg, "save 10 x") == "line 1: 'save 10 x': Invalid save parameters");
}

TEST_CASE("rename-command", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "rename-command CONFIG \"\"\nrename-command FlushAll Wipe") == "");
  CHECK(cfg.renamed_commands ==
        std::map<std::string, std::string>{{"config", ""}, {"flushall", "wipe"}});
  CHECK(Get(cfg, "rename-command") == "config \"\" flushall wipe");
  // Renaming again replaces the earlier rename.
  CHECK(ApplyLine(&cfg, "rename-command flushall nuke") == "");
  CHECK(cfg.renamed_commands.at("flushall") == "nuke");
  CHECK(ApplyLine(&cfg, "rename-command keys nuke") ==
        "line 1: 'rename-command keys nuke': Target command name already exists");
  CHECK(ApplyLine(&cfg, "rename-command keys") ==
        "line 1: 'rename-command keys': wrong number of arguments");
  CHECK(SetOption(&cfg, "rename-command", "keys x").message() == "can't set immutable config");
}

TEST_CASE("client-output-buffer-limit round trip", "[config]") {
  Config cfg;
  CHECK(ApplyLine(&cfg, "client-output-buffer-limit normal 10mb 5mb 30") == "");
  CHECK(cfg.output_limit_normal.hard_bytes == 10ULL << 20);
  CHECK(cfg.output_limit_normal.soft_bytes == 5ULL << 20);
  CHECK(cfg.output_limit_normal.soft_seconds == 30);
  CHECK(cfg.output_limit_replica.hard_bytes == 256ULL << 20);  // other classes untouched
  CHECK(ApplyLine(&cfg, "client-output-buffer-limit replica 1gb 512mb 120 PUBSUB 0 0 0") == "");
  CHECK(cfg.output_limit_replica.hard_bytes == 1ULL << 30);
  CHECK(cfg.output_limit_pubsub.hard_bytes == 0);
  const std::string printed = Get(cfg, "client-output-buffer-limit");
  CHECK(printed == "normal 10485760 5242880 30 slave 1073741824 536870912 120 pubsub 0 0 0");

  // What CONFIG GET prints, CONFIG SET accepts and reproduces.
  Config other;
  REQUIRE(SetOption(&other, "client-output-buffer-limit", printed).ok());
  CHECK(Get(other, "client-output-buffer-limit") == printed);
  Config from_file;
  CHECK(ApplyLine(&from_file, "client-output-buffer-limit " + printed) == "");
  CHECK(Get(from_file, "client-output-buffer-limit") == printed);

  CHECK(ApplyLine(&cfg, "client-output-buffer-limit normal 1 2") ==
        "line 1: 'client-output-buffer-limit normal 1 2': Wrong number of arguments in buffer "
        "limit configuration.");
  CHECK(ApplyLine(&cfg, "client-output-buffer-limit master 1 2 3") ==
        "line 1: 'client-output-buffer-limit master 1 2 3': Invalid client class specified in "
        "buffer limit configuration.");
  CHECK(ApplyLine(&cfg, "client-output-buffer-limit normal 1 2 3 pubsub 1 x 3") ==
        "line 1: 'client-output-buffer-limit normal 1 2 3 pubsub 1 x 3': Error in hard, soft or "
        "soft_seconds setting in buffer limit configuration.");
  CHECK(ApplyLine(&cfg, "client-output-buffer-limit normal 1 2 -3") ==
        "line 1: 'client-output-buffer-limit normal 1 2 -3': Error in hard, soft or soft_seconds "
        "setting in buffer limit configuration.");
  // The failed lines above changed no class, not even the valid first group.
  CHECK(Get(cfg, "client-output-buffer-limit") == printed);
}

TEST_CASE("CONFIG SET: mutable options, errors as redis-server words them", "[config]") {
  Config cfg;
  CHECK(SetOption(&cfg, "timeout", "30").ok());
  CHECK(cfg.timeout == 30);
  CHECK(SetOption(&cfg, "MAXCLIENTS", "50").ok());
  CHECK(cfg.maxclients == 50);
  CHECK(SetOption(&cfg, "requirepass", "has spaces in it").ok());
  CHECK(cfg.requirepass == "has spaces in it");
  CHECK(SetOption(&cfg, "loglevel", "warning").ok());
  CHECK(SetOption(&cfg, "hz", "100").ok());
  CHECK(SetOption(&cfg, "appendfsync", "always").ok());
  CHECK(SetOption(&cfg, "appendonly", "yes").ok());
  CHECK(SetOption(&cfg, "save", "900 1 300 10").ok());
  CHECK(cfg.save == "900 1 300 10");
  CHECK(SetOption(&cfg, "save", "").ok());
  CHECK(cfg.save.empty());
  CHECK(SetOption(&cfg, "cache-size", "128mb").ok());
  CHECK(cfg.cache_size == 128ULL << 20);
  CHECK(SetOption(&cfg, "protected-mode", "no").ok());
  CHECK(SetOption(&cfg, "proto-max-bulk-len", "2mb").ok());
  CHECK(SetOption(&cfg, "client-query-buffer-limit", "4mb").ok());
  CHECK(SetOption(&cfg, "slowlog-log-slower-than", "0").ok());
  CHECK(SetOption(&cfg, "slowlog-max-len", "1024").ok());
  CHECK(SetOption(&cfg, "active-expire-keys-per-cycle", "50").ok());
  CHECK(SetOption(&cfg, "tcp-keepalive", "60").ok());

  CHECK(SetOption(&cfg, "cache-size", "big").message() == "argument must be a memory value");
  CHECK(SetOption(&cfg, "timeout", "soon").message() ==
        "argument couldn't be parsed into an integer");
  CHECK(SetOption(&cfg, "appendonly", "maybe").message() == "argument must be 'yes' or 'no'");
  CHECK(SetOption(&cfg, "save", "900").message() == "Invalid save parameters");
  CHECK(SetOption(&cfg, "nosuch", "1").message() ==
        "Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  for (const char* fixed :
       {"port", "bind", "dir", "daemonize", "logfile", "pidfile", "databases", "tcp-backlog",
        "leveldb-block-cache-size", "leveldb-mmap-size", "leveldb-write-buffer-size",
        "leveldb-max-open-files", "leveldb-bloom-bits"}) {
    INFO(fixed);
    CHECK(SetOption(&cfg, fixed, "1").message() == "can't set immutable config");
  }
  CHECK(cfg.port == 6379);
  CHECK(cfg.cache_size == 128ULL << 20);
}

TEST_CASE("every option is mutable exactly when Redis allows it", "[config]") {
  const std::set<std::string_view> mutable_options = {"read-quorum",
                                                      "write-quorum",
                                                      "cluster-pipeline-depth",
                                                      "timeout",
                                                      "maxclients",
                                                      "requirepass",
                                                      "loglevel",
                                                      "hz",
                                                      "appendfsync",
                                                      "appendonly",
                                                      "save",
                                                      "cache-size",
                                                      "protected-mode",
                                                      "proto-max-bulk-len",
                                                      "client-query-buffer-limit",
                                                      "client-output-buffer-limit",
                                                      "slowlog-log-slower-than",
                                                      "slowlog-max-len",
                                                      "latency-tracking",
                                                      "latency-tracking-info-percentiles",
                                                      "active-expire-keys-per-cycle",
                                                      "tcp-keepalive",
                                                      "maxmemory",
                                                      "maxmemory-policy"};
  for (const auto& opt : Options()) {
    INFO(opt.name);
    CHECK(opt.runtime_mutable == (mutable_options.count(opt.name) == 1));
  }
}

TEST_CASE("command line: file, then flags that win", "[config]") {
  TempDir dir;
  std::string file = dir.Write("ringkv.conf",
                               "port 7001\n"
                               "hz 20\n"
                               "save 900 1\n"
                               "requirepass fromfile\n");
  Config cfg;
  Status s = RunCommandLine({file, "--port", "7005", "--save", "60", "10", "--requirepass",
                             "--starts-with-dashes", "--bind", "10.0.0.1", "-::1"},
                            &cfg);
  REQUIRE(s.ok());
  CHECK(cfg.config_file == fs::absolute(file).lexically_normal().string());
  CHECK(cfg.port == 7005);
  CHECK(cfg.hz == 20);
  CHECK(cfg.save == "60 10");  // flags replace the file's save lines
  CHECK(cfg.requirepass == "--starts-with-dashes");
  CHECK(cfg.bind == std::vector<std::string>{"10.0.0.1", "-::1"});
}

TEST_CASE("command line: a relative config path is stored absolute", "[config]") {
  TempDir dir;
  dir.Write("rel.conf", "port 7009\n");
  fs::path old = fs::current_path();
  fs::current_path(dir.path());
  Config cfg;
  Status s = RunCommandLine({"rel.conf"}, &cfg);
  fs::current_path(old);
  REQUIRE(s.ok());
  CHECK(cfg.port == 7009);
  CHECK(fs::path(cfg.config_file).is_absolute());
  CHECK(fs::equivalent(cfg.config_file, dir.path() / "rel.conf"));
}

TEST_CASE("command line: empty values and --save forms", "[config]") {
  SECTION("--save \"\"") {
    Config cfg;
    cfg.save = "900 1";
    REQUIRE(RunCommandLine({"--save", "", "--port", "7002"}, &cfg).ok());
    CHECK(cfg.save.empty());
    CHECK(cfg.port == 7002);
  }
  SECTION("bare --save before another flag") {
    Config cfg;
    cfg.save = "900 1";
    REQUIRE(RunCommandLine({"--save", "--port", "7003"}, &cfg).ok());
    CHECK(cfg.save.empty());
    CHECK(cfg.port == 7003);
  }
  SECTION("bare --save at the end") {
    Config cfg;
    cfg.save = "900 1";
    REQUIRE(RunCommandLine({"--port", "7004", "--save"}, &cfg).ok());
    CHECK(cfg.save.empty());
  }
  SECTION("several --save flags add up") {
    Config cfg;
    REQUIRE(RunCommandLine({"--save", "900", "1", "--save", "300", "10"}, &cfg).ok());
    CHECK(cfg.save == "900 1 300 10");
  }
  SECTION("--requirepass \"\"") {
    Config cfg;
    cfg.requirepass = "x";
    REQUIRE(RunCommandLine({"--requirepass", ""}, &cfg).ok());
    CHECK(cfg.requirepass.empty());
  }
  SECTION("a whole directive in one word") {
    Config cfg;
    REQUIRE(RunCommandLine({"--port 7010", "--loglevel", "debug"}, &cfg).ok());
    CHECK(cfg.port == 7010);
    CHECK(cfg.loglevel == LogLevel::kDebug);
  }
  SECTION("rename-command from flags") {
    Config cfg;
    REQUIRE(RunCommandLine({"--rename-command", "CONFIG", ""}, &cfg).ok());
    CHECK(cfg.renamed_commands.at("config").empty());
  }
  SECTION("no arguments at all") {
    Config cfg;
    REQUIRE(RunCommandLine({}, &cfg).ok());
    CHECK(cfg.port == 6379);
    CHECK(cfg.config_file.empty());
  }
}

TEST_CASE("command line errors", "[config]") {
  TempDir dir;
  Config cfg;
  CHECK(RunCommandLine({"--port", "x"}, &cfg).message() ==
        "command line: '--port x': argument couldn't be parsed into an integer");
  CHECK(RunCommandLine({"--frob", "1"}, &cfg).message() ==
        "command line: '--frob 1': unknown option");
  CHECK(RunCommandLine({"--port"}, &cfg).message() ==
        "command line: '--port': wrong number of arguments");
  CHECK(RunCommandLine({"--requirepass", "a b", "c"}, &cfg).message() ==
        "command line: '--requirepass \"a b\" c': wrong number of arguments");
  std::string missing = (dir.path() / "missing.conf").string();
  CHECK(RunCommandLine({missing}, &cfg).message() ==
        "can't open config file '" + missing + "': No such file or directory");
  std::string bad = dir.Write("bad.conf", "port 7001\nappendfsync sometimes\n");
  CHECK(RunCommandLine({bad, "--port", "7002"}, &cfg).message() ==
        "line 2: 'appendfsync sometimes': argument(s) must be one of the following: everysec, "
        "always, no");
  CHECK(RunCommandLine({bad, "extra"}, &cfg).message() ==
        "line 2: 'appendfsync sometimes': argument(s) must be one of the following: everysec, "
        "always, no");
  std::string good = dir.Write("good.conf", "port 7001\n");
  CHECK(RunCommandLine({good, "stray"}, &cfg).message() ==
        "command line: 'stray': expected an option starting with --");
}

}  // namespace
}  // namespace ringkv::server
