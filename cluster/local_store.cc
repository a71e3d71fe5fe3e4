#include "cluster/local_store.h"

#include <string>
#include <vector>

namespace ringkv::cluster {

Result<RecordRef> LocalStore::ReadLive(std::string_view key) {
  auto rec = engine_->Get(key);
  if (!rec.ok()) return rec;
  const RecordRef& r = *rec;
  if (!r || r->tombstone) return RecordRef();
  // (The clock is read only for a key with an expiry: most have none.)
  if (r->expire_at_ms != 0 && r->ExpiredAt(clock_->NowMs())) {
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

std::optional<size_t> LocalStore::TryAppend(std::string_view key, std::string_view tail,
                                            uint64_t max_length) {
  // (An expired key, or one past the limit, takes Update: it purges the
  // one, refuses the other.)
  size_t length = 0;
  if (!engine_->AppendInPlace(key, tail, clock_->NowMs(), max_length, &length)) {
    return std::nullopt;
  }
  NotifyChanged(key);
  return length;
}

bool LocalStore::TryChange(std::string_view key, size_t offset, size_t length,
                           FunctionRef<bool(std::string*)> fn) {
  bool changed = false;
  if (!engine_->ChangeInPlace(key, clock_->NowMs(), offset, length, fn, &changed)) return false;
  if (changed) NotifyChanged(key);
  return true;
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
  // The first live key at or after a random slot. Slots are balanced by
  // CRC16, so this is close to uniform for keyspaces much larger than 16384
  // keys. Expired keys met on the way are purged (as Redis's RANDOMKEY does);
  // not while the engine is read-only after a failed commit.
  if (engine_->KeyCount() == 0) return Future<Result<std::string>>::Ready(std::string());
  std::string found;
  std::vector<std::string> expired;
  constexpr size_t kMaxPurged = 10000;  // one call's share; the next call goes on
  Status s =
      engine_->RandomLiveKey(clock_->NowMs(), static_cast<uint16_t>(rng_() % storage::kSlots),
                             engine_->failed() ? 0 : kMaxPurged, &found, &expired);
  for (const std::string& k : expired) {
    engine_->PurgeExpired(k);
    NotifyChanged(k);
  }
  if (!s.ok()) return Future<Result<std::string>>::Ready(s);
  return Future<Result<std::string>>::Ready(std::move(found));
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
