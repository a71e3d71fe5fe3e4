#include "storage/idle_flush.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "storage/leveldb_util.h"
#include "storage/record.h"
#include "storage/thread_name.h"

namespace ringkv::storage {
namespace {

using Clock = std::chrono::steady_clock;

// The compaction's steps: the data keyspace in slices of whole slots (a
// slot's keys are one range: 'd', slot, key), then every other keyspace.
// LevelDB cannot interrupt a CompactRange call, and a shutdown or FLUSHALL
// waits for the step under way: at least 16 steps, and one more per 64 MB
// stored, so that a step rewrites about that much at each level.
constexpr uint64_t kStepBytes = uint64_t{64} << 20;

int DataSteps(uint64_t size) {
  return static_cast<int>(std::clamp<uint64_t>(size / kStepBytes, 16, kSlots));
}

// Where step `i` of `data_steps` + 1 starts: "d" and its first slot; past
// the data keyspace, "e".
std::string StepStart(int i, int data_steps) {
  if (i >= data_steps) return std::string(1, static_cast<char>(kDataPrefix + 1));
  return DataKeyForSlot(static_cast<uint16_t>(int64_t{i} * kSlots / data_steps), "");
}

std::string Megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

std::string Seconds(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

IdleFlusher::IdleFlusher(leveldb::DB* db, leveldb::Cache* block_cache, const Options& options)
    : db_(db),
      block_cache_(block_cache),
      options_(options),
      local_written_(options.pending_bytes),
      written_(options.pending_bytes),
      thread_([this] { Run(); }) {}

IdleFlusher::~IdleFlusher() { Stop(); }

void IdleFlusher::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
}

void IdleFlusher::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

size_t IdleFlusher::MemtableBytes(leveldb::DB* db, leveldb::Cache* block_cache) {
  std::string v;
  if (!db->GetProperty("leveldb.approximate-memory-usage", &v)) return 0;
  size_t total = std::stoull(v);
  size_t blocks = block_cache ? block_cache->TotalCharge() : 0;
  return total > blocks ? total - blocks : 0;
}

std::vector<std::string> IdleFlusher::TakeMessages() {
  std::lock_guard<std::mutex> lock(messages_mu_);
  return std::move(messages_);
}

void IdleFlusher::Tell(std::string message) {
  std::lock_guard<std::mutex> lock(messages_mu_);
  messages_.push_back(std::move(message));
}

void IdleFlusher::Run() {
  NameThisThread("rkv-idleflush");
  // Looks twice per idle period: the work starts between idle_ms and
  // 1.5 idle_ms after the last commit. Without idle work it only waits for
  // a request.
  const bool idle_work = options_.idle_ms > 0;
  const int64_t idle_ms = std::max<int64_t>(1, options_.idle_ms);
  const auto tick = idle_work ? std::chrono::milliseconds(std::max<int64_t>(1, idle_ms / 2))
                              : std::chrono::milliseconds(3'600'000);
  // Counted from this object's construction: a commit made before this
  // thread got to run is seen as one (the database opened with an empty
  // memtable, which a recovered log was moved out of).
  uint64_t seen = 0;
  // The commit count when the last idle period's work was done; with bytes
  // from the last run, none yet: the first idle period looks at them.
  uint64_t idle_at = options_.pending_bytes > 0 ? UINT64_MAX : 0;
  auto quiet_since = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (!cv_.wait_for(lock, tick, [this] { return stop_.load() || requested_.load(); })) {
      if (!idle_work) continue;
      const auto now = Clock::now();
      const uint64_t c = commits_.load(std::memory_order_relaxed);
      if (c != seen || in_flight_.load(std::memory_order_relaxed)) {
        seen = c;
        quiet_since = now;
        continue;
      }
      if (c == idle_at || now - quiet_since < std::chrono::milliseconds(idle_ms)) continue;
      idle_at = c;
      // Unlocked: Stop() and RequestCompaction() (on the loop thread) must
      // not wait for a flush or a compaction; they are seen at the next wait.
      lock.unlock();
      if (MemtableBytes(db_, block_cache_) >= options_.min_flush_bytes) {
        // LevelDB compacts its memtable first whatever the range; a range past
        // every key (all of ours start with a letter) overlaps no table, so
        // nothing else is rewritten.
        const std::string past_all(8, '\xff');
        const leveldb::Slice k(past_all);
        db_->CompactRange(&k, &k);
        flushes_.fetch_add(1, std::memory_order_relaxed);
      }
      if (!stop_.load()) CompactIfDue(c);
      lock.lock();
    }
    if (stop_.load()) return;
    lock.unlock();
    RunRequested();
    lock.lock();
    requested_.store(false);
  }
}

void IdleFlusher::RunRequested() {
  // It runs whole, writes or not; only Stop() ends it early.
  const auto start = Clock::now();
  requested_start_ms_.store(SteadyMs(), std::memory_order_relaxed);
  requested_started_.fetch_add(1, std::memory_order_relaxed);
  const CompactResult r = Compact(0, /*requested=*/true, 0);
  const int64_t took =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count();
  if (r == CompactResult::kDone || r == CompactResult::kFailed) {
    last_requested_sec_.store(took, std::memory_order_relaxed);
    if (r == CompactResult::kDone) {
      requested_failures_.store(0, std::memory_order_relaxed);
    } else {
      requested_failures_.fetch_add(1, std::memory_order_relaxed);
    }
    last_requested_ok_.store(r == CompactResult::kDone, std::memory_order_relaxed);
  }
  requested_start_ms_.store(0, std::memory_order_relaxed);
}

bool IdleFlusher::RequestCompaction() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (requested_.load() || stop_.load()) return false;
    requested_.store(true);
  }
  cv_.notify_all();
  return true;
}

void IdleFlusher::CompactIfDue(uint64_t commits) {
  if (options_.compact_percent <= 0) return;
  const uint64_t written = written_.load(std::memory_order_relaxed);
  const uint64_t since = written - compacted_at_;
  if (since < options_.min_compact_bytes) return;
  const uint64_t size = ApproximateDiskBytes(db_);
  if (since * 100 < size * static_cast<uint64_t>(options_.compact_percent)) return;
  // Stopped by writes last time: it goes on from there, unless they wrote
  // enough to be worth starting over (they are in level 0, which the first
  // step merges whole).
  int step = 0;
  if (resume_step_ > 0 && resume_steps_ == DataSteps(size) + 1 &&
      written - resume_written_ < options_.min_compact_bytes) {
    step = resume_step_;
  }
  resume_step_ = 0;
  (void)Compact(commits, /*requested=*/false, step);
}

IdleFlusher::CompactResult IdleFlusher::Compact(uint64_t commits, bool requested, int step) {
  const uint64_t written = written_.load(std::memory_order_relaxed);
  const uint64_t size = ApproximateDiskBytes(db_);
  const int data_steps = DataSteps(size);
  const int steps = data_steps + 1;
  const std::string what =
      requested ? "LevelDB compaction (BGREWRITEAOF)" : "LevelDB idle compaction";
  const auto start = Clock::now();
  auto told = start;
  compacting_.store(true, std::memory_order_relaxed);
  Tell(what + ": " + Megabytes(written - compacted_at_) + " written since the last one, " +
       Megabytes(size) + " stored in files per level " + FilesPerLevel(db_) + "; " +
       (step > 0
            ? "going on at step " + std::to_string(step + 1) + " of " + std::to_string(steps)
            : "compacting each key range into one level in " + std::to_string(steps) + " steps"));
  for (; step < steps; ++step) {
    if (stop_.load()) break;
    // Writes stop an idle compaction, not a requested one.
    if (!requested && commits_.load(std::memory_order_relaxed) != commits) break;
    const std::string begin = StepStart(step, data_steps), end = StepStart(step + 1, data_steps);
    const leveldb::Slice b(begin), e(end);
    db_->CompactRange(step == 0 ? nullptr : &b, step == steps - 1 ? nullptr : &e);
    if (Clock::now() - told >= std::chrono::seconds(5)) {
      told = Clock::now();
      Tell(what + ": step " + std::to_string(step + 1) + " of " + std::to_string(steps) +
           " done after " + Seconds(told - start));
    }
  }
  if (step < steps) {
    if (!requested) {
      resume_step_ = step;
      resume_steps_ = steps;
      resume_written_ = written_.load(std::memory_order_relaxed);
    }
    Tell(what + " stopped before step " + std::to_string(step + 1) + " of " +
         std::to_string(steps) + " (" + Seconds(Clock::now() - start) + "): " +
         (stop_.load() ? "shutting down or flushing all data"
                       : "writes came back; the next idle period goes on with it"));
    compacting_.store(false, std::memory_order_relaxed);
    return CompactResult::kStopped;
  }
  // CompactRange reports nothing: a write of an empty batch returns the
  // error LevelDB's background thread met, if it did.
  leveldb::WriteBatch empty;
  const leveldb::Status s = db_->Write(leveldb::WriteOptions(), &empty);
  if (!s.ok()) {
    Tell(what + " failed after " + Seconds(Clock::now() - start) + ": " + s.ToString());
    compacting_.store(false, std::memory_order_relaxed);
    return CompactResult::kFailed;
  }
  compacted_at_ = written;
  resume_step_ = 0;
  Tell(what + " done in " + Seconds(Clock::now() - start) + ": " +
       Megabytes(ApproximateDiskBytes(db_)) + " stored in files per level " + FilesPerLevel(db_));
  if (!requested) compactions_.fetch_add(1, std::memory_order_relaxed);
  compacting_.store(false, std::memory_order_relaxed);
  return CompactResult::kDone;
}

}  // namespace ringkv::storage
