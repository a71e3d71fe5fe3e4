// Range ops (journal.h): a small change to a big value journals the bytes
// that changed, and every path that turns the journal into LevelDB writes
// (a write-behind flush, a replay after a crash) ends with the whole value.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "storage/behind_writer.h"
#include "storage/engine.h"
#include "storage/journal.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

namespace fs = std::filesystem;
using ringkv::testing::Commit;
using ringkv::testing::Rec;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;

// One key's state as a replay sees it: absent, or a value.
using State = std::optional<std::string>;

State Apply(State s, const Journal::Op& op) {
  switch (op.kind) {
    case Journal::Op::kPut:
      return std::string(op.value);
    case Journal::Op::kDelete:
      return std::nullopt;
    case Journal::Op::kRange: {
      std::string v = s ? *s : std::string();  // as DecodeOps: absent reads as empty
      Journal::ApplyRange(&v, op.keep, op.value);
      return v;
    }
  }
  return s;
}

TEST_CASE("Journal: a range op encodes, decodes and applies", "[journal]") {
  std::string payload;
  Journal::AppendPut(&payload, "a", "hello world");
  Journal::AppendRange(&payload, "a", 6, "there");
  Journal::AppendDelete(&payload, "b");
  std::string_view in = payload;
  Journal::Op put, range, del;
  REQUIRE(Journal::NextOp(&in, &put));
  REQUIRE(Journal::NextOp(&in, &range));
  REQUIRE(Journal::NextOp(&in, &del));
  CHECK(in.empty());
  CHECK(put.kind == Journal::Op::kPut);
  CHECK(range.kind == Journal::Op::kRange);
  CHECK(range.key == "a");
  CHECK(range.keep == 6);
  CHECK(range.value == "there");
  CHECK(del.kind == Journal::Op::kDelete);
  CHECK(Apply(Apply(std::nullopt, put), range) == "hello there");
  // Cut short anywhere: does not decode.
  for (size_t cut = 1; cut < payload.size(); ++cut) {
    std::string_view part = std::string_view(payload).substr(0, cut);
    Journal::Op op;
    bool all = true;
    while (!part.empty() && all) all = Journal::NextOp(&part, &op);
    const bool at_boundary = cut == 15 || cut == 25;
    CHECK(all == at_boundary);
  }
  std::string bad = "\x07";
  std::string_view b = bad;
  Journal::Op op;
  CHECK_FALSE(Journal::NextOp(&b, &op));
}

TEST_CASE("Journal: replaying a key's writes from any later state ends in its last state",
          "[journal]") {
  // What a crash leaves: LevelDB holds the key as some write of the history
  // left it (a flush wrote it), and the replay applies the whole history
  // over that. Histories as the engine makes them: a range only over an
  // existing value, keeping a prefix of it.
  std::mt19937 rng(20261127);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n)(rng); };
  for (int round = 0; round < 3000; ++round) {
    State start;
    if (pick(1)) start = std::string(pick(40), 'a');
    std::vector<std::string> payloads;  // each op alone, so that ops can point into them
    std::vector<State> states{start};
    State s = start;
    const int n = 1 + static_cast<int>(pick(12));
    for (int i = 0; i < n; ++i) {
      std::string p;
      const uint64_t kind = pick(9);
      std::string bytes(pick(20), static_cast<char>('b' + i));
      if (kind == 0) {
        Journal::AppendDelete(&p, "k");
      } else if (kind <= 2 || !s) {
        Journal::AppendPut(&p, "k", bytes);
      } else {
        Journal::AppendRange(&p, "k", pick(s->size()), bytes);
      }
      std::string_view in = p;
      Journal::Op op;
      REQUIRE(Journal::NextOp(&in, &op));
      s = Apply(s, op);
      states.push_back(s);
      payloads.push_back(std::move(p));
    }
    for (size_t from = 0; from < states.size(); ++from) {
      State replayed = states[from];
      for (const std::string& p : payloads) {
        std::string_view in = p;
        Journal::Op op;
        REQUIRE(Journal::NextOp(&in, &op));
        replayed = Apply(replayed, op);
      }
      INFO("round " << round << ", replay over the state after " << from << " writes");
      REQUIRE(replayed == states.back());
    }
  }
}

std::unique_ptr<leveldb::DB> OpenDb(const std::string& dir) {
  leveldb::Options o;
  o.create_if_missing = true;
  leveldb::DB* db = nullptr;
  REQUIRE(leveldb::DB::Open(o, dir, &db).ok());
  return std::unique_ptr<leveldb::DB>(db);
}

std::string BatchValue(const leveldb::WriteBatch& batch, const std::string& key) {
  struct Finder : leveldb::WriteBatch::Handler {
    std::string key, value;
    int puts = 0;
    void Put(const leveldb::Slice& k, const leveldb::Slice& v) override {
      if (k.ToString() == key) {
        value = v.ToString();
        ++puts;
      }
    }
    void Delete(const leveldb::Slice&) override {}
  } f;
  f.key = key;
  REQUIRE(batch.Iterate(&f).ok());
  REQUIRE(f.puts == 1);
  return f.value;
}

TEST_CASE("BehindWriter::BuildBatch applies a key's ranges to its put, or to LevelDB's value",
          "[journal]") {
  TempDir dir;
  auto db = OpenDb(dir.path());
  REQUIRE(db->Put(leveldb::WriteOptions(), "stored", "0123456789").ok());
  std::string ops;
  Journal::AppendRange(&ops, "stored", 10, "abc");
  Journal::AppendPut(&ops, "fresh", "hello");
  Journal::AppendRange(&ops, "stored", 12, "XY");
  Journal::AppendRange(&ops, "fresh", 5, " world");
  Journal::AppendPut(&ops, "other", "o");
  leveldb::WriteBatch batch;
  REQUIRE(BehindWriter::BuildBatch(db.get(), ops, &batch).ok());
  CHECK(BatchValue(batch, "stored") == "0123456789abXY");
  CHECK(BatchValue(batch, "fresh") == "hello world");
  CHECK(BatchValue(batch, "other") == "o");
  int writes = 0;
  struct Counter : leveldb::WriteBatch::Handler {
    int* n;
    void Put(const leveldb::Slice&, const leveldb::Slice&) override { ++*n; }
    void Delete(const leveldb::Slice&) override { ++*n; }
  } counter;
  counter.n = &writes;
  REQUIRE(batch.Iterate(&counter).ok());
  CHECK(writes == 3);

  SECTION("a range over a key LevelDB does not hold: refused") {
    std::string lost;
    Journal::AppendRange(&lost, "nowhere", 3, "x");
    CHECK(BehindWriter::BuildBatch(db.get(), lost, &batch).code() == Status::Code::kCorruption);
  }
  SECTION("a range after a delete: refused") {
    std::string deleted;
    Journal::AppendDelete(&deleted, "stored");
    Journal::AppendRange(&deleted, "stored", 3, "x");
    CHECK(BehindWriter::BuildBatch(db.get(), deleted, &batch).code() == Status::Code::kCorruption);
  }
}

EngineOptions Options(const std::string& dir) {
  EngineOptions o;
  o.dir = dir;
  o.idle_flush_ms = 0;
  o.write_behind_ms = 1'000'000;  // flushes only when a test asks
  o.write_behind_adaptive = false;
  return o;
}

void CrashCopy(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
  fs::remove(fs::path(to) / "LOCK");
}

uint64_t JournalBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (Journal::IsSegmentName(entry.path().filename().string())) n += entry.file_size();
  }
  return n;
}

TEST_CASE("Write-behind: appends to a big value journal the appended bytes", "[journal]") {
  TempDir dir, crashed;
  const std::string copy = crashed.path() + "/data";
  auto e = testing::OpenTestEngine(Options(dir.path()));
  std::string value(200'000, 'v');
  e->Put("log", Rec(value, 4'000'000'000'000));
  e->Put("small", Rec("s"));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());  // LevelDB holds the first value
  const uint64_t before = JournalBytes(dir.path());
  for (int i = 0; i < 50; ++i) {
    const std::string tail(1000, static_cast<char>('a' + i % 26));
    value += tail;
    e->Put("log", Rec(value, 4'000'000'000'000));
    Commit(*e);
    if (i == 20) REQUIRE(e->FlushBehind().ok());  // some in LevelDB, some in the journal only
  }
  // A SETRANGE near the start (no range: most bytes after it differ), then
  // one near the end.
  value[5] = '?';
  e->Put("log", Rec(value, 4'000'000'000'000));
  Commit(*e);
  value[value.size() - 10] = '!';
  e->Put("log", Rec(value, 4'000'000'000'000));
  Commit(*e);
  value += "end";
  e->Put("log", Rec(value, 4'000'000'000'000));
  Commit(*e);
  CHECK(e->stats().journal_ranges == 52);
  // 53 commits of a value over 200 KB: the appended bytes and one whole
  // record (the change near the start), about 300 KB, not 10 MB.
  const uint64_t journaled = JournalBytes(dir.path()) - before;
  CHECK(journaled > 250'000);
  CHECK(journaled < 500'000);
  CHECK(ValueOf(*e, "log") == value);

  SECTION("a crash: the replay writes the whole value") {
    CrashCopy(dir.path(), copy);
    e.reset();
    auto c = testing::OpenTestEngine(Options(copy));
    CHECK(c->stats().replayed_records > 0);
    CHECK(ValueOf(*c, "log") == value);
    CHECK(ValueOf(*c, "small") == "s");
    CHECK(c->KeyCount() == 2);
    CHECK(c->ExpiresCount() == 1);
  }
  SECTION("a flush writes the whole value to LevelDB") {
    REQUIRE(e->FlushBehind(/*sync=*/true).ok());
    CrashCopy(dir.path(), copy);
    e.reset();
    for (const auto& entry : fs::directory_iterator(copy)) {
      if (Journal::IsSegmentName(entry.path().filename().string())) fs::remove(entry.path());
    }
    auto c = testing::OpenTestEngine(Options(copy));
    CHECK(c->stats().replayed_records == 0);
    CHECK(ValueOf(*c, "log") == value);
  }
}

TEST_CASE("Write-behind: a changed expiry or a small value journals the whole record",
          "[journal]") {
  TempDir dir, crashed;
  auto e = testing::OpenTestEngine(Options(dir.path()));
  std::string big(100'000, 'b');
  e->Put("big", Rec(big));
  e->Put("small", Rec(std::string(1000, 's')));
  Commit(*e);
  e->Put("big", Rec(big + "x", 4'000'000'000'000));  // the expiry changed: the header differs
  e->Put("small", Rec(std::string(1000, 's') + "x"));
  Commit(*e);
  CHECK(e->stats().journal_ranges == 0);
  e->Put("big", Rec(big + "xy", 4'000'000'000'000));
  Commit(*e);
  CHECK(e->stats().journal_ranges == 1);
  e->Delete("big");
  Commit(*e);
  e->Put("big", Rec(big + "z"));  // after a delete: a whole record
  Commit(*e);
  CHECK(e->stats().journal_ranges == 1);
  CrashCopy(dir.path(), crashed.path() + "/data");
  e.reset();
  auto c = testing::OpenTestEngine(Options(crashed.path() + "/data"));
  CHECK(ValueOf(*c, "big") == big + "z");
  CHECK(ValueOf(*c, "small") == std::string(1000, 's') + "x");
}

}  // namespace
}  // namespace ringkv::storage
