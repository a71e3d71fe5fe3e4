// MULTI / EXEC / DISCARD / WATCH / UNWATCH. Queueing happens in dispatch; EXEC
// runs the queue here. On one node nothing suspends, so no other client runs
// in between. In a cluster the queue's keys share one slot, but each queued
// command is coordinated on its own and awaits other nodes: other clients'
// commands on those keys can run between them, and between WATCH's version
// check and the first of them. Cluster EXEC is not atomic (a known limit).
#include "server/dispatch.h"
#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

void EndTransaction(Server& server, Client& c) {
  c.in_multi = false;
  c.multi_error = false;
  c.multi_queue.clear();
  server.UnwatchAll(&c);
}

cluster::Task<> Multi(CommandContext& ctx) {
  if (ctx.client.in_multi) {
    ctx.reply.Error(errors::kMultiNested);
    co_return;
  }
  ctx.client.in_multi = true;
  ctx.client.multi_error = false;
  ctx.client.multi_queue.clear();
  ctx.reply.Ok();
}

cluster::Task<> Exec(CommandContext& ctx) {
  Client& c = ctx.client;
  if (!c.in_multi) {
    ctx.reply.Error(errors::kExecWithoutMulti);
    co_return;
  }
  if (c.multi_error) {
    EndTransaction(ctx.server, c);
    ctx.reply.Error(errors::kExecAbort);
    co_return;
  }
  bool changed = c.watch_dirty;
  if (!changed && !ctx.server.cluster()) {
    // A watched key that expired since WATCH is a change, purged or not.
    for (const std::string& key : c.watched) {
      if (!c.watched_expired.contains(key) && ctx.server.KeyExpiredNotPurged(key)) {
        changed = true;
        break;
      }
    }
  }
  if (!changed && ctx.server.cluster()) {
    for (const auto& [key, version] : c.watched_versions) {
      auto rec = co_await ctx.store.Read(key);
      std::string now = rec.ok() && *rec ? std::string((*rec)->version.view()) : std::string();
      if (!rec.ok() || now != version) {
        changed = true;
        break;
      }
    }
  }
  if (changed) {
    EndTransaction(ctx.server, c);
    ctx.reply.NullArray();
    co_return;
  }
  std::vector<QueuedCommand> queue;
  queue.swap(c.multi_queue);
  c.in_multi = false;
  ctx.server.UnwatchAll(&c);
  ctx.reply.ArrayHeader(static_cast<int64_t>(queue.size()));
  std::vector<std::string_view> args;
  c.in_exec = true;
  for (QueuedCommand& q : queue) {
    args.assign(q.args.begin(), q.args.end());
    co_await Execute(ctx.server, c, *q.spec, args, ctx.reply);
  }
  c.in_exec = false;
  c.multi_error = false;
}

cluster::Task<> Discard(CommandContext& ctx) {
  if (!ctx.client.in_multi) {
    ctx.reply.Error(errors::kDiscardWithoutMulti);
    co_return;
  }
  EndTransaction(ctx.server, ctx.client);
  ctx.reply.Ok();
}

cluster::Task<> Watch(CommandContext& ctx) {
  if (ctx.client.in_multi) {
    ctx.reply.Error(errors::kWatchInMulti);
    co_return;
  }
  for (size_t i = 1; i < ctx.argc(); ++i) {
    if (!ctx.server.cluster() && !ctx.client.watched.contains(std::string(ctx.arg(i))) &&
        ctx.server.KeyExpiredNotPurged(ctx.arg(i))) {
      ctx.client.watched_expired.emplace(ctx.arg(i));
    }
    ctx.server.Watch(&ctx.client, ctx.arg(i));
    if (ctx.server.cluster() && !ctx.client.watched_versions.count(std::string(ctx.arg(i)))) {
      auto rec = co_await ctx.store.Read(ctx.arg(i));
      if (!rec.ok()) {
        ctx.ReplyStatusError(rec.status());
        co_return;
      }
      ctx.client.watched_versions[std::string(ctx.arg(i))] =
          *rec ? std::string((*rec)->version.view()) : std::string();
    }
  }
  ctx.reply.Ok();
}

cluster::Task<> Unwatch(CommandContext& ctx) {
  ctx.server.UnwatchAll(&ctx.client);
  ctx.reply.Ok();
  co_return;
}

constexpr uint32_t kTx = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast | kCmdAllowBusy;

const CommandSpec kTransactionCommands[] = {
    {"multi", 1, kTx | kCmdNoMulti, 0, 0, 0, Multi, "transactions", "Starts a transaction.",
     "1.2.0"},
    {"exec", 1, kCmdNoScript | kCmdLoading | kCmdStale | kCmdSkipSlowlog | kCmdNoMulti, 0, 0, 0,
     Exec, "transactions", "Executes all commands in a transaction.", "1.2.0"},
    {"discard", 1, kTx | kCmdNoMulti, 0, 0, 0, Discard, "transactions", "Discards a transaction.",
     "2.0.0"},
    {"watch", -2, kTx | kCmdNoMulti, 1, -1, 1, Watch, "transactions",
     "Monitors changes to keys to determine the execution of a transaction.", "2.2.0"},
    {"unwatch", 1, kTx, 0, 0, 0, Unwatch, "transactions",
     "Forgets about watched keys of a transaction.", "2.2.0"},
};

}  // namespace

std::span<const CommandSpec> TransactionCommands() { return kTransactionCommands; }

}  // namespace ringkv::server
