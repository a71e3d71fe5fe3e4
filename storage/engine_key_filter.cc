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

#include <cstring>
#include <filesystem>
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
  if (options_.key_filter_bits <= 0 || !db_) return;
  std::unique_ptr<KeyFilter> f = NewKeyFilter();
  if (!f) {
    if (options_.log) options_.log("No memory for the key filter: running without it");
    return;
  }
  LoadKeyFilter(std::move(f));
}

std::unique_ptr<KeyFilter> Engine::NewKeyFilter() const {
  // Sized for the live keys stored (the counter), plus room to grow before
  // the first new stage.
  return KeyFilter::Create(key_count_ + key_count_ / 4, options_.key_filter_bits);
}

void Engine::LoadKeyFilter(std::unique_ptr<KeyFilter> f) {
  key_filter_ = std::move(f);
  key_filter_logged_ = false;
  if (options_.log && key_count_ > 0) {
    options_.log("Loading the key filter (" + std::to_string(key_count_) +
                 " keys) in the background");
  }
  key_filter_->StartLoad(db_.get());
  key_filter_started_ms_ = SteadyMs();
  key_filter_logged_ms_ = key_filter_started_ms_;
}

void Engine::LogFlusherMessages() {
  if (!flusher_) return;
  std::vector<std::string> messages = flusher_->TakeMessages();
  if (!options_.log) return;
  for (const std::string& m : messages) options_.log(m);
}

void Engine::LogProgress() {
  LogFlusherMessages();
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
  std::unique_ptr<KeyFilter> fresh = NewKeyFilter();
  if (!fresh) return;  // no memory now: the one in use stays, and is correct
  if (options_.log) {
    options_.log("Key filter holds " + std::to_string(held) + " keys for " +
                 std::to_string(key_count_) + " stored: rebuilding it");
  }
  key_filter_.reset();  // loaded: no thread to stop
  LoadKeyFilter(std::move(fresh));
  ++key_filter_rebuilds_;
  // The new filter's scan sees LevelDB; the keys committed or about to be
  // and not there yet are added here.
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
  // The head: the token, then the CURRENT file (which names LevelDB's
  // manifest; any open of the database makes a new one), as length + bytes.
  std::string current;
  Status s = ReadCurrent(options_.dir, &current);
  if (s.ok()) {
    std::string bytes = token;
    const uint64_t length = current.size();
    bytes.append(reinterpret_cast<const char*>(&length), 8);
    bytes += current;
    key_filter_->SerializeTo(&bytes);
    s = WriteFileAtomically(KeyFilterPath(options_.dir), bytes);
  }
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

Status Engine::ReadCurrent(const std::string& dir, std::string* out) {
  return ReadWholeFile((std::filesystem::path(dir) / "CURRENT").string(), out);
}

bool Engine::RestoreKeyFilter(const std::string& current_before_open) {
  const std::string path = KeyFilterPath(options_.dir);
  std::error_code ec;
  // A save that a crash interrupted leaves its temporary file.
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    if (entry.path().filename().string().starts_with(std::string(kKeyFilterFile) + ".")) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
  std::string token;
  leveldb::Status got = db_->Get(leveldb::ReadOptions(), MetaKey(kKeyFilterMeta), &token);
  if (!got.ok() && !got.IsNotFound()) {
    if (options_.log) options_.log("Cannot read the key filter's token: " + got.ToString());
  }
  const int64_t start = SteadyMs();
  std::string bytes;
  const bool exists = std::filesystem::exists(path, ec);
  // A file that cannot be read is refused below (its token does not match).
  if (exists && got.ok()) (void)ReadWholeFile(path, &bytes);
  // Whatever is found, neither may be trusted again: this run changes the
  // database, whether it uses the filter or not (key-filter-bits 0).
  bool removed = !exists || (std::filesystem::remove(path, ec) && SyncDir(options_.dir).ok());
  if (got.ok()) {
    leveldb::WriteOptions wo;
    wo.sync = true;
    removed = db_->Delete(wo, MetaKey(kKeyFilterMeta)).ok() && removed;
  }
  if (!got.ok() || options_.key_filter_bits <= 0) return false;
  std::string why;
  std::unique_ptr<KeyFilter> f;
  const std::string_view head(bytes);
  uint64_t length = 0;  // of the CURRENT file's copy, after the token
  if (head.size() >= 16) std::memcpy(&length, head.data() + 8, 8);
  if (!exists) {
    why = "no file";
  } else if (!removed) {
    why = "cannot remove it";
  } else if (head.size() < 16 || head.substr(0, 8) != token) {
    why = "not the one the last close wrote";
  } else if (head.size() - 16 < length || head.substr(16, length) != current_before_open) {
    why = "the database was opened since";
  } else {
    f = KeyFilter::Restore(head.substr(16 + length), options_.key_filter_bits, &why);
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
