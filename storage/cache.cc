#include "storage/cache.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "storage/hash.h"

namespace ringkv::storage {

namespace {
// Approximate bookkeeping cost per entry beyond its key and its Record: the
// node (40 bytes), its index slots (32 to 64 bytes at a half to a quarter
// full), the record's shared_ptr control block (16) and the allocator's
// headers and rounding for the two allocations.
constexpr size_t kEntryOverhead = 128;

// What a string holds on the heap: nothing while it fits inline.
size_t HeapBytes(const std::string& s) {
  static const size_t kInline = std::string().capacity();
  return s.capacity() > kInline ? s.capacity() + 1 : 0;
}
// At most this many referenced entries are passed over (and given their
// second chance) before one is evicted anyway, so that one eviction costs a
// bounded number of cache misses even when every entry was read lately.
constexpr int kMaxSecondChances = 32;
}  // namespace

RecordCache::~RecordCache() { Clear(); }

size_t RecordCache::Charge(std::string_view key, const RecordRef& rec) {
  size_t c = kEntryOverhead + key.size();
  if (rec) c += sizeof(Record) + HeapBytes(rec->value) + rec->version.heap_bytes();
  return c;
}

static_assert(sizeof(RecordCache::Node) == 40, "a cache entry's header stays 40 bytes");

RecordCache::Node* RecordCache::NewNode(std::string_view key) {
  void* mem = ::operator new(sizeof(Node) + key.size());
  Node* n = new (mem) Node();
  n->key_size = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(reinterpret_cast<char*>(n + 1), key.data(), key.size());
  return n;
}

void RecordCache::DeleteNode(Node* n) {
  n->~Node();
  ::operator delete(static_cast<void*>(n));
}

size_t RecordCache::Probe(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.node || (s.hash == hash && s.node->key() == key)) return i;
  }
}

void RecordCache::Prefetch(const std::string_view* keys, size_t n) const {
  if (count_ == 0 || n == 0) return;
  n = std::min(n, kPrefetchMax);
  const size_t mask = slots_.size() - 1;
  uint64_t hash[kPrefetchMax];
  const Slot* slot[kPrefetchMax];
  for (size_t i = 0; i < n; ++i) {
    hash[i] = KeyHash(keys[i]);
    slot[i] = &slots_[hash[i] & mask];
    __builtin_prefetch(slot[i]);
  }
  // Each stage reads what the one before loaded: one wait per stage for all
  // the keys, not one per key. Only the home slot is followed (it is the
  // key's slot in most lookups at a load factor of at most 1/2).
  for (size_t i = 0; i < n; ++i) {
    const Node* node = slot[i]->hash == hash[i] ? slot[i]->node : nullptr;
    if (!node) {
      slot[i] = nullptr;
      continue;
    }
    // The node and the line after it, where a short key ends (reading
    // key_size here would wait for the node). A prefetch never faults.
    __builtin_prefetch(node);
    __builtin_prefetch(reinterpret_cast<const char*>(node) + 64);
  }
  const Record* rec[kPrefetchMax];
  for (size_t i = 0; i < n; ++i) {
    rec[i] = slot[i] ? slot[i]->node->rec.get() : nullptr;
    if (rec[i]) __builtin_prefetch(rec[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (rec[i] && !rec[i]->value.empty()) __builtin_prefetch(rec[i]->value.data());
  }
}

RecordCache::Node* RecordCache::Lookup(std::string_view key) {
  if (count_ == 0) return nullptr;
  return slots_[Probe(key, KeyHash(key))].node;
}

void RecordCache::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.node) continue;
    size_t i = s.hash & mask;
    while (slots_[i].node) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

RecordCache::Node* RecordCache::Add(std::string_view key, uint64_t hash) {
  if ((count_ + 1) * 2 > slots_.size()) Grow();
  size_t i = Probe(key, hash);
  Node* n = NewNode(key);
  slots_[i] = Slot{hash, n};
  ++count_;
  bytes_ += Charge(key, n->rec);
  PushFront(n);
  return n;
}

void RecordCache::Remove(Node* n) {
  const size_t mask = slots_.size() - 1;
  size_t i = KeyHash(n->key()) & mask;
  while (slots_[i].node != n) i = (i + 1) & mask;
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole unless that would move one before its home slot.
  for (size_t j = (i + 1) & mask; slots_[j].node; j = (j + 1) & mask) {
    size_t home = slots_[j].hash & mask;
    bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  --count_;
  Unlink(n);
  bytes_ -= Charge(n->key(), n->rec);
  DeleteNode(n);
}

void RecordCache::Unlink(Node* n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
}

void RecordCache::PushFront(Node* n) {
  if (!head_init_) {
    head_.next = head_.prev = &head_;
    head_init_ = true;
  }
  n->next = head_.next;
  n->prev = &head_;
  head_.next->prev = n;
  head_.next = n;
}

const RecordRef* RecordCache::Find(std::string_view key, bool* negative) {
  *negative = false;
  Node* n = Lookup(key);
  if (!n) return nullptr;
  n->referenced = true;
  if (!n->rec) {
    *negative = true;
    return nullptr;
  }
  return &n->rec;
}

void RecordCache::Insert(std::string_view key, RecordRef rec) {
  // Even at capacity 0 the entry goes in: uncommitted writes live here until
  // the commit, and EvictToCapacity() drops them afterwards.
  bool found = false;
  Node* n = Upsert(key, &found);
  Set(n, std::move(rec));
}

RecordCache::Node* RecordCache::Upsert(std::string_view key, bool* found) {
  uint64_t h = KeyHash(key);
  if (count_ != 0) {
    if (Node* n = slots_[Probe(key, h)].node) {
      *found = true;
      n->referenced = true;
      return n;
    }
  }
  *found = false;
  return Add(key, h);
}

RecordCache::Node* RecordCache::Find(std::string_view key) {
  Node* n = Lookup(key);
  if (n) n->referenced = true;
  return n;
}

const RecordRef& RecordCache::RecordOf(const Node* n) { return n->rec; }

void RecordCache::Set(Node* n, RecordRef rec) {
  bytes_ -= Charge(n->key(), n->rec);
  n->rec = std::move(rec);
  bytes_ += Charge(n->key(), n->rec);
}

void RecordCache::Recharge(Node* n, size_t charged_before) {
  bytes_ -= charged_before;
  bytes_ += Charge(n->key(), n->rec);
}

void RecordCache::Erase(std::string_view key) {
  if (Node* n = Lookup(key)) Remove(n);
}

void RecordCache::Clear() {
  for (Slot& s : slots_) {
    if (s.node) DeleteNode(s.node);
  }
  slots_.clear();
  count_ = 0;
  bytes_ = 0;
  head_init_ = false;
}

void RecordCache::EvictToCapacity() {
  int chances = 0;
  // Entries the engine has yet to write are passed over (to the front, so the
  // next call starts behind them); after 64 in a row this call gives up:
  // the cache then holds mostly those, and the engine's flush frees them.
  constexpr int kMaxPinnedInARow = 64;
  int pinned = 0;
  while (bytes_ > capacity_ && count_ != 0) {
    Node* oldest = head_.prev;
    if (oldest->unflushed || oldest->in_flight) {
      if (++pinned > kMaxPinnedInARow || static_cast<size_t>(pinned) > count_) break;
      Unlink(oldest);
      PushFront(oldest);
      continue;
    }
    if (oldest->referenced && chances < kMaxSecondChances) {
      oldest->referenced = false;  // used since it was last here: a second chance
      Unlink(oldest);
      PushFront(oldest);
      ++chances;
      continue;
    }
    ++evictions_;
    Remove(oldest);
    chances = 0;
    pinned = 0;
  }
}

void RecordCache::set_capacity(size_t bytes) {
  capacity_ = bytes;
  size_t slots = 1024;
  while (slots < bytes / 256 && slots < (size_t{1} << 26)) slots <<= 1;
  if (slots != doorkeeper_.size()) doorkeeper_.assign(slots, 0);
}

bool RecordCache::AdmitOnMiss(std::string_view key) {
  uint64_t h = KeyHash(key);
  uint32_t fp = static_cast<uint32_t>(h >> 32) | 1;  // never 0, the empty slot
  uint32_t& slot = doorkeeper_[h & (doorkeeper_.size() - 1)];
  if (slot == fp) {
    slot = 0;
    return true;
  }
  slot = fp;
  ++refused_;
  return false;
}

}  // namespace ringkv::storage
