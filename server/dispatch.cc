#include "server/dispatch.h"

#include <chrono>

#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

bool ArityOk(const CommandSpec& spec, size_t argc) {
  return spec.arity > 0 ? argc == static_cast<size_t>(spec.arity)
                        : argc >= static_cast<size_t>(-spec.arity);
}

// Redis answers everything but these while a transaction is queued.
bool RunsInsideMulti(const CommandSpec& spec) { return spec.flags & kCmdNoMulti; }

// A command refused before it ran. Inside MULTI this dooms the transaction;
// a refused EXEC itself becomes EXECABORT (what clients expect from EXEC).
void QueueError(Client& c, resp::ReplyWriter& reply, std::string_view msg, bool is_exec = false) {
  if (is_exec) {
    c.in_multi = false;
    c.multi_error = false;
    c.multi_queue.clear();
    reply.Error(std::string("EXECABORT Transaction discarded because of: ") + std::string(msg));
    return;
  }
  if (c.in_multi) c.multi_error = true;
  reply.Error(msg);
}

// The root of one command's execution: frees itself when the handler is done.
cluster::Detached RunRoot(Server* server, CommandSource* conn, const CommandSpec* spec,
                          std::span<const std::string_view> args) {
  Client& c = conn->client();
  resp::ReplyWriter& reply = conn->reply();
  std::string discarded;
  std::string* real_out = reply.buffer();
  bool suppress = c.reply_mode != ReplyMode::kOn;
  if (suppress) reply.set_buffer(&discarded);
  ReplyMode mode_before = c.reply_mode;
  co_await Execute(*server, c, *spec, args, reply);
  if (suppress) {
    reply.set_buffer(real_out);
    // CLIENT REPLY ON is itself answered.
    if (mode_before == ReplyMode::kOff && c.reply_mode == ReplyMode::kOn)
      real_out->append(discarded);
  }
  // SKIP silences exactly the next command (the one after CLIENT REPLY SKIP).
  if (mode_before == ReplyMode::kSkip && c.reply_mode == ReplyMode::kSkip) {
    c.reply_mode = ReplyMode::kOn;
  }
  conn->CommandFinished();
}

}  // namespace

std::string UnknownCommandError(std::span<const std::string_view> args) {
  // The listed arguments stop once they fill 128 bytes, each cut to what is left.
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    size_t room = 128 - listed.size();
    listed.push_back('\'');
    listed.append(args[i].substr(0, room));
    listed.append("' ");
  }
  std::string msg = "ERR unknown command '";
  msg.append(args[0].substr(0, 128));
  msg.append("', with args beginning with: ");
  msg.append(listed);
  return msg;
}

cluster::Task<> Execute(Server& server, Client& client, const CommandSpec& spec,
                        std::span<const std::string_view> args, resp::ReplyWriter& reply) {
  auto start = std::chrono::steady_clock::now();
  CommandContext ctx{server, client, server.store(), args, reply, spec};
  co_await spec.handler(ctx);
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
  ++server.stats().total_commands_processed;
  ++client.commands_processed;
  server.RecordSlow(client, args, us);
}

bool Dispatch(Server& server, CommandSource& conn, std::span<const std::string_view> args) {
  Client& c = conn.client();
  resp::ReplyWriter& reply = conn.reply();
  const CommandSpec* spec = server.commands().Find(args[0]);
  // Peer commands do not exist for client connections.
  if (!spec || (spec->flags & kCmdPeer)) {
    ++server.stats().total_error_replies;
    QueueError(c, reply, UnknownCommandError(args));
    return true;
  }
  c.last_command = spec->name;
  if (!ArityOk(*spec, args.size())) {
    ++server.stats().total_error_replies;
    QueueError(c, reply, errors::WrongArity(spec->name), spec->name == "exec");
    return true;
  }
  if (!c.authenticated && !(spec->flags & kCmdNoAuth)) {
    ++server.stats().total_error_replies;
    QueueError(c, reply, errors::kNoAuth, spec->name == "exec");
    return true;
  }
  if (c.in_multi && !RunsInsideMulti(*spec)) {
    QueuedCommand q;
    q.spec = spec;
    q.args.reserve(args.size());
    for (auto a : args) q.args.emplace_back(a);
    c.multi_queue.push_back(std::move(q));
    reply.SimpleString("QUEUED");
    return true;
  }
  conn.BeginDispatch();
  RunRoot(&server, &conn, spec, args);
  return conn.EndDispatch();
}

}  // namespace ringkv::server
