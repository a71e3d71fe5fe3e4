#include "server/scan_cursor.h"

#include <utility>

namespace ringkv::server {

bool ParseScanCursor(std::string_view s, uint64_t* out) {
  // strtoull stops at a NUL, and Redis accepts the cursor if the parse
  // reached that NUL.
  if (size_t nul = s.find('\0'); nul != std::string_view::npos) s = s.substr(0, nul);
  if (s.empty()) {  // strtoull("") consumes nothing but ends on the terminator
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;  // a lone sign: nothing parsed
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;  // also rejects leading whitespace
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;  // ERANGE
    v = v * 10 + d;
  }
  *out = negative ? 0 - v : v;
  return true;
}

ScanCursorTable::ScanCursorTable(size_t capacity)
    : ScanCursorTable(capacity, std::random_device{}()) {}

ScanCursorTable::ScanCursorTable(size_t capacity, uint64_t seed)
    : capacity_(capacity == 0 ? 1 : capacity), rng_(seed) {}

uint64_t ScanCursorTable::Save(std::string position) {
  while (positions_.size() >= capacity_) {
    positions_.erase(order_.front());
    order_.pop_front();
  }
  uint64_t cursor;
  do {
    cursor = rng_();
  } while (cursor == 0 || positions_.contains(cursor));
  positions_.emplace(cursor, std::move(position));
  order_.push_back(cursor);
  return cursor;
}

std::string ScanCursorTable::Find(uint64_t cursor) const {
  if (cursor == 0) return {};
  auto it = positions_.find(cursor);
  return it == positions_.end() ? std::string() : it->second;
}

}  // namespace ringkv::server
