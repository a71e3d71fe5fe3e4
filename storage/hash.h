// The hashes more than one structure uses: the key hash of the record cache's
// index and of the key filter, and a 64-bit finalizer (the key filter's bit
// positions, the ring's token points).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace ringkv::storage {

// A key's 64-bit hash (in memory only: it may change with the library).
inline uint64_t KeyHash(std::string_view key) { return std::hash<std::string_view>{}(key); }

// A 64-bit finalizer (multiply-xorshift, the constants of SplitMix64): every
// input bit flips about half the output bits, so related inputs (consecutive
// indices, one hash used twice) land at independent-looking points.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace ringkv::storage
