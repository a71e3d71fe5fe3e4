// The engine's fast paths for changes to big strings (engine.h):
// AppendInPlace (APPEND) and ChangeInPlace (SETBIT, SETRANGE) change a cached
// value where it is, where the generic path copies it for each command. The
// undo (Engine::Undo) and the journal (JournalEntries: a range or patches
// against the state before the turn) see them as they see a Put.
#include <string>
#include <string_view>

#include "storage/engine.h"

namespace ringkv::storage {

RecordCache::Node* Engine::ChangeableBigString(std::string_view key, int64_t now_ms, bool append) {
  if (!journaling_ || !failure_.ok()) return nullptr;
  RecordCache::Node* n = cache_.Find(key);
  if (!n || !n->rec) return nullptr;
  const Record& r = *n->rec;
  if (r.tombstone || !r.version.empty() || r.value.size() < kMinRangeValue || r.ExpiredAt(now_ms)) {
    return nullptr;
  }
  // Nothing else may see the record change: a reader holding it, or this
  // turn's undo holding it as the state before, unless the undo is a cut
  // back to that (in_place, for an append). A record a Put made this turn is
  // the cache's alone; a change other than an append needs one (the undo
  // keeps the bytes it overwrites). Loop thread only, as every RecordRef of
  // the cache's.
  const long owners = n->rec.use_count();
  if (append ? owners != (n->dirty && n->in_place ? 2 : 1)
             : !n->dirty || n->in_place || owners != 1) {
    return nullptr;
  }
  return n;
}

bool Engine::AppendInPlace(std::string_view key, std::string_view tail, int64_t now_ms,
                           uint64_t max_length, size_t* length) {
  RecordCache::Node* n = ChangeableBigString(key, now_ms, /*append=*/true);
  if (!n || n->rec->value.size() + tail.size() > max_length) return false;
  ++stats_.cache_hits;
  const size_t charged = RecordCache::Charge(n->key(), n->rec);
  std::string& value = const_cast<Record&>(*n->rec).value;  // the cache's alone
  // Marked as a Put's write; the first of the turn leaves as its undo this
  // very record, to be cut back to its length now.
  const bool first = !n->dirty;
  MarkDirty(n, first ? KeySlot(key) : n->slot, n->rec);
  if (first) {
    n->in_place = true;
    undo_.back().cut = value.size();
  }
  // Room as Redis makes it: twice the length needed, or 1 MB more past 1 MB
  // (std::string would double a 512 MB string's).
  const size_t need = value.size() + tail.size();
  constexpr size_t kMaxPrealloc = 1 << 20;
  if (need > value.capacity()) value.reserve(need < kMaxPrealloc ? 2 * need : need + kMaxPrealloc);
  value.append(tail);
  cache_.Recharge(n, charged);
  ++stats_.appends_in_place;
  *length = value.size();
  return true;
}

void Engine::ChangedInPlace(RecordCache::Node* n, size_t charged, bool changed) {
  ++stats_.cache_hits;
  if (!changed) return;  // (SETBIT of a bit as it was: as the generic path, no write)
  // The entry is dirty (a Put of this turn made the record): MarkDirty
  // counts a coalesced write.
  MarkDirty(n, n->slot, n->rec);
  cache_.Recharge(n, charged);
  ++stats_.changes_in_place;
}

}  // namespace ringkv::storage
