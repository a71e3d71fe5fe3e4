#include "server/server.h"

#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>

#include "cluster/local_store.h"
#include "server/cluster_node.h"
#include "server/command_docs.h"
#include "server/connection.h"
#include "server/errors.h"
#include "server/monitor.h"
#include "storage/engine.h"
#include "storage/thread_name.h"

namespace ringkv::server {

struct Server::LoopState {
  uv_loop_t loop;
  uv_check_t end_of_turn;
  uv_timer_t cron;
  int64_t cron_hz = 0;  // the hz the cron timer runs at (CONFIG SET hz changes it)
  uv_timer_t everysec;
  uv_signal_t sigterm;
  uv_signal_t sigint;
};

// One listening socket per bind address.
class Listener {
 public:
  Listener(Server* server, uv_loop_t* loop) : server_(server), loop_(loop) {
    uv_tcp_init(loop, &tcp_);
    tcp_.data = this;
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int Bind(const std::string& host, int port, int backlog) {
    sockaddr_storage ss;
    int rc = host.find(':') != std::string::npos
                 ? uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss))
                 : uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss));
    if (rc != 0) return rc;
    unsigned flags = ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
    rc = uv_tcp_bind(&tcp_, reinterpret_cast<sockaddr*>(&ss), flags);
    if (rc != 0) return rc;
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), backlog, OnConnection);
    if (rc != 0) return rc;
    int len = sizeof(ss);
    if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    }
    return 0;
  }
  int port() const { return port_; }
  void Close() {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp_))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
    }
  }

 private:
  static void OnConnection(uv_stream_t* s, int status) {
    auto* self = static_cast<Listener*>(s->data);
    if (status < 0) return;
    auto conn = std::make_unique<Connection>(self->server_, self->loop_);
    if (uv_accept(s, reinterpret_cast<uv_stream_t*>(conn->tcp())) != 0) {
      Connection* raw = conn.get();
      self->server_->connections_.emplace(raw, std::move(conn));
      raw->Close();
      return;
    }
    self->server_->OnAccepted(std::move(conn));
  }

  Server* server_;
  uv_loop_t* loop_;
  uv_tcp_t tcp_;
  int port_ = 0;
};

Server::Server(Config config) : config_(std::move(config)), loop_(std::make_unique<LoopState>()) {
  uv_loop_init(&loop_->loop);
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 40; ++i) run_id_.push_back(kHex[rd() % 16]);
  for (const auto& [from, to] : config_.renamed_commands) commands_.Rename(from, to);
}

Server::~Server() {
  StopSyncThread();
  if (cluster_) cluster_->Shutdown();
  // Close whatever is left and let libuv run the close callbacks.
  for (auto& [c, owned] : connections_) c->Close();
  for (auto& l : listeners_) l->Close();
  uv_walk(
      &loop_->loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&loop_->loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop_->loop);
  store_.reset();
  engine_.reset();
}

bool Server::Start() {
  if (!log_.Open(config_.logfile, config_.loglevel)) {
    fprintf(stderr, "Can't open the log file %s: %s\n", config_.logfile.c_str(), strerror(errno));
    return false;
  }
  log_.Notice("ringkv starting, pid={}, port={}, dir={}", getpid(), config_.port, config_.dir);
  if (!config_.pidfile.empty()) {
    std::ofstream pf(config_.pidfile);
    pf << getpid() << "\n";
    if (!pf) log_.Warning("Failed to write PID file {}: {}", config_.pidfile, strerror(errno));
  }
  if (!OpenStorage()) return false;
  return Listen();
}

bool Server::OpenStorage() {
  start_time_ms_ = clock_.NowMs();
  storage::EngineOptions eo;
  eo.dir = config_.dir;
  eo.cache_bytes = config_.cache_size;
  eo.block_cache_bytes = config_.leveldb_block_cache_size;
  eo.mmap_bytes = config_.leveldb_mmap_size;
  eo.write_buffer_bytes = config_.leveldb_write_buffer_size;
  eo.bloom_bits_per_key = static_cast<int>(config_.leveldb_bloom_bits);
  eo.block_bytes = config_.leveldb_block_size;
  eo.block_restart_interval = static_cast<int>(config_.leveldb_block_restart_interval);
  eo.key_filter_bits = static_cast<int>(config_.key_filter_bits);
  eo.key_filter_rebuild_slack = config_.key_filter_rebuild_slack;
  eo.max_open_files = static_cast<int>(config_.leveldb_max_open_files);
  eo.compression = config_.leveldb_compression;
  eo.compaction_nice = static_cast<int>(config_.leveldb_compaction_nice);
  eo.compaction_idle = config_.leveldb_compaction_idle;
  eo.idle_flush_ms = config_.leveldb_idle_flush_ms;
  eo.idle_compact_percent = static_cast<int>(config_.leveldb_idle_compact_percent);
  eo.write_behind_ms = config_.write_behind_ms;
  eo.write_behind_nice = static_cast<int>(config_.write_behind_nice);
  eo.write_behind_adaptive = config_.write_behind_adaptive;
  eo.journal_segment_bytes = config_.journal_segment_size;
  eo.slot_log_fold_pairs = config_.slot_log_fold_pairs;
  eo.sync_commits = config_.appendfsync == FsyncPolicy::kAlways;
  eo.log = [this](const std::string& m) { log_.Notice("{}", m); };
  auto engine = storage::Engine::Open(eo);
  if (!engine.ok()) {
    log_.Warning("Can't open the data directory {}: {}", config_.dir, engine.status().message());
    return false;
  }
  engine_ = std::move(engine).value();
  // A data dir we cannot write to must stop start-up, not surface on the
  // first acknowledged write.
  if (Status s = engine_->PutMeta("startup", std::to_string(start_time_ms_)); !s.ok()) {
    log_.Warning("The data directory {} is not writable: {}", config_.dir, s.message());
    return false;
  }
  log_.Notice("Storage ready: {} keys ({} with expiry), cache-size {} bytes", engine_->KeyCount(),
              engine_->ExpiresCount(), config_.cache_size);
  store_ = std::make_unique<cluster::LocalStore>(engine_.get(), &clock_);
  store_->set_observer(this);
  last_save_sec_ = clock_.NowMs() / 1000;
  return true;
}

bool Server::Listen() {
  bool any = false;
  for (const std::string& b : config_.bind) {
    bool optional = !b.empty() && b[0] == '-';
    std::string host = optional ? b.substr(1) : b;
    if (host == "*") host = "0.0.0.0";
    auto l = std::make_unique<Listener>(this, &loop_->loop);
    int rc = l->Bind(host, config_.port, config_.tcp_backlog);
    if (rc != 0) {
      l->Close();
      listeners_.push_back(std::move(l));
      if (optional) {
        log_.Verbose("Skipping optional bind address {}: {}", host, uv_strerror(rc));
        continue;
      }
      log_.Warning("Warning: Could not create server TCP listening socket {}:{}: {}", host,
                   config_.port, uv_strerror(rc));
      return false;
    }
    actual_port_ = l->port();
    listeners_.push_back(std::move(l));
    any = true;
  }
  if (!any) {
    log_.Warning("No bind address could be used");
    return false;
  }
  if (config_.cluster_enabled) {
    cluster_ = std::make_unique<ClusterNode>(&loop_->loop, config_, engine_.get(), &clock_, &log_);
    if (Status s = cluster_->Start(actual_port_); !s.ok()) {
      log_.Warning("Cannot start cluster mode: {}", s.message());
      return false;
    }
    cluster_->coordinator().observer = this;
  }
  return StartLoopHandles();
}

bool Server::StartLoopHandles() {
  loop_handles_started_ = true;
  StartSyncThread();
  uv_check_init(&loop_->loop, &loop_->end_of_turn);
  loop_->end_of_turn.data = this;
  uv_check_start(&loop_->end_of_turn,
                 [](uv_check_t* h) { static_cast<Server*>(h->data)->EndTurn(); });
  uv_timer_init(&loop_->loop, &loop_->cron);
  loop_->cron.data = this;
  loop_->cron_hz = config_.hz;
  uint64_t period = CronPeriodMs(config_.hz);
  uv_timer_start(
      &loop_->cron, [](uv_timer_t* t) { static_cast<Server*>(t->data)->Cron(); }, period, period);
  uv_timer_init(&loop_->loop, &loop_->everysec);
  loop_->everysec.data = this;
  uv_timer_start(
      &loop_->everysec, [](uv_timer_t* t) { static_cast<Server*>(t->data)->OnEverySec(); }, 1000,
      1000);
  for (auto* sig : {&loop_->sigterm, &loop_->sigint}) {
    uv_signal_init(&loop_->loop, sig);
    sig->data = this;
  }
  auto on_signal = [](uv_signal_t* s, int signum) {
    auto* self = static_cast<Server*>(s->data);
    self->log_.Warning("Received {} scheduling shutdown...",
                       signum == SIGINT ? "SIGINT" : "SIGTERM");
    self->RequestShutdown(0);
  };
  uv_signal_start(&loop_->sigterm, on_signal, SIGTERM);
  uv_signal_start(&loop_->sigint, on_signal, SIGINT);
  signal(SIGPIPE, SIG_IGN);
  log_.Notice("Ready to accept connections tcp on port {}", actual_port_);
  return true;
}

int Server::Run() {
  uv_run(&loop_->loop, UV_RUN_DEFAULT);
  return exit_code_;
}

void Server::OnAccepted(std::unique_ptr<Connection> conn) {
  Connection* c = conn.get();
  connections_.emplace(c, std::move(conn));
  ++stats_.total_connections_received;
  if (!c->Start()) {
    c->Close();
    return;
  }
  if (static_cast<int64_t>(connections_.size()) > config_.maxclients) {
    ++stats_.rejected_connections;
    c->RejectAndClose(fmt::format("-{}\r\n", errors::kMaxClients));
    return;
  }
  if (config_.protected_mode && config_.requirepass.empty() && !c->client().loopback) {
    ++stats_.rejected_connections;
    log_.Warning("Possible SECURITY ATTACK detected: protected mode refused a connection from {}",
                 c->client().addr);
    c->RejectAndClose(fmt::format("-{}\r\n", errors::kProtectedMode));
    return;
  }
}

void Server::OnClosed(Connection* conn) {
  UnwatchAll(&conn->client());
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), conn), dirty_.end());
  std::erase(paused_conns_, conn);
  std::erase(monitors_, conn);
  connections_.erase(conn);
}

void Server::MarkDirty(Connection* conn) {
  if (conn->dirty_) return;
  conn->dirty_ = true;
  dirty_.push_back(conn);
}

void Server::EndTurn() {
  if (!engine_->usable()) {
    // FLUSHALL dropped the old database and could not create the new one: no
    // data to serve. Its marker stays in the data dir; the next start
    // finishes the flush.
    log_.Warning(
        "FLUSHALL could not recreate the database in {}: {}. Exiting; fix the data "
        "directory and restart (the flush is finished then).",
        config_.dir, engine_->failure_message());
    std::exit(1);
  }
  // 0. A pause ended (UNPAUSE, or its time ran out): the held connections run
  //    what they received meanwhile, and their writes join this turn's commit.
  //    (Not from Unpause itself, which runs inside another client's command.)
  if (!paused() && !paused_conns_.empty()) ResumeHeld();
  // 1. Commit every write of this turn as one storage write. Replies leave
  //    only after it returned, so nothing is acknowledged before it is stored.
  Status s = store_->EndTurn();
  if (!s.ok()) {
    ++stats_.storage_errors;
    log_.Warning("Storage write failed, dropping the replies of this turn: {}", s.message());
    if (storage_error_.empty()) {
      storage_error_ = s.message();
      log_.Warning(
          "Refusing writes from now on (MISCONF); reads still work. Fix the data directory {} "
          "and restart the server.",
          config_.dir);
    }
    // The replies of this turn may claim writes that are not stored: never
    // send them. Close those connections so clients see an error, not an OK.
    for (Connection* c : dirty_) c->Close();
  } else if (!dirty_.empty()) {
    dirty_since_sync_ = true;
  }
  // 2. Flush replies.
  std::vector<Connection*> dirty;
  dirty.swap(dirty_);
  for (Connection* c : dirty) {
    c->dirty_ = false;
    if (!c->closing()) c->Flush();
  }
}

uint64_t Server::CronPeriodMs(int64_t hz) {
  return static_cast<uint64_t>(std::max<int64_t>(1, 1000 / std::max<int64_t>(1, hz)));
}

void Server::Cron() {
  if (config_.hz != loop_->cron_hz) {  // CONFIG SET hz: from the next tick on
    loop_->cron_hz = config_.hz;
    uv_timer_set_repeat(&loop_->cron, CronPeriodMs(config_.hz));
  }
  int64_t now = clock_.NowMs();
  if (paused() && now >= pause_until_ms_) Unpause();
  // Expiring keys is writing: a pause holds it too, as in Redis, and so does
  // a failed storage write (MISCONF: the engine is read-only until restart).
  if (!paused() && !engine_->failed()) {
    auto expired = store_->ExpireStep(static_cast<size_t>(config_.active_expire_keys_per_cycle));
    if (!expired.ok()) log_.Warning("Active expiry failed: {}", expired.status().message());
  }
  engine_->LogProgress();
  engine_->MaintainKeyFilter();
  std::vector<Connection*> conns;
  conns.reserve(connections_.size());
  for (auto& [c, owned] : connections_) conns.push_back(c);
  for (Connection* c : conns) c->Cron(now);
}

void Server::Pause(int64_t until_ms, bool all) {
  PauseMode mode = all ? PauseMode::kAll : PauseMode::kWrite;
  if (!paused() || until_ms > pause_until_ms_) pause_until_ms_ = until_ms;
  if (mode > pause_) pause_ = mode;
}

void Server::Unpause() { pause_ = PauseMode::kNone; }

void Server::ResumeHeld() {
  std::vector<Connection*> held;
  held.swap(paused_conns_);
  for (Connection* c : held) {
    // A connection closed meanwhile left the list through OnClosed; check
    // anyway that each one is still ours before touching it.
    if (connections_.contains(c)) c->ResumeAfterPause();
  }
}

bool Server::PauseHolds(const Client& c, std::span<const std::string_view> args) const {
  if (!paused() || c.is_peer) return false;
  const CommandSpec* spec = commands_.Find(args[0]);
  // Answered at once, as in Redis: unknown commands and subcommands, wrong
  // arity, NOAUTH (as dispatch checks them). Never held: the cluster's own
  // traffic, including a link's handshake.
  if (!spec || !CommandTable::ArityOk(*spec, args.size())) return false;
  if (auto subs = Subcommands(spec->name); !subs.empty() && args.size() >= 2) {
    std::string error;
    spec = ResolveSubcommand(spec->name, subs, args, &error);
    if (!spec) return false;
  }
  if (!c.authenticated && !(spec->flags & kCmdNoAuth)) return false;
  if ((spec->flags & kCmdPeer) || spec->name == "peer.hello") return false;
  if (pause_ == PauseMode::kAll || (spec->flags & kCmdWrite)) return true;
  if (c.in_multi && spec->name == "exec") {
    for (const QueuedCommand& q : c.multi_queue) {
      if (q.spec && (q.spec->flags & kCmdWrite)) return true;
    }
  }
  return false;
}

void Server::OnEverySec() {
  if (config_.appendfsync == FsyncPolicy::kEverySec && dirty_since_sync_) {
    dirty_since_sync_ = false;
    sync_wanted_ = true;
    sync_cv_.notify_one();
  }
  static uint64_t reported = 0;
  if (uint64_t f = sync_failures_.load(); f != reported) {
    reported = f;
    log_.Warning("Background fsync of the data dir failed ({} times so far)", f);
  }
}

void Server::StartSyncThread() {
  std::string dir = config_.dir;
  sync_thread_ = std::thread([this, dir]() {
    storage::NameThisThread("rkv-fsync");
    std::unique_lock<std::mutex> lock(sync_mu_);
    while (!sync_stop_) {
      sync_cv_.wait_for(lock, std::chrono::seconds(1));
      if (sync_stop_ || !sync_wanted_.exchange(false)) continue;
      lock.unlock();
      if (!storage::Engine::SyncLogFiles(dir).ok()) ++sync_failures_;
      lock.lock();
    }
  });
}

void Server::StopSyncThread() {
  if (!sync_thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    sync_stop_ = true;
  }
  sync_cv_.notify_one();
  sync_thread_.join();
}

Status Server::SetConfig(std::string_view name, std::string_view value) {
  Status s = SetOption(&config_, name, value);
  if (!s.ok()) return s;
  log_.set_level(config_.loglevel);
  engine_->set_sync_commits(config_.appendfsync == FsyncPolicy::kAlways);
  engine_->cache().set_capacity(config_.cache_size);
  if (!engine_->HasPending()) engine_->cache().EvictToCapacity();
  resp::ParseLimits limits;
  limits.max_bulk_len = static_cast<int64_t>(config_.proto_max_bulk_len);
  for (auto& [c, owned] : connections_) c->set_parse_limits(limits);
  return Status::Ok();
}

Status Server::RewriteConfig() { return RewriteConfigFile(config_); }

cluster::KeyStore& Server::StoreFor(Client& client) {
  if (!cluster_) return *store_;
  int n = cluster_->replicas();
  int r = client.read_quorum ? client.read_quorum : cluster_->default_read_quorum();
  int w = client.write_quorum ? client.write_quorum : cluster_->default_write_quorum();
  r = std::min(r, n);
  w = std::min(w, n);
  auto* s = static_cast<cluster::ClusterStore*>(client.session_store.get());
  if (!s) {
    client.session_store = std::make_unique<cluster::ClusterStore>(&cluster_->coordinator(), r, w);
    s = static_cast<cluster::ClusterStore*>(client.session_store.get());
  } else if (s->read_quorum() != r || s->write_quorum() != w) {
    s->set_quorum(r, w);
  }
  return *s;
}

void Server::ResetStats() {
  stats_ = ServerStats();
  stats_.expired_keys_base = engine_->stats().expired_keys;
}

std::vector<Client*> Server::Clients() {
  std::vector<Client*> out;
  for (auto& [c, owned] : connections_) {
    if (!c->closing()) out.push_back(&c->client());
  }
  std::sort(out.begin(), out.end(), [](Client* a, Client* b) { return a->id < b->id; });
  return out;
}

Client* Server::FindClient(uint64_t id) {
  for (auto& [c, owned] : connections_) {
    if (c->client().id == id && !c->closing()) return &c->client();
  }
  return nullptr;
}

void Server::KillClient(Client* target, const Client* killer) {
  for (auto& [c, owned] : connections_) {
    if (&c->client() == target) {
      target->killed = true;
      target->close_after_reply = true;
      if (target == killer) {
        MarkDirty(c);
      } else {
        // Its output may never drain (a MONITOR that stopped reading).
        c->Close();
      }
      return;
    }
  }
}

void Server::Watch(Client* c, std::string_view key) {
  auto [it, inserted] = c->watched.emplace(key);
  if (!inserted) return;
  watchers_[*it].push_back(c);
}

void Server::UnwatchAll(Client* c) {
  for (const std::string& k : c->watched) {
    auto it = watchers_.find(k);
    if (it == watchers_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), c), v.end());
    if (v.empty()) watchers_.erase(it);
  }
  c->watched.clear();
  c->watched_versions.clear();
  c->watched_expired.clear();
  c->watch_dirty = false;
}

bool Server::KeyPresent(std::string_view key) {
  auto rec = engine_->Get(key);
  return !rec.ok() || (*rec && !(*rec)->tombstone);  // a read error counts as present
}

bool Server::KeyExpiredNotPurged(std::string_view key) {
  auto rec = engine_->Get(key);
  return rec.ok() && *rec && !(*rec)->tombstone && (*rec)->ExpiredAt(clock_.NowMs());
}

void Server::KeyChanged(std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(std::string(key));
  if (it == watchers_.end()) return;
  std::optional<bool> present;  // looked up once, if a watcher needs it
  for (Client* c : it->second) {
    auto e = c->watched_expired.find(it->first);
    if (e != c->watched_expired.end()) {
      if (!present) present = KeyPresent(key);
      if (!*present) {  // the expired key was purged: logically no change
        c->watched_expired.erase(e);
        continue;
      }
    }
    c->watch_dirty = true;
  }
}

void Server::AllKeysChanged() {
  for (auto& [k, clients] : watchers_) {
    for (Client* c : clients) c->watch_dirty = true;
  }
}

void Server::AllKeysRemoving() {
  // As Redis: FLUSHALL touches the watched keys that exist (expired ones not
  // yet purged included), not the others.
  for (auto& [k, clients] : watchers_) {
    if (!KeyPresent(k)) continue;
    for (Client* c : clients) {
      // A key already expired at WATCH going away is no change either.
      if (c->watched_expired.erase(k) == 0) c->watch_dirty = true;
    }
  }
}

Status Server::SaveNow() {
  Status s = store_->Sync();
  if (s.ok()) {
    last_save_sec_ = clock_.NowMs() / 1000;
    dirty_since_sync_ = false;
  }
  return s;
}

void Server::RequestShutdown(int exit_code) {
  if (shutting_down_) return;
  shutting_down_ = true;
  exit_code_ = exit_code;
  log_.Warning("User requested shutdown...");
  CloseListeners();
  if (cluster_) cluster_->Shutdown();
  EndTurn();  // commit and send what this turn produced
  if (Status s = SaveNow(); !s.ok()) {
    log_.Warning("Error syncing data on shutdown: {}", s.message());
    exit_code_ = 1;
  }
  if (!config_.pidfile.empty()) unlink(config_.pidfile.c_str());
  for (auto& [c, owned] : connections_) c->Close();
  if (!loop_handles_started_) return;
  uv_timer_stop(&loop_->cron);
  uv_timer_stop(&loop_->everysec);
  uv_check_stop(&loop_->end_of_turn);
  uv_signal_stop(&loop_->sigterm);
  uv_signal_stop(&loop_->sigint);
  log_.Warning("ringkv is now ready to exit, bye bye...");
  uv_stop(&loop_->loop);
}

void Server::CloseListeners() {
  for (auto& l : listeners_) l->Close();
}

void Server::RecordSlow(const Client& c, std::string_view name,
                        std::span<const std::string_view> args, int64_t duration_us) {
  if (config_.slowlog_log_slower_than < 0 || duration_us < config_.slowlog_log_slower_than) return;
  SlowLogEntry e;
  e.id = slowlog_next_id_++;
  e.time_sec = clock_.NowMs() / 1000;
  e.duration_us = duration_us;
  // Like Redis: at most 32 arguments (the last says how many more), each
  // at most 128 bytes (with a note of how many more).
  size_t n = std::min<size_t>(args.size(), 32);
  for (size_t i = 0; i < n; ++i) {
    if (i == 31 && args.size() > 32) {
      e.args.push_back(fmt::format("... ({} more arguments)", args.size() - 31));
      break;
    }
    std::string_view a = IsSecretArgument(name, args, i) ? "(redacted)" : args[i];
    if (a.size() > 128) {
      e.args.push_back(fmt::format("{}... ({} more bytes)", a.substr(0, 128), a.size() - 128));
    } else {
      e.args.emplace_back(a);
    }
  }
  e.client_addr = c.addr;
  e.client_name = c.name;
  slowlog_.push_front(std::move(e));
  while (slowlog_.size() > static_cast<size_t>(std::max<int64_t>(0, config_.slowlog_max_len))) {
    slowlog_.pop_back();
  }
}

}  // namespace ringkv::server
