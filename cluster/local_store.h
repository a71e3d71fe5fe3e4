// The KeyStore of a single node: local storage, every operation ready at once.
#pragma once

#include <random>

#include "cluster/clock.h"
#include "cluster/keystore.h"
#include "storage/engine.h"

namespace ringkv::cluster {

class LocalStore : public KeyStore {
 public:
  // Borrows `engine` and `clock`; both must outlive the store.
  LocalStore(storage::Engine* engine, const Clock* clock) : engine_(engine), clock_(clock) {}
  LocalStore(const LocalStore&) = delete;
  LocalStore& operator=(const LocalStore&) = delete;

  Future<Result<RecordRef>> Read(std::string_view key) override;
  Future<Status> Write(std::string_view key, Record rec) override;
  Future<Result<bool>> Delete(std::string_view key) override;
  Future<Status> Update(std::string_view key, FunctionRef<Mutation(const Record*)> fn) override;
  Future<Result<uint64_t>> Count() override;
  Future<Result<uint64_t>> CountWithExpiry() override;
  Future<Result<ScanPage>> Scan(std::string_view from, size_t count) override;
  Future<Result<std::string>> RandomKey() override;
  Future<Status> FlushAll() override;
  void Prefetch(const std::string_view* keys, size_t n) override { engine_->Prefetch(keys, n); }
  std::optional<size_t> TryAppend(std::string_view key, std::string_view tail,
                                  uint64_t max_length) override;
  bool TryChange(std::string_view key, size_t offset, size_t length,
                 FunctionRef<bool(std::string*)> fn) override;
  Status EndTurn() override { return engine_->EndTurn(); }
  Status Sync() override;
  Result<size_t> ExpireStep(size_t max_keys) override;

 private:
  // The live record, purging it first if it has expired (lazy expiry).
  Result<RecordRef> ReadLive(std::string_view key);

  storage::Engine* engine_;
  const Clock* clock_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace ringkv::cluster
