// The option table and the three ways values reach it (file, flags, CONFIG
// SET), plus CONFIG REWRITE. Error texts follow redis-server 7 where it has
// one, because clients and scripts match on them.
#include "server/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "resp/parser.h"

namespace ringkv::server {
namespace {

using Args = std::vector<std::string>;

constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kLongMax = LLONG_MAX;
constexpr size_t kMaxBindAddresses = 16;  // as redis-server
constexpr std::string_view kWrongArgs = "wrong number of arguments";
constexpr std::string_view kRewriteMarker = "# Options below were added by CONFIG REWRITE";

// Options whose value is several words. CONFIG SET splits its single value
// on spaces for these; every other option takes exactly one argument.
bool IsMultiArg(std::string_view name) {
  return name == "bind" || name == "save" || name == "client-output-buffer-limit";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Status Invalid(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string Join(const Args& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

Args SplitSpaces(std::string_view s) {
  Args out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

// Quotes `s` so that resp::SplitArgs reads it back as one argument; plain
// words are left alone so rewritten files stay readable.
std::string QuoteArg(std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (isspace(c) || c == '"' || c == '\'' || c == '\\' || !isprint(c)) plain = false;
  }
  if (plain) return std::string(s);
  constexpr std::string_view kEscaped = "\\\"\n\r\t\a\b";  // written as \ followed by...
  constexpr std::string_view kEscapeLetter = "\\\"nrtab";  // ...the letter at the same index
  std::string out = "\"";
  for (unsigned char c : s) {
    size_t e = kEscaped.find(static_cast<char>(c));
    if (e != std::string_view::npos) {
      out += '\\';
      out += kEscapeLetter[e];
    } else if (isprint(c)) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  out += '"';
  return out;
}

std::string QuoteJoin(const Args& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += QuoteArg(w);
  }
  return out;
}

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
            if (args.empty() || args.size() % 4 != 0) {
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
  o.push_back(IntOption("hz", kMutable, &Config::hz, 1, 500));
  o.push_back(DatabasesOption());
  // storage
  o.push_back(StringOption("dir", kFixed, &Config::dir, false));
  o.push_back(BoolOption("appendonly", kMutable, &Config::appendonly));
  o.push_back(EnumOption("appendfsync", kMutable, &Config::appendfsync, kFsyncNames));
  o.push_back(SaveOption());
  o.push_back(MemoryOption("cache-size", kMutable, &Config::cache_size, 0, kLongMax));
  o.push_back(MemoryOption("leveldb-block-cache-size", kFixed, &Config::leveldb_block_cache_size, 0,
                           kLongMax));
  // LevelDB clamps these two to the same ranges; refusing is clearer.
  o.push_back(MemoryOption("leveldb-write-buffer-size", kFixed, &Config::leveldb_write_buffer_size,
                           64 << 10, 1 << 30));
  o.push_back(
      IntOption("leveldb-max-open-files", kFixed, &Config::leveldb_max_open_files, 74, 50000));
  o.push_back(IntOption("leveldb-bloom-bits", kFixed, &Config::leveldb_bloom_bits, 0, 64));
  o.push_back(BoolOption("leveldb-compression", kFixed, &Config::leveldb_compression));
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
  o.push_back(IntOption("peer-request-timeout-ms", kMutable, &Config::peer_request_timeout_ms, 10,
                        3600000));
  return o;
}

// ---- Applying directives from a source (one file, or the command line).

// State that lives for one source: redis-server lets several `save` lines add
// up, the first one replacing what came before.
struct SourceState {
  bool save_seen = false;
};

// Applies `args` (name first) to `cfg`. Returns the bare reason on failure.
Status ApplyDirective(const Args& args, SourceState* state, Config* cfg) {
  const OptionDef* opt = FindOption(args[0]);
  if (opt == nullptr) return Invalid("unknown option");
  Args values(args.begin() + 1, args.end());
  // Like redis-server 7, a multi-argument option given as one quoted value
  // (`--client-output-buffer-limit "normal 4mb 2mb 1"`) is split on spaces.
  static constexpr std::string_view kMultiArg[] = {"bind", "save", "client-output-buffer-limit",
                                                   "cluster-seeds"};
  if (values.size() == 1 &&
      std::find(std::begin(kMultiArg), std::end(kMultiArg), opt->name) != std::end(kMultiArg) &&
      values[0].find(' ') != std::string::npos) {
    Args split;
    size_t pos = 0;
    const std::string& v = values[0];
    while (pos < v.size()) {
      size_t end = v.find(' ', pos);
      if (end == std::string::npos) end = v.size();
      if (end > pos) split.push_back(v.substr(pos, end - pos));
      pos = end + 1;
    }
    values = std::move(split);
  }
  if (opt->name == "save") {
    std::string before = cfg->save;
    Status s = opt->set(*cfg, values);
    if (!s.ok()) return s;
    if (state->save_seen && !before.empty() && !cfg->save.empty()) {
      cfg->save = before + " " + cfg->save;
    }
    state->save_seen = true;
    return Status::Ok();
  }
  return opt->set(*cfg, values);
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IoError(
        fmt::format("can't open config file '{}': {}", path, std::strerror(errno)));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return Status::IoError(
        fmt::format("can't read config file '{}': {}", path, std::strerror(errno)));
  }
  *out = std::move(buf).str();
  return Status::Ok();
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < text.size()) lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

Status ApplyText(std::string_view text, SourceState* state, Config* cfg) {
  std::vector<std::string_view> lines = Lines(text);
  Args args;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = Trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    Status s;
    if (!resp::SplitArgs(line, &args)) {
      s = Invalid("Unbalanced quotes in configuration line");
    } else if (args.empty()) {
      continue;
    } else {
      s = ApplyDirective(args, state, cfg);
    }
    if (!s.ok()) return Invalid(fmt::format("line {}: '{}': {}", i + 1, line, s.message()));
  }
  return Status::Ok();
}

Status LoadFile(const std::string& path, SourceState* state, Config* cfg) {
  std::string text;
  Status s = ReadFile(path, &text);
  if (!s.ok()) return s;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  cfg->config_file = ec ? path : abs.lexically_normal().string();
  return ApplyText(text, state, cfg);
}

// ---- CONFIG REWRITE helpers.

// The lines that state `opt`'s current value.
std::vector<std::string> OptionLines(const OptionDef& opt, const Config& cfg) {
  std::vector<std::string> out;
  if (opt.name == "rename-command") {
    for (const auto& [from, to] : cfg.renamed_commands) {
      out.push_back(fmt::format("rename-command {} {}", QuoteArg(from), QuoteArg(to)));
    }
    return out;
  }
  std::string value = opt.get(cfg);
  std::string args;
  if (IsMultiArg(opt.name)) {
    Args words = SplitSpaces(value);
    args = words.empty() ? "\"\"" : QuoteJoin(words);
  } else {
    args = QuoteArg(value);
  }
  out.push_back(fmt::format("{} {}", opt.name, args));
  return out;
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = fmt::format("{}.rewrite-{}", path, getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return Status::IoError(fmt::format("can't create '{}': {}", tmp, std::strerror(errno)));
  }
  struct stat st;
  if (stat(path.c_str(), &st) == 0) (void)fchmod(fd, st.st_mode & 07777);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = std::strerror(errno);
      close(fd);
      unlink(tmp.c_str());
      return Status::IoError(fmt::format("can't write '{}': {}", tmp, err));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    std::string err = std::strerror(errno);
    unlink(tmp.c_str());
    return Status::IoError(fmt::format("can't write '{}': {}", tmp, err));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    unlink(tmp.c_str());
    return Status::IoError(fmt::format("can't replace '{}': {}", path, err));
  }
  return Status::Ok();
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

Status ApplyConfigText(std::string_view text, Config* cfg) {
  SourceState state;
  return ApplyText(text, &state, cfg);
}

Status LoadConfigFile(const std::string& path, Config* cfg) {
  SourceState state;
  return LoadFile(path, &state, cfg);
}

// Like redis-server: `--name` opens a directive and the following words are
// its values, up to the next `--name`. A word starting with "--" is still a
// value when the open directive has none yet (`--requirepass --secret`),
// except that a bare `--save` means `--save ""`. One word may also hold a
// whole directive (`"--port 6380"`). main() deals with -h/--help and
// -v/--version before calling this; here they would read as a config file or
// an unknown option.
Status ParseCommandLine(int argc, char** argv, Config* cfg) {
  int i = 1;
  if (argc > 1 && std::string_view(argv[1]).substr(0, 2) != "--") {
    SourceState file_state;
    Status s = LoadFile(argv[1], &file_state, cfg);
    if (!s.ok()) return s;
    i = 2;
  }
  std::vector<Args> directives;
  bool open_without_value = false;
  for (; i < argc; ++i) {
    std::string_view word = argv[i];
    bool is_name = word.substr(0, 2) == "--";
    if (is_name && open_without_value && EqualsNoCase(directives.back()[0], "save")) {
      directives.back().emplace_back();  // `--save --port 1` is `--save "" --port 1`
      open_without_value = false;
    }
    if (is_name && !open_without_value) {
      Args parts;
      if (!resp::SplitArgs(word.substr(2), &parts) || parts.empty()) {
        parts = {std::string(word.substr(2))};
      }
      open_without_value = parts.size() == 1;
      directives.push_back(std::move(parts));
    } else if (directives.empty()) {
      return Invalid(fmt::format("command line: '{}': expected an option starting with --", word));
    } else {
      directives.back().emplace_back(word);
      open_without_value = false;
    }
  }
  if (open_without_value && EqualsNoCase(directives.back()[0], "save")) {
    directives.back().emplace_back();
  }
  SourceState flag_state;  // flags replace the file's save lines rather than adding to them
  for (const auto& d : directives) {
    Status s = ApplyDirective(d, &flag_state, cfg);
    if (!s.ok()) {
      Args shown(d.begin() + 1, d.end());
      std::string text = "--" + d[0] + (shown.empty() ? "" : " " + QuoteJoin(shown));
      return Invalid(fmt::format("command line: '{}': {}", text, s.message()));
    }
  }
  return Status::Ok();
}

// An unknown name fails with redis-server's whole message, which the server
// sends as "ERR <message>"; every other failure is the bare reason, which it
// wraps as "ERR CONFIG SET failed (possibly related to argument '<name>') -
// <reason>". FindOption(name) == nullptr tells the two apart. The value of a
// multi-word option (bind, save, client-output-buffer-limit) is split on
// spaces, as redis-server does. On failure `cfg` is unchanged.
Status SetOption(Config* cfg, std::string_view name, std::string_view value) {
  const OptionDef* opt = FindOption(name);
  if (opt == nullptr) {
    return Invalid(
        fmt::format("Unknown option or number of arguments for CONFIG SET - '{}'", name));
  }
  if (!opt->runtime_mutable) return Invalid("can't set immutable config");
  Args args = IsMultiArg(opt->name) ? SplitSpaces(value) : Args{std::string(value)};
  Config next = *cfg;
  Status s = opt->set(next, args);
  if (!s.ok()) return s;
  *cfg = std::move(next);
  return Status::Ok();
}

// Keeps every line it does not own; the first line of each option gets the
// current value and later lines of the same option go. Options missing from
// the file are appended only when they differ from the default.
Status RewriteConfigFile(const Config& cfg) {
  if (cfg.config_file.empty()) return Invalid("The server is running without a config file");
  std::string old_text;
  if (access(cfg.config_file.c_str(), F_OK) == 0) {
    Status s = ReadFile(cfg.config_file, &old_text);
    if (!s.ok()) return s;
  }
  std::vector<std::string> out;
  std::set<std::string_view> written;
  bool has_marker = false;
  Args args;
  for (std::string_view raw : Lines(old_text)) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = Trim(raw);
    if (line == kRewriteMarker) has_marker = true;
    const OptionDef* opt = nullptr;
    if (!line.empty() && line[0] != '#' && resp::SplitArgs(line, &args) && !args.empty()) {
      opt = FindOption(args[0]);
    }
    if (opt == nullptr) {
      out.emplace_back(raw);
      continue;
    }
    if (!written.insert(opt->name).second) continue;
    for (auto& l : OptionLines(*opt, cfg)) out.push_back(std::move(l));
  }
  const Config defaults;
  bool marked = has_marker;
  for (const auto& opt : Options()) {
    if (written.count(opt.name) != 0 || opt.get(cfg) == opt.get(defaults)) continue;
    if (!marked) {
      out.emplace_back(kRewriteMarker);
      marked = true;
    }
    for (auto& l : OptionLines(opt, cfg)) out.push_back(std::move(l));
  }
  std::string text;
  for (const auto& l : out) {
    text += l;
    text += '\n';
  }
  return WriteFileAtomically(cfg.config_file, text);
}

}  // namespace ringkv::server
