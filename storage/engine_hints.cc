// Engine: the hint keyspace of the cluster's hinted handoff (engine.h).
// A hint's LevelDB key is kHintPrefix, the node id's length (one byte), the
// node id and the user key; its value is the record's encoding.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <functional>
#include <memory>

#include "storage/engine.h"
#include "storage/leveldb_util.h"

namespace ringkv::storage {
namespace {

std::string HintPrefix(std::string_view node) {
  std::string k(1, kHintPrefix);
  k.push_back(static_cast<char>(static_cast<uint8_t>(std::min<size_t>(node.size(), 255))));
  k.append(node.substr(0, 255));
  return k;
}

std::string HintKey(std::string_view node, std::string_view key) {
  std::string k = HintPrefix(node);
  k.append(key);
  return k;
}

}  // namespace

void Engine::PutHint(std::string_view node, std::string_view key, std::string_view record) {
  std::string hint_key = HintKey(node, key);
  batch_->Put(hint_key, leveldb::Slice(record.data(), record.size()));
  pending_hints_.insert_or_assign(std::move(hint_key), std::string(record));
  ++pending_writes_;
}

void Engine::DeleteHint(std::string_view node, std::string_view key) {
  std::string hint_key = HintKey(node, key);
  batch_->Delete(hint_key);
  pending_hints_.insert_or_assign(std::move(hint_key), std::string());
  ++pending_writes_;
}

Status Engine::Hints(std::string_view node, std::string_view from, size_t limit,
                     std::vector<std::pair<std::string, std::string>>* out) {
  Status s = Settle();
  if (!s.ok()) return s;
  if (limit == 0) return Status::Ok();
  return WalkPrefix(db_.get(), HintPrefix(node), from, [&](leveldb::Slice k, leveldb::Slice v) {
    out->emplace_back(k.ToString(), v.ToString());
    return out->size() < limit;
  });
}

Result<std::string> Engine::GetHint(std::string_view node, std::string_view key) {
  // The pending hints first: this is called mid-turn, where a commit would
  // let a failed write's replies out.
  const std::string hint_key = HintKey(node, key);
  if (auto it = pending_hints_.find(hint_key); it != pending_hints_.end()) return it->second;
  if (auto it = behind_hints_.find(hint_key); it != behind_hints_.end()) return it->second;
  if (auto it = flight_hints_.find(hint_key); it != flight_hints_.end()) return it->second;
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::string value;
  leveldb::Status st = db_->Get(ro, hint_key, &value);
  if (st.IsNotFound()) return std::string();
  if (!st.ok()) return FromLevelDb(st);
  return value;
}

Result<uint64_t> Engine::DropHints(std::string_view node) {
  // A batch being written may hold some of them: the walk below finds them
  // once it is in LevelDB.
  if (Status f = FinishFlight(/*wait=*/true); !f.ok()) return f;
  const std::string prefix = HintPrefix(node);
  uint64_t n = 0;
  Status s = WalkPrefix(db_.get(), prefix, "", [&](leveldb::Slice k, leveldb::Slice) {
    std::string hint_key = prefix + k.ToString();
    // Deleted already, by a commit not yet flushed.
    if (auto it = behind_hints_.find(hint_key); it != behind_hints_.end() && it->second.empty()) {
      return true;
    }
    batch_->Delete(hint_key);
    pending_hints_.insert_or_assign(std::move(hint_key), std::string());
    ++pending_writes_;
    ++n;
    return true;
  });
  if (!s.ok()) return s;
  // Those committed but not yet flushed (write-behind), then those written
  // this turn, are not in the database yet.
  for (auto it = behind_hints_.lower_bound(prefix);
       it != behind_hints_.end() && it->first.starts_with(prefix); ++it) {
    if (it->second.empty() || pending_hints_.contains(it->first)) continue;
    batch_->Delete(it->first);
    pending_hints_.emplace(it->first, std::string());
    ++pending_writes_;
    ++n;
  }
  for (auto it = pending_hints_.lower_bound(prefix);
       it != pending_hints_.end() && it->first.starts_with(prefix); ++it) {
    if (it->second.empty()) continue;
    batch_->Delete(it->first);
    it->second.clear();
    ++pending_writes_;
  }
  return n;
}

Result<uint64_t> Engine::CountHints(std::map<std::string, uint64_t>* by_node) {
  Status s = Settle();
  if (!s.ok()) return s;
  uint64_t n = 0;
  s = WalkPrefix(db_.get(), std::string(1, kHintPrefix), "", [&](leveldb::Slice k, leveldb::Slice) {
    ++n;
    if (by_node && !k.empty()) {  // the node id's length, the node id, the user key
      const size_t len = std::min<size_t>(static_cast<uint8_t>(k[0]), k.size() - 1);
      ++(*by_node)[std::string(k.data() + 1, len)];
    }
    return true;
  });
  if (!s.ok()) return s;
  return n;
}

}  // namespace ringkv::storage
