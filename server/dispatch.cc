#include "server/dispatch.h"

#include <algorithm>
#include <chrono>

#include "server/cluster_node.h"
#include "server/command_docs.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/record.h"

namespace ringkv::server {
namespace {

// enable-debug-command: whether `c` may run DEBUG.
bool ProtectedAllowed(const Config& config, const Client& c) {
  return config.enable_debug_command == DebugCommand::kYes ||
         (config.enable_debug_command == DebugCommand::kLocal && c.loopback);
}

// Redis answers everything but these while a transaction is queued.
bool RunsInsideMulti(const CommandSpec& spec) { return spec.flags & kCmdNoMulti; }

void CountError(Server& server, const resp::ReplyWriter& reply) {
  ++server.stats().total_error_replies;
  auto& errors = server.stats().errors;
  std::string_view code = reply.last_error_code();
  if (auto it = errors.find(code); it != errors.end()) {
    ++it->second;
  } else if (errors.size() < 128) {  // like Redis, a bounded number of error codes
    errors.emplace(std::string(code), 1);
  }
}

// A command refused before it ran (`spec` null for an unknown command).
// Inside MULTI this dooms the transaction; a refused EXEC itself becomes
// EXECABORT (what clients expect from EXEC).
void Refuse(Server& server, Client& c, resp::ReplyWriter& reply, const CommandSpec* spec,
            std::string_view msg) {
  if (spec) ++server.stats().commands[spec].rejected_calls;
  if (spec && spec->name == "exec") {
    c.in_multi = false;
    c.multi_error = false;
    c.multi_queue.clear();
    server.UnwatchAll(&c);  // as a discarded transaction does in Redis
    // Redis words a refused EXEC's own error without its "ERR " code.
    if (msg.starts_with("ERR ")) msg.remove_prefix(4);
    reply.Error(std::string("EXECABORT Transaction discarded because of: ") + std::string(msg));
  } else {
    if (c.in_multi) c.multi_error = true;
    reply.Error(msg);
  }
  CountError(server, reply);
}

// CLIENT REPLY OFF|SKIP: whatever one command answers (its reply, QUEUED,
// or the error refusing it) is discarded. Made before the command writes,
// Finish()ed once it is done (after its last suspension, if it has any).
// Destroyed unfinished, it only puts the real reply buffer back.
class SilencedReplies {
 public:
  SilencedReplies(Client& c, resp::ReplyWriter& reply)
      : c_(c), reply_(reply), mode_before_(c.reply_mode) {
    if (mode_before_ == ReplyMode::kOn) return;
    real_out_ = reply.buffer();
    reply.set_buffer(&discarded_);
  }
  SilencedReplies(const SilencedReplies&) = delete;
  SilencedReplies& operator=(const SilencedReplies&) = delete;
  ~SilencedReplies() {
    if (!finished_ && real_out_) reply_.set_buffer(real_out_);
  }

  void Finish() {
    finished_ = true;
    if (mode_before_ != ReplyMode::kOn) {
      reply_.set_buffer(real_out_);
      // CLIENT REPLY ON is itself answered.
      if (c_.reply_mode == ReplyMode::kOn) real_out_->append(discarded_);
    }
    c_.EndCommandReplyMode();
  }

 private:
  Client& c_;
  resp::ReplyWriter& reply_;
  const ReplyMode mode_before_;
  std::string* real_out_ = nullptr;
  std::string discarded_;
  bool finished_ = false;
};

// The root of one command's execution: frees itself when the handler is done.
cluster::Detached RunRoot(Server* server, CommandSource* conn, const CommandSpec* spec,
                          std::span<const std::string_view> args) {
  Client& c = conn->client();
  SilencedReplies silenced(c, conn->reply());
  co_await Execute(*server, c, *spec, args, conn->reply());
  silenced.Finish();
  conn->CommandFinished();
}

// The one slot all of `args`' keys hash to; -1 if there are no keys, -2 if
// they span several slots.
int SlotOfKeys(const CommandSpec& spec, std::span<const std::string_view> args) {
  int slot = -1;
  for (size_t i : CommandTable::KeyPositions(spec, args.size())) {
    int s = storage::KeySlot(args[i]);
    if (slot == -1) {
      slot = s;
    } else if (slot != s) {
      return -2;
    }
  }
  return slot;
}

// Cluster mode: a transaction's keys must share one slot, as in Redis Cluster.
bool CrossesSlot(Server& server, const Client& c, const CommandSpec& spec,
                 std::span<const std::string_view> args) {
  if (!server.cluster()) return false;
  int slot = SlotOfKeys(spec, args);
  if (slot == -2) return true;
  if (slot == -1) return false;
  for (const QueuedCommand& q : c.multi_queue) {
    std::vector<std::string_view> qa(q.args.begin(), q.args.end());
    int qs = SlotOfKeys(*q.spec, qa);
    if (qs >= 0) return qs != slot;
  }
  return false;
}

// Cluster mode: a write whose keys share one slot is coordinated by the
// slot's first up replica (one coordinator per key keeps read-modify-writes
// serialized). Returns that node's id if it is not us.
std::string_view ForwardTarget(Server& server, const Client& c, const CommandSpec& spec,
                               std::span<const std::string_view> args) {
  ClusterNode* node = server.cluster();
  if (!node || !(spec.flags & kCmdWrite) || c.is_peer || c.in_multi) return {};
  int slot = SlotOfKeys(spec, args);
  if (slot < 0) return {};
  std::string_view primary = node->coordinator().PrimaryOf(static_cast<uint16_t>(slot));
  if (primary.empty() || primary == node->self_id()) return {};
  return primary;
}

// Whether running a write a second time, after a first run that may have
// happened on another node, leaves the same data and gives the same reply:
// the blind overwrites (SET without NX, XX or GET; SETEX, PSETEX, MSET).
bool SafeToRepeat(const CommandSpec& spec, std::span<const std::string_view> args) {
  if (spec.name == "setex" || spec.name == "psetex" || spec.name == "mset") return true;
  if (spec.name != "set") return false;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "nx") || EqualsIgnoreCase(args[i], "xx") ||
        EqualsIgnoreCase(args[i], "get")) {
      return false;
    }
  }
  return true;
}

// Sends the command to its coordinator and relays the reply bytes. A blind
// overwrite (SafeToRepeat) that gets no answer runs here instead (any node
// may coordinate; the vector clocks keep the outcome well defined). Anything
// else runs here only if the coordinator cannot have run it: the request
// never left, or it was refused before running, except for a refusal because
// the key's earlier writes held the command up past its start deadline (run
// here, beside those writes, it could lose one: answered TRYAGAIN, not
// applied). No answer at all: an error saying it may or may not have applied.
cluster::Detached RunForwarded(Server* server, CommandSource* src, const CommandSpec* spec,
                               std::span<const std::string_view> args, std::string target) {
  Client& c = src->client();
  SilencedReplies silenced(c, src->reply());
  std::vector<std::string> fwd;
  fwd.reserve(args.size() + 4);
  fwd.emplace_back("PEER.EXEC");
  fwd.push_back(std::to_string(c.resp));
  fwd.push_back(std::to_string(c.read_quorum));
  fwd.push_back(std::to_string(c.write_quorum));
  // The coordinator makes the command's first change by this time or makes
  // none (PEER.EXEC; node clocks must agree well within this). Once started,
  // each key costs at most a read and a write quorum, a peer request timeout
  // each, and the answer is awaited that long and half a timeout more: no
  // answer means the coordinator failed, not that it was slow.
  const int64_t timeout = server->config().peer_request_timeout_ms;
  const int64_t keys = std::max<int64_t>(
      1, static_cast<int64_t>(CommandTable::KeyPositions(*spec, args.size()).size()));
  constexpr int64_t kMaxWaitMs = 120'000;
  const int64_t wait = std::min(kMaxWaitMs, timeout + 2 * timeout * keys);
  fwd.push_back(std::to_string(server->NowMs() + timeout / 2));
  for (auto a : args) fwd.emplace_back(a);
  cluster::Promise<storage::Result<resp::RespValue>> answered;
  auto answer = answered.GetFuture();
  server->cluster()->peers().SendWithin(
      target, std::move(fwd), wait,
      [answered](storage::Result<resp::RespValue> v) mutable { answered.Set(std::move(v)); });
  storage::Result<resp::RespValue> r = co_await answer;
  if (r.ok() && r->type == resp::RespValue::kBulk) {
    ++server->cluster()->stats().forwarded;
    ++server->stats().total_commands_processed;
    src->reply().buffer()->append(r->str);
    server->FeedMonitors(c, *spec, nullptr, args);
  } else {
    ++server->cluster()->stats().forward_failures;
    // An error reply is PEER.EXEC refusing the command before it ran.
    const bool refused = r.ok() && r->type == resp::RespValue::kError;
    const bool late = refused && r->str == errors::kForwardedLate;
    const bool not_run =
        refused || (!r.ok() && r.status().code() == storage::Status::Code::kNotSent);
    if (SafeToRepeat(*spec, args) || (not_run && !late)) {
      co_await Execute(*server, c, *spec, args, src->reply());
    } else {
      src->reply().Error(
          late ? errors::ForwardedNotStarted(target)
               : errors::ForwardOutcomeUnknown(
                     target, r.ok() ? "an answer that is not PEER.EXEC's" : r.status().message()));
      ++server->stats().total_commands_processed;
      ++server->stats().commands[spec].failed_calls;
      CountError(*server, src->reply());
    }
  }
  silenced.Finish();
  src->CommandFinished();
}

}  // namespace

std::string UnknownCommandError(std::span<const std::string_view> args) {
  // The listed arguments stop once they fill 128 bytes, each cut to what is
  // left (and, as Redis prints them as C strings, at a NUL byte).
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    size_t room = 128 - listed.size();
    listed.push_back('\'');
    listed.append(errors::AsCString(args[i], room));
    listed.append("' ");
  }
  std::string msg = "ERR unknown command '";
  msg.append(errors::AsCString(args[0], 128));
  msg.append("', with args beginning with: ");
  msg.append(listed);
  return msg;
}

cluster::Task<> Execute(Server& server, Client& client, const CommandSpec& spec,
                        std::span<const std::string_view> args, resp::ReplyWriter& reply) {
  auto start = std::chrono::steady_clock::now();
  uint64_t errors_before = reply.errors();
  const uint64_t counted_before = client.errors_counted;
  CommandContext ctx{server, client, server.StoreFor(client), args, reply, spec};
  client.ran_subcommand = nullptr;
  co_await spec.handler(ctx);
  const CommandSpec* sub = client.ran_subcommand;
  const CommandSpec& counted = sub ? *sub : spec;
  client.ran_subcommand = nullptr;  // EXEC: the last queued command's is not EXEC's
  int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  int64_t us = ns / 1000;
  ServerStats& st = server.stats();
  ++st.total_commands_processed;
  ++client.commands_processed;
  ServerStats::CommandStat& cs = st.commands[&counted];
  ++cs.calls;
  cs.nsec += static_cast<uint64_t>(ns);
  if (server.config().latency_tracking) {
    if (!cs.latency) cs.latency = std::make_unique<LatencyHistogram>();
    cs.latency->Record(static_cast<uint64_t>(ns));
  }
  // The errors of the commands an EXEC ran were counted as theirs; its own
  // (EXECABORT, without MULTI) are counted here, as Redis does.
  // (Counted per client: in a cluster, other clients' commands run while
  // this one waits for its replicas.)
  if (reply.errors() - errors_before > client.errors_counted - counted_before) {
    ++cs.failed_calls;
    CountError(server, reply);
    ++client.errors_counted;
  }
  if (!(spec.flags & kCmdSkipSlowlog)) server.RecordSlow(client, spec.name, args, us);
  server.FeedMonitors(client, spec, sub, args);
}

namespace {

// Answers a command that does not run now: unknown, refused (arity, NOAUTH,
// MISCONF, CROSSSLOT) or queued in a transaction. Returns the spec of one
// that is to run, or null once it has been answered.
const CommandSpec* AnswerUnlessRunning(Server& server, Client& c, resp::ReplyWriter& reply,
                                       std::span<const std::string_view> args) {
  const CommandEntry* entry = server.commands().Lookup(args[0]);
  const CommandSpec* spec = entry ? entry->spec : nullptr;
  // Peer commands do not exist for client connections.
  if (!spec || ((spec->flags & kCmdPeer) && !c.is_peer)) {
    c.last_command = "NULL";  // as CLIENT LIST shows it in Redis
    Refuse(server, c, reply, nullptr, UnknownCommandError(args));
    return nullptr;
  }
  c.last_command = spec->name;
  if (!CommandTable::ArityOk(*spec, args.size())) {
    Refuse(server, c, reply, spec, errors::WrongArity(spec->name));
    return nullptr;
  }
  // A container's subcommand is looked up and its arity checked next, as
  // Redis does: before AUTH and MULTI; an unknown one counts in no command's
  // statistics. From here on the checks, their statistics and the client's
  // last command are the subcommand's (`run`); the queue keeps the container,
  // whose handler runs the subcommand.
  const CommandSpec* run = spec;
  if (auto subs = entry->subcommands; !subs.empty() && args.size() >= 2) {
    run = FindSubcommand(subs, args[1]);
    if (run == nullptr) {
      c.last_command = "NULL";
      Refuse(server, c, reply, nullptr, errors::UnknownSubcommand(args[1], spec->name));
      return nullptr;
    }
    c.last_command = run->name;
    if (!CommandTable::ArityOk(*run, args.size())) {
      Refuse(server, c, reply, run, errors::WrongArity(run->name));
      return nullptr;
    }
  }
  if ((run->flags & kCmdProtected) && !ProtectedAllowed(server.config(), c)) {
    Refuse(server, c, reply, run,
           "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
           "you can run it from a local connection, otherwise you need to set this option in the "
           "configuration file, and then restart the server.");
    return nullptr;
  }
  if (!c.authenticated && !(run->flags & kCmdNoAuth)) {
    Refuse(server, c, reply, run, errors::kNoAuth);
    return nullptr;
  }
  // A MONITOR client is a replica to Redis: it may ping, not touch keys.
  if (c.monitor && (run->flags & (kCmdReadonly | kCmdWrite))) {
    Refuse(server, c, reply, run, "ERR Replica can't interact with the keyspace");
    return nullptr;
  }
  if ((run->flags & kCmdWrite) && !server.storage_error().empty()) {
    Refuse(server, c, reply, run,
           "MISCONF Errors writing to the data directory; writes are refused until the "
           "server is restarted: " +
               server.storage_error());
    return nullptr;
  }
  if (c.in_multi && !RunsInsideMulti(*spec)) {
    if (run->flags & kCmdDenyMulti) {
      Refuse(server, c, reply, run, "ERR Command not allowed inside a transaction");
      return nullptr;
    }
    if (CrossesSlot(server, c, *run, args)) {
      Refuse(server, c, reply, run, errors::kCrossSlot);
      return nullptr;
    }
    QueuedCommand q;
    q.spec = spec;
    q.args.reserve(args.size());
    for (auto a : args) q.args.emplace_back(a);
    c.multi_queue.push_back(std::move(q));
    reply.SimpleString("QUEUED");
    return nullptr;
  }
  return spec;
}

}  // namespace

bool Dispatch(Server& server, CommandSource& conn, std::span<const std::string_view> args) {
  Client& c = conn.client();
  const CommandSpec* spec;
  {
    // What is answered here is silenced here; a command that runs is
    // silenced by RunRoot or RunForwarded, for as long as it runs.
    SilencedReplies silenced(c, conn.reply());
    spec = AnswerUnlessRunning(server, c, conn.reply(), args);
    if (!spec) silenced.Finish();
  }
  if (!spec) return true;
  conn.BeginDispatch();
  if (std::string_view target = ForwardTarget(server, c, *spec, args); !target.empty()) {
    RunForwarded(&server, &conn, spec, args, std::string(target));
  } else {
    RunRoot(&server, &conn, spec, args);
  }
  return conn.EndDispatch();
}

}  // namespace ringkv::server
