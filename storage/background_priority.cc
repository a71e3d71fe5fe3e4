#include "storage/background_priority.h"

#include <fcntl.h>
#include <leveldb/db.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/pread_env.h"
#include "storage/thread_name.h"

namespace ringkv::storage {

namespace {

int Level0Files(leveldb::DB* db) {
  std::string v;
  if (!db->GetProperty("leveldb.num-files-at-level0", &v)) return 0;
  return std::atoi(v.c_str());
}

// pid 0 is the calling thread; on Linux a thread id addresses one thread.
bool SetPolicy(pid_t tid, int policy) {
  sched_param p{};
  return sched_setscheduler(tid, policy, &p) == 0;
}

}  // namespace

bool BackgroundPriority::Supported() {
  // The probe runs at the process's nice, no higher than the background
  // thread's: if it may leave SCHED_IDLE, so may that thread (and so may a
  // thread's nice value go back down: the same right). Probed once.
  static const bool ok = [] {
    bool may = false;
    std::thread probe([&may] { may = SetPolicy(0, SCHED_IDLE) && SetPolicy(0, SCHED_OTHER); });
    probe.join();
    return may;
  }();
  return ok;
}

bool BackgroundPriority::InFutexWait(pid_t tid) {
  // "202 0x... ..." (the syscall number, its arguments) while blocked in
  // one, "running" while running; our own threads may read it.
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/syscall", static_cast<int>(tid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[24];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0 || !std::isdigit(static_cast<unsigned char>(buf[0]))) return false;
  buf[n] = '\0';
  return std::strtol(buf, nullptr, 10) == SYS_futex;
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
  if (managed_ == 0) {
    const pid_t tid = BackgroundThreadId();
    if (tid == 0) return false;  // LevelDB ran no job yet
    managed_ = tid;
    foreign_ = sched_getscheduler(tid) != SCHED_OTHER;
  }
  if (foreign_ || !SetPolicy(managed_, idle ? SCHED_IDLE : SCHED_OTHER)) return false;
  idle_.store(idle, std::memory_order_relaxed);
  return true;
}

void BackgroundPriority::Run() {
  NameThisThread("rkv-priority");
  bool loop_waited = false;  // at the last tick
  uint64_t seen_behind = 0, seen_commits = 0;
  auto boosted_at = std::chrono::steady_clock::now();
  auto last_commit = boosted_at;
  auto tick = options_.tick;
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, tick, [this] { return stop_; })) {
    ticks_.fetch_add(1, std::memory_order_relaxed);
    const bool loop_waits = options_.loop_thread > 0 && InFutexWait(options_.loop_thread);
    const uint64_t b = behind_writes_.current();
    const bool held = options_.hold_normal && options_.hold_normal->load(std::memory_order_relaxed);
    const pid_t writer = behind_writes_.thread();
    const bool behind_stalled = b != 0 && b == seen_behind && (writer == 0 || InFutexWait(writer));
    const bool stalled = held || (loop_waits && loop_waited) || behind_stalled;
    loop_waited = loop_waits;
    seen_behind = b;
    const auto now = std::chrono::steady_clock::now();
    const uint64_t c = commits_.load(std::memory_order_relaxed);
    if (c != seen_commits) {
      seen_commits = c;
      last_commit = now;
    }
    const bool quiet = !loop_waits && b == 0 && now - last_commit >= options_.quiet_after;
    tick = quiet ? options_.quiet_tick : options_.tick;
    if (idle()) {
      // Lifted before reading level 0: that takes LevelDB's mutex, which an
      // idle thread starved of CPU may hold.
      if ((stalled || Level0Files(db_) >= options_.boost_level0) && SetIdle(false)) {
        boosts_.fetch_add(1, std::memory_order_relaxed);
        boosted_at = now;
      }
    } else if (!stalled && now - boosted_at >= options_.min_boost &&
               Level0Files(db_) <= options_.relax_level0) {
      // Before LevelDB's first job there is no thread yet: tried again at
      // the next tick.
      SetIdle(true);
    }
  }
}

}  // namespace ringkv::storage
