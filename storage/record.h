// A stored record and its on-disk encodings. Every LevelDB key starts with a
// keyspace byte so that a scan of one keyspace never walks another:
//   'd' slot(2, big-endian) user-key            -> encoded Record
//   'e' expire_at_ms(8, big-endian) user-key    -> "" (expiry index)
//   'm' name                                    -> metadata (key count, node id)
// A slot is Redis Cluster's hash slot, so a slot is one contiguous range.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace ringkv::storage {

inline constexpr int kSlots = 16384;
inline constexpr char kDataPrefix = 'd';
inline constexpr char kExpiryPrefix = 'e';
inline constexpr char kMetaPrefix = 'm';
inline constexpr char kHintPrefix = 'h';  // the cluster's hinted handoff (engine_hints.cc)

struct Record {
  std::string value;
  int64_t expire_at_ms = 0;  // absolute unix ms; 0 = no expiry
  std::string version;       // opaque to storage (the cluster's vector clock); empty on one node
  bool tombstone = false;    // a versioned delete (cluster mode)

  bool ExpiredAt(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }
};

// Records are shared read-only between the cache and readers; never mutated
// once published.
using RecordRef = std::shared_ptr<const Record>;

// CRC16 (XMODEM) of the key, or of the first non-empty {hash tag}, mod 16384.
uint16_t KeySlot(std::string_view key);

std::string DataKey(std::string_view user_key);  // 'd' + slot + key
std::string DataKeyForSlot(uint16_t slot, std::string_view user_key);
void DataKeyForSlot(uint16_t slot, std::string_view user_key, std::string* out);  // reuses *out
std::string ExpiryKey(int64_t expire_at_ms, std::string_view user_key);
// Inverse of DataKey: false if `db_key` is not a well-formed data key.
bool ParseDataKey(std::string_view db_key, uint16_t* slot, std::string_view* user_key);
bool ParseExpiryKey(std::string_view db_key, int64_t* expire_at_ms, std::string_view* user_key);

std::string EncodeRecord(const Record& r);
void EncodeRecord(const Record& r, std::string* out);  // reuses *out's buffer
Status DecodeRecord(std::string_view bytes, Record* out);

void PutFixed64BE(std::string* out, uint64_t v);
uint64_t GetFixed64BE(const char* p);

}  // namespace ringkv::storage
