// The engine's metadata keys (kMetaPrefix + name), shared by engine.cc and
// engine_flush.cc; internal to storage/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/record.h"

namespace ringkv::storage {

inline constexpr std::string_view kKeyCountMeta = "keycount";
inline constexpr std::string_view kExpiresCountMeta = "expirescount";
// Sum of the expiry times (unix ms) of the live keys that have one, for
// INFO's avg_ttl. Absent in data dirs written before it existed: the
// average is then unknown until no key has an expiry.
inline constexpr std::string_view kExpireSumMeta = "expiresum";
// A random token that a clean close writes here and at the head of the
// saved key filter; an open that finds both alike uses the file
// (engine_key_filter.cc), and removes both.
inline constexpr std::string_view kKeyFilterMeta = "keyfilter";
// Bytes written since the last idle compaction (idle_flush.h), saved by a
// clean close so that a load followed by a restart is still compacted.
inline constexpr std::string_view kIdleCompactPendingMeta = "idlecompactpending";
// + slot (2 bytes) -> count, decimal, ":" and the sequence number of the
// next slot log entry when it was written (counts a journaled commit wrote
// before that tag existed have none: the log was empty then).
inline constexpr std::string_view kSlotCountMeta = "slotcount";
// The slot counts direct commits changed (engine_counts.cc): + a sequence
// number (8 bytes, big-endian) -> the commit's (slot, count) pairs, each
// 2 + 8 bytes, big-endian. A pair stands over its slot's count unless the
// count is tagged with a later sequence number.
inline constexpr std::string_view kSlotLogMeta = "slotlog";
// The data format of the dir, a decimal number: what its bytes mean (the
// record encoding in record.h, the keyspaces and slot prefixes, these
// metadata keys, the write journal's ops in journal.h). A change to any of
// them that an older build would misread takes the next number, and that
// build then refuses the dir by name instead of reading it wrong. Dirs
// written before the number existed hold format 1 and get it at their next
// open. A FLUSHALL does not carry it over: the new database gets the number
// of the build that makes it. (A FLUSHALL-PENDING marker that carries one,
// from a newer build, is checked the same way.)
inline constexpr std::string_view kFormatMeta = "format";
// Format 2: the slot count log (kSlotLogMeta), which format 1 would ignore.
inline constexpr uint64_t kDataFormat = 2;

inline std::string SlotCountName(uint16_t slot) {
  std::string n(kSlotCountMeta);
  PutSlotBE(&n, slot);
  return n;
}

inline std::string SlotLogName(uint64_t seq) {
  std::string n(kSlotLogMeta);
  PutFixed64BE(&n, seq);
  return n;
}

inline std::string MetaKey(std::string_view name) {
  std::string k(1, kMetaPrefix);
  k.append(name);
  return k;
}

}  // namespace ringkv::storage
