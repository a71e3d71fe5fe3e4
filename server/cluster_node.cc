#include "server/cluster_node.h"

#include <algorithm>

#include "server/log.h"
#include "storage/engine.h"

namespace ringkv::server {
namespace {

constexpr std::string_view kNodeIdMeta = "node-id";
constexpr size_t kGossipFanout = 2;
constexpr int64_t kSeedRetryMs = 1000;

bool SplitHostPort(const std::string& s, std::string* host, int* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = s.substr(0, colon);
  *port = std::atoi(s.c_str() + colon + 1);
  return *port > 0 && *port < 65536;
}

// Compares without an early exit, so timing does not leak the secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

}  // namespace

ClusterNode::ClusterNode(uv_loop_t* loop, const Config& config, storage::Engine* engine,
                         const cluster::Clock* clock, Logger* log)
    : loop_(loop), config_(config), engine_(engine), clock_(clock), log_(log) {}

ClusterNode::~ClusterNode() { Shutdown(); }

storage::Status ClusterNode::Start(int port) {
  auto id = engine_->GetMeta(kNodeIdMeta);
  if (!id.ok()) return id.status();
  self_id_ = *id;
  if (self_id_.empty()) {
    self_id_ = cluster::Membership::NewNodeId(rng_);
    if (auto s = engine_->PutMeta(kNodeIdMeta, self_id_); !s.ok()) return s;
    log_->Notice("No cluster configuration found, I'm {}", self_id_);
  } else {
    log_->Notice("Node configuration loaded, I'm {}", self_id_);
  }
  host_ = config_.cluster_announce_ip;
  if (host_.empty()) {
    for (const std::string& b : config_.bind) {
      std::string h = !b.empty() && b[0] == '-' ? b.substr(1) : b;
      if (h == "*" || h == "0.0.0.0" || h == "::") continue;
      host_ = h;
      break;
    }
    if (host_.empty()) host_ = "127.0.0.1";
  }
  port_ = port;
  weight_ = static_cast<int>(config_.cluster_weight);
  replicas_ = static_cast<int>(config_.replicas);

  cluster::Member self;
  self.id = self_id_;
  self.host = host_;
  self.port = port_;
  self.weight = weight_;
  membership_ = std::make_unique<cluster::Membership>(self, *clock_, config_.cluster_node_timeout);
  Refresh();

  PeerManagerOptions po;
  po.self_id = self_id_;
  po.self_host = host_;
  po.self_port = port_;
  po.self_weight = weight_;
  po.secret = config_.cluster_secret;
  po.request_timeout_ms = config_.peer_request_timeout_ms;
  peers_ = std::make_unique<PeerManager>(loop_, po, this);
  coordinator_ =
      std::make_unique<cluster::Coordinator>(engine_, clock_, peers_.get(), this, replicas_);
  for (const std::string& s : config_.cluster_seeds) {
    std::string h;
    int p = 0;
    if (SplitHostPort(s, &h, &p) && !(p == port_ && h == host_)) seeds_.emplace_back(h, p);
  }
  uv_timer_init(loop_, &gossip_timer_);
  gossip_timer_.data = this;
  uv_timer_start(&gossip_timer_, OnGossipTimer, 0,
                 static_cast<uint64_t>(config_.gossip_interval_ms));
  started_ = true;
  log_->Notice("Cluster mode: node {} at {}:{}, N={} R={} W={}, {} seed(s)", self_id_, host_, port_,
               replicas_, default_read_quorum(), default_write_quorum(), seeds_.size());
  return storage::Status::Ok();
}

void ClusterNode::Shutdown() {
  if (!started_) return;
  started_ = false;
  uv_timer_stop(&gossip_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&gossip_timer_), nullptr);
  if (peers_) peers_->Shutdown();
}

bool ClusterNode::IsUp(std::string_view id) const {
  return membership_ && membership_->IsUp(std::string(id));
}

void ClusterNode::Refresh() {
  if (ring_ && membership_->epoch() == ring_epoch_) return;
  std::vector<cluster::NodeInfo> nodes;
  for (const cluster::Member& m : membership_->Members()) nodes.push_back({m.id, m.weight});
  auto ring = cluster::Ring::Build(std::move(nodes), static_cast<int>(config_.cluster_vnodes));
  if (!ring.ok()) {
    log_->Warning("Cannot build the ring: {}", ring.status().message());
    return;
  }
  NoteHealthChanges();
  if (ring_ && coordinator_) DropHintsOfLeftNodes(*ring_, ring.value());
  bool first = !ring_;
  size_t before = first ? 0 : ring_->size();
  ring_.emplace(std::move(ring).value());
  ring_epoch_ = membership_->epoch();
  ++stats_.ring_rebuilds;
  if (!first && before != ring_->size()) {
    log_->Notice("Ring rebuilt: {} nodes", ring_->size());
  }
}

void ClusterNode::DropHintsOfLeftNodes(const cluster::Ring& before, const cluster::Ring& after) {
  for (const cluster::NodeInfo& n : before.nodes()) {
    bool kept = std::any_of(after.nodes().begin(), after.nodes().end(),
                            [&](const cluster::NodeInfo& m) { return m.id == n.id; });
    if (kept) continue;
    auto dropped = coordinator_->DropHints(n.id);
    if (dropped.ok() && *dropped > 0) {
      log_->Notice("Dropped {} hinted writes for node {}, which left the cluster", *dropped, n.id);
    }
  }
}

void ClusterNode::NoteHealthChanges() {
  std::set<std::string> up;
  for (const cluster::Member& m : membership_->Members()) {
    if (m.id != self_id_ && m.state == cluster::Member::State::kUp) up.insert(m.id);
  }
  for (const std::string& id : up_peers_) {
    if (up.count(id)) continue;
    auto m = membership_->Get(id);
    if (!m || m->state == cluster::Member::State::kLeft) continue;
    lost_peers_.insert(id);
    if (m->state == cluster::Member::State::kDown) {  // suspects are logged by OnPeerFailed
      log_->Warning("Node {} marked down: no heartbeat for {} ms", id,
                    config_.cluster_node_timeout);
    }
  }
  for (const std::string& id : up) {
    if (up_peers_.count(id)) continue;
    if (lost_peers_.erase(id)) log_->Notice("Node {} is up again", id);
    if (peers_) peers_->PeerRecovered(id);
  }
  up_peers_ = std::move(up);
}

void ClusterNode::LogHandoffProgress() {
  const uint64_t delivered = coordinator_->stats().hints_delivered;
  const int64_t now = clock_->NowMs();
  if (delivered == logged_hints_ || now - last_hint_log_ms_ < 1000) return;
  // Not the number still kept: counting walks every hint (INFO cluster
  // hints_pending does, on request), too slow for each second of a backlog.
  log_->Notice("Hinted handoff: {} writes handed to replicas that were down ({} since start)",
               delivered - logged_hints_, delivered);
  logged_hints_ = delivered;
  last_hint_log_ms_ = now;
}

void ClusterNode::OnGossipTimer(uv_timer_t* t) {
  static_cast<ClusterNode*>(t->data)->GossipRound();
}

void ClusterNode::GossipRound() {
  membership_->Tick();
  Refresh();
  coordinator_->HandoffTick();
  LogHandoffProgress();
  int64_t now = clock_->NowMs();
  // Seeds we have not identified yet: (re)try now and then.
  if (now - last_seed_try_ms_ >= kSeedRetryMs) {
    last_seed_try_ms_ = now;
    for (const auto& [h, p] : seeds_) {
      bool known = false;
      for (const cluster::Member& m : membership_->Members()) {
        if (m.host == h && m.port == p && m.id != self_id_) known = true;
      }
      if (!known) peers_->Meet(h, p);
    }
  }
  std::string gossip = membership_->EncodeGossip();
  for (const std::string& target : membership_->PickGossipTargets(rng_, kGossipFanout)) {
    ++stats_.gossip_sent;
    peers_->Send(target, {"PEER.GOSSIP", gossip}, [this](storage::Result<resp::RespValue> r) {
      if (!started_ || !r.ok() || r->type != resp::RespValue::kBulk) return;
      if (membership_->MergeGossip(r->str).ok()) Refresh();
    });
  }
}

storage::Status ClusterNode::OnHello(const std::string& id, const std::string& secret,
                                     const std::string& host, int port, int weight) {
  if (!ConstantTimeEquals(secret, config_.cluster_secret)) {
    log_->Warning("Refused peer {} from {}:{}: wrong cluster-secret", id, host, port);
    return storage::Status::InvalidArgument("ERR wrong cluster secret");
  }
  if (id == self_id_) return storage::Status::Ok();  // a seed that is ourselves
  cluster::Member m;
  m.id = id;
  m.host = host;
  m.port = port;
  m.weight = weight;
  bool known = membership_->Get(id).has_value();
  storage::Status s = membership_->AddOrUpdate(m);
  if (!s.ok()) return storage::Status::InvalidArgument("ERR " + s.message());
  if (!known) log_->Notice("Node {} ({}:{}) joined", id, host, port);
  Refresh();
  return storage::Status::Ok();
}

std::string ClusterNode::OnGossip(std::string_view bytes) {
  ++stats_.gossip_received;
  if (membership_->MergeGossip(bytes).ok()) Refresh();
  return membership_->EncodeGossip();
}

void ClusterNode::Meet(const std::string& host, int port) {
  seeds_.emplace_back(host, port);
  peers_->Meet(host, port);
}

bool ClusterNode::Forget(const std::string& id) {
  bool ok = membership_->Forget(id);
  if (ok) {
    peers_->Forget(id);
    Refresh();
  }
  return ok;
}

void ClusterNode::OnPeerIdentified(const std::string& id, const std::string& host, int port,
                                   int weight) {
  cluster::Member m;
  m.id = id;
  m.host = host;
  m.port = port;
  m.weight = weight;
  bool known = membership_->Get(id).has_value();
  if (membership_->AddOrUpdate(m).ok()) {
    if (!known) log_->Notice("Met node {} at {}:{}", id, host, port);
    Refresh();
  }
}

void ClusterNode::OnPeerFailed(const std::string& id, const std::string& why) {
  if (!membership_) return;
  bool was_up = membership_->IsUp(id);
  membership_->MarkSuspect(id);
  if (was_up) log_->Warning("Node {} marked suspect: {}", id, why);
  Refresh();
}

int ClusterNode::default_read_quorum() const {
  return static_cast<int>(std::min(config_.read_quorum, config_.replicas));
}

int ClusterNode::default_write_quorum() const {
  return static_cast<int>(std::min(config_.write_quorum, config_.replicas));
}

bool ClusterNode::AddressOf(const std::string& id, std::string* host, int* port) {
  auto m = membership_->Get(id);
  if (!m || m->state == cluster::Member::State::kLeft) return false;
  *host = m->host;
  *port = m->port;
  return true;
}

}  // namespace ringkv::server
