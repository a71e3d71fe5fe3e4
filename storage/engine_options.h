// The storage engine's options (what the server's config sets) and its
// counters (INFO's storage and keyspace sections): engine.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "storage/key_filter.h"
#include "storage/record.h"

namespace ringkv::storage {

struct EngineOptions {
  std::string dir;                // created if missing
  size_t cache_bytes = 64 << 20;  // record cache (`cache-size`)
  size_t block_cache_bytes = 0;   // LevelDB block cache (0: none)
  // Table files mapped into memory at once, process-wide (pread_env.h); the
  // rest are read with pread(). 0: none.
  uint64_t mmap_bytes = 64 << 20;
  size_t write_buffer_bytes = 4 << 20;  // LevelDB memtable
  int bloom_bits_per_key = 10;          // 0 disables the filter
  size_t block_bytes = 4 << 10;         // LevelDB data block, before compression
  // Keys between two full keys in a data block (LevelDB's restart points): a
  // read binary-searches the full keys, then steps through up to this many.
  int block_restart_interval = 16;
  // The in-memory filter of stored keys (key_filter.h), in bits per key;
  // 0: none (every read or write of an uncached key asks LevelDB).
  int key_filter_bits = 10;
  // It is rebuilt once it holds more than twice the stored keys plus this
  // many (keys deleted or expired stay in it until then).
  uint64_t key_filter_rebuild_slack = KeyFilter::kMinStageKeys;
  int max_open_files = 1000;
  // Snappy for table blocks: smaller files, but every read from a table then
  // decompresses a block into a second buffer.
  bool compression = false;
  int compaction_nice = 10;  // LevelDB's background thread, relative (pread_env.h)
  // That thread under SCHED_IDLE while it has no debt that holds up writes
  // (background_priority.h).
  bool compaction_idle = true;
  // The memtable moves to a table after this long without a commit, if it
  // holds a quarter of write_buffer_bytes or more (idle_flush.h). 0: never.
  int64_t idle_flush_ms = 2000;
  // At that point, the whole database is compacted into LevelDB's last level
  // once the bytes written since the last such compaction reach this percent
  // of its size, and write_buffer_bytes (idle_flush.h). 0: never.
  int idle_compact_percent = 50;
  // Write-behind (see above): how long a committed key may wait in the
  // cache before it is written to LevelDB; 0 turns the journal off.
  int64_t write_behind_ms = 10;
  // The write-behind thread's nice value, this many steps above the
  // process's, lifted while the loop waits for it (behind_writer.h); 0: none
  // (the server's write-behind-nice is 10 by default).
  int write_behind_nice = 0;
  // A journal segment this large is closed after the next flush (once
  // LevelDB has synced what it holds) and deleted. A quarter of it, journaled
  // since the last flush, makes a flush due (each write is kept in memory
  // until then, hot keys' too).
  uint64_t journal_segment_bytes = 64 << 20;
  // The journal pays where keys are written again within write_behind_ms
  // (each flush writes them once), and where turns are big (the writer
  // thread, not the loop, then does LevelDB's memtable inserts: a loop turn
  // of hundreds of writes is a loop with more work than it can keep up
  // with). It costs where neither holds: every write then reaches disk twice
  // (journal, then LevelDB's log) and costs more CPU in all. Adaptive, the
  // engine measures that over periods of 20 write_behind_ms (at least 100
  // ms): it journals from a period where under half of the writes were the
  // first to their key in their window, or where commits averaged 64 keys or
  // more, on; and commits straight to LevelDB from one where over 80% were
  // and commits averaged under 32. Off: it always journals.
  bool write_behind_adaptive = true;
  // Direct commits log the slot counts they change (engine_counts.cc) and
  // fold the log into the counts once it holds this many (slot, count)
  // pairs: at 8 per slot, a fold writes at most one count per 8 logged.
  uint64_t slot_log_fold_pairs = 8 * kSlots;
  bool sync_commits = false;                    // appendfsync always
  std::function<void(const std::string&)> log;  // progress of long work (may be empty)
};

struct EngineStats {
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t disk_reads = 0;
  uint64_t filtered_reads = 0;  // uncached keys the key filter knew absent: no disk read
  uint64_t commits = 0;
  uint64_t committed_writes = 0;
  uint64_t coalesced_writes = 0;  // overwritten in the same batch: never reached LevelDB
  uint64_t slot_log_folds = 0;    // folds of the slot count log done (engine_counts.cc)
  uint64_t syncs = 0;
  uint64_t expired_keys = 0;
  uint64_t behind_flushes = 0;    // write-behind batches written to LevelDB
  uint64_t behind_writes = 0;     // keys they wrote
  uint64_t behind_waits = 0;      // times the loop waited for a batch under way
  uint64_t behind_lifts = 0;      // late batches run at the loop's priority (Lift)
  uint64_t behind_switches = 0;   // adaptive write-behind turned on or off
  uint64_t replayed_records = 0;  // journal records replayed at open
  uint64_t journal_ranges = 0;    // big values journaled as the bytes they changed
  uint64_t journal_patches = 0;   // big values journaled as the blocks they changed
  uint64_t appends_in_place = 0;  // AppendInPlace's
  uint64_t changes_in_place = 0;  // ChangeInPlace's
  uint64_t journal_syncs = 0;     // flushes that synced the journal first (ranges, a full segment)
};

}  // namespace ringkv::storage
