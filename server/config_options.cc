// The option table: every option's name, mutability, parser and printer.
// Error texts follow redis-server 7 where it has one.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <set>

#include "resp/parser.h"
#include "server/config.h"
#include "server/config_text.h"

namespace ringkv::server {
namespace {

using namespace config_text;

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kLongMax = LLONG_MAX;
constexpr size_t kMaxBindAddresses = 16;  // as redis-server
constexpr std::string_view kWrongArgs = "wrong number of arguments";

// ---- Typed option builders. Each `set` validates everything before it
// writes, so a failed set leaves the Config untouched.

Status RangeError(int64_t lo, int64_t hi) {
  return Invalid(fmt::format("argument must be between {} and {} inclusive", lo, hi));
}

template <class T>
OptionDef IntOption(std::string_view name, bool mutable_, T Config::*field, int64_t lo,
                    int64_t hi) {
  return {name, mutable_,
          [field, lo, hi](Config& cfg, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            int64_t v;
            if (!ParseInt(args[0], &v)) {
              return Invalid("argument couldn't be parsed into an integer");
            }
            if (v < lo || v > hi) return RangeError(lo, hi);
            cfg.*field = static_cast<T>(v);
            return Status::Ok();
          },
          [field](const Config& cfg) { return std::to_string(cfg.*field); }};
}

// hz: any int from 0 is accepted and brought into 1..500, as Redis does.
OptionDef HzOption() {
  OptionDef def = IntOption("hz", true, &Config::hz, 0, kIntMax);
  def.set = [parse = def.set](Config& cfg, const Args& args) -> Status {
    Status s = parse(cfg, args);
    if (s.ok()) cfg.hz = std::clamp<int64_t>(cfg.hz, 1, 500);
    return s;
  };
  return def;
}

OptionDef MemoryOption(std::string_view name, bool mutable_, uint64_t Config::*field, uint64_t lo,
                       uint64_t hi) {
  return {name, mutable_,
          [field, lo, hi](Config& cfg, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            uint64_t v;
            if (!ParseMemory(args[0], &v)) return Invalid("argument must be a memory value");
            if (v < lo || v > hi) {
              return Invalid(fmt::format("argument must be between {} and {} inclusive", lo, hi));
            }
            cfg.*field = v;
            return Status::Ok();
          },
          [field](const Config& cfg) { return std::to_string(cfg.*field); }};
}

OptionDef BoolOption(std::string_view name, bool mutable_, bool Config::*field) {
  return {name, mutable_,
          [field](Config& cfg, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            if (EqualsNoCase(args[0], "yes")) {
              cfg.*field = true;
            } else if (EqualsNoCase(args[0], "no")) {
              cfg.*field = false;
            } else {
              return Invalid("argument must be 'yes' or 'no'");
            }
            return Status::Ok();
          },
          [field](const Config& cfg) { return std::string(cfg.*field ? "yes" : "no"); }};
}

OptionDef StringOption(std::string_view name, bool mutable_, std::string Config::*field,
                       bool allow_empty) {
  return {name, mutable_,
          [field, allow_empty](Config& cfg, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            if (!allow_empty && args[0].empty()) return Invalid("argument can't be empty");
            cfg.*field = args[0];
            return Status::Ok();
          },
          [field](const Config& cfg) { return cfg.*field; }};
}

template <class E>
struct EnumName {
  E value;
  std::string_view name;
};

// Names are listed in redis-server's order so that the error text matches.
template <class E, size_t N>
OptionDef EnumOption(std::string_view name, bool mutable_, E Config::*field,
                     const EnumName<E> (&names)[N]) {
  std::vector<EnumName<E>> table(names, names + N);
  return {name, mutable_,
          [field, table](Config& cfg, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            for (const auto& e : table) {
              if (EqualsNoCase(args[0], e.name)) {
                cfg.*field = e.value;
                return Status::Ok();
              }
            }
            std::string msg = "argument(s) must be one of the following: ";
            for (size_t i = 0; i < table.size(); ++i) {
              if (i > 0) msg += ", ";
              msg += table[i].name;
            }
            return Invalid(std::move(msg));
          },
          [field, table](const Config& cfg) {
            for (const auto& e : table) {
              if (e.value == cfg.*field) return std::string(e.name);
            }
            return std::string();
          }};
}

constexpr EnumName<FsyncPolicy> kFsyncNames[] = {{FsyncPolicy::kEverySec, "everysec"},
                                                 {FsyncPolicy::kAlways, "always"},
                                                 {FsyncPolicy::kNo, "no"}};
constexpr EnumName<LogLevel> kLogLevelNames[] = {{LogLevel::kDebug, "debug"},
                                                 {LogLevel::kVerbose, "verbose"},
                                                 {LogLevel::kNotice, "notice"},
                                                 {LogLevel::kWarning, "warning"},
                                                 {LogLevel::kNothing, "nothing"}};

constexpr EnumName<DebugCommand> kDebugCommandNames[] = {
    {DebugCommand::kNo, "no"}, {DebugCommand::kYes, "yes"}, {DebugCommand::kLocal, "local"}};

// ---- Options with their own grammar.

OptionDef BindOption() {
  return {"bind", false,
          [](Config& cfg, const Args& args) -> Status {
            if (args.empty()) return Invalid(std::string(kWrongArgs));
            if (args.size() > kMaxBindAddresses) {
              return Invalid("Too many bind addresses specified.");
            }
            for (const auto& a : args) {
              // "-addr" marks an address that may be missing on this host.
              if (a.empty() || a == "-") return Invalid("bind address can't be empty");
              for (unsigned char ch : a) {
                if (ch <= ' ' || ch >= 0x7f) return Invalid("Invalid bind address '" + a + "'");
              }
            }
            cfg.bind = args;
            return Status::Ok();
          },
          [](const Config& cfg) { return Join(cfg.bind); }};
}

// `cluster-seeds host:port [host:port...]` ("" for none).
OptionDef SeedsOption() {
  return {"cluster-seeds", false,
          [](Config& cfg, const Args& args) -> Status {
            std::vector<std::string> seeds;
            for (const auto& a : args) {
              if (a.empty()) continue;
              size_t colon = a.rfind(':');
              int64_t port = 0;
              if (colon == std::string::npos || colon == 0 ||
                  !ParseInt(std::string_view(a).substr(colon + 1), &port) || port < 1 ||
                  port > 65535) {
                return Invalid("seed must be host:port, got '" + a + "'");
              }
              seeds.push_back(a);
            }
            cfg.cluster_seeds = std::move(seeds);
            return Status::Ok();
          },
          [](const Config& cfg) { return Join(cfg.cluster_seeds); }};
}

// `save ""` or `save <seconds> <changes> [<seconds> <changes>...]`. Several
// save lines in one source add up; ApplyDirective handles that.
OptionDef SaveOption() {
  return {"save", true,
          [](Config& cfg, const Args& args) -> Status {
            if (args.empty() || (args.size() == 1 && args[0].empty())) {
              cfg.save.clear();
              return Status::Ok();
            }
            if (args.size() % 2 != 0) return Invalid("Invalid save parameters");
            for (size_t i = 0; i < args.size(); ++i) {
              int64_t v;
              if (!ParseInt(args[i], &v) || v < (i % 2 == 0 ? 1 : 0)) {
                return Invalid("Invalid save parameters");
              }
            }
            cfg.save = Join(args);
            return Status::Ok();
          },
          [](const Config& cfg) { return cfg.save; }};
}

// "50 99 99.9": numbers from 0 to 100, any count (none: INFO latencystats
// lists the commands without values, as Redis does).
OptionDef PercentilesOption() {
  return {"latency-tracking-info-percentiles", true,
          [](Config& cfg, const Args& args) -> Status {
            std::vector<double> values;
            Args words;  // "50 99 99.9" may come as one quoted argument or as three
            for (const std::string& arg : args) {
              for (std::string& w : SplitSpaces(arg)) words.push_back(std::move(w));
            }
            for (const std::string& a : words) {
              double v;
              auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), v);
              if (ec != std::errc() || end != a.data() + a.size() || !std::isfinite(v)) {
                return Invalid("Invalid latency-tracking-info-percentiles parameters");
              }
              if (v < 0 || v > 100) {
                return Invalid(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
              }
              values.push_back(v);
            }
            cfg.latency_tracking_info_percentiles = std::move(values);
            return Status::Ok();
          },
          [](const Config& cfg) {
            std::string out;
            for (double v : cfg.latency_tracking_info_percentiles) {
              if (!out.empty()) out.push_back(' ');
              out += fmt::format("{}", v);
            }
            return out;
          }};
}

// Redis's memory limit and eviction policy: ringkv bounds its memory with
// cache-size and never evicts a key (what leaves the cache stays on disk),
// so only "maxmemory 0" and "maxmemory-policy noeviction" are true here.
// Both exist for the files and clients written for Redis that set or read
// them (BullMQ warns unless the policy is noeviction).
OptionDef MaxmemoryOption() {
  return {"maxmemory", true,
          [](Config&, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            uint64_t v;
            if (!ParseMemory(args[0], &v)) return Invalid("argument must be a memory value");
            if (v != 0) {
              return Invalid("ringkv has no maxmemory: cache-size bounds the memory records take");
            }
            return Status::Ok();
          },
          [](const Config&) { return std::string("0"); }};
}

OptionDef MaxmemoryPolicyOption() {
  return {"maxmemory-policy", true,
          [](Config&, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            if (!EqualsNoCase(args[0], "noeviction")) {
              return Invalid(
                  "ringkv never evicts keys (records that leave cache-size stay on "
                  "disk): the policy is noeviction");
            }
            return Status::Ok();
          },
          [](const Config&) { return std::string("noeviction"); }};
}

OptionDef DatabasesOption() {
  return {"databases", false,
          [](Config& cfg, const Args& args) -> Status {
            if (args.size() != 1) return Invalid(std::string(kWrongArgs));
            int64_t v;
            if (!ParseInt(args[0], &v)) {
              return Invalid("argument couldn't be parsed into an integer");
            }
            if (v != 1) return Invalid("ringkv has a single database");
            cfg.databases = v;
            return Status::Ok();
          },
          [](const Config& cfg) { return std::to_string(cfg.databases); }};
}

OutputBufferLimit* LimitForClass(Config& cfg, std::string_view cls) {
  if (EqualsNoCase(cls, "normal")) return &cfg.output_limit_normal;
  if (EqualsNoCase(cls, "replica") || EqualsNoCase(cls, "slave")) return &cfg.output_limit_replica;
  if (EqualsNoCase(cls, "pubsub")) return &cfg.output_limit_pubsub;
  return nullptr;
}

// `<class> <hard> <soft> <soft-seconds>`, repeated; all groups are checked
// before any is stored.
OptionDef OutputBufferLimitOption() {
  return {"client-output-buffer-limit", true,
          [](Config& cfg, const Args& args) -> Status {
            if (args.empty()) return Status::Ok();  // as in Redis: nothing to change
            if (args.size() % 4 != 0) {
              return Invalid("Wrong number of arguments in buffer limit configuration.");
            }
            Config scratch = cfg;
            for (size_t i = 0; i < args.size(); i += 4) {
              OutputBufferLimit* lim = LimitForClass(scratch, args[i]);
              if (lim == nullptr) {
                return Invalid("Invalid client class specified in buffer limit configuration.");
              }
              OutputBufferLimit v;
              if (!ParseMemory(args[i + 1], &v.hard_bytes) ||
                  !ParseMemory(args[i + 2], &v.soft_bytes) ||
                  !ParseInt(args[i + 3], &v.soft_seconds) || v.soft_seconds < 0) {
                return Invalid(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
              }
              *lim = v;
            }
            cfg.output_limit_normal = scratch.output_limit_normal;
            cfg.output_limit_replica = scratch.output_limit_replica;
            cfg.output_limit_pubsub = scratch.output_limit_pubsub;
            return Status::Ok();
          },
          [](const Config& cfg) {
            auto one = [](std::string_view cls, const OutputBufferLimit& l) {
              return fmt::format("{} {} {} {}", cls, l.hard_bytes, l.soft_bytes, l.soft_seconds);
            };
            // Redis 7 prints the replica class under its old name.
            return one("normal", cfg.output_limit_normal) + " " +
                   one("slave", cfg.output_limit_replica) + " " +
                   one("pubsub", cfg.output_limit_pubsub);
          }};
}

// `rename-command <name> <new-name>`; an empty new name disables the command.
// Both names are stored lowercase because command lookup ignores case.
// Whether <name> exists is for the command table to check, not this file.
OptionDef RenameCommandOption() {
  return {"rename-command", false,
          [](Config& cfg, const Args& args) -> Status {
            if (args.size() != 2) return Invalid(std::string(kWrongArgs));
            if (args[0].empty()) return Invalid("No such command in rename-command");
            std::string from = Lower(args[0]);
            std::string to = Lower(args[1]);
            for (const auto& [other, target] : cfg.renamed_commands) {
              if (!to.empty() && other != from && target == to) {
                return Invalid("Target command name already exists");
              }
            }
            cfg.renamed_commands[from] = to;
            return Status::Ok();
          },
          // The pairs as a rename-command line would list them, e.g.
          // `config "" flushall myflush`.
          [](const Config& cfg) {
            Args words;
            for (const auto& [from, to] : cfg.renamed_commands) {
              words.push_back(from);
              words.push_back(to);
            }
            return QuoteJoin(words);
          }};
}

std::vector<OptionDef> BuildOptions() {
  constexpr bool kMutable = true;
  constexpr bool kFixed = false;
  std::vector<OptionDef> o;
  // network
  o.push_back(BindOption());
  o.push_back(BoolOption("protected-mode", kMutable, &Config::protected_mode));
  o.push_back(EnumOption("enable-debug-command", kFixed, &Config::enable_debug_command,
                         kDebugCommandNames));
  o.push_back(IntOption("port", kFixed, &Config::port, 1, 65535));
  o.push_back(IntOption("tcp-backlog", kFixed, &Config::tcp_backlog, 0, kIntMax));
  o.push_back(IntOption("timeout", kMutable, &Config::timeout, 0, kIntMax));
  o.push_back(IntOption("tcp-keepalive", kMutable, &Config::tcp_keepalive, 0, kIntMax));
  o.push_back(IntOption("maxclients", kMutable, &Config::maxclients, 1, UINT_MAX));
  // security
  o.push_back(StringOption("requirepass", kMutable, &Config::requirepass, true));
  o.push_back(RenameCommandOption());
  // process
  o.push_back(BoolOption("daemonize", kFixed, &Config::daemonize));
  o.push_back(StringOption("pidfile", kFixed, &Config::pidfile, true));
  o.push_back(EnumOption("loglevel", kMutable, &Config::loglevel, kLogLevelNames));
  o.push_back(StringOption("logfile", kFixed, &Config::logfile, true));
  o.push_back(HzOption());
  o.push_back(DatabasesOption());
  o.push_back(MaxmemoryOption());
  o.push_back(MaxmemoryPolicyOption());
  // storage
  o.push_back(StringOption("dir", kFixed, &Config::dir, false));
  o.push_back(BoolOption("appendonly", kMutable, &Config::appendonly));
  o.push_back(EnumOption("appendfsync", kMutable, &Config::appendfsync, kFsyncNames));
  o.push_back(SaveOption());
  o.push_back(MemoryOption("cache-size", kMutable, &Config::cache_size, 0, kLongMax));
  o.push_back(IntOption("key-filter-bits", kFixed, &Config::key_filter_bits, 0, 64));
  o.push_back(IntOption("key-filter-rebuild-slack", kFixed, &Config::key_filter_rebuild_slack, 0,
                        kLongMax));
  o.push_back(MemoryOption("leveldb-block-cache-size", kFixed, &Config::leveldb_block_cache_size, 0,
                           kLongMax));
  o.push_back(MemoryOption("leveldb-mmap-size", kFixed, &Config::leveldb_mmap_size, 0, kLongMax));
  // LevelDB clamps these two to the same ranges; refusing is clearer.
  o.push_back(MemoryOption("leveldb-write-buffer-size", kFixed, &Config::leveldb_write_buffer_size,
                           64 << 10, 1 << 30));
  o.push_back(
      IntOption("leveldb-max-open-files", kFixed, &Config::leveldb_max_open_files, 74, 50000));
  o.push_back(IntOption("leveldb-bloom-bits", kFixed, &Config::leveldb_bloom_bits, 0, 64));
  o.push_back(
      MemoryOption("leveldb-block-size", kFixed, &Config::leveldb_block_size, 256, 4 << 20));
  o.push_back(IntOption("leveldb-block-restart-interval", kFixed,
                        &Config::leveldb_block_restart_interval, 1, 1024));
  o.push_back(BoolOption("leveldb-compression", kFixed, &Config::leveldb_compression));
  o.push_back(
      IntOption("leveldb-compaction-nice", kFixed, &Config::leveldb_compaction_nice, 0, 19));
  o.push_back(BoolOption("leveldb-compaction-idle", kFixed, &Config::leveldb_compaction_idle));
  o.push_back(
      IntOption("leveldb-idle-flush-ms", kFixed, &Config::leveldb_idle_flush_ms, 0, 86400000));
  o.push_back(IntOption("leveldb-idle-compact-percent", kFixed,
                        &Config::leveldb_idle_compact_percent, 0, 100000));
  o.push_back(IntOption("write-behind-ms", kFixed, &Config::write_behind_ms, 0, 60000));
  o.push_back(IntOption("write-behind-nice", kFixed, &Config::write_behind_nice, 0, 19));
  o.push_back(BoolOption("write-behind-adaptive", kFixed, &Config::write_behind_adaptive));
  o.push_back(MemoryOption("journal-segment-size", kFixed, &Config::journal_segment_size, 1 << 20,
                           kLongMax));
  o.push_back(IntOption("slot-log-fold-pairs", kFixed, &Config::slot_log_fold_pairs, 1, kLongMax));
  o.push_back(IntOption("active-expire-keys-per-cycle", kMutable,
                        &Config::active_expire_keys_per_cycle, 1, 1000000));
  // limits
  o.push_back(
      MemoryOption("proto-max-bulk-len", kMutable, &Config::proto_max_bulk_len, 1 << 20, kLongMax));
  o.push_back(MemoryOption("client-query-buffer-limit", kMutable,
                           &Config::client_query_buffer_limit, 1 << 20, kLongMax));
  o.push_back(OutputBufferLimitOption());
  // observability
  o.push_back(IntOption("slowlog-log-slower-than", kMutable, &Config::slowlog_log_slower_than, -1,
                        kLongMax));
  o.push_back(IntOption("slowlog-max-len", kMutable, &Config::slowlog_max_len, 0, kLongMax));
  o.push_back(BoolOption("latency-tracking", kMutable, &Config::latency_tracking));
  o.push_back(PercentilesOption());
  // cluster
  o.push_back(BoolOption("cluster-enabled", kFixed, &Config::cluster_enabled));
  o.push_back(SeedsOption());
  o.push_back(StringOption("cluster-secret", kFixed, &Config::cluster_secret, true));
  o.push_back(StringOption("cluster-announce-ip", kFixed, &Config::cluster_announce_ip, true));
  o.push_back(IntOption("replicas", kFixed, &Config::replicas, 1, 16));
  o.push_back(IntOption("read-quorum", kMutable, &Config::read_quorum, 1, 16));
  o.push_back(IntOption("write-quorum", kMutable, &Config::write_quorum, 1, 16));
  o.push_back(IntOption("cluster-vnodes", kFixed, &Config::cluster_vnodes, 1, 4096));
  o.push_back(IntOption("cluster-weight", kFixed, &Config::cluster_weight, 1, 64));
  o.push_back(IntOption("gossip-interval-ms", kFixed, &Config::gossip_interval_ms, 10, 60000));
  o.push_back(
      IntOption("cluster-node-timeout", kFixed, &Config::cluster_node_timeout, 50, 3600000));
  o.push_back(
      IntOption("cluster-pipeline-depth", kMutable, &Config::cluster_pipeline_depth, 1, 1024));
  // Fixed: the peer links and the forwarding deadline must agree on it (a
  // forwarded command could otherwise run on two nodes).
  o.push_back(
      IntOption("peer-request-timeout-ms", kFixed, &Config::peer_request_timeout_ms, 10, 3600000));
  return o;
}

}  // namespace

const std::vector<OptionDef>& Options() {
  static const std::vector<OptionDef> options = BuildOptions();
  return options;
}

const OptionDef* FindOption(std::string_view name) {
  for (const auto& opt : Options()) {
    if (EqualsNoCase(opt.name, name)) return &opt;
  }
  return nullptr;
}

bool ParseMemory(std::string_view s, uint64_t* out) {
  size_t digits = 0;
  while (digits < s.size() && isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits == 0) return false;
  std::string_view unit = s.substr(digits);
  uint64_t mul;
  if (unit.empty() || EqualsNoCase(unit, "b")) {
    mul = 1;
  } else if (EqualsNoCase(unit, "k")) {
    mul = 1000;
  } else if (EqualsNoCase(unit, "kb")) {
    mul = 1024;
  } else if (EqualsNoCase(unit, "m")) {
    mul = 1000 * 1000;
  } else if (EqualsNoCase(unit, "mb")) {
    mul = 1024 * 1024;
  } else if (EqualsNoCase(unit, "g")) {
    mul = 1000ULL * 1000 * 1000;
  } else if (EqualsNoCase(unit, "gb")) {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  uint64_t v;
  auto [end, ec] = std::from_chars(s.data(), s.data() + digits, v);
  if (ec != std::errc() || end != s.data() + digits) return false;
  if (v > UINT64_MAX / mul) return false;
  *out = v * mul;
  return true;
}

}  // namespace ringkv::server
