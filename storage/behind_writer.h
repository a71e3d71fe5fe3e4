// The write-behind's LevelDB writes, on a thread of their own (engine.h).
//
// A flush of a few thousand keys is a millisecond or more of memtable
// inserts; on the loop thread that stalled every client once per flush (with
// random SETs from 50 clients, replies came in bursts and throughput fell
// below a LevelDB write per turn). The loop thread hands over what it
// journaled since the last flush, the journal records' payloads one after
// another (journal.h), and keeps those keys pinned in its cache until it sees
// the write done, so reads never miss a write in flight. This thread keeps
// the last write of each key and writes them to LevelDB as one batch, in key
// order. Building the batch here, from bytes already encoded, spares the loop
// thread a second encoding of every record and the sort (with random keys
// they were a sixth of its time).
// One batch at a time: the next waits until this one is done.
//
// The thread runs `nice` steps below the process (write-behind-nice): with
// a client on the machine's other core, a pipelined write load over 1M
// keys ran about a fifth faster than with this thread at the loop's
// priority (its memtable inserts took a third of a core from the loop
// thread). The journal has made those writes durable already; what waits
// for this thread is memory, which backpressure bounds: once the loop has to
// wait for a batch (Wait), the thread is lifted to the process's priority
// until the batch is done, and so is a late batch (Lift: the engine calls it
// 4 write-behind-ms after the start; else on one core batches grew to the
// backpressure bounds, and the loop's wait for one took 290 ms). Only where
// the process may raise a thread's priority again (as the compaction
// thread's SCHED_IDLE needs: CAP_SYS_NICE or RLIMIT_NICE). The loop can
// also wait for it on LevelDB's mutex (a cache miss's Get while this thread
// is in db->Write), which lifts nothing; those waits are short, and beside
// CPU hogs on every core writes went on at about half their rate (a stall
// seen there was LevelDB's compaction thread at nice 19: pread_env.h).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/background_priority.h"
#include "storage/journal.h"
#include "storage/status.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace ringkv::storage {

class BehindWriter {
 public:
  // db and watch (may be null: no watch) must outlive this object;
  // journal_dir is the directory of the journal segments (Submit).
  // `nice` > 0 (with `may_raise`: the process may raise the thread again):
  // the thread's nice value that many steps above the process's.
  BehindWriter(leveldb::DB* db, BackgroundPriority::WriteWatch* watch, std::string journal_dir,
               int nice = 0, bool may_raise = false);
  ~BehindWriter();  // waits for a write under way
  BehindWriter(const BehindWriter&) = delete;
  BehindWriter& operator=(const BehindWriter&) = delete;

  // Starts writing `ops` (journal payloads, concatenated; synced if `sync`),
  // after syncing the journal's segments if `sync_journal` (Journal::MarkRanges).
  // `sync_logs`: then LevelDB's logs (fdatasync, not a LevelDB write: an
  // empty `ops` unsynced writes nothing) and the directory too, so that
  // LevelDB holds durably all it was given. Only when !busy().
  void Submit(std::string ops, bool sync, bool sync_journal = false, bool sync_logs = false);
  // Deletes these files on this thread, after any batch submitted (errors
  // are ignored: Journal::Open deletes what is left), before it ends.
  void RemoveFiles(std::vector<std::string> paths);
  // A batch was submitted and its result not yet taken.
  bool busy() const { return busy_; }
  // The submitted batch is written (a plain atomic load).
  bool done() const { return done_.load(std::memory_order_acquire); }
  // Waits until the submitted batch is written, with the thread at the
  // process's priority meanwhile; its result. busy() is false afterwards.
  Status Wait();
  // Runs the batch under way at the process's priority until it is done (a
  // late one: the thread at its nice gets too little CPU). Whether it
  // raised the thread (false: not niced, already raised, or nothing under
  // way).
  bool Lift();
  // After Wait: the bytes the batch wrote to LevelDB (each key once), and
  // the buffer `ops` came in, emptied, for the next Submit to reuse.
  uint64_t written_bytes() const { return written_bytes_; }
  std::string TakeBuffer();

  // The last write of each key in `ops`, in key order, into `batch` (which
  // is cleared first). Corruption if `ops` does not decode or holds a range
  // op (the engine keeps those out: Engine::held_).
  static Status BuildBatch(std::string_view ops, leveldb::WriteBatch* batch);
  // One journaled put or delete into `batch` (BuildBatch's, and the journal
  // replay's).
  static void AddOp(const Journal::Op& op, leveldb::WriteBatch* batch);

 private:
  void Run();
  // On this thread: lowers it by nice_ (if it may be raised again).
  void LowerPriority();
  // The loop thread's: undoes Lift() once the batch is done.
  void Lower();

  leveldb::DB* const db_;
  BackgroundPriority::WriteWatch* const watch_;
  const int nice_;
  const bool may_raise_;
  // Set once by the thread when it lowered itself (0: it did not), after
  // base_nice_ and low_nice_.
  std::atomic<pid_t> niced_tid_{0};
  int base_nice_ = 0;
  int low_nice_ = 0;
  bool busy_ = false;    // loop thread's own
  bool lifted_ = false;  // loop thread's own: Lift() raised the thread
  std::atomic<bool> done_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool has_ops_ = false;  // under mu_: ops_ is to write
  std::string ops_;       // under mu_ while has_ops_ or busy_
  bool sync_ = false;
  bool sync_journal_ = false;
  bool sync_logs_ = false;
  std::vector<std::string> remove_;  // under mu_: RemoveFiles'
  const std::string journal_dir_;
  Status result_;                               // under mu_
  uint64_t written_bytes_ = 0;                  // under mu_
  std::unique_ptr<leveldb::WriteBatch> batch_;  // this thread's, reused
  bool stop_ = false;
  bool started_ = false;  // under mu_: the thread is at its priority
  std::thread thread_;    // last: starts once the members above exist
};

}  // namespace ringkv::storage
