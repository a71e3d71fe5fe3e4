// This process as a member of a cluster: its node id (persisted in the data
// dir), the membership table spread by gossip, the ring built from it, the
// peer links and the coordinator. Implements the ClusterView the coordinator
// reads. Only exists with `cluster-enabled yes`. Loop thread only.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cluster/coordinator.h"
#include "cluster/membership.h"
#include "cluster/ring.h"
#include "server/config.h"
#include "server/peer_link.h"

namespace ringkv::storage {
class Engine;
}

namespace ringkv::server {

class Logger;

struct ClusterStats {
  uint64_t gossip_sent = 0;
  uint64_t gossip_received = 0;
  uint64_t forwarded = 0;         // commands this node forwarded to a slot's coordinator
  uint64_t forward_failures = 0;  // forwards that fell back to coordinating here
  uint64_t ring_rebuilds = 0;
};

class ClusterNode : public cluster::ClusterView, public PeerManager::Listener {
 public:
  ClusterNode(uv_loop_t* loop, const Config& config, storage::Engine* engine,
              const cluster::Clock* clock, Logger* log);
  ~ClusterNode() override;
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // Loads or creates the node id, builds the one-node ring, starts gossip and
  // contacts the seeds. `port` is the port we actually listen on.
  storage::Status Start(int port);
  void Shutdown();

  // ClusterView
  const std::string& self_id() const override { return self_id_; }
  const cluster::Ring& ring() const override { return *ring_; }
  bool IsUp(std::string_view id) const override;

  cluster::Coordinator& coordinator() { return *coordinator_; }
  cluster::Membership& membership() { return *membership_; }
  PeerManager& peers() { return *peers_; }
  ClusterStats& stats() { return stats_; }
  const std::string& announce_host() const { return host_; }
  int announce_port() const { return port_; }
  int replicas() const { return replicas_; }
  // From the live config: CONFIG SET read-quorum / write-quorum applies to
  // the next command of every connection that did not choose its own.
  int default_read_quorum() const;
  int default_write_quorum() const;

  // PEER.HELLO from a connecting peer: checks the secret (constant time) and
  // records the peer. Error message for the reply on failure.
  storage::Status OnHello(const std::string& id, const std::string& secret, const std::string& host,
                          int port, int weight);
  // PEER.GOSSIP: merges the sender's table; returns ours.
  std::string OnGossip(std::string_view bytes);
  // CLUSTER MEET host port.
  void Meet(const std::string& host, int port);
  // CLUSTER FORGET id (true if it was known).
  bool Forget(const std::string& id);

  // Rebuilds the ring if the membership changed.
  void Refresh();

  // PeerManager::Listener
  void OnPeerIdentified(const std::string& id, const std::string& host, int port,
                        int weight) override;
  void OnPeerFailed(const std::string& id, const std::string& why) override;
  bool AddressOf(const std::string& id, std::string* host, int* port) override;

 private:
  void GossipRound();
  // Hints for nodes in `before` but not `after` (forgotten or left) go.
  void DropHintsOfLeftNodes(const cluster::Ring& before, const cluster::Ring& after);
  // At most once a second: how many hinted writes went out since last time.
  void LogHandoffProgress();
  // Logs peers that went down or came back since the last call, and lets the
  // links of those that came back reconnect at once.
  void NoteHealthChanges();
  static void OnGossipTimer(uv_timer_t* t);

  uv_loop_t* loop_;
  const Config& config_;
  storage::Engine* engine_;
  const cluster::Clock* clock_;
  Logger* log_;
  std::string self_id_;
  std::string host_;
  int port_ = 0;
  int weight_ = 1;
  int replicas_ = 3;
  std::unique_ptr<cluster::Membership> membership_;
  std::optional<cluster::Ring> ring_;
  uint64_t ring_epoch_ = 0;
  std::unique_ptr<PeerManager> peers_;
  std::unique_ptr<cluster::Coordinator> coordinator_;
  std::vector<std::pair<std::string, int>> seeds_;
  std::set<std::string> up_peers_;    // as of the last NoteHealthChanges()
  std::set<std::string> lost_peers_;  // marked down or suspect, not up since
  std::mt19937_64 rng_{std::random_device{}()};
  uv_timer_t gossip_timer_;
  bool started_ = false;
  int64_t last_seed_try_ms_ = 0;
  uint64_t logged_hints_ = 0;  // hints_delivered as last logged
  int64_t last_hint_log_ms_ = 0;
  ClusterStats stats_;
};

}  // namespace ringkv::server
