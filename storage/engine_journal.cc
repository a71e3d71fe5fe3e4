// Engine: write-behind through the write journal (engine.h, journal.h).
//
// A journal record's payload (journal.h) is the commit's LevelDB writes, the
// same a commit without write-behind gives LevelDB, so a replay is a LevelDB
// write of each record.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>

#include "storage/behind_writer.h"
#include "storage/engine.h"
#include "storage/engine_batch.h"
#include "storage/engine_meta.h"
#include "storage/journal.h"
#include "storage/leveldb_util.h"

namespace ringkv::storage {
namespace {

constexpr size_t kMaxJournalRecord = UINT32_MAX;

// Copies a LevelDB batch's writes into a journal payload.
class OpWriter final : public leveldb::WriteBatch::Handler {
 public:
  explicit OpWriter(std::string* out) : out_(out) {}
  void Put(const leveldb::Slice& k, const leveldb::Slice& v) override {
    Journal::AppendPut(out_, {k.data(), k.size()}, {v.data(), v.size()});
  }
  void Delete(const leveldb::Slice& k) override {
    Journal::AppendDelete(out_, {k.data(), k.size()});
  }

 private:
  std::string* out_;
};

// Applies replayed journal payloads to LevelDB, a few MB per write. A key's
// range and patch ops apply to its value in memory, read from LevelDB at its
// first such op in a batch (the batch so far written first, so that LevelDB holds
// the writes before it); the value goes into the batch whole when the batch
// is written. So a journal of many small changes to a big value reads and
// writes it once per batch, not once per change.
class Replayer {
 public:
  explicit Replayer(leveldb::DB* db) : db_(db) {}

  Status Add(std::string_view payload) {
    Journal::Op op;
    while (!payload.empty()) {
      if (!Journal::NextOp(&payload, &op)) {
        return Status::Corruption(
            "a write journal record holds a write this version cannot decode (damaged, or "
            "written by a newer ringkv: start that version to replay it)");
      }
      auto it = ranged_.empty() ? ranged_.end() : ranged_.find(op.key);
      if (op.kind == Journal::Op::kRange || op.kind == Journal::Op::kPatch) {
        if (it == ranged_.end()) {
          Status s = Load(op.key, &it);
          if (!s.ok()) return s;
        }
        // Absent reads as empty: a replay over a later state (journal.h).
        if (!it->second) it->second.emplace();
        Journal::ApplyInPlace(&*it->second, op);
        range_bytes_ += op.value.size();
      } else if (it != ranged_.end()) {
        if (op.put()) {
          it->second.emplace(op.value);
          range_bytes_ += op.value.size();
        } else {
          it->second.reset();
        }
      } else {
        BehindWriter::AddOp(op, &batch_);
      }
    }
    constexpr size_t kReplayBatch = 4 << 20;
    if (batch_.ApproximateSize() + range_bytes_ < kReplayBatch) return Status::Ok();
    return Write(/*sync=*/false);
  }

  // Writes what is left; `sync` as LevelDB's.
  Status Write(bool sync) {
    for (const auto& [key, value] : ranged_) {
      if (value) {
        batch_.Put(key, *value);
      } else {
        batch_.Delete(key);
      }
    }
    ranged_.clear();
    range_bytes_ = 0;
    leveldb::WriteOptions wo;
    wo.sync = sync;
    Status s = FromLevelDb(db_->Write(wo, &batch_));
    batch_.Clear();
    return s;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using Values = std::unordered_map<std::string, std::optional<std::string>, Hash, std::equal_to<>>;

  Status Load(std::string_view key, Values::iterator* it) {
    constexpr size_t kEmptyBatch = 12;  // a WriteBatch's header
    if (batch_.ApproximateSize() > kEmptyBatch) {
      Status s = FromLevelDb(db_->Write(leveldb::WriteOptions(), &batch_));
      batch_.Clear();
      if (!s.ok()) return s;
    }
    std::string value;
    leveldb::Status g =
        db_->Get(leveldb::ReadOptions(), leveldb::Slice(key.data(), key.size()), &value);
    if (!g.ok() && !g.IsNotFound()) return FromLevelDb(g);
    std::optional<std::string> loaded;
    if (g.ok()) loaded = std::move(value);
    range_bytes_ += loaded ? loaded->size() : 0;  // the batch holds it whole at Write
    *it = ranged_.emplace(std::string(key), std::move(loaded)).first;
    return Status::Ok();
  }

  leveldb::DB* const db_;
  leveldb::WriteBatch batch_;
  Values ranged_;           // keys with a range in this batch: their value so far (none: absent)
  size_t range_bytes_ = 0;  // ranged_'s values as loaded, and the bytes applied since
};

// The runs of kPatchBlock-byte blocks in which `a` and `b`, of one length,
// differ: [begin, end) offsets into them, adjacent blocks in one run (the
// last block may be shorter). False once they add up to over half the
// length, or pass kMaxPatches runs: a whole record is better then.
constexpr size_t kPatchBlock = 64;
constexpr size_t kMaxPatches = 1024;
bool PatchRuns(std::string_view a, std::string_view b,
               std::vector<std::pair<size_t, size_t>>* runs) {
  runs->clear();
  const size_t n = a.size();
  constexpr size_t kStep = 4096;  // equal pages are skipped a page at a time
  size_t total = 0;
  for (size_t i = 0; i < n;) {
    if (i % kStep == 0 && i + kStep <= n && std::memcmp(a.data() + i, b.data() + i, kStep) == 0) {
      i += kStep;
      continue;
    }
    const size_t len = std::min(kPatchBlock, n - i);
    if (std::memcmp(a.data() + i, b.data() + i, len) != 0) {
      if (!runs->empty() && runs->back().second == i) {
        runs->back().second = i + len;
      } else if (runs->size() == kMaxPatches) {
        return false;
      } else {
        runs->emplace_back(i, i + len);
      }
      total += len;
      if (2 * total > n) return false;
    }
    i += len;
  }
  return true;
}

// The length of the prefix `a` and `b` share.
size_t CommonPrefix(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  constexpr size_t kStep = 4096;  // memcmp a page at a time, then bytes
  size_t i = 0;
  while (i + kStep <= n && std::memcmp(a.data() + i, b.data() + i, kStep) == 0) i += kStep;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint64_t Engine::journal_segments() const { return journal_ ? journal_->segments() : 0; }

size_t Engine::unflushed() const {
  // A key written again while its last batch is in flight is in both lists.
  size_t both = 0;
  for (const RecordCache::Node* n : unflushed_) both += n->in_flight ? 1 : 0;
  return unflushed_.size() + in_flight_.size() - both;
}

Status Engine::StartJournal() {
  auto opened = Journal::Open(options_.dir, options_.log);
  if (!opened.ok()) return opened.status();
  std::unique_ptr<Journal> journal = std::move(*opened);
  if (journal->has_old_segments()) {
    // Writes a crash (or a failed flush) left only in the journal: into
    // LevelDB, in order, a few MB per write, then one synced write. The
    // segments are synced first: LevelDB must not durably hold what the
    // replay made of a journal tail that a power cut could still take
    // away (a range replayed later onto the wrong value: journal.h).
    if (Status s = SyncDirFiles(options_.dir, /*journal=*/true); !s.ok()) return s;
    const int64_t start = SteadyMs();
    Journal::ReplayStats st;
    Replayer replayer(db_.get());
    Status s =
        journal->Replay([&](std::string_view payload) { return replayer.Add(payload); }, &st);
    if (!s.ok()) return s;
    s = replayer.Write(/*sync=*/true);
    if (!s.ok()) return s;
    s = LoadCounters();
    if (!s.ok()) return s;
    stats_.replayed_records += st.records;
    if (options_.log) {
      options_.log("Replayed " + std::to_string(st.records) + " records (" +
                   std::to_string(st.bytes) + " bytes) of the write journal in " +
                   std::to_string(SteadyMs() - start) + " ms");
    }
  }
  // Adaptive, the engine starts committing straight to LevelDB, and journals
  // once a period shows that it pays.
  const bool journaling = options_.write_behind_ms > 0 && !options_.write_behind_adaptive;
  if (journal->has_old_segments()) {
    // LevelDB holds their writes (synced: its logs too, for a replay long
    // enough to switch memtables). Gone before a new segment exists, so
    // that a torn record a replay dropped can never end up before another.
    Status s = SyncDirFiles(options_.dir, /*journal=*/false);
    if (s.ok()) s = journal->DropOld();
    if (!s.ok()) return s;
  }
  if (journaling) {
    // Only direct commits fold the slot count log: journaling from the
    // start, it is folded now (its entries would otherwise be read at every
    // open).
    Status s = FoldSlotLogNow();
    if (s.ok()) s = journal->StartSegment();
    if (!s.ok()) return s;
  }
  if (options_.write_behind_ms > 0) {
    journal_ = std::move(journal);
    journaling_ = journaling;
    // (The compaction thread's probe: the same right raises either thread.)
    const bool may_raise = options_.write_behind_nice > 0 && BackgroundPriority::Supported();
    writer_ =
        std::make_unique<BehindWriter>(db_.get(), priority_ ? priority_->behind_writes() : nullptr,
                                       options_.dir, options_.write_behind_nice, may_raise);
    last_flush_ms_ = window_start_ms_ = period_start_ms_ = SteadyMs();
  }
  return Status::Ok();
}

Status Engine::CommitJournal() {
  if (!failure_.ok()) {
    UndoTurn();
    ++commit_failures_;
    Status refused = Status::IoError("refused after an earlier failure: " + failure_.message());
    if (turn_failure_.ok()) turn_failure_ = refused;
    return refused;
  }
  std::string* out = journal_->Begin();
  auto put = [out](std::string_view k, std::string_view v) { Journal::AppendPut(out, k, v); };
  JournalEntries(out);
  OpWriter others(out);
  (void)batch_->Iterate(&others);
  WriteCounters(committed_key_count_, committed_expires_count_, expire_sum_dirty_, put);
  // The slot counts go to the journal only: LevelDB gets them with the next
  // flight that lets segments go (DeferSlotCounts).
  const size_t behind_size = out->size();
  const std::vector<uint16_t>& slots = CommitSlots();
  for (uint16_t slot : slots)
    put(MetaKey(SlotCountName(slot)), TaggedSlotCount(slot_counts_[slot]));
  if (out->size() > kMaxJournalRecord) {
    // Nothing was written: this turn's writes are refused, the engine stays
    // writable (one MULTI of many big values, say).
    Status refused = Status::InvalidArgument(
        "one turn's writes (" + std::to_string(out->size()) +
        " bytes) exceed what one write journal record holds (4 GB); not applied");
    UndoTurn();
    if (turn_failure_.ok()) turn_failure_ = refused;
    return refused;
  }
  Status s = journal_->Append(options_.sync_commits);
  ++stats_.commits;
  stats_.committed_writes += pending_writes_;
  if (options_.sync_commits) ++stats_.syncs;
  if (!s.ok()) {
    UndoTurn();
    ++commit_failures_;
    if (failure_.ok()) failure_ = s;
    if (turn_failure_.ok()) turn_failure_ = s;
    // What earlier commits journaled is still worth having in LevelDB: the
    // engine is read-only now, and scans read LevelDB.
    (void)FlushBehind(false);
    return s;
  }
  for (RecordCache::Node* n : dirty_) {
    n->dirty = false;
    n->in_place = false;
    if (!n->unflushed) {
      n->unflushed = true;
      unflushed_.push_back(n);
    }
  }
  dirty_.clear();
  undo_.clear();
  in_place_undos_.clear();
  // (The payload stays in *out until the next Begin().)
  const std::string_view behind(out->data(), behind_size);
  if (turn_ranges_.empty()) {
    behind_ops_.append(behind);
  } else {
    HoldRanges(behind);
  }
  DeferSlotCounts(slots);
  batch_->Clear();
  for (auto& [k, v] : pending_hints_) behind_hints_.insert_or_assign(k, std::move(v));
  pending_hints_.clear();
  dirty_slots_.clear();
  expire_sum_dirty_ = false;
  NoteCommittedCounters();
  pending_writes_ = 0;
  cache_.EvictToCapacity();
  return Status::Ok();
}

size_t Engine::RangeKeep(const Record& base, std::string_view base_value, const Record& rec) {
  if (base_value.size() < kMinRangeValue || rec.value.size() < kMinRangeValue) return 0;
  EncodeRecordHeader(base, &base_header_);
  EncodeRecordHeader(rec, &commit_value_);
  if (base_header_ != commit_value_) return 0;
  // A record grown in place (AppendInPlace) starts with base_value: no
  // compare of a value with itself.
  const size_t same = &base == &rec ? base_value.size() : CommonPrefix(base_value, rec.value);
  return same >= rec.value.size() / 2 ? base_header_.size() + same : 0;
}

bool Engine::Patches(const Record& base, std::string_view base_value, const Record& rec) {
  if (base_value.size() < kMinRangeValue || rec.value.size() != base_value.size()) return false;
  EncodeRecordHeader(base, &base_header_);
  EncodeRecordHeader(rec, &commit_value_);
  return base_header_ == commit_value_ && PatchRuns(base_value, rec.value, &patch_runs_) &&
         !patch_runs_.empty();
}

size_t Engine::PatchBytes(size_t key_size) const {
  size_t n = 0;
  for (const auto& [from, to] : patch_runs_) n += to - from + key_size + 8;  // + op, lengths
  return n;
}

void Engine::JournalEntries(std::string* out) {
  turn_ranges_.clear();
  for (size_t i = 0; i < dirty_.size(); ++i) {
    RecordCache::Node* n = dirty_[i];
    DataKeyForSlot(n->slot, n->key(), &commit_key_);
    if (n->held) turn_ranges_.push_back({n, 0, 0});  // unless a range below: written whole
    if (!n->rec) {
      Journal::AppendDelete(out, commit_key_);
      continue;
    }
    // undo_[i] is the key's last committed state: what LevelDB holds once
    // the writes journaled before this one are in it.
    const Record& rec = *n->rec;
    Undo& u = undo_[i];
    if (!u.spans.empty()) {
      if (n->rec == u.rec && rec.value.size() == u.cut) {  // changed in place by its spans alone
        JournalSpans(n, u, out);
        continue;
      }
      // Grown in place since (APPEND, a change past the end): the spans and
      // the bytes past the cut changed. A range from the lowest span, where
      // it keeps half the value (as RangeKeep asks), needs no copy of the
      // value before and no compare: a bitmap grown a byte at a time, whose
      // turn began inside its last byte.
      if (n->rec == u.rec && rec.value.size() > u.cut) {
        size_t lowest = u.cut;
        for (const Span& sp : u.spans) lowest = std::min(lowest, sp.offset);
        if (lowest >= rec.value.size() / 2) {
          EncodeRecordHeader(rec, &base_header_);  // the committed one: in place, unchanged
          JournalRange(n, base_header_.size() + lowest, out);
          continue;
        }
      }
      SettleSpans(&u, n->rec);  // grown since, or replaced: compared as any other
    }
    const std::string_view base = u.rec ? std::string_view(u.rec->value).substr(0, u.cut) : "";
    size_t keep = u.rec ? RangeKeep(*u.rec, base, rec) : 0;
    // Patches where they journal fewer bytes than a range (a change in the
    // second half of a value, which a range would journal from there on).
    bool patch = false;
    if (u.rec && rec.value.size() == base.size()) {
      const size_t range_bytes =
          keep > 0 ? rec.value.size() + base_header_.size() - keep : SIZE_MAX;
      patch = Patches(*u.rec, base, rec) && PatchBytes(commit_key_.size()) < range_bytes;
      if (patch) keep = 0;
    }
    if (keep > 0) {
      JournalRange(n, keep, out);
      continue;
    }
    if (patch) {
      JournalPatchRuns(n, out);
      continue;
    }
    EncodeRecord(rec, &commit_value_);
    Journal::AppendPut(out, commit_key_, commit_value_);
  }
  ReleaseBigBuffers();
}

void Engine::JournalRange(RecordCache::Node* n, size_t keep, std::string* out) {
  const Record& rec = *n->rec;
  const size_t begin = out->size();
  Journal::AppendRange(out, commit_key_, keep,
                       std::string_view(rec.value).substr(keep - base_header_.size()));
  if (n->held) turn_ranges_.pop_back();
  turn_ranges_.push_back({n, begin, out->size()});
  ++stats_.journal_ranges;
  period_range_bytes_ += rec.value.size();
}

void Engine::JournalPatchRuns(RecordCache::Node* n, std::string* out) {
  const Record& rec = *n->rec;
  const size_t begin = out->size();
  for (const auto& [from, to] : patch_runs_) {
    Journal::AppendPatch(out, commit_key_, base_header_.size() + from,
                         std::string_view(rec.value).substr(from, to - from));
  }
  if (n->held) turn_ranges_.pop_back();
  turn_ranges_.push_back({n, begin, out->size()});
  ++stats_.journal_patches;
  period_range_bytes_ += rec.value.size();
}

void Engine::ReleaseBigBuffers() {
  constexpr size_t kKeepBuffer = 64 << 10;
  if (commit_value_.capacity() > kKeepBuffer) std::string().swap(commit_value_);
  if (commit_key_.capacity() > kKeepBuffer) std::string().swap(commit_key_);
  if (read_key_.capacity() > kKeepBuffer) std::string().swap(read_key_);
  if (read_bytes_.capacity() > kKeepBuffer) std::string().swap(read_bytes_);
  if (span_bytes_.capacity() > kKeepBuffer) std::string().swap(span_bytes_);
}

void Engine::HoldRanges(std::string_view payload) {
  size_t copied = 0;
  for (const TurnRange& r : turn_ranges_) {
    if (r.begin == r.end) {  // a held key written whole: its ranges are moot
      held_.erase(r.node);
      r.node->held = false;
      continue;
    }
    journal_->MarkRanges();
    behind_ops_.append(payload.substr(copied, r.begin - copied));
    const uint64_t held = held_[r.node] += r.end - r.begin;
    r.node->held = true;
    if (r.node->rec && 2 * held >= r.node->rec->value.size()) held_due_ = true;
    copied = r.end;
  }
  behind_ops_.append(payload.substr(copied));
  turn_ranges_.clear();
}

void Engine::UndoTurn() {
  for (size_t i = 0; i < dirty_.size(); ++i) {
    RecordCache::Node* n = dirty_[i];
    n->dirty = false;
    n->in_place = false;
    RecordRef& before = undo_[i].rec;
    if (undo_[i].cut != kWhole) {
      // Changed in place (grown by appends, or spans overwritten): the
      // spans' bytes put back, then cut back (out of the cache first, so
      // that its charge as grown is taken off; it goes back charged as it
      // is then).
      cache_.Set(n, RecordRef());
      RevertSpans(&undo_[i]);
      const_cast<Record&>(*before).value.resize(undo_[i].cut);
    }
    if (n->unflushed || n->in_flight) {
      cache_.Set(n, std::move(before));  // the journaled state
    } else {
      cache_.Erase(n->key());  // LevelDB holds the state before
    }
  }
  dirty_.clear();
  undo_.clear();
  in_place_undos_.clear();
  key_count_ = committed_key_count_;
  expires_count_ = committed_expires_count_;
  expire_sum_ms_ = committed_expire_sum_ms_;
  expire_sum_known_ = committed_expire_sum_known_;
  expire_sum_dirty_ = false;
  for (auto it = dirty_slots_.rbegin(); it != dirty_slots_.rend(); ++it) {
    slot_counts_[it->slot] -= static_cast<uint64_t>(static_cast<int64_t>(it->delta));
  }
  dirty_slots_.clear();
  batch_->Clear();
  pending_hints_.clear();
  pending_writes_ = 0;
}

}  // namespace ringkv::storage
