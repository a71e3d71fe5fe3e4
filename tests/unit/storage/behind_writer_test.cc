// The write-behind's batch: built from journaled payloads, the last write of
// each key, in key order.
#include "storage/behind_writer.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sys/resource.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/journal.h"
#include "tests/support/leveldb.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace ringkv::storage {
namespace {

// (op, key, value) of every write in `batch`, in its order.
std::vector<std::string> Ops(const leveldb::WriteBatch& batch) {
  struct Lister : leveldb::WriteBatch::Handler {
    std::vector<std::string> out;
    void Put(const leveldb::Slice& k, const leveldb::Slice& v) override {
      out.push_back("put " + k.ToString() + "=" + v.ToString());
    }
    void Delete(const leveldb::Slice& k) override { out.push_back("del " + k.ToString()); }
  } lister;
  REQUIRE(batch.Iterate(&lister).ok());
  return lister.out;
}

TEST_CASE("BehindWriter::BuildBatch keeps each key's last write, in key order", "[journal]") {
  // Two commits' payloads, one after the other, as the engine hands them over.
  std::string ops;
  Journal::AppendPut(&ops, "b", "1");
  Journal::AppendPut(&ops, "a", "1");
  Journal::AppendPut(&ops, "c", "1");
  Journal::AppendPut(&ops, "b", "2");
  Journal::AppendDelete(&ops, "a");
  Journal::AppendPut(&ops, "c", "2");
  Journal::AppendDelete(&ops, "d");
  Journal::AppendPut(&ops, "d", "back");
  Journal::AppendPut(&ops, std::string("\0k", 2), "");
  leveldb::WriteBatch batch;
  batch.Put("stale", "cleared first");
  REQUIRE(BehindWriter::BuildBatch(ops, &batch).ok());
  CHECK(Ops(batch) == std::vector<std::string>{"put " + std::string("\0k", 2) + "=", "del a",
                                               "put b=2", "put c=2", "put d=back"});

  // Many writes of few keys: one each, the last.
  std::string hot;
  for (int i = 0; i < 1000; ++i)
    Journal::AppendPut(&hot, "k" + std::to_string(i % 3), std::to_string(i));
  REQUIRE(BehindWriter::BuildBatch(hot, &batch).ok());
  CHECK(Ops(batch) == std::vector<std::string>{"put k0=999", "put k1=997", "put k2=998"});

  // Keys alike in their first 8 bytes, or shorter: byte order still.
  std::string alike;
  for (const char* k : {"12345678b", "12345678", "1234567", "12345678a", "12345678b"}) {
    Journal::AppendPut(&alike, k, "v");
  }
  Journal::AppendPut(&alike, std::string("1234567\0", 8), "z");
  Journal::AppendPut(&alike, "\xff\xff", "hi");
  REQUIRE(BehindWriter::BuildBatch(alike, &batch).ok());
  CHECK(Ops(batch) == std::vector<std::string>{"put 1234567=v",
                                               "put " + std::string("1234567\0", 8) + "=z",
                                               "put 12345678=v", "put 12345678a=v",
                                               "put 12345678b=v", "put \xff\xff=hi"});

  REQUIRE(BehindWriter::BuildBatch("", &batch).ok());
  CHECK(batch.ApproximateSize() == leveldb::WriteBatch().ApproximateSize());
  // Bytes that are no journaled write.
  CHECK(BehindWriter::BuildBatch(std::string("\x01\x05"
                                             "ab",
                                             4),
                                 &batch)
            .code() == Status::Code::kCorruption);
}

// The thread named rkv-behind of this process (0 if none).
pid_t WriterThread() {
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::FILE* f = std::fopen((t.path() / "comm").c_str(), "r");
    if (!f) continue;
    char name[32] = {};
    const bool got = std::fgets(name, sizeof name, f) != nullptr;
    std::fclose(f);
    if (got && std::string(name) == "rkv-behind\n") return std::stoi(t.path().filename());
  }
  return 0;
}

int NiceOf(pid_t tid) { return getpriority(PRIO_PROCESS, static_cast<id_t>(tid)); }

TEST_CASE(
    "BehindWriter runs write-behind-nice below the process, and at its priority while waited for",
    "[journal]") {
  ringkv::testing::TempDir dir;
  auto db = ringkv::testing::OpenLevelDb(dir.path() + "/db");
  const int base = getpriority(PRIO_PROCESS, 0);
  const bool may_raise = BackgroundPriority::Supported();
  BackgroundPriority::WriteWatch watch;
  BehindWriter writer(db.get(), &watch, dir.path(), 5, may_raise);
  const pid_t tid = WriterThread();  // lowered before the constructor returned
  REQUIRE(tid != 0);
  // Without the right to raise it again, it stays at the process's nice.
  const int low = may_raise ? std::min(19, base + 5) : base;
  if (low == base) WARN("this process may not raise a thread's priority: the lift is not tested");
  CHECK(NiceOf(tid) == low);

  // A batch big enough to take a while: the thread writes it at its low
  // priority until the caller waits for it.
  std::string ops;
  for (int i = 0; i < 300000; ++i) Journal::AppendPut(&ops, "key" + std::to_string(i), "value");
  writer.Submit(std::move(ops), /*sync=*/false);
  REQUIRE(ringkv::testing::WaitFor([&] { return watch.current() != 0; }));  // in db->Write
  CHECK(NiceOf(tid) == low);
  std::atomic<bool> waited{false};
  std::atomic<int> lowest{99};  // the lowest nice seen while the caller waits
  std::thread watcher([&] {
    while (!waited.load()) {
      const int n = NiceOf(tid);
      if (n < lowest.load()) lowest.store(n);
    }
  });
  const bool was_done = writer.done();
  REQUIRE(writer.Wait().ok());
  waited = true;
  watcher.join();
  REQUIRE_FALSE(was_done);  // (else the wait lifted nothing)
  CHECK(lowest.load() == base);
  CHECK(NiceOf(tid) == low);                    // lowered again
  CHECK(getpriority(PRIO_PROCESS, 0) == base);  // the caller's own, untouched
  std::string v;
  CHECK(db->Get(leveldb::ReadOptions(), "key299999", &v).ok());
}

TEST_CASE("BehindWriter::Lift runs a late batch at the process's priority until it is taken",
          "[journal]") {
  ringkv::testing::TempDir dir;
  auto db = ringkv::testing::OpenLevelDb(dir.path() + "/db");
  const int base = getpriority(PRIO_PROCESS, 0);
  if (!BackgroundPriority::Supported() || base >= 19) {
    WARN("this process may not raise a thread's priority: Lift is not tested");
    return;
  }
  BackgroundPriority::WriteWatch watch;
  BehindWriter writer(db.get(), &watch, dir.path(), 5, /*may_raise=*/true);
  const pid_t tid = WriterThread();
  REQUIRE(tid != 0);
  const int low = std::min(19, base + 5);
  CHECK_FALSE(writer.Lift());  // nothing under way
  std::string ops;
  for (int i = 0; i < 300000; ++i) Journal::AppendPut(&ops, "key" + std::to_string(i), "value");
  writer.Submit(std::move(ops), /*sync=*/false);
  REQUIRE(ringkv::testing::WaitFor([&] { return watch.current() != 0; }));  // in db->Write
  REQUIRE_FALSE(writer.done());
  CHECK(writer.Lift());
  CHECK(NiceOf(tid) == base);
  CHECK_FALSE(writer.Lift());  // once per batch
  REQUIRE(ringkv::testing::WaitFor([&] { return writer.done(); }));
  CHECK(NiceOf(tid) == base);  // until the loop takes the result
  REQUIRE(writer.Wait().ok());
  CHECK(NiceOf(tid) == low);  // then lowered again
  CHECK(getpriority(PRIO_PROCESS, 0) == base);
}

TEST_CASE("BehindWriter stays at the process's nice where it could not be raised again",
          "[journal]") {
  ringkv::testing::TempDir dir;
  auto db = ringkv::testing::OpenLevelDb(dir.path() + "/db");
  const int base = getpriority(PRIO_PROCESS, 0);
  BehindWriter writer(db.get(), nullptr, dir.path(), 5, /*may_raise=*/false);
  const pid_t tid = WriterThread();  // (the constructor waits for its start)
  REQUIRE(tid != 0);
  CHECK(NiceOf(tid) == base);
}

// The switch to the journal syncs LevelDB's logs on the writer thread with
// fdatasync alone: a LevelDB write (even an empty one) would make the
// loop's next commit wait behind it in LevelDB's queue.
TEST_CASE("BehindWriter syncs LevelDB's logs without a write when given no ops", "[journal]") {
  namespace fs = std::filesystem;
  ringkv::testing::TempDir dir;
  const std::string db_dir = dir.path() + "/db";
  auto db = ringkv::testing::OpenLevelDb(db_dir);
  REQUIRE(db->Put(leveldb::WriteOptions(), "k", "v").ok());
  auto log_bytes = [&] {
    uintmax_t bytes = 0;
    for (const auto& entry : fs::directory_iterator(db_dir)) {
      if (entry.path().extension() == ".log") bytes += entry.file_size();
    }
    return bytes;
  };
  const uintmax_t before = log_bytes();
  REQUIRE(before > 0);
  BehindWriter writer(db.get(), nullptr, db_dir);
  writer.Submit(std::string(), /*sync=*/false, /*sync_journal=*/false, /*sync_logs=*/true);
  REQUIRE(writer.Wait().ok());
  CHECK(writer.written_bytes() == 0);
  CHECK(log_bytes() == before);
  // A synced one with no ops is a LevelDB write (its sync).
  writer.Submit(std::string(), /*sync=*/true);
  REQUIRE(writer.Wait().ok());
  CHECK(log_bytes() > before);
}

TEST_CASE("BehindWriter::RemoveFiles deletes files on its thread, and all of them before it ends",
          "[journal]") {
  namespace fs = std::filesystem;
  ringkv::testing::TempDir dir;
  auto db = ringkv::testing::OpenLevelDb(dir.path() + "/db");
  auto make = [&](const std::string& name) {
    const std::string path = dir.path() + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("x", f);
    std::fclose(f);
    return path;
  };
  const std::string a = make("a"), b = make("b"), c = make("c");
  {
    BehindWriter writer(db.get(), nullptr, dir.path());
    writer.RemoveFiles({a, b});
    CHECK(ringkv::testing::WaitFor([&] { return !fs::exists(a) && !fs::exists(b); }));
    // A batch and its result are unchanged by a removal queued beside it.
    std::string ops;
    Journal::AppendPut(&ops, "k", "v");
    writer.Submit(std::move(ops), /*sync=*/false);
    writer.RemoveFiles({c, dir.path() + "/never-made"});
    REQUIRE(writer.Wait().ok());
  }  // the removal queued last is done before the thread ends
  CHECK_FALSE(fs::exists(c));
  std::string v;
  CHECK(db->Get(leveldb::ReadOptions(), "k", &v).ok());
}

}  // namespace
}  // namespace ringkv::storage
