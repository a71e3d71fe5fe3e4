// Configuration: a typed table of options with Redis's names where Redis has
// one. Sources, later winning: embedded defaults, a redis.conf-style file
// (`name value...` lines, `#` comments, quotes as redis-server splits them),
// `--name value...` flags, CONFIG SET. redis.conf.example documents each one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace ringkv::server {

using storage::Status;

enum class FsyncPolicy { kAlways, kEverySec, kNo };
enum class LogLevel { kDebug, kVerbose, kNotice, kWarning, kNothing };
enum class DebugCommand { kNo, kYes, kLocal };  // enable-debug-command

struct OutputBufferLimit {
  uint64_t hard_bytes = 0;  // 0 = no limit
  uint64_t soft_bytes = 0;
  int64_t soft_seconds = 0;
};

struct Config {
  // network
  int port = 6379;
  std::vector<std::string> bind = {"127.0.0.1", "-::1"};
  int tcp_backlog = 511;
  int64_t timeout = 0;  // seconds idle before close; 0 = never
  int64_t tcp_keepalive = 300;
  bool protected_mode = true;
  int64_t maxclients = 10000;
  // security
  std::string requirepass;
  std::map<std::string, std::string> renamed_commands;  // lowercase name -> new name ("" = off)
  // process
  bool daemonize = false;
  std::string pidfile;
  std::string logfile;  // "" = stdout
  LogLevel loglevel = LogLevel::kNotice;
  DebugCommand enable_debug_command = DebugCommand::kNo;
  int64_t hz = 10;
  // storage
  std::string dir = "./ringkv-data";
  FsyncPolicy appendfsync = FsyncPolicy::kEverySec;
  bool appendonly = false;  // accepted for compatibility; data always lives in LevelDB
  std::string save;         // accepted for compatibility ("" or "<sec> <changes>...")
  uint64_t cache_size = 256ULL << 20;
  int64_t key_filter_bits = 10;                 // in-memory filter of stored keys; 0: none
  uint64_t key_filter_rebuild_slack = 1 << 20;  // keys held past 2x stored before a rebuild
  uint64_t leveldb_block_cache_size = 0;        // 0: point reads keep no blocks
  uint64_t leveldb_mmap_size = 64ULL << 20;     // table files mapped at once (pread_env.h)
  uint64_t leveldb_write_buffer_size = 4ULL << 20;
  int64_t leveldb_max_open_files = 1000;
  int64_t leveldb_bloom_bits = 10;
  uint64_t leveldb_block_size = 4ULL << 10;
  int64_t leveldb_block_restart_interval = 16;
  bool leveldb_compression = false;      // snappy for table blocks
  int64_t leveldb_compaction_nice = 10;  // background thread, relative nice
  bool leveldb_compaction_idle = true;   // ...and SCHED_IDLE while it can wait
  int64_t leveldb_idle_flush_ms = 2000;  // memtable to disk after writes stop; 0: never
  int64_t leveldb_idle_compact_percent =
      50;                             // then the whole database, per this % written; 0: never
  int64_t write_behind_nice = 10;     // write-behind thread, relative nice
  int64_t write_behind_ms = 10;       // journal + delayed LevelDB writes; 0: off
  bool write_behind_adaptive = true;  // journal only where it pays (else always)
  uint64_t journal_segment_size = 64 << 20;    // a journal segment this big is rotated
  uint64_t slot_log_fold_pairs = 8 << 14;      // slot count log pairs that start a fold
  int64_t active_expire_keys_per_cycle = 200;  // keys examined per expiry step (hz times a second)
  int64_t databases = 1;
  // limits
  uint64_t proto_max_bulk_len = 512ULL << 20;
  uint64_t client_query_buffer_limit = 1ULL << 30;
  OutputBufferLimit output_limit_normal;  // client-output-buffer-limit normal ...
  OutputBufferLimit output_limit_replica{256ULL << 20, 64ULL << 20, 60};
  OutputBufferLimit output_limit_pubsub{32ULL << 20, 8ULL << 20, 60};
  // observability
  int64_t slowlog_log_slower_than = 10000;  // microseconds; <0 disables, 0 logs all
  int64_t slowlog_max_len = 128;
  bool latency_tracking = true;  // INFO latencystats
  std::vector<double> latency_tracking_info_percentiles = {50, 99, 99.9};

  // cluster (DESIGN.md section 5)
  bool cluster_enabled = false;
  std::vector<std::string> cluster_seeds;  // "host:port" of nodes to meet at start
  std::string cluster_secret;              // peers must present it in PEER.HELLO
  std::string cluster_announce_ip;         // address peers use for us ("" = first bind address)
  int64_t replicas = 3;                    // N
  int64_t read_quorum = 2;                 // R
  int64_t write_quorum = 2;                // W
  int64_t cluster_vnodes = 1024;           // ring tokens per unit of weight
  int64_t cluster_weight = 1;
  int64_t gossip_interval_ms = 200;
  int64_t cluster_node_timeout = 3000;  // ms without a heartbeat before a peer is down
  int64_t peer_request_timeout_ms = 2000;
  int64_t cluster_pipeline_depth = 16;  // commands of one client in flight at once

  std::string config_file;  // absolute path of the file read at start ("" = none)
};

struct OptionDef {
  std::string_view name;
  bool runtime_mutable;  // CONFIG SET allowed
  // Parses the option's arguments (already split) into `cfg`. The message of
  // a failed Status is what CONFIG SET and start-up report.
  std::function<Status(Config& cfg, const std::vector<std::string>& args)> set;
  // The value as CONFIG GET and CONFIG REWRITE print it.
  std::function<std::string(const Config& cfg)> get;
};

// Every option, in the order redis.conf.example lists them.
const std::vector<OptionDef>& Options();
const OptionDef* FindOption(std::string_view name);  // case-insensitive

// Parses "32mb", "1gb", "100k", "4096" like redis-server (k=1000, kb=1024...).
bool ParseMemory(std::string_view s, uint64_t* out);

// Applies a whole config text (file contents). On failure the message names
// the line: "line 12: 'foo bar': unknown option".
Status ApplyConfigText(std::string_view text, Config* cfg);
// Loads the file at `path` (remembered in cfg->config_file for REWRITE).
Status LoadConfigFile(const std::string& path, Config* cfg);
// Applies `ringkv-server [file] [--name value...]`. `argv[0]` is the program.
Status ParseCommandLine(int argc, char** argv, Config* cfg);
// CONFIG SET name value (runtime-mutable options only).
Status SetOption(Config* cfg, std::string_view name, std::string_view value);
// CONFIG REWRITE: rewrites cfg->config_file keeping comments and unknown
// lines' order, replacing or appending option lines whose value differs from
// the default.
Status RewriteConfigFile(const Config& cfg);

}  // namespace ringkv::server
