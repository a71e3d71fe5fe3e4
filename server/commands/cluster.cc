// Cluster commands: the Redis Cluster view of the ring (CLUSTER INFO, NODES,
// SLOTS, SHARDS, MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT), membership
// changes (MEET, FORGET), ringkv's debugging views (RING, LOCALGET,
// LOCALKEYS), CONSISTENCY, and the two PEER.* requests GETKEYSINSLOT and
// COUNTKEYSINSLOT send to a replica of the slot.
//
// How a ring reads as Redis Cluster: every node is a master, and a slot's
// master is its coordinator (the first up node of its preference list); the
// rest of the sloppy preference list are its replicas. A cluster-aware
// client therefore sends each key straight to the node that would coordinate
// it anyway, and any node still answers any key (no MOVED is ever sent).
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/quorum.h"
#include "server/cluster_node.h"
#include "server/command_docs.h"
#include "server/errors.h"
#include "server/server.h"
#include "storage/engine.h"
#include "storage/record.h"

namespace ringkv::server {
namespace {

// Redis 7's texts, byte for byte.
constexpr std::string_view kNoCluster = "ERR This instance has cluster support disabled";
constexpr std::string_view kInvalidSlot = "ERR Invalid slot";
constexpr std::string_view kInvalidSlotOrCount = "ERR Invalid slot or number of keys";
constexpr std::string_view kForgetMyself = "ERR I tried hard but I can't forget myself...";
constexpr std::string_view kSlotNotServed = "CLUSTERDOWN Hash slot not served";
// Redis prints each node's cluster bus port as its port plus this.
constexpr int kBusPortOffset = 10000;

using cluster::Member;

// Every CLUSTER subcommand answers this without cluster mode, as in Redis 7.
ClusterNode* NodeOrError(CommandContext& ctx) {
  ClusterNode* node = ctx.server.cluster();
  if (!node) ctx.reply.Error(kNoCluster);
  return node;
}

// A slot number argument; replies Redis's error (not a number, or outside
// 0..16383) and returns false if it is not one.
bool ParseSlot(CommandContext& ctx, std::string_view arg, uint16_t* slot) {
  int64_t v;
  if (!ParseInt64(arg, &v)) {
    ctx.reply.Error(errors::kNotInteger);
    return false;
  }
  if (v < 0 || v >= storage::kSlots) {
    ctx.reply.Error(kInvalidSlot);
    return false;
  }
  *slot = static_cast<uint16_t>(v);
  return true;
}

// --- the slot map ----------------------------------------------------------

// A run of consecutive slots with the same sloppy preference list. Node ids
// borrow from the ring: valid until the next suspension.
struct SlotRange {
  int start = 0;
  int end = 0;
  std::vector<std::string_view> nodes;  // coordinator first, then the other replicas
};

// The ring's nodes that are up now, asked once per node rather than once per
// slot. Borrows from the ring.
class UpSet {
 public:
  explicit UpSet(ClusterNode& node) {
    for (const cluster::NodeInfo& n : node.ring().nodes()) {
      if (node.IsUp(n.id)) up_.push_back(n.id);
    }
  }
  bool operator()(std::string_view id) const {
    return std::find(up_.begin(), up_.end(), id) != up_.end();
  }

 private:
  std::vector<std::string_view> up_;
};

// The ring as clients should see it now: down nodes skipped, each slot's
// first up node its coordinator. Walks all 16384 slots (a few ms at most).
std::vector<SlotRange> SlotMap(ClusterNode& node) {
  const cluster::Ring& ring = node.ring();
  UpSet is_up(node);
  std::vector<SlotRange> out;
  std::vector<std::string_view> list;
  for (int slot = 0; slot < storage::kSlots; ++slot) {
    list.clear();
    for (const cluster::Placement& p :
         ring.PreferenceList(static_cast<uint16_t>(slot), node.replicas(), is_up)) {
      list.push_back(p.node);
    }
    if (!out.empty() && out.back().nodes == list) {
      out.back().end = slot;
    } else {
      out.push_back({slot, slot, list});
    }
  }
  return out;
}

// Per node id: the slot ranges it coordinates, adjacent ranges merged.
std::unordered_map<std::string_view, std::vector<std::pair<int, int>>> CoordinatedRanges(
    const std::vector<SlotRange>& map) {
  std::unordered_map<std::string_view, std::vector<std::pair<int, int>>> out;
  for (const SlotRange& r : map) {
    if (r.nodes.empty()) continue;
    auto& ranges = out[r.nodes[0]];
    if (!ranges.empty() && ranges.back().second + 1 == r.start) {
      ranges.back().second = r.end;
    } else {
      ranges.emplace_back(r.start, r.end);
    }
  }
  return out;
}

// Members by id (ourselves included), for addresses and states.
std::map<std::string, Member, std::less<>> MembersById(ClusterNode& node) {
  std::map<std::string, Member, std::less<>> out;
  for (Member& m : node.membership().Members()) out.emplace(m.id, std::move(m));
  return out;
}

const Member& MemberOf(const std::map<std::string, Member, std::less<>>& members,
                       std::string_view id) {
  static const Member kUnknown;
  auto it = members.find(id);
  return it == members.end() ? kUnknown : it->second;
}

// True if this node is one of the slot's N intended replicas (so its engine
// holds the slot's keys).
bool HoldsSlot(ClusterNode& node, uint16_t slot) {
  for (std::string_view id : node.ring().PreferenceList(slot, node.replicas())) {
    if (id == node.self_id()) return true;
  }
  return false;
}

// The slot's intended replicas that are up, in preference order (copied: the
// caller suspends while asking them).
std::vector<std::string> UpOwners(ClusterNode& node, uint16_t slot) {
  std::vector<std::string> out;
  for (std::string_view id : node.ring().PreferenceList(slot, node.replicas())) {
    if (node.IsUp(id)) out.emplace_back(id);
  }
  return out;
}

cluster::Task<storage::Result<resp::RespValue>> AskPeer(ClusterNode* node, std::string id,
                                                        std::vector<std::string> args) {
  co_return co_await cluster::Call(node->peers(), id, std::move(args));
}

// Asks the slot's up replicas in turn until one answers with `type`.
cluster::Task<std::optional<resp::RespValue>> AskOwners(ClusterNode* node, uint16_t slot,
                                                        std::vector<std::string> args,
                                                        resp::RespValue::Type type) {
  for (const std::string& id : UpOwners(*node, slot)) {
    storage::Result<resp::RespValue> r = co_await AskPeer(node, id, args);
    if (r.ok() && r->type == type) co_return std::move(r).value();
  }
  co_return std::nullopt;
}

// This engine's live, unexpired keys of `slot`, at most `count`.
storage::Status LocalKeysInSlot(Server& server, uint16_t slot, uint64_t count,
                                std::vector<std::string>* keys) {
  if (count == 0 || server.engine().SlotKeyCount(slot) == 0) return storage::Status::Ok();
  int64_t now = server.NowMs();
  std::string next;
  return server.engine().Scan(
      storage::DataKeyForSlot(slot, ""), std::numeric_limits<size_t>::max(),
      [&](std::string_view key, const storage::Record& rec) {
        if (storage::KeySlot(key) != slot) return false;
        if (!rec.ExpiredAt(now)) keys->emplace_back(key);
        return keys->size() < count;
      },
      &next);
}

// --- CLUSTER subcommands ---------------------------------------------------

// Slot health, from each slot's N intended replicas: ok when all are up,
// pfail when some are not (still served), fail when none is (its keys cannot
// be read until one returns). The state is ok while no slot fails.
cluster::Task<> Info(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  const cluster::Ring& ring = node->ring();
  UpSet is_up(*node);
  int ok = 0, pfail = 0, fail = 0;
  for (int slot = 0; slot < storage::kSlots; ++slot) {
    auto owners = ring.PreferenceList(static_cast<uint16_t>(slot), node->replicas());
    size_t up = std::count_if(owners.begin(), owners.end(), is_up);
    if (up == owners.size()) {
      ++ok;
    } else if (up > 0) {
      ++pfail;
    } else {
      ++fail;
    }
  }
  std::vector<SlotRange> map = SlotMap(*node);
  uint64_t epoch = node->membership().epoch();
  const ClusterStats& st = node->stats();
  std::string text = fmt::format(
      "cluster_state:{}\r\ncluster_slots_assigned:{}\r\ncluster_slots_ok:{}\r\n"
      "cluster_slots_pfail:{}\r\ncluster_slots_fail:{}\r\ncluster_known_nodes:{}\r\n"
      "cluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n"
      "cluster_stats_messages_sent:{}\r\ncluster_stats_messages_received:{}\r\n"
      "total_cluster_links_buffer_limit_exceeded:0\r\n",
      fail == 0 ? "ok" : "fail", storage::kSlots, ok, pfail, fail,
      node->membership().Members().size(), CoordinatedRanges(map).size(), epoch, epoch,
      st.gossip_sent, st.gossip_received);
  ctx.reply.Verbatim(text);
}

cluster::Task<> MyId(CommandContext& ctx) {
  if (ClusterNode* node = NodeOrError(ctx)) ctx.reply.Bulk(node->self_id());
  co_return;
}

cluster::Task<> KeySlot(CommandContext& ctx) {
  if (NodeOrError(ctx)) ctx.reply.Integer(storage::KeySlot(ctx.arg(2)));
  co_return;
}

// This engine's count if it is a replica of the slot; otherwise a replica's.
cluster::Task<> CountKeysInSlot(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  uint16_t slot;
  if (!node || !ParseSlot(ctx, ctx.arg(2), &slot)) co_return;
  if (HoldsSlot(*node, slot)) {
    ctx.reply.Integer(static_cast<int64_t>(ctx.server.engine().SlotKeyCount(slot)));
    co_return;
  }
  // The request is built first: GCC cannot keep a braced list alive across
  // a co_await.
  std::vector<std::string> req{"PEER.COUNTSLOT", std::to_string(slot)};
  auto r = co_await AskOwners(node, slot, std::move(req), resp::RespValue::kInteger);
  if (r) {
    ctx.reply.Integer(r->integer);
  } else {
    ctx.reply.Error(kSlotNotServed);
  }
}

cluster::Task<> GetKeysInSlot(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  int64_t slot, count;
  if (!ParseInt64(ctx.arg(2), &slot) || !ParseInt64(ctx.arg(3), &count)) {
    ctx.reply.Error(errors::kNotInteger);
    co_return;
  }
  if (slot < 0 || slot >= storage::kSlots || count < 0) {
    ctx.reply.Error(kInvalidSlotOrCount);
    co_return;
  }
  auto s = static_cast<uint16_t>(slot);
  std::vector<std::string> keys;
  if (HoldsSlot(*node, s)) {
    if (auto st = LocalKeysInSlot(ctx.server, s, static_cast<uint64_t>(count), &keys); !st.ok()) {
      ctx.ReplyStatusError(st);
      co_return;
    }
  } else {
    std::vector<std::string> req{"PEER.KEYSINSLOT", std::to_string(s), std::to_string(count)};
    auto r = co_await AskOwners(node, s, std::move(req), resp::RespValue::kArray);
    if (!r) {
      ctx.reply.Error(kSlotNotServed);
      co_return;
    }
    for (resp::RespValue& v : r->elems) keys.push_back(std::move(v.str));
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

// [start, end, [host, port, id, {}], ...] per range, coordinator first.
cluster::Task<> Slots(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  std::vector<SlotRange> map = SlotMap(*node);
  auto members = MembersById(*node);
  ctx.reply.ArrayHeader(static_cast<int64_t>(map.size()));
  for (const SlotRange& r : map) {
    ctx.reply.ArrayHeader(static_cast<int64_t>(2 + r.nodes.size()));
    ctx.reply.Integer(r.start);
    ctx.reply.Integer(r.end);
    for (std::string_view id : r.nodes) {
      const Member& m = MemberOf(members, id);
      ctx.reply.ArrayHeader(4);
      ctx.reply.Bulk(m.host);
      ctx.reply.Integer(m.port);
      ctx.reply.Bulk(id);
      ctx.reply.MapHeader(0);
    }
  }
}

// One shard per distinct preference list: its slot ranges, and its nodes
// with the coordinator as master.
cluster::Task<> Shards(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  std::vector<SlotRange> map = SlotMap(*node);
  auto members = MembersById(*node);
  std::vector<std::vector<const SlotRange*>> shards;
  std::map<std::vector<std::string_view>, size_t> index;
  for (const SlotRange& r : map) {
    auto [it, added] = index.emplace(r.nodes, shards.size());
    if (added) shards.emplace_back();
    shards[it->second].push_back(&r);
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(shards.size()));
  for (const auto& ranges : shards) {
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("slots");
    ctx.reply.ArrayHeader(static_cast<int64_t>(2 * ranges.size()));
    for (const SlotRange* r : ranges) {
      ctx.reply.Integer(r->start);
      ctx.reply.Integer(r->end);
    }
    const std::vector<std::string_view>& nodes = ranges.front()->nodes;
    ctx.reply.Bulk("nodes");
    ctx.reply.ArrayHeader(static_cast<int64_t>(nodes.size()));
    for (size_t i = 0; i < nodes.size(); ++i) {
      const Member& m = MemberOf(members, nodes[i]);
      ctx.reply.MapHeader(7);
      ctx.reply.Bulk("id");
      ctx.reply.Bulk(nodes[i]);
      ctx.reply.Bulk("port");
      ctx.reply.Integer(m.port);
      ctx.reply.Bulk("ip");
      ctx.reply.Bulk(m.host);
      ctx.reply.Bulk("endpoint");
      ctx.reply.Bulk(m.host);
      ctx.reply.Bulk("role");
      ctx.reply.Bulk(i == 0 ? "master" : "replica");
      ctx.reply.Bulk("replication-offset");
      ctx.reply.Integer(0);
      ctx.reply.Bulk("health");
      ctx.reply.Bulk("online");
    }
  }
}

// `<id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv>
// <config-epoch> <link-state> <slot>...`, one line per member, every one a
// master with the ranges it coordinates. There is one configuration for the
// whole ring, so every node's config epoch is the membership epoch.
cluster::Task<> Nodes(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  std::vector<SlotRange> map = SlotMap(*node);
  auto ranges = CoordinatedRanges(map);
  uint64_t epoch = node->membership().epoch();
  std::string text;
  for (const Member& m : node->membership().Members()) {
    bool self = m.id == node->self_id();
    std::string_view flags = self                                 ? "myself,master"
                             : m.state == Member::State::kSuspect ? "master,fail?"
                             : m.state == Member::State::kDown    ? "master,fail"
                                                                  : "master";
    bool connected = self || m.state == Member::State::kUp;
    fmt::format_to(std::back_inserter(text), "{} {}:{}@{} {} - 0 {} {} {}", m.id, m.host, m.port,
                   m.port + kBusPortOffset, flags, self ? 0 : m.last_heard_ms, epoch,
                   connected ? "connected" : "disconnected");
    if (auto it = ranges.find(m.id); it != ranges.end()) {
      for (auto [start, end] : it->second) {
        if (start == end) {
          fmt::format_to(std::back_inserter(text), " {}", start);
        } else {
          fmt::format_to(std::back_inserter(text), " {}-{}", start, end);
        }
      }
    }
    text.push_back('\n');
  }
  ctx.reply.Verbatim(text);
}

// CLUSTER MEET ip port [bus-port]: the bus port is accepted and ignored
// (peers talk on the client port).
cluster::Task<> Meet(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  int64_t port, bus_port;
  if (!ParseInt64(ctx.arg(3), &port)) {
    ctx.reply.Error(fmt::format("ERR Invalid TCP base port specified: {}", ctx.arg(3)));
    co_return;
  }
  if (ctx.argc() > 5) {
    ctx.reply.Error(errors::kSyntax);
    co_return;
  }
  if (ctx.argc() == 5 && !ParseInt64(ctx.arg(4), &bus_port)) {
    ctx.reply.Error(fmt::format("ERR Invalid TCP bus port specified: {}", ctx.arg(4)));
    co_return;
  }
  std::string host(ctx.arg(2));
  unsigned char buf[sizeof(in6_addr)];
  bool ip =
      inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
  if (!ip || port <= 0 || port > 65535) {
    ctx.reply.Error(
        fmt::format("ERR Invalid node address specified: {}:{}", ctx.arg(2), ctx.arg(3)));
    co_return;
  }
  node->Meet(host, static_cast<int>(port));
  ctx.reply.Ok();
}

cluster::Task<> Forget(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  std::string id(ctx.arg(2));
  if (id == node->self_id()) {
    ctx.reply.Error(kForgetMyself);
  } else if (!node->Forget(id)) {
    ctx.reply.Error(fmt::format("ERR Unknown node {}", id));
  } else {
    ctx.reply.Ok();
  }
  co_return;
}

// This node's own replica of a key, whatever the quorum would say: the
// value, or nil if absent, deleted (a tombstone) or expired.
cluster::Task<> LocalGet(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  auto rec = node->coordinator().LocalRead(ctx.arg(2));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
  } else if (!*rec || (*rec)->tombstone || (*rec)->ExpiredAt(ctx.server.NowMs())) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk((*rec)->value);
  }
}

cluster::Task<> LocalKeys(CommandContext& ctx) {
  if (NodeOrError(ctx)) ctx.reply.Integer(static_cast<int64_t>(ctx.server.engine().KeyCount()));
  co_return;
}

std::string_view StateName(const Member& m, bool self) {
  if (self) return "myself";
  switch (m.state) {
    case Member::State::kUp:
      return "up";
    case Member::State::kSuspect:
      return "suspect";
    case Member::State::kDown:
      return "down";
    case Member::State::kLeft:
      return "left";
  }
  return "unknown";
}

// Per ring node: where it is, whether it is up, its tokens, the slots it is
// first owner of and a replica of (whether up or not), and the slots it
// coordinates now (down nodes' slots move to the next up replica).
cluster::Task<> RingView(CommandContext& ctx) {
  ClusterNode* node = NodeOrError(ctx);
  if (!node) co_return;
  const cluster::Ring& ring = node->ring();
  std::vector<cluster::NodeSlots> counts = ring.CountSlots(node->replicas());
  std::unordered_map<std::string_view, int> coordinated;
  for (const SlotRange& r : SlotMap(*node)) {
    if (!r.nodes.empty()) coordinated[r.nodes[0]] += r.end - r.start + 1;
  }
  auto members = MembersById(*node);
  ctx.reply.ArrayHeader(static_cast<int64_t>(counts.size()));
  for (const cluster::NodeSlots& n : counts) {
    const Member& m = MemberOf(members, n.id);
    ctx.reply.MapHeader(8);
    ctx.reply.Bulk("id");
    ctx.reply.Bulk(n.id);
    ctx.reply.Bulk("addr");
    ctx.reply.Bulk(fmt::format("{}:{}", m.host, m.port));
    ctx.reply.Bulk("state");
    ctx.reply.Bulk(StateName(m, n.id == node->self_id()));
    ctx.reply.Bulk("weight");
    ctx.reply.Integer(n.weight);
    ctx.reply.Bulk("tokens");
    ctx.reply.Integer(static_cast<int64_t>(n.weight) * ring.vnodes());
    ctx.reply.Bulk("primary_slots");
    ctx.reply.Integer(n.primary);
    ctx.reply.Bulk("replica_slots");
    ctx.reply.Integer(n.replica);
    ctx.reply.Bulk("coordinated_slots");
    ctx.reply.Integer(coordinated[n.id]);
  }
}

constexpr std::string_view kClusterHelp[] = {
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored in a slot (by this node if it is one of its replicas).",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster (the bus port is ignored).",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "    Every node is a master of the slots it coordinates.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, coordinator and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "RING",
    "    Per node: address, state, tokens, primary, replica and coordinated slot counts.",
    "LOCALGET <key>",
    "    This node's own replica of <key>, or nil (deleted, expired or absent).",
    "LOCALKEYS",
    "    Number of live keys stored on this node.",
    "HELP",
    "    Prints this help.",
};

cluster::Task<> Help(CommandContext& ctx) {
  if (NodeOrError(ctx)) WriteHelp(ctx.reply, kClusterHelp);
  co_return;
}

// --- CONSISTENCY -------------------------------------------------------------

// CONSISTENCY ONE|QUORUM|ALL | R <r> W <w>: this connection's R and W, checked
// against N. Alone: the R and W in force. A single node is a cluster of one.
cluster::Task<> Consistency(CommandContext& ctx) {
  ClusterNode* node = ctx.server.cluster();
  int n = node ? node->replicas() : 1;
  if (ctx.argc() == 1) {
    int r = ctx.client.read_quorum ? ctx.client.read_quorum
            : node                 ? node->default_read_quorum()
                                   : 1;
    int w = ctx.client.write_quorum ? ctx.client.write_quorum
            : node                  ? node->default_write_quorum()
                                    : 1;
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("n");
    ctx.reply.Integer(n);
    ctx.reply.Bulk("r");
    ctx.reply.Integer(std::min(r, n));
    ctx.reply.Bulk("w");
    ctx.reply.Integer(std::min(w, n));
    co_return;
  }
  auto level = cluster::ConsistencyLevel::Parse(ctx.args.subspan(1), n);
  storage::Result<cluster::QuorumSizes> sizes =
      level.ok() ? level->Sizes(n) : storage::Result<cluster::QuorumSizes>(level.status());
  if (!sizes.ok()) {
    ctx.reply.Error("ERR " + sizes.status().message());
    co_return;
  }
  ctx.client.read_quorum = sizes->r;
  ctx.client.write_quorum = sizes->w;
  ctx.reply.Ok();
}

// --- PEER.* ------------------------------------------------------------------

// PEER.COUNTSLOT <slot>: this engine's count of the slot's keys.
cluster::Task<> PeerCountSlot(CommandContext& ctx) {
  uint16_t slot;
  if (NodeOrError(ctx) && ParseSlot(ctx, ctx.arg(1), &slot)) {
    ctx.reply.Integer(static_cast<int64_t>(ctx.server.engine().SlotKeyCount(slot)));
  }
  co_return;
}

// PEER.KEYSINSLOT <slot> <count>: up to count of this engine's keys of the slot.
cluster::Task<> PeerKeysInSlot(CommandContext& ctx) {
  if (!NodeOrError(ctx)) co_return;
  int64_t slot, count;
  if (!ParseInt64(ctx.arg(1), &slot) || !ParseInt64(ctx.arg(2), &count) || slot < 0 ||
      slot >= storage::kSlots || count < 0) {
    ctx.reply.Error(kInvalidSlotOrCount);
    co_return;
  }
  std::vector<std::string> keys;
  storage::Status s =
      LocalKeysInSlot(ctx.server, static_cast<uint16_t>(slot), static_cast<uint64_t>(count), &keys);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

// --- the table ---------------------------------------------------------------

constexpr uint32_t kStale = kCmdStale;
constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdStale;

const CommandSpec kClusterSubcommands[] = {
    {"cluster|info", 2, kStale, 0, 0, 0, Info, "cluster",
     "Returns information about the state of a node.", "3.0.0"},
    {"cluster|myid", 2, kStale, 0, 0, 0, MyId, "cluster", "Returns the ID of a node.", "3.0.0"},
    {"cluster|keyslot", 3, kStale, 0, 0, 0, KeySlot, "cluster", "Returns the hash slot for a key.",
     "3.0.0"},
    {"cluster|countkeysinslot", 3, kStale, 0, 0, 0, CountKeysInSlot, "cluster",
     "Returns the number of keys in a hash slot.", "3.0.0"},
    {"cluster|getkeysinslot", 4, kStale, 0, 0, 0, GetKeysInSlot, "cluster",
     "Returns the key names in a hash slot.", "3.0.0"},
    {"cluster|slots", 2, kCmdLoadingStale, 0, 0, 0, Slots, "cluster",
     "Returns the mapping of cluster slots to nodes.", "3.0.0"},
    {"cluster|shards", 2, kCmdLoadingStale, 0, 0, 0, Shards, "cluster",
     "Returns the mapping of cluster slots to shards.", "7.0.0"},
    {"cluster|nodes", 2, kStale, 0, 0, 0, Nodes, "cluster",
     "Returns the cluster configuration for a node.", "3.0.0"},
    {"cluster|meet", -4, kAdmin, 0, 0, 0, Meet, "cluster",
     "Forces a node to handshake with another node.", "3.0.0"},
    {"cluster|forget", 3, kAdmin, 0, 0, 0, Forget, "cluster",
     "Removes a node from the nodes table.", "3.0.0"},
    {"cluster|ring", 2, kStale, 0, 0, 0, RingView, "cluster",
     "Describes every node's share of the ring.", "ringkv"},
    {"cluster|localget", 3, kCmdReadonly | kStale, 0, 0, 0, LocalGet, "cluster",
     "Returns this node's own replica of a key.", "ringkv"},
    {"cluster|localkeys", 2, kStale, 0, 0, 0, LocalKeys, "cluster",
     "Returns the number of keys stored on this node.", "ringkv"},
    {"cluster|help", 2, kCmdLoadingStale, 0, 0, 0, Help, "cluster",
     "Returns helpful text about the different subcommands.", "5.0.0"},
};

cluster::Task<> ClusterContainer(CommandContext& ctx) {
  co_await RunSubcommand(ctx, kClusterSubcommands);
}

constexpr uint32_t kPeer = kCmdPeer | kCmdFast | kCmdNoScript | kCmdLoading | kCmdStale;

const CommandSpec kClusterCommands[] = {
    {"cluster", -2, 0, 0, 0, 0, ClusterContainer, "cluster",
     "A container for Redis Cluster commands.", "3.0.0"},
    {"consistency", -1, kCmdFast | kCmdLoadingStale, 0, 0, 0, Consistency, "cluster",
     "Sets or shows the read and write quorums of the connection.", "ringkv"},
    {"peer.countslot", 2, kPeer, 0, 0, 0, PeerCountSlot, "cluster",
     "Counts this replica's keys of a slot.", "ringkv"},
    {"peer.keysinslot", 3, kPeer & ~kCmdFast, 0, 0, 0, PeerKeysInSlot, "cluster",
     "Lists some of this replica's keys of a slot.", "ringkv"},
};

}  // namespace

std::span<const CommandSpec> ClusterCommands() { return kClusterCommands; }

std::span<const CommandSpec> ClusterSubcommands(std::string_view parent) {
  if (parent == "cluster") return kClusterSubcommands;
  return {};
}

}  // namespace ringkv::server
