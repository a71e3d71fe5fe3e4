// A storage::Engine for a unit test, on the test's own directory.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "storage/engine.h"

namespace ringkv::testing {

inline std::unique_ptr<storage::Engine> OpenTestEngine(const storage::EngineOptions& o) {
  auto r = storage::Engine::Open(o);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline std::unique_ptr<storage::Engine> OpenTestEngine(const std::string& dir) {
  storage::EngineOptions o;
  o.dir = dir;
  return OpenTestEngine(o);
}

// The storage tests' n-th key: "key:<n>".
inline std::string Key(int i) { return "key:" + std::to_string(i); }

// A record holding `value` that expires at `expire_at_ms` (0: never).
inline storage::Record Rec(std::string value, int64_t expire_at_ms = 0) {
  storage::Record r;
  r.value = std::move(value);
  r.expire_at_ms = expire_at_ms;
  return r;
}

// The value stored under `key` (pending writes included), or nullopt if the
// key is absent.
inline std::optional<std::string> ValueOf(storage::Engine& e, std::string_view key) {
  auto r = e.Get(key);
  REQUIRE(r.ok());
  if (!*r) return std::nullopt;
  return (*r)->value;
}

// Commits the pending writes, which must succeed.
inline void Commit(storage::Engine& e) {
  storage::Status s = e.Commit();
  INFO(s.message());
  REQUIRE(s.ok());
}

// A record holding "v" that expires at `expire_at_ms` (0: never).
inline storage::Record RecordExpiringAt(int64_t expire_at_ms) {
  storage::Record r;
  r.value = "v";
  r.expire_at_ms = expire_at_ms;
  return r;
}

}  // namespace ringkv::testing
