// Engine: the key counts (DBSIZE, the keys with an expiry, the expiry sum
// behind INFO's avg_ttl) and the per-slot key counts (CLUSTER
// COUNTKEYSINSLOT, resharding), as LevelDB's metadata keys hold them.
//
// Each commit journals the counts it changed. The slot counts then wait in
// memory for a flight that lets journal segments go (a full segment, Sync,
// a close): until then the journal holds them, and a start replays it. A
// flight carries each changed slot's count once, where writing them with
// every flight put one more memtable entry beside nearly every new key
// (SET -r 1M -P 16: 0.84 per SET, 16,384 slots against batches of a few
// thousand keys).
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <string>

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

Status Engine::LoadSlotCounts() {
  std::fill(slot_counts_.begin(), slot_counts_.end(), 0);
  return WalkPrefix(
      db_.get(), MetaKey(kSlotCountMeta), "", [this](leveldb::Slice k, leveldb::Slice v) {
        if (k.size() != 2) return true;
        uint16_t slot =
            static_cast<uint16_t>((static_cast<uint8_t>(k[0]) << 8) | static_cast<uint8_t>(k[1]));
        if (slot < kSlots) slot_counts_[slot] = std::stoull(v.ToString());
        return true;
      });
}

void Engine::NoteCommittedCounters() {
  committed_key_count_ = key_count_;
  committed_expires_count_ = expires_count_;
  committed_expire_sum_ms_ = expire_sum_ms_;
  committed_expire_sum_known_ = expire_sum_known_;
}

void Engine::DeferSlotCounts() {
  for (SlotDelta d : dirty_slots_) {
    if (deferred_counts_[d.slot] == kNotDeferred) deferred_slots_.push_back(d.slot);
    deferred_counts_[d.slot] = slot_counts_[d.slot];
  }
}

void Engine::AppendDeferredSlotCounts(std::string* ops) {
  for (uint16_t slot : deferred_slots_) {
    Journal::AppendPut(ops, MetaKey(SlotCountName(slot)), std::to_string(deferred_counts_[slot]));
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
    batch.Put(MetaKey(SlotCountName(slot)), std::to_string(deferred_counts_[slot]));
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  Status s = FromLevelDb(db_->Write(wo, &batch));
  if (s.ok()) ForgetDeferredSlotCounts();
  return s;
}

}  // namespace ringkv::storage
