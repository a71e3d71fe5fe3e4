// Versions of a record (Dynamo section 4.4): a vector clock that says which
// writes a version has seen, plus a hybrid-logical-clock timestamp and the
// writer's node id that break ties between concurrent versions (last write
// wins), so a read always resolves to one value and replicas converge.
//
// Everything here is a value type with no clock or I/O of its own: the HLC is
// advanced with the physical time the caller passes in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace ringkv::cluster {

// Dynamo's threshold: past it, the entry updated longest ago is dropped.
inline constexpr size_t kDefaultMaxClockEntries = 10;

// ---------------------------------------------------------------------------
// Hybrid logical clock timestamps: (physical ms << 16) | logical counter.
// They order like integers, stay within a few ms of physical time, and never
// go backwards on one node even when its physical clock does.

inline constexpr int kHlcLogicalBits = 16;
inline constexpr int64_t kHlcMaxPhysicalMs = (int64_t{1} << 48) - 1;

inline int64_t HlcPhysicalMs(uint64_t ts) { return static_cast<int64_t>(ts >> kHlcLogicalBits); }
inline uint32_t HlcLogical(uint64_t ts) { return static_cast<uint32_t>(ts & 0xffff); }
// The smallest timestamp at physical time `ms` (clamped to 0..kHlcMaxPhysicalMs).
uint64_t HlcFromPhysical(int64_t ms);

// One node's HLC. Not thread-safe: owned by the loop thread.
class HybridClock {
 public:
  HybridClock() = default;
  explicit HybridClock(uint64_t last) : last_(last) {}
  HybridClock(const HybridClock&) = delete;
  HybridClock& operator=(const HybridClock&) = delete;

  // A timestamp for a local event (a write): greater than every timestamp
  // this clock returned or received before, and at least
  // HlcFromPhysical(physical_ms). When the physical clock stalls or goes
  // backwards the logical counter carries the order (overflowing into the
  // physical part after 65536 events in one ms).
  uint64_t Now(int64_t physical_ms);

  // Takes in a timestamp seen in a message (a replicated version), so that
  // the next Now() is after it; returns the clock's new value. The caller
  // decides whether a timestamp far ahead of its physical time is believable
  // (HlcPhysicalMs(received) - physical_ms); this function trusts it. The
  // clock saturates at the largest timestamp instead of wrapping.
  uint64_t Update(uint64_t received, int64_t physical_ms);

  uint64_t last() const { return last_; }

 private:
  uint64_t last_ = 0;
};

// ---------------------------------------------------------------------------
// Vector clocks.

struct ClockEntry {
  std::string node;         // node id
  uint64_t counter = 0;     // >= 1: writes this node coordinated in the history
  uint64_t updated_at = 0;  // HLC timestamp of the write that set `counter`
  bool operator==(const ClockEntry&) const = default;
};

// How two clocks (or versions) relate. kBefore: a happened before b (b
// descends from a).
enum class Order { kBefore, kAfter, kEqual, kConcurrent };
const char* OrderName(Order o);

class VectorClock {
 public:
  // Entries sorted by node id, counters >= 1.
  const std::vector<ClockEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  uint64_t CounterOf(std::string_view node) const;  // 0 if absent

  // Records a write coordinated by `node` at HLC `timestamp`: its counter
  // goes up by one. If the clock then holds more than max(max_entries, 1)
  // entries, the ones updated longest ago (smallest updated_at, ties by node
  // id) are pruned, never `node`'s own. Pruning can make a later comparison
  // say kConcurrent where the truth was kBefore; resolution then falls back to
  // last write wins, which is the price Dynamo accepts for bounded clocks.
  void Increment(std::string_view node, uint64_t timestamp,
                 size_t max_entries = kDefaultMaxClockEntries);

  // The least clock that descends from (or equals) both: per node, the
  // larger counter. Commutative, associative, idempotent. Never prunes, so
  // the result really descends from both (the next Increment prunes).
  static VectorClock Merge(const VectorClock& a, const VectorClock& b);

  // A clock from entries in canonical form (strictly ascending node ids,
  // counters >= 1); nullopt otherwise.
  static std::optional<VectorClock> FromEntries(std::vector<ClockEntry> entries);

  bool operator==(const VectorClock&) const = default;

 private:
  std::vector<ClockEntry> entries_;
};

// Compares counters only.
Order Compare(const VectorClock& a, const VectorClock& b);

// ---------------------------------------------------------------------------
// Versions.

struct Version {
  VectorClock clock;
  uint64_t timestamp = 0;  // HLC of the write; 0 in the empty version
  std::string writer;      // node id of the coordinator that wrote it
  bool operator==(const Version&) const = default;
  // The version of a record that was never written in cluster mode.
  bool empty() const { return clock.empty() && timestamp == 0 && writer.empty(); }
};

// The clock comparison, except that two versions with equal clocks but a
// different timestamp or writer are kConcurrent (different writes the clocks
// cannot order, e.g. after pruning). So kEqual means identical.
Order Compare(const Version& a, const Version& b);

// The version a coordinator gives a new write: `seen` (the clock of the
// version it read or resolved, empty if none) with `writer`'s counter bumped,
// stamped with `timestamp` from its HybridClock.
Version MakeSuccessor(const VectorClock& seen, std::string_view writer, uint64_t timestamp,
                      size_t max_entries = kDefaultMaxClockEntries);

struct Resolution {
  size_t winner = 0;    // index into the input of the version whose value wins
  Version version;      // what the repaired record carries
  size_t siblings = 0;  // distinct versions no other input descends from; > 1 is a conflict
};

// Read resolution. Versions that another input descends from lose. Among the
// rest (the siblings) the highest (timestamp, writer) wins (last write wins;
// the clock entries break a tie that only corrupt data could produce). The
// result carries the winner's timestamp and writer and the merge of every
// sibling's clock, so it descends from all of them and every replica that
// resolves the same set gets the same bytes. The outcome does not depend on
// the order of the input (`winner` points at the first of equal versions).
// nullopt for an empty input.
std::optional<Resolution> Resolve(std::span<const Version> versions);

// ---------------------------------------------------------------------------
// Encoding, for storage::Record::version. The empty version encodes to ""
// (the version of a record written before cluster mode). Decode accepts
// exactly what Encode produces: anything else, including truncated,
// trailing or non-canonical bytes, is Corruption, never a crash.
std::string EncodeVersion(const Version& v);
storage::Status DecodeVersion(std::string_view bytes, Version* out);

}  // namespace ringkv::cluster
