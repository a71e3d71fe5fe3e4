// PEER.*: the node-to-node protocol on the client port. A connection becomes
// a peer link with PEER.HELLO <id> <cluster-secret> <host> <port> <weight>;
// every other PEER.* command is refused (as unknown) on client connections.
#include <string>

#include "cluster/coordinator.h"
#include "server/cluster_node.h"
#include "server/dispatch.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/record.h"

namespace ringkv::server {
namespace {

constexpr std::string_view kNoCluster = "ERR This instance has cluster support disabled";

cluster::Coordinator* CoordinatorOf(CommandContext& ctx) {
  ClusterNode* node = ctx.server.cluster();
  if (!node) {
    ctx.reply.Error(kNoCluster);
    return nullptr;
  }
  return &node->coordinator();
}

cluster::Task<> Hello(CommandContext& ctx) {
  ClusterNode* node = ctx.server.cluster();
  if (!node) {
    ctx.reply.Error(kNoCluster);
    co_return;
  }
  int64_t port = 0, weight = 0;
  if (!ParseInt64(ctx.arg(4), &port) || !ParseInt64(ctx.arg(5), &weight) || port < 1 ||
      port > 65535 || weight < 1 || weight > 64) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  std::string id(ctx.arg(1));
  storage::Status s = node->OnHello(id, std::string(ctx.arg(2)), std::string(ctx.arg(3)),
                                    static_cast<int>(port), static_cast<int>(weight));
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    ctx.client.close_after_reply = true;
    co_return;
  }
  ctx.client.is_peer = true;
  ctx.client.authenticated = true;  // the cluster secret stands for AUTH
  ctx.client.peer_id = id;
  ctx.reply.ArrayHeader(4);
  ctx.reply.Bulk(node->self_id());
  ctx.reply.Bulk(node->announce_host());
  ctx.reply.Bulk(std::to_string(node->announce_port()));
  ctx.reply.Bulk(std::to_string(ctx.server.config().cluster_weight));
}

cluster::Task<> Gossip(CommandContext& ctx) {
  ClusterNode* node = ctx.server.cluster();
  if (!node) {
    ctx.reply.Error(kNoCluster);
    co_return;
  }
  ctx.reply.Bulk(node->OnGossip(ctx.arg(1)));
}

cluster::Task<> Read(CommandContext& ctx) {
  cluster::Coordinator* c = CoordinatorOf(ctx);
  if (!c) co_return;
  auto rec = c->LocalRead(ctx.arg(1));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
  } else if (!*rec) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(storage::EncodeRecord(**rec));
  }
}

cluster::Task<> Write(CommandContext& ctx) {
  cluster::Coordinator* c = CoordinatorOf(ctx);
  if (!c) co_return;
  storage::Record rec;
  if (!storage::DecodeRecord(ctx.arg(2), &rec).ok()) {
    ctx.reply.Error("ERR corrupt record");
    co_return;
  }
  auto applied = c->ApplyRemote(ctx.arg(1), rec);
  if (!applied.ok()) {
    ctx.ReplyStatusError(applied.status());
  } else {
    ctx.reply.Ok();
  }
}

cluster::Task<> Count(CommandContext& ctx) {
  cluster::Coordinator* c = CoordinatorOf(ctx);
  if (!c) co_return;
  // PEER.COUNT <slot bitmap>: the slots the asking node wants counted here.
  if (ctx.arg(1).size() != storage::kSlots / 8) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  ctx.reply.Integer(static_cast<int64_t>(c->LocalCount(ctx.arg(1))));
}

cluster::Task<> Scan(CommandContext& ctx) {
  cluster::Coordinator* c = CoordinatorOf(ctx);
  if (!c) co_return;
  int64_t count = 0;
  if (!ParseInt64(ctx.arg(2), &count) || count < 1) {
    ctx.reply.Error(errors::kNotInteger);
    co_return;
  }
  cluster::ScanPage page;
  storage::Status s = c->LocalScan(ctx.arg(1), static_cast<size_t>(count), &page);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(page.keys.size() + 1));
  ctx.reply.Bulk(page.next);
  for (const auto& k : page.keys) ctx.reply.Bulk(k);
}

cluster::Task<> RandomKey(CommandContext& ctx) {
  cluster::Coordinator* c = CoordinatorOf(ctx);
  if (!c) co_return;
  auto k = c->LocalRandomKey();
  if (!k.ok()) {
    ctx.ReplyStatusError(k.status());
  } else if (k->empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(*k);
  }
}

cluster::Task<> FlushAll(CommandContext& ctx) {
  cluster::Coordinator* c = CoordinatorOf(ctx);
  if (!c) co_return;
  storage::Status s = c->LocalFlushAll();
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
  } else {
    ctx.reply.Ok();
  }
}

// PEER.EXEC <proto> <r> <w> <start-by-ms> <command> [args...]: runs a client's
// command here, as the coordinator of its key, and answers the reply bytes (in
// the client's protocol) as one bulk string for the forwarding node to relay.
// The sender waits for the answer only so long (RunForwarded), then decides
// alone: so a command that would make its first change after <start-by-ms>
// (unix ms), on arrival or later (waiting for its key's lock), makes none and
// is answered with kForwardedLate instead, which tells the sender it may run
// the command itself without applying it twice.
cluster::Task<> Exec(CommandContext& ctx) {
  int64_t proto = 0, r = 0, w = 0, start_by = 0;
  if (!ctx.server.cluster()) {
    ctx.reply.Error(kNoCluster);
    co_return;
  }
  if (!ParseInt64(ctx.arg(1), &proto) || !ParseInt64(ctx.arg(2), &r) ||
      !ParseInt64(ctx.arg(3), &w) || !ParseInt64(ctx.arg(4), &start_by) ||
      (proto != 2 && proto != 3)) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  if (ctx.server.NowMs() > start_by) {
    ctx.reply.Error(errors::kForwardedLate);
    co_return;
  }
  std::span<const std::string_view> args = ctx.args.subspan(5);
  const CommandSpec* spec = ctx.server.commands().Find(args[0]);
  std::string out;
  resp::ReplyWriter writer(&out, static_cast<int>(proto));
  if (!spec || (spec->flags & kCmdPeer)) {
    writer.Error(UnknownCommandError(args));
  } else {
    Client origin;
    origin.authenticated = true;
    origin.resp = static_cast<int>(proto);
    origin.read_quorum = static_cast<int>(r);
    origin.write_quorum = static_cast<int>(w);
    origin.addr = ctx.client.addr;
    origin.forwarded = true;
    auto& session = static_cast<cluster::ClusterStore&>(ctx.server.StoreFor(origin));
    session.set_start_by(start_by);
    co_await Execute(ctx.server, origin, *spec, args, writer);
    if (session.refused_late()) {
      ctx.reply.Error(errors::kForwardedLate);
      co_return;
    }
  }
  ctx.reply.Bulk(out);
}

constexpr uint32_t kPeer = kCmdPeer | kCmdFast | kCmdNoScript | kCmdLoading | kCmdStale;

const CommandSpec kPeerCommands[] = {
    // Not kCmdPeer: it is how a connection becomes a peer connection.
    {"peer.hello", 6, kCmdNoAuth | kCmdFast, 0, 0, 0, Hello, "cluster",
     "Turns this connection into a peer link of the cluster.", "ringkv"},
    {"peer.gossip", 2, kPeer, 0, 0, 0, Gossip, "cluster", "Exchanges membership tables.", "ringkv"},
    {"peer.read", 2, kPeer, 1, 1, 1, Read, "cluster", "Reads this replica's record of a key.",
     "ringkv"},
    {"peer.write", 3, kPeer | kCmdWrite, 1, 1, 1, Write, "cluster",
     "Stores a versioned record unless this replica has a newer one.", "ringkv"},
    {"peer.count", 2, kPeer, 0, 0, 0, Count, "cluster",
     "Counts this node's keys in the slots the asking node names.", "ringkv"},
    {"peer.scan", 3, kPeer, 0, 0, 0, Scan, "cluster",
     "One page of the keys of the slots this node coordinates.", "ringkv"},
    {"peer.randomkey", 1, kPeer, 0, 0, 0, RandomKey, "cluster", "A random key of this node.",
     "ringkv"},
    {"peer.flushall", 1, kPeer | kCmdWrite, 0, 0, 0, FlushAll, "cluster",
     "Removes every key of this node.", "ringkv"},
    {"peer.exec", -6, kPeer, 0, 0, 0, Exec, "cluster",
     "Runs a forwarded client command as the coordinator of its key.", "ringkv"},
};

}  // namespace

std::span<const CommandSpec> PeerCommands() { return kPeerCommands; }

}  // namespace ringkv::server
