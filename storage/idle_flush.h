// Work done on LevelDB once writes have stopped for a while, by a thread of
// ours (LevelDB's background thread does the work; ours asks and waits).
//
// 1. The memtable moves to a table. Every read that misses the record cache
// searches the memtable before the tables. Right after a load the memtable
// holds up to a write buffer's worth of recent keys (4 MB: tens of thousands
// of skiplist nodes), and that search is a chain of cache misses: with 5M
// keys read at random it took 8-10% of a GET. A memtable that is not written
// to anymore does nothing for reads, so after `idle_ms` without a commit it
// is moved to a level-0 table, and later reads find an empty memtable. It is
// left alone below `min_flush_bytes`: a small memtable is cheap to search,
// and flushing every trickle of writes would make many small tables for
// compactions to merge.
//
// 2. The whole database is compacted, each key range into one level (the
// deepest that holds it), once the bytes written since the last such
// compaction reach `compact_percent` of its size on disk (and
// `min_compact_bytes`). After a load, LevelDB leaves tables on several
// levels: a read that misses the cache searches one table per level (every
// level-0 table), and reads that search a table in vain make LevelDB compact
// it (its "seek compaction"), so reads keep its background thread busy for
// hundreds of thousands of requests. With each key in one level a read
// searches one table: with 5M keys loaded, 14.1k instructions per GET
// against 15.7k, plus the 4k of the seek compactions. The work is done in
// steps of a slice of the key space each (at least 16, one per 64 MB
// stored); writes that come back stop it between two steps (the next idle
// period goes on from there), as does Stop(). Rewriting the database once
// per `compact_percent` of its size written bounds what it adds to
// LevelDB's own rewriting. The bytes are counted from this object's start
// plus `pending_bytes`, which the engine saves at a clean close
// (PendingBytes()): a crash or a FLUSHALL starts from zero.
//
// 3. The same whole-database compaction on request (BGREWRITEAOF, Redis's
// command for compacting its log; LevelDB's tables are ours): at once,
// idle or not, and writes do not stop it (only Stop() does). It resets the
// count of bytes written, as an idle one does. With idle_ms 0 the thread
// does only this. LevelDB's thread runs it at normal priority, not under
// SCHED_IDLE (background_priority.h): it was asked for.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace leveldb {
class DB;
class Cache;
}  // namespace leveldb

namespace ringkv::storage {

class IdleFlusher {
 public:
  struct Options {
    int64_t idle_ms = 2000;  // 0: no idle work (1 and 2), only requests (3)
    size_t min_flush_bytes = 0;
    int compact_percent = 0;  // 0: never compacts the whole database
    uint64_t min_compact_bytes = 0;
    // Written before this object (the last run's PendingBytes()): counted,
    // and looked at once the database has been idle for idle_ms.
    uint64_t pending_bytes = 0;
  };
  // db and block_cache (may be null) must outlive this object.
  IdleFlusher(leveldb::DB* db, leveldb::Cache* block_cache, const Options& options);
  ~IdleFlusher();  // Stop()
  // Stops the thread: waits for a flush or a compaction step under way.
  // The counters and messages stay readable.
  void Stop();
  // Asks it to stop, without waiting.
  void RequestStop();
  IdleFlusher(const IdleFlusher&) = delete;
  IdleFlusher& operator=(const IdleFlusher&) = delete;

  // Loop thread: a commit wrote `bytes` to LevelDB. Plain stores, no lock.
  void NoteCommit(uint64_t bytes) {
    written_.store(local_written_ += bytes, std::memory_order_relaxed);
    commits_.store(++local_commits_, std::memory_order_relaxed);
  }

  // Loop thread: a batch went to the write-behind writer (true), or the
  // loop saw it written (false). While one is under way nothing is idle: a
  // slow writer's batch landing after an idle flush would fill the memtable
  // again. A plain store.
  void NoteFlight(bool on) { in_flight_.store(on, std::memory_order_relaxed); }

  uint64_t flushes() const { return flushes_.load(std::memory_order_relaxed); }
  // Bytes written since the last compaction. Only after Stop().
  uint64_t PendingBytes() const { return written_.load() - compacted_at_; }
  uint64_t compactions() const { return compactions_.load(std::memory_order_relaxed); }
  bool compacting() const { return compacting_.load(std::memory_order_relaxed); }

  // Loop thread: starts a requested compaction (3). False if one is asked
  // for or under way already, or the thread is stopping.
  bool RequestCompaction();
  // Requested compactions: one asked for or under way; when the one under
  // way started (steady clock ms, 0: none yet); started (as Redis counts
  // aof_rewrites) and failed in a row since the last success; the last
  // one's seconds (-1: none ended) and result.
  bool requested() const { return requested_.load(); }
  const std::atomic<bool>* requested_flag() const { return &requested_; }
  int64_t requested_start_ms() const { return requested_start_ms_.load(std::memory_order_relaxed); }
  uint64_t requested_started() const { return requested_started_.load(std::memory_order_relaxed); }
  uint64_t requested_failures() const {
    return requested_failures_.load(std::memory_order_relaxed);
  }
  int64_t last_requested_sec() const { return last_requested_sec_.load(std::memory_order_relaxed); }
  bool last_requested_ok() const { return last_requested_ok_.load(std::memory_order_relaxed); }
  // What happened since the last call, for the log (the caller writes it).
  std::vector<std::string> TakeMessages();

  // Bytes in LevelDB's memtables now (its memory use less the block cache).
  static size_t MemtableBytes(leveldb::DB* db, leveldb::Cache* block_cache);

 private:
  void Run();
  void CompactIfDue(uint64_t commits);  // commits_ when writes were found stopped
  void RunRequested();
  enum class CompactResult { kDone, kStopped, kFailed };
  // The whole-database compaction from `step` on; an idle one (not
  // `requested`) stops once commits_ moves past `commits`.
  CompactResult Compact(uint64_t commits, bool requested, int step);
  void Tell(std::string message);

  leveldb::DB* const db_;
  leveldb::Cache* const block_cache_;
  const Options options_;
  uint64_t local_commits_ = 0;  // loop thread's counts, published below
  uint64_t local_written_ = 0;
  std::atomic<uint64_t> commits_{0};
  std::atomic<bool> in_flight_{false};
  std::atomic<uint64_t> written_{0};
  // This thread's: written_ when the last compaction started; where the
  // one writes stopped would go on (0: none), out of how many steps, and
  // written_ when it stopped.
  uint64_t compacted_at_ = 0;
  int resume_step_ = 0;
  int resume_steps_ = 0;
  uint64_t resume_written_ = 0;
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<bool> compacting_{false};
  std::atomic<bool> requested_{false};  // set under mu_
  std::atomic<int64_t> requested_start_ms_{0};
  std::atomic<uint64_t> requested_started_{0};
  std::atomic<uint64_t> requested_failures_{0};
  std::atomic<int64_t> last_requested_sec_{-1};
  std::atomic<bool> last_requested_ok_{true};
  std::mutex messages_mu_;
  std::vector<std::string> messages_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace ringkv::storage
