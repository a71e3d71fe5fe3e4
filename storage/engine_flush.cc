// Engine: FLUSHALL, crash-safe. Dropping the whole database is O(1) where
// deleting 5M keys is not, but LevelDB's DestroyDB unlinks file by file: a
// crash half way leaves a directory that holds neither the old data nor an
// empty database, and LevelDB (rightly) will not open it. So FlushAll first
// writes a marker file holding the metadata to carry over (the node id...),
// durably, and removes it only when the new, empty database holds that
// metadata. A start that finds the marker finishes the flush before anything
// else: a FLUSHALL that was acknowledged, or interrupted, ends with an empty
// database and the same node id either way.
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <leveldb/write_batch.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "storage/behind_writer.h"
#include "storage/durable_file.h"
#include "storage/engine.h"
#include "storage/engine_meta.h"
#include "storage/journal.h"
#include "storage/leveldb_util.h"

namespace ringkv::storage {
namespace {

constexpr std::string_view kMarkerName = "FLUSHALL-PENDING";
constexpr std::string_view kMarkerMagic = "ringkv flushall 1\n";

std::string MarkerPath(const std::string& dir) {
  return (std::filesystem::path(dir) / kMarkerName).string();
}

void PutBytes(std::string* out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(s);
}

bool GetBytes(std::string_view* in, std::string* out) {
  uint32_t n;
  if (in->size() < sizeof n) return false;
  std::memcpy(&n, in->data(), sizeof n);
  in->remove_prefix(sizeof n);
  if (in->size() < n) return false;
  out->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

// The marker: the magic line, then each carried key and value, length-prefixed.
std::string MarkerText(const Engine::MetaList& meta) {
  std::string body(kMarkerMagic);
  for (const auto& [k, v] : meta) {
    PutBytes(&body, k);
    PutBytes(&body, v);
  }
  return body;
}

}  // namespace

Result<bool> Engine::ReadFlushMarker(const std::string& dir, MetaList* meta) {
  const std::string path = MarkerPath(dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  std::string body;
  Status read = ReadWholeFile(path, &body);
  if (!read.ok()) return read;
  std::string_view in(body);
  if (!in.starts_with(kMarkerMagic)) {
    return Status::Corruption(path + " is not a FLUSHALL marker; refusing to start");
  }
  in.remove_prefix(kMarkerMagic.size());
  while (!in.empty()) {
    std::string k, v;
    if (!GetBytes(&in, &k) || !GetBytes(&in, &v)) {
      return Status::Corruption(path + " is truncated; refusing to start");
    }
    meta->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

Status Engine::FlushAll() {
  Status s = Commit();
  if (!s.ok()) return s;
  if (options_.log) options_.log("Flushing all data in " + options_.dir);
  // The metadata keyspace (node id...) is carried over; the slot counts and
  // their log are not (they are all zero now), nor are the key counts, the expiry sum, the
  // bytes left to compact and the data format (the new database is this
  // build's: OpenDb gives it this build's number).
  MetaList meta;
  const leveldb::Slice slot_counts(kSlotCountMeta.data(), kSlotCountMeta.size());
  const leveldb::Slice slot_log(kSlotLogMeta.data(), kSlotLogMeta.size());
  s = WalkPrefix(db_.get(), MetaKey(""), "", [&](leveldb::Slice name, leveldb::Slice v) {
    std::string_view n(name.data(), name.size());
    if (!name.starts_with(slot_counts) && !name.starts_with(slot_log) && n != kKeyCountMeta &&
        n != kExpiresCountMeta && n != kExpireSumMeta && n != kIdleCompactPendingMeta &&
        n != kFormatMeta) {
      meta.emplace_back(MetaKey(n), v.ToString());
    }
    return true;
  });
  if (!s.ok()) return s;
  s = WriteFileAtomically(MarkerPath(options_.dir), MarkerText(meta));
  if (!s.ok()) return s;  // nothing dropped yet
  if (priority_) boosts_before_ += priority_->boosts();
  s = RecreateDb(meta);
  if (!s.ok()) {
    if (failure_.ok()) failure_ = s;  // read-only from now on
    if (!db_) OpenStandIn();
  }
  return s;
}

Engine::RequestedCompactions Engine::requested_compactions() const {
  RequestedCompactions r = requested_before_;
  if (!flusher_) return r;
  r.in_progress = flusher_->requested();
  if (const int64_t start = flusher_->requested_start_ms(); start != 0) {
    r.current_sec = (SteadyMs() - start) / 1000;
  }
  if (const int64_t last = flusher_->last_requested_sec(); last >= 0) {
    r.last_sec = last;
    r.last_ok = flusher_->last_requested_ok();
    r.failures_in_a_row = flusher_->requested_failures();
  }
  r.started += flusher_->requested_started();
  return r;
}

void Engine::StopFlusher() {
  if (!flusher_) return;
  flusher_->Stop();
  requested_before_ = requested_compactions();
  requested_before_.in_progress = false;
  requested_before_.current_sec = -1;
  idle_flushes_before_ += flusher_->flushes();
  idle_compactions_before_ += flusher_->compactions();
  LogFlusherMessages();
  flusher_.reset();
}

void Engine::OpenStandIn() {
  writer_.reset();
  priority_.reset();  // first: it lifts the background thread the others may wait for
  StopFlusher();
  key_filter_.reset();  // stops its loading thread: it reads db_
  db_.reset();
  standin_env_.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
  leveldb::Options o;
  o.env = standin_env_.get();
  o.create_if_missing = true;
  leveldb::DB* db = nullptr;
  if (leveldb::DB::Open(o, "/standin", &db).ok()) db_.reset(db);
  // A memory Env cannot fail to create an empty database; if it somehow did,
  // db_ stays null and usable() false: the server stops at the turn's end.
}

Status Engine::RecreateDb(const MetaList& meta) {
  (void)FinishFlight(/*wait=*/true);  // its writes are about to go anyway
  writer_.reset();
  in_flight_.clear();
  flight_due_ms_ = unflushed_due_ms_ = INT64_MAX;
  flight_hints_.clear();
  flight_drops_segments_ = false;
  priority_.reset();  // first: it lifts the background thread the others may wait for
  StopFlusher();
  key_filter_.reset();  // stops its loading thread: it reads db_
  db_.reset();
  cache_.Clear();
  dirty_.clear();
  undo_.clear();
  in_place_undos_.clear();
  // The write journal holds writes of the data being dropped: it goes first
  // (a crash from here on restarts into this function, which removes it).
  journal_.reset();
  journaling_ = false;
  switch_ = Switch::kNone;
  presynced_segment_ = UINT64_MAX;  // (the new journal numbers its segments from 1 again)
  presyncs_ = 0;
  unflushed_.clear();
  held_.clear();
  held_due_ = false;
  turn_ranges_.clear();
  behind_ops_.clear();
  behind_hints_.clear();
  period_writes_ = period_fresh_ = period_range_bytes_ = 0;  // the adaptive period starts again
  period_start_commits_ = stats_.commits;
  Status js = Journal::RemoveAll(options_.dir);
  if (!js.ok()) return js;
  leveldb::Options o;
  o.filter_policy = filter_.get();
  leveldb::Status ds = leveldb::DestroyDB(options_.dir, o);
  if (!ds.ok()) return FromLevelDb(ds);
  key_count_ = expires_count_ = 0;
  stored_key_count_ = stored_expires_count_ = 0;  // written as "0" below
  expire_sum_ms_ = 0;
  expire_sum_known_ = true;
  expire_sum_dirty_ = false;
  committed_key_count_ = committed_expires_count_ = 0;
  committed_expire_sum_ms_ = 0;
  committed_expire_sum_known_ = true;
  std::fill(slot_counts_.begin(), slot_counts_.end(), 0);
  dirty_slots_.clear();
  ForgetDeferredSlotCounts();
  Status s = OpenDb();
  if (!s.ok()) return s;
  leveldb::WriteBatch b;
  // (A marker's data format was checked at open; the new database has this
  // build's, from OpenDb.)
  for (const auto& [k, v] : meta) {
    if (k != MetaKey(kFormatMeta)) b.Put(k, v);
  }
  b.Put(MetaKey(kKeyCountMeta), "0");
  b.Put(MetaKey(kExpiresCountMeta), "0");
  b.Put(MetaKey(kExpireSumMeta), "0");
  leveldb::WriteOptions wo;
  wo.sync = true;
  s = FromLevelDb(db_->Write(wo, &b));
  if (!s.ok()) return s;
  const std::string marker = MarkerPath(options_.dir);
  if (::unlink(marker.c_str()) != 0 && errno != ENOENT) {
    return Status::IoError("removing " + marker + ": " + std::strerror(errno));
  }
  s = SyncDir(options_.dir);  // else a power cut could bring the marker back
  if (!s.ok()) return s;
  s = StartJournal();
  if (s.ok()) StartKeyFilter();
  return s;
}

}  // namespace ringkv::storage
