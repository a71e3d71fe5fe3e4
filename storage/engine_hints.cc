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
  if (limit == 0) return Status::Ok();
  return WalkPrefix(db_.get(), HintPrefix(node), from, [&](leveldb::Slice k, leveldb::Slice v) {
    out->emplace_back(k.ToString(), v.ToString());
    return out->size() < limit;
  });
}

Result<std::string> Engine::GetHint(std::string_view node, std::string_view key) {
  // The pending batch first (its last write of the hint wins): this is
  // called mid-turn, where a commit would let a failed write's replies out.
  struct Finder : leveldb::WriteBatch::Handler {
    std::string key, value;
    bool found = false;
    void Put(const leveldb::Slice& k, const leveldb::Slice& v) override {
      if (k == leveldb::Slice(key)) {
        found = true;
        value.assign(v.data(), v.size());
      }
    }
    void Delete(const leveldb::Slice& k) override {
      if (k == leveldb::Slice(key)) {
        found = true;
        value.clear();
      }
    }
  } finder;
  finder.key = HintKey(node, key);
  if (batch_->Iterate(&finder).ok() && finder.found) return finder.value;
  leveldb::ReadOptions ro;
  ro.fill_cache = false;
  std::string value;
  leveldb::Status st = db_->Get(ro, finder.key, &value);
  if (st.IsNotFound()) return std::string();
  if (!st.ok()) return FromLevelDb(st);
  return value;
}

Result<uint64_t> Engine::DropHints(std::string_view node) {
  const std::string prefix = HintPrefix(node);
  uint64_t n = 0;
  Status s = WalkPrefix(db_.get(), prefix, "", [&](leveldb::Slice k, leveldb::Slice) {
    batch_->Delete(prefix + k.ToString());
    ++pending_writes_;
    ++n;
    return true;
  });
  if (!s.ok()) return s;
  return n;
}

Result<uint64_t> Engine::CountHints() {
  Status s = Commit();
  if (!s.ok()) return s;
  uint64_t n = 0;
  s = WalkPrefix(db_.get(), std::string(1, kHintPrefix), "", [&](leveldb::Slice, leveldb::Slice) {
    ++n;
    return true;
  });
  if (!s.ok()) return s;
  return n;
}

}  // namespace ringkv::storage
