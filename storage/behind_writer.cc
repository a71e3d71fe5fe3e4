#include "storage/behind_writer.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include "storage/leveldb_util.h"

namespace ringkv::storage {

BehindWriter::BehindWriter(leveldb::DB* db, BackgroundPriority::WriteWatch* watch)
    : db_(db), watch_(watch), thread_([this] { Run(); }) {}

BehindWriter::~BehindWriter() {
  if (busy_) (void)Wait();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void BehindWriter::Submit(std::unique_ptr<leveldb::WriteBatch> batch, bool sync) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch_ = std::move(batch);
    sync_ = sync;
    done_.store(false, std::memory_order_relaxed);
  }
  busy_ = true;
  cv_.notify_all();
}

Status BehindWriter::Wait() {
  if (!busy_) return Status::Ok();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return done_.load(std::memory_order_relaxed); });
  busy_ = false;
  return result_;
}

void BehindWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || batch_ != nullptr; });
    if (batch_ == nullptr) return;  // stop_, nothing left to write
    std::unique_ptr<leveldb::WriteBatch> batch = std::move(batch_);
    leveldb::WriteOptions wo;
    wo.sync = sync_;
    lock.unlock();
    if (watch_) watch_->Started();
    Status s = FromLevelDb(db_->Write(wo, batch.get()));
    if (watch_) watch_->Ended();
    batch.reset();  // freed here, not on the loop thread
    lock.lock();
    result_ = std::move(s);
    done_.store(true, std::memory_order_release);
    cv_.notify_all();
  }
}

}  // namespace ringkv::storage
