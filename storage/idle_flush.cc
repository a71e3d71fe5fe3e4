#include "storage/idle_flush.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace ringkv::storage {

IdleFlusher::IdleFlusher(leveldb::DB* db, leveldb::Cache* block_cache, int64_t idle_ms,
                         size_t min_bytes)
    : db_(db),
      block_cache_(block_cache),
      idle_ms_(std::max<int64_t>(1, idle_ms)),
      min_bytes_(min_bytes),
      thread_([this] { Run(); }) {}

IdleFlusher::~IdleFlusher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

size_t IdleFlusher::MemtableBytes(leveldb::DB* db, leveldb::Cache* block_cache) {
  std::string v;
  if (!db->GetProperty("leveldb.approximate-memory-usage", &v)) return 0;
  size_t total = std::stoull(v);
  size_t blocks = block_cache ? block_cache->TotalCharge() : 0;
  return total > blocks ? total - blocks : 0;
}

void IdleFlusher::Run() {
  // Looks twice per idle period: a memtable is moved between idle_ms and
  // 1.5 idle_ms after the last commit.
  const auto tick = std::chrono::milliseconds(std::max<int64_t>(1, idle_ms_ / 2));
  // Counted from this object's construction: a commit made before this
  // thread got to run is seen as one (the database opened with an empty
  // memtable, which a recovered log was moved out of).
  uint64_t seen = 0;
  uint64_t flushed_at = 0;  // the commit count when the memtable last moved
  auto quiet_since = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, tick, [this] { return stop_; })) {
    const auto now = std::chrono::steady_clock::now();
    const uint64_t c = commits_.load(std::memory_order_relaxed);
    if (c != seen) {
      seen = c;
      quiet_since = now;
      continue;
    }
    if (c == flushed_at || now - quiet_since < std::chrono::milliseconds(idle_ms_)) continue;
    flushed_at = c;
    if (MemtableBytes(db_, block_cache_) < min_bytes_) continue;
    // LevelDB compacts its memtable first whatever the range; a range past
    // every key (all of ours start with a letter) overlaps no table, so
    // nothing else is rewritten. The stop flag waits for it.
    const std::string past_all(8, '\xff');
    const leveldb::Slice k(past_all);
    db_->CompactRange(&k, &k);
    flushes_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace ringkv::storage
