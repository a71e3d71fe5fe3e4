#include "storage/record.h"

#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace ringkv::storage {
namespace {

// CRC16-CCITT (XMODEM): polynomial 0x1021, initial 0, as Redis Cluster uses.
struct Crc16Table {
  uint16_t t[256];
  constexpr Crc16Table() : t() {
    for (int i = 0; i < 256; ++i) {
      uint16_t crc = static_cast<uint16_t>(i << 8);
      for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
      t[i] = crc;
    }
  }
};
constexpr Crc16Table kCrc16;

uint16_t Crc16(std::string_view s) {
  uint16_t crc = 0;
  for (unsigned char c : s)
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16.t[((crc >> 8) ^ c) & 0xff]);
  return crc;
}

enum : uint8_t { kFlagExpire = 1, kFlagVersion = 2, kFlagTombstone = 4 };
constexpr uint8_t kFormat = 1;  // high nibble of the flags byte: encoding version

}  // namespace

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

uint16_t KeySlot(std::string_view key) {
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16(key) & (kSlots - 1);
}

void PutFixed64BE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void PutSlotBE(std::string* out, uint16_t slot) {
  out->push_back(static_cast<char>(slot >> 8));
  out->push_back(static_cast<char>(slot & 0xff));
}

uint16_t GetSlotBE(const char* p) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}

void DataKeyForSlot(uint16_t slot, std::string_view user_key, std::string* out) {
  out->clear();
  out->reserve(3 + user_key.size());
  out->push_back(kDataPrefix);
  PutSlotBE(out, slot);
  out->append(user_key);
}

std::string DataKeyForSlot(uint16_t slot, std::string_view user_key) {
  std::string k;
  DataKeyForSlot(slot, user_key, &k);
  return k;
}

std::string DataKey(std::string_view user_key) {
  return DataKeyForSlot(KeySlot(user_key), user_key);
}

std::string ExpiryKey(int64_t expire_at_ms, std::string_view user_key) {
  std::string k;
  k.reserve(9 + user_key.size());
  k.push_back(kExpiryPrefix);
  PutFixed64BE(&k, static_cast<uint64_t>(expire_at_ms));
  k.append(user_key);
  return k;
}

bool ParseDataKey(std::string_view db_key, uint16_t* slot, std::string_view* user_key) {
  if (db_key.size() < 3 || db_key[0] != kDataPrefix) return false;
  *slot = GetSlotBE(db_key.data() + 1);
  *user_key = db_key.substr(3);
  return true;
}

bool ParseExpiryKey(std::string_view db_key, int64_t* expire_at_ms, std::string_view* user_key) {
  if (db_key.size() < 9 || db_key[0] != kExpiryPrefix) return false;
  *expire_at_ms = static_cast<int64_t>(GetFixed64BE(db_key.data() + 1));
  *user_key = db_key.substr(9);
  return true;
}

void VersionBytes::assign(const char* bytes, size_t n) {
  if (n == 0) {
    block_.reset();
    return;
  }
  // Versions are a few dozen bytes; anything near 4 GB is a bug upstream.
  const auto len = static_cast<uint32_t>(n);
  auto block = std::make_unique_for_overwrite<char[]>(sizeof(len) + n);
  std::memcpy(block.get(), &len, sizeof(len));
  std::memcpy(block.get() + sizeof(len), bytes, n);
  block_ = std::move(block);
}

size_t VersionBytes::size() const {
  if (!block_) return 0;
  uint32_t len;
  std::memcpy(&len, block_.get(), sizeof(len));
  return len;
}

std::string EncodeRecord(const Record& r) {
  std::string out;
  EncodeRecord(r, &out);
  return out;
}

void EncodeRecord(const Record& r, std::string* out) {
  out->reserve(1 + 10 + r.version.size() + r.value.size() + 4);
  EncodeRecordHeader(r, out);
  out->append(r.value);
}

void EncodeRecordHeader(const Record& r, std::string* out_ptr) {
  std::string& out = *out_ptr;
  out.clear();
  uint8_t flags = kFormat << 4;
  if (r.expire_at_ms != 0) flags |= kFlagExpire;
  if (!r.version.empty()) flags |= kFlagVersion;
  if (r.tombstone) flags |= kFlagTombstone;
  out.push_back(static_cast<char>(flags));
  if (r.expire_at_ms != 0) PutVarint(&out, static_cast<uint64_t>(r.expire_at_ms));
  if (!r.version.empty()) {
    PutVarint(&out, r.version.size());
    out.append(r.version.view());
  }
}

Status DecodeRecord(std::string_view in, Record* out) {
  if (in.empty()) return Status::Corruption("empty record");
  uint8_t flags = static_cast<uint8_t>(in[0]);
  if ((flags >> 4) != kFormat) return Status::Corruption("unknown record format");
  in.remove_prefix(1);
  out->expire_at_ms = 0;
  out->version.clear();
  out->tombstone = (flags & kFlagTombstone) != 0;
  if (flags & kFlagExpire) {
    uint64_t v;
    if (!GetVarint(&in, &v)) return Status::Corruption("bad expiry in record");
    out->expire_at_ms = static_cast<int64_t>(v);
  }
  if (flags & kFlagVersion) {
    uint64_t n;
    if (!GetVarint(&in, &n) || n > in.size()) return Status::Corruption("bad version in record");
    out->version.assign(in.data(), n);
    in.remove_prefix(n);
  }
  out->value.assign(in.data(), in.size());
  return Status::Ok();
}

namespace {

// One free list per thread and block size. Blocks are plain operator new
// memory, so any thread may free them into its own list, or to the heap.
struct FreeBlock {
  FreeBlock* next;
};

class RecordPool {
 public:
  static constexpr size_t kKeep = 4096;
  ~RecordPool() {
    while (head_ != nullptr) {
      FreeBlock* b = head_;
      head_ = b->next;
      ::operator delete(b);
    }
  }
  void* Get(size_t bytes) {
    if (head_ == nullptr) return ::operator new(bytes);
    FreeBlock* b = head_;
    head_ = b->next;
    --count_;
    return b;
  }
  void Put(void* p) {
    if (count_ >= kKeep) {
      ::operator delete(p);
      return;
    }
    auto* b = static_cast<FreeBlock*>(p);
    b->next = head_;
    head_ = b;
    ++count_;
  }

 private:
  FreeBlock* head_ = nullptr;
  size_t count_ = 0;
};

template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT: rebinding, as allocators do
  static RecordPool& Pool() {
    static_assert(sizeof(T) >= sizeof(FreeBlock));
    thread_local RecordPool pool;  // one per T: shared_ptr allocates one size
    return pool;
  }
  T* allocate(size_t n) {
    if (n != 1) return static_cast<T*>(::operator new(n * sizeof(T)));
    return static_cast<T*>(Pool().Get(sizeof(T)));
  }
  void deallocate(T* p, size_t n) {
    if (n != 1) {
      ::operator delete(p);
      return;
    }
    Pool().Put(p);
  }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const {
    return true;
  }
};

}  // namespace

std::shared_ptr<Record> MakeRecord() {
  return std::allocate_shared<Record>(PoolAllocator<Record>());
}

std::shared_ptr<Record> MakeRecord(Record&& rec) {
  return std::allocate_shared<Record>(PoolAllocator<Record>(), std::move(rec));
}

}  // namespace ringkv::storage
