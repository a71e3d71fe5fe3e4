// Engine: write-behind's flights and its switches (engine.h). Committed
// writes wait in the cache and the journal (engine_journal.cc) until a
// flight hands them to the writer thread (behind_writer.h), which writes
// them to LevelDB while the loop goes on; adaptive write-behind turns the
// journal on and off by what the last period's commits were like.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "storage/behind_writer.h"
#include "storage/engine.h"
#include "storage/journal.h"
#include "storage/leveldb_util.h"

namespace ringkv::storage {

bool Engine::FlushDue(int64_t now_ms) const {
  if (!journaling_ || !behind_failure_.ok() || writer_->busy()) return false;
  // A full segment is closed at a flush (StartFlight), whatever is waiting:
  // range ops alone (held_) put nothing in behind_ops_.
  if (failure_.ok() && !journal_->failed() &&
      journal_->segment_bytes() >= options_.journal_segment_bytes) {
    return true;
  }
  // (Held keys alone wait for more changes: see held_.)
  if (behind_ops_.empty() && unflushed_.size() == held_.size() && !held_due_) return false;
  return cache_.bytes() > cache_.capacity() || behind_ops_.size() >= BehindOpsLimit() ||
         now_ms - last_flush_ms_ >= options_.write_behind_ms;
}

size_t Engine::BehindOpsLimit() const {
  // The ops copy every write, so hot keys with big values fill them faster
  // than the cache: a flush writes each key once and frees them.
  constexpr uint64_t kMin = 1 << 20;
  return static_cast<size_t>(std::max(kMin, options_.journal_segment_bytes / 4));
}

size_t Engine::BehindKeysLimit() const {
  // One key per KB of cache, at least 4096 (32,768 for a 32 MB cache).
  constexpr uint64_t kMin = 4096;
  return static_cast<size_t>(std::max(kMin, cache_.capacity() / 1024));
}

Status Engine::EndTurnBehind() {
  const int64_t now = SteadyMs();
  // Backpressure: while a batch is in flight (LevelDB may be slow: its
  // level-0 files stall writes), the keys written since may pass
  // BehindKeysLimit() (held keys, which stay, not counted), the cache twice
  // its capacity, the ops their limit or the segment twice its size; then the
  // loop waits for the batch (and starts the next if one is due).
  // The key bound keeps small records' memory in check: beyond what the
  // cache charges, each waiting key costs its ops and then its batch and
  // memtable entries. Without it a load of 5M keys through a 32 MB cache
  // peaked at 256 MB of RSS; with it, at 109-134 MB. It bounds memory, not
  // time: the bound it replaced, a batch in flight for 50 ms, made the loop
  // wait for slow batches of big values (SET of 100 KB values over 20,000
  // keys: 740 against 1160 per second) and put their latency into every
  // reply (a pipelined load over 10M keys: 102 ms at most, against 47). The
  // cache bound is not lower: one value bigger than the cache, rewritten in
  // every turn, keeps it over and would make every turn wait (it still does
  // past twice the cache).
  // A batch still under way 4 write-behind-ms after it started is late: the
  // writer, at write-behind-nice, got too little CPU (one core, or every
  // core busy). It runs at the loop's priority until done. Otherwise the
  // keys coming meanwhile make the next batch bigger, and that one later
  // still, up to the bounds below: with the server on one core, the loop's
  // wait for such a batch took 280-290 ms.
  if (writer_->busy() && now - last_flush_ms_ >= 4 * options_.write_behind_ms && writer_->Lift()) {
    ++stats_.behind_lifts;
  }
  if (writer_->busy() &&
      (unflushed_.size() - held_.size() > BehindKeysLimit() ||
       cache_.bytes() > 2 * cache_.capacity() || behind_ops_.size() > BehindOpsLimit() ||
       journal_->segment_bytes() > 2 * options_.journal_segment_bytes)) {
    Status f = FinishFlight(/*wait=*/true);
    if (!f.ok() && options_.log) {
      options_.log("Write-behind failed, refusing writes from now on: " + f.message());
    }
  }
  Status s = PollFlight();
  if (s.ok()) s = Adapt(now);
  if (s.ok() && switch_ != Switch::kNone) {
    s = journaling_ ? StepStopJournaling() : StepStartJournaling(now);
  }
  if (s.ok() && FlushDue(now)) StartFlight(/*sync=*/false, /*all=*/false);
  if (!s.ok() && options_.log) {
    // This turn's writes are journaled; what failed is earlier work (a
    // flush, deleting a segment, a switch). failure_ holds it: commits fail
    // from the next one on, and the server turns read-only then.
    options_.log("Write-behind failed, refusing writes from now on: " + s.message());
  }
  return Status::Ok();
}

Status Engine::Adapt(int64_t now_ms) {
  if (now_ms - window_start_ms_ >= options_.write_behind_ms) {
    window_start_ms_ = now_ms;
    if (++window_ == 0) window_ = 1;  // 0 is a new entry's: never current
  }
  if (!options_.write_behind_adaptive) return Status::Ok();
  // Big values changed a little (APPEND to long strings) are journaled as
  // their changes, and written whole otherwise (see kMinRangeValue): once
  // they add up to 1 MB, the journal starts at once, not at the period's end.
  constexpr uint64_t kRangeBytes = 1 << 20;
  const bool ranges = period_range_bytes_ >= kRangeBytes;
  const int64_t period = std::max<int64_t>(100, 20 * options_.write_behind_ms);
  if (now_ms - period_start_ms_ < period && !(ranges && !journaling_)) return Status::Ok();
  const uint64_t writes = period_writes_, fresh = period_fresh_;
  const uint64_t commits = stats_.commits - period_start_commits_;
  period_start_ms_ = now_ms;
  period_writes_ = period_fresh_ = period_range_bytes_ = 0;
  period_start_commits_ = stats_.commits;
  if (!failure_.ok()) return Status::Ok();
  const bool may_switch = switch_ == Switch::kNone;
  if (!journaling_ && may_switch && ranges) switch_ = Switch::kStartDue;
  // Too few writes to judge, or to matter: the mode stays.
  constexpr uint64_t kMinWrites = 100;
  if (writes < kMinWrites || ranges) return Status::Ok();
  constexpr uint64_t kBigTurn = 64;  // keys per commit (see write_behind_adaptive)
  const bool coalescing = fresh * 2 < writes, scattered = fresh * 10 > writes * 8;
  const bool big_turns = writes >= kBigTurn * commits;
  const bool small_turns = writes < kBigTurn / 2 * commits;
  // (Stepped by EndTurnBehind from this turn on.)
  if (journaling_ && may_switch && scattered && small_turns) switch_ = Switch::kStopDue;
  if (!journaling_ && may_switch && (coalescing || big_turns)) switch_ = Switch::kStartDue;
  return Status::Ok();
}

Status Engine::StepStartJournaling(int64_t now_ms) {
  if (!failure_.ok()) switch_ = Switch::kNone;
  if (switch_ == Switch::kNone || writer_->busy()) return Status::Ok();
  if (switch_ == Switch::kStartDue) {
    // The sync of what went straight to LevelDB took the loop 0.7-2.5 ms
    // (once 8): the writer thread does it first, with fdatasync on LevelDB's
    // logs (a synced LevelDB write would make the loop's next commit wait
    // for it), while commits still go there, and the loop's own sync at the
    // switch has only the last turns' writes left.
    writer_->Submit(std::string(), /*sync=*/false, /*sync_journal=*/false, /*sync_logs=*/true);
    if (flusher_) flusher_->NoteFlight(true);  // (PollFlight takes the result)
    last_flush_ms_ = now_ms;                   // (not late: see the Lift in EndTurnBehind)
    switch_ = Switch::kStartSync;
    return Status::Ok();
  }
  switch_ = Switch::kNone;
  return StartJournaling(now_ms);
}

Status Engine::StartJournaling(int64_t now_ms) {
  // What went straight to LevelDB is made durable first (its older logs
  // too; the writer thread synced all but the last turns' writes): from now
  // on the everysec sync covers the journal only. The slot
  // count log stays as it is (folding it here stalled the loop 16-22 ms):
  // the journal's counts are tagged past its entries, and its fold goes on
  // once commits are direct again.
  Status s = Sync();
  if (s.ok()) s = SyncDirFiles(options_.dir, /*journal=*/false);
  if (s.ok()) s = journal_->StartSegment();
  if (!s.ok()) {
    if (failure_.ok()) failure_ = s;
    return s;
  }
  journaling_ = true;
  last_flush_ms_ = now_ms;
  ++stats_.behind_switches;
  return Status::Ok();
}

Status Engine::StepStopJournaling() {
  // (A failure is already in failure_, and logged: the journal stays.)
  if (!failure_.ok()) switch_ = Switch::kNone;
  if (switch_ == Switch::kNone || writer_->busy()) return Status::Ok();
  if (switch_ == Switch::kStopDue) {
    // The synced write took the loop 5 ms on a quiet machine, 10-22 ms on a
    // busy one, when the loop waited for it: the writer thread does it now,
    // while commits are journaled still.
    StartFlight(/*sync=*/true, /*all=*/true, /*stop=*/true);
    switch_ = Switch::kStopFlight;
    stop_flights_ = 0;
    return Status::Ok();
  }
  // That flight is done. The keys committed while it ran go in flights of
  // their own, unsynced, while there are many (each runs for less time than
  // the one before, so fewer keys wait after it); the last few go at the
  // switch, with the loop waiting.
  constexpr size_t kSwitchKeys = 256;
  constexpr int kMaxFlights = 8;
  if (unflushed_.size() > kSwitchKeys && stop_flights_ < kMaxFlights) {
    ++stop_flights_;
    StartFlight(/*sync=*/false, /*all=*/true, /*stop=*/true);
    writer_->Lift();
    return Status::Ok();
  }
  return StopJournaling();
}

Status Engine::StopJournaling() {
  switch_ = Switch::kNone;
  // LevelDB holds durably what came before the synced flight; what was
  // committed since goes in one more synced flight (it syncs what the
  // unsynced ones wrote too, and LevelDB's older logs): the everysec sync
  // does not cover LevelDB's logs before the segments go, and may not come
  // again if the writes stop now. No direct commit may come before the
  // segments go: replayed, they would undo it.
  StartFlight(/*sync=*/true, /*all=*/true, /*stop=*/true);
  Status s = FinishFlight(/*wait=*/true);
  if (s.ok()) s = DropJournalSegments(/*all=*/true, /*logs_synced=*/true);
  if (!s.ok()) {
    if (failure_.ok()) failure_ = s;
    return s;
  }
  journaling_ = false;
  ++stats_.behind_switches;
  // Direct commits use neither buffer: a burst's capacity goes now.
  std::string().swap(behind_ops_);
  std::string().swap(spare_ops_);
  journal_->FreeBuffer();
  return Status::Ok();
}

Status Engine::FlushBehind(bool sync) { return Flush(sync, /*held=*/true); }

Status Engine::Flush(bool sync, bool held) {
  Status s = Commit();
  if (!s.ok()) return s;
  if (!journaling_) return sync ? Sync() : Status::Ok();
  s = FinishFlight(/*wait=*/true);
  if (!s.ok()) return s;
  if (!behind_failure_.ok()) return behind_failure_;
  if (!sync && behind_ops_.empty() && unflushed_.size() == (held ? 0 : held_.size())) {
    return Status::Ok();
  }
  StartFlight(sync, held);
  return FinishFlight(/*wait=*/true);
}

Status Engine::PollFlight() {
  if (!journal_ || !writer_->busy() || !writer_->done()) return Status::Ok();
  return FinishFlight(/*wait=*/false);
}

void Engine::StartFlight(bool sync, bool all, bool stop) {
  // A full segment: later commits go to a new one, and once this batch is in
  // LevelDB, synced, the old ones go (it holds everything they journaled,
  // held ranges too). The new one starts once the full one is synced, on
  // the loop: with appendfsync everysec up to a second of records waited for
  // it there (5-58 ms measured, median 24, pipelined SETs of 256 bytes). So
  // the flights before have the writer thread sync it first (sync_journal),
  // while over 1 MB were journaled since the last of them (at most 4), and
  // the loop syncs only the records since.
  // (Not in the switch back's flights: every segment goes at its end.)
  flight_drops_segments_ = false;
  bool presync = false;
  if (!stop && failure_.ok() && !journal_->failed() &&
      journal_->segment_bytes() >= options_.journal_segment_bytes) {
    constexpr uint64_t kTailBytes = 1 << 20;
    constexpr int kMaxPresyncs = 4;
    const uint64_t segment = journal_->current_segment(), bytes = journal_->segment_bytes();
    if (presynced_segment_ != segment) presyncs_ = 0;
    if (!options_.sync_commits && presyncs_ < kMaxPresyncs &&
        (presyncs_ == 0 || bytes - presynced_bytes_ > kTailBytes)) {
      presync = true;
      presynced_segment_ = segment;
      presynced_bytes_ = bytes;
      ++presyncs_;
    } else if (Status s = journal_->StartSegment(); s.ok()) {
      flight_drops_segments_ = true;
    } else if (failure_.ok()) {
      failure_ = s;  // commits fail from now on: read-only
    }
  }
  held_due_ = false;  // the loop below writes every key due
  if (!held_.empty()) {
    // A full cache must be able to evict them once written.
    const bool release_all = all || flight_drops_segments_ || cache_.bytes() > cache_.capacity();
    for (auto it = held_.begin(); it != held_.end();) {
      RecordCache::Node* n = it->first;
      // Kept until its ranges add up to half its value: to what LevelDB
      // holds of it, for appends (so it is written each time it doubled).
      if (!release_all && n->rec && 2 * it->second < n->rec->value.size()) {
        ++it;
        continue;
      }
      // Its record as the last commit left it (the ranges' end state), after
      // the key's other ops in behind_ops_: they came before the ranges.
      DataKeyForSlot(n->slot, n->key(), &commit_key_);
      if (n->rec) {
        EncodeRecord(*n->rec, &commit_value_);
        Journal::AppendPut(&behind_ops_, commit_key_, commit_value_);
      } else {
        Journal::AppendDelete(&behind_ops_, commit_key_);
      }
      n->held = false;
      it = held_.erase(it);
    }
    ReleaseBigBuffers();
  }
  if (held_.empty()) {
    in_flight_.swap(unflushed_);
    unflushed_.clear();
  } else {  // held keys stay pinned as unflushed
    size_t kept = 0;
    for (RecordCache::Node* n : unflushed_) {
      if (n->held) {
        unflushed_[kept++] = n;
      } else {
        in_flight_.push_back(n);
      }
    }
    unflushed_.resize(kept);
  }
  for (RecordCache::Node* n : in_flight_) {
    n->unflushed = false;
    n->in_flight = true;  // still pinned until the write is done
  }
  // The journaled payloads hold the counters each commit changed: LevelDB
  // has the committed ones once this batch is in.
  stored_key_count_ = committed_key_count_;
  stored_expires_count_ = committed_expires_count_;
  ++stats_.behind_flushes;
  stats_.behind_writes += in_flight_.size();
  flight_due_ms_ = unflushed_due_ms_;
  unflushed_due_ms_ = INT64_MAX;
  flight_hints_.swap(behind_hints_);
  behind_hints_.clear();
  if (sync) ++stats_.syncs;
  // (With appendfsync always every journal record is synced already.)
  const bool sync_journal = (journal_->has_ranges() || presync) && !options_.sync_commits;
  if (sync_journal) ++stats_.journal_syncs;
  // A synced flight comes before segments go (Sync, a close), as does one
  // that drops them and each of the switch back's (`stop`).
  if (sync || stop || flight_drops_segments_) AppendDeferredSlotCounts(&behind_ops_);
  writer_->Submit(std::move(behind_ops_), sync || flight_drops_segments_, sync_journal,
                  /*sync_logs=*/(stop && sync) || flight_drops_segments_);
  if (flusher_) flusher_->NoteFlight(true);
  behind_ops_.clear();           // a moved-from string is valid but unspecified
  behind_ops_.swap(spare_ops_);  // the last flight's buffer: no growing from empty again
  last_flush_ms_ = SteadyMs();
}

Status Engine::FinishFlight(bool wait) {
  if (!writer_ || !writer_->busy()) return Status::Ok();
  if (!writer_->done()) {
    if (!wait) return Status::Ok();
    ++stats_.behind_waits;
  }
  Status s = writer_->Wait();
  if (flusher_) flusher_->NoteFlight(false);
  if (!s.ok()) {
    // The journal still holds every write: they stay pinned in the cache,
    // and the next start replays them.
    behind_failure_ = s;
    if (failure_.ok()) failure_ = s;
    return s;
  }
  for (RecordCache::Node* n : in_flight_) n->in_flight = false;
  in_flight_.clear();
  flight_due_ms_ = INT64_MAX;
  flight_hints_.clear();
  spare_ops_ = writer_->TakeBuffer();  // its capacity, for the next flight
  if (flusher_) flusher_->NoteCommit(writer_->written_bytes());
  if (!HasPending()) cache_.EvictToCapacity();
  if (!flight_drops_segments_) return Status::Ok();
  flight_drops_segments_ = false;
  // (The writer thread synced LevelDB's logs after this flight's write: on
  // the loop that took 0.6-13 ms, median 9, pipelined SETs of 256 bytes.)
  s = DropJournalSegments(/*all=*/false, /*logs_synced=*/true);
  if (!s.ok() && failure_.ok()) failure_ = s;
  return s;
}

}  // namespace ringkv::storage
