// Engine: the writes a commit or a write-behind flush gives LevelDB (or the
// journal), shared by engine.cc and engine_journal.cc; internal to storage/.
// `put(key, value)` and `del(key)` take LevelDB keys: a WriteBatch's
// (BatchPut, BatchDelete) or a journal payload's.
#pragma once

#include <leveldb/write_batch.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "storage/engine.h"
#include "storage/engine_meta.h"

namespace ringkv::storage {

inline auto BatchPut(leveldb::WriteBatch* b) {
  return [b](std::string_view k, std::string_view v) {
    b->Put(leveldb::Slice(k.data(), k.size()), leveldb::Slice(v.data(), v.size()));
  };
}

inline auto BatchDelete(leveldb::WriteBatch* b) {
  return [b](std::string_view k) { b->Delete(leveldb::Slice(k.data(), k.size())); };
}

template <typename PutFn, typename DelFn>
void Engine::WriteEntries(const std::vector<RecordCache::Node*>& nodes, const PutFn& put,
                          const DelFn& del) {
  for (const RecordCache::Node* n : nodes) {
    // Encoded into buffers kept across commits: a malloc less per part.
    DataKeyForSlot(n->slot, n->key(), &commit_key_);
    if (n->rec) {
      EncodeRecord(*n->rec, &commit_value_);
      put(commit_key_, commit_value_);
    } else {
      del(commit_key_);
    }
  }
  ReleaseBigBuffers();
}

template <typename PutFn>
void Engine::WriteCounters(uint64_t keys_written, uint64_t expires_written, bool sum_changed,
                           const PutFn& put) const {
  if (key_count_ != keys_written) put(MetaKey(kKeyCountMeta), std::to_string(key_count_));
  if (expires_count_ != expires_written) {
    put(MetaKey(kExpiresCountMeta), std::to_string(expires_count_));
  }
  if (sum_changed && expire_sum_known_) {
    char sum[64];
    int n = std::snprintf(sum, sizeof sum, "%.0Lf", expire_sum_ms_);
    if (n > 0 && static_cast<size_t>(n) < sizeof sum) {
      put(MetaKey(kExpireSumMeta), std::string_view(sum, static_cast<size_t>(n)));
    }
  }
}

}  // namespace ringkv::storage
