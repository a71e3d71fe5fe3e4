// The command table is data: one array per family (strings, keyspace,
// connection, server, transactions, peer, cluster), listed together in command_table.cc.
// Dispatch (arity, auth, MULTI queueing), COMMAND / COMMAND DOCS and key
// routing all read it; nothing repeats it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/keystore.h"
#include "cluster/task.h"
#include "resp/reply.h"
#include "server/client.h"

namespace ringkv::server {

class Server;

enum CommandFlag : uint32_t {
  kCmdWrite = 1 << 0,     // may modify the keyspace
  kCmdReadonly = 1 << 1,  // reads the keyspace only
  kCmdAdmin = 1 << 2,
  kCmdFast = 1 << 3,
  kCmdNoAuth = 1 << 4,      // allowed before AUTH (AUTH, HELLO, QUIT...)
  kCmdNoMulti = 1 << 5,     // runs at once inside MULTI (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET)
  kCmdDenyOom = 1 << 6,     // reported in COMMAND INFO only
  kCmdLoading = 1 << 7,     // reported in COMMAND INFO only
  kCmdStale = 1 << 8,       // reported in COMMAND INFO only
  kCmdNoScript = 1 << 9,    // reported in COMMAND INFO only
  kCmdPeer = 1 << 10,       // PEER.*: refused on client connections
  kCmdAllowBusy = 1 << 11,  // reported in COMMAND INFO only
  kCmdSkipSlowlog = 1 << 12,  // never in SLOWLOG (EXEC: its commands are, one by one)
  kCmdDenyMulti = 1 << 13,    // refused inside MULTI (Redis's no_multi: SAVE, SHUTDOWN)
  kCmdProtected = 1 << 14,    // DEBUG: refused unless enable-debug-command allows the client
};

// Commands allowed while loading and on a stale replica (most of them).
inline constexpr uint32_t kCmdLoadingStale = kCmdLoading | kCmdStale;

struct CommandSpec;

// What a handler gets. Lives until the handler's task completes.
struct CommandContext {
  Server& server;
  Client& client;
  cluster::KeyStore& store;
  std::span<const std::string_view> args;  // args[0] is the name as the client sent it
  resp::ReplyWriter& reply;
  const CommandSpec& spec;

  size_t argc() const { return args.size(); }
  std::string_view arg(size_t i) const { return args[i]; }
  // The command's lowercase name, as in error texts ("get").
  std::string_view name() const;
  void ReplyError(std::string_view msg) { reply.Error(msg); }
  void ReplyStatusError(const cluster::Status& s);  // storage failure -> "-ERR storage error: ..."
};

// The record under `key` for a command that answers nil when there is none
// (DUMP, OBJECT, MEMORY USAGE): null once it has replied (nil, or the storage
// error). `count_lookup`: the read counts as a keyspace hit or miss.
cluster::Task<storage::RecordRef> ReadOrReplyNil(CommandContext& ctx, std::string_view key,
                                                 bool count_lookup = false);

// A handler validates all of its arguments before it touches the store, and
// writes exactly one reply (or none when the client's reply mode says so;
// dispatch handles that).
using Handler = cluster::Task<> (*)(CommandContext& ctx);

struct CommandSpec {
  std::string_view name;  // lowercase
  int arity;              // > 0 exactly that many args (incl. name); < 0 at least -arity
  uint32_t flags;
  int first_key;  // 0 = no keys
  int last_key;   // -1 = last argument
  int step;
  Handler handler;
  std::string_view
      group;  // COMMAND DOCS group: "string", "generic", "connection", "server", "transactions"
  std::string_view summary;  // COMMAND DOCS summary
  std::string_view since;    // Redis version that introduced it
};

// Families: each returns its array (static storage).
std::span<const CommandSpec> StringCommands();
std::span<const CommandSpec> BitmapCommands();
std::span<const CommandSpec> LcsCommands();
std::span<const CommandSpec> DumpCommands();
std::span<const CommandSpec> AclCommands();
std::span<const CommandSpec> KeyspaceCommands();
std::span<const CommandSpec> ConnectionCommands();
std::span<const CommandSpec> ServerCommands();
std::span<const CommandSpec> TransactionCommands();
std::span<const CommandSpec> PeerCommands();
std::span<const CommandSpec> ClusterCommands();
std::span<const CommandSpec> LatencyCommands();

// A command as a client names it: its spec, and the subcommands it contains
// (empty unless it is a container such as CONFIG or CLIENT).
struct CommandEntry {
  const CommandSpec* spec = nullptr;
  std::span<const CommandSpec> subcommands;
};

class CommandTable {
 public:
  CommandTable();  // loads every family
  // Case-insensitive lookup; nullptr if unknown (or renamed away).
  const CommandSpec* Find(std::string_view name) const {
    const CommandEntry* e = Lookup(name);
    return e ? e->spec : nullptr;
  }
  // The same, with the subcommands: one hash probe per command dispatched.
  const CommandEntry* Lookup(std::string_view name) const;
  // rename-command: `from` is looked up by its real name; `to` == "" disables it.
  void Rename(std::string_view from, std::string_view to);
  const std::vector<const CommandSpec*>& All() const { return all_; }
  // Positions of the key arguments of `args` according to `spec`.
  static std::vector<size_t> KeyPositions(const CommandSpec& spec, size_t argc);
  // True if `argc` arguments (the name included) fit the spec's arity.
  static bool ArityOk(const CommandSpec& spec, size_t argc) {
    return spec.arity > 0 ? argc == static_cast<size_t>(spec.arity)
                          : argc >= static_cast<size_t>(-spec.arity);
  }

 private:
  struct Slot {
    std::string name;  // lowercase; the slot is free while entry.spec is null
    CommandEntry entry;
  };
  void Index();  // rebuilds slots_ from by_name_

  std::vector<const CommandSpec*> all_;
  std::vector<std::pair<std::string, const CommandSpec*>> by_name_;  // sorted, lowercase
  std::vector<Slot> slots_;  // open addressing over by_name_, a power of two, under half full
};

// Helpers shared by handlers.
bool ParseInt64(std::string_view s, int64_t* out);  // strict, like Redis's string2ll
bool ParseDouble(std::string_view s, double* out);  // strict, like Redis's string2ld (no NaN)
bool ParseLongDouble(std::string_view s, long double* out);  // as above, long double (INCRBYFLOAT)
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);
// A database index argument (SELECT, COPY ... DB, MOVE) read as Redis reads
// one: the error to answer, or "" for 0, the only database there is.
std::string_view DbIndexError(std::string_view arg);
// As INCRBYFLOAT prints: %.17Lf with trailing zeros trimmed. Redis computes
// INCRBYFLOAT in long double ("10.5" + "0.1" prints "10.6"), so should callers.
std::string FormatDouble(long double v);

}  // namespace ringkv::server
