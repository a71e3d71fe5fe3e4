// Range ops (journal.h): a small change to a big value journals the bytes
// that changed, and every path that turns the journal into LevelDB writes
// (a write-behind flush, a replay after a crash) ends with the whole value.
#include <leveldb/write_batch.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/behind_writer.h"
#include "storage/engine.h"
#include "storage/journal.h"
#include "tests/support/crash.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace ringkv::storage {
namespace {

namespace fs = std::filesystem;
using ringkv::testing::Commit;
using ringkv::testing::CrashAndReopen;
using ringkv::testing::JournalBytes;
using ringkv::testing::JournalingOptions;
using ringkv::testing::JournalSegments;
using ringkv::testing::Rec;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;
using ringkv::testing::WaitFor;

// One key's state as a replay sees it: absent, or a value.
using State = std::optional<std::string>;

State Apply(State s, const Journal::Op& op) {
  switch (op.kind) {
    case Journal::Op::kPut:
      return std::string(op.value);
    case Journal::Op::kDelete:
      return std::nullopt;
    case Journal::Op::kRange:
    case Journal::Op::kPatch: {
      std::string v = s ? *s : std::string();  // as the replay's: absent reads as empty
      Journal::ApplyInPlace(&v, op);
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
  // existing value, keeping a prefix of it; a patch only within one.
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
      const uint64_t kind = pick(12);
      std::string bytes(pick(20), static_cast<char>('b' + i));
      if (kind == 0) {
        Journal::AppendDelete(&p, "k");
      } else if (kind <= 2 || !s) {
        Journal::AppendPut(&p, "k", bytes);
      } else if (kind <= 8) {
        Journal::AppendRange(&p, "k", pick(s->size()), bytes);
      } else {  // a patch within the value
        bytes.resize(pick(s->size()));
        Journal::AppendPatch(&p, "k", pick(s->size() - bytes.size()), bytes);
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

TEST_CASE("BehindWriter::BuildBatch refuses a range op", "[journal]") {
  // The engine keeps ranges out of its flushes (Engine::held_): one reaching
  // the writer thread would mean a value written without its base.
  std::string ops;
  Journal::AppendPut(&ops, "a", "hello");
  Journal::AppendRange(&ops, "a", 5, " world");
  leveldb::WriteBatch batch;
  CHECK(BehindWriter::BuildBatch(ops, &batch).code() == Status::Code::kCorruption);
}

TEST_CASE("Write-behind: appends to a big value journal the appended bytes", "[journal]") {
  TempDir dir, crashed;
  const std::string copy = crashed.path() + "/data";
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
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
  // A SETRANGE near the start (no range: most bytes after it differ; a
  // patch), then one near the end (a range of 10 bytes).
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
  CHECK(e->stats().journal_patches == 1);
  // 53 commits of a value over 200 KB: the appended bytes (50 KB) and a
  // patch of one 64-byte block, not 10 MB.
  const uint64_t journaled = JournalBytes(dir.path()) - before;
  CHECK(journaled > 50'000);
  CHECK(journaled < 60'000);
  CHECK(ValueOf(*e, "log") == value);

  SECTION("a crash: the replay writes the whole value") {
    auto c = CrashAndReopen(&e, dir.path(), copy);
    CHECK(c->stats().replayed_records > 0);
    CHECK(ValueOf(*c, "log") == value);
    CHECK(ValueOf(*c, "small") == "s");
    CHECK(c->KeyCount() == 2);
    CHECK(c->ExpiresCount() == 1);
  }
  SECTION("a flush writes the whole value to LevelDB") {
    REQUIRE(e->FlushBehind(/*sync=*/true).ok());
    auto c = CrashAndReopen(&e, dir.path(), copy, /*journal=*/false);
    CHECK(c->stats().replayed_records == 0);
    CHECK(ValueOf(*c, "log") == value);
  }
}

TEST_CASE("Write-behind: changes inside a big value journal the blocks that changed", "[journal]") {
  TempDir dir, crashed;
  const std::string copy = crashed.path() + "/data";
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  std::string value(200'000, 'v');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>('a' + i % 26);
  e->Put("bits", Rec(value, 4'000'000'000'000));
  Commit(*e);
  const uint64_t before = JournalBytes(dir.path());
  // SETBIT-like changes: a byte here and there, in 50 commits, a few in one.
  for (int i = 0; i < 50; ++i) {
    value[(i * 7919) % value.size()] ^= 0x10;
    if (i % 10 == 0) value[(i * 104729) % value.size()] = '!';
    e->Put("bits", Rec(value, 4'000'000'000'000));
    Commit(*e);
  }
  CHECK(e->stats().journal_patches == 50);
  CHECK(e->stats().journal_ranges == 0);
  // 50 commits of a 200 KB value: a few 64-byte blocks each, not 10 MB.
  CHECK(JournalBytes(dir.path()) - before < 20'000);
  // Over half of the bytes changed: a whole record.
  std::string most = value;
  for (size_t i = 0; i < most.size() * 3 / 4; i += 32) most[i] ^= 1;
  e->Put("other", Rec(value));
  Commit(*e);
  e->Put("other", Rec(most));
  Commit(*e);
  CHECK(e->stats().journal_patches == 50);
  // Another length: a range or a whole record, not patches.
  value += "x";
  e->Put("bits", Rec(value, 4'000'000'000'000));
  Commit(*e);
  CHECK(e->stats().journal_patches == 50);
  value[5] = '?';  // near the start: patches, where a range would journal it all
  e->Put("bits", Rec(value, 4'000'000'000'000));
  Commit(*e);
  CHECK(e->stats().journal_patches == 51);
  CHECK(ValueOf(*e, "bits") == value);

  SECTION("a crash: the replay applies them") {
    auto c = CrashAndReopen(&e, dir.path(), copy);
    CHECK(c->stats().replayed_records > 0);
    CHECK(ValueOf(*c, "bits") == value);
    CHECK(ValueOf(*c, "other") == most);
    CHECK(c->KeyCount() == 2);
    CHECK(c->ExpiresCount() == 1);
  }
  SECTION("a flush writes the whole value to LevelDB") {
    REQUIRE(e->FlushBehind(/*sync=*/true).ok());
    auto c = CrashAndReopen(&e, dir.path(), copy, /*journal=*/false);
    CHECK(c->stats().replayed_records == 0);
    CHECK(ValueOf(*c, "bits") == value);
  }
}

TEST_CASE("Write-behind: a changed expiry or a small value journals the whole record",
          "[journal]") {
  TempDir dir, crashed;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
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
  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, "big") == big + "z");
  CHECK(ValueOf(*c, "small") == std::string(1000, 's') + "x");
}

}  // namespace
}  // namespace ringkv::storage

namespace ringkv::storage {
namespace {

// One turn as the server ends it: commit, then maybe a flush.
void Turn(Engine& e) {
  Status s = e.EndTurn();
  INFO(s.message());
  REQUIRE(s.ok());
}

// One turn, then empty ones (as the server's timer makes) until a flight
// has started with what it committed, the one before it done. Without the
// wait, a machine too busy for the writer thread makes fewer, bigger
// flights than the test means.
void TurnAndFlight(Engine& e) {
  const uint64_t before = e.stats().behind_flushes;
  Turn(e);
  (void)WaitFor([&] {
    if (e.stats().behind_flushes != before) return true;
    Turn(e);  // polls the flight under way, and starts the next once it is due
    return false;
  });
  REQUIRE(e.stats().behind_flushes == before + 1);
}

// Empty turns until every committed key but the held ones is in LevelDB
// (each flight done, and what it had to do after: dropping segments).
void DrainFlights(Engine& e) {
  (void)WaitFor([&] {
    if (e.unflushed() == e.held_keys()) return true;
    Turn(e);
    return false;
  });
  REQUIRE(e.unflushed() == e.held_keys());
}

TEST_CASE("Write-behind: a big value's appends reach LevelDB once it doubled", "[journal]") {
  // A flush every turn (write_behind_ms 1, a small key written in each
  // turn): without holding, each would write the big value whole.
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 1;
  auto e = testing::OpenTestEngine(o);
  std::string value(100'000, 'v');
  e->Put("log", Rec(value));
  Turn(*e);
  REQUIRE(e->FlushBehind().ok());
  const uint64_t flushes = e->stats().behind_flushes, writes = e->stats().behind_writes;
  for (int i = 0; i < 200; ++i) {
    value += std::string(1000, static_cast<char>('a' + i % 26));
    e->Put("log", Rec(value));
    e->Put("tick", Rec(std::to_string(i)));
    TurnAndFlight(*e);
    // Held: its appends since LevelDB had it are under half of it.
    if (i == 50) CHECK(e->held_keys() == 1);
  }
  const uint64_t flights = e->stats().behind_flushes - flushes;
  // Every flight writes "tick"; "log" only once its appends since LevelDB
  // last had it add up to half of it (it doubled): from 100 KB to 300 KB,
  // once, at 200 KB (not 200 times).
  const uint64_t log_writes = e->stats().behind_writes - writes - flights;
  CHECK(flights == 200);
  CHECK(log_writes == 1);
  CHECK(ValueOf(*e, "log") == value);

  SECTION("a crash: the replay applies what was held") {
    auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
    CHECK(ValueOf(*c, "log") == value);
    CHECK(ValueOf(*c, "tick") == "199");
  }
  SECTION("SAVE (a synced flush) writes them, and a whole write drops them") {
    REQUIRE(e->Sync().ok());
    CHECK(e->held_keys() == 0);
    value += "tail";
    e->Put("log", Rec(value));
    Turn(*e);
    CHECK(e->held_keys() == 1);
    value = std::string(50'000, 'n');  // not a range: the held one is moot
    e->Put("log", Rec(value));
    Turn(*e);
    CHECK(e->held_keys() == 0);
    value += "more";
    e->Put("log", Rec(value));
    Turn(*e);
    CHECK(e->held_keys() == 1);
    REQUIRE(e->FlushBehind().ok());
    CHECK(e->held_keys() == 0);
    CHECK(e->unflushed() == 0);
    // LevelDB alone has it now.
    auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data", /*journal=*/false);
    CHECK(ValueOf(*c, "log") == value);
  }
  SECTION("deleted while held") {
    e->Delete("log");
    Turn(*e);
    CHECK(e->held_keys() == 0);
    REQUIRE(e->FlushBehind().ok());
    CHECK_FALSE(ValueOf(*e, "log").has_value());
    auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
    CHECK_FALSE(ValueOf(*c, "log").has_value());
    CHECK(c->KeyCount() == 1);
  }
}

TEST_CASE("Adaptive write-behind: journals appends spread over many big values", "[journal]") {
  // Each key written once per window (so the coalescing rule says "commit
  // straight to LevelDB"), but each write would store a 20 KB value for
  // 200 new bytes.
  TempDir dir;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 5;  // periods of 100 ms
  o.write_behind_adaptive = true;
  auto e = testing::OpenTestEngine(o);
  REQUIRE_FALSE(e->journaling());
  std::vector<std::string> values(300, std::string(20'000, 'v'));
  for (size_t k = 0; k < values.size(); ++k) e->Put("log:" + std::to_string(k), Rec(values[k]));
  Turn(*e);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int i = 0; std::chrono::steady_clock::now() < deadline && !e->journaling(); ++i) {
    const size_t k = static_cast<size_t>(i * 7) % values.size();
    values[k] += std::string(200, static_cast<char>('a' + i % 26));
    e->Put("log:" + std::to_string(k), Rec(values[k]));
    Turn(*e);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  REQUIRE(e->journaling());
  for (int i = 0; i < 300; ++i) {
    values[static_cast<size_t>(i)] += "tail";
    e->Put("log:" + std::to_string(i), Rec(values[static_cast<size_t>(i)]));
    Turn(*e);
  }
  CHECK(e->stats().journal_ranges == 300);
  REQUIRE(e->FlushBehind().ok());
  for (size_t k = 0; k < values.size(); k += 37)
    CHECK(ValueOf(*e, "log:" + std::to_string(k)) == values[k]);
}

TEST_CASE("Write-behind: a crash after SAVE replays appends onto the value LevelDB holds",
          "[journal]") {
  // SAVE starts a new segment: the journal then holds only ranges, and the
  // replay reads their value from LevelDB (once per batch, not per range).
  TempDir dir, crashed;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  std::string value(1'000'000, 'v');
  e->Put("log", Rec(value));
  Commit(*e);
  REQUIRE(e->Sync().ok());
  for (int i = 0; i < 2000; ++i) {
    value += std::string(1000, static_cast<char>('a' + i % 26));
    e->Put("log", Rec(value));
    Commit(*e);
  }
  CHECK(e->stats().journal_ranges == 2000);
  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(c->stats().replayed_records == 2000);
  CHECK(ValueOf(*c, "log") == value);
}

TEST_CASE("Write-behind: with ranges journaled, a flush syncs the journal first", "[journal]") {
  // Else a power cut could keep LevelDB's later write of the key (a delete,
  // say) and lose the journal's record of it: the replay would then apply
  // the range to the wrong value.
  TempDir dir;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  std::string value(20'000, 'v');
  e->Put("log", Rec(value));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->stats().journal_syncs == 0);
  e->Put("log", Rec(value + "tail"));
  Commit(*e);
  e->Delete("log");
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->stats().journal_syncs == 1);
  e->Put("other", Rec("o"));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());  // the range is still in the segment
  CHECK(e->stats().journal_syncs == 2);
  REQUIRE(e->Sync().ok());  // a new segment; the old one goes
  e->Put("other", Rec("p"));
  Commit(*e);
  REQUIRE(e->FlushBehind().ok());
  CHECK(e->stats().journal_syncs == 3);  // (Sync's own flush)
}

TEST_CASE("Write-behind: range ops alone still close a full journal segment", "[journal]") {
  // Nothing but changes near the end of a 4 MB value, never half of it: no
  // flush is due for them, yet the segment must not grow past its size.
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 1;
  o.journal_segment_bytes = 256 << 10;
  auto e = testing::OpenTestEngine(o);
  std::string value(4'000'000, 'v');
  e->Put("log", Rec(value));
  Turn(*e);
  REQUIRE(e->FlushBehind().ok());
  const std::vector<fs::path> first = JournalSegments(dir.path());
  REQUIRE(first.size() == 1);
  for (int i = 0; i < 1000; ++i) {
    for (size_t b = value.size() - 1000; b < value.size(); ++b) {
      value[b] = static_cast<char>('a' + (i + b) % 26);
    }
    e->Put("log", Rec(value));
    Turn(*e);
  }
  CHECK(e->stats().journal_ranges == 1000);
  CHECK_FALSE(fs::exists(first[0]));
  CHECK(JournalBytes(dir.path()) < 2 * o.journal_segment_bytes);
  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, "log") == value);
}

TEST_CASE("Write-behind: active expiry flushes a due expiry, and leaves held keys held",
          "[journal]") {
  TempDir dir;
  auto e = testing::OpenTestEngine(JournalingOptions(dir.path()));
  std::string value(100'000, 'v');
  e->Put("log", Rec(value));
  Turn(*e);
  REQUIRE(e->FlushBehind().ok());
  value += "tail";
  e->Put("log", Rec(value));
  Turn(*e);
  REQUIRE(e->held_keys() == 1);
  std::vector<std::string> deleted;
  // No key expires: nothing to walk, nothing flushed.
  const uint64_t flushes = e->stats().behind_flushes;
  REQUIRE(e->ExpireStep(4'000'000'000'000, 100, &deleted).ok());
  CHECK(e->stats().behind_flushes == flushes);
  // A TTL journaled since the last flush, not due yet: no flush either.
  e->Put("later", Rec("l", 4'000'000'000'000));
  Turn(*e);
  const uint64_t flushes_with_ttl = e->stats().behind_flushes;
  REQUIRE(e->ExpireStep(2'000, 100, &deleted).ok());
  CHECK(e->stats().behind_flushes == flushes_with_ttl);
  CHECK(deleted.empty());
  // A TTL journaled since the last flush and due: flushed so that the walk
  // sees it, and the key goes; the held key stays held.
  e->Put("brief", Rec("b", 1'000));
  Turn(*e);
  REQUIRE(e->ExpireStep(2'000, 100, &deleted).ok());
  CHECK(deleted == std::vector<std::string>{"brief"});
  CHECK(e->held_keys() == 1);
  CHECK_FALSE(ValueOf(*e, "brief").has_value());
  CHECK(ValueOf(*e, "log") == value);
}

TEST_CASE("Write-behind: held appends reach LevelDB before their journal segment goes",
          "[journal]") {
  // 128 KB segments, and appends that never double the value:
  // only a flight that starts a new segment writes them (the old
  // segments, which hold them, are deleted once it is in). Without that, a
  // crash after the deletion would replay later appends onto a value that
  // lacks these.
  TempDir dir, crashed;
  EngineOptions o = JournalingOptions(dir.path());
  o.write_behind_ms = 1;
  o.journal_segment_bytes = 128 << 10;
  auto e = testing::OpenTestEngine(o);
  std::string value(1'000'000, 'v');  // 1 MB of appends: never reached here
  e->Put("log", Rec(value));
  Turn(*e);
  REQUIRE(e->FlushBehind().ok());  // the value's own segment rotated out
  const std::vector<fs::path> first = JournalSegments(dir.path());
  REQUIRE(first.size() == 1);
  size_t most_segments = 0;
  for (int i = 0; i < 450; ++i) {
    value += std::string(1000, static_cast<char>('a' + i % 26));
    e->Put("log", Rec(value));
    e->Put("tick", Rec(std::to_string(i)));
    Turn(*e);
    if (i % 20 == 19) {
      DrainFlights(*e);
      most_segments = std::max(most_segments, JournalSegments(dir.path()).size());
    }
  }
  CHECK_FALSE(fs::exists(first[0]));  // rotated out and deleted, held ranges and all
  CHECK(most_segments <= 2);
  CHECK(ValueOf(*e, "log") == value);
  auto c = CrashAndReopen(&e, dir.path(), crashed.path() + "/data");
  CHECK(ValueOf(*c, "log") == value);
}

}  // namespace
}  // namespace ringkv::storage
