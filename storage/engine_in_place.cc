// The engine's fast paths for changes to big strings (engine.h):
// AppendInPlace (APPEND) and ChangeInPlace (SETBIT, SETRANGE) change a cached
// value where it is, where the generic path copies it for each command. A
// change past the value's end grows it as an append does. The
// undo (Engine::Undo) and the journal (JournalEntries: a range or patches
// against the state before the turn) see them as they see a Put; a turn's
// first change keeps the bytes it overwrote in the undo (spans), and is
// journaled as patches of the bytes there now (JournalSpans).
#include <algorithm>
#include <string>
#include <string_view>

#include "storage/engine.h"

namespace ringkv::storage {

RecordCache::Node* Engine::CachedBigString(std::string_view key, int64_t now_ms) {
  if (!journaling_ || !failure_.ok()) return nullptr;
  RecordCache::Node* n = cache_.Find(key);
  if (!n || !n->rec) return nullptr;
  const Record& r = *n->rec;
  if (r.tombstone || !r.version.empty() || r.value.size() < kMinRangeValue || r.ExpiredAt(now_ms)) {
    return nullptr;
  }
  return n;
}

Engine::Undo* Engine::InPlaceUndo(const RecordCache::Node* n) {
  const auto it = in_place_undos_.find(n);
  if (it == in_place_undos_.end()) return nullptr;
  Undo& u = undo_[it->second];
  return u.rec == n->rec ? &u : nullptr;
}

Engine::Undo* Engine::MarkInPlace(RecordCache::Node* n, size_t length_before) {
  if (n->dirty) {
    MarkDirty(n, n->slot, n->rec);  // (counted as a coalesced write)
    return nullptr;
  }
  MarkDirty(n, KeySlot(n->key()), n->rec);
  n->in_place = true;
  in_place_undos_[n] = undo_.size() - 1;
  undo_.back().cut = length_before;
  return &undo_.back();
}

bool Engine::Changeable(const RecordCache::Node* n, bool append) {
  // Nothing else may see the record change: a reader holding it, or this
  // turn's undo holding it as the state before, unless the undo is a cut
  // back to that (in_place: an append's, or spans', which an append may
  // grow further). A change other than an append takes this path only for
  // a record a Put made this turn, the cache's alone (the undo holds
  // another); SpanChangeable takes the others. Loop thread only, as every
  // RecordRef of the cache's.
  const long owners = n->rec.use_count();
  return append ? owners == (n->dirty && n->in_place ? 2 : 1)
                : n->dirty && !n->in_place && owners == 1;
}

bool Engine::SpanChangeable(const RecordCache::Node* n, size_t offset, size_t length, Undo** undo) {
  *undo = nullptr;
  if (length == 0) return false;
  // Inside the value, and small: past a quarter of it in all, a copy (the
  // generic path) costs little more than the spans.
  const size_t size = n->rec->value.size();
  if (offset > size || length > size - offset || length > size / 4) return false;
  if (!n->dirty) return n->rec.use_count() == 1;  // the turn's first change
  // A later one: the undo must be spans of this very record (not replaced by
  // a Put, not grown by an append), held by the cache and the undo alone.
  Undo* u = InPlaceUndo(n);
  if (!u || n->rec.use_count() != 2 || size != u->cut || u->spans.size() >= 1024) return false;
  if (u->span_bytes + length > size / 4) return false;
  *undo = u;
  return true;
}

void Engine::SpanChangedInPlace(RecordCache::Node* n, Undo* undo, size_t charged,
                                size_t length_before, size_t offset, bool changed) {
  ++stats_.cache_hits;
  if (!changed) return;  // (as the generic path: no write)
  // The turn's first change: its undo is this very record, cut back to its
  // length before, with the spans' bytes put back.
  if (Undo* first = MarkInPlace(n, length_before)) undo = first;
  undo->spans.push_back({offset, span_bytes_});
  undo->span_bytes += span_bytes_.size();
  ReleaseBigBuffers();
  cache_.Recharge(n, charged);
  ++stats_.changes_in_place;
}

void Engine::RevertSpans(Undo* undo) {
  std::string& value = const_cast<Record&>(*undo->rec).value;  // the undo's (see callers)
  for (auto it = undo->spans.rbegin(); it != undo->spans.rend(); ++it) {
    value.replace(it->offset, it->bytes.size(), it->bytes);
  }
  undo->spans.clear();
  undo->span_bytes = 0;
}

void Engine::SettleSpans(Undo* undo, const RecordRef& live) {
  if (undo->rec != live && undo->rec.use_count() == 1) {
    RevertSpans(undo);  // the undo's alone: its cut still applies
    return;
  }
  Record before = *undo->rec;
  before.value.resize(undo->cut);             // (the spans lie below the cut)
  undo->rec = MakeRecord(std::move(before));  // a copy: the undo's alone
  RevertSpans(undo);
  undo->cut = kWhole;
}

void Engine::JournalSpans(RecordCache::Node* n, const Undo& u, std::string* out) {
  patch_runs_.clear();
  for (const Span& s : u.spans) patch_runs_.emplace_back(s.offset, s.offset + s.bytes.size());
  std::sort(patch_runs_.begin(), patch_runs_.end());
  size_t last = 0;  // runs that overlap or touch become one
  for (size_t i = 1; i < patch_runs_.size(); ++i) {
    if (patch_runs_[i].first <= patch_runs_[last].second) {
      patch_runs_[last].second = std::max(patch_runs_[last].second, patch_runs_[i].second);
    } else {
      patch_runs_[++last] = patch_runs_[i];
    }
  }
  patch_runs_.resize(last + 1);
  // The header is the committed one: nothing changes it in place.
  EncodeRecordHeader(*n->rec, &base_header_);
  JournalPatchRuns(n, out);
}

std::string& Engine::GrowInPlace(RecordCache::Node* n, size_t size) {
  std::string& value = const_cast<Record&>(*n->rec).value;  // the cache's (and undo's)
  // The first of the turn leaves as its undo this very record, to be cut
  // back to its length now.
  (void)MarkInPlace(n, value.size());
  // Room as Redis makes it: twice the length needed, or 1 MB more past 1 MB
  // (std::string would double a 512 MB string's).
  constexpr size_t kMaxPrealloc = 1 << 20;
  if (size > value.capacity()) value.reserve(size < kMaxPrealloc ? 2 * size : size + kMaxPrealloc);
  return value;
}

bool Engine::AppendInPlace(std::string_view key, std::string_view tail, int64_t now_ms,
                           uint64_t max_length, size_t* length) {
  RecordCache::Node* n = CachedBigString(key, now_ms);
  if (!n || !Changeable(n, /*append=*/true) || n->rec->value.size() + tail.size() > max_length) {
    return false;
  }
  ++stats_.cache_hits;
  const size_t charged = RecordCache::Charge(n->key(), n->rec);
  std::string& value = GrowInPlace(n, n->rec->value.size() + tail.size());
  value.append(tail);
  cache_.Recharge(n, charged);
  ++stats_.appends_in_place;
  *length = value.size();
  return true;
}

bool Engine::PastTheCut(const RecordCache::Node* n, size_t offset, size_t length) {
  if (length == 0 || length > SIZE_MAX - offset || !Changeable(n, /*append=*/true)) return false;
  // Past the value's end: every byte the change writes is one its growth
  // adds, past the turn's cut too (in-place changes never shorten a value).
  if (offset >= n->rec->value.size()) return true;
  // Inside it: only where this turn's appends or growths added the bytes
  // (the cut back takes them away again), whatever spans lie below.
  if (!n->dirty || !n->in_place) return false;
  const Undo* u = InPlaceUndo(n);
  return u && u->cut != kWhole && offset >= u->cut;
}

void Engine::ChangedInPlace(RecordCache::Node* n, size_t charged, bool changed, bool marked) {
  ++stats_.cache_hits;
  if (!changed) return;  // (SETBIT of a bit as it was: as the generic path, no write)
  // The entry is dirty (a Put of this turn made the record, or it grew in
  // place): MarkDirty counts a coalesced write.
  if (!marked) MarkDirty(n, n->slot, n->rec);
  cache_.Recharge(n, charged);
  ++stats_.changes_in_place;
}

}  // namespace ringkv::storage
