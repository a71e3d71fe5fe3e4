#include "cluster/local_store.h"

#include <string>
#include <vector>

namespace ringkv::cluster {

Result<RecordRef> LocalStore::ReadLive(std::string_view key) {
  auto rec = engine_->Get(key);
  if (!rec.ok()) return rec;
  const RecordRef& r = *rec;
  if (!r || r->tombstone) return RecordRef();
  if (r->ExpiredAt(clock_->NowMs())) {
    // Purged on the way unless the engine is read-only after a failed commit
    // (reads go on working then; the key stays until a restart expires it).
    if (!engine_->failed()) {
      engine_->PurgeExpired(key);
      NotifyChanged(key);
    }
    return RecordRef();
  }
  return rec;
}

Future<Result<RecordRef>> LocalStore::Read(std::string_view key) {
  return Future<Result<RecordRef>>::Ready(ReadLive(key));
}

Future<Status> LocalStore::Write(std::string_view key, Record rec) {
  engine_->Put(key, std::move(rec));
  NotifyChanged(key);
  return Future<Status>::Ready(Status::Ok());
}

Future<Result<bool>> LocalStore::Delete(std::string_view key) {
  auto rec = ReadLive(key);
  if (!rec.ok()) return Future<Result<bool>>::Ready(rec.status());
  if (!*rec) return Future<Result<bool>>::Ready(false);
  engine_->Delete(key);
  NotifyChanged(key);
  return Future<Result<bool>>::Ready(true);
}

Future<Status> LocalStore::Update(std::string_view key, FunctionRef<Mutation(const Record*)> fn) {
  auto rec = ReadLive(key);
  if (!rec.ok()) return Future<Status>::Ready(rec.status());
  Mutation m = fn(rec->get());
  switch (m.kind) {
    case Mutation::Kind::kKeep:
      break;
    case Mutation::Kind::kPut:
      engine_->Put(key, std::move(m.record));
      NotifyChanged(key);
      break;
    case Mutation::Kind::kDelete:
      if (*rec) {
        engine_->Delete(key);
        NotifyChanged(key);
      }
      break;
  }
  return Future<Status>::Ready(Status::Ok());
}

Future<Result<uint64_t>> LocalStore::Count() {
  return Future<Result<uint64_t>>::Ready(engine_->KeyCount());
}

Future<Result<uint64_t>> LocalStore::CountWithExpiry() {
  return Future<Result<uint64_t>>::Ready(engine_->ExpiresCount());
}

Future<Result<ScanPage>> LocalStore::Scan(std::string_view from, size_t count) {
  ScanPage page;
  int64_t now = clock_->NowMs();
  Status s = engine_->Scan(
      from, count,
      [&](std::string_view key, const Record& rec) {
        if (!rec.ExpiredAt(now)) page.keys.emplace_back(key);
        return true;
      },
      &page.next);
  if (!s.ok()) return Future<Result<ScanPage>>::Ready(s);
  return Future<Result<ScanPage>>::Ready(std::move(page));
}

Future<Result<std::string>> LocalStore::RandomKey() {
  // Seek to a random slot and take the first live key at or after it,
  // wrapping around once. Slots are balanced by CRC16, so this is close to
  // uniform for keyspaces much larger than 16384 keys. Expired keys met on
  // the way are purged (as Redis's RANDOMKEY does), so that a keyspace full
  // of keys active expiry has not reached yet still yields its live ones.
  int64_t now = clock_->NowMs();
  const std::string start =
      storage::DataKeyForSlot(static_cast<uint16_t>(rng_() % storage::kSlots), "");
  std::string from = start;
  bool wrapped = false;
  for (;;) {
    std::string found, next;
    std::vector<std::string> expired;
    Status s = engine_->Scan(
        from, 256,
        [&](std::string_view key, const Record& rec) {
          if (rec.ExpiredAt(now)) {
            expired.emplace_back(key);
            return true;
          }
          found.assign(key);
          return false;
        },
        &next);
    if (!s.ok()) return Future<Result<std::string>>::Ready(s);
    if (!engine_->failed()) {  // read-only after a failed commit: skip them
      for (const std::string& k : expired) {
        engine_->PurgeExpired(k);
        NotifyChanged(k);
      }
    }
    if (!found.empty() || engine_->KeyCount() == 0) {
      return Future<Result<std::string>>::Ready(std::move(found));
    }
    if (next.empty()) {  // the end: go on from the beginning, once
      if (wrapped) break;
      wrapped = true;
      from.clear();
      continue;
    }
    if (wrapped && next >= start) break;  // back where this started
    from = std::move(next);
  }
  return Future<Result<std::string>>::Ready(std::string());
}

Future<Status> LocalStore::FlushAll() {
  NotifyAllRemoving();  // before: watchers of keys that exist are told
  Status s = engine_->FlushAll();
  return Future<Status>::Ready(std::move(s));
}

Status LocalStore::Sync() {
  Status s = engine_->Commit();
  if (!s.ok()) return s;
  return engine_->Sync();
}

Result<size_t> LocalStore::ExpireStep(size_t max_keys) {
  std::vector<std::string> deleted;
  Status s = engine_->ExpireStep(clock_->NowMs(), max_keys, &deleted);
  if (!s.ok()) return s;
  for (const auto& k : deleted) NotifyChanged(k);
  return deleted.size();
}

}  // namespace ringkv::cluster
