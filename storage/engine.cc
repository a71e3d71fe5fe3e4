#include "storage/engine.h"

#include <fcntl.h>
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "storage/behind_writer.h"
#include "storage/durable_file.h"
#include "storage/engine_batch.h"
#include "storage/engine_meta.h"
#include "storage/journal.h"
#include "storage/leveldb_util.h"
#include "storage/pread_env.h"

namespace ringkv::storage {
namespace {

bool Live(const Record* r) { return r != nullptr && !r->tombstone; }

// Ok for a data format this build reads (1 to kDataFormat).
Status CheckFormatNumber(const std::string& dir, const std::string& v) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n == 0) {
    return Status::Corruption("the data dir " + dir + " holds a damaged data format number ('" + v +
                              "'); refusing to start");
  }
  if (n > kDataFormat) {
    return Status::InvalidArgument("the data dir " + dir + " holds data format " + v +
                                   ", written by a newer ringkv; this build reads format " +
                                   std::to_string(kDataFormat) + " and older. Refusing to start");
  }
  return Status::Ok();
}

}  // namespace

Status FromLevelDb(const leveldb::Status& s) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(s.ToString());
  return Status::IoError(s.ToString());
}

std::unique_ptr<leveldb::Iterator> NewWalkIterator(leveldb::DB* db) {
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  return std::unique_ptr<leveldb::Iterator>(db->NewIterator(ro));
}

Status WalkPrefix(leveldb::DB* db, const std::string& prefix, std::string_view from,
                  const std::function<bool(leveldb::Slice, leveldb::Slice)>& fn) {
  std::unique_ptr<leveldb::Iterator> it = NewWalkIterator(db);
  for (it->Seek(prefix + std::string(from)); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (!k.starts_with(prefix)) break;
    k.remove_prefix(prefix.size());
    if (!fn(k, it->value())) break;
  }
  return FromLevelDb(it->status());
}

Engine::Engine(const EngineOptions& options)
    : options_(options),
      batch_(std::make_unique<leveldb::WriteBatch>()),
      cache_(options.cache_bytes) {
  // The thread that makes the engine serves its reads (the loop thread):
  // its reads of mapped table files use the mapping (for as long as it
  // lives); other threads' use pread().
  MapReadsOnThisThread(true);
}

Engine::~Engine() {
  // An idle compaction stops after its step under way, not to run beside the
  // last writes. (It is joined when members go, after priority_ has lifted
  // LevelDB's background thread out of SCHED_IDLE.)
  if (flusher_) flusher_->RequestStop();
  // A clean close leaves no journal to replay: everything goes to LevelDB,
  // synced, and then the segments go. (After a failure they stay.) Then the
  // key filter is saved for the next start.
  bool clean = usable() && failure_.ok();
  if (journal_ && clean) {
    clean = FlushBehind(/*sync=*/true).ok() && DropJournalSegments(/*all=*/true).ok();
  }
  if (!clean) return;
  // What the idle flusher had still to compact, for the next start. It is
  // joined first, after LevelDB's thread leaves SCHED_IDLE (priority_), and
  // so after the writer that watches it.
  writer_.reset();
  priority_.reset();
  if (flusher_) {
    flusher_->Stop();
    (void)PutMeta(kIdleCompactPendingMeta, std::to_string(flusher_->PendingBytes()));
  }
  StopFlusher();
  try {
    SaveKeyFilter();
  } catch (const std::exception& e) {  // bad_alloc, random_device: the next start scans
    if (options_.log) options_.log(std::string("Could not save the key filter: ") + e.what());
  }
}

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::IoError("cannot create data dir " + options.dir + ": " + ec.message());
  // A FLUSHALL that a crash interrupted is finished first.
  MetaList carried;
  auto flushing = ReadFlushMarker(options.dir, &carried);
  if (!flushing.ok()) return flushing.status();
  if (*flushing) {
    // A newer build's marker may say so (this build's carry no number).
    for (const auto& [k, v] : carried) {
      if (k != MetaKey(kFormatMeta)) continue;
      Status format = CheckFormatNumber(options.dir, v);
      if (!format.ok()) return format;
    }
    if (options.log) options.log("Finishing a FLUSHALL interrupted in " + options.dir);
    std::unique_ptr<Engine> engine(new Engine(options));
    Status s = engine->RecreateDb(carried);
    if (!s.ok()) return s;
    return engine;
  }
  // LevelDB treats a directory without CURRENT as a new database and deletes
  // the table files it does not know: a damaged dir must not start empty.
  if (!std::filesystem::exists(std::filesystem::path(options.dir) / "CURRENT", ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(options.dir, ec)) {
      std::string name = entry.path().filename().string();
      std::string stem = entry.path().stem().string();
      bool numbered = !stem.empty() && stem.find_first_not_of("0123456789") == std::string::npos;
      std::string ext = entry.path().extension().string();
      if (name.starts_with("MANIFEST-") || Journal::IsSegmentName(name) ||
          (numbered && (ext == ".ldb" || ext == ".sst" || ext == ".log"))) {
        return Status::Corruption("the data dir " + options.dir + " holds LevelDB files (" + name +
                                  ") but no CURRENT file; refusing to start on a damaged database");
      }
    }
  }
  std::unique_ptr<Engine> engine(new Engine(options));
  std::string current;  // LevelDB's CURRENT before this open: the saved key filter names it
  (void)ReadCurrent(options.dir, &current);
  Status s = engine->OpenDb();
  if (!s.ok()) return s;
  const bool restored = engine->RestoreKeyFilter(current);
  s = engine->StartJournal();
  if (!s.ok()) return s;
  // A saved filter comes from a clean close, which leaves no journal. Should
  // one have been replayed all the same, its keys went to LevelDB without
  // the filter: a scan then takes them in.
  if (!restored || engine->stats_.replayed_records > 0) engine->StartKeyFilter();
  return engine;
}

Status Engine::OpenDb() {
  leveldb::Options o;
  o.create_if_missing = true;
  o.paranoid_checks = true;
  o.write_buffer_size = options_.write_buffer_bytes;
  o.max_open_files = options_.max_open_files;
  o.block_size = options_.block_bytes;
  o.block_restart_interval = options_.block_restart_interval;
  SetBackgroundNice(options_.compaction_nice);
  StartBackgroundThread();
  SetMmapBudget(options_.mmap_bytes);
  o.env = PreadEnv();  // maps table files only up to mmap_bytes (see pread_env.h)
  o.compression = options_.compression ? leveldb::kSnappyCompression : leveldb::kNoCompression;
  if (options_.bloom_bits_per_key > 0) {
    filter_.reset(leveldb::NewBloomFilterPolicy(options_.bloom_bits_per_key));
    o.filter_policy = filter_.get();
  }
  // Capacity 0 turns LevelDB's cache off (without a cache of ours it would
  // make an 8 MB one).
  block_cache_.reset(leveldb::NewLRUCache(options_.block_cache_bytes));
  o.block_cache = block_cache_.get();
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(o, options_.dir, &db);
  if (!s.ok()) return FromLevelDb(s);
  db_.reset(db);
  Status format = CheckFormat();
  if (!format.ok()) return format;
  // The bytes a clean close left to compact: taken once (a crash after this
  // open starts from zero, as the close that saved them is not the last).
  uint64_t pending_bytes = 0;
  if (auto pending = GetMeta(kIdleCompactPendingMeta); pending.ok() && !pending->empty()) {
    const std::string& v = *pending;
    (void)std::from_chars(v.data(), v.data() + v.size(), pending_bytes);
    leveldb::WriteOptions wo;
    wo.sync = true;
    (void)db_->Delete(wo, MetaKey(kIdleCompactPendingMeta));
  }
  {  // with idle_flush_ms 0 only for BGREWRITEAOF
    IdleFlusher::Options fo;
    fo.idle_ms = options_.idle_flush_ms;
    fo.min_flush_bytes = options_.write_buffer_bytes / 4;
    fo.compact_percent = options_.idle_compact_percent;
    fo.min_compact_bytes = options_.write_buffer_bytes;
    fo.pending_bytes = pending_bytes;
    flusher_ = std::make_unique<IdleFlusher>(db_.get(), block_cache_.get(), fo);
  }
  if (options_.compaction_idle) {
    const bool supported = BackgroundPriority::Supported();  // (probed once)
    static bool told = false;                                // once, not at every FLUSHALL
    if (supported) {
      BackgroundPriority::Options po;
      po.loop_thread = gettid();  // the engine's thread: it opens the database
      // A requested compaction (BGREWRITEAOF) runs at normal priority: it
      // was asked for, and on a busy machine an idle thread would not run it.
      po.hold_normal = flusher_->requested_flag();
      priority_ = std::make_unique<BackgroundPriority>(db_.get(), po);
    } else if (options_.log && !told) {
      told = true;
      options_.log(
          "leveldb-compaction-idle: this process may not raise a thread back from SCHED_IDLE "
          "(that needs CAP_SYS_NICE or RLIMIT_NICE), so LevelDB's background thread stays at "
          "leveldb-compaction-nice");
    }
  }

  return LoadCounters();
}

Status Engine::CheckFormat() {
  auto format = GetMeta(kFormatMeta);
  if (!format.ok()) return format.status();
  const std::string current = std::to_string(kDataFormat);
  if (format->empty()) return PutMeta(kFormatMeta, current);  // new, or older
  Status s = CheckFormatNumber(options_.dir, *format);
  if (!s.ok() || *format == current) return s;
  // An older format reads as it is, and is this one's from now on (1: no
  // slot count log yet; an older build would not read it).
  if (options_.log) {
    options_.log("Data format " + *format + " in " + options_.dir + ": now " + current);
  }
  return PutMeta(kFormatMeta, current);
}

Result<RecordRef> Engine::LoadFromDisk(std::string_view key, bool* filtered,
                                       KeyFilter::Probe* probe) {
  if (key_filter_) {
    KeyFilter::Probe local;
    if (!key_filter_->MayContain(key, probe ? probe : &local)) {
      ++stats_.filtered_reads;
      if (filtered) *filtered = true;
      return RecordRef();
    }
  }
  ++stats_.disk_reads;
  // Hot records are in the record cache, so by default (block cache size 0)
  // a point read keeps no LevelDB block: a 4 KB block kept for one record
  // mostly evicts another block that no read asks for again either. With 5M
  // keys read at random (`cache-size 32mb`) an 8 MB block cache cost about
  // 1.5 us per read: the insert, the eviction, and reading each block into
  // memory the allocator had not touched since the evicted block's time.
  leveldb::ReadOptions ro;
  ro.fill_cache = options_.block_cache_bytes > 0;
  // Into buffers kept across reads: two mallocs less per read.
  DataKeyForSlot(KeySlot(key), key, &read_key_);
  leveldb::Status s = db_->Get(ro, read_key_, &read_bytes_);
  if (s.IsNotFound()) return RecordRef();
  if (!s.ok()) return FromLevelDb(s);
  auto rec = MakeRecord();
  Status d = DecodeRecord(read_bytes_, rec.get());
  ReleaseBigBuffers();
  if (!d.ok()) return d;
  return RecordRef(std::move(rec));
}

Result<RecordRef> Engine::Get(std::string_view key) {
  bool negative = false;
  if (const RecordRef* hit = cache_.Find(key, &negative)) {
    ++stats_.cache_hits;
    return *hit;
  }
  if (negative) {
    ++stats_.cache_hits;
    return RecordRef();
  }
  ++stats_.cache_misses;
  bool filtered = false;
  auto loaded = LoadFromDisk(key, &filtered);
  if (!loaded.ok()) return loaded;
  // A key the filter knows absent is not cached as such: asking the filter
  // again costs about what a cache hit does, and the entry would take the
  // place of a record (reads of many missing keys would empty the cache).
  if (filtered) return loaded;
  if (cache_.AdmitOnMiss(key)) {
    cache_.Insert(key, *loaded);
    if (!HasPending()) cache_.EvictToCapacity();
  }
  return loaded;
}

void Engine::Account(uint16_t slot, const RecordRef& old_rec, const Record* new_rec) {
  bool was = Live(old_rec.get()), is = Live(new_rec);
  if (was != is) {
    if (was) {
      --key_count_;
      --slot_counts_[slot];
    } else {
      ++key_count_;
      ++slot_counts_[slot];
    }
    dirty_slots_.push_back({slot, static_cast<int8_t>(was ? -1 : 1)});
  }
  bool had_ttl = was && old_rec->expire_at_ms != 0;
  bool has_ttl = is && new_rec->expire_at_ms != 0;
  if (had_ttl && !has_ttl) --expires_count_;
  if (!had_ttl && has_ttl) ++expires_count_;
  if (had_ttl || has_ttl) {
    if (had_ttl) expire_sum_ms_ -= static_cast<long double>(old_rec->expire_at_ms);
    if (has_ttl) expire_sum_ms_ += static_cast<long double>(new_rec->expire_at_ms);
    if (expires_count_ == 0) {  // exact again, whatever was unknown
      expire_sum_ms_ = 0;
      expire_sum_known_ = true;
    }
    expire_sum_dirty_ = true;
  }
}

RecordCache::Node* Engine::EntryForWrite(std::string_view key, RecordRef* old,
                                         KeyFilter::Probe* probe, bool* absent) {
  // One cache lookup serves both the old record (for the counters) and the
  // new one.
  bool found = false;
  RecordCache::Node* entry = cache_.Upsert(key, &found);
  if (found) {
    ++stats_.cache_hits;
    *old = RecordCache::RecordOf(entry);
  } else {
    ++stats_.cache_misses;
    // A failed read of the old record only skews the counters; the write
    // itself must still go ahead (and Commit will report a broken disk).
    auto loaded = LoadFromDisk(key, absent, probe);
    if (loaded.ok()) *old = std::move(*loaded);
  }
  return entry;
}

void Engine::Put(std::string_view key, Record rec) {
  RecordRef old;
  KeyFilter::Probe probe;
  bool absent = false;  // the filter found it so: a new key, hashed already
  RecordCache::Node* entry = EntryForWrite(key, &old, &probe, &absent);
  // A key not stored before is from now on (a stored one, tombstones too,
  // is in the filter already).
  if (absent) {
    key_filter_->AddAbsent(probe);
  } else if (!old && key_filter_) {
    key_filter_->Add(key);
  }
  const uint16_t slot = KeySlot(key);
  Account(slot, old, &rec);
  if (rec.expire_at_ms != 0 && !rec.tombstone) {
    batch_->Put(ExpiryKey(rec.expire_at_ms, key), "");
    if (journaling_) unflushed_due_ms_ = std::min(unflushed_due_ms_, rec.expire_at_ms);
  }
  cache_.Set(entry, MakeRecord(std::move(rec)));
  entry->in_place = false;  // this turn's undo (if any) holds another record now
  MarkDirty(entry, slot, old);
}

void Engine::Delete(std::string_view key) {
  RecordRef old;
  RecordCache::Node* entry = EntryForWrite(key, &old);
  const uint16_t slot = KeySlot(key);
  Account(slot, old, nullptr);
  cache_.Set(entry, RecordRef());
  entry->in_place = false;
  MarkDirty(entry, slot, old);
}

void Engine::MarkDirty(RecordCache::Node* entry, uint16_t slot, const RecordRef& old) {
  ++pending_writes_;
  entry->slot = slot;
  if (entry->dirty) {  // written before in this batch: only the last state goes out
    ++stats_.coalesced_writes;
    return;
  }
  entry->dirty = true;
  dirty_.push_back(entry);
  if (!journal_) return;
  if (journaling_) {
    undo_.push_back({old, kWhole, {}, 0});
  } else if (old && entry->rec &&
             (RangeKeep(*old, old->value, *entry->rec) > 0 ||
              Patches(*old, old->value, *entry->rec))) {
    period_range_bytes_ += entry->rec->value.size();  // would be journaled as a range or patches
  }
  ++period_writes_;
  if (entry->window != window_) {
    entry->window = window_;
    ++period_fresh_;
  }
}

Status Engine::EndTurn() {
  Status s = Commit();
  // (A turn of reads with nothing waiting skips it: no clock read.)
  if (s.ok() && journal_ &&
      (period_writes_ != 0 || !unflushed_.empty() || writer_->busy() || !behind_ops_.empty())) {
    s = EndTurnBehind();
  }
  if (!turn_failure_.ok()) {
    s = std::move(turn_failure_);
    turn_failure_ = Status::Ok();
  }
  return s;
}

Status Engine::Commit() {
  if (pending_writes_ == 0) return Status::Ok();
  if (priority_) priority_->NoteCommit();
  if (journaling_) {
    // Writes are coming: not idle, before any reaches LevelDB (it counts
    // the bytes then, at FinishFlight).
    if (flusher_) flusher_->NoteCommit(0);
    return CommitJournal();
  }
  // The cache holds the last state of every key written since the last
  // commit; a key written many times in one turn reaches LevelDB once.
  SortByDataKey(&dirty_);
  for (RecordCache::Node* n : dirty_) n->dirty = false;
  const auto put = BatchPut(batch_.get());
  WriteEntries(dirty_, put, BatchDelete(batch_.get()));
  dirty_.clear();
  WriteCounters(stored_key_count_, stored_expires_count_, expire_sum_dirty_, put);
  stored_key_count_ = key_count_;
  stored_expires_count_ = expires_count_;
  expire_sum_dirty_ = false;
  LogSlotCounts(batch_.get());
  dirty_slots_.clear();
  leveldb::WriteOptions wo;
  wo.sync = options_.sync_commits;
  leveldb::Status s = failure_.ok() ? db_->Write(wo, batch_.get())
                                    : leveldb::Status::IOError("refused after an earlier failure",
                                                               failure_.message());
  ++stats_.commits;
  stats_.committed_writes += pending_writes_;
  if (options_.sync_commits) ++stats_.syncs;
  if (flusher_) flusher_->NoteCommit(batch_->ApproximateSize());
  batch_->Clear();
  pending_hints_.clear();
  pending_writes_ = 0;
  if (!s.ok()) {
    // The cache holds writes that never reached disk: forget them, and reload
    // the counters from what is really stored.
    cache_.Clear();
    stored_key_count_ = stored_expires_count_ = UINT64_MAX;  // unknown: written next time
    (void)LoadCounters();
    Status failed = FromLevelDb(s);
    ++commit_failures_;
    if (failure_.ok()) failure_ = failed;
    if (turn_failure_.ok()) turn_failure_ = failed;
    return failed;
  }
  NoteCommittedCounters();
  cache_.EvictToCapacity();
  return Status::Ok();
}

void Engine::SortByDataKey(std::vector<RecordCache::Node*>* nodes) {
  if (nodes->size() < 2) return;
  std::sort(nodes->begin(), nodes->end(),
            [](const RecordCache::Node* a, const RecordCache::Node* b) {
              return a->slot != b->slot ? a->slot < b->slot : a->key() < b->key();
            });
}

Status Engine::Sync() {
  // After a failure nothing more is written: a torn record (LevelDB's or
  // the journal's) must stay the last one, or the next start refuses.
  if (!failure_.ok()) return failure_;
  if (journaling_) {
    Status s = FlushBehind(/*sync=*/true);
    if (!s.ok() || !failure_.ok()) return s.ok() ? failure_ : s;
    s = journal_->StartSegment();
    if (s.ok()) s = DropJournalSegments(/*all=*/false);
    if (!s.ok() && failure_.ok()) failure_ = s;
    return s;
  }
  leveldb::WriteBatch empty;
  leveldb::WriteOptions wo;
  wo.sync = true;
  ++stats_.syncs;
  return FromLevelDb(db_->Write(wo, &empty));
}

Status SyncDirFiles(const std::string& dir, bool journal, size_t* synced) {
  std::error_code ec;
  // (increment(ec), not ++: this runs on the everysec thread, where an
  // exception would end the process.)
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::filesystem::path& p = it->path();
    std::string stem = p.stem().string();
    bool wanted = journal ? Journal::IsSegmentName(p.filename().string())
                          : p.extension() == ".log" && !stem.empty() &&
                                stem.find_first_not_of("0123456789") == std::string::npos;
    if (!wanted) continue;
    int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // rotated away meanwhile: its data is in a synced table
    int rc = fdatasync(fd);
    int err = errno;
    close(fd);
    if (rc != 0) return Status::IoError("fdatasync " + p.string() + ": " + strerror(err));
    if (synced) ++*synced;
  }
  if (ec) return Status::IoError("listing " + dir + ": " + ec.message());
  return Status::Ok();
}

Status SyncLevelDbLogs(const std::string& dir) {
  Status s = SyncDirFiles(dir, /*journal=*/false);
  return s.ok() ? SyncDir(dir) : s;
}

Status Engine::SyncLogFiles(const std::string& dir) {
  // While the engine journals, the journal holds every committed write that
  // LevelDB may not have synced: segments go only after LevelDB's logs were
  // synced (DropJournalSegments). Else LevelDB's logs are what holds them.
  size_t segments = 0;
  Status s = SyncDirFiles(dir, /*journal=*/true, &segments);
  if (!s.ok() || segments > 0) return s;
  return SyncDirFiles(dir, /*journal=*/false);
}

Status Engine::DropJournalSegments(bool all, bool logs_synced) {
  Status s = logs_synced ? Status::Ok() : SyncLevelDbLogs(options_.dir);
  // (A synced flight took them all before DropAll: this is a safeguard. Old
  // segments hold none of those a flight left: they came after it began.)
  if (s.ok() && all) s = WriteDeferredSlotCounts();
  if (!s.ok()) return s;
  std::vector<std::string> dropped;  // deleted on the writer thread
  s = all ? journal_->DropAll(&dropped) : journal_->DropOld(&dropped);
  if (!dropped.empty()) writer_->RemoveFiles(std::move(dropped));
  return s;
}

Status Engine::Walk(std::string_view from, size_t limit, bool with_tombstones,
                    const std::function<bool(uint16_t)>* in_range,
                    const std::function<bool(std::string_view, const Record&)>& fn,
                    std::string* next) {
  Status s = Settle();
  if (!s.ok()) return s;
  next->clear();
  std::unique_ptr<leveldb::Iterator> it = NewWalkIterator(db_.get());
  std::string start = from.empty() ? std::string(1, kDataPrefix) : std::string(from);
  size_t visited = 0;
  Record rec;
  for (it->Seek(start); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    uint16_t slot;
    std::string_view user_key;
    if (!ParseDataKey(std::string_view(k.data(), k.size()), &slot, &user_key)) break;
    if (visited == limit || (in_range && !(*in_range)(slot))) {
      next->assign(k.data(), k.size());
      break;
    }
    leveldb::Slice v = it->value();
    Status d = DecodeRecord(std::string_view(v.data(), v.size()), &rec);
    if (!d.ok()) return d;
    if (rec.tombstone && !with_tombstones) continue;
    ++visited;
    if (!fn(user_key, rec)) {
      it->Next();
      if (it->Valid() && it->key().size() > 0 && it->key()[0] == kDataPrefix) {
        next->assign(it->key().data(), it->key().size());
      }
      break;
    }
  }
  return FromLevelDb(it->status());
}

Status Engine::Scan(std::string_view from, size_t limit,
                    const std::function<bool(std::string_view, const Record&)>& fn,
                    std::string* next) {
  return Walk(from, limit, /*with_tombstones=*/false, nullptr, fn, next);
}

Status Engine::RandomLiveKey(int64_t now_ms, uint16_t start, size_t max_expired, std::string* found,
                             std::vector<std::string>* expired) {
  found->clear();
  // Bounds one call's work (a few ms) when nearly every key has expired and
  // active expiry has not caught up: the answer is then "" this time.
  constexpr size_t kMaxVisited = 100000;
  size_t visited = 0;
  auto visit = [&](std::string_view key, const Record& rec) {
    ++visited;
    if (!rec.ExpiredAt(now_ms)) {
      found->assign(key);
      return false;
    }
    if (expired->size() < max_expired) expired->emplace_back(key);
    return true;
  };
  // From the start slot to the end, then from the beginning up to it.
  const std::function<bool(uint16_t)> before_start = [start](uint16_t slot) {
    return slot < start;
  };
  for (int pass = 0; pass < 2; ++pass) {
    std::string from = pass == 0 ? DataKeyForSlot(start, "") : std::string();
    const std::function<bool(uint16_t)>* in_range = pass == 0 ? nullptr : &before_start;
    do {
      std::string next;
      Status s = Walk(from, 256, /*with_tombstones=*/false, in_range, visit, &next);
      if (!s.ok() || !found->empty() || visited >= kMaxVisited) return s;
      uint16_t slot = 0;
      std::string_view user_key;
      if (in_range && !next.empty() &&
          (!ParseDataKey(next, &slot, &user_key) || !before_start(slot))) {
        break;  // reached the start slot again
      }
      from = std::move(next);
    } while (!from.empty());
  }
  return Status::Ok();
}

Status Engine::ScanRaw(std::string_view from, size_t limit,
                       const std::function<bool(uint16_t)>& in_range,
                       const std::function<void(std::string_view, const Record&)>& fn,
                       std::string* next) {
  return Walk(
      from, limit, /*with_tombstones=*/true, &in_range,
      [&fn](std::string_view key, const Record& rec) {
        fn(key, rec);
        return true;
      },
      next);
}

Status Engine::ExpireStep(int64_t now_ms, size_t max_keys, std::vector<std::string>* deleted) {
  // Nothing expires: nothing to walk (an index entry a TTL left behind
  // waits for the next key with one).
  if (expires_count_ == 0) return Status::Ok();
  // The walk reads LevelDB's expiry index. With write-behind, entries due by
  // now that are only journaled must reach it first; otherwise a flush (and
  // waiting for it, hz times a second) is not needed.
  Status s =
      std::min(unflushed_due_ms_, flight_due_ms_) <= now_ms ? Settle(/*held=*/false) : Commit();
  if (!s.ok()) return s;
  std::unique_ptr<leveldb::Iterator> it = NewWalkIterator(db_.get());
  size_t examined = 0;
  for (it->Seek(std::string(1, kExpiryPrefix)); it->Valid() && examined < max_keys; it->Next()) {
    leveldb::Slice k = it->key();
    int64_t at;
    std::string_view user_key;
    if (!ParseExpiryKey(std::string_view(k.data(), k.size()), &at, &user_key)) break;
    if (at > now_ms) break;
    ++examined;
    batch_->Delete(k);
    ++pending_writes_;
    auto cur = Get(user_key);
    if (!cur.ok()) return cur.status();
    const RecordRef& rec = *cur;
    if (Live(rec.get()) && rec->expire_at_ms == at) {
      std::string key(user_key);
      Delete(key);
      ++stats_.expired_keys;
      deleted->push_back(std::move(key));
    }
  }
  if (!it->status().ok()) return FromLevelDb(it->status());
  return Commit();
}

Result<std::string> Engine::GetMeta(std::string_view name) {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), MetaKey(name), &value);
  if (s.IsNotFound()) return std::string();
  if (!s.ok()) return FromLevelDb(s);
  return value;
}

Status Engine::PutMeta(std::string_view name, std::string_view value) {
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Put(wo, MetaKey(name), leveldb::Slice(value.data(), value.size())));
}

std::string Engine::Property(const std::string& name) {
  std::string v;
  if (!db_->GetProperty(name, &v)) return "";
  return v;
}

uint64_t Engine::mapped_bytes() { return MappedBytes(); }

uint64_t ApproximateDiskBytes(leveldb::DB* db) {
  const std::string lo(1, '\0'), hi(1, '\xff');  // the Range borrows these
  leveldb::Range r(lo, hi);
  uint64_t size = 0;
  db->GetApproximateSizes(&r, 1, &size);
  return size;
}

std::string FilesPerLevel(leveldb::DB* db) {
  std::string out;
  for (int level = 0; level < 7; ++level) {
    std::string n;
    if (!db->GetProperty("leveldb.num-files-at-level" + std::to_string(level), &n)) n = "0";
    out += (level ? "," : "") + n;
  }
  return out;
}

uint64_t Engine::ApproximateDiskBytes() { return storage::ApproximateDiskBytes(db_.get()); }

std::string Engine::FilesPerLevel() { return storage::FilesPerLevel(db_.get()); }

}  // namespace ringkv::storage
