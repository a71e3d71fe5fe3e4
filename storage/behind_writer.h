// The write-behind's LevelDB writes, on a thread of their own (engine.h).
//
// A flush of a few thousand keys is a millisecond or more of memtable
// inserts; on the loop thread that stalled every client once per flush (with
// random SETs from 50 clients, replies came in bursts and throughput fell
// below a LevelDB write per turn). The loop thread builds the batch (sorted,
// encoded) and hands it here; it keeps the batch's keys pinned in its cache
// until it sees the write done, so reads never miss a write in flight.
// One batch at a time: the next waits until this one is done.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/background_priority.h"
#include "storage/status.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace ringkv::storage {

class BehindWriter {
 public:
  // db and watch (may be null: no watch) must outlive this object.
  BehindWriter(leveldb::DB* db, BackgroundPriority::WriteWatch* watch);
  ~BehindWriter();  // waits for a write under way
  BehindWriter(const BehindWriter&) = delete;
  BehindWriter& operator=(const BehindWriter&) = delete;

  // Starts writing `batch` (synced if `sync`). Only when !busy().
  void Submit(std::unique_ptr<leveldb::WriteBatch> batch, bool sync);
  // A batch was submitted and its result not yet taken.
  bool busy() const { return busy_; }
  // The submitted batch is written (a plain atomic load).
  bool done() const { return done_.load(std::memory_order_acquire); }
  // Waits until the submitted batch is written; its result. busy() is false
  // afterwards.
  Status Wait();

 private:
  void Run();

  leveldb::DB* const db_;
  BackgroundPriority::WriteWatch* const watch_;
  bool busy_ = false;  // loop thread's own
  std::atomic<bool> done_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<leveldb::WriteBatch> batch_;  // under mu_: to write
  bool sync_ = false;
  Status result_;  // under mu_
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace ringkv::storage
