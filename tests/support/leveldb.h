// A bare LevelDB database for a unit test, on the test's own directory.
#pragma once

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/options.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace ringkv::testing {

// Opens (creating it if missing) the database in `dir`, on `env` (null:
// LevelDB's default).
inline std::unique_ptr<leveldb::DB> OpenLevelDb(const std::string& dir,
                                                leveldb::Env* env = nullptr) {
  leveldb::Options o;
  o.create_if_missing = true;
  if (env) o.env = env;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(o, dir, &db);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return std::unique_ptr<leveldb::DB>(db);
}

}  // namespace ringkv::testing
