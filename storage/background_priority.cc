#include "storage/background_priority.h"

#include <leveldb/db.h>
#include <sched.h>

#include <string>

#include "storage/pread_env.h"

namespace ringkv::storage {

namespace {

int Level0Files(leveldb::DB* db) {
  std::string v;
  if (!db->GetProperty("leveldb.num-files-at-level0", &v)) return 0;
  return std::stoi(v);
}

// pid 0 is the calling thread; on Linux a thread id addresses one thread.
bool SetPolicy(pid_t tid, int policy) {
  sched_param p{};
  return sched_setscheduler(tid, policy, &p) == 0;
}

}  // namespace

bool BackgroundPriority::Supported() {
  bool ok = false;
  // The probe runs at the process's nice, no higher than the background
  // thread's: if it may leave SCHED_IDLE, so may that thread.
  std::thread probe([&ok] { ok = SetPolicy(0, SCHED_IDLE) && SetPolicy(0, SCHED_OTHER); });
  probe.join();
  return ok;
}

BackgroundPriority::BackgroundPriority(leveldb::DB* db, Options options)
    : db_(db), options_(options), thread_([this] { Run(); }) {}

BackgroundPriority::~BackgroundPriority() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (idle()) SetIdle(false);
}

bool BackgroundPriority::SetIdle(bool idle) {
  const pid_t tid = BackgroundThreadId();
  if (tid == 0 || !SetPolicy(tid, idle ? SCHED_IDLE : SCHED_OTHER)) return false;
  idle_.store(idle, std::memory_order_relaxed);
  return true;
}

void BackgroundPriority::Run() {
  uint64_t seen_write = 0, seen_behind = 0;
  auto boosted_at = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, options_.tick, [this] { return stop_; })) {
    // A write seen under way at the last tick and still the same one now.
    const uint64_t w = loop_writes_.current();
    const uint64_t b = behind_writes_.current();
    const bool stalled = (w != 0 && w == seen_write) || (b != 0 && b == seen_behind);
    seen_write = w;
    seen_behind = b;
    const int level0 = Level0Files(db_);
    const auto now = std::chrono::steady_clock::now();
    if (idle()) {
      if ((stalled || level0 >= options_.boost_level0) && SetIdle(false)) {
        boosts_.fetch_add(1, std::memory_order_relaxed);
        boosted_at = now;
      }
    } else if (!stalled && level0 <= options_.relax_level0 &&
               now - boosted_at >= options_.min_boost) {
      // Before LevelDB's first job there is no thread yet: tried again at
      // the next tick.
      SetIdle(true);
    }
  }
}

}  // namespace ringkv::storage
