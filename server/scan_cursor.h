// SCAN cursors. Redis clients expect a cursor to be an unsigned 64-bit
// integer, while the KeyStore resumes a scan from an opaque string position
// (a storage key, of any length). A ScanCursorTable maps one to the other.
//
// It is bounded: it keeps the newest `capacity` positions and forgets the
// oldest. A cursor it does not know (forgotten, made up, or issued by an
// earlier process) restarts the scan from the beginning. That keeps SCAN's
// guarantee (a key present for the whole iteration is returned at least once)
// at the price of repeats, but an iteration that sleeps between calls while
// more than `capacity` newer cursors are issued may never finish.
//
// Cursors are random, never 0, and not reused while they are in the table.
// Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ringkv::server {

// Parses a cursor as Redis does (strtoull, base 10): an optional sign (a
// negative value wraps around), no leading whitespace, nothing after the
// digits, at most 2^64-1; the empty string is 0 and the text stops at a NUL
// byte. False means "ERR invalid cursor".
bool ParseScanCursor(std::string_view s, uint64_t* out);

class ScanCursorTable {
 public:
  static constexpr size_t kDefaultCapacity = 10000;

  explicit ScanCursorTable(size_t capacity = kDefaultCapacity);
  ScanCursorTable(size_t capacity, uint64_t seed);
  ScanCursorTable(const ScanCursorTable&) = delete;
  ScanCursorTable& operator=(const ScanCursorTable&) = delete;

  // Remembers `position` and returns a new non-zero cursor for it, forgetting
  // the oldest cursor if the table is full.
  uint64_t Save(std::string position);
  // The position `cursor` stands for: "" (the beginning) for 0 and for any
  // cursor not in the table. A cursor stays valid after use, so a client may
  // retry a call.
  std::string Find(uint64_t cursor) const;

  size_t size() const { return positions_.size(); }

 private:
  size_t capacity_;
  std::mt19937_64 rng_;
  std::unordered_map<uint64_t, std::string> positions_;
  std::deque<uint64_t> order_;  // oldest first
};

}  // namespace ringkv::server
