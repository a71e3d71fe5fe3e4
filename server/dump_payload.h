// The serialized value of DUMP and RESTORE, for strings, in Redis's format:
// one RDB object (a type byte, then the value as RDB writes a string), the
// RDB version as 2 bytes little-endian, and a CRC-64 (Jones polynomial, as
// Redis's crc64) of all that, 8 bytes little-endian. A payload DUMP writes
// here restores in redis-server 7.0 and later, and the other way round.
//
// Writing: an integer of up to 11 characters in its canonical form is stored
// as an 8, 16 or 32-bit integer, as Redis does; anything else is stored
// plain, with no LZF compression (Redis compresses strings over 20 bytes when
// that saves space, so its payload for such a value is shorter than ours;
// both are valid everywhere). Reading takes every string encoding (plain,
// integer, LZF).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringkv::server {

// The RDB version a payload carries: redis-server 7.0's.
inline constexpr uint16_t kDumpRdbVersion = 10;
// The newest version RESTORE takes. Redis 7.2 writes 11 and 7.4 writes 12;
// strings are encoded the same in those, so their payloads restore here.
inline constexpr uint16_t kRestoreMaxRdbVersion = 12;

std::string DumpPayload(std::string_view value);

enum class PayloadError {
  kNone,
  kVersionOrChecksum,  // "DUMP payload version or checksum are wrong"
  kBadFormat,          // the checksum holds, the object does not parse
  kNotString,          // a valid object of another type (list, hash...)
};
// The string a payload holds. With kNotString, *rdb_type is the object's type.
// A compressed string longer than `max_value` bytes is kBadFormat (it would
// take that much memory to find out; a plain one is in the payload already).
PayloadError ParsePayload(std::string_view payload, uint64_t max_value, std::string* value,
                          int* rdb_type);

// CRC-64/Jones as Redis computes it (reflected, no final xor), from `crc`.
uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace ringkv::server
