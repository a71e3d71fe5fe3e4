// Server commands: INFO, CONFIG, COMMAND, TIME, SLOWLOG, SAVE/BGSAVE/LASTSAVE,
// SHUTDOWN, DEBUG, MEMORY, LOLWUT, ROLE, WAIT and OBJECT. Administration of
// this process; only MEMORY USAGE and OBJECT read the keyspace.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>

#include "server/command_docs.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/server.h"
#include "storage/engine.h"

namespace ringkv::server {
namespace {

// --- INFO, TIME, SAVE, SHUTDOWN ---------------------------------------------

cluster::Task<> InfoCmd(CommandContext& ctx) {
  std::string sections;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (i > 1) sections.push_back(' ');
    sections.append(ctx.arg(i));
  }
  ctx.reply.Verbatim(ctx.server.Info(sections));
  co_return;
}

cluster::Task<> Time(CommandContext& ctx) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
  co_return;
}

cluster::Task<> LastSave(CommandContext& ctx) {
  ctx.reply.Integer(ctx.server.last_save_sec());
  co_return;
}

// Every acknowledged write is already in LevelDB's log; saving means making
// it durable (fsync) now, which is quick, so BGSAVE does it in the foreground.
cluster::Task<> Save(CommandContext& ctx) {
  if (Status s = ctx.server.SaveNow(); !s.ok()) {
    ctx.server.log().Warning("SAVE failed: {}", s.message());
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.Ok();
}

cluster::Task<> BgSave(CommandContext& ctx) {
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.arg(1), "SCHEDULE"))) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  if (Status s = ctx.server.SaveNow(); !s.ok()) {
    ctx.server.log().Warning("BGSAVE failed: {}", s.message());
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.SimpleString("Background saving started");
}

// Redis rewrites its append-only log into the shortest one; ringkv's log is
// LevelDB's tables, so this compacts them, each key range into one level, on
// a background thread (storage/idle_flush.h). INFO persistence shows it as
// an AOF rewrite.
cluster::Task<> BgRewriteAof(CommandContext& ctx) {
  if (!ctx.server.engine().RequestCompaction()) {
    ctx.reply.Error("ERR Background append only file rewriting already in progress");
    co_return;
  }
  ctx.server.log().Notice("Background LevelDB compaction started by BGREWRITEAOF");
  ctx.reply.SimpleString("Background append only file rewriting started");
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. Data is always stored, so
// the options only have to be valid. Success has no reply: the connection
// closes as the server exits.
cluster::Task<> Shutdown(CommandContext& ctx) {
  bool save = false, nosave = false, abort = false, other = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    std::string_view a = ctx.arg(i);
    if (EqualsIgnoreCase(a, "SAVE")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "NOSAVE")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "NOW") || EqualsIgnoreCase(a, "FORCE")) {
      other = true;
    } else if (EqualsIgnoreCase(a, "ABORT")) {
      abort = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      co_return;
    }
  }
  if ((save && nosave) || (abort && (save || nosave || other))) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  if (abort) {
    ctx.reply.Error(errors::kNoShutdownInProgress);
    co_return;
  }
  ctx.server.RequestShutdown(0);
}

// --- CONFIG -----------------------------------------------------------------

bool HasGlobChars(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

// Every option matching any pattern, once, in the order of the option table.
// A pattern without glob characters is echoed back as the client wrote it.
cluster::Task<> ConfigGet(CommandContext& ctx) {
  const Config& cfg = ctx.server.config();
  std::vector<std::pair<std::string_view, const OptionDef*>> found;
  for (const OptionDef& opt : Options()) {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      std::string_view pattern = ctx.arg(i);
      if (HasGlobChars(pattern) ? GlobMatch(pattern, opt.name, true)
                                : EqualsIgnoreCase(pattern, opt.name)) {
        found.emplace_back(HasGlobChars(pattern) ? opt.name : pattern, &opt);
        break;
      }
    }
  }
  ctx.reply.MapHeader(static_cast<int64_t>(found.size()));
  for (const auto& [name, opt] : found) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(opt->get(cfg));
  }
  co_return;
}

// All pairs are checked (names, then values against a copy of the config)
// before any is applied, so a failed CONFIG SET changes nothing.
cluster::Task<> ConfigSet(CommandContext& ctx) {
  if ((ctx.argc() - 2) % 2 != 0) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  std::vector<const OptionDef*> seen;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::string_view name = ctx.arg(i);
    const OptionDef* opt = FindOption(name);
    if (opt == nullptr) {
      ctx.reply.Error(errors::ConfigSetUnknown(name));
      co_return;
    }
    if (!opt->runtime_mutable) {
      ctx.reply.Error(errors::ConfigSetFailed(name, "can't set immutable config"));
      co_return;
    }
    if (std::find(seen.begin(), seen.end(), opt) != seen.end()) {
      ctx.reply.Error(errors::ConfigSetFailed(name, "duplicate parameter"));
      co_return;
    }
    seen.push_back(opt);
  }
  Config trial = ctx.server.config();
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (Status s = SetOption(&trial, ctx.arg(i), ctx.arg(i + 1)); !s.ok()) {
      ctx.reply.Error(errors::ConfigSetFailed(ctx.arg(i), s.message()));
      co_return;
    }
  }
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    if (Status s = ctx.server.SetConfig(ctx.arg(i), ctx.arg(i + 1)); !s.ok()) {
      ctx.reply.Error(errors::ConfigSetFailed(ctx.arg(i), s.message()));
      co_return;
    }
  }
  ctx.reply.Ok();
}

cluster::Task<> ConfigResetStat(CommandContext& ctx) {
  ctx.server.ResetStats();
  ctx.reply.Ok();
  co_return;
}

cluster::Task<> ConfigRewrite(CommandContext& ctx) {
  if (ctx.server.config().config_file.empty()) {
    ctx.reply.Error(errors::kNoConfigFile);
    co_return;
  }
  if (Status s = ctx.server.RewriteConfig(); !s.ok()) {
    ctx.server.log().Warning("CONFIG REWRITE failed: {}", s.message());
    ctx.reply.Error(errors::RewriteFailed(s.message()));
    co_return;
  }
  ctx.server.log().Notice("CONFIG REWRITE executed with success.");
  ctx.reply.Ok();
}

constexpr std::string_view kConfigHelp[] = {
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern> [<pattern> ...]",
    "    Every option whose name matches a glob-style pattern, with its value.",
    "SET <option> <value> [<option> <value> ...]",
    "    Changes options at runtime; all or none of them.",
    "RESETSTAT",
    "    Zeroes the statistics reported by INFO.",
    "REWRITE",
    "    Writes the current options into the config file the server started with.",
    "HELP",
    "    Prints this help.",
};

cluster::Task<> ConfigHelp(CommandContext& ctx) {
  WriteHelp(ctx.reply, kConfigHelp);
  co_return;
}

// --- COMMAND ----------------------------------------------------------------

cluster::Task<> CommandAll(CommandContext& ctx) {
  auto cmds = VisibleCommands(ctx.server.commands());
  ctx.reply.ArrayHeader(static_cast<int64_t>(cmds.size()));
  for (const CommandSpec* spec : cmds) WriteCommandInfo(ctx.reply, *spec);
  co_return;
}

cluster::Task<> CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(VisibleCommands(ctx.server.commands()).size()));
  co_return;
}

cluster::Task<> CommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    co_await CommandAll(ctx);
    co_return;
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.argc() - 2));
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (const CommandSpec* spec = LookupForClients(ctx.server.commands(), ctx.arg(i))) {
      WriteCommandInfo(ctx.reply, *spec);
    } else {
      ctx.reply.Null();
    }
  }
}

cluster::Task<> CommandDocs(CommandContext& ctx) {
  std::vector<const CommandSpec*> specs;
  if (ctx.argc() == 2) {
    specs = VisibleCommands(ctx.server.commands());
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      if (const CommandSpec* spec = LookupForClients(ctx.server.commands(), ctx.arg(i))) {
        specs.push_back(spec);
      }
    }
  }
  ctx.reply.MapHeader(static_cast<int64_t>(specs.size()));
  for (const CommandSpec* spec : specs) {
    ctx.reply.Bulk(spec->name);
    WriteCommandDocs(ctx.reply, *spec);
  }
  co_return;
}

// COMMAND LIST [FILTERBY MODULE <name> | ACLCAT <category> | PATTERN <glob>]:
// names of commands and subcommands.
cluster::Task<> CommandList(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view arg;
  if (ctx.argc() == 5 && EqualsIgnoreCase(ctx.arg(2), "FILTERBY")) {
    arg = ctx.arg(4);
    if (EqualsIgnoreCase(ctx.arg(3), "MODULE")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(ctx.arg(3), "ACLCAT")) {
      filter = Filter::kAclCat;
    } else if (EqualsIgnoreCase(ctx.arg(3), "PATTERN")) {
      filter = Filter::kPattern;
    } else {
      ctx.reply.Error(errors::kSyntax);
      co_return;
    }
  } else if (ctx.argc() != 2) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  auto keep = [&](const CommandSpec& spec) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // no modules
      case Filter::kAclCat:
        for (std::string_view cat : AclCategories(spec)) {
          if (EqualsIgnoreCase(cat.substr(1), arg)) return true;
        }
        return false;
      case Filter::kPattern:
        return GlobMatch(arg, spec.name, true);
    }
    return false;
  };
  std::vector<std::string_view> names;
  for (const CommandSpec* spec : VisibleCommands(ctx.server.commands())) {
    if (keep(*spec)) names.push_back(spec->name);
    for (const CommandSpec& sub : Subcommands(spec->name)) {
      if (keep(sub)) names.push_back(sub.name);
    }
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(names.size()));
  for (std::string_view n : names) ctx.reply.Bulk(n);
}

// The spec that would run `target` (a command line), with its subcommand
// resolved; replies the error and returns nullptr when there is none.
const CommandSpec* SpecForGetKeys(CommandContext& ctx, std::span<const std::string_view> target) {
  const CommandSpec* spec = LookupForClients(ctx.server.commands(), target[0]);
  if (spec != nullptr && target.size() >= 2) {
    std::span<const CommandSpec> subs = Subcommands(spec->name);
    if (!subs.empty()) {
      spec = nullptr;
      for (const CommandSpec& sub : subs) {
        std::string_view short_name = sub.name.substr(sub.name.find('|') + 1);
        if (EqualsIgnoreCase(short_name, target[1])) spec = &sub;
      }
    }
  }
  if (spec == nullptr) {
    ctx.reply.Error(errors::kInvalidCommand);
    return nullptr;
  }
  // Redis checks for keys before the argument count.
  if (spec->first_key <= 0) {
    ctx.reply.Error(errors::kNoKeyArguments);
    return nullptr;
  }
  bool arity_ok = spec->arity > 0 ? target.size() == static_cast<size_t>(spec->arity)
                                  : target.size() >= static_cast<size_t>(-spec->arity);
  if (!arity_ok) {
    ctx.reply.Error(errors::kInvalidCommandArity);
    return nullptr;
  }
  return spec;
}

cluster::Task<> CommandGetKeys(CommandContext& ctx) {
  auto target = ctx.args.subspan(2);
  const CommandSpec* spec = SpecForGetKeys(ctx, target);
  if (spec == nullptr) co_return;
  auto positions = CommandTable::KeyPositions(*spec, target.size());
  ctx.reply.ArrayHeader(static_cast<int64_t>(positions.size()));
  for (size_t p : positions) ctx.reply.Bulk(target[p]);
}

cluster::Task<> CommandGetKeysAndFlags(CommandContext& ctx) {
  auto target = ctx.args.subspan(2);
  const CommandSpec* spec = SpecForGetKeys(ctx, target);
  if (spec == nullptr) co_return;
  auto positions = CommandTable::KeyPositions(*spec, target.size());
  ctx.reply.ArrayHeader(static_cast<int64_t>(positions.size()));
  for (size_t p : positions) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(target[p]);
    if (spec->flags & kCmdWrite) {
      ctx.reply.SetHeader(3);
      ctx.reply.SimpleString("RW");
      ctx.reply.SimpleString("access");
      ctx.reply.SimpleString("update");
    } else {
      ctx.reply.SetHeader(2);
      ctx.reply.SimpleString("RO");
      ctx.reply.SimpleString("access");
    }
  }
}

constexpr std::string_view kCommandHelp[] = {
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Details of every command.",
    "COUNT",
    "    The number of commands.",
    "INFO [<command-name> ...]",
    "    Details of the named commands (all when none is named).",
    "DOCS [<command-name> ...]",
    "    Summary, group and version of the named commands (all when none is named).",
    "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <glob>)]",
    "    Names of commands and subcommands, optionally filtered.",
    "GETKEYS <command> [<arg> ...]",
    "    The key arguments of a command line.",
    "GETKEYSANDFLAGS <command> [<arg> ...]",
    "    The key arguments of a command line, with how each is used.",
    "HELP",
    "    Prints this help.",
};

cluster::Task<> CommandHelp(CommandContext& ctx) {
  WriteHelp(ctx.reply, kCommandHelp);
  co_return;
}

// --- SLOWLOG ----------------------------------------------------------------

cluster::Task<> SlowlogGet(CommandContext& ctx) {
  if (ctx.argc() > 3) {  // Redis's arity is -2, its check 2 or 3
    ctx.reply.Error(errors::UnknownSubcommandOrArity(ctx.arg(1), "slowlog"));
    co_return;
  }
  int64_t count = 10;
  if (ctx.argc() == 3 && (!ParseInt64(ctx.arg(2), &count) || count < -1)) {
    ctx.reply.Error(errors::kSlowlogCount);
    co_return;
  }
  const auto& log = ctx.server.slowlog();
  size_t n = count == -1 ? log.size() : std::min(log.size(), static_cast<size_t>(count));
  ctx.reply.ArrayHeader(static_cast<int64_t>(n));
  for (size_t i = 0; i < n; ++i) {
    const SlowLogEntry& e = log[i];
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.time_sec);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.ArrayHeader(static_cast<int64_t>(e.args.size()));
    for (const std::string& a : e.args) ctx.reply.Bulk(a);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

cluster::Task<> SlowlogLen(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.slowlog().size()));
  co_return;
}

cluster::Task<> SlowlogReset(CommandContext& ctx) {
  ctx.server.ResetSlowlog();
  ctx.reply.Ok();
  co_return;
}

constexpr std::string_view kSlowlogHelp[] = {
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    The newest <count> entries (default 10, -1 for all). Each entry is:",
    "    id, unix time, duration in microseconds, arguments, client address,",
    "    client name.",
    "LEN",
    "    The number of entries.",
    "RESET",
    "    Removes every entry.",
    "HELP",
    "    Prints this help.",
};

cluster::Task<> SlowlogHelp(CommandContext& ctx) {
  WriteHelp(ctx.reply, kSlowlogHelp);
  co_return;
}

// --- DEBUG, MEMORY, LOLWUT ------------------------------------------------

constexpr std::string_view kDebugHelp[] = {
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "SLEEP <seconds>",
    "    Stops the server for <seconds> (decimals allowed).",
    "HELP",
    "    Prints this help.",
};

// Blocks the loop on purpose (like Redis), to test timeouts and the slowlog.
cluster::Task<> Debug(CommandContext& ctx) {
  std::string_view sub = ctx.arg(1);
  if (EqualsIgnoreCase(sub, "HELP") && ctx.argc() == 2) {
    WriteHelp(ctx.reply, kDebugHelp);
  } else if (EqualsIgnoreCase(sub, "SLEEP") && ctx.argc() == 3) {
    double seconds;
    if (!ParseDouble(ctx.arg(2), &seconds) || !std::isfinite(seconds)) {
      ctx.reply.Error(errors::kNotFloat);
      co_return;
    }
    if (seconds > 0) usleep(static_cast<useconds_t>(seconds * 1e6));
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(errors::UnknownSubcommandOrArity(sub, "debug"));
  }
  co_return;
}

// MEMORY USAGE key [SAMPLES n]: what the record costs in the cache, roughly.
cluster::Task<> MemoryUsage(CommandContext& ctx) {
  if (ctx.argc() != 3) {
    int64_t samples;
    if (ctx.argc() != 5 || !EqualsIgnoreCase(ctx.arg(3), "SAMPLES")) {
      ctx.reply.Error(errors::kSyntax);
      co_return;
    }
    if (!ParseInt64(ctx.arg(4), &samples)) {
      ctx.reply.Error(errors::kNotInteger);
      co_return;
    }
    if (samples < 0) {  // as Redis, whether or not the key exists
      ctx.reply.Error(errors::kSyntax);
      co_return;
    }
  }
  storage::RecordRef rec = co_await ReadOrReplyNil(ctx, ctx.arg(2));
  if (!rec) co_return;
  constexpr size_t kOverhead = sizeof(storage::Record) + 64;  // record, cache node, refcount
  const storage::Record& r = *rec;
  ctx.reply.Integer(
      static_cast<int64_t>(ctx.arg(2).size() + r.value.size() + r.version.size() + kOverhead));
}

cluster::Task<> MemoryPurge(CommandContext& ctx) {
  malloc_trim(0);
  ctx.reply.Ok();
  co_return;
}

constexpr std::string_view kMemoryHelp[] = {
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "USAGE <key> [SAMPLES <count>]",
    "    Roughly how many bytes the key and its value take in memory.",
    "PURGE",
    "    Returns free memory to the operating system.",
    "HELP",
    "    Prints this help.",
};

cluster::Task<> MemoryHelp(CommandContext& ctx) {
  WriteHelp(ctx.reply, kMemoryHelp);
  co_return;
}

// A ring of vnodes, for the curious.
cluster::Task<> Lolwut(CommandContext& ctx) {
  // LOLWUT [VERSION v]: one drawing whatever the version, which must still
  // be a number.
  int64_t version;
  if (ctx.argc() >= 3 && EqualsIgnoreCase(ctx.arg(1), "VERSION") &&
      !ParseInt64(ctx.arg(2), &version)) {
    ctx.reply.Error(errors::kNotInteger);
    co_return;
  }
  std::string art =
      "        o   o   o\n"
      "    o               o\n"
      "  o                   o\n"
      " o        ringkv       o\n"
      "  o                   o\n"
      "    o               o\n"
      "        o   o   o\n\n";
  art += fmt::format("ringkv ver. {} (speaks Redis {})\n", kRingkvVersion, kRedisCompatVersion);
  ctx.reply.Verbatim(art);
  co_return;
}

// --- tables -----------------------------------------------------------------

constexpr uint32_t kAdm = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;

const CommandSpec kConfigSubcommands[] = {
    {"config|get", -3, kAdm, 0, 0, 0, ConfigGet, "server",
     "Returns the values of the options matching patterns.", "2.0.0"},
    {"config|set", -4, kAdm, 0, 0, 0, ConfigSet, "server", "Changes options at runtime.", "2.0.0"},
    {"config|resetstat", 2, kAdm, 0, 0, 0, ConfigResetStat, "server",
     "Zeroes the statistics reported by INFO.", "2.0.0"},
    {"config|rewrite", 2, kAdm, 0, 0, 0, ConfigRewrite, "server",
     "Writes the current options to the config file.", "2.8.0"},
    {"config|help", 2, kCmdLoadingStale, 0, 0, 0, ConfigHelp, "server",
     "Lists the CONFIG subcommands.", "5.0.0"},
};

const CommandSpec kCommandSubcommands[] = {
    {"command|count", 2, kCmdLoadingStale, 0, 0, 0, CommandCount, "server",
     "Returns the number of commands.", "2.8.13"},
    {"command|info", -2, kCmdLoadingStale, 0, 0, 0, CommandInfo, "server", "Describes commands.",
     "2.8.13"},
    {"command|docs", -2, kCmdLoadingStale, 0, 0, 0, CommandDocs, "server",
     "Returns the documentation of commands.", "7.0.0"},
    {"command|list", -2, kCmdLoadingStale, 0, 0, 0, CommandList, "server",
     "Returns the names of commands.", "7.0.0"},
    {"command|getkeys", -4, kCmdLoadingStale, 0, 0, 0, CommandGetKeys, "server",
     "Returns the key arguments of a command line.", "2.8.13"},
    {"command|getkeysandflags", -4, kCmdLoadingStale, 0, 0, 0, CommandGetKeysAndFlags, "server",
     "Returns the key arguments of a command line and how each is used.", "7.0.0"},
    {"command|help", 2, kCmdLoadingStale, 0, 0, 0, CommandHelp, "server",
     "Lists the COMMAND subcommands.", "5.0.0"},
};

const CommandSpec kSlowlogSubcommands[] = {
    {"slowlog|get", -2, kCmdAdmin | kCmdLoadingStale, 0, 0, 0, SlowlogGet, "server",
     "Returns the newest slow log entries.", "2.2.12"},
    {"slowlog|len", 2, kCmdAdmin | kCmdLoadingStale, 0, 0, 0, SlowlogLen, "server",
     "Returns the number of slow log entries.", "2.2.12"},
    {"slowlog|reset", 2, kCmdAdmin | kCmdLoadingStale, 0, 0, 0, SlowlogReset, "server",
     "Empties the slow log.", "2.2.12"},
    {"slowlog|help", 2, kCmdLoadingStale, 0, 0, 0, SlowlogHelp, "server",
     "Lists the SLOWLOG subcommands.", "6.2.0"},
};

// --- ROLE, WAIT, OBJECT ---------------------------------------------------------

// Every node is a master in Redis's sense: a cluster keeps its copies by
// quorum among equal nodes, never on read-only replicas.
cluster::Task<> Role(CommandContext& ctx) {
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(0);
  ctx.reply.ArrayHeader(0);
  co_return;
}

// WAIT numreplicas timeout: there are no Redis-style replicas to wait for (a
// cluster's copies are written before the reply, by quorum), so the count is
// 0, answered at once rather than after the timeout. Checks as Redis does.
cluster::Task<> Wait(CommandContext& ctx) {
  int64_t timeout, replicas;
  if (!ParseInt64(ctx.arg(2), &timeout)) {
    ctx.reply.Error(errors::kTimeoutNotInteger);
  } else if (timeout < 0) {
    ctx.reply.Error(errors::kTimeoutNegative);
  } else if (!ParseInt64(ctx.arg(1), &replicas)) {
    ctx.reply.Error(errors::kNotInteger);
  } else {
    ctx.reply.Integer(0);
  }
  co_return;
}

// What Redis would report for a string it stored from this value: "int" for a
// canonical 64-bit integer, "embstr" up to 44 bytes, "raw" beyond. (Redis
// also says "raw" for a short value grown by APPEND or SETRANGE, or written
// by SETBIT or BITOP; we do not keep that history.)
std::string_view EncodingOf(std::string_view value) {
  int64_t n;
  if (ParseInt64(value, &n)) return "int";
  return value.size() <= 44 ? "embstr" : "raw";
}

// OBJECT's lookups count as keyspace hits and misses, as in Redis (MEMORY
// USAGE's do not).
cluster::Task<> ObjectEncoding(CommandContext& ctx) {
  storage::RecordRef rec = co_await ReadOrReplyNil(ctx, ctx.arg(2), /*count_lookup=*/true);
  if (rec) ctx.reply.Bulk(EncodingOf(rec->value));
}

cluster::Task<> ObjectRefcount(CommandContext& ctx) {
  storage::RecordRef rec = co_await ReadOrReplyNil(ctx, ctx.arg(2), /*count_lookup=*/true);
  if (!rec) co_return;
  // Redis shares the integers 0..9999 (refcount INT_MAX); others are single.
  int64_t n;
  bool shared = ParseInt64(rec->value, &n) && n >= 0 && n < 10000;
  ctx.reply.Integer(shared ? 2147483647 : 1);
}

cluster::Task<> ObjectFreq(CommandContext& ctx) {
  // As Redis: a missing key is nil before the policy is looked at.
  storage::RecordRef rec = co_await ReadOrReplyNil(ctx, ctx.arg(2), /*count_lookup=*/true);
  if (!rec) co_return;
  ctx.reply.Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
}

cluster::Task<> ObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Returns the kind of internal representation Redis would use for the value",
      "    (int, embstr or raw).",
      "FREQ <key>",
      "    Access frequencies are not tracked (no LFU policy): an error.",
      "REFCOUNT <key>",
      "    Returns Redis's reference count for the value (shared small integers).",
      "HELP",
      "    Prints this help.",
  };
  WriteHelp(ctx.reply, kLines);
  co_return;
}

const CommandSpec kObjectSubcommands[] = {
    {"object|encoding", 3, kCmdReadonly, 2, 2, 1, ObjectEncoding, "generic",
     "Returns the internal encoding Redis would use for the value.", "2.2.3"},
    {"object|refcount", 3, kCmdReadonly, 2, 2, 1, ObjectRefcount, "generic",
     "Returns Redis's reference count of the value.", "2.2.3"},
    {"object|freq", 3, kCmdReadonly, 2, 2, 1, ObjectFreq, "generic",
     "Returns the logarithmic access frequency counter (not tracked here).", "4.0.0"},
    {"object|help", 2, kCmdLoadingStale, 0, 0, 0, ObjectHelp, "generic",
     "Lists the OBJECT subcommands.", "6.2.0"},
};

cluster::Task<> ObjectContainer(CommandContext& ctx) {
  co_await RunSubcommand(ctx, kObjectSubcommands);
}

const CommandSpec kMemorySubcommands[] = {
    {"memory|usage", -3, kCmdReadonly, 2, 2, 1, MemoryUsage, "server",
     "Estimates the memory a key takes.", "4.0.0"},
    {"memory|purge", 2, 0, 0, 0, 0, MemoryPurge, "server",
     "Returns free memory to the operating system.", "4.0.0"},
    {"memory|help", 2, kCmdLoadingStale, 0, 0, 0, MemoryHelp, "server",
     "Lists the MEMORY subcommands.", "4.0.0"},
};

cluster::Task<> ConfigContainer(CommandContext& ctx) {
  co_await RunSubcommand(ctx, kConfigSubcommands);
}
cluster::Task<> SlowlogContainer(CommandContext& ctx) {
  co_await RunSubcommand(ctx, kSlowlogSubcommands);
}
cluster::Task<> MemoryContainer(CommandContext& ctx) {
  co_await RunSubcommand(ctx, kMemorySubcommands);
}

cluster::Task<> CommandContainer(CommandContext& ctx) {
  if (ctx.argc() == 1) {
    co_await CommandAll(ctx);
    co_return;
  }
  co_await RunSubcommand(ctx, kCommandSubcommands);
}

const CommandSpec kServerCommands[] = {
    {"info", -1, kCmdLoadingStale, 0, 0, 0, InfoCmd, "server",
     "Returns information and statistics about the server.", "1.0.0"},
    {"config", -2, 0, 0, 0, 0, ConfigContainer, "server", "The CONFIG subcommands.", "2.0.0"},
    {"command", -1, kCmdLoadingStale, 0, 0, 0, CommandContainer, "server",
     "Describes the commands of the server.", "2.8.13"},
    {"slowlog", -2, 0, 0, 0, 0, SlowlogContainer, "server", "The SLOWLOG subcommands.", "2.2.12"},
    {"time", 1, kCmdLoadingStale | kCmdFast, 0, 0, 0, Time, "server", "Returns the server's time.",
     "2.6.0"},
    {"lastsave", 1, kCmdLoadingStale | kCmdFast, 0, 0, 0, LastSave, "server",
     "Returns the unix time of the last successful save.", "1.0.0"},
    {"save", 1, kCmdAdmin | kCmdNoScript | kCmdDenyMulti, 0, 0, 0, Save, "server",
     "Makes every acknowledged write durable on disk.", "1.0.0"},
    {"bgsave", -1, kCmdAdmin | kCmdNoScript, 0, 0, 0, BgSave, "server",
     "Makes every acknowledged write durable on disk.", "1.0.0"},
    {"bgrewriteaof", 1, kCmdAdmin | kCmdNoScript, 0, 0, 0, BgRewriteAof, "server",
     "Compacts the stored data on disk in the background.", "1.0.0"},
    {"shutdown", -1, kAdm | kCmdDenyMulti | kCmdAllowBusy, 0, 0, 0, Shutdown, "server",
     "Makes every write durable and stops the server.", "1.0.0"},
    {"debug", -2, kAdm | kCmdProtected, 0, 0, 0, Debug, "server", "Debugging helpers.", "1.0.0"},
    {"memory", -2, 0, 0, 0, 0, MemoryContainer, "server", "The MEMORY subcommands.", "4.0.0"},
    {"lolwut", -1, kCmdReadonly | kCmdFast, 0, 0, 0, Lolwut, "server",
     "Draws something, and says the version.", "5.0.0"},
    {"role", 1, kCmdLoadingStale | kCmdFast | kCmdNoScript, 0, 0, 0, Role, "server",
     "Returns the replication role of the node: always master.", "2.8.12"},
    {"wait", 3, kCmdNoScript, 0, 0, 0, Wait, "generic",
     "Returns how many replicas acknowledged the client's writes: 0, there are none.", "3.0.0"},
    {"object", -2, 0, 0, 0, 0, ObjectContainer, "generic", "The OBJECT subcommands.", "2.2.3"},
};

}  // namespace

std::span<const CommandSpec> ServerCommands() { return kServerCommands; }

std::span<const CommandSpec> ServerSubcommands(std::string_view parent) {
  if (parent == "config") return kConfigSubcommands;
  if (parent == "command") return kCommandSubcommands;
  if (parent == "slowlog") return kSlowlogSubcommands;
  if (parent == "memory") return kMemorySubcommands;
  if (parent == "object") return kObjectSubcommands;
  return {};
}

}  // namespace ringkv::server
