// Engine: the hint keyspace of the cluster's hinted handoff (engine.h).
// A hint's LevelDB key is kHintPrefix, the node id's length (one byte), the
// node id and the user key; its value is the record's encoding.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <memory>

#include "storage/engine.h"
#include "storage/leveldb_status.h"

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
  batch_->Put(HintKey(node, key), leveldb::Slice(record.data(), record.size()));
  ++pending_writes_;
}

void Engine::DeleteHint(std::string_view node, std::string_view key) {
  batch_->Delete(HintKey(node, key));
  ++pending_writes_;
}

Status Engine::Hints(std::string_view node, std::string_view from, size_t limit,
                     std::vector<std::pair<std::string, std::string>>* out) {
  Status s = Commit();
  if (!s.ok()) return s;
  const std::string prefix = HintPrefix(node);
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(prefix + std::string(from)); it->Valid() && out->size() < limit; it->Next()) {
    leveldb::Slice k = it->key();
    if (!k.starts_with(prefix)) break;
    k.remove_prefix(prefix.size());
    out->emplace_back(k.ToString(), it->value().ToString());
  }
  return FromLevelDb(it->status());
}

Result<uint64_t> Engine::DropHints(std::string_view node) {
  const std::string prefix = HintPrefix(node);
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  uint64_t n = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    batch_->Delete(it->key());
    ++pending_writes_;
    ++n;
  }
  if (!it->status().ok()) return FromLevelDb(it->status());
  return n;
}

Result<uint64_t> Engine::CountHints() {
  Status s = Commit();
  if (!s.ok()) return s;
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  uint64_t n = 0;
  for (it->Seek(std::string(1, kHintPrefix)); it->Valid() && it->key()[0] == kHintPrefix;
       it->Next()) {
    ++n;
  }
  if (!it->status().ok()) return FromLevelDb(it->status());
  return n;
}

}  // namespace ringkv::storage
