// The data format number a data dir carries (engine_meta.h): written at the
// first open and into FLUSHALL's new database, and a dir of an unknown format
// refused by name rather than read wrong. (A FLUSHALL marker that carries a
// number: engine_flush_test.cc.)
#include <leveldb/db.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "storage/engine.h"
#include "storage/record.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::OpenTestEngine;
using ringkv::testing::TempDir;
using ringkv::testing::ValueOf;

const std::string kFormatKey = std::string(1, kMetaPrefix) + "format";

// The format key as LevelDB holds it ("" if absent); with `set`, writes it
// first (an empty `*set` deletes it). The engine must be closed.
std::string RawFormat(const std::string& dir, const std::string* set = nullptr) {
  leveldb::Options o;
  leveldb::DB* raw = nullptr;
  REQUIRE(leveldb::DB::Open(o, dir, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  leveldb::WriteOptions wo;
  wo.sync = true;
  if (set && set->empty()) REQUIRE(db->Delete(wo, kFormatKey).ok());
  if (set && !set->empty()) REQUIRE(db->Put(wo, kFormatKey, *set).ok());
  std::string v;
  leveldb::Status s = db->Get(leveldb::ReadOptions(), kFormatKey, &v);
  if (s.IsNotFound()) return "";
  REQUIRE(s.ok());
  return v;
}

void Write(Engine& e, const std::string& key, const std::string& value) {
  e.Put(key, testing::Rec(value));
  Status s = e.FlushBehind();
  INFO(s.message());
  REQUIRE(s.ok());
}

TEST_CASE("Engine: a new data dir gets data format 2, and so does FLUSHALL's new database",
          "[engine]") {
  TempDir dir;
  {
    auto e = OpenTestEngine(dir.path());
    Write(*e, "k", "v");
  }
  CHECK(RawFormat(dir.path()) == "2");
  {
    auto e = OpenTestEngine(dir.path());
    REQUIRE(e->FlushAll().ok());
    Write(*e, "k2", "v2");
  }
  CHECK(RawFormat(dir.path()) == "2");
}

TEST_CASE(
    "Engine: a dir of format 1, or written before the format number, opens as it is and "
    "is format 2 from then on",
    "[engine]") {
  TempDir dir;
  {
    auto e = OpenTestEngine(dir.path());
    Write(*e, "k", "v");
  }
  for (const std::string stored : {"", "1"}) {
    INFO("stored format '" << stored << "'");
    REQUIRE(RawFormat(dir.path(), &stored) == stored);
    {
      auto e = OpenTestEngine(dir.path());
      CHECK(ValueOf(*e, "k") == "v");
      CHECK(e->KeyCount() == 1);
      CHECK(e->SlotKeyCount(KeySlot("k")) == 1);
    }
    CHECK(RawFormat(dir.path()) == "2");
  }
}

TEST_CASE("Engine: a dir of a newer or a damaged data format is refused, its data left as it was",
          "[engine]") {
  TempDir dir;
  {
    auto e = OpenTestEngine(dir.path());
    Write(*e, "k", "v");
  }
  struct Case {
    std::string stored, says;
  };
  for (const Case& c : {Case{"3", "holds data format 3, written by a newer ringkv"},
                        Case{"17", "holds data format 17"}, Case{"1x", "damaged data format"},
                        Case{"0", "damaged data format"}, Case{"-1", "damaged data format"}}) {
    INFO("stored format '" << c.stored << "'");
    REQUIRE(RawFormat(dir.path(), &c.stored) == c.stored);
    EngineOptions o;
    o.dir = dir.path();
    auto r = Engine::Open(o);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains(c.says));
    CHECK_THAT(r.status().message(), Catch::Contains(dir.path()));
    CHECK(RawFormat(dir.path()) == c.stored);  // left as it was
  }
  // With the number put back, the data is all there.
  const std::string one = "1";
  RawFormat(dir.path(), &one);
  auto e = OpenTestEngine(dir.path());
  CHECK(ValueOf(*e, "k") == "v");
}

}  // namespace
}  // namespace ringkv::storage
