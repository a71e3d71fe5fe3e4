// Key counts for storage unit tests: an engine's per-slot and total counts
// checked against a model of the live keys, or against a scan of its data.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/engine.h"
#include "storage/record.h"
#include "tests/support/crash.h"
#include "tests/support/engine.h"

namespace ringkv::testing {

// The model of the live keys: key -> slot.
using Live = std::map<std::string, uint16_t>;

// Slots whose count in `e` is not `want`'s.
inline size_t SlotsOff(const storage::Engine& e, const std::vector<uint64_t>& want) {
  size_t wrong = 0;
  for (int slot = 0; slot < storage::kSlots; ++slot) {
    wrong += e.SlotKeyCount(static_cast<uint16_t>(slot)) != want[slot] ? 1 : 0;
  }
  return wrong;
}

// Slots whose count differs from the keys in `live` in them.
inline size_t WrongSlotCounts(const storage::Engine& e, const Live& live) {
  std::vector<uint64_t> want(storage::kSlots, 0);
  for (const auto& [k, slot] : live) ++want[slot];
  return SlotsOff(e, want);
}

// `e`'s key counts, per slot and in all, against `live`.
inline void CheckCounts(const storage::Engine& e, const Live& live) {
  CHECK(WrongSlotCounts(e, live) == 0);
  CHECK(e.KeyCount() == live.size());
}

// What a crash now leaves of `o.dir`, copied to `copy_dir` and opened, has
// `live`'s counts.
inline void CheckCrashCopy(const storage::EngineOptions& o, const std::string& copy_dir,
                           const Live& live) {
  storage::EngineOptions c = o;
  c.dir = copy_dir;
  CrashCopy(o.dir, c.dir);
  CheckCounts(*OpenTestEngine(c), live);
}

// Slots whose count differs from the keys a scan finds in them.
inline size_t SlotCountsOffScan(storage::Engine& e) {
  std::vector<uint64_t> found(storage::kSlots, 0);
  std::string from, next;
  do {
    storage::Status s = e.Scan(
        from, 1000,
        [&](std::string_view k, const storage::Record&) {
          ++found[storage::KeySlot(k)];
          return true;
        },
        &next);
    REQUIRE(s.ok());
    from = next;
  } while (!from.empty());
  return SlotsOff(e, found);
}

}  // namespace ringkv::testing
