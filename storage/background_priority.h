// Runs LevelDB's background thread (compactions, memtable flushes) under
// SCHED_IDLE while its debt cannot hold up writes, and at its normal
// priority (leveldb-compaction-nice) while it can.
//
// Why idle: with random overwrites over 1M keys, pipelined, compaction used
// about half as much CPU as the loop thread, and at nice 10 (or 19) it still
// slowed the loop on a 2-core machine. The scheduler counts a core that runs
// only SCHED_IDLE work as idle when it places a woken thread (the loop, a
// client), and a woken normal thread always preempts SCHED_IDLE work. Six
// back-to-back runs of SET -r 1M -P 16 ran about 13% faster this way.
//
// Why not always idle: a SCHED_IDLE thread gets next to no CPU while normal
// threads keep every core busy. Two CPU hogs beside a write load stalled
// writes for over 30 s: the full memtable could not move to disk. So a thread
// of ours looks every `tick` for the debt that delays writes and lifts the
// background thread to SCHED_OTHER when it sees some:
//   - level 0 holds `boost_level0` files or more (LevelDB delays each write
//     by 1 ms from 8 files on and stops writes at 12), or
//   - the loop thread sits in a futex wait at two ticks in a row (read from
//     /proc/self/task/TID/syscall): it waits for another thread, as when a
//     write waits for the previous memtable to reach disk, or any LevelDB
//     call waits for LevelDB's mutex while an idle thread that holds it gets
//     no CPU. A loop waiting for clients is in epoll_wait instead. Or
//   - a write of the write-behind writer is under way at two ticks in a row
//     (marked around each write: that thread waits on a futex when idle),
//     with that thread in a futex wait (for LevelDB's thread or its mutex;
//     a write that is merely slow, as at write-behind-nice, is no debt).
// A wait for something else counts too; that only costs some time at the
// normal priority. So does a requested compaction (Options::hold_normal). The background thread
// goes back to idle once level 0 holds `relax_level0` files or fewer (4: where LevelDB starts a
// compaction), nothing waits and `min_boost` passed.
//
// Leaving SCHED_IDLE needs CAP_SYS_NICE (a root process in a container often
// lacks it) or an RLIMIT_NICE that allows the thread's nice value. Without
// it the thread is never made idle, since it could not be lifted again
// (Supported() says which, at start-up). A thread whose policy is not
// SCHED_OTHER when first seen (set by the operator) is left alone.
//
// LevelDB runs the jobs of every database of a process on one thread. The
// server has one engine; where a process has several (tests), each engine's
// watch sets that thread's policy, which changes only its priority.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace leveldb {
class DB;
}

namespace ringkv::storage {

class BackgroundPriority {
 public:
  struct Options {
    int boost_level0 = 8;
    int relax_level0 = 4;
    std::chrono::milliseconds tick{20};
    // The tick once no commit came for `quiet_after` and nothing waits: an
    // idle server wakes this thread 4 times a second, not 50.
    std::chrono::milliseconds quiet_tick{250};
    std::chrono::milliseconds quiet_after{1000};
    std::chrono::milliseconds min_boost{200};
    pid_t loop_thread = -1;  // watched for futex waits; -1: none
    // While it reads true, the thread stays at normal priority (a requested
    // compaction, idle_flush.h). Must outlive this object; null: none.
    const std::atomic<bool>* hold_normal = nullptr;
  };

  // Whether this process may move a thread out of SCHED_IDLE (tried on a
  // short-lived thread of its own).
  static bool Supported();

  // db must outlive this object.
  BackgroundPriority(leveldb::DB* db, Options options);
  // Stops the watch and leaves the background thread at normal priority
  // (it outlives the database: a later one may not want it idle).
  ~BackgroundPriority();
  BackgroundPriority(const BackgroundPriority&) = delete;
  BackgroundPriority& operator=(const BackgroundPriority&) = delete;

  // The LevelDB writes of a thread that also waits on futexes when idle
  // (the write-behind writer), marked around each: a write still under way
  // a tick later is a stall.
  class WriteWatch {
   public:
    void Started() { on_.store(++seq_, std::memory_order_relaxed); }  // plain stores
    void Ended() { on_.store(0, std::memory_order_relaxed); }
    uint64_t current() const { return on_.load(std::memory_order_relaxed); }
    // The writing thread, once known: a write then counts as stalled only
    // while that thread waits on a futex (for LevelDB's thread, or its
    // mutex), not while it is slow (it runs at write-behind-nice).
    void SetThread(pid_t tid) { tid_.store(tid, std::memory_order_relaxed); }
    pid_t thread() const { return tid_.load(std::memory_order_relaxed); }

   private:
    uint64_t seq_ = 0;  // the writing thread's own
    std::atomic<uint64_t> on_{0};
    std::atomic<pid_t> tid_{0};
  };
  WriteWatch* behind_writes() { return &behind_writes_; }

  // The engine's thread: a commit (a plain store).
  void NoteCommit() { commits_.store(++local_commits_, std::memory_order_relaxed); }

  // Whether thread `tid` of this process is blocked in a futex wait now.
  static bool InFutexWait(pid_t tid);

  bool idle() const { return idle_.load(std::memory_order_relaxed); }
  uint64_t boosts() const { return boosts_.load(std::memory_order_relaxed); }
  uint64_t ticks() const { return ticks_.load(std::memory_order_relaxed); }  // looks taken

 private:
  void Run();
  // The background thread's policy; false if there is none yet, or its
  // policy was not ours to change.
  bool SetIdle(bool idle);

  leveldb::DB* const db_;
  const Options options_;
  WriteWatch behind_writes_;
  uint64_t local_commits_ = 0;  // the engine thread's count, published in commits_
  std::atomic<uint64_t> commits_{0};
  std::atomic<bool> idle_{false};
  std::atomic<uint64_t> boosts_{0};
  std::atomic<uint64_t> ticks_{0};
  pid_t managed_ = 0;     // the thread SetIdle changes, once seen (0: none yet)
  bool foreign_ = false;  // its policy was not SCHED_OTHER when first seen
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace ringkv::storage
