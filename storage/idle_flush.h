// Moves LevelDB's write buffer (its memtable) into a table once writes have
// stopped for a while.
//
// Every read that misses the record cache searches the memtable before the
// tables. Right after a load the memtable holds up to a write buffer's worth
// of recent keys (4 MB: tens of thousands of skiplist nodes), and that search
// is a chain of cache misses: with 5M keys read at random it took 8-10% of a
// GET. A memtable that is not written to anymore does nothing for reads, so
// after `idle_ms` without a commit a thread of ours asks LevelDB to move it
// to a level-0 table (its background thread does the work), and later reads
// find an empty memtable. It is left alone below `min_bytes`: a small
// memtable is cheap to search, and flushing every trickle of writes would
// make many small tables for compactions to merge.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace leveldb {
class DB;
class Cache;
}  // namespace leveldb

namespace ringkv::storage {

class IdleFlusher {
 public:
  // db and block_cache (may be null) must outlive this object.
  IdleFlusher(leveldb::DB* db, leveldb::Cache* block_cache, int64_t idle_ms, size_t min_bytes);
  ~IdleFlusher();  // stops the thread (waits for a flush under way)
  IdleFlusher(const IdleFlusher&) = delete;
  IdleFlusher& operator=(const IdleFlusher&) = delete;

  // Loop thread: a commit wrote to LevelDB. A plain store, no lock.
  void NoteCommit() { commits_.store(++local_commits_, std::memory_order_relaxed); }

  uint64_t flushes() const { return flushes_.load(std::memory_order_relaxed); }

  // Bytes in LevelDB's memtables now (its memory use less the block cache).
  static size_t MemtableBytes(leveldb::DB* db, leveldb::Cache* block_cache);

 private:
  void Run();

  leveldb::DB* const db_;
  leveldb::Cache* const block_cache_;
  const int64_t idle_ms_;
  const size_t min_bytes_;
  uint64_t local_commits_ = 0;  // loop thread's count, published in commits_
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> flushes_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace ringkv::storage
