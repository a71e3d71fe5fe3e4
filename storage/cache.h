// A bounded LRU cache of records in front of LevelDB. Holds positive entries
// (a record) and negative ones (nullptr: the key is known to be absent), so a
// delete is visible before it reaches disk. Loop thread only; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/record.h"

namespace ringkv::storage {

class RecordCache {
 public:
  explicit RecordCache(size_t capacity_bytes) { set_capacity(capacity_bytes); }
  ~RecordCache();
  RecordCache(const RecordCache&) = delete;
  RecordCache& operator=(const RecordCache&) = delete;

  // Returns the entry or nullptr if the key is not cached. `*negative` is set
  // when the cache knows the key is absent (the returned pointer is then null).
  const RecordRef* Find(std::string_view key, bool* negative);
  // Inserts or replaces; `rec` may be null (known absent). Marks most recent.
  // Does not evict: call EvictToCapacity() when no uncommitted write depends on
  // the cache (the engine does so after each commit).
  void Insert(std::string_view key, RecordRef rec);

  struct Node {  // an entry; fields are the cache's own
    std::string key;
    RecordRef rec;
    size_t charge = 0;
    bool dirty = false;  // written since the last commit (the engine's flag)
    Node* prev = nullptr;
    Node* next = nullptr;
  };
  // One lookup for a read-modify-write of the cache (a SET): the entry for
  // `key`, made most recent, created if missing (`*found` false; its record
  // is then null until Set). The pointer is valid until the next call that
  // may evict or erase.
  Node* Upsert(std::string_view key, bool* found);
  static const RecordRef& RecordOf(const Node* n);
  void Set(Node* n, RecordRef rec);
  void Erase(std::string_view key);
  void Clear();
  void EvictToCapacity();

  size_t bytes() const { return bytes_; }
  size_t entries() const { return map_.size(); }
  size_t capacity() const { return capacity_; }
  void set_capacity(size_t bytes);
  uint64_t evictions() const { return evictions_; }

  // Admission of records read from disk (the "doorkeeper" of TinyLFU): true
  // if `key` missed the cache once before, recently; the first miss only
  // leaves a 32-bit fingerprint in a direct-mapped table (about 1 slot per
  // 256 bytes of capacity, later misses overwrite older ones). Keys read once
  // -- a uniform random read over data far larger than the cache, a scan --
  // then cost no insertion and do not evict hotter records. Writes are always
  // cached (pending writes live here).
  bool AdmitOnMiss(std::string_view key);
  uint64_t admissions_refused() const { return refused_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };

  static size_t Charge(std::string_view key, const RecordRef& rec);
  void Unlink(Node* n);
  void PushFront(Node* n);

  size_t capacity_ = 0;
  size_t bytes_ = 0;
  std::vector<uint32_t> doorkeeper_;  // fingerprints of keys that missed once; size a power of 2
  uint64_t refused_ = 0;
  uint64_t evictions_ = 0;
  Node head_;  // sentinel: head_.next is most recent, head_.prev least recent
  bool head_init_ = false;
  std::unordered_map<std::string_view, std::unique_ptr<Node>, Hash, Eq>
      map_;  // keys view Node::key
};

}  // namespace ringkv::storage
