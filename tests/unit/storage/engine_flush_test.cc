// FLUSHALL's crash safety (engine_flush.cc): a marker file holds the
// metadata to carry over until the new, empty database holds it, and an open
// that finds the marker finishes the flush. The interrupted case is made by
// hand here: the marker as FlushAll writes it, and a database directory that
// DestroyDB left half deleted.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "storage/engine.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::Rec;
using ringkv::testing::TempDir;
namespace fs = std::filesystem;

constexpr int64_t kNow = 1'700'000'000'000;

std::unique_ptr<Engine> Open(const std::string& dir) { return testing::OpenTestEngine(dir); }

bool Has(Engine& e, const std::string& key) {
  auto r = e.Get(key);
  REQUIRE(r.ok());
  return *r != nullptr;
}

std::string Meta(Engine& e, const std::string& name) {
  auto r = e.GetMeta(name);
  REQUIRE(r.ok());
  return *r;
}

void Append(std::string* out, const std::string& s) {
  const auto n = static_cast<uint32_t>(s.size());
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(s);
}

// What FlushAll writes before it drops anything: the magic line, then each
// carried metadata key (with its 'm' prefix) and value, length-prefixed.
void WriteMarker(const std::string& dir, const std::string& name, const std::string& value) {
  std::string body = "ringkv flushall 1\n";
  Append(&body, "m" + name);
  Append(&body, value);
  std::ofstream(fs::path(dir) / "FLUSHALL-PENDING", std::ios::binary) << body;
}

TEST_CASE("Engine: FlushAll keeps the metadata, leaves no marker, and zero counts",
          "[engine][flush]") {
  TempDir dir;
  {
    auto e = Open(dir.path());
    REQUIRE(e->PutMeta("node-id", "abc123").ok());
    e->Put("k", Rec("v", kNow + 60'000));
    REQUIRE(e->Commit().ok());
    REQUIRE(e->FlushAll().ok());
    CHECK(e->usable());
    CHECK_FALSE(fs::exists(fs::path(dir.path()) / "FLUSHALL-PENDING"));
  }
  // Restarted right after the flush: nothing of the old keys' counts or
  // expiry sum comes back (INFO keyspace, DBSIZE, avg_ttl).
  auto e = Open(dir.path());
  CHECK(Meta(*e, "node-id") == "abc123");
  CHECK_FALSE(Has(*e, "k"));
  CHECK(e->KeyCount() == 0);
  CHECK(e->ExpiresCount() == 0);
  e->Put("x", Rec("v", kNow + 7000));
  REQUIRE(e->Commit().ok());
  CHECK(e->AvgTtlMs(kNow) == 7000);
}

TEST_CASE("Engine: an open finishes a FLUSHALL a crash interrupted", "[engine][flush]") {
  TempDir dir;
  {
    auto e = Open(dir.path());
    REQUIRE(e->PutMeta("node-id", "abc123").ok());
    for (int i = 0; i < 100; ++i) e->Put("k" + std::to_string(i), Rec("v"));
    REQUIRE(e->Commit().ok());
  }
  WriteMarker(dir.path(), "node-id", "abc123");
  SECTION("after the marker, before anything was deleted") {}
  SECTION("half way through deleting (CURRENT already gone)") {
    fs::remove(fs::path(dir.path()) / "CURRENT");
  }
  auto e = Open(dir.path());
  CHECK_FALSE(Has(*e, "k1"));
  CHECK(e->KeyCount() == 0);
  CHECK(Meta(*e, "node-id") == "abc123");
  CHECK_FALSE(fs::exists(fs::path(dir.path()) / "FLUSHALL-PENDING"));
  e->Put("after", Rec("flush"));
  REQUIRE(e->Commit().ok());
  e.reset();
  e = Open(dir.path());  // an ordinary open now: the flush is not done again
  CHECK(Has(*e, "after"));
  CHECK(e->KeyCount() == 1);
}

TEST_CASE("Engine: a marker carrying a data format this build does not know stops the open",
          "[engine][flush]") {
  TempDir dir;
  {
    auto e = Open(dir.path());
    e->Put("k", Rec("v"));
    REQUIRE(e->Commit().ok());
  }
  // A newer build's FLUSHALL that a crash interrupted.
  WriteMarker(dir.path(), "format", "3");
  EngineOptions o;
  o.dir = dir.path();
  auto r = Engine::Open(o);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("holds data format 3, written by a newer"));
  CHECK(fs::exists(fs::path(dir.path()) / "FLUSHALL-PENDING"));  // left for that build
  // One that names a format this build reads is finished; the new database
  // has this build's number.
  WriteMarker(dir.path(), "format", "1");
  auto e = Open(dir.path());
  CHECK_FALSE(Has(*e, "k"));
  CHECK(Meta(*e, "format") == "2");
}

TEST_CASE("Engine: a marker that is not whole stops the open", "[engine][flush]") {
  TempDir dir;
  { auto e = Open(dir.path()); }
  SECTION("truncated") {
    std::string body = "ringkv flushall 1\n";
    Append(&body, "mnode-id");
    body.append("\x05\x00", 2);  // half a length
    std::ofstream(fs::path(dir.path()) / "FLUSHALL-PENDING", std::ios::binary) << body;
  }
  SECTION("not a marker") {
    std::ofstream(fs::path(dir.path()) / "FLUSHALL-PENDING") << "something else";
  }
  EngineOptions o;
  o.dir = dir.path();
  auto r = Engine::Open(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("FLUSHALL-PENDING") != std::string::npos);
}

}  // namespace
}  // namespace ringkv::storage
