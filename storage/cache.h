// A bounded cache of records in front of LevelDB. Holds positive entries
// (a record) and negative ones (nullptr: the key is known to be absent), so a
// delete is visible before it reaches disk. Loop thread only; not thread-safe.
//
// Eviction is CLOCK (second chance), an approximation of LRU as Redis's is:
// entries sit in a list in the order they were inserted or last given a
// chance; a hit only sets the entry's `referenced` bit, and eviction takes the
// oldest entry unless its bit is set, in which case the bit is cleared and the
// entry goes to the front. A strict LRU moved the entry to the front on every
// hit, which touches its two list neighbours: two more cache misses per hit
// with millions of entries (9% of pipelined GET throughput over 1M keys).
// A new entry goes to the front unreferenced: it lives one whole pass.
//
// The index is an open-addressing table of (hash, node) slots with linear
// probing and backward-shift deletion; each node carries its key inline. A
// lookup of a cached key touches one slot and one node (two cache misses with
// millions of entries, where a std::unordered_map of std::string keys took
// four), and a miss usually only the slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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
  // Inserts or replaces; `rec` may be null (known absent). Marks it used.
  // Does not evict: call EvictToCapacity() when no uncommitted write depends on
  // the cache (the engine does so after each commit).
  void Insert(std::string_view key, RecordRef rec);

  // An entry; fields are the cache's own. Kept small (40 bytes before the
  // key): its hash lives in the index slot, its charge is recomputed from the
  // record when it changes or leaves.
  struct Node {
    RecordRef rec;
    Node* prev = nullptr;
    Node* next = nullptr;
    uint32_t key_size = 0;
    uint16_t slot = 0;            // the key's slot, set by the engine when it marks it dirty
    bool dirty : 1 = false;       // written since the last commit (the engine's flag)
    bool unflushed : 1 = false;   // committed, not yet in LevelDB (the engine's): never evicted
    bool in_flight : 1 = false;   // being written to LevelDB (the engine's): never evicted
    bool referenced : 1 = false;  // used since it was inserted or last passed over (CLOCK)
    bool held : 1 = false;        // the engine's: its range writes wait for a later flush
    bool in_place : 1 = false;    // the engine's: this turn grew its record in place
    uint8_t window = 0;           // the engine's: the write-behind window it was last written in
    // The key's bytes follow the node in the same allocation.
    std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }
  };
  // One lookup for a read-modify-write of the cache (a SET): the entry for
  // `key`, marked used, created if missing (`*found` false; its record
  // is then null until Set). The pointer is valid until the next call that
  // may evict or erase.
  Node* Upsert(std::string_view key, bool* found);
  // The entry for `key`, marked used, or null.
  Node* Find(std::string_view key);
  static const RecordRef& RecordOf(const Node* n);
  void Set(Node* n, RecordRef rec);
  // What an entry of `key` holding `rec` counts in bytes().
  static size_t Charge(std::string_view key, const RecordRef& rec);
  // After n's record was changed in place: what Charge(n->key(), n->rec)
  // was before, so that bytes() counts it as it is now.
  void Recharge(Node* n, size_t charged_before);
  void Erase(std::string_view key);
  void Clear();
  void EvictToCapacity();

  size_t bytes() const { return bytes_; }
  size_t entries() const { return count_; }
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

  // Starts loading the memory that lookups of `keys` will touch (the slot,
  // the entry with its key, the record and its value), in stages, so the
  // cache misses of a pipeline's lookups overlap instead of queueing one
  // behind the other. Changes nothing; at most kPrefetchMax keys are used.
  static constexpr size_t kPrefetchMax = 32;
  void Prefetch(const std::string_view* keys, size_t n) const;
  uint64_t admissions_refused() const { return refused_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    Node* node = nullptr;  // null: empty
  };

  static Node* NewNode(std::string_view key);
  static void DeleteNode(Node* n);
  // The slot holding `key`, or the empty slot where it would go.
  size_t Probe(std::string_view key, uint64_t hash) const;
  Node* Lookup(std::string_view key);
  // Creates the entry (newest, null record); `hash` is KeyHash(key).
  Node* Add(std::string_view key, uint64_t hash);
  // Removes `n` from the index, the eviction list and the byte count; frees it.
  void Remove(Node* n);
  void Grow();
  void Unlink(Node* n);
  void PushFront(Node* n);

  size_t capacity_ = 0;
  size_t bytes_ = 0;
  std::vector<uint32_t> doorkeeper_;  // fingerprints of keys that missed once; size a power of 2
  uint64_t refused_ = 0;
  uint64_t evictions_ = 0;
  Node head_;  // sentinel of the eviction list: head_.prev is the next to consider
  bool head_init_ = false;
  std::vector<Slot> slots_;  // a power of 2, at most half full
  size_t count_ = 0;
};

}  // namespace ringkv::storage
