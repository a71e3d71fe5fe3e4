// Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO,
// READONLY/READWRITE and the CLIENT family. They change only the calling
// client's state (or, for CLIENT KILL, close others); none touches the store.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "server/command_docs.h"
#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

// --- authentication --------------------------------------------------------

// Compares in time that depends on the lengths only, never on where the
// first difference is, so a network attacker cannot guess byte by byte.
bool SecretEquals(std::string_view given, std::string_view secret) {
  size_t n = std::max(given.size(), secret.size());
  unsigned diff = given.size() == secret.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    unsigned char b = i < secret.size() ? static_cast<unsigned char>(secret[i]) : 0;
    diff |= static_cast<unsigned>(a ^ b);
  }
  return diff == 0;
}

// The only user is "default"; without requirepass it has no password (any
// password is accepted for it, as Redis's `nopass`).
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view pass) {
  const std::string& required = ctx.server.config().requirepass;
  bool ok = user == "default" && (required.empty() || SecretEquals(pass, required));
  if (ok) {
    ctx.client.authenticated = true;
  } else {
    ++ctx.server.stats().auth_failures;
    ctx.server.log().Notice("Failed authentication attempt from {} (client id {}, user '{}')",
                            ctx.client.addr, ctx.client.id, user);
  }
  return ok;
}

// Client names and library attributes go into CLIENT LIST's space-separated
// line, so they are limited to printable ASCII without spaces.
bool ValidAttr(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '!' && c <= '~'; });
}

// --- PING ... HELLO --------------------------------------------------------

cluster::Task<> Ping(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.reply.Error(errors::WrongArity(ctx.name()));
  } else if (ctx.argc() == 2) {
    ctx.reply.Bulk(ctx.arg(1));
  } else {
    ctx.reply.SimpleString("PONG");
  }
  co_return;
}

cluster::Task<> Echo(CommandContext& ctx) {
  ctx.reply.Bulk(ctx.arg(1));
  co_return;
}

cluster::Task<> Quit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
  co_return;
}

cluster::Task<> Reset(CommandContext& ctx) {
  Client& c = ctx.client;
  c.in_multi = false;
  c.multi_error = false;
  c.multi_queue.clear();
  ctx.server.UnwatchAll(&c);
  c.resp = 2;
  ctx.reply.set_proto(2);
  c.name.clear();
  c.reply_mode = ReplyMode::kOn;
  c.reply_skip_next = false;
  c.no_evict = false;
  ctx.server.RemoveMonitor(&c);
  c.authenticated = ctx.server.config().requirepass.empty();
  ctx.reply.SimpleString("RESET");
  co_return;
}

// MONITOR: from now on the connection receives a line for every command the
// server runs (monitor.h) and may not touch keys; RESET or QUIT ends it.
cluster::Task<> Monitor(CommandContext& ctx) {
  Client& c = ctx.client;
  if (c.in_exec) {
    ctx.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
  } else if (c.monitor) {
    // Already monitoring: Redis answers nothing.
  } else if (ctx.server.AddMonitor(&c)) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error("ERR MONITOR needs a client connection");
  }
  co_return;
}

// One keyspace per node (as in Redis Cluster): only database 0 exists.
cluster::Task<> Select(CommandContext& ctx) {
  if (std::string_view error = DbIndexError(ctx.arg(1)); !error.empty()) {
    ctx.reply.Error(error);
  } else {
    ctx.reply.Ok();
  }
  co_return;
}

// A ring routes any key from any node, so a replica-read hint changes nothing.
cluster::Task<> ReadOnlyOrWrite(CommandContext& ctx) {
  ctx.reply.Ok();
  co_return;
}

cluster::Task<> Auth(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  if (ctx.argc() == 2 && ctx.server.config().requirepass.empty()) {
    ctx.reply.Error(errors::kAuthNotConfigured);
    co_return;
  }
  std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : "default";
  if (Authenticate(ctx, user, ctx.arg(ctx.argc() - 1))) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(errors::kWrongPass);
  }
}

cluster::Task<> Hello(CommandContext& ctx) {
  int64_t proto = 0;
  size_t next = 1;
  if (ctx.argc() >= 2) {
    next = 2;
    if (!ParseInt64(ctx.arg(1), &proto)) {
      ctx.reply.Error(errors::kProtoVersionNotInteger);
      co_return;
    }
    if (proto < 2 || proto > 3) {
      ctx.reply.Error(errors::kNoProto);
      co_return;
    }
  }
  // The options take effect in their order, as in Redis 7.0: "SETNAME n
  // AUTH u bad" leaves the name set and answers WRONGPASS.
  for (size_t i = next; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - 1 - i;
    if (EqualsIgnoreCase(ctx.arg(i), "AUTH") && more >= 2) {
      if (!Authenticate(ctx, ctx.arg(i + 1), ctx.arg(i + 2))) {
        ctx.reply.Error(errors::kWrongPass);
        co_return;
      }
      i += 2;
    } else if (EqualsIgnoreCase(ctx.arg(i), "SETNAME") && more >= 1) {
      if (!ValidAttr(ctx.arg(i + 1))) {
        ctx.reply.Error(errors::kBadClientName);
        co_return;
      }
      ctx.client.name = ctx.arg(i + 1);
      i += 1;
    } else {
      ctx.reply.Error(errors::HelloSyntax(ctx.arg(i)));
      co_return;
    }
  }
  if (!ctx.client.authenticated) {
    ctx.reply.Error(errors::kHelloNoAuth);
    co_return;
  }
  if (proto != 0) {
    ctx.client.resp = static_cast<int>(proto);
    ctx.reply.set_proto(static_cast<int>(proto));
  }
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.client.resp);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk(ctx.server.cluster() ? "cluster" : "standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

// --- CLIENT ----------------------------------------------------------------

size_t ArgsBytes(std::span<const std::string_view> args) {
  size_t n = 0;
  for (auto a : args) n += a.size();
  return n;
}

// One line of CLIENT LIST / CLIENT INFO, in Redis 7's field order (plus 7.2's
// lib-name and lib-ver). `argv_mem` is the size of the command being run
// (only the caller has one).
std::string ClientLine(const Client& c, int64_t now_ms, size_t argv_mem) {
  std::string flags;
  if (c.monitor) flags.push_back('O');
  if (c.in_multi) flags.push_back('x');
  if (c.watch_dirty) flags.push_back('d');
  if (c.close_after_reply) flags.push_back('c');
  if (c.no_evict) flags.push_back('e');
  if (flags.empty()) flags = "N";
  size_t multi_mem = 0;
  for (const QueuedCommand& q : c.multi_queue) {
    for (const std::string& a : q.args) multi_mem += a.size();
  }
  size_t tot_mem = sizeof(Client) + c.query_buffer_bytes + c.output_bytes + argv_mem + multi_mem;
  std::string line = fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db=0 sub=0 psub=0 ssub=0 "
      "multi={} qbuf={} qbuf-free=0 argv-mem={} multi-mem={} rbs=0 rbp=0 obl=0 oll=0 omem={} "
      "tot-mem={} events={} cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}\n",
      c.id, c.addr, c.laddr, c.fd, c.name, (now_ms - c.created_ms) / 1000,
      (now_ms - c.last_interaction_ms) / 1000, flags,
      c.in_multi ? static_cast<int64_t>(c.multi_queue.size()) : -1, c.query_buffer_bytes, argv_mem,
      multi_mem, c.output_bytes, tot_mem, c.output_bytes > 0 ? "rw" : "r", c.last_command, c.resp,
      c.lib_name, c.lib_ver);
  return line;
}

std::string LineFor(CommandContext& ctx, const Client& c) {
  size_t argv_mem = &c == &ctx.client ? ArgsBytes(ctx.args) : 0;
  return ClientLine(c, ctx.server.NowMs(), argv_mem);
}

// Client types of CLIENT LIST / KILL TYPE. Every client of ours is "normal".
enum class TypeMatch { kAll, kNone, kUnknown };
TypeMatch ParseClientType(std::string_view t) {
  if (EqualsIgnoreCase(t, "normal")) return TypeMatch::kAll;
  for (std::string_view other : {"master", "replica", "slave", "pubsub"}) {
    if (EqualsIgnoreCase(t, other)) return TypeMatch::kNone;
  }
  return TypeMatch::kUnknown;
}

cluster::Task<> ClientId(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  co_return;
}

cluster::Task<> ClientGetName(CommandContext& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
  co_return;
}

cluster::Task<> ClientSetName(CommandContext& ctx) {
  if (!ValidAttr(ctx.arg(2))) {
    ctx.reply.Error(errors::kBadClientName);
    co_return;
  }
  ctx.client.name = ctx.arg(2);  // "" clears it
  ctx.reply.Ok();
}

cluster::Task<> ClientList(CommandContext& ctx) {
  std::vector<Client*> clients;
  if (ctx.argc() == 2) {
    clients = ctx.server.Clients();
  } else if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.arg(2), "TYPE")) {
    TypeMatch m = ParseClientType(ctx.arg(3));
    if (m == TypeMatch::kUnknown) {
      ctx.reply.Error(errors::UnknownClientType(ctx.arg(3)));
      co_return;
    }
    if (m == TypeMatch::kAll) clients = ctx.server.Clients();
  } else if (ctx.argc() > 3 && EqualsIgnoreCase(ctx.arg(2), "ID")) {
    std::vector<uint64_t> ids;
    for (size_t i = 3; i < ctx.argc(); ++i) {
      int64_t id;
      if (!ParseInt64(ctx.arg(i), &id)) {
        ctx.reply.Error(errors::kInvalidClientId);
        co_return;
      }
      ids.push_back(static_cast<uint64_t>(id));
    }
    for (uint64_t id : ids) {
      if (Client* c = ctx.server.FindClient(id)) clients.push_back(c);
    }
  } else {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  std::string text;
  for (const Client* c : clients) text += LineFor(ctx, *c);
  ctx.reply.Verbatim(text);
}

cluster::Task<> ClientInfo(CommandContext& ctx) {
  ctx.reply.Verbatim(LineFor(ctx, ctx.client));
  co_return;
}

// CLIENT KILL ip:port (old form: OK or an error), or CLIENT KILL <filter
// value>... (new form: the number killed; the caller is spared unless
// SKIPME no). A killed caller gets its reply before the connection closes.
cluster::Task<> ClientKill(CommandContext& ctx) {
  if (ctx.argc() == 3) {
    for (Client* c : ctx.server.Clients()) {
      if (c->addr == ctx.arg(2)) {
        ctx.server.KillClient(c, &ctx.client);
        ctx.reply.Ok();
        co_return;
      }
    }
    ctx.reply.Error(errors::kNoSuchClient);
    co_return;
  }
  bool has_id = false, none_of_type = false, skipme = true;
  uint64_t id = 0;
  std::string_view addr, laddr;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::string_view opt = ctx.arg(i);
    if (i + 1 >= ctx.argc()) {
      ctx.reply.Error(errors::kSyntax);
      co_return;
    }
    std::string_view val = ctx.arg(i + 1);
    if (EqualsIgnoreCase(opt, "ID")) {
      int64_t v;
      if (!ParseInt64(val, &v) || v <= 0) {
        ctx.reply.Error(errors::kClientIdNotPositive);
        co_return;
      }
      has_id = true;
      id = static_cast<uint64_t>(v);
    } else if (EqualsIgnoreCase(opt, "TYPE")) {
      TypeMatch m = ParseClientType(val);
      if (m == TypeMatch::kUnknown) {
        ctx.reply.Error(errors::UnknownClientType(val));
        co_return;
      }
      none_of_type = none_of_type || m == TypeMatch::kNone;
    } else if (EqualsIgnoreCase(opt, "ADDR")) {
      addr = val;
    } else if (EqualsIgnoreCase(opt, "LADDR")) {
      laddr = val;
    } else if (EqualsIgnoreCase(opt, "USER")) {
      if (val != "default") {
        ctx.reply.Error(errors::NoSuchUser(val));
        co_return;
      }
    } else if (EqualsIgnoreCase(opt, "SKIPME")) {
      if (EqualsIgnoreCase(val, "yes")) {
        skipme = true;
      } else if (EqualsIgnoreCase(val, "no")) {
        skipme = false;
      } else {
        ctx.reply.Error(errors::kSyntax);
        co_return;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      co_return;
    }
  }
  int64_t killed = 0;
  if (!none_of_type) {
    for (Client* c : ctx.server.Clients()) {
      if (has_id && c->id != id) continue;
      if (!addr.empty() && c->addr != addr) continue;
      if (!laddr.empty() && c->laddr != laddr) continue;
      if (skipme && c == &ctx.client) continue;
      ctx.server.KillClient(c, &ctx.client);
      ++killed;
    }
  }
  ctx.reply.Integer(killed);
}

// Returns 1 for on, 0 for off, -1 for anything else (a syntax error).
int OnOff(std::string_view s) {
  if (EqualsIgnoreCase(s, "on")) return 1;
  if (EqualsIgnoreCase(s, "off")) return 0;
  return -1;
}

cluster::Task<> ClientNoEvict(CommandContext& ctx) {
  int v = OnOff(ctx.arg(2));
  if (v < 0) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  ctx.client.no_evict = v == 1;
  ctx.reply.Ok();
}

// Nothing here keeps per-key access times, so there is nothing not to touch.
cluster::Task<> ClientNoTouch(CommandContext& ctx) {
  if (OnOff(ctx.arg(2)) < 0) {
    ctx.reply.Error(errors::kSyntax);
  } else {
    ctx.reply.Ok();
  }
  co_return;
}

// Dispatch applies the mode: OFF silences everything until ON; SKIP only the
// next command. OFF and SKIP themselves are not answered.
cluster::Task<> ClientReply(CommandContext& ctx) {
  std::string_view mode = ctx.arg(2);
  if (EqualsIgnoreCase(mode, "ON")) {
    ctx.client.reply_mode = ReplyMode::kOn;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "OFF")) {
    ctx.client.reply_mode = ReplyMode::kOff;
  } else if (EqualsIgnoreCase(mode, "SKIP")) {
    if (ctx.client.reply_mode != ReplyMode::kOff) ctx.client.reply_skip_next = true;
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
  co_return;
}

cluster::Task<> ClientSetInfo(CommandContext& ctx) {
  std::string_view attr = ctx.arg(2), value = ctx.arg(3);
  std::string* field = nullptr;
  std::string_view canonical;
  if (EqualsIgnoreCase(attr, "LIB-NAME")) {
    field = &ctx.client.lib_name;
    canonical = "lib-name";
  } else if (EqualsIgnoreCase(attr, "LIB-VER")) {
    field = &ctx.client.lib_ver;
    canonical = "lib-ver";
  } else {
    ctx.reply.Error(errors::UnrecognizedOption(attr));
    co_return;
  }
  if (!ValidAttr(value)) {
    ctx.reply.Error(errors::BadClientAttr(canonical));
    co_return;
  }
  *field = value;
  ctx.reply.Ok();
}

// CLIENT PAUSE timeout [WRITE|ALL]: the server holds the commands (see
// Server::PauseHolds); this one answers at once.
cluster::Task<> ClientPause(CommandContext& ctx) {
  int64_t ms;
  if (!ParseInt64(ctx.arg(2), &ms)) {
    ctx.reply.Error(errors::kTimeoutNotInteger);
  } else if (ms < 0) {
    ctx.reply.Error(errors::kTimeoutNegative);
  } else if (ctx.argc() > 4) {
    ctx.reply.Error(errors::kSyntax);
  } else if (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "WRITE") &&
             !EqualsIgnoreCase(ctx.arg(3), "ALL")) {
    ctx.reply.Error(errors::kPauseMode);
  } else {
    bool all = ctx.argc() == 3 || EqualsIgnoreCase(ctx.arg(3), "ALL");
    int64_t now = ctx.server.NowMs();
    ctx.server.Pause(ms > INT64_MAX - now ? INT64_MAX : now + ms, all);
    ctx.reply.Ok();
  }
  co_return;
}

cluster::Task<> ClientUnpause(CommandContext& ctx) {
  ctx.server.Unpause();
  ctx.reply.Ok();
  co_return;
}

cluster::Task<> ClientTracking(CommandContext& ctx) {
  int v = OnOff(ctx.arg(2));
  if (v < 0) {
    ctx.reply.Error(errors::kSyntax);
  } else if (v == 1) {
    ctx.reply.Error(errors::kTrackingUnsupported);
  } else {
    ctx.reply.Ok();  // tracking is always off
  }
  co_return;
}

cluster::Task<> ClientGetRedir(CommandContext& ctx) {
  ctx.reply.Integer(-1);  // tracking is off
  co_return;
}

cluster::Task<> ClientTrackingInfo(CommandContext& ctx) {
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  ctx.reply.SetHeader(1);
  ctx.reply.Bulk("off");
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(-1);
  ctx.reply.Bulk("prefixes");
  ctx.reply.ArrayHeader(0);
  co_return;
}

// No command blocks, so there is never anyone to unblock.
cluster::Task<> ClientUnblock(CommandContext& ctx) {
  int64_t id;
  if (!ParseInt64(ctx.arg(2), &id)) {
    ctx.reply.Error(errors::kNotInteger);
  } else if (ctx.argc() > 4 || (ctx.argc() == 4 && !EqualsIgnoreCase(ctx.arg(3), "TIMEOUT") &&
                                !EqualsIgnoreCase(ctx.arg(3), "ERROR"))) {
    ctx.reply.Error(errors::kUnblockReason);
  } else {
    ctx.reply.Integer(0);
  }
  co_return;
}

constexpr std::string_view kClientHelp[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ID",
    "    The id of this connection.",
    "GETNAME",
    "    The name of this connection, or nil.",
    "SETNAME <name>",
    "    Names this connection (no spaces); an empty name clears it.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Records the client library's name or version, shown by CLIENT LIST.",
    "INFO",
    "    One line describing this connection.",
    "LIST [TYPE <type>] [ID <id> [<id> ...]]",
    "    One line per connection, optionally only those of a type or with those ids.",
    "KILL <ip:port>",
    "    Closes the connection from ip:port.",
    "KILL <filter> <value> [<filter> <value> ...]",
    "    Closes every connection matching all filters: ID <id>, ADDR <ip:port>,",
    "    LADDR <ip:port>, TYPE <type>, USER <name>, SKIPME <yes|no> (default yes).",
    "REPLY <ON|OFF|SKIP>",
    "    Turns replies to this connection on or off, or skips the next one.",
    "NO-EVICT <ON|OFF>",
    "    Marks this connection as exempt from client eviction.",
    "NO-TOUCH <ON|OFF>",
    "    Accepted for compatibility.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Holds the commands of every client (ALL, the default) or only writes (WRITE)",
    "    for <timeout> milliseconds.",
    "UNPAUSE",
    "    Ends a pause: held commands run.",
    "TRACKING <ON|OFF> [options]",
    "    Client-side caching is not supported: only OFF is accepted.",
    "GETREDIR",
    "    Always -1: tracking is off.",
    "TRACKINGINFO",
    "    Tracking state of this connection (always off).",
    "UNBLOCK <id> [TIMEOUT|ERROR]",
    "    Always 0: no command blocks.",
    "HELP",
    "    Prints this help.",
};

cluster::Task<> ClientHelp(CommandContext& ctx) {
  WriteHelp(ctx.reply, kClientHelp);
  co_return;
}

constexpr uint32_t kSub = kCmdNoScript | kCmdLoading | kCmdStale;
constexpr uint32_t kAdminSub = kCmdAdmin | kSub;

const CommandSpec kClientSubcommands[] = {
    {"client|id", 2, kSub, 0, 0, 0, ClientId, "connection", "Returns the id of the connection.",
     "5.0.0"},
    {"client|getname", 2, kSub, 0, 0, 0, ClientGetName, "connection",
     "Returns the name of the connection.", "2.6.9"},
    {"client|setname", 3, kSub, 0, 0, 0, ClientSetName, "connection", "Names the connection.",
     "2.6.9"},
    {"client|setinfo", 4, kSub, 0, 0, 0, ClientSetInfo, "connection",
     "Records the client library's name or version.", "7.2.0"},
    {"client|list", -2, kAdminSub, 0, 0, 0, ClientList, "connection",
     "Describes every client connection, one per line.", "2.4.0"},
    {"client|info", 2, kSub, 0, 0, 0, ClientInfo, "connection", "Describes the calling connection.",
     "6.2.0"},
    {"client|kill", -3, kAdminSub, 0, 0, 0, ClientKill, "connection", "Closes client connections.",
     "2.4.0"},
    {"client|reply", 3, kSub, 0, 0, 0, ClientReply, "connection",
     "Turns the server's replies to this connection on or off.", "3.2.0"},
    {"client|no-evict", 3, kAdminSub, 0, 0, 0, ClientNoEvict, "connection",
     "Exempts the connection from client eviction.", "7.0.0"},
    {"client|no-touch", 3, kSub, 0, 0, 0, ClientNoTouch, "connection",
     "Accepted for compatibility.", "7.2.0"},
    {"client|pause", -3, kAdminSub, 0, 0, 0, ClientPause, "connection",
     "Accepted for compatibility; does not pause.", "3.0.0"},
    {"client|unpause", 2, kAdminSub, 0, 0, 0, ClientUnpause, "connection",
     "Accepted for compatibility.", "6.2.0"},
    {"client|tracking", -3, kSub, 0, 0, 0, ClientTracking, "connection",
     "Client-side caching; not supported.", "6.0.0"},
    {"client|getredir", 2, kSub, 0, 0, 0, ClientGetRedir, "connection",
     "Returns the tracking redirection (always -1).", "6.0.0"},
    {"client|trackinginfo", 2, kSub, 0, 0, 0, ClientTrackingInfo, "connection",
     "Returns the tracking state of the connection.", "6.2.0"},
    {"client|unblock", -3, kAdminSub, 0, 0, 0, ClientUnblock, "connection",
     "Unblocks a blocked client (none ever is).", "5.0.0"},
    {"client|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, ClientHelp, "connection",
     "Lists the CLIENT subcommands.", "5.0.0"},
};

cluster::Task<> ClientContainer(CommandContext& ctx) {
  co_await RunSubcommand(ctx, kClientSubcommands);
}

constexpr uint32_t kConn = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;

const CommandSpec kConnectionCommands[] = {
    {"ping", -1, kCmdFast, 0, 0, 0, Ping, "connection", "Answers PONG, or the given message.",
     "1.0.0"},
    {"echo", 2, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, Echo, "connection",
     "Answers the given message.", "1.0.0"},
    {"quit", -1, kConn | kCmdNoAuth | kCmdNoMulti, 0, 0, 0, Quit, "connection",
     "Closes the connection after answering OK.", "1.0.0"},
    {"reset", 1, kConn | kCmdNoAuth | kCmdNoMulti, 0, 0, 0, Reset, "connection",
     "Returns the connection to its initial state.", "6.2.0"},
    {"auth", -2, kConn | kCmdNoAuth, 0, 0, 0, Auth, "connection", "Authenticates the connection.",
     "1.0.0"},
    {"hello", -1, kConn | kCmdNoAuth, 0, 0, 0, Hello, "connection",
     "Chooses the protocol version, optionally authenticating and naming the connection.", "6.0.0"},
    {"select", 2, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, Select, "connection",
     "Selects the database (only 0 exists).", "1.0.0"},
    {"readonly", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, ReadOnlyOrWrite, "cluster",
     "Accepted for Redis Cluster clients.", "3.0.0"},
    {"readwrite", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, ReadOnlyOrWrite, "cluster",
     "Accepted for Redis Cluster clients.", "3.0.0"},
    {"client", -2, 0, 0, 0, 0, ClientContainer, "connection", "The CLIENT subcommands.", "2.4.0"},
    {"monitor", 1, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, 0, 0, 0, Monitor, "server",
     "Listen for all requests received by the server in real time", "1.0.0"},
};

}  // namespace

std::span<const CommandSpec> ConnectionCommands() { return kConnectionCommands; }

std::span<const CommandSpec> ConnectionSubcommands(std::string_view parent) {
  if (parent == "client") return kClientSubcommands;
  return {};
}

}  // namespace ringkv::server
