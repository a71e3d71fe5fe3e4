// INFO: Redis 7's sections and field names, so redis-cli --stat, exporters
// and client libraries read it as they read Redis's, plus ringkv's own
// `# Storage` (the record cache and LevelDB) and `# Cluster` (the ring, the
// quorums and the coordinator's counters). Fields that
// describe Redis machinery we do not have (RDB children, replication
// backlog, AOF rewrites) keep their idle values.
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>

#include "server/cluster_node.h"
#include "server/command_docs.h"
#include "server/server.h"
#include "storage/engine.h"

namespace ringkv::server {
namespace {

// Redis's bytesToHuman: "1023B", "1.50K", "12.00M", ...
std::string BytesToHuman(uint64_t n) {
  constexpr std::array<char, 5> kUnits = {'K', 'M', 'G', 'T', 'P'};
  if (n < 1024) return fmt::format("{}B", n);
  double v = static_cast<double>(n) / 1024;
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < kUnits.size()) {
    v /= 1024;
    ++unit;
  }
  return fmt::format("{:.2f}{}", v, kUnits[unit]);
}

// Resident bytes, all of them and those that are file pages (of the
// binary, its libraries, and LevelDB's mapped table files).
void RssBytes(uint64_t* rss, uint64_t* file) {
  *rss = *file = 0;
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return;
  unsigned long size = 0, resident = 0, shared = 0;  // NOLINT(runtime/int): the format's type
  int got = fscanf(f, "%lu %lu %lu", &size, &resident, &shared);
  fclose(f);
  if (got != 3) return;
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  *rss = static_cast<uint64_t>(resident) * page;
  *file = static_cast<uint64_t>(shared) * page;
}

// Bytes handed out by malloc (small blocks and mmapped ones): the record
// cache, LevelDB's memtable and block cache, connection buffers.
uint64_t HeapBytes() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<uint64_t>(mi.uordblks) + static_cast<uint64_t>(mi.hblkhd);
}

uint64_t TotalSystemMemory() {
  long pages = sysconf(_SC_PHYS_PAGES);    // NOLINT(runtime/int)
  long page_size = sysconf(_SC_PAGESIZE);  // NOLINT(runtime/int)
  return pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size : 0;
}

std::string Executable() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string OsName() {
  struct utsname u;
  if (uname(&u) != 0) return "unknown";
  return fmt::format("{} {} {}", u.sysname, u.release, u.machine);
}

std::string CpuSeconds(const timeval& tv) {
  return fmt::format("{}.{:06}", static_cast<int64_t>(tv.tv_sec), static_cast<int64_t>(tv.tv_usec));
}

std::string_view FsyncName(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kEverySec:
      return "everysec";
    case FsyncPolicy::kNo:
      return "no";
  }
  return "everysec";
}

// The "instantaneous" rates are measured between two INFO calls at least
// 100 ms apart (redis-cli --stat asks once per interval), rather than by a
// sampling timer. Process-wide and loop-thread only, like the stats.
struct Rates {
  int64_t at_ms = 0;
  uint64_t commands = 0, net_in = 0, net_out = 0;
  double ops_per_sec = 0, input_kbps = 0, output_kbps = 0;
};
Rates g_rates;
uint64_t g_peak_memory = 0;

void UpdateRates(int64_t now_ms, const ServerStats& s) {
  Rates& r = g_rates;
  bool went_back = s.total_commands_processed < r.commands || s.total_net_input_bytes < r.net_in ||
                   s.total_net_output_bytes < r.net_out;  // CONFIG RESETSTAT
  if (r.at_ms != 0 && !went_back && now_ms - r.at_ms < 100) return;
  if (r.at_ms != 0 && !went_back && now_ms > r.at_ms) {
    double secs = static_cast<double>(now_ms - r.at_ms) / 1000;
    r.ops_per_sec = static_cast<double>(s.total_commands_processed - r.commands) / secs;
    r.input_kbps = static_cast<double>(s.total_net_input_bytes - r.net_in) / secs / 1024;
    r.output_kbps = static_cast<double>(s.total_net_output_bytes - r.net_out) / secs / 1024;
  } else {
    r.ops_per_sec = r.input_kbps = r.output_kbps = 0;
  }
  r.at_ms = now_ms;
  r.commands = s.total_commands_processed;
  r.net_in = s.total_net_input_bytes;
  r.net_out = s.total_net_output_bytes;
}

// Accumulates "# Name\r\nkey:value\r\n..." with a blank line between
// sections and none after the last, as Redis does.
class InfoText {
 public:
  void Section(std::string_view name) {
    if (!out_.empty()) out_.append("\r\n");
    fmt::format_to(std::back_inserter(out_), "# {}\r\n", name);
  }
  template <class T>
  void Field(std::string_view key, const T& value) {
    fmt::format_to(std::back_inserter(out_), "{}:{}\r\n", key, value);
  }
  void Line(std::string_view line) {
    out_.append(line);
    out_.append("\r\n");
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

constexpr std::string_view kDefaultSections[] = {
    "server", "clients", "memory",     "persistence", "stats",   "replication",
    "cpu",    "modules", "errorstats", "storage",     "cluster", "keyspace"};
constexpr std::string_view kAllOnly[] = {"commandstats", "latencystats"};

// The lowercase section names asked for; "" and "default" mean the default
// set, "all" adds per-command sections, "everything" is all of them.
std::set<std::string> WantedSections(std::string_view request) {
  std::set<std::string> wanted;
  auto add_default = [&] {
    for (auto s : kDefaultSections) wanted.emplace(s);
  };
  size_t pos = 0;
  bool any = false;
  while (pos < request.size()) {
    size_t end = request.find(' ', pos);
    if (end == std::string_view::npos) end = request.size();
    std::string word = ToLower(request.substr(pos, end - pos));
    pos = end + 1;
    if (word.empty()) continue;
    any = true;
    if (word == "default") {
      add_default();
    } else if (word == "all" || word == "everything") {
      add_default();
      for (auto s : kAllOnly) wanted.emplace(s);
    } else {
      wanted.insert(word);
    }
  }
  if (!any) add_default();
  return wanted;
}

// Command statistics in name order (commandstats, latencystats).
std::vector<std::pair<std::string_view, const ServerStats::CommandStat*>> SortedByName(
    const std::unordered_map<const CommandSpec*, ServerStats::CommandStat>& stats) {
  std::vector<std::pair<std::string_view, const ServerStats::CommandStat*>> sorted;
  sorted.reserve(stats.size());
  for (const auto& [spec, cs] : stats) sorted.emplace_back(spec->name, &cs);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return sorted;
}

}  // namespace

std::string Server::Info(std::string_view section) {
  std::set<std::string> wanted = WantedSections(section);
  auto want = [&](std::string_view s) { return wanted.count(std::string(s)) > 0; };
  InfoText t;
  int64_t now_ms = NowMs();
  const ServerStats& st = stats_;

  if (want("server")) {
    int64_t uptime = (now_ms - start_time_ms_) / 1000;
    t.Section("Server");
    t.Field("redis_version", kRedisCompatVersion);
    t.Field("redis_git_sha1", "00000000");
    t.Field("redis_git_dirty", 0);
    t.Field("redis_build_id", "0");
    t.Field("redis_mode", cluster_ ? "cluster" : "standalone");
    t.Field("os", OsName());
    t.Field("arch_bits", sizeof(void*) * 8);
    t.Field("monotonic_clock", "POSIX clock_gettime");
    t.Field("multiplexing_api", "libuv");
    t.Field("atomicvar_api", "c11-builtin");
#ifdef __GNUC__
    t.Field("gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
#endif
    t.Field("process_id", getpid());
    t.Field("process_supervised", "no");
    t.Field("run_id", run_id_);
    t.Field("tcp_port", actual_port_);
    t.Field("server_time_usec", std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
    t.Field("uptime_in_seconds", uptime);
    t.Field("uptime_in_days", uptime / 86400);
    t.Field("hz", config_.hz);
    t.Field("configured_hz", config_.hz);
    t.Field("lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
    t.Field("executable", Executable());
    t.Field("config_file", config_.config_file);
    t.Field("io_threads_active", 0);
    t.Field("ringkv_version", kRingkvVersion);
  }

  if (want("clients")) {
    size_t max_in = 0, max_out = 0;
    for (Client* c : Clients()) {
      max_in = std::max(max_in, c->query_buffer_bytes);
      max_out = std::max(max_out, c->output_bytes);
    }
    t.Section("Clients");
    t.Field("connected_clients", connected_clients());
    t.Field("cluster_connections", 0);
    t.Field("maxclients", config_.maxclients);
    t.Field("client_recent_max_input_buffer", max_in);
    t.Field("client_recent_max_output_buffer", max_out);
    t.Field("blocked_clients", blocked_clients());
    t.Field("tracking_clients", 0);
    t.Field("clients_in_timeout_table", 0);
  }

  if (want("memory")) {
    uint64_t used = HeapBytes(), rss = 0, file = 0, total = TotalSystemMemory();
    RssBytes(&rss, &file);
    g_peak_memory = std::max(g_peak_memory, used);
    t.Section("Memory");
    t.Field("used_memory", used);
    t.Field("used_memory_human", BytesToHuman(used));
    t.Field("used_memory_rss", rss);
    t.Field("used_memory_rss_human", BytesToHuman(rss));
    t.Field("used_memory_peak", g_peak_memory);
    t.Field("used_memory_peak_human", BytesToHuman(g_peak_memory));
    t.Field("used_memory_peak_perc",
            fmt::format("{:.2f}%", g_peak_memory ? 100.0 * used / g_peak_memory : 100.0));
    t.Field("total_system_memory", total);
    t.Field("total_system_memory_human", BytesToHuman(total));
    t.Field("maxmemory", 0);
    t.Field("maxmemory_human", "0B");
    t.Field("maxmemory_policy", "noeviction");
    // Over the RSS less the mapped table files' resident pages (up to
    // leveldb-mmap-size): they are the kernel's page cache, not memory the
    // allocator lost, and would read as fragmentation to Redis monitoring.
    const uint64_t mapped = std::min(file, storage::Engine::mapped_bytes());
    t.Field("mem_fragmentation_ratio",
            fmt::format("{:.2f}", used ? static_cast<double>(rss - mapped) / used : 0.0));
    t.Field("mem_allocator", "libc");
  }

  if (want("persistence")) {
    // Every acknowledged write is already in LevelDB's log: nothing is ever
    // waiting for a save, and there is never a background child.
    t.Section("Persistence");
    t.Field("loading", 0);
    t.Field("async_loading", 0);
    t.Field("rdb_changes_since_last_save", 0);
    t.Field("rdb_bgsave_in_progress", 0);
    t.Field("rdb_last_save_time", last_save_sec_);
    t.Field("rdb_last_bgsave_status", "ok");
    t.Field("rdb_last_bgsave_time_sec", 0);
    t.Field("rdb_current_bgsave_time_sec", -1);
    t.Field("aof_enabled", config_.appendonly ? 1 : 0);
    // An AOF rewrite is a compaction of LevelDB's tables (BGREWRITEAOF).
    const storage::Engine::RequestedCompactions rc = engine_->requested_compactions();
    t.Field("aof_rewrite_in_progress", rc.in_progress ? 1 : 0);
    t.Field("aof_rewrite_scheduled", 0);
    t.Field("aof_last_rewrite_time_sec", rc.last_sec);
    t.Field("aof_current_rewrite_time_sec",
            rc.in_progress ? std::max<int64_t>(rc.current_sec, 0) : -1);
    t.Field("aof_last_bgrewrite_status", rc.last_ok ? "ok" : "err");
    t.Field("aof_rewrites", rc.started);
    t.Field("aof_rewrites_consecutive_failures", rc.failures_in_a_row);
    t.Field("aof_last_write_status", st.storage_errors ? "err" : "ok");
  }

  if (want("stats")) {
    UpdateRates(now_ms, st);
    t.Section("Stats");
    t.Field("total_connections_received", st.total_connections_received);
    t.Field("total_commands_processed", st.total_commands_processed);
    t.Field("instantaneous_ops_per_sec", static_cast<int64_t>(g_rates.ops_per_sec + 0.5));
    t.Field("total_net_input_bytes", st.total_net_input_bytes);
    t.Field("total_net_output_bytes", st.total_net_output_bytes);
    t.Field("total_net_repl_input_bytes", 0);
    t.Field("total_net_repl_output_bytes", 0);
    t.Field("instantaneous_input_kbps", fmt::format("{:.2f}", g_rates.input_kbps));
    t.Field("instantaneous_output_kbps", fmt::format("{:.2f}", g_rates.output_kbps));
    t.Field("instantaneous_input_repl_kbps", "0.00");
    t.Field("instantaneous_output_repl_kbps", "0.00");
    t.Field("rejected_connections", st.rejected_connections);
    t.Field("sync_full", 0);
    t.Field("sync_partial_ok", 0);
    t.Field("sync_partial_err", 0);
    t.Field("expired_keys", engine_->stats().expired_keys - st.expired_keys_base);
    t.Field("expired_stale_perc", "0.00");
    t.Field("expired_time_cap_reached_count", 0);
    t.Field("evicted_keys", 0);
    t.Field("evicted_clients", 0);
    t.Field("keyspace_hits", st.keyspace_hits);
    t.Field("keyspace_misses", st.keyspace_misses);
    t.Field("pubsub_channels", 0);
    t.Field("pubsub_patterns", 0);
    t.Field("pubsubshard_channels", 0);
    t.Field("latest_fork_usec", 0);
    t.Field("total_forks", 0);
    t.Field("total_error_replies", st.total_error_replies);
    t.Field("unexpected_error_replies", 0);
    // Redis 7.2's names for these.
    t.Field("acl_access_denied_auth", st.auth_failures);
    t.Field("client_query_buffer_limit_disconnections", st.client_query_limit_disconnections);
    t.Field("client_output_buffer_limit_disconnections", st.client_output_limit_disconnections);
    // ringkv's own.
    t.Field("protocol_errors", st.protocol_errors);
    t.Field("storage_errors", st.storage_errors);
  }

  if (want("replication")) {
    t.Section("Replication");
    t.Field("role", "master");
    t.Field("connected_slaves", 0);
    t.Field("master_failover_state", "no-failover");
    t.Field("master_replid", run_id_);
    t.Field("master_replid2", std::string(40, '0'));
    t.Field("master_repl_offset", 0);
    t.Field("second_repl_offset", -1);
    t.Field("repl_backlog_active", 0);
    t.Field("repl_backlog_size", 0);
    t.Field("repl_backlog_first_byte_offset", 0);
    t.Field("repl_backlog_histlen", 0);
  }

  if (want("cpu")) {
    rusage self{}, children{}, thread{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread);
    t.Section("CPU");
    t.Field("used_cpu_sys", CpuSeconds(self.ru_stime));
    t.Field("used_cpu_user", CpuSeconds(self.ru_utime));
    t.Field("used_cpu_sys_children", CpuSeconds(children.ru_stime));
    t.Field("used_cpu_user_children", CpuSeconds(children.ru_utime));
    t.Field("used_cpu_sys_main_thread", CpuSeconds(thread.ru_stime));
    t.Field("used_cpu_user_main_thread", CpuSeconds(thread.ru_utime));
  }

  if (want("modules")) t.Section("Modules");
  if (want("commandstats")) {
    t.Section("Commandstats");
    for (const auto& [name, cs] : SortedByName(stats_.commands)) {
      double per_call =
          cs->calls ? static_cast<double>(cs->nsec) / 1000.0 / static_cast<double>(cs->calls) : 0;
      t.Line(fmt::format(
          "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}",
          name, cs->calls, cs->nsec / 1000, per_call, cs->rejected_calls, cs->failed_calls));
    }
  }
  if (want("errorstats")) {
    t.Section("Errorstats");
    for (const auto& [code, count] : stats_.errors) {
      t.Line(fmt::format("errorstat_{}:count={}", code, count));
    }
  }
  if (want("latencystats")) {
    t.Section("Latencystats");
    // Redis prints nothing here while tracking is off, kept values or not.
    if (config_.latency_tracking) {
      for (const auto& [name, cs] : SortedByName(stats_.commands)) {
        if (!cs->latency || cs->latency->count() == 0) continue;
        std::string line = fmt::format("latency_percentiles_usec_{}:", name);
        bool first = true;
        for (double p : config_.latency_tracking_info_percentiles) {
          line += fmt::format("{}p{}={:.3f}", first ? "" : ",", p, cs->latency->PercentileUsec(p));
          first = false;
        }
        t.Line(line);
      }
    }
  }

  if (want("storage")) {
    storage::Engine& e = *engine_;
    const storage::EngineStats& es = e.stats();
    std::string leveldb_mem = e.Property("leveldb.approximate-memory-usage");
    t.Section("Storage");
    t.Field("data_dir", e.dir());
    t.Field("appendfsync", FsyncName(config_.appendfsync));
    t.Field("cache_bytes", e.cache().bytes());
    t.Field("cache_entries", e.cache().entries());
    t.Field("cache_capacity", e.cache().capacity());
    t.Field("cache_hits", es.cache_hits);
    t.Field("cache_misses", es.cache_misses);
    t.Field("cache_evictions", e.cache().evictions());
    t.Field("cache_admissions_refused", e.cache().admissions_refused());
    t.Field("disk_reads", es.disk_reads);
    const storage::KeyFilter* kf = e.key_filter();
    t.Field("key_filter_loaded", kf && kf->loaded() ? 1 : 0);
    t.Field("key_filter_keys", kf ? kf->keys() : 0);
    t.Field("key_filter_bytes", kf ? kf->bytes() : 0);
    t.Field("key_filter_stages", kf ? kf->stages() : 0);
    t.Field("key_filter_skipped_reads", es.filtered_reads);
    t.Field("key_filter_rebuilds", e.key_filter_rebuilds());
    t.Field("commits", es.commits);
    t.Field("committed_writes", es.committed_writes);
    t.Field("coalesced_writes", es.coalesced_writes);
    t.Field("syncs", es.syncs);
    t.Field("write_behind_journaling", e.journaling() ? 1 : 0);
    t.Field("write_behind_switches", es.behind_switches);
    t.Field("write_behind_flushes", es.behind_flushes);
    t.Field("write_behind_writes", es.behind_writes);
    t.Field("write_behind_waits", es.behind_waits);
    t.Field("write_behind_lifts", es.behind_lifts);
    t.Field("write_behind_pending", e.unflushed());
    t.Field("write_behind_held", e.held_keys());
    t.Field("journal_segments", e.journal_segments());
    t.Field("journal_replayed_records", es.replayed_records);
    t.Field("journal_range_writes", es.journal_ranges);
    t.Field("journal_patch_writes", es.journal_patches);
    t.Field("appends_in_place", es.appends_in_place);
    t.Field("changes_in_place", es.changes_in_place);
    t.Field("journal_syncs_before_flush", es.journal_syncs);
    t.Field("slot_log_folds", es.slot_log_folds);
    t.Field("leveldb_memory", leveldb_mem.empty() ? "0" : leveldb_mem);
    t.Field("leveldb_mapped_bytes", e.mapped_bytes());
    t.Field("leveldb_idle_flushes", e.idle_flushes());
    t.Field("leveldb_idle_compactions", e.idle_compactions());
    t.Field("leveldb_idle_compacting", e.idle_compacting() ? 1 : 0);
    // LevelDB delays each write by 1 ms from 8 level-0 files on and stops
    // writes at 12, until compaction catches up.
    std::string l0 = e.Property("leveldb.num-files-at-level0");
    t.Field("leveldb_level0_files", l0.empty() ? "0" : l0);
    // Every level's file count, from level 0 down: a read of a key that is
    // in none of the caches probes one file per level (each level-0 file).
    t.Field("leveldb_level_files", e.FilesPerLevel());
    t.Field("leveldb_compaction_idle", e.compaction_idle() ? 1 : 0);
    t.Field("leveldb_compaction_boosts", e.compaction_boosts());
    t.Field("disk_bytes", e.ApproximateDiskBytes());
  }

  if (want("cluster")) {
    // Redis prints only cluster_enabled; the rest is ringkv's, with a single
    // node described as a cluster of one (N = R = W = 1, no peers).
    t.Section("Cluster");
    ClusterNode* node = cluster_.get();
    cluster::CoordinatorStats cs;
    ClusterStats ns;
    size_t members = 1, up = 1;
    if (node) {
      cs = node->coordinator().stats();
      ns = node->stats();
      std::vector<cluster::Member> all = node->membership().Members();
      members = all.size();
      up = static_cast<size_t>(
          std::count_if(all.begin(), all.end(), [&](const auto& m) { return node->IsUp(m.id); }));
    }
    t.Field("cluster_enabled", node ? 1 : 0);
    t.Field("cluster_node_id", node ? node->self_id() : "");
    t.Field("cluster_nodes", members);
    t.Field("cluster_nodes_up", up);
    t.Field("ring_vnodes", node ? node->ring().vnodes() : 0);
    t.Field("ring_tokens", node ? node->ring().token_count() : 0);
    t.Field("replicas", node ? node->replicas() : 1);
    t.Field("read_quorum", node ? node->default_read_quorum() : 1);
    t.Field("write_quorum", node ? node->default_write_quorum() : 1);
    t.Field("reads", cs.reads);
    t.Field("writes", cs.writes);
    t.Field("read_repairs", cs.read_repairs);
    t.Field("conflicts_resolved", cs.conflicts_resolved);
    t.Field("quorum_failures", cs.quorum_failures);
    t.Field("forwarded", ns.forwarded);
    t.Field("forward_failures", ns.forward_failures);
    t.Field("remote_applies", cs.remote_applies);
    t.Field("stale_applies", cs.stale_applies);
    t.Field("hints_stored", cs.hints_stored);
    t.Field("hints_delivered", cs.hints_delivered);
    uint64_t hints_pending = 0;
    std::map<std::string, uint64_t> by_node;
    if (node) {
      auto p = node->coordinator().PendingHints(&by_node);
      if (p.ok()) hints_pending = *p;
    }
    t.Field("hints_pending", hints_pending);
    // Whom they are for: "<node id>=<hints>,...", by node id ("" if none).
    std::string for_nodes;
    for (const auto& [id, n] : by_node) {
      if (!for_nodes.empty()) for_nodes += ',';
      for_nodes += id + "=" + std::to_string(n);
    }
    t.Field("hints_pending_by_node", for_nodes);
    t.Field("peer_requests", node ? node->peers().requests() : 0);
    t.Field("peer_errors", node ? node->peers().errors() : 0);
    t.Field("gossip_sent", ns.gossip_sent);
    t.Field("gossip_received", ns.gossip_received);
    t.Field("ring_rebuilds", ns.ring_rebuilds);
  }

  if (want("keyspace")) {
    t.Section("Keyspace");
    uint64_t keys = engine_->KeyCount();
    if (keys > 0) {
      t.Line(fmt::format("db0:keys={},expires={},avg_ttl={}", keys, engine_->ExpiresCount(),
                         engine_->AvgTtlMs(NowMs())));
    }
  }
  return t.Take();
}

}  // namespace ringkv::server
