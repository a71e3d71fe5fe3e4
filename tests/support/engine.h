// A storage::Engine for a unit test, on the test's own directory.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
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

// A record holding "v" that expires at `expire_at_ms` (0: never).
inline storage::Record RecordExpiringAt(int64_t expire_at_ms) {
  storage::Record r;
  r.value = "v";
  r.expire_at_ms = expire_at_ms;
  return r;
}

}  // namespace ringkv::testing
