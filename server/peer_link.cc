#include "server/peer_link.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace ringkv::server {
namespace {

constexpr int64_t kMinBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 2000;
constexpr int64_t kTickMs = 50;

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

storage::Status Unavailable(const std::string& why) { return storage::Status::Unavailable(why); }

}  // namespace

struct PeerLink::Conn {
  uv_tcp_t tcp;
  uv_connect_t connect;
  PeerLink* owner;  // null once the link let go of this connection
  char buf[64 * 1024];
};

namespace {
struct PeerWrite {
  uv_write_t req;
  std::string data;  // lives until the write callback (libuv's contract)
};
}  // namespace

PeerLink::PeerLink(PeerManager* mgr, std::string host, int port, std::string expected_id)
    : mgr_(mgr), host_(std::move(host)), port_(port), id_(std::move(expected_id)) {}

PeerLink::~PeerLink() { Shutdown(); }

void PeerLink::Send(std::vector<std::string> args, cluster::Transport::Callback cb,
                    int64_t timeout_ms) {
  if (state_ == State::kClosed) {
    mgr_->Defer([cb = std::move(cb)]() { cb(storage::Status::NotSent("peer link closed")); });
    return;
  }
  int64_t now = mgr_->NowMs();
  if (state_ == State::kBackoff && now < retry_at_ms_) {
    // The node failed moments ago: answer at once rather than queue behind a dead link.
    mgr_->Defer([cb = std::move(cb)]() { cb(storage::Status::NotSent("peer unreachable")); });
    return;
  }
  if (timeout_ms <= 0) timeout_ms = mgr_->options().request_timeout_ms;
  queue_.push_back({EncodeCommand(args), std::move(cb), now + timeout_ms});
  if (state_ == State::kIdle || state_ == State::kBackoff) {
    Connect();
  } else if (state_ == State::kReady) {
    FlushQueue();
  }
}

void PeerLink::Connect() {
  state_ = State::kConnecting;
  hello_done_ = false;
  in_.clear();
  // The node's address as the cluster knows it now: a node restarted with
  // its id on another host or port is reached there.
  if (!id_.empty()) mgr_->AddressOf(id_, &host_, &port_);
  sockaddr_storage addr;
  int rc = host_.find(':') != std::string::npos
               ? uv_ip6_addr(host_.c_str(), port_, reinterpret_cast<sockaddr_in6*>(&addr))
               : uv_ip4_addr(host_.c_str(), port_, reinterpret_cast<sockaddr_in*>(&addr));
  if (rc != 0) {
    Fail("bad peer address " + host_);
    return;
  }
  conn_ = new Conn;  // freed in its close callback
  conn_->owner = this;
  uv_tcp_init(mgr_->loop(), &conn_->tcp);
  conn_->tcp.data = conn_;
  conn_->connect.data = conn_;
  rc = uv_tcp_connect(&conn_->connect, &conn_->tcp, reinterpret_cast<sockaddr*>(&addr),
                      [](uv_connect_t* req, int status) {
                        auto* c = static_cast<Conn*>(req->data);
                        if (c->owner) c->owner->OnConnected(status);
                      });
  if (rc != 0) Fail(std::string("connect: ") + uv_strerror(rc));
}

void PeerLink::OnConnected(int status) {
  if (status != 0) {
    Fail(std::string("connect: ") + uv_strerror(status));
    return;
  }
  uv_tcp_nodelay(&conn_->tcp, 1);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&conn_->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* c = static_cast<Conn*>(h->data);
        *b = uv_buf_init(c->buf, sizeof(c->buf));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
        auto* c = static_cast<Conn*>(s->data);
        if (!c->owner) return;
        if (n < 0) {
          c->owner->Fail("connection lost");
          return;
        }
        c->owner->OnData(b->base, static_cast<size_t>(n));
      });
  state_ = State::kReady;
  // HELLO goes first, ahead of anything queued.
  const PeerManagerOptions& o = mgr_->options();
  Request hello{EncodeCommand({"PEER.HELLO", o.self_id, o.secret, o.self_host,
                               std::to_string(o.self_port), std::to_string(o.self_weight)}),
                [this](storage::Result<resp::RespValue> r) { OnHelloReply(std::move(r)); },
                mgr_->NowMs() + o.request_timeout_ms};
  queue_.push_front(std::move(hello));
  FlushQueue();
}

void PeerLink::OnHelloReply(storage::Result<resp::RespValue> r) {
  if (!r.ok()) return;  // the failure path already ran
  const resp::RespValue& v = *r;
  if (v.type != resp::RespValue::kArray || v.elems.size() < 4) {
    if (v.type == resp::RespValue::kError) {
      Fail("peer refused HELLO: " + v.str, /*none_ran=*/true);
    } else {
      Fail("bad PEER.HELLO reply");
    }
    return;
  }
  std::string id = v.elems[0].str;
  if (!id_.empty() && id != id_) {
    Fail("peer at " + host_ + ":" + std::to_string(port_) + " is " + id + ", not " + id_);
    return;
  }
  // A seed's link learns whom it reached: from now on its failures speak for
  // that node's health, and a reconnect checks it is still that node.
  if (id_.empty()) id_ = id;
  hello_done_ = true;
  backoff_ms_ = 0;
  int port = static_cast<int>(std::strtol(v.elems[2].str.c_str(), nullptr, 10));
  int weight = static_cast<int>(std::strtol(v.elems[3].str.c_str(), nullptr, 10));
  mgr_->Identified(this, id, v.elems[1].str, port, weight);
}

void PeerLink::FlushQueue() {
  if (state_ != State::kReady || queue_.empty()) return;
  auto* w = new PeerWrite;  // freed in the write callback
  while (!queue_.empty()) {
    w->data += queue_.front().bytes;
    inflight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  w->req.data = w;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&conn_->tcp), &b, 1,
                    [](uv_write_t* req, int) { delete static_cast<PeerWrite*>(req->data); });
  if (rc != 0) {
    delete w;
    Fail(std::string("write: ") + uv_strerror(rc));
  }
}

void PeerLink::OnData(const char* data, size_t len) {
  in_.append(data, len);
  size_t pos = 0;
  while (pos < in_.size()) {
    resp::RespValue v;
    size_t consumed = 0;
    resp::ParseStatus st = reader_.Parse(std::string_view(in_).substr(pos), &v, &consumed);
    if (st == resp::ParseStatus::kIncomplete) break;
    if (st == resp::ParseStatus::kError || inflight_.empty()) {
      Fail("protocol error from peer");
      return;
    }
    pos += consumed;
    Request req = std::move(inflight_.front());
    inflight_.pop_front();
    req.cb(std::move(v));
    if (state_ != State::kReady) return;  // the callback may have failed the link
  }
  in_.erase(0, pos);
}

void PeerLink::Fail(const std::string& why, bool none_ran) {
  if (conn_) {
    conn_->owner = nullptr;
    Conn* c = conn_;
    conn_ = nullptr;
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
               [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
    }
  }
  bool was_closed = state_ == State::kClosed;
  if (!was_closed) {
    backoff_ms_ = std::clamp(backoff_ms_ * 2, kMinBackoffMs, kMaxBackoffMs);
    retry_at_ms_ = mgr_->NowMs() + backoff_ms_;
    state_ = State::kBackoff;
  }
  std::deque<Request> sent, unsent;
  sent.swap(inflight_);
  unsent.swap(queue_);
  in_.clear();
  std::string msg =
      "peer " + (id_.empty() ? host_ + ":" + std::to_string(port_) : id_) + ": " + why;
  // What was handed to the connection may have reached the peer and run
  // there; what was still queued cannot have.
  for (auto& r : sent) {
    mgr_->Defer([cb = std::move(r.cb), msg, none_ran]() {
      cb(none_ran ? storage::Status::NotSent(msg) : Unavailable(msg));
    });
  }
  for (auto& r : unsent) {
    mgr_->Defer([cb = std::move(r.cb), msg]() { cb(storage::Status::NotSent(msg)); });
  }
  // Deferred too: Fail can run inside Send (a connect that fails at once),
  // and marking the peer suspect rebuilds the ring the caller is walking.
  if (!was_closed) {
    mgr_->Defer([mgr = mgr_, link = this, id = id_, why]() { mgr->LinkFailed(link, id, why); });
  }
}

void PeerLink::ClearBackoff() {
  backoff_ms_ = 0;
  retry_at_ms_ = 0;
}

void PeerLink::Tick(int64_t now_ms) {
  bool overdue =
      (!inflight_.empty() && inflight_.front().deadline_ms < now_ms) ||
      (state_ == State::kConnecting && !queue_.empty() && queue_.front().deadline_ms < now_ms);
  if (!overdue) {
    overdue_ticks_ = 0;
    return;
  }
  // libuv runs timers before it polls sockets: after a long loop turn the
  // reply may be waiting unread. Fail only if it is still missing one tick
  // (and so one poll) later.
  if (++overdue_ticks_ < 2) return;
  overdue_ticks_ = 0;
  const std::string& b = inflight_.empty() ? queue_.front().bytes : inflight_.front().bytes;
  // The command name: the payload of the first bulk ("*N\r\n$L\r\nNAME\r\n...").
  size_t name_start = b.find("\r\n", b.find('$')) + 2;
  size_t name_end = b.find("\r\n", name_start);
  Fail("request timed out (" + b.substr(name_start, name_end - name_start) + ", " +
       std::to_string(inflight_.size()) + " in flight)");
}

void PeerLink::Shutdown() {
  if (state_ == State::kClosed) return;
  Fail("shutting down");
  state_ = State::kClosed;
}

// --- manager ----------------------------------------------------------------

PeerManager::PeerManager(uv_loop_t* loop, PeerManagerOptions options, Listener* listener)
    : loop_(loop), options_(std::move(options)), listener_(listener) {
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_start(&timer_, OnTimer, kTickMs, kTickMs);
  uv_idle_init(loop_, &idle_);
  idle_.data = this;
}

PeerManager::~PeerManager() { Shutdown(); }

int64_t PeerManager::NowMs() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void PeerManager::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [id, l] : links_) l->Shutdown();
  for (auto& [id, pool] : exec_links_)
    for (auto& l : pool) l->Shutdown();
  for (auto& l : seeds_) l->Shutdown();
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  // Deferred failure callbacks still run, so nobody waits forever.
  auto pending = std::move(deferred_);
  deferred_.clear();
  for (auto& fn : pending) fn();
  uv_idle_stop(&idle_);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
}

void PeerManager::Defer(std::function<void()> fn) {
  if (shut_down_) {
    fn();
    return;
  }
  deferred_.push_back(std::move(fn));
  if (!idle_active_) {
    idle_active_ = true;
    uv_idle_start(&idle_, OnDeferred);
  }
}

void PeerManager::OnDeferred(uv_idle_t* t) {
  auto* self = static_cast<PeerManager*>(t->data);
  auto batch = std::move(self->deferred_);
  self->deferred_.clear();
  for (auto& fn : batch) fn();
  if (self->deferred_.empty()) {
    uv_idle_stop(&self->idle_);
    self->idle_active_ = false;
  }
}

void PeerManager::OnTimer(uv_timer_t* t) {
  auto* self = static_cast<PeerManager*>(t->data);
  int64_t now = self->NowMs();
  self->retired_.clear();
  for (auto& [id, l] : self->links_) l->Tick(now);
  for (auto& [id, pool] : self->exec_links_)
    for (auto& l : pool) l->Tick(now);
  for (auto& l : self->seeds_) l->Tick(now);
}

void PeerManager::SendWithin(std::string_view node_id, std::vector<std::string> args,
                             int64_t timeout_ms, Callback done) {
  ++requests_;
  bool exec = !args.empty() && args[0] == "PEER.EXEC";
  PeerLink* link = nullptr;
  if (exec) {
    // The least busy connection of the pool; a new one while all are busy,
    // up to kExecLinksPerPeer.
    auto it = exec_links_.find(node_id);
    if (it != exec_links_.end()) {
      for (auto& l : it->second) {
        if (!link || l->pending() < link->pending()) link = l.get();
      }
    }
    if (link && (link->pending() == 0 || it->second.size() >= kExecLinksPerPeer)) {
      link->Send(std::move(args), std::move(done), timeout_ms);
      return;
    }
  } else if (auto it = links_.find(node_id); it != links_.end()) {
    it->second->Send(std::move(args), std::move(done), timeout_ms);
    return;
  }
  std::string host;
  int port = 0;
  if (shut_down_ || !listener_->AddressOf(std::string(node_id), &host, &port)) {
    ++errors_;
    Defer([done = std::move(done)]() { done(storage::Status::NotSent("unknown peer")); });
    return;
  }
  auto fresh = std::make_unique<PeerLink>(this, host, port, std::string(node_id));
  link = fresh.get();
  if (exec) {
    exec_links_[std::string(node_id)].push_back(std::move(fresh));
  } else {
    links_.emplace(std::string(node_id), std::move(fresh));
  }
  link->Send(std::move(args), std::move(done), timeout_ms);
}

void PeerManager::Meet(const std::string& host, int port) {
  if (shut_down_) return;
  for (auto& [id, l] : links_) {
    if (l->host() == host && l->port() == port) return;
  }
  for (auto& l : seeds_) {
    if (l->host() == host && l->port() == port) {
      if (!l->ready()) l->Send({"PING"}, [](storage::Result<resp::RespValue>) {});
      return;
    }
  }
  seeds_.push_back(std::make_unique<PeerLink>(this, host, port, std::string()));
  // Any request opens the connection; HELLO goes first and identifies the peer.
  seeds_.back()->Send({"PING"}, [](storage::Result<resp::RespValue>) {});
}

void PeerManager::Forget(const std::string& id) {
  if (auto it = links_.find(id); it != links_.end()) {
    it->second->Shutdown();
    retired_.push_back(std::move(it->second));
    links_.erase(it);
  }
  if (auto it = exec_links_.find(id); it != exec_links_.end()) {
    for (auto& l : it->second) {
      l->Shutdown();
      retired_.push_back(std::move(l));
    }
    exec_links_.erase(it);
  }
}

void PeerManager::Identified(PeerLink* link, const std::string& id, const std::string& host,
                             int port, int weight) {
  if (id == options_.self_id) {
    // A seed that is ourselves (our own address in cluster-seeds).
    link->Shutdown();
  }
  // A seed link becomes the node's link unless one exists already.
  for (size_t i = 0; i < seeds_.size(); ++i) {
    if (seeds_[i].get() != link) continue;
    if (id != options_.self_id && links_.find(id) == links_.end()) {
      links_.emplace(id, std::move(seeds_[i]));
    } else {
      seeds_[i]->Shutdown();
      retired_.push_back(std::move(seeds_[i]));
    }
    seeds_.erase(seeds_.begin() + static_cast<long>(i));
    break;
  }
  if (id != options_.self_id) listener_->OnPeerIdentified(id, host, port, weight);
}

void PeerManager::PeerRecovered(const std::string& id) {
  if (auto it = links_.find(id); it != links_.end()) it->second->ClearBackoff();
  if (auto it = exec_links_.find(id); it != exec_links_.end()) {
    for (auto& l : it->second) l->ClearBackoff();
  }
}

void PeerManager::LinkFailed(const PeerLink* link, const std::string& id, const std::string& why) {
  ++errors_;
  // Only the data link speaks for the peer's health: a PEER.EXEC may be slow
  // because of a third node. `link` is compared, never used: it may be gone.
  auto it = id.empty() ? links_.end() : links_.find(id);
  if (it != links_.end() && it->second.get() == link) listener_->OnPeerFailed(id, why);
}

bool PeerManager::AddressOf(const std::string& id, std::string* host, int* port) {
  std::string h;
  int p = 0;
  if (shut_down_ || !listener_->AddressOf(id, &h, &p)) return false;
  *host = std::move(h);
  *port = p;
  return true;
}

}  // namespace ringkv::server
