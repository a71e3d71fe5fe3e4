// Engine: the key counts (DBSIZE, the keys with an expiry, the expiry sum
// behind INFO's avg_ttl) and the per-slot key counts (CLUSTER
// COUNTKEYSINSLOT, resharding), as LevelDB's metadata keys hold them.
//
// A slot count written as its own key beside every new key's record costs a
// second memtable entry per new key (SET -r 1M: 0.86 per SET, 16,384 slots
// against commits of tens and batches of thousands of keys). So:
// - A journaled commit journals the counts it changed, and they wait in
//   memory for a flight that lets journal segments go (a full segment, Sync,
//   a close): until then the journal holds them, and a start replays it.
//   That flight carries each changed slot's count once.
// - A direct commit that changed more than kFewSlots slots writes their
//   counts as one log entry (kSlotLogMeta); one that changed fewer writes
//   them as counts. A count is tagged with the sequence number of the next
//   log entry when it is written: an open reads the counts, then each log
//   entry's pairs over the counts they are not older than. Once the log
//   holds slot_log_fold_pairs pairs it is folded, kFoldStep writes per
//   commit (a fold at once, of up to 16,384 counts, stalled the loop for
//   tens of ms): a tagged count for each slot it names, then the deletes of
//   its entries. Journaled counts are tagged the same way: no log entry is
//   written while the journal is on, and the deferred counts all reach
//   LevelDB before direct commits start again (StopJournaling), so a log
//   entry older than a journaled count is never read over it. An open with
//   the journal on from the start folds the log whole (FoldSlotLogNow).
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "storage/engine.h"
#include "storage/engine_meta.h"
#include "storage/journal.h"
#include "storage/leveldb_util.h"

namespace ringkv::storage {

Status Engine::LoadCounters() {
  auto count = GetMeta(kKeyCountMeta);
  if (!count.ok()) return count.status();
  auto expires = GetMeta(kExpiresCountMeta);
  if (!expires.ok()) return expires.status();
  auto sum = GetMeta(kExpireSumMeta);
  if (!sum.ok()) return sum.status();
  key_count_ = count->empty() ? 0 : std::stoull(*count);
  expires_count_ = expires->empty() ? 0 : std::stoull(*expires);
  stored_key_count_ = key_count_;
  stored_expires_count_ = expires_count_;
  expire_sum_known_ = !sum->empty() || expires_count_ == 0;
  expire_sum_ms_ = sum->empty() ? 0 : std::stold(*sum);
  expire_sum_dirty_ = false;
  NoteCommittedCounters();
  return LoadSlotCounts();
}

int64_t Engine::AvgTtlMs(int64_t now_ms) const {
  if (!expire_sum_known_ || expires_count_ == 0) return 0;
  long double avg = expire_sum_ms_ / static_cast<long double>(expires_count_) - now_ms;
  return avg > 0 ? static_cast<int64_t>(avg + 0.5L) : 0;
}

namespace {

constexpr size_t kPairBytes = 2 + 8;
// Sequence numbers past this are damage: a log writing a million entries a
// second reaches it in 146,000 years.
constexpr uint64_t kMaxSlotLogSeq = uint64_t{1} << 62;

}  // namespace

Status Engine::LoadSlotCounts() {
  std::fill(slot_counts_.begin(), slot_counts_.end(), 0);
  ForgetSlotLog();
  // A count's tag: the first log entry it is not older than (none: 0).
  std::vector<uint64_t> tags(kSlots, 0);
  bool damaged = false;
  Status s =
      WalkPrefix(db_.get(), MetaKey(kSlotCountMeta), "", [&](leveldb::Slice k, leveldb::Slice v) {
        if (k.size() != 2) return true;
        const auto slot = GetSlotBE(k.data());
        const char* end = v.data() + v.size();
        uint64_t count = 0, tag = 0;
        std::from_chars_result r = std::from_chars(v.data(), end, count);
        if (r.ec == std::errc() && r.ptr != end && *r.ptr == ':')
          r = std::from_chars(r.ptr + 1, end, tag);
        if (r.ec != std::errc() || r.ptr != end || slot >= kSlots || tag >= kMaxSlotLogSeq) {
          damaged = true;
          return false;
        }
        slot_counts_[slot] = count;
        tags[slot] = tag;
        slot_log_next_ = std::max(slot_log_next_, tag);
        return true;
      });
  if (!s.ok()) return s;
  if (damaged) return Status::Corruption("a slot count in " + options_.dir + " is damaged");
  bool first = true;
  s = WalkPrefix(db_.get(), MetaKey(kSlotLogMeta), "", [&](leveldb::Slice k, leveldb::Slice v) {
    if (k.size() != 8 || v.size() % kPairBytes != 0) {
      damaged = true;
      return false;
    }
    const uint64_t seq = GetFixed64BE(k.data());
    if (seq >= kMaxSlotLogSeq) {
      damaged = true;
      return false;
    }
    if (first) slot_log_first_ = seq;
    first = false;
    slot_log_next_ = std::max(slot_log_next_, seq + 1);
    for (size_t at = 0; at < v.size(); at += kPairBytes) {
      const auto slot = GetSlotBE(v.data() + at);
      if (slot >= kSlots) {
        damaged = true;
        return false;
      }
      if (seq >= tags[slot]) slot_counts_[slot] = GetFixed64BE(v.data() + at + 2);
      NoteLogged(slot);  // (the next fold writes its count, and the entry goes)
    }
    return true;
  });
  if (!s.ok()) return s;
  if (first) slot_log_first_ = slot_log_next_;
  if (damaged)
    return Status::Corruption("a slot count log entry in " + options_.dir + " is damaged");
  return Status::Ok();
}

void Engine::NoteLogged(uint16_t slot) {
  ++slot_log_pairs_;
  if (!slot_logged_[slot]) {
    slot_logged_[slot] = true;
    logged_slots_.push_back(slot);
  }
}

void Engine::ForgetSlotLog() {
  for (uint16_t slot : logged_slots_) slot_logged_[slot] = false;
  logged_slots_.clear();
  folding_slots_.clear();
  fold_pos_ = 0;
  folding_ = false;
  slot_log_first_ = slot_log_next_ = fold_end_ = 0;
  slot_log_pairs_ = 0;
}

std::string Engine::TaggedSlotCount(uint64_t count) const {
  return std::to_string(count) + ':' + std::to_string(slot_log_next_);
}

void Engine::PutSlotCount(leveldb::WriteBatch* batch, uint16_t slot) const {
  batch->Put(MetaKey(SlotCountName(slot)), TaggedSlotCount(slot_counts_[slot]));
}

const std::vector<uint16_t>& Engine::CommitSlots() {
  // dirty_slots_ has an entry per key that came or went: once per slot here.
  commit_slots_.clear();
  for (SlotDelta d : dirty_slots_) commit_slots_.push_back(d.slot);
  std::sort(commit_slots_.begin(), commit_slots_.end());
  commit_slots_.erase(std::unique(commit_slots_.begin(), commit_slots_.end()), commit_slots_.end());
  return commit_slots_;
}

void Engine::LogSlotCounts(leveldb::WriteBatch* batch) {
  CommitSlots();
  if (commit_slots_.size() <= kFewSlots) {
    // As counts: one entry each, where a log entry would be one, and one
    // more (its delete) at the fold.
    for (uint16_t slot : commit_slots_) PutSlotCount(batch, slot);
  } else {
    std::string pairs;
    pairs.reserve(commit_slots_.size() * kPairBytes);
    for (uint16_t slot : commit_slots_) {
      PutSlotBE(&pairs, slot);
      PutFixed64BE(&pairs, slot_counts_[slot]);
      NoteLogged(slot);
    }
    batch->Put(MetaKey(SlotLogName(slot_log_next_++)), pairs);
  }
  FoldStep(batch);
}

void Engine::FoldStep(leveldb::WriteBatch* batch) {
  if (!folding_) {
    if (slot_log_pairs_ < options_.slot_log_fold_pairs) return;
    // The entries before fold_end_ go once each slot they name has a count
    // tagged past them; slots logged from now on wait for the next fold.
    folding_ = true;
    fold_end_ = slot_log_next_;
    folding_slots_.swap(logged_slots_);
    for (uint16_t slot : folding_slots_) slot_logged_[slot] = false;
    logged_slots_.clear();
    slot_log_pairs_ = 0;
    fold_pos_ = 0;
  }
  size_t budget = kFoldStep;
  for (; budget > 0 && fold_pos_ < folding_slots_.size(); --budget) {
    PutSlotCount(batch, folding_slots_[fold_pos_++]);
  }
  for (; budget > 0 && slot_log_first_ < fold_end_; --budget) {
    batch->Delete(MetaKey(SlotLogName(slot_log_first_++)));
  }
  if (fold_pos_ == folding_slots_.size() && slot_log_first_ == fold_end_) {
    folding_ = false;
    folding_slots_.clear();
    fold_pos_ = 0;
    ++stats_.slot_log_folds;
  }
}

Status Engine::FoldSlotLogNow() {
  if (slot_log_first_ == slot_log_next_ && !folding_) return Status::Ok();
  leveldb::WriteBatch batch;
  for (size_t i = fold_pos_; i < folding_slots_.size(); ++i)
    PutSlotCount(&batch, folding_slots_[i]);
  for (uint16_t slot : logged_slots_) PutSlotCount(&batch, slot);
  for (uint64_t seq = slot_log_first_; seq < slot_log_next_; ++seq) {
    batch.Delete(MetaKey(SlotLogName(seq)));
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  Status s = FromLevelDb(db_->Write(wo, &batch));
  if (!s.ok()) return s;  // (the log stays as it is, on disk and here)
  const uint64_t next = slot_log_next_;
  ForgetSlotLog();
  slot_log_first_ = slot_log_next_ = next;
  ++stats_.slot_log_folds;
  return s;
}

void Engine::NoteCommittedCounters() {
  committed_key_count_ = key_count_;
  committed_expires_count_ = expires_count_;
  committed_expire_sum_ms_ = expire_sum_ms_;
  committed_expire_sum_known_ = expire_sum_known_;
}

void Engine::DeferSlotCounts(const std::vector<uint16_t>& slots) {
  for (uint16_t slot : slots) {
    if (deferred_counts_[slot] == kNotDeferred) deferred_slots_.push_back(slot);
    deferred_counts_[slot] = slot_counts_[slot];
  }
}

void Engine::AppendDeferredSlotCounts(std::string* ops) {
  // Up to 16,384 of them at once (the switch back's first flight), on the
  // loop: key and count are built in place, not as strings of their own.
  std::string key = MetaKey(kSlotCountMeta), value;
  const size_t prefix = key.size();
  const std::string tag = TaggedSlotCount(0).substr(1);  // ":<next log entry>"
  char digits[24];
  ops->reserve(ops->size() + deferred_slots_.size() * (prefix + 2 + tag.size() + 12));
  for (uint16_t slot : deferred_slots_) {
    key.resize(prefix);
    PutSlotBE(&key, slot);
    const auto r = std::to_chars(digits, digits + sizeof digits, deferred_counts_[slot]);
    value.assign(digits, r.ptr);
    value += tag;
    Journal::AppendPut(ops, key, value);
    deferred_counts_[slot] = kNotDeferred;
  }
  deferred_slots_.clear();
}

void Engine::ForgetDeferredSlotCounts() {
  for (uint16_t slot : deferred_slots_) deferred_counts_[slot] = kNotDeferred;
  deferred_slots_.clear();
}

Status Engine::WriteDeferredSlotCounts() {
  if (deferred_slots_.empty()) return Status::Ok();
  leveldb::WriteBatch batch;
  for (uint16_t slot : deferred_slots_) {
    batch.Put(MetaKey(SlotCountName(slot)), TaggedSlotCount(deferred_counts_[slot]));
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  Status s = FromLevelDb(db_->Write(wo, &batch));
  if (s.ok()) ForgetDeferredSlotCounts();
  return s;
}

}  // namespace ringkv::storage
