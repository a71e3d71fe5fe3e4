// The per-connection state that commands see. Knows nothing of libuv (the
// Connection that owns it does). Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cluster/keystore.h"

namespace ringkv::server {

struct CommandSpec;

enum class ReplyMode { kOn, kOff, kSkip };

struct QueuedCommand {
  const CommandSpec* spec;
  std::vector<std::string> args;  // owned: the input buffer moves on
};

struct Client {
  uint64_t id = 0;
  std::string addr;   // "ip:port" of the peer
  std::string laddr;  // "ip:port" of our side
  int fd = -1;
  bool loopback = true;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  int resp = 2;
  bool authenticated = false;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // A command spec's name or "NULL": static strings, so no copy per command.
  std::string_view last_command = "NULL";
  // Set by a container command (CLIENT, CONFIG...) to the subcommand it ran,
  // so INFO commandstats/latencystats count "client|id" as Redis 7 does.
  const CommandSpec* ran_subcommand = nullptr;
  ReplyMode reply_mode = ReplyMode::kOn;  // for the command running now
  bool reply_skip_next = false;           // CLIENT REPLY SKIP: silence the next command
  bool no_evict = false;
  bool close_after_reply = false;
  bool killed = false;     // CLIENT KILL: close at the end of the current command
  bool monitor = false;    // MONITOR: receives a line for every command run
  bool forwarded = false;  // runs a command another node forwarded (PEER.EXEC)

  // MULTI/EXEC
  bool in_multi = false;
  bool multi_error = false;  // a command failed to queue: EXEC aborts
  bool in_exec = false;      // EXEC is running the queued commands
  std::vector<QueuedCommand> multi_queue;
  // WATCH
  std::unordered_set<std::string> watched;
  bool watch_dirty = false;
  // Watched keys that were already expired (not yet purged) at WATCH, as
  // Redis notes them: purging such a key is no change, and EXEC fails if
  // any other watched key expired since.
  std::unordered_set<std::string> watched_expired;
  // Cluster mode: the version each watched key had at WATCH ("" = absent),
  // compared again at EXEC: writes coordinated elsewhere never pass through
  // this node's change notifications.
  std::unordered_map<std::string, std::string> watched_versions;

  // Cluster mode. A peer connection (after PEER.HELLO) may run PEER.*.
  bool is_peer = false;
  std::string peer_id;
  // CONSISTENCY: this connection's R and W (0 = the server's defaults).
  int read_quorum = 0;
  int write_quorum = 0;
  // The KeyStore this connection's commands use in cluster mode (created on
  // first use with the connection's R and W).
  std::unique_ptr<cluster::KeyStore> session_store;

  // Buffers, for CLIENT LIST and INFO clients (kept up to date by Connection).
  size_t query_buffer_bytes = 0;
  size_t output_bytes = 0;
  uint64_t commands_processed = 0;
  uint64_t errors_counted =
      0;  // by Execute, for this client's commands (an EXEC's own: dispatch.cc)

  // After every command, answered or not, and after an empty one (a blank
  // inline line, *0): a SKIP has silenced its command, and a SKIP asked for
  // by this command starts (Redis does this in resetClient()).
  void EndCommandReplyMode() {
    if (reply_mode == ReplyMode::kSkip) reply_mode = ReplyMode::kOn;
    if (reply_skip_next) {
      reply_skip_next = false;
      if (reply_mode == ReplyMode::kOn) reply_mode = ReplyMode::kSkip;
    }
  }
};

}  // namespace ringkv::server
