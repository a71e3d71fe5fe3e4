// libFuzzer target for the command layer: the real dispatcher and command
// table against real storage, in process (tests/support/in_process.h).
//
// The input is what a client sends: inline lines (`SET k v`, quotes allowed)
// or RESP multibulk frames, read by resp::Parser as a connection reads them;
// a protocol error ends the input as it would end the connection, and so does
// QUIT. At most kMaxCommands commands run per input, arguments are capped by
// the parse limits, and proto-max-bulk-len is 1 MiB so that SETRANGE/APPEND
// cannot grow a value past that.
//
// One server serves every input (opening LevelDB per input would be most of
// the run time), with a 64 KiB record cache so that eviction and reads back
// from LevelDB happen within a few commands. Before each input the connection
// state, the runtime config, the slow log and the stats go back to the start
// and the keyspace is emptied. Commands that would end or alter the process
// are skipped: SHUTDOWN, DEBUG, HELLO 3 (hiredis 0.14 reads RESP2 only), and
// CONFIG SET of options that move files or lift the memory caps.
//
// Checked: every reply is exactly one RESP2 value that hiredis decodes (or,
// where only hiredis 0.14's limit of 7 nested aggregates stops it, that our
// reply reader decodes), except that a command run with CLIENT REPLY OFF/SKIP
// in effect may answer nothing.
#include <hiredis/hiredis.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"
#include "resp/reply_reader.h"
#include "server/client.h"
#include "server/config.h"
#include "tests/support/in_process.h"

namespace {

using ringkv::resp::ParseLimits;
using ringkv::resp::Parser;
using ringkv::resp::ParseStatus;
using ringkv::server::Client;
using ringkv::server::Config;
using ringkv::server::ReplyMode;
using ringkv::testing::InProcessServer;

constexpr size_t kMaxCommands = 64;
constexpr uint64_t kProtoMaxBulkLen = 1 << 20;  // the smallest proto-max-bulk-len allowed
constexpr uint64_t kCacheSize = 64 << 10;

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  fprintf(stderr, "commands_fuzz: invariant violated: %s [%.*s]\n", what,
          static_cast<int>(detail.size()), detail.data());
  abort();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

Config StartConfig() {
  Config cfg;
  cfg.proto_max_bulk_len = kProtoMaxBulkLen;
  cfg.cache_size = kCacheSize;
  cfg.loglevel = ringkv::server::LogLevel::kWarning;
  return cfg;
}

InProcessServer& Instance() {
  static InProcessServer server(StartConfig());
  return server;
}

// CONFIG SET of these would move the server's files, lift the 1 MiB value cap,
// or fsync every command; the rest of the table is fair game.
bool DeniedOption(std::string_view name) {
  const std::string n = Lower(name);
  return n == "dir" || n == "logfile" || n == "pidfile" || n == "daemonize" ||
         n == "proto-max-bulk-len" || n == "client-query-buffer-limit" || n == "appendfsync";
}

bool Skipped(const std::vector<std::string>& args) {
  const std::string name = Lower(args[0]);
  if (name == "shutdown" || name == "debug") return true;
  if (name == "hello") return args.size() >= 2 && args[1].find('3') != std::string::npos;
  if (name == "config" && args.size() >= 2 && Lower(args[1]) == "set") {
    for (size_t i = 2; i < args.size(); i += 2) {
      if (DeniedOption(args[i])) return true;
    }
  }
  return false;
}

// Counts the complete RESP values in `bytes` (hiredis's reader), and whether
// any bytes are left over.
int CountReplies(const std::string& bytes, bool* leftover) {
  redisReader* r = redisReaderCreate();
  redisReaderFeed(r, bytes.data(), bytes.size());
  int n = 0;
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(r, &reply) != REDIS_OK) {
      n = -1;
      break;
    }
    if (reply == nullptr) break;
    freeReplyObject(reply);
    ++n;
  }
  *leftover = n >= 0 && r->pos < r->len;
  redisReaderFree(r);
  return n;
}

// FLUSHALL reopens LevelDB with a synced write (milliseconds); deleting the
// few keys an input leaves is much cheaper, so that comes first.
void EmptyKeyspace(InProcessServer& s) {
  if (s.RunRaw({"dbsize"}) == ":0\r\n") return;
  const auto keys = s.Run({"keys", "*"});
  if (keys.type == REDIS_REPLY_ARRAY && !keys.elements.empty() && keys.elements.size() <= 1024) {
    std::vector<std::string> del = {"del"};
    for (const auto& k : keys.elements) del.push_back(k.str);
    (void)s.RunRaw(std::move(del));
    if (s.RunRaw({"dbsize"}) == ":0\r\n") return;
  }
  const std::string flushed = s.RunRaw({"flushall"});
  Check(flushed == "+OK\r\n", "FLUSHALL between inputs failed", flushed);
}

// Puts everything an earlier input may have changed back as it was at start.
void ResetServer(InProcessServer& s) {
  static const Config start = [&s] { return s.server().config(); }();
  for (const auto& opt : ringkv::server::Options()) {
    if (!opt.runtime_mutable) continue;
    const std::string want = opt.get(start);
    if (opt.get(s.server().config()) == want) continue;
    const auto status = s.server().SetConfig(opt.name, want);
    Check(status.ok(), "restoring an option failed", opt.name);
  }
  Client& c = s.client();
  s.server().UnwatchAll(&c);
  const uint64_t id = c.id;
  c = Client{};
  c.id = id;
  c.authenticated = true;
  s.reply().set_proto(2);
  s.server().ResetSlowlog();
  s.server().ResetStats();
  EmptyKeyspace(s);
}

// True if hiredis refuses `bytes` only because aggregates nest deeper than
// it supports: Debian's hiredis 0.14 stops at 7 levels, while a valid reply
// nests deeper (COMMAND DOCS of CLIENT, whose subcommands' argument trees
// have oneofs in blocks, as redis-server 7's do).
bool TooDeepForHiredis(const std::string& bytes) {
  redisReader* r = redisReaderCreate();
  redisReaderFeed(r, bytes.data(), bytes.size());
  void* reply = nullptr;
  bool deep = redisReaderGetReply(r, &reply) != REDIS_OK && std::strstr(r->errstr, "depth");
  if (reply) freeReplyObject(reply);
  redisReaderFree(r);
  return deep;
}

void RunOne(InProcessServer& s, std::vector<std::string> args) {
  const ReplyMode before = s.client().reply_mode;
  const std::string name = args[0];
  const std::string raw = s.RunRaw(std::move(args));
  const ReplyMode after = s.client().reply_mode;
  if (raw.empty() && (before != ReplyMode::kOn || after != ReplyMode::kOn)) return;
  if (TooDeepForHiredis(raw)) {
    // The same check with our own reply reader (32 levels): exactly one
    // well-formed value, nothing left over.
    ringkv::resp::ReplyReader reader;
    ringkv::resp::RespValue value;
    size_t consumed = 0;
    Check(reader.Parse(raw, &value, &consumed) == ParseStatus::kOk && consumed == raw.size(),
          "a deeply nested reply that is not exactly one RESP value", name + ": " + raw);
    return;
  }
  Check(InProcessServer::Decode(raw).type != -1, "a reply hiredis cannot decode",
        name + ": " + raw);
  bool leftover = false;
  Check(CountReplies(raw, &leftover) == 1 && !leftover, "not exactly one reply to a command",
        name + ": " + raw);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InProcessServer& s = Instance();
  Check(s.ok(), "the in-process server did not start");
  ResetServer(s);

  ParseLimits limits;
  limits.max_bulk_len = 4096;
  limits.max_multibulk_len = 64;
  limits.max_inline_len = 4096;
  Parser parser(limits);
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> views;
  size_t ran = 0;
  while (ran < kMaxCommands && !s.client().close_after_reply) {
    const auto r = parser.Parse(rest, &views);
    if (r.status != ParseStatus::kOk) break;  // incomplete, or a protocol error
    std::vector<std::string> args(views.begin(), views.end());
    rest.remove_prefix(r.consumed);
    if (args.empty() || Skipped(args)) continue;
    RunOne(s, std::move(args));
    ++ran;
  }
  return 0;
}
