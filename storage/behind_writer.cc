#include "storage/behind_writer.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

#include "storage/leveldb_util.h"
#include "storage/thread_name.h"

namespace ringkv::storage {
namespace {

constexpr size_t kKeepBytes = 4 << 20;

}  // namespace

BehindWriter::BehindWriter(leveldb::DB* db, BackgroundPriority::WriteWatch* watch,
                           std::string journal_dir, int nice, bool may_raise)
    : db_(db),
      watch_(watch),
      nice_(nice),
      may_raise_(may_raise),
      journal_dir_(std::move(journal_dir)),
      batch_(std::make_unique<leveldb::WriteBatch>()),
      thread_([this] { Run(); }) {
  // Lowered before the first batch, so that a Wait lifts what it waits for.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return started_; });
}

BehindWriter::~BehindWriter() {
  if (busy_) (void)Wait();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BehindWriter::Submit(std::string ops, bool sync, bool sync_journal, bool sync_logs) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ops_ = std::move(ops);
    has_ops_ = true;
    sync_ = sync;
    sync_journal_ = sync_journal;
    sync_logs_ = sync_logs;
    done_.store(false, std::memory_order_relaxed);
  }
  busy_ = true;
  cv_.notify_all();
}

void BehindWriter::RemoveFiles(std::vector<std::string> paths) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    remove_.insert(remove_.end(), std::make_move_iterator(paths.begin()),
                   std::make_move_iterator(paths.end()));
  }
  cv_.notify_all();
}

Status BehindWriter::Wait() {
  if (!busy_) return Status::Ok();
  (void)Lift();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return done_.load(std::memory_order_relaxed); });
  busy_ = false;
  Status result = result_;
  lock.unlock();
  Lower();
  return result;
}

bool BehindWriter::Lift() {
  if (lifted_ || !busy_ || done()) return false;
  const pid_t tid = niced_tid_.load(std::memory_order_acquire);
  if (tid == 0) return false;
  // On Linux, PRIO_PROCESS with a thread id addresses that thread alone.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), base_nice_) != 0) {
    niced_tid_.store(0, std::memory_order_relaxed);  // (the right went): no more tries
    return false;
  }
  lifted_ = true;
  return true;
}

void BehindWriter::Lower() {
  if (!lifted_) return;
  lifted_ = false;
  const pid_t tid = niced_tid_.load(std::memory_order_relaxed);
  if (tid != 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(tid), low_nice_);
}

void BehindWriter::LowerPriority() {
  if (may_raise_ && LowerThisThread(nice_, &base_nice_, &low_nice_)) {
    niced_tid_.store(gettid(), std::memory_order_release);
  }
}

std::string BehindWriter::TakeBuffer() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  if (busy_ || has_ops_) return out;
  out.swap(ops_);
  out.clear();
  if (out.capacity() > kKeepBytes) std::string().swap(out);  // a burst's: freed
  return out;
}

Status BehindWriter::BuildBatch(std::string_view ops, leveldb::WriteBatch* batch) {
  batch->Clear();
  struct Entry {
    uint64_t head;  // the key's first 8 bytes, big-endian (zero-padded): memcmp order
    Journal::Op op;
    size_t seq;
  };
  std::vector<Entry> entries;
  Journal::Op op;
  while (!ops.empty()) {
    if (!Journal::NextOp(&ops, &op)) {
      return Status::Corruption("write-behind: a journaled write does not decode");
    }
    if (op.kind == Journal::Op::kRange || op.kind == Journal::Op::kPatch) {  // Engine::held_
      return Status::Corruption("write-behind: a range or patch write reached the writer");
    }
    uint64_t head = 0;
    for (size_t i = 0; i < 8; ++i) {
      head = (head << 8) | (i < op.key.size() ? static_cast<uint8_t>(op.key[i]) : 0);
    }
    entries.push_back({head, op, entries.size()});
  }
  // Key order (LevelDB's memtable takes sorted inserts faster), and for one
  // key the journal's order: the last of each run is the key's state. Keys
  // start with their slot, so the first 8 bytes mostly decide.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.head != b.head) return a.head < b.head;
    const int c = a.op.key.compare(b.op.key);
    return c != 0 ? c < 0 : a.seq < b.seq;
  });
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 < entries.size() && entries[i + 1].op.key == entries[i].op.key) continue;
    AddOp(entries[i].op, batch);
  }
  return Status::Ok();
}

void BehindWriter::AddOp(const Journal::Op& op, leveldb::WriteBatch* batch) {
  const leveldb::Slice key(op.key.data(), op.key.size());
  if (op.put()) {
    batch->Put(key, leveldb::Slice(op.value.data(), op.value.size()));
  } else {
    batch->Delete(key);
  }
}

void BehindWriter::Run() {
  NameThisThread("rkv-behind");
  LowerPriority();
  if (watch_) watch_->SetThread(gettid());
  std::unique_lock<std::mutex> lock(mu_);
  started_ = true;
  cv_.notify_all();
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || has_ops_ || !remove_.empty(); });
    if (!has_ops_ && !remove_.empty()) {  // (a batch first: the loop may wait for it)
      const std::string path = std::move(remove_.back());
      remove_.pop_back();
      lock.unlock();
      (void)::unlink(path.c_str());  // one at a time: a batch may come meanwhile
      lock.lock();
      continue;
    }
    if (!has_ops_) return;              // stop_, nothing left to write
    const std::string_view ops = ops_;  // the loop thread leaves ops_ alone until done_
    leveldb::WriteOptions wo;
    wo.sync = sync_;
    const bool sync_journal = sync_journal_, sync_logs = sync_logs_;
    lock.unlock();
    Status s = sync_journal ? SyncDirFiles(journal_dir_, /*journal=*/true) : Status::Ok();
    const bool write = wo.sync || !ops.empty();
    if (s.ok() && write) s = BuildBatch(ops, batch_.get());
    if (s.ok() && write) {
      if (watch_) watch_->Started();
      s = FromLevelDb(db_->Write(wo, batch_.get()));
      if (watch_) watch_->Ended();
    }
    if (s.ok() && sync_logs) s = SyncLevelDbLogs(journal_dir_);
    const uint64_t written = write ? batch_->ApproximateSize() : 0;
    batch_->Clear();
    // A burst's big buffers are not kept for the flushes after it.
    if (written > kKeepBytes) batch_ = std::make_unique<leveldb::WriteBatch>();
    lock.lock();
    has_ops_ = false;
    result_ = std::move(s);
    written_bytes_ = written;
    done_.store(true, std::memory_order_release);
    cv_.notify_all();
  }
}

}  // namespace ringkv::storage
