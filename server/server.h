// The server: owns the libuv loop, the listeners, every connection, the
// timers (active expiry, everysec fsync, idle timeouts) and the KeyStore.
// Handlers reach shared state through this interface. Loop thread only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/clock.h"
#include "cluster/keystore.h"
#include "server/client.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/latency_histogram.h"
#include "server/log.h"

namespace ringkv::storage {
class Engine;
}

namespace ringkv::server {

class Connection;
class Listener;
class ClusterNode;

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  // INFO expired_keys is the engine's count (active and lazy expiry) minus
  // what it was at the last CONFIG RESETSTAT.
  uint64_t expired_keys_base = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t total_error_replies = 0;
  uint64_t auth_failures = 0;
  uint64_t protocol_errors = 0;
  uint64_t client_output_limit_disconnections = 0;
  uint64_t client_query_limit_disconnections = 0;
  uint64_t storage_errors = 0;
  uint64_t commits = 0;
  struct CommandStat {
    uint64_t calls = 0;
    uint64_t nsec = 0;            // summed in ns: most calls take under a microsecond
    uint64_t rejected_calls = 0;  // refused before running (arity, NOAUTH, MISCONF...)
    uint64_t failed_calls = 0;    // ran and answered an error
    std::unique_ptr<LatencyHistogram> latency;  // INFO latencystats; made on first use
  };
  // INFO commandstats (by command, sorted by name when printed): a hash of
  // the spec's address, as this is counted for every command.
  std::unordered_map<const CommandSpec*, CommandStat> commands;
  std::map<std::string, uint64_t, std::less<>> errors;  // INFO errorstats, by error code
};

struct SlowLogEntry {
  uint64_t id;
  int64_t time_sec;
  int64_t duration_us;
  std::vector<std::string> args;  // truncated like Redis (32 args, 128 bytes each)
  std::string client_addr;
  std::string client_name;
};

class Server : private cluster::KeyObserver {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens storage and listeners; false (after logging why) on failure.
  bool Start();
  // The storage half of Start(), for in-process tests that need no sockets.
  bool OpenStorage();
  // Runs the loop until SHUTDOWN or a signal. Returns the process exit code.
  int Run();

  // --- for handlers ---
  const Config& config() const { return config_; }
  // CONFIG SET: validates, applies, and updates what depends on the option.
  Status SetConfig(std::string_view name, std::string_view value);
  Status RewriteConfig();
  ServerStats& stats() { return stats_; }
  // INFO keyspace_hits / keyspace_misses: one key lookup by a command that
  // reads (Redis does not count the lookups of write commands).
  void CountLookup(bool hit) { ++(hit ? stats_.keyspace_hits : stats_.keyspace_misses); }
  void ResetStats();
  Logger& log() { return log_; }
  const CommandTable& commands() const { return commands_; }
  // The node-local store (single node: the only one).
  cluster::KeyStore& store() { return *store_; }
  // The store `client`'s commands use: the local store on a single node, the
  // client's quorum session in cluster mode.
  cluster::KeyStore& StoreFor(Client& client);
  // Non-null in cluster mode.
  ClusterNode* cluster() { return cluster_.get(); }
  storage::Engine& engine() { return *engine_; }
  const cluster::Clock& clock() const { return clock_; }
  int64_t NowMs() const { return clock_.NowMs(); }
  int64_t start_time_ms() const { return start_time_ms_; }
  int64_t last_save_sec() const { return last_save_sec_; }
  const std::string& run_id() const { return run_id_; }
  int actual_port() const { return actual_port_; }

  std::vector<Client*> Clients();
  Client* FindClient(uint64_t id);
  // `killer` is the client running CLIENT KILL: it gets its reply first;
  // any other is closed at once (as Redis frees it), pending output dropped.
  void KillClient(Client* c, const Client* killer);
  size_t connected_clients() const { return connections_.size(); }
  // Clients whose next command waits for CLIENT PAUSE to end (Redis counts
  // them as blocked too).
  size_t blocked_clients() const { return paused_conns_.size(); }

  // WATCH bookkeeping.
  void Watch(Client* c, std::string_view key);
  void UnwatchAll(Client* c);
  // One node's view of a key for WATCH: stored (expired or not; a read error
  // counts as present), and stored but expired and not yet purged.
  bool KeyPresent(std::string_view key);
  bool KeyExpiredNotPurged(std::string_view key);

  // Non-empty once a storage write failed: write commands are refused
  // (MISCONF) until a restart, so nothing is acknowledged that cannot be stored.
  const std::string& storage_error() const { return storage_error_; }

  // SAVE / BGSAVE: commit and fsync everything. Updates LASTSAVE.
  Status SaveNow();
  // SHUTDOWN: stop accepting, flush, exit the loop with `exit_code`.
  void RequestShutdown(int exit_code = 0);

  // CLIENT PAUSE: until `until_ms`, hold every command of a normal client
  // (`all`) or only those that write. A second pause keeps the later end and
  // the stricter mode.
  void Pause(int64_t until_ms, bool all);
  // CLIENT UNPAUSE, or the pause's end (checked by the hz timer): the held
  // connections run what they received meanwhile, at the end of this turn.
  void Unpause();
  bool paused() const { return pause_ != PauseMode::kNone; }
  // True if `args` from `c` must wait for the pause to end. Peer links are
  // never held; commands that fail their arity check are answered at once.
  bool PauseHolds(const Client& c, std::span<const std::string_view> args) const;
  void WaitForUnpause(Connection* conn) { paused_conns_.push_back(conn); }

  // SLOWLOG
  // `name`: the command's real name (it decides which arguments are secret).
  void RecordSlow(const Client& c, std::string_view name, std::span<const std::string_view> args,
                  int64_t duration_us);
  const std::deque<SlowLogEntry>& slowlog() const { return slowlog_; }
  void ResetSlowlog() { slowlog_.clear(); }

  // INFO text for `section` ("" or "default", "all", "everything", a name).
  std::string Info(std::string_view section);

  // MONITOR: `c`, a client connection's, receives a line (monitor.h) for
  // every command run from now on; false if `c` has no connection. Ended by
  // RemoveMonitor (RESET) or by closing.
  bool AddMonitor(Client* c);
  void RemoveMonitor(Client* c);
  // After `spec` ran (`sub` the subcommand it ran, if any): tells the
  // monitors, except of admin commands (as Redis: they may carry secrets),
  // of subcommands refused before running, and of the cluster's own traffic
  // (PEER.*, and a command another node forwarded here: that node shows it).
  void FeedMonitors(const Client& c, const CommandSpec& spec, const CommandSpec* sub,
                    std::span<const std::string_view> args) {
    if (!monitors_.empty() && !c.is_peer && !c.forwarded) FeedMonitorsSlow(c, spec, sub, args);
  }

  // --- for connections ---
  void OnAccepted(std::unique_ptr<Connection> conn);
  void OnClosed(Connection* conn);
  // Called by a connection that produced output or writes this turn.
  void MarkDirty(Connection* conn);
  uint64_t NextClientId() { return ++last_client_id_; }

 private:
  friend class Connection;
  void FeedMonitorsSlow(const Client& c, const CommandSpec& spec, const CommandSpec* sub,
                        std::span<const std::string_view> args);
  friend class Listener;
  void KeyChanged(std::string_view key) override;
  void AllKeysChanged() override;
  void AllKeysRemoving() override;
  void EndTurn();     // uv_check: commit the turn's writes, then flush replies
  void ResumeHeld();  // after a pause: run the connections it held
  void Cron();        // hz timer: active expiry, idle timeouts, output-limit checks
  static uint64_t CronPeriodMs(int64_t hz);
  void OnEverySec();
  void CloseListeners();
  bool Listen();
  bool StartLoopHandles();

  Config config_;
  Logger log_;
  cluster::SystemClock clock_;
  CommandTable commands_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<cluster::KeyStore> store_;
  std::unique_ptr<ClusterNode> cluster_;
  ServerStats stats_;
  std::deque<SlowLogEntry> slowlog_;
  uint64_t slowlog_next_id_ = 0;
  uint64_t last_client_id_ = 0;
  int64_t start_time_ms_ = 0;
  int64_t last_save_sec_ = 0;
  std::string run_id_;
  std::string storage_error_;
  int actual_port_ = 0;
  int exit_code_ = 0;
  bool shutting_down_ = false;
  bool dirty_since_sync_ = false;
  bool loop_handles_started_ = false;

  // appendfsync everysec: a background thread fsyncs LevelDB's log once a
  // second when something was written, so the loop never waits for the disk.
  void StartSyncThread();
  void StopSyncThread();
  std::thread sync_thread_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool sync_stop_ = false;                // guarded by sync_mu_
  std::atomic<bool> sync_wanted_{false};  // set by the loop, taken by the thread
  std::atomic<uint64_t> sync_failures_{0};

  struct LoopState;  // libuv handles (uv types stay out of this header)
  std::unique_ptr<LoopState> loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> dirty_;
  enum class PauseMode { kNone, kWrite, kAll };
  PauseMode pause_ = PauseMode::kNone;
  int64_t pause_until_ms_ = 0;
  std::vector<Connection*> monitors_;      // MONITOR
  std::vector<Connection*> paused_conns_;  // held by a pause, in arrival order
  std::unordered_map<std::string, std::vector<Client*>> watchers_;
};

}  // namespace ringkv::server
