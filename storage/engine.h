// The local storage engine: LevelDB (bloom filter, small block cache) behind a
// bounded record cache, with an expiry index and an exact key count.
//
// Writes (Put/Delete) go to the cache at once and mark the entry dirty;
// Commit() makes the last state of every dirty key durable, together with the
// updated key counts, in one write (a key written many times in a turn, like
// a hot counter, is written once). The server calls Commit() once per loop
// turn, before any reply of that turn leaves, so an acknowledged write is
// always on its way to disk (and, with sync, on disk). Reads see uncommitted
// writes through the cache, which never evicts while a write is pending.
//
// Write-behind (write_behind_ms > 0, the default): a commit appends one
// record to the write journal (journal.h) and leaves its keys in the cache,
// pinned; every write_behind_ms, or sooner when pinned keys fill the cache,
// FlushBehind() writes the last state of every pinned key to LevelDB as one
// sorted batch, and a journal segment goes once LevelDB durably holds what it
// journaled. A key written in every turn (a hot counter, a SET of one key
// from 50 clients) then reaches LevelDB's memtable, its level-0 files and its
// compactions once per flush instead of once per turn. Opening replays the
// journal into LevelDB. With write_behind_ms 0 a commit is one LevelDB write.
//
// Loop thread only, except SyncLogFiles(), which may run on another thread.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/background_priority.h"
#include "storage/cache.h"
#include "storage/engine_options.h"
#include "storage/idle_flush.h"
#include "storage/key_filter.h"
#include "storage/record.h"
#include "storage/status.h"

namespace leveldb {
class DB;
class Env;
class Cache;
class FilterPolicy;
class WriteBatch;
}  // namespace leveldb

namespace ringkv::storage {

class BehindWriter;
class Journal;

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The record under `key`, or nullptr if absent. Includes uncommitted writes;
  // does not judge expiry or tombstones (callers do).
  Result<RecordRef> Get(std::string_view key);
  // Stores `rec` (a tombstone is stored as such). Joins the pending batch.
  void Put(std::string_view key, Record rec);
  // Removes the key entirely. Joins the pending batch.
  void Delete(std::string_view key);
  // APPEND's fast path: appends `tail` to the value of `key` in place, as a
  // Put of the longer value would, and sets `*length` to the new length.
  // Only where the generic path (a copy of the value for each append, and a
  // compare of the copies at the commit) costs most and where nothing else
  // can see the record change: write-behind journaling, a cached live record
  // of kMinRangeValue bytes or more with no version, not expired at
  // `now_ms`, held by the cache alone (and by this turn's undo, if an
  // earlier append of this turn grew it; a record a Put of this turn made is
  // the cache's alone), and a result of at most
  // `max_length` bytes. Otherwise false, and nothing is done.
  bool AppendInPlace(std::string_view key, std::string_view tail, int64_t now_ms,
                     uint64_t max_length, size_t* length);
  // SETBIT's and SETRANGE's fast path: calls `fn(std::string* value)` with
  // the value of `key` to change where it is (it may grow it; it returns
  // whether it changed anything), as a Put of the changed value would; sets
  // `*changed` to what it returned. `fn` overwrites at most the `length`
  // bytes at `offset` of the value as it is (or grows it). Only for a cached
  // live big string, as AppendInPlace, and either
  //  - inside the value, where the key's first change of the turn was one
  //    of these too (or is this one): the undo keeps the bytes at [offset,
  //    offset + length) (a span), and the commit journals those bytes as
  //    patches, without a copy or a compare of the value (up to 1024 spans
  //    of at most a quarter of the value in all); or
  //  - at or past the value's end (SETBIT past it, SETRANGE at or after
  //    it), where AppendInPlace could append: the value grows in place with
  //    zero bytes to offset + length, and `fn` overwrites only bytes just
  //    added, which the append's undo (a cut back) takes away again; a
  //    growth is a change (*changed true); or inside bytes that such a
  //    growth or an APPEND added in this turn (a bitmap growing by a byte
  //    at a time: the bits of its last byte); or
  //  - where a Put of this turn made the record, so that the undo holds the
  //    state before in another record.
  // Otherwise false, and `fn` is not called (the generic path copies).
  template <typename Fn>
  bool ChangeInPlace(std::string_view key, int64_t now_ms, size_t offset, size_t length, Fn&& fn,
                     bool* changed) {
    RecordCache::Node* n = CachedBigString(key, now_ms);
    if (!n) return false;
    if (PastTheCut(n, offset, length)) {
      const size_t charged = RecordCache::Charge(n->key(), n->rec);
      std::string* value = &const_cast<Record&>(*n->rec).value;  // the cache's and undo's
      const bool grows = offset + length > value->size();
      if (grows) {
        value = &GrowInPlace(n, offset + length);
        value->resize(offset + length, '\0');
      }
      *changed = CallWithin(offset, length, fn, value, /*may_grow=*/false) || grows;
      ChangedInPlace(n, charged, *changed, /*marked=*/grows);
      return true;
    }
    if (!Changeable(n, /*append=*/false)) {
      Undo* undo = nullptr;  // the turn's undo of the key if it has spans already
      if (!SpanChangeable(n, offset, length, &undo)) return false;
      const size_t charged = RecordCache::Charge(n->key(), n->rec);
      std::string& value = const_cast<Record&>(*n->rec).value;  // the cache's and undo's
      const size_t before = value.size();
      span_bytes_.assign(value, offset, length);
      *changed = CallWithin(offset, length, fn, &value, /*may_grow=*/false);
      SpanChangedInPlace(n, undo, charged, before, offset, *changed);
      return true;
    }
    const size_t charged = RecordCache::Charge(n->key(), n->rec);
    std::string& value = const_cast<Record&>(*n->rec).value;  // the cache's alone
    *changed = CallWithin(offset, length, fn, &value, /*may_grow=*/true);
    ChangedInPlace(n, charged, *changed, /*marked=*/false);
    return true;
  }
  // The same for a key found expired on a read (counted as expired, as
  // ExpireStep's are: INFO expired_keys).
  void PurgeExpired(std::string_view key) {
    Delete(key);
    ++stats_.expired_keys;
  }
  // A hint that `keys` are about to be read or written: starts loading their
  // cached records into the CPU cache (RecordCache::Prefetch).
  void Prefetch(const std::string_view* keys, size_t n) const { cache_.Prefetch(keys, n); }

  bool HasPending() const { return pending_writes_ > 0; }
  // Makes the pending batch durable: one journal record, or one LevelDB write
  // without write-behind (synced if sync_commits).
  // On failure nothing of the batch is acknowledged; the caller must not reply
  // success to the commands that produced it. After one failure every later
  // commit fails too, without writing (a log with a torn record must not get
  // more records after it: LevelDB would refuse to open it): the engine is
  // read-only until restarted.
  Status Commit();
  // Ends a loop turn: commits, and returns the first commit failure since the
  // last EndTurn even if it happened mid-turn (a SCAN, KEYS, SAVE or FLUSHALL
  // commits what the turn wrote so far, and the replies of those writes are
  // still waiting to be sent).
  Status EndTurn();
  // A commit failed: the engine writes nothing more (see Commit).
  bool failed() const { return !failure_.ok(); }
  const std::string& failure_message() const { return failure_.message(); }
  // Commits that failed so far (a cluster write acknowledged by this replica
  // compares it across turns: its copy was in a batch that never landed).
  uint64_t commit_failures() const { return commit_failures_; }
  // Makes everything committed so far durable in LevelDB (a synced write; with
  // write-behind, after a flush, and the journal then starts a new segment).
  Status Sync();
  // Write-behind: writes every committed key not yet in LevelDB, as one sorted
  // batch (synced if `sync`), committing pending writes first. After a failure
  // the keys stay pinned in the cache (the journal holds them) and the engine
  // is read-only. Without write-behind: Commit() (and Sync() if `sync`).
  Status FlushBehind(bool sync = false);
  // Committed keys waiting for FlushBehind.
  size_t unflushed() const;
  // Of those, keys whose small changes to a big value wait for more (held_).
  size_t held_keys() const { return held_.size(); }
  uint64_t journal_segments() const;
  bool journaling() const { return journaling_; }  // commits go to the journal now
  // A switch is under way: to the journal (commits still go straight to
  // LevelDB), or back to direct commits (journaling() still).
  bool journal_starting() const { return switch_ != Switch::kNone && !journaling_; }
  bool journal_stopping() const { return switch_ != Switch::kNone && journaling_; }
  // The same without LevelDB's writer lock: fdatasync()s the log files and
  // journal segments in the data dir through their own descriptors. Safe to call from another
  // thread while the loop keeps committing (appendfsync everysec).
  static Status SyncLogFiles(const std::string& dir);
  void set_sync_commits(bool sync) { options_.sync_commits = sync; }
  bool sync_commits() const { return options_.sync_commits; }

  uint64_t KeyCount() const { return key_count_; }  // live keys incl. not-yet-purged expired
  uint64_t ExpiresCount() const { return expires_count_; }  // of which carry an expiry
  // Mean time to live of the keys with an expiry, in ms (INFO avg_ttl;
  // exact where Redis samples); 0 if none, or if unknown (a data dir from
  // before this was kept, until no key has an expiry).
  int64_t AvgTtlMs(int64_t now_ms) const;
  // Live keys in one hash slot (kept exact like KeyCount, persisted per slot).
  uint64_t SlotKeyCount(uint16_t slot) const { return slot < kSlots ? slot_counts_[slot] : 0; }
  bool slot_log_folding() const { return folding_; }  // a fold under way (engine_counts.cc)

  // Visits live (non-tombstone) records in (slot, key) order, starting at the
  // data key `from` ("" = the beginning), until `fn` returns false or `limit`
  // records were visited. `*next` gets the data key to resume from ("" = done).
  // Commits pending writes first so the scan sees them.
  Status Scan(std::string_view from, size_t limit,
              const std::function<bool(std::string_view user_key, const Record&)>& fn,
              std::string* next);
  // RANDOMKEY's walk: the first live key (not a tombstone, not expired at
  // `now_ms`) at or after slot `start`, wrapping around once; "" if none.
  // The expired ones passed on the way go to `*expired` (at most
  // `max_expired`; the walk goes on past more without noting them). Gives up
  // ("") after 100,000 records, all expired.
  Status RandomLiveKey(int64_t now_ms, uint16_t start, size_t max_expired, std::string* found,
                       std::vector<std::string>* expired);
  // Like Scan, but also visits tombstones, and stops before the first key
  // whose slot `in_range(slot)` rejects: `*next` is then that key's position.
  Status ScanRaw(std::string_view from, size_t limit,
                 const std::function<bool(uint16_t slot)>& in_range,
                 const std::function<void(std::string_view user_key, const Record&)>& fn,
                 std::string* next);

  // Deletes up to `max_keys` records whose expiry is at or before `now_ms`,
  // walking the expiry index; appends their keys to `deleted`. Stale index
  // entries (the key was overwritten) are dropped on the way.
  Status ExpireStep(int64_t now_ms, size_t max_keys, std::vector<std::string>* deleted);

  // Removes every record (commits pending writes first), keeping the
  // metadata (node id...). Crash-safe: see engine_flush.cc. If it fails after
  // dropping the old database and cannot make the new one, usable() turns
  // false: the caller must stop (the next start finishes the flush).
  Status FlushAll();
  bool usable() const { return db_ && !standin_env_; }
  using MetaList = std::vector<std::pair<std::string, std::string>>;

  // Hinted handoff (the cluster's): a replica's copy of a write, kept here
  // while that replica is down, as EncodeRecord bytes, one per (node, key);
  // a later hint for the same pair replaces it. Put and Delete join the
  // pending batch. FlushAll drops every hint.
  void PutHint(std::string_view node, std::string_view key, std::string_view record);
  void DeleteHint(std::string_view node, std::string_view key);
  // Up to `limit` hints for `node` in key order, from key `from` on
  // (commits pending writes first). Each is (key, record bytes).
  Status Hints(std::string_view node, std::string_view from, size_t limit,
               std::vector<std::pair<std::string, std::string>>* out);
  // The hint kept for (node, key), pending ones included; "" if none.
  Result<std::string> GetHint(std::string_view node, std::string_view key);
  // For every node; walks them all. With `by_node`, also each node's count
  // (by node id; nodes with none are not in it).
  Result<uint64_t> CountHints(std::map<std::string, uint64_t>* by_node = nullptr);
  // Deletes every hint for `node`, pending ones included (it left the
  // cluster); how many committed ones there were.
  Result<uint64_t> DropHints(std::string_view node);

  Result<std::string> GetMeta(std::string_view name);  // "" if unset
  // Refuses a dir of a data format this build does not know (engine_meta.h);
  // gives one without a number the current one.
  Status CheckFormat();
  Status PutMeta(std::string_view name, std::string_view value);

  RecordCache& cache() { return cache_; }
  const EngineStats& stats() const { return stats_; }
  // Memtables moved to disk after writes stopped (idle_flush.h).
  uint64_t idle_flushes() const {
    return idle_flushes_before_ + (flusher_ ? flusher_->flushes() : 0);
  }
  // Whole-database compactions done after writes stopped, and whether one
  // is under way (idle_flush.h).
  uint64_t idle_compactions() const {
    return idle_compactions_before_ + (flusher_ ? flusher_->compactions() : 0);
  }
  bool idle_compacting() const { return flusher_ && flusher_->compacting(); }
  // BGREWRITEAOF: compacts the whole database now, on the idle flusher's
  // thread (idle_flush.h). False if one is asked for or under way already.
  bool RequestCompaction() { return flusher_ && flusher_->RequestCompaction(); }
  struct RequestedCompactions {
    bool in_progress = false;
    int64_t current_sec = -1;  // how long the one under way has run
    int64_t last_sec = -1;     // how long the last one took (-1: none ended)
    bool last_ok = true;
    uint64_t started = 0;
    uint64_t failures_in_a_row = 0;
  };
  RequestedCompactions requested_compactions() const;
  // LevelDB's background thread runs under SCHED_IDLE now; times it was
  // lifted to normal priority (background_priority.h).
  bool compaction_idle() const { return priority_ && priority_->idle(); }
  uint64_t compaction_boosts() const {
    return boosts_before_ + (priority_ ? priority_->boosts() : 0);
  }
  // The filter of stored keys (key_filter.h); null if off.
  const KeyFilter* key_filter() const { return key_filter_.get(); }
  // Logs the progress of background work (the key filter's load, once it
  // ends); the server's cron calls it.
  void LogProgress();
  // Rebuilds the key filter when it holds far more keys than are stored
  // (churn); the server's cron calls it.
  void MaintainKeyFilter();
  uint64_t key_filter_rebuilds() const { return key_filter_rebuilds_; }
  const std::string& dir() const { return options_.dir; }
  // LevelDB's own statistics ("leveldb.stats", "leveldb.approximate-memory-usage"...).
  std::string Property(const std::string& name);
  uint64_t ApproximateDiskBytes();
  std::string FilesPerLevel();  // "0,4,49,2,0,0,0": table files per level (leveldb_util.h)
  // Bytes of table files mapped now, by every engine of the process (pread_env.h).
  static uint64_t mapped_bytes();

 private:
  // ChangeInPlace's call of `fn`. The journal keeps only the bytes at
  // [offset, offset + length) of a change (a span's patch, a growth's range),
  // so a debug build checks that `fn` changed none of the value's bytes
  // outside them, and grew it only where that is allowed (a record a Put of
  // this turn made, journaled whole).
  template <typename Fn>
  static bool CallWithin(size_t offset, size_t length, Fn& fn, std::string* value, bool may_grow) {
#ifdef NDEBUG
    (void)offset;
    (void)length;
    (void)may_grow;
    return fn(value);
#else
    const std::string before = *value;
    const bool changed = fn(value);
    const size_t size = before.size(), below = offset < size ? offset : size;
    assert(may_grow ? value->size() >= size : value->size() == size);
    assert(value->compare(0, below, before, 0, below) == 0);
    assert(offset + length >= size ||
           value->compare(offset + length, size - offset - length, before, offset + length) == 0);
    return changed;
#endif
  }

  explicit Engine(const EngineOptions& options);
  Status OpenDb();
  // The metadata a FLUSHALL left in its marker file; false if there is none.
  static Result<bool> ReadFlushMarker(const std::string& dir, MetaList* meta);
  // Drops the database and makes an empty one holding `meta`; removes the
  // marker (engine_flush.cc).
  Status RecreateDb(const MetaList& meta);
  void OpenStandIn();
  // Stops the idle flusher (waiting for its step under way), keeps its
  // counts and logs what it has to say, then drops it.
  void StopFlusher();
  void LogFlusherMessages();
  // Replays the write journal's segments into LevelDB, then starts a new
  // segment (or, without write-behind, leaves none) (engine_journal.cc).
  Status StartJournal();
  Status CommitJournal();
  // CommitJournal's writes of the dirty keys into `out`: a big value that
  // kept most of its bytes since the last commit as a range op or patch ops
  // (journal.h), whichever are fewer bytes; the rest as whole records.
  void JournalEntries(std::string* out);
  // The bytes of `base`'s encoding, with `base_value` as its value, that a
  // range op (journal.h) would keep to turn it into `rec`'s, or 0 when a
  // whole record is better: values under kMinRangeValue, another header, or
  // under half of the bytes alike. Leaves base's header in base_header_.
  // `base_value` is base.value or a prefix of it (Undo::cut).
  size_t RangeKeep(const Record& base, std::string_view base_value, const Record& rec);
  // Whether patch ops (journal.h) are better than a whole record to turn
  // `base` (with `base_value` as its value) into `rec`: values of one length,
  // kMinRangeValue or more, one header, differing in under half of the bytes
  // (in runs of 64-byte blocks, at most 1024). The runs, offsets into the
  // value, are left in patch_runs_; base's header in base_header_.
  bool Patches(const Record& base, std::string_view base_value, const Record& rec);
  // About the journal bytes of patch_runs_ for a key of `key_size` bytes.
  size_t PatchBytes(size_t key_size) const;
  std::vector<std::pair<size_t, size_t>> patch_runs_;
  // A journal commit failed: the cache, counters and batch go back to what
  // the last commit left.
  void UndoTurn();
  // What every fast path asks first: write-behind journaling and no failure,
  // and the cache entry of a live big string at `key` (kMinRangeValue bytes
  // or more, no version, not expired at `now_ms`); or null.
  RecordCache::Node* CachedBigString(std::string_view key, int64_t now_ms);
  // Whether nothing else holds n's record (CachedBigString's) but this
  // turn's undo, for an append, as a cut back: AppendInPlace's check if
  // `append`, else that of ChangeInPlace's change of a record a Put of this
  // turn made.
  static bool Changeable(const RecordCache::Node* n, bool append);
  // After ChangeInPlace's change of n's record (if `changed`), charged
  // `charged` before; `marked` if GrowInPlace marked the write already.
  void ChangedInPlace(RecordCache::Node* n, size_t charged, bool changed, bool marked);
  // ChangeInPlace's change of bytes past the turn's cut: whether
  // AppendInPlace would take n (CachedBigString's) and `offset` lies at or
  // past the end of its value, or past the cut of its undo (bytes an append
  // or a growth of this turn added).
  bool PastTheCut(const RecordCache::Node* n, size_t offset, size_t length);
  // Marks n's record (Changeable for an append) written in
  // place, and makes room for `size` bytes of value, as Redis does (twice
  // that, or 1 MB more past 1 MB); the value, to grow. The first of the turn
  // leaves as its undo this very record, cut back to its length now.
  std::string& GrowInPlace(RecordCache::Node* n, size_t size);
  // Marks n's record written in place. The turn's first write of it leaves
  // as its undo this very record, cut back to `length_before` (kept in
  // in_place_undos_): that undo. A later one counts as coalesced: null.
  struct Undo;
  Undo* MarkInPlace(RecordCache::Node* n, size_t length_before);
  // n's undo in in_place_undos_, if it still holds n's very record; or null.
  Undo* InPlaceUndo(const RecordCache::Node* n);
  // ChangeInPlace's changes kept as spans: whether n (CachedBigString's)
  // has `length` bytes at `offset` inside its value, and nothing else holds
  // its record and it is not dirty (*undo null: the turn's first change), or
  // its undo (*undo) is spans of this very record.
  bool SpanChangeable(const RecordCache::Node* n, size_t offset, size_t length, Undo** undo);
  // After it: if `changed`, marks the write and keeps span_bytes_ at
  // `offset` in the undo (a new one, a cut back to `length_before` bytes).
  void SpanChangedInPlace(RecordCache::Node* n, Undo* undo, size_t charged, size_t length_before,
                          size_t offset, bool changed);
  std::string span_bytes_;  // ChangeInPlace's: the bytes before a change
  // The undos of records changed in place (a cut back, spans or not), by
  // entry (undo_ indexes), until the commit.
  std::unordered_map<const RecordCache::Node*, size_t> in_place_undos_;
  // Commit() and FlushBehind(): LevelDB then holds every committed write
  // (before a walk of LevelDB: scans, expiry, hints).
  // `held`: keys held for their ranges too (held_); without, LevelDB may
  // still hold an older value of those (enough for the expiry index).
  Status Settle(bool held = true) { return Flush(/*sync=*/false, held); }
  Status Flush(bool sync, bool held);
  bool FlushDue(int64_t now_ms) const;
  // Adaptive write-behind: counts windows and periods, and turns the journal
  // on or off at the end of a period (EndTurn, nothing pending).
  Status Adapt(int64_t now_ms);
  // EndTurn's part with a journal: a finished flush, Adapt, a due flush.
  Status EndTurnBehind();
  // The switch to the journal, in turns: LevelDB's logs synced on the
  // writer thread while commits still go there, then StartJournaling.
  Status StepStartJournaling(int64_t now_ms);
  Status StartJournaling(int64_t now_ms);
  // Deletes the journal's segments before the current one (`all`: every
  // one), once LevelDB's logs are synced: LevelDB must hold durably what
  // they journaled (a synced LevelDB write before this). `logs_synced`:
  // the last flight did that (a synced one of StartFlight's `stop`).
  Status DropJournalSegments(bool all, bool logs_synced = false);
  // The counters as this commit left them (UndoTurn goes back to them).
  void NoteCommittedCounters();
  // The switch back, in turns (EndTurnBehind): a synced flight of every
  // waiting key on the writer thread while commits are still journaled,
  // then (StopJournaling) the keys committed meanwhile and the segments go.
  Status StepStopJournaling();
  Status StopJournaling();
  // Hands the committed keys not yet in LevelDB to writer_ as one batch.
  // `all`: held keys too (held_), whatever their ranges add up to.
  // `stop`: a flight of the switch back, with the deferred slot counts (and
  // if `sync`, LevelDB's older logs synced too, as for a flight that drops
  // segments).
  void StartFlight(bool sync, bool all, bool stop = false);
  // Takes writer_'s result (waiting for it if `wait`, else only if done):
  // unpins the batch's keys.
  Status FinishFlight(bool wait);
  Status PollFlight();  // FinishFlight(false) if a batch is done
  // Adjusts the key counts for a write of a key in `slot`.
  void Account(uint16_t slot, const RecordRef& old_rec, const Record* new_rec);
  // The cache entry a write of `key` goes to (made if missing), and the
  // key's record before the write (from the cache, else from LevelDB).
  // `*absent` (if given) tells whether the key filter found the key absent,
  // with its probe in `*probe` (for KeyFilter::AddAbsent).
  RecordCache::Node* EntryForWrite(std::string_view key, RecordRef* old,
                                   KeyFilter::Probe* probe = nullptr, bool* absent = nullptr);
  // A commit's or flush's writes (engine_batch.h): each entry's last state
  // (`put(data key, encoded record)` or `del(data key)`), and the key count,
  // expiry count and expiry sum where they differ from what was last written
  // there (`keys_written`, `expires_written`, `sum_changed`).
  template <typename PutFn, typename DelFn>
  void WriteEntries(const std::vector<RecordCache::Node*>& nodes, const PutFn& put,
                    const DelFn& del);
  template <typename PutFn>
  void WriteCounters(uint64_t keys_written, uint64_t expires_written, bool sum_changed,
                     const PutFn& put) const;
  // In key order (LevelDB's): each insert into the memtable's skip list then
  // walks much of the path the one before it walked, still in the CPU cache
  // (random SETs at -P 16: 7% less CPU).
  static void SortByDataKey(std::vector<RecordCache::Node*>* nodes);
  // Counts a write and remembers its cache entry for the next Commit().
  // `slot` is KeySlot of the entry's key (kept for Commit's DataKey); `old`
  // is its record before the write (the undo of a failed journal commit).
  void MarkDirty(RecordCache::Node* entry, uint16_t slot, const RecordRef& old);
  // Scan and ScanRaw: visits data records from `from`; stops before a record
  // once `limit` were visited or `in_range` (if given) rejects its slot
  // (`*next` = that record), or after one for which `fn` returns false
  // (`*next` = the following record). Tombstones are skipped (and not
  // counted) unless `with_tombstones`.
  Status Walk(std::string_view from, size_t limit, bool with_tombstones,
              const std::function<bool(uint16_t)>* in_range,
              const std::function<bool(std::string_view, const Record&)>& fn, std::string* next);
  // The key, expiry and slot counts as last committed (open, failed write).
  Status LoadCounters();
  Status LoadSlotCounts();
  // The slot counts journaled commits changed, for LevelDB (engine_counts.cc):
  // CommitSlots: the slots dirty_slots_ names, once each (commit_slots_);
  // DeferSlotCounts notes a journaled commit's (CommitSlots);
  // AppendDeferredSlotCounts puts them into a flight's ops; Write... writes
  // them at once (synced), Forget... drops them (FLUSHALL).
  const std::vector<uint16_t>& CommitSlots();
  void DeferSlotCounts(const std::vector<uint16_t>& slots);
  void AppendDeferredSlotCounts(std::string* ops);
  Status WriteDeferredSlotCounts();
  void ForgetDeferredSlotCounts();
  // The slot count log of direct commits (engine_counts.cc): LogSlotCounts
  // puts dirty_slots_' counts into a commit's batch (FoldStep: and a step
  // of a fold); FoldSlotLogNow folds it all in a synced write of its own
  // (at an open that journals from the start).
  static constexpr size_t kFewSlots = 2;
  static constexpr size_t kFoldStep = 64;  // writes per commit
  void LogSlotCounts(leveldb::WriteBatch* batch);
  void PutSlotCount(leveldb::WriteBatch* batch, uint16_t slot) const;
  // A count as stored: tagged with the next log entry's sequence number.
  std::string TaggedSlotCount(uint64_t count) const;
  void FoldStep(leveldb::WriteBatch* batch);
  Status FoldSlotLogNow();
  void NoteLogged(uint16_t slot);
  void ForgetSlotLog();  // in memory
  // The record stored under `key` (null if none). `*filtered` (if given)
  // tells whether the key filter answered, without LevelDB; `*probe` (if
  // given) is then the key's probe.
  Result<RecordRef> LoadFromDisk(std::string_view key, bool* filtered = nullptr,
                                 KeyFilter::Probe* probe = nullptr);
  // A new key filter, loading the keys db_ holds (after a journal replay).
  // A new filter loaded by a scan in the background (none if off or out of
  // memory); NewKeyFilter makes one sized for the stored keys, and
  // LoadKeyFilter puts it in use and starts its load (engine_key_filter.cc).
  void StartKeyFilter();
  std::unique_ptr<KeyFilter> NewKeyFilter() const;
  void LoadKeyFilter(std::unique_ptr<KeyFilter> f);
  // At a clean close, and at open before anything is written: true if the
  // saved filter is now in use. `current_before_open` is LevelDB's CURRENT
  // file as it was before this open ("" if none).
  void SaveKeyFilter();
  bool RestoreKeyFilter(const std::string& current_before_open);
  static Status ReadCurrent(const std::string& dir, std::string* out);

  EngineOptions options_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::Cache> block_cache_;
  // After a FLUSHALL that could not make its new database: an empty one in
  // memory stands in (declared first: it must outlive db_), so that nothing
  // dereferences a null db_ before the server stops.
  std::unique_ptr<leveldb::Env> standin_env_;
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<IdleFlusher> flusher_;  // after db_: stops before db_ closes
  // After db_: its loading thread stops before db_ closes. Null if off, or
  // while a stand-in database serves.
  std::unique_ptr<KeyFilter> key_filter_;
  bool key_filter_logged_ = false;  // its loaded (or failed) line is in the log
  int64_t key_filter_started_ms_ = 0;
  int64_t key_filter_logged_ms_ = 0;  // the last progress line
  uint64_t key_filter_rebuilds_ = 0;  // by MaintainKeyFilter
  // After db_ and flusher_: it stops first and lifts the background thread
  // that the flusher and db_'s close may wait for. Null if off.
  std::unique_ptr<BackgroundPriority> priority_;
  std::unique_ptr<BehindWriter> writer_;   // write-behind's LevelDB writes; after db_ too
  uint64_t boosts_before_ = 0;             // by priority_ of databases FlushAll dropped
  uint64_t idle_flushes_before_ = 0;       // by flushers of databases FlushAll dropped
  uint64_t idle_compactions_before_ = 0;   // the same
  RequestedCompactions requested_before_;  // the same
  std::unique_ptr<leveldb::WriteBatch> batch_;
  // The hints written to batch_ since the last commit, by LevelDB key: the
  // record bytes, or "" for a delete. GetHint looks here instead of walking
  // the batch (a timed-out pipeline fails thousands of writes in one turn).
  std::map<std::string, std::string, std::less<>> pending_hints_;
  size_t pending_writes_ = 0;
  Status failure_;       // the first failed commit's error (sticky)
  Status turn_failure_;  // a failure EndTurn has not reported yet
  uint64_t commit_failures_ = 0;
  // Cache entries written since the last commit, each once (their records are
  // what Commit() writes; the cache does not evict while writes are pending).
  std::vector<RecordCache::Node*> dirty_;
  // With write-behind: dirty_[i]'s record before this turn. If `cut` is not
  // kWhole, AppendInPlace grew that very record this turn, or ChangeInPlace
  // changed it (a turn's first change): the state before is its first `cut`
  // bytes of value, with the bytes `spans` kept put back where they were
  // (each span is what the value held at its offset before a change).
  static constexpr size_t kWhole = SIZE_MAX;
  // Range ops (and appends in place) are for values of at least this many
  // bytes: below it, the comparison and the replay's read of the value before
  // cost more than the bytes saved (and a copy costs little).
  static constexpr size_t kMinRangeValue = 16 << 10;
  struct Span {
    size_t offset;
    std::string bytes;
  };
  struct Undo {
    RecordRef rec;
    size_t cut = kWhole;
    std::vector<Span> spans;
    size_t span_bytes = 0;  // theirs in all
  };
  std::vector<Undo> undo_;
  // Puts undo.spans back into undo.rec, last first, and clears them.
  static void RevertSpans(Undo* undo);
  // Makes a spans undo an undo without spans, for the generic comparison:
  // put back in its record if `live` (the cache's now) is another record and
  // nothing else holds it, else in a copy.
  static void SettleSpans(Undo* undo, const RecordRef& live);
  // Journals patch_runs_ of n's record (offsets after base_header_) as
  // patch ops, and keeps them as the key's ranges of the turn.
  void JournalPatchRuns(RecordCache::Node* n, std::string* out);
  // Journals n's record as a range op keeping `keep` bytes (base_header_'s
  // and the value's first keep - base_header_.size()), and keeps it as the
  // key's range of the turn.
  void JournalRange(RecordCache::Node* n, size_t keep, std::string* out);
  // JournalEntries' patches for n's record changed in place by u's spans
  // alone (same record, same length): the bytes now at the spans.
  void JournalSpans(RecordCache::Node* n, const Undo& u, std::string* out);
  // Write-behind: the journal, the committed cache entries not yet in LevelDB
  // (each once; pinned: the cache does not evict them), the other committed
  // writes (expiry index, hints) in order, the hints among them, and whether
  // the counters changed since the last flush.
  std::unique_ptr<Journal> journal_;
  bool journaling_ = false;  // commits go to journal_ (else straight to LevelDB)
  // A switch under way, one way or the other (journaling_ says which).
  enum class Switch : uint8_t { kNone, kStartDue, kStartSync, kStopDue, kStopFlight };
  Switch switch_ = Switch::kNone;
  int stop_flights_ = 0;  // unsynced flights after the switch back's synced one
  // The full segment flights had the writer thread sync (StartFlight): its
  // number, its bytes at the last of them, how many.
  uint64_t presynced_segment_ = UINT64_MAX;
  uint64_t presynced_bytes_ = 0;
  int presyncs_ = 0;
  // Adaptive write-behind: the current window (a cache entry remembers the
  // last window it was written in), the period's start, its first writes of a
  // key in a turn, and how many of those were the key's first in the window.
  uint8_t window_ = 1;
  int64_t window_start_ms_ = 0;
  int64_t period_start_ms_ = 0;
  uint64_t period_writes_ = 0;
  uint64_t period_fresh_ = 0;
  uint64_t period_range_bytes_ = 0;    // values of writes that were (or would be) range ops
  uint64_t period_start_commits_ = 0;  // stats_.commits when the period started
  std::vector<RecordCache::Node*> unflushed_;
  // The batch being written by writer_: its cache entries (pinned until it
  // is done), its hints, and whether old journal segments go when it is done.
  std::vector<RecordCache::Node*> in_flight_;
  // The earliest expiry journaled into the expiry index since the last
  // flight started, and in the flight under way (ExpireStep).
  int64_t unflushed_due_ms_ = INT64_MAX;
  int64_t flight_due_ms_ = INT64_MAX;
  std::map<std::string, std::string, std::less<>> flight_hints_;
  bool flight_drops_segments_ = false;
  // What the commits since the last flush journaled: their records'
  // payloads, one after another. The next flush writes each key's last write.
  // A flush is due once they reach BehindOpsLimit() (a quarter of a journal
  // segment, at least 1 MB).
  std::string behind_ops_;
  std::string spare_ops_;  // empty: the buffer of the last flight, for the next
  // Keys (pinned, in unflushed_, flagged held) whose last writes were range
  // or patch ops (journal.h), with the bytes of those since LevelDB last had the
  // key. The ops stay in the journal only: a flush writes such a key, as its
  // whole record from the cache, only once they add up to half its value
  // (or the flush closes the journal's segment, or FlushBehind: SAVE,
  // shutdown; or the cache is full). A later whole write or delete of the
  // key ends it. Each flush would otherwise write a big value whole for
  // each small change (an APPEND log).
  std::unordered_map<RecordCache::Node*, uint64_t> held_;
  bool held_due_ = false;  // one of them is to be written (FlushDue)
  // This commit's range or patch ops (a key's span of its payload), and the held keys it
  // wrote whole (an empty span): HoldRanges counts them into held_ and
  // leaves them out of behind_ops_.
  struct TurnRange {
    RecordCache::Node* node;
    size_t begin, end;
  };
  std::vector<TurnRange> turn_ranges_;
  void HoldRanges(std::string_view payload);
  size_t BehindOpsLimit() const;
  // How many keys written since a batch started may wait beside it (EndTurnBehind).
  size_t BehindKeysLimit() const;
  std::map<std::string, std::string, std::less<>> behind_hints_;
  int64_t last_flush_ms_ = 0;  // steady clock
  Status behind_failure_;      // the first failed flush (sticky)
  // The counters as the last commit left them (UndoTurn).
  uint64_t committed_key_count_ = 0;
  uint64_t committed_expires_count_ = 0;
  long double committed_expire_sum_ms_ = 0;
  bool committed_expire_sum_known_ = true;
  std::string commit_key_, commit_value_;  // Commit's encoding buffers
  std::string read_key_, read_bytes_;      // LoadFromDisk's
  // Frees these, and span_bytes_, once a big value grew them past 64 KB: one
  // big write (or read) does not keep its size for every later one.
  void ReleaseBigBuffers();
  std::string base_header_;  // JournalEntries': the record before's header
  RecordCache cache_;
  uint64_t key_count_ = 0;
  uint64_t expires_count_ = 0;
  // The counts as LevelDB holds them: a commit that changes neither (an
  // overwrite) does not write them again.
  uint64_t stored_key_count_ = 0;
  uint64_t stored_expires_count_ = 0;
  long double expire_sum_ms_ = 0;  // of expire_at_ms over the keys with an expiry
  bool expire_sum_known_ = true;
  bool expire_sum_dirty_ = false;  // changed since the last commit
  std::vector<uint64_t> slot_counts_ = std::vector<uint64_t>(kSlots, 0);
  struct SlotDelta {
    uint16_t slot;
    int8_t delta;
  };
  std::vector<SlotDelta> dirty_slots_;  // slots whose count changed since the last commit
  // Per slot, the count a journaled commit wrote that LevelDB may not hold
  // yet, or kNotDeferred; and those slots, in no order.
  static constexpr uint64_t kNotDeferred = UINT64_MAX;
  std::vector<uint64_t> deferred_counts_ = std::vector<uint64_t>(kSlots, kNotDeferred);
  std::vector<uint16_t> deferred_slots_;
  // The slot count log: its entries' sequence numbers [first, next); the
  // pairs logged since the last fold began, and the slots they name
  // (flagged, and listed); a fold under way: its slots, the next to write,
  // and the entries it deletes ([first, fold_end_)).
  uint64_t slot_log_first_ = 0;
  uint64_t slot_log_next_ = 0;
  uint64_t slot_log_pairs_ = 0;
  std::vector<bool> slot_logged_ = std::vector<bool>(kSlots, false);
  std::vector<uint16_t> logged_slots_;
  std::vector<uint16_t> commit_slots_;  // CommitSlots': a commit's slots, once each
  bool folding_ = false;
  std::vector<uint16_t> folding_slots_;
  size_t fold_pos_ = 0;
  uint64_t fold_end_ = 0;
  EngineStats stats_;
};

}  // namespace ringkv::storage
