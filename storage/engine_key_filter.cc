// The engine's side of the key filter (key_filter.h): loading it, rebuilding
// it when deleted keys fill it, and keeping it across a clean restart.
//
// Across a restart: a clean close writes the filter to `keyfilter.rkf` in
// the data dir, with a random token at its head, and then the same token to
// a meta key, in a synced LevelDB write. The next open trusts the file only
// if the two tokens match, and removes both (the file, then the meta key,
// synced) before anything else is written. So a file is used only for the
// database exactly as that close left it: after a crash, or a run that
// opened the database and did not close it cleanly, there is no token, and
// the filter is loaded by a scan as before.
#include <leveldb/db.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "storage/durable_file.h"
#include "storage/engine.h"
#include "storage/engine_meta.h"
#include "storage/leveldb_util.h"

namespace ringkv::storage {

namespace {

constexpr char kKeyFilterFile[] = "keyfilter.rkf";

std::string KeyFilterPath(const std::string& dir) {
  return (std::filesystem::path(dir) / kKeyFilterFile).string();
}

}  // namespace

void Engine::StartKeyFilter() {
  key_filter_.reset();
  key_filter_logged_ = false;
  if (options_.key_filter_bits <= 0 || !db_) return;
  // Sized for the live keys stored (the counter), plus room to grow before
  // the first new stage.
  key_filter_ = KeyFilter::Create(key_count_ + key_count_ / 4, options_.key_filter_bits);
  if (!key_filter_) {
    if (options_.log) options_.log("No memory for the key filter: running without it");
    return;
  }
  if (options_.log && key_count_ > 0) {
    options_.log("Loading the key filter (" + std::to_string(key_count_) +
                 " keys) in the background");
  }
  key_filter_->StartLoad(db_.get());
  key_filter_started_ms_ = SteadyMs();
  key_filter_logged_ms_ = key_filter_started_ms_;
}

void Engine::LogProgress() {
  if (!key_filter_ || key_filter_logged_ || !options_.log) return;
  const int64_t now = SteadyMs();
  const std::string keys = std::to_string(key_filter_->loaded_keys());
  if (key_filter_->loaded()) {
    key_filter_logged_ = true;
    if (key_filter_->loaded_keys() == 0) return;  // a new database: nothing to tell
    options_.log("Key filter loaded: " + keys + " keys in " +
                 std::to_string(now - key_filter_started_ms_) + " ms, " +
                 std::to_string(key_filter_->bytes() >> 10) + " KB");
  } else if (std::string err = key_filter_->load_error(); !err.empty()) {
    key_filter_logged_ = true;
    options_.log("Loading the key filter failed after " + keys +
                 " keys (reads of uncached keys ask LevelDB, as without it): " + err);
  } else if (now - key_filter_logged_ms_ >= 5000) {
    key_filter_logged_ms_ = now;
    options_.log("Loading the key filter: " + keys + " of about " + std::to_string(key_count_) +
                 " keys");
  }
}

void Engine::MaintainKeyFilter() {
  if (!key_filter_ || !key_filter_->loaded() || !usable()) return;
  // Keys are added and never removed, so keys written once and deleted or
  // expired (sessions, caches) make the filter grow without bound. Once it
  // holds more than twice what a scan would give (and what the last one
  // gave, since a cluster node's tombstones count too), a new one is loaded
  // in the background, as at start.
  const uint64_t held = key_filter_->keys();
  const uint64_t slack = options_.key_filter_rebuild_slack;
  if (held <= 2 * key_count_ + slack || held <= 2 * key_filter_->loaded_keys() + slack) return;
  if (options_.log) {
    options_.log("Key filter holds " + std::to_string(held) + " keys for " +
                 std::to_string(key_count_) + " stored: rebuilding it");
  }
  StartKeyFilter();
  ++key_filter_rebuilds_;
  // The new filter's scan sees LevelDB; the keys committed or about to be
  // and not there yet are added here.
  if (!key_filter_) return;
  for (const auto* list : {&dirty_, &unflushed_, &in_flight_}) {
    for (const RecordCache::Node* n : *list) key_filter_->Add(n->key());
  }
}

void Engine::SaveKeyFilter() {
  if (!key_filter_ || !key_filter_->loaded() || !usable()) return;
  const int64_t start = SteadyMs();
  std::random_device rd;
  const uint64_t token_value = (uint64_t{rd()} << 32) ^ rd();
  const std::string token(reinterpret_cast<const char*>(&token_value), 8);
  const std::string path = KeyFilterPath(options_.dir);
  Status s = WriteFileAtomically(path, token + key_filter_->Serialize());
  if (s.ok()) {
    leveldb::WriteOptions wo;
    wo.sync = true;
    s = FromLevelDb(db_->Put(wo, MetaKey(kKeyFilterMeta), token));
  }
  if (!options_.log) return;
  if (!s.ok()) {
    options_.log("Could not save the key filter (the next start loads it by a scan): " +
                 s.message());
    return;
  }
  options_.log("Key filter saved: " + std::to_string(key_filter_->keys()) + " keys, " +
               std::to_string(key_filter_->bytes() >> 10) + " KB in " +
               std::to_string(SteadyMs() - start) + " ms");
}

bool Engine::RestoreKeyFilter() {
  const std::string path = KeyFilterPath(options_.dir);
  std::string token;
  leveldb::Status got = db_->Get(leveldb::ReadOptions(), MetaKey(kKeyFilterMeta), &token);
  std::error_code ec;
  if (got.IsNotFound()) {
    std::filesystem::remove(path, ec);  // left by a run that did not close cleanly
    return false;
  }
  if (!got.ok() || options_.key_filter_bits <= 0) return false;
  const int64_t start = SteadyMs();
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // Neither may be trusted again: this run changes the database.
  const bool removed = std::filesystem::remove(path, ec) && SyncDir(options_.dir).ok();
  leveldb::WriteOptions wo;
  wo.sync = true;
  const bool forgotten = db_->Delete(wo, MetaKey(kKeyFilterMeta)).ok();
  std::string why;
  std::unique_ptr<KeyFilter> f;
  if (!removed || !forgotten) {
    why = "cannot remove it";
  } else if (bytes.size() < 8 || bytes.compare(0, 8, token) != 0) {
    why = "not the one the last close wrote";
  } else {
    f = KeyFilter::Restore(std::string_view(bytes).substr(8), options_.key_filter_bits, &why);
  }
  if (!f) {
    if (options_.log) options_.log("Not using the saved key filter (" + why + "): loading it");
    return false;
  }
  key_filter_ = std::move(f);
  key_filter_logged_ = true;
  if (options_.log) {
    options_.log("Key filter read from " + std::string(kKeyFilterFile) + ": " +
                 std::to_string(key_filter_->keys()) + " keys, " +
                 std::to_string(key_filter_->bytes() >> 10) + " KB in " +
                 std::to_string(SteadyMs() - start) + " ms");
  }
  return true;
}

}  // namespace ringkv::storage
