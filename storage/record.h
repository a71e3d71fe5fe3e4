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

// A record's version bytes (opaque to storage: the cluster's encoded vector
// clock). One pointer, null when empty: a single node's records, whose
// version is always empty, pay 8 bytes for it in every cached record instead
// of a std::string's 32. The bytes live in one allocation after their length.
class VersionBytes {
 public:
  VersionBytes() = default;
  VersionBytes(std::string_view bytes) { assign(bytes.data(), bytes.size()); }  // NOLINT: implicit
  VersionBytes(const char* bytes) : VersionBytes(std::string_view(bytes)) {}    // NOLINT: implicit
  VersionBytes(const std::string& bytes) : VersionBytes(std::string_view(bytes)) {}  // NOLINT
  VersionBytes(const VersionBytes& o) : VersionBytes(o.view()) {}
  VersionBytes(VersionBytes&&) noexcept = default;
  VersionBytes& operator=(const VersionBytes& o) {
    if (this != &o) assign(o.data(), o.size());
    return *this;
  }
  VersionBytes& operator=(VersionBytes&&) noexcept = default;

  void assign(const char* bytes, size_t n);
  void clear() { block_.reset(); }
  bool empty() const { return block_ == nullptr; }
  size_t size() const;
  const char* data() const { return block_ ? block_.get() + sizeof(uint32_t) : ""; }
  std::string_view view() const { return {data(), size()}; }
  operator std::string_view() const { return view(); }  // NOLINT: implicit, as std::string's
  // Heap bytes held (what the record cache charges for it).
  size_t heap_bytes() const { return block_ ? sizeof(uint32_t) + size() : 0; }

  // One overload per type compared with (converting either side would make
  // the call ambiguous in C++20, where a == b also tries b == a).
  friend bool operator==(const VersionBytes& a, const VersionBytes& b) {
    return a.view() == b.view();
  }
  friend bool operator==(const VersionBytes& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const VersionBytes& a, const std::string& b) { return a.view() == b; }
  friend bool operator==(const VersionBytes& a, const char* b) {
    return a.view() == std::string_view(b);
  }

 private:
  std::unique_ptr<char[]> block_;  // uint32_t length, then the bytes; null when empty
};

struct Record {
  std::string value;
  int64_t expire_at_ms = 0;  // absolute unix ms; 0 = no expiry
  VersionBytes version;      // empty on one node
  bool tombstone = false;    // a versioned delete (cluster mode)

  bool ExpiredAt(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }
};

// Records are shared read-only between the cache and readers; never mutated
// once published, but by the engine's fast paths for big strings while
// nothing else holds the record (Engine::AppendInPlace, ChangeInPlace; and
// UndoTurn's cut back).
using RecordRef = std::shared_ptr<const Record>;

// A new shared record, its memory from a free list of this thread's (up to
// RecordPool::kKeep blocks; a block freed on another thread joins that
// thread's list). Every write makes a record and frees the one it replaced,
// a turn's worth at a time at the commit: glibc's per-thread cache keeps 7
// blocks of a size, and the rest went through its slower bins (about 4% of
// the event loop's time with pipelined SETs).
std::shared_ptr<Record> MakeRecord();
std::shared_ptr<Record> MakeRecord(Record&& rec);

// CRC16 (XMODEM) of the key, or of the first non-empty {hash tag}, mod 16384.
uint16_t KeySlot(std::string_view key);

std::string DataKey(std::string_view user_key);  // 'd' + slot + key
std::string DataKeyForSlot(uint16_t slot, std::string_view user_key);
void DataKeyForSlot(uint16_t slot, std::string_view user_key, std::string* out);  // reuses *out
std::string ExpiryKey(int64_t expire_at_ms, std::string_view user_key);
// Inverse of DataKey: false if `db_key` is not a well-formed data key.
bool ParseDataKey(std::string_view db_key, uint16_t* slot, std::string_view* user_key);
bool ParseExpiryKey(std::string_view db_key, int64_t* expire_at_ms, std::string_view* user_key);

// Varints as LevelDB's (7 bits a byte, low first), for storage's encodings.
void PutVarint(std::string* out, uint64_t v);
bool GetVarint(std::string_view* in, uint64_t* v);

std::string EncodeRecord(const Record& r);
void EncodeRecord(const Record& r, std::string* out);  // reuses *out's buffer
// What EncodeRecord writes before the value (the value ends the encoding).
void EncodeRecordHeader(const Record& r, std::string* out);
Status DecodeRecord(std::string_view bytes, Record* out);

void PutFixed64BE(std::string* out, uint64_t v);
uint64_t GetFixed64BE(const char* p);
// A hash slot as keys and the slot count meta keys hold it: 2 bytes, big-endian.
void PutSlotBE(std::string* out, uint16_t slot);
uint16_t GetSlotBE(const char* p);

}  // namespace ringkv::storage
