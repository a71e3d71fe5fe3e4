#include "cluster/coordinator.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>

#include "cluster/quorum.h"
#include "storage/record.h"

namespace ringkv::cluster {
namespace {

using storage::DecodeRecord;
using storage::EncodeRecord;
using storage::KeySlot;

Version VersionOf(const Record& r) {
  Version v;
  if (!r.version.empty()) (void)DecodeVersion(r.version, &v);  // undecodable: oldest
  return v;
}

bool LiveAt(const RecordRef& r, int64_t now) { return r && !r->tombstone && !r->ExpiredAt(now); }

// What a StartGate's refusal makes of the operation.
Status RefusedLate() {
  return Status::Unavailable("a forwarded command reached its start deadline; not run");
}

}  // namespace

// One quorum read in flight. Shared by the reader and the peer callbacks;
// lives until every replica answered (for read repair).
struct Coordinator::ReadState {
  std::string key;
  std::vector<std::string> nodes;  // who was asked
  std::vector<int> answered;       // 0 pending, 1 ok, -1 failed
  std::vector<RecordRef> records;  // per node (nullptr: has none)
  int required = 0;
  int ok = 0;
  int failed = 0;
  bool decided = false;
  Promise<Result<RecordRef>> promise;
  RecordRef resolved;  // what the read returned (and what repair writes)
  bool resolved_valid = false;
};

struct Coordinator::WriteState {
  int required = 0;
  int targets = 0;
  int ok = 0;
  int failed = 0;
  bool decided = false;
  std::string last_error;
  Promise<Status> promise;
  // This node's own copy counted in `ok`, and the engine's failed commits
  // then: the copy is only in the turn's pending batch, and if that commit
  // fails (seen in a later turn, when a peer's answer comes) it never landed.
  bool local_ok = false;
  uint64_t failures_at_apply = 0;
  // Another node is the slot's primary and has not answered yet.
  bool primary_pending = false;
};

Coordinator::Coordinator(storage::Engine* engine, const Clock* clock, Transport* transport,
                         const ClusterView* view, int replicas)
    : engine_(engine), clock_(clock), transport_(transport), view_(view), replicas_(replicas) {}

std::vector<Placement> Coordinator::Placements(uint16_t slot) const {
  return view_->ring().PreferenceList(slot, replicas_,
                                      [this](std::string_view id) { return view_->IsUp(id); });
}

std::string_view Coordinator::PrimaryOf(uint16_t slot) const {
  auto p = view_->ring().PreferenceList(slot, 1,
                                        [this](std::string_view id) { return view_->IsUp(id); });
  return p.empty() ? std::string_view() : p[0].node;
}

// --- replica side -----------------------------------------------------------

Result<RecordRef> Coordinator::LocalRead(std::string_view key) { return engine_->Get(key); }

std::optional<Record> Coordinator::Newer(const Record& cur, const Record& incoming,
                                         bool* conflict) {
  *conflict = false;
  const Version cur_v = VersionOf(cur);
  const Version in_v = VersionOf(incoming);
  switch (Compare(in_v, cur_v)) {
    case Order::kBefore:
    case Order::kEqual:
      return std::nullopt;
    case Order::kAfter:
      return incoming;
    case Order::kConcurrent:
      break;
  }
  Version both[2] = {cur_v, in_v};
  auto res = Resolve(both);
  *conflict = true;
  Record merged = res->winner == 0 ? cur : incoming;
  merged.version = EncodeVersion(res->version);
  return merged;
}

Result<bool> Coordinator::ApplyRemote(std::string_view key, const Record& incoming) {
  auto cur = engine_->Get(key);
  if (!cur.ok()) return cur.status();
  hlc_.Update(VersionOf(incoming).timestamp, clock_->NowMs());
  if (*cur) {
    bool conflict = false;
    std::optional<Record> next = Newer(**cur, incoming, &conflict);
    if (!next) {
      ++stats_.stale_applies;
      return false;
    }
    if (conflict) ++stats_.conflicts_resolved;
    engine_->Put(key, std::move(*next));
  } else {
    engine_->Put(key, incoming);
  }
  ++stats_.remote_applies;
  if (observer) observer->KeyChanged(key);
  return true;
}

uint64_t Coordinator::LocalCount(std::string_view slots) const {
  if (slots.size() != storage::kSlots / 8) return 0;
  uint64_t n = 0;
  for (int s = 0; s < storage::kSlots; ++s) {
    if (static_cast<unsigned char>(slots[s / 8]) & (0x80u >> (s % 8))) {
      n += engine_->SlotKeyCount(static_cast<uint16_t>(s));
    }
  }
  return n;
}

// Scans this node's data from `from` through the run of consecutive slots
// this node is primary for. `page->next` is where the next page starts: inside
// the run if `count` was reached, else the first slot of the next run (or ""
// past the last slot). Keys of slots we are not primary for are never
// returned, so each key is reported by exactly one node.
Status Coordinator::LocalScan(std::string_view from, size_t count, ScanPage* page) {
  uint16_t first = 0;
  std::string_view user_key;
  if (!from.empty() && !storage::ParseDataKey(from, &first, &user_key)) {
    return Status::InvalidArgument("bad scan position");
  }
  const std::string& self = view_->self_id();
  int end = first;
  while (end < storage::kSlots && PrimaryOf(static_cast<uint16_t>(end)) == self) ++end;
  if (end == first) {
    page->next = storage::DataKeyForSlot(first, "");
    return Status::Ok();
  }
  int64_t now = clock_->NowMs();
  std::string next;
  Status s = engine_->ScanRaw(
      from.empty() ? storage::DataKeyForSlot(first, "") : std::string(from), count,
      [end](uint16_t slot) { return slot < end; },
      [&](std::string_view key, const Record& rec) {
        if (!rec.tombstone && !rec.ExpiredAt(now)) page->keys.emplace_back(key);
      },
      &next);
  if (!s.ok()) return s;
  uint16_t next_slot = 0;
  std::string_view nk;
  if (!next.empty() && storage::ParseDataKey(next, &next_slot, &nk) && next_slot < end) {
    page->next = std::move(next);  // stopped by count inside the run
  } else {
    page->next = end < storage::kSlots ? storage::DataKeyForSlot(static_cast<uint16_t>(end), "")
                                       : std::string();
  }
  return Status::Ok();
}

Result<std::string> Coordinator::LocalRandomKey() {
  if (engine_->KeyCount() == 0) return std::string();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  // Expired keys are skipped, not purged: each node's active expiry does that.
  std::string found;
  std::vector<std::string> expired;
  Status s = engine_->RandomLiveKey(clock_->NowMs(), static_cast<uint16_t>(rng() % storage::kSlots),
                                    0, &found, &expired);
  if (!s.ok()) return s;
  return found;
}

Status Coordinator::LocalFlushAll() {
  Status s = engine_->FlushAll();
  if (observer) observer->AllKeysChanged();
  return s;
}

// --- quorum read --------------------------------------------------------------

void Coordinator::FinishRead(const std::shared_ptr<ReadState>& st) {
  if (st->decided) return;
  if (st->ok >= st->required) {
    st->decided = true;
    // Resolve among the replies so far.
    std::vector<Version> versions;
    std::vector<size_t> idx;
    for (size_t i = 0; i < st->records.size(); ++i) {
      if (st->answered[i] == 1 && st->records[i]) {
        versions.push_back(VersionOf(*st->records[i]));
        idx.push_back(i);
      }
    }
    if (versions.empty()) {
      st->resolved = nullptr;
    } else {
      auto res = Resolve(versions);
      auto rec = std::make_shared<Record>(*st->records[idx[res->winner]]);
      if (res->siblings > 1) {
        ++stats_.conflicts_resolved;
        rec->version = EncodeVersion(res->version);
      }
      st->resolved = std::move(rec);
    }
    st->resolved_valid = true;
    st->promise.Set(st->resolved);
    return;
  }
  int pending = static_cast<int>(st->nodes.size()) - st->ok - st->failed;
  if (st->ok + pending < st->required) {
    st->decided = true;
    ++stats_.quorum_failures;
    st->promise.Set(Status::Unavailable("NOQUORUM read reached " + std::to_string(st->ok) + " of " +
                                        std::to_string(st->required) + " required replicas"));
  }
}

void Coordinator::RepairIfComplete(const std::shared_ptr<ReadState>& st) {
  if (!st->resolved_valid || !st->resolved) return;
  for (int a : st->answered)
    if (a == 0) return;  // wait for every replica
  Version want = VersionOf(*st->resolved);
  std::string encoded;
  for (size_t i = 0; i < st->nodes.size(); ++i) {
    if (st->answered[i] != 1) continue;
    const RecordRef& have = st->records[i];
    if (have && Compare(VersionOf(*have), want) == Order::kEqual) continue;
    ++stats_.read_repairs;
    if (st->nodes[i] == view_->self_id()) {
      (void)ApplyRemote(st->key, *st->resolved);
      continue;
    }
    if (encoded.empty()) encoded = EncodeRecord(*st->resolved);
    ++stats_.remote_requests;
    transport_->Send(st->nodes[i], {"PEER.WRITE", st->key, encoded},
                     [this](Result<resp::RespValue> r) {
                       if (!r.ok() || r->type == resp::RespValue::kError) ++stats_.peer_errors;
                     });
  }
  st->resolved_valid = false;  // repaired once
}

int Coordinator::EffectiveQuorum(int q) const {
  // A cluster of fewer members than N keeps every key on each of them: R
  // and W count against that smaller replica set (a cluster of one answers
  // alone). Members that are down still count, so failures never lower them.
  int n = std::min<int>(replicas_, static_cast<int>(view_->ring().size()));
  return std::max(1, std::min(q, n));
}

Task<Result<RecordRef>> Coordinator::ReadResolved(const std::string& key, int r) {
  ++stats_.reads;
  r = EffectiveQuorum(r);
  auto st = std::make_shared<ReadState>();
  st->key = key;
  st->required = r;
  for (const Placement& p : Placements(KeySlot(key))) st->nodes.emplace_back(p.node);
  size_t n = st->nodes.size();
  st->answered.assign(n, 0);
  st->records.assign(n, nullptr);
  Future<Result<RecordRef>> f = st->promise.GetFuture();
  if (static_cast<int>(n) < r) {
    ++stats_.quorum_failures;
    co_return Status::Unavailable("NOQUORUM read needs " + std::to_string(r) +
                                  " replicas but only " + std::to_string(n) + " are up");
  }
  for (size_t i = 0; i < n; ++i) {
    if (st->nodes[i] == view_->self_id()) {
      auto local = LocalRead(key);
      if (local.ok()) {
        st->records[i] = *local;
        st->answered[i] = 1;
        ++st->ok;
      } else {
        st->answered[i] = -1;
        ++st->failed;
      }
      continue;
    }
    ++stats_.remote_requests;
    transport_->Send(st->nodes[i], {"PEER.READ", key}, [this, st, i](Result<resp::RespValue> rv) {
      if (rv.ok() && rv->type == resp::RespValue::kBulk) {
        auto rec = std::make_shared<Record>();
        if (DecodeRecord(rv->str, rec.get()).ok()) {
          st->records[i] = std::move(rec);
          st->answered[i] = 1;
          ++st->ok;
        } else {
          st->answered[i] = -1;
          ++st->failed;
        }
      } else if (rv.ok() && rv->type == resp::RespValue::kNull) {
        st->answered[i] = 1;
        ++st->ok;
      } else {
        ++stats_.peer_errors;
        st->answered[i] = -1;
        ++st->failed;
      }
      FinishRead(st);
      RepairIfComplete(st);
    });
  }
  FinishRead(st);
  Result<RecordRef> result = co_await f;
  RepairIfComplete(st);
  co_return result;
}

Task<Result<RecordRef>> Coordinator::Read(std::string key, int r) {
  Result<RecordRef> rec = co_await ReadResolved(key, r);
  if (!rec.ok()) co_return rec;
  if (!LiveAt(*rec, clock_->NowMs())) co_return RecordRef();
  co_return rec;
}

// --- quorum write --------------------------------------------------------------

Version Coordinator::SuccessorOf(std::string_view seen_version_bytes) {
  Version seen;
  if (!seen_version_bytes.empty()) (void)DecodeVersion(seen_version_bytes, &seen);
  return MakeSuccessor(seen.clock, view_->self_id(), hlc_.Now(clock_->NowMs()));
}

Task<Status> Coordinator::WriteQuorum(const std::string& key, RecordRef rec, int w) {
  ++stats_.writes;
  w = EffectiveQuorum(w);
  auto st = std::make_shared<WriteState>();
  st->required = w;
  const uint16_t slot = KeySlot(key);
  std::vector<Placement> targets = Placements(slot);
  st->targets = static_cast<int>(targets.size());
  Future<Status> f = st->promise.GetFuture();
  auto decide = [this, st]() {
    if (st->decided) return;
    if (st->local_ok && engine_->commit_failures() != st->failures_at_apply) {
      st->local_ok = false;
      --st->ok;
      ++st->failed;
      st->last_error = "this node's copy was not stored (a storage write failed)";
    }
    if (st->ok >= st->required && !st->primary_pending) {
      st->decided = true;
      st->promise.Set(Status::Ok());
    } else if (st->ok + (st->targets - st->ok - st->failed) < st->required) {
      st->decided = true;
      ++stats_.quorum_failures;
      st->promise.Set(Status::Unavailable(
          "NOQUORUM write acknowledged by " + std::to_string(st->ok) + " of " +
          std::to_string(st->required) + " required replicas (it may still apply later; last " +
          "error: " + st->last_error + ")"));
    }
  };
  if (st->targets < w) {
    ++stats_.quorum_failures;
    co_return Status::Unavailable("NOQUORUM write needs " + std::to_string(w) +
                                  " replicas but only " + std::to_string(st->targets) +
                                  " are up (nothing was written)");
  }
  // DBSIZE, KEYS and SCAN read each slot at its primary alone (Count), so a
  // write is acknowledged only once the primary answered too: W replicas
  // without it would let a client miss its own acknowledged write there.
  // Only writes coordinated elsewhere wait (multi-slot commands, forwards
  // that fell back); a primary that fails to take the write gets a hint.
  st->primary_pending = targets[0].node != view_->self_id();
  std::string encoded = EncodeRecord(*rec);
  StoreHints(slot, key, encoded);
  for (const Placement& p : targets) {
    if (p.node == view_->self_id()) {
      auto applied = ApplyRemote(key, *rec);
      if (applied.ok()) {
        ++st->ok;
        st->local_ok = true;
        st->failures_at_apply = engine_->commit_failures();
      } else {
        ++st->failed;
        st->last_error = applied.status().message();
      }
      continue;
    }
    ++stats_.remote_requests;
    transport_->Send(p.node, {"PEER.WRITE", key, encoded},
                     [this, st, decide, node = std::string(p.node), owner = p.hint_for.empty(), key,
                      rec, primary = &p == &targets[0]](Result<resp::RespValue> r) {
                       if (primary) st->primary_pending = false;
                       if (r.ok() && r->type != resp::RespValue::kError) {
                         ++st->ok;
                       } else {
                         ++stats_.peer_errors;
                         ++st->failed;
                         st->last_error = r.ok() ? r->str : r.status().message();
                         // An intended replica that missed the write (it may
                         // have been seen up just before it went down).
                         if (owner) HintFailedWrite(node, key, *rec);
                       }
                       decide();
                     });
  }
  decide();
  Status s = co_await f;
  co_return s;
}

Task<Status> Coordinator::Write(std::string key, Record rec, int w, StartGate* gate) {
  if (gate && !gate->Admit(clock_->NowMs())) co_return RefusedLate();
  // A blind write descends from what the local replica holds (if any); a
  // concurrent version elsewhere loses or wins by timestamp at read time.
  auto local = LocalRead(key);
  std::string_view seen = local.ok() && *local ? (*local)->version.view() : std::string_view();
  rec.version = EncodeVersion(SuccessorOf(seen));
  rec.tombstone = false;
  Status s = co_await WriteQuorum(key, std::make_shared<Record>(std::move(rec)), w);
  co_return s;
}

Task<Result<bool>> Coordinator::Delete(std::string key, int r, int w, StartGate* gate) {
  bool locked = co_await LockKey(key);
  (void)locked;
  if (gate && !gate->Admit(clock_->NowMs())) {
    UnlockKey(key);
    co_return RefusedLate();
  }
  Result<RecordRef> cur = co_await ReadResolved(key, r);
  if (!cur.ok()) {
    UnlockKey(key);
    co_return cur.status();
  }
  bool existed = LiveAt(*cur, clock_->NowMs());
  if (!*cur || (*cur)->tombstone) {
    UnlockKey(key);
    co_return existed;
  }
  Record tomb;
  tomb.tombstone = true;
  tomb.version = EncodeVersion(SuccessorOf((*cur)->version));
  Status s = co_await WriteQuorum(key, std::make_shared<Record>(std::move(tomb)), w);
  UnlockKey(key);
  if (!s.ok()) co_return s;
  co_return existed;
}

Task<Status> Coordinator::Update(std::string key, FunctionRef<Mutation(const Record*)> fn, int r,
                                 int w, StartGate* gate) {
  bool locked = co_await LockKey(key);
  (void)locked;
  if (gate && !gate->Admit(clock_->NowMs())) {
    UnlockKey(key);
    co_return RefusedLate();
  }
  Result<RecordRef> cur = co_await ReadResolved(key, r);
  if (!cur.ok()) {
    UnlockKey(key);
    co_return cur.status();
  }
  const RecordRef& old = *cur;
  bool live = LiveAt(old, clock_->NowMs());
  Mutation m = fn(live ? old.get() : nullptr);
  std::string_view seen = old ? old->version.view() : std::string_view();
  Status s = Status::Ok();
  if (m.kind == Mutation::Kind::kPut) {
    m.record.version = EncodeVersion(SuccessorOf(seen));
    m.record.tombstone = false;
    s = co_await WriteQuorum(key, std::make_shared<Record>(std::move(m.record)), w);
  } else if (m.kind == Mutation::Kind::kDelete && live) {
    Record tomb;
    tomb.tombstone = true;
    tomb.version = EncodeVersion(SuccessorOf(seen));
    s = co_await WriteQuorum(key, std::make_shared<Record>(std::move(tomb)), w);
  }
  UnlockKey(key);
  co_return s;
}

Future<bool> Coordinator::LockKey(const std::string& key) {
  auto [it, inserted] = key_locks_.try_emplace(key);
  if (inserted) return Future<bool>::Ready(true);
  it->second.emplace_back();
  return it->second.back().GetFuture();
}

void Coordinator::UnlockKey(const std::string& key) {
  unlock_queue_.push_back(key);
  if (unlocking_) return;  // an outer call is handing locks on: it takes this one too
  unlocking_ = true;
  while (!unlock_queue_.empty()) {
    std::string k = std::move(unlock_queue_.front());
    unlock_queue_.pop_front();
    auto it = key_locks_.find(k);
    if (it == key_locks_.end()) continue;
    if (it->second.empty()) {
      key_locks_.erase(it);
      continue;
    }
    Promise<bool> next = std::move(it->second.front());
    it->second.pop_front();
    next.Set(true);  // the lock passes to the next waiter (it runs now)
  }
  unlocking_ = false;
}

// --- whole keyspace -----------------------------------------------------------

namespace {
// Gathers one answer per node; calls `done` when all are in.
struct FanOut {
  int pending = 0;
  Status error;
  Promise<Status> promise;
};
}  // namespace

Task<Result<uint64_t>> Coordinator::Count() {
  // This node decides, from its own view, which node counts each slot (the
  // slot's primary), and tells each which slots are its: while nodes
  // disagree about a failure or a join, no slot is counted twice or missed.
  std::map<std::string, std::string, std::less<>> slots_of;  // node -> slot bitmap
  for (int s = 0; s < storage::kSlots; ++s) {
    std::string_view primary = PrimaryOf(static_cast<uint16_t>(s));
    if (primary.empty()) {
      co_return Status::Unavailable("NOQUORUM no replica of slot " + std::to_string(s) + " is up");
    }
    auto it = slots_of.find(primary);
    if (it == slots_of.end()) {
      it = slots_of.emplace(std::string(primary), std::string(storage::kSlots / 8, '\0')).first;
    }
    it->second[s / 8] =
        static_cast<char>(static_cast<unsigned char>(it->second[s / 8]) | (0x80u >> (s % 8)));
  }
  auto total = std::make_shared<uint64_t>(0);
  auto fan = std::make_shared<FanOut>();
  Future<Status> f = fan->promise.GetFuture();
  for (auto& [node, slots] : slots_of) {
    if (node == view_->self_id()) {
      *total += LocalCount(slots);
      continue;
    }
    ++fan->pending;
    ++stats_.remote_requests;
    transport_->Send(node, {"PEER.COUNT", std::move(slots)},
                     [this, fan, total](Result<resp::RespValue> r) {
                       if (r.ok() && r->type == resp::RespValue::kInteger) {
                         *total += static_cast<uint64_t>(r->integer);
                       } else {
                         ++stats_.peer_errors;
                         fan->error = Status::Unavailable("a node did not answer the count");
                       }
                       if (--fan->pending == 0) fan->promise.Set(fan->error);
                     });
  }
  if (fan->pending == 0) fan->promise.Set(Status::Ok());
  Status s = co_await f;
  if (!s.ok()) co_return s;
  co_return *total;
}

Task<Result<ScanPage>> Coordinator::Scan(std::string from, size_t count) {
  ScanPage page;
  std::string pos = std::move(from);
  // Walk primary runs until `count` keys are gathered or the slots end.
  for (int hops = 0; hops < 4096; ++hops) {
    uint16_t slot = 0;
    std::string_view uk;
    if (!pos.empty() && !storage::ParseDataKey(pos, &slot, &uk)) {
      co_return Status::InvalidArgument("bad scan position");
    }
    std::string primary(PrimaryOf(slot));  // a copy: the ring may be rebuilt while we wait
    ScanPage part;
    size_t want = count > page.keys.size() ? count - page.keys.size() : 1;
    if (primary.empty()) {
      co_return Status::Unavailable("NOQUORUM no replica of slot " + std::to_string(slot) +
                                    " is up");
    } else if (primary == view_->self_id()) {
      Status s = LocalScan(pos, want, &part);
      if (!s.ok()) co_return s;
    } else {
      ++stats_.remote_requests;
      // GCC 12 rejects a braced list inside a co_await expression: build it first.
      std::vector<std::string> req = {"PEER.SCAN", pos, std::to_string(want)};
      Result<resp::RespValue> r = co_await Call(*transport_, primary, std::move(req));
      if (!r.ok() || r->type != resp::RespValue::kArray || r->elems.empty()) {
        ++stats_.peer_errors;
        co_return Status::Unavailable("NOQUORUM the coordinator of slot " + std::to_string(slot) +
                                      " did not answer the scan");
      }
      part.next = r->elems[0].str;
      for (size_t i = 1; i < r->elems.size(); ++i) part.keys.push_back(std::move(r->elems[i].str));
    }
    for (auto& k : part.keys) page.keys.push_back(std::move(k));
    pos = std::move(part.next);
    if (pos.empty() || page.keys.size() >= count) break;
  }
  page.next = std::move(pos);
  co_return page;
}

Task<Result<std::string>> Coordinator::RandomKey() {
  auto local = LocalRandomKey();
  if (local.ok() && !local->empty()) co_return local;
  // Ids copied: a peer failing while we wait rebuilds the ring.
  std::vector<std::string> peers;
  for (const NodeInfo& n : view_->ring().nodes()) {
    if (n.id != view_->self_id()) peers.push_back(n.id);
  }
  for (const std::string& id : peers) {
    if (!view_->IsUp(id)) continue;
    std::vector<std::string> req = {"PEER.RANDOMKEY"};
    Result<resp::RespValue> r = co_await Call(*transport_, id, std::move(req));
    if (r.ok() && r->type == resp::RespValue::kBulk && !r->str.empty()) co_return r->str;
  }
  co_return std::string();
}

Task<Status> Coordinator::FlushAll() {
  Status local = LocalFlushAll();
  if (!local.ok()) co_return local;
  auto fan = std::make_shared<FanOut>();
  Future<Status> f = fan->promise.GetFuture();
  for (const NodeInfo& n : view_->ring().nodes()) {
    if (n.id == view_->self_id()) continue;
    if (!view_->IsUp(n.id)) {
      fan->error = Status::Unavailable("NOQUORUM a node is down; FLUSHALL did not reach it");
      continue;
    }
    ++fan->pending;
    transport_->Send(n.id, {"PEER.FLUSHALL"}, [fan](Result<resp::RespValue> r) {
      if (!r.ok() || r->type == resp::RespValue::kError) {
        fan->error = Status::Unavailable("a node did not confirm FLUSHALL");
      }
      if (--fan->pending == 0) fan->promise.Set(fan->error);
    });
  }
  if (fan->pending == 0) fan->promise.Set(fan->error);
  Status s = co_await f;
  co_return s;
}

// --- the session KeyStore -----------------------------------------------------

Future<Result<RecordRef>> ClusterStore::Read(std::string_view key) {
  return ToFuture(c_->Read(std::string(key), r_));
}
Future<Status> ClusterStore::Write(std::string_view key, Record rec) {
  return ToFuture(c_->Write(std::string(key), std::move(rec), w_, &gate_));
}
Future<Result<bool>> ClusterStore::Delete(std::string_view key) {
  return ToFuture(c_->Delete(std::string(key), r_, w_, &gate_));
}
Future<Status> ClusterStore::Update(std::string_view key, FunctionRef<Mutation(const Record*)> fn) {
  return ToFuture(c_->Update(std::string(key), fn, r_, w_, &gate_));
}
Future<Result<uint64_t>> ClusterStore::Count() { return ToFuture(c_->Count()); }
Future<Result<uint64_t>> ClusterStore::CountWithExpiry() {
  return Future<Result<uint64_t>>::Ready(uint64_t{0});  // not tracked cluster-wide
}
Future<Result<ScanPage>> ClusterStore::Scan(std::string_view from, size_t count) {
  return ToFuture(c_->Scan(std::string(from), count));
}
Future<Result<std::string>> ClusterStore::RandomKey() { return ToFuture(c_->RandomKey()); }
Future<Status> ClusterStore::FlushAll() { return ToFuture(c_->FlushAll()); }
Status ClusterStore::EndTurn() { return Status::Ok(); }
Status ClusterStore::Sync() { return Status::Ok(); }
Result<size_t> ClusterStore::ExpireStep(size_t) { return size_t{0}; }

}  // namespace ringkv::cluster
