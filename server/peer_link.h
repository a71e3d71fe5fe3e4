// Outgoing connections to peers, and the cluster Transport over them.
//
// One PeerLink per remote node: a TCP connection that says PEER.HELLO first,
// then carries pipelined PEER.* requests whose replies come back in order.
// A lost connection fails every request on it (Unavailable), tells the
// manager (the node becomes suspect), and reconnects with backoff when there
// is something to send. A request not answered within the request timeout
// breaks the connection (replies are ordered: one cannot be skipped).
//
// Loop thread only. Callbacks never run inside Send().
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/transport.h"
#include "resp/reply_reader.h"

namespace ringkv::server {

class PeerManager;

class PeerLink {
 public:
  // `expected_id` empty: a seed whose id we learn from its HELLO reply.
  PeerLink(PeerManager* mgr, std::string host, int port, std::string expected_id);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  // `timeout_ms` 0: the manager's request timeout.
  void Send(std::vector<std::string> args, cluster::Transport::Callback cb, int64_t timeout_ms = 0);
  // Fails everything pending and closes; the object may be destroyed after.
  void Shutdown();
  // Checks request deadlines; called from the manager's timer.
  void Tick(int64_t now_ms);

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const std::string& id() const { return id_; }
  bool ready() const { return state_ == State::kReady; }
  size_t pending() const { return queue_.size() + inflight_.size(); }
  // The peer was heard from (gossip, or it connected to us): the next request
  // connects at once instead of failing fast until the backoff runs out.
  void ClearBackoff();

 private:
  enum class State { kIdle, kConnecting, kReady, kBackoff, kClosed };
  struct Request {
    std::string bytes;
    cluster::Transport::Callback cb;
    int64_t deadline_ms;
  };
  struct Conn;  // the libuv handles of one connection attempt

  void Connect();
  void OnConnected(int status);
  void OnData(const char* data, size_t len);
  // Fails every request. `none_ran`: the peer is known to have run none of
  // those already written (it refused HELLO, so it took no peer command).
  void Fail(const std::string& why, bool none_ran = false);
  void FlushQueue();
  void OnHelloReply(storage::Result<resp::RespValue> r);

  PeerManager* mgr_;
  std::string host_;
  int port_;
  std::string id_;
  State state_ = State::kIdle;
  bool hello_done_ = false;
  Conn* conn_ = nullptr;          // owned by libuv until its close callback
  std::deque<Request> queue_;     // not yet written
  std::deque<Request> inflight_;  // written, awaiting replies in order
  std::string in_;
  resp::ReplyReader reader_;
  int64_t backoff_ms_ = 0;
  int overdue_ticks_ = 0;
  int64_t retry_at_ms_ = 0;
};

struct PeerManagerOptions {
  std::string self_id;
  std::string self_host;
  int self_port = 0;
  int self_weight = 1;
  std::string secret;
  int64_t request_timeout_ms = 2000;
};

class PeerManager : public cluster::Transport {
 public:
  // Hooks into the cluster node: a HELLO reply taught us a peer's identity;
  // a connection to a peer failed.
  struct Listener {
    virtual ~Listener() = default;
    virtual void OnPeerIdentified(const std::string& id, const std::string& host, int port,
                                  int weight) = 0;
    virtual void OnPeerFailed(const std::string& id, const std::string& why) = 0;
    // Where node `id` listens, from the membership table; false if unknown.
    virtual bool AddressOf(const std::string& id, std::string* host, int* port) = 0;
  };

  PeerManager(uv_loop_t* loop, PeerManagerOptions options, Listener* listener);
  ~PeerManager() override;
  PeerManager(const PeerManager&) = delete;
  PeerManager& operator=(const PeerManager&) = delete;

  void Send(std::string_view node_id, std::vector<std::string> args, Callback done) override {
    SendWithin(node_id, std::move(args), 0, std::move(done));
  }
  // The same, failing after `timeout_ms` instead of the request timeout (0).
  void SendWithin(std::string_view node_id, std::vector<std::string> args, int64_t timeout_ms,
                  Callback done);
  // Connects to a seed address (CLUSTER MEET, cluster-seeds): says HELLO and
  // learns the peer's id.
  void Meet(const std::string& host, int port);
  void Forget(const std::string& id);
  // Node `id` is up again in the membership table: its links stop backing off.
  void PeerRecovered(const std::string& id);
  void Shutdown();

  uv_loop_t* loop() { return loop_; }
  const PeerManagerOptions& options() const { return options_; }
  int64_t NowMs() const;
  // Runs `fn` on a later loop iteration (never inside the caller).
  void Defer(std::function<void()> fn);
  uint64_t errors() const { return errors_; }
  uint64_t requests() const { return requests_; }

 private:
  friend class PeerLink;
  void Identified(PeerLink* link, const std::string& id, const std::string& host, int port,
                  int weight);
  // A link to `id` failed (deferred from PeerLink::Fail; `link` may be gone).
  void LinkFailed(const PeerLink* link, const std::string& id, const std::string& why);
  // The address the cluster knows for `id` (a link reconnects there).
  bool AddressOf(const std::string& id, std::string* host, int* port);
  static void OnTimer(uv_timer_t* t);
  static void OnDeferred(uv_idle_t* t);

  uv_loop_t* loop_;
  PeerManagerOptions options_;
  Listener* listener_;
  // Two links per peer: requests a peer answers at once (READ, WRITE, GOSSIP
  // ...) never queue behind PEER.EXEC, which waits for the peer's own quorum;
  // on one link the two would wait for each other across nodes.
  // PEER.EXEC waits for a quorum at the peer, which answers a connection's
  // requests in order: a small pool lets several run there at once.
  static constexpr size_t kExecLinksPerPeer = 8;
  std::map<std::string, std::unique_ptr<PeerLink>, std::less<>> links_;  // by node id
  std::map<std::string, std::vector<std::unique_ptr<PeerLink>>, std::less<>> exec_links_;
  std::vector<std::unique_ptr<PeerLink>> seeds_;    // id not known yet
  std::vector<std::unique_ptr<PeerLink>> retired_;  // shut down, freed on the next tick
  std::vector<std::function<void()>> deferred_;
  uv_timer_t timer_;
  uv_idle_t idle_;
  bool idle_active_ = false;
  bool shut_down_ = false;
  uint64_t errors_ = 0;
  uint64_t requests_ = 0;
};

}  // namespace ringkv::server
