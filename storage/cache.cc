#include "storage/cache.h"

namespace ringkv::storage {

namespace {
// Approximate bookkeeping cost per entry: node, hash bucket, control blocks.
constexpr size_t kEntryOverhead = 128;
}  // namespace

RecordCache::~RecordCache() = default;

size_t RecordCache::Charge(std::string_view key, const RecordRef& rec) {
  size_t c = kEntryOverhead + key.size();
  if (rec) c += rec->value.capacity() + rec->version.capacity() + sizeof(Record);
  return c;
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
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  Node* n = it->second.get();
  Unlink(n);
  PushFront(n);
  if (!n->rec) {
    *negative = true;
    return nullptr;
  }
  return &n->rec;
}

void RecordCache::Insert(std::string_view key, RecordRef rec) {
  // Even at capacity 0 the entry goes in: uncommitted writes live here until
  // the commit, and EvictToCapacity() drops them afterwards.
  auto it = map_.find(key);
  if (it != map_.end()) {
    Node* n = it->second.get();
    bytes_ -= n->charge;
    n->rec = std::move(rec);
    n->charge = Charge(n->key, n->rec);
    bytes_ += n->charge;
    Unlink(n);
    PushFront(n);
    return;
  }
  auto owned = std::make_unique<Node>();
  Node* n = owned.get();
  n->key.assign(key);
  n->rec = std::move(rec);
  n->charge = Charge(n->key, n->rec);
  bytes_ += n->charge;
  PushFront(n);
  map_.emplace(std::string_view(n->key), std::move(owned));
}

RecordCache::Node* RecordCache::Upsert(std::string_view key, bool* found) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    *found = true;
    Node* n = it->second.get();
    Unlink(n);
    PushFront(n);
    return n;
  }
  *found = false;
  auto owned = std::make_unique<Node>();
  Node* n = owned.get();
  n->key.assign(key);
  n->charge = Charge(n->key, n->rec);
  bytes_ += n->charge;
  PushFront(n);
  map_.emplace(std::string_view(n->key), std::move(owned));
  return n;
}

void RecordCache::set_capacity(size_t bytes) {
  capacity_ = bytes;
  size_t slots = 1024;
  while (slots < bytes / 256 && slots < (size_t{1} << 26)) slots <<= 1;
  if (slots != doorkeeper_.size()) doorkeeper_.assign(slots, 0);
}

bool RecordCache::AdmitOnMiss(std::string_view key) {
  uint64_t h = std::hash<std::string_view>{}(key);
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

const RecordRef& RecordCache::RecordOf(const Node* n) { return n->rec; }

void RecordCache::Set(Node* n, RecordRef rec) {
  bytes_ -= n->charge;
  n->rec = std::move(rec);
  n->charge = Charge(n->key, n->rec);
  bytes_ += n->charge;
}

void RecordCache::Erase(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return;
  Node* n = it->second.get();
  Unlink(n);
  bytes_ -= n->charge;
  map_.erase(it);
}

void RecordCache::Clear() {
  map_.clear();
  bytes_ = 0;
  head_init_ = false;
}

void RecordCache::EvictToCapacity() {
  while (bytes_ > capacity_ && !map_.empty()) {
    Node* n = head_.prev;
    Unlink(n);
    bytes_ -= n->charge;
    ++evictions_;
    map_.erase(map_.find(std::string_view(n->key)));  // frees n
  }
}

}  // namespace ringkv::storage
