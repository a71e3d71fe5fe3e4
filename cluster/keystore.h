// The seam between command handlers and data. Handlers reach records only
// through a KeyStore, and every operation is a Future: on one node
// (LocalStore) it is ready at once; in a cluster the coordinator completes it
// when R or W replicas have answered. A handler written against this interface
// does not change when the cluster arrives:
//
//   auto rec = co_await ctx.store.Read(key);
//
// Records handed out are live: never expired, never tombstones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/function_ref.h"
#include "cluster/task.h"
#include "storage/record.h"
#include "storage/status.h"

namespace ringkv::cluster {

using storage::Record;
using storage::RecordRef;
using storage::Result;
using storage::Status;

// What a read-modify-write function decides.
struct Mutation {
  enum class Kind { kKeep, kPut, kDelete };
  Kind kind = Kind::kKeep;
  Record record;  // for kPut

  static Mutation Keep() { return {}; }
  static Mutation Put(Record r) { return {Kind::kPut, std::move(r)}; }
  static Mutation Delete() { return {Kind::kDelete, {}}; }
};

// One page of a keyspace scan. `next` is an opaque resume position ("" = done).
struct ScanPage {
  std::vector<std::string> keys;
  std::string next;
};

// Told about every change to a key, from any client or from expiry (WATCH).
class KeyObserver {
 public:
  virtual ~KeyObserver() = default;
  virtual void KeyChanged(std::string_view key) = 0;
  virtual void AllKeysChanged() = 0;
  // Every key is about to be removed (FLUSHALL on one node): the observer
  // can still see which of the keys it cares about exist. The default says
  // all changed.
  virtual void AllKeysRemoving() { AllKeysChanged(); }
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // The live record under `key`, or nullptr.
  virtual Future<Result<RecordRef>> Read(std::string_view key) = 0;
  // Replaces whatever is stored (a blind write).
  virtual Future<Status> Write(std::string_view key, Record rec) = 0;
  // Removes the key; yields true if a live key was removed.
  virtual Future<Result<bool>> Delete(std::string_view key) = 0;
  // Atomic read-modify-write at the key's owner: `fn` is called once with the
  // live record (or nullptr) and decides what to store. `fn` must not suspend
  // and must stay valid until the future completes (a lambda in the awaiting
  // coroutine's frame does).
  virtual Future<Status> Update(std::string_view key, FunctionRef<Mutation(const Record*)> fn) = 0;

  // Keys in the whole keyspace, counted once (expired-but-not-purged included, as Redis).
  virtual Future<Result<uint64_t>> Count() = 0;
  virtual Future<Result<uint64_t>> CountWithExpiry() = 0;
  // Up to about `count` live keys from position `from` ("" = start).
  virtual Future<Result<ScanPage>> Scan(std::string_view from, size_t count) = 0;
  // A random live key, or "" with *found=false when empty.
  virtual Future<Result<std::string>> RandomKey() = 0;
  virtual Future<Status> FlushAll() = 0;

  // A hint that commands on `keys` follow (a pipeline): a store may start
  // loading what they will touch. Changes nothing; the default ignores it.
  virtual void Prefetch(const std::string_view* /*keys*/, size_t /*n*/) {}

  // APPEND's fast path, which a store may take where the generic Update
  // (the old value copied into a new one) costs most: appends `tail` to the
  // live string at `key` if the result stays within `max_length` bytes, and
  // yields its new length. It may decline (nullopt, nothing done; the
  // default always does): the caller then takes Update.
  virtual std::optional<size_t> TryAppend(std::string_view /*key*/, std::string_view /*tail*/,
                                          uint64_t /*max_length*/) {
    return std::nullopt;
  }
  // The same for other changes to a big string's bytes (SETBIT, SETRANGE):
  // calls `fn` with the live string at `key` to change where it is (it says
  // whether it changed anything, and keeps the string within the caller's
  // limits); true. `fn` overwrites at most the `length` bytes at `offset`
  // of the string as it is, or grows it. Or declines: false, `fn` not called
  // (the default always does), and the caller takes Update.
  virtual bool TryChange(std::string_view /*key*/, size_t /*offset*/, size_t /*length*/,
                         FunctionRef<bool(std::string*)> /*fn*/) {
    return false;
  }

  // Ends the loop turn: commits every write of the turn (one storage write).
  // Replies of the turn must not leave before this returned OK.
  virtual Status EndTurn() = 0;
  // Makes committed writes durable (appendfsync everysec / SAVE).
  virtual Status Sync() = 0;
  // Active expiry: removes up to `max_keys` due keys. Returns how many.
  virtual Result<size_t> ExpireStep(size_t max_keys) = 0;

  void set_observer(KeyObserver* o) { observer_ = o; }

 protected:
  void NotifyChanged(std::string_view key) {
    if (observer_) observer_->KeyChanged(key);
  }
  void NotifyAllChanged() {
    if (observer_) observer_->AllKeysChanged();
  }
  void NotifyAllRemoving() {
    if (observer_) observer_->AllKeysRemoving();
  }

 private:
  KeyObserver* observer_ = nullptr;
};

}  // namespace ringkv::cluster
