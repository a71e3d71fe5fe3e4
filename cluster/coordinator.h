// The Dynamo coordinator: the cluster's KeyStore logic.
//
// Every key lives on the N nodes of its slot's preference list. A read asks
// every up replica, answers after R of them with the resolved newest version
// (descendants win; concurrent siblings resolve last-write-wins on (HLC
// timestamp, writer) with merged clocks), and repairs, in the background,
// every replica that answered with anything older (read repair). A write
// makes a new version (the successor of the clock it read; for a blind write
// the local replica's clock) and completes after W replicas acknowledged
// and the slot's primary answered (DBSIZE and SCAN count at the primary).
// Read-modify-write runs R-read, the function, W-write, one at a time per key
// on this coordinator. Deletes write versioned tombstones.
//
// Also the replica side: LocalRead/ApplyRemote serve PEER.READ/PEER.WRITE.
// Loop thread only. Borrows everything it is given.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cluster/clock.h"
#include "cluster/keystore.h"
#include "cluster/ring.h"
#include "cluster/transport.h"
#include "cluster/version.h"
#include "storage/engine.h"

namespace ringkv::cluster {

// The cluster as this node sees it right now.
class ClusterView {
 public:
  virtual ~ClusterView() = default;
  virtual const std::string& self_id() const = 0;
  // The current ring (never null once the node started in cluster mode).
  virtual const Ring& ring() const = 0;
  virtual bool IsUp(std::string_view node_id) const = 0;
};

struct CoordinatorStats {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t remote_requests = 0;
  uint64_t peer_errors = 0;
  uint64_t read_repairs = 0;        // PEER.WRITEs (or local applies) sent to stale replicas
  uint64_t conflicts_resolved = 0;  // reads that found concurrent siblings
  uint64_t quorum_failures = 0;     // reads or writes that could not reach R / W
  uint64_t remote_applies = 0;      // PEER.WRITEs applied here
  uint64_t stale_applies = 0;       // PEER.WRITEs that were older than what we had
  uint64_t hints_stored = 0;        // writes kept here for a replica that was down
  uint64_t hints_delivered = 0;     // of those, handed to the replica once it was up
};

// The start deadline of a command another node forwarded here to coordinate
// (PEER.EXEC). The sender waits only so long for the answer and then decides
// alone what to do with the command, so its first change here must not be
// made after `start_by_ms`. Checked when a change is about to be made (for a
// read-modify-write, once it holds the key's lock); once one change went
// ahead, the command runs to its end.
struct StartGate {
  int64_t start_by_ms = 0;  // unix ms; 0: no deadline
  bool started = false;
  bool refused = false;  // a change was refused: the command made none

  // Whether a change may be made at `now_ms`.
  bool Admit(int64_t now_ms) {
    if (start_by_ms == 0 || started) return true;
    if (refused || now_ms > start_by_ms) {  // refused stays refused (a clock may step back)
      refused = true;
      return false;
    }
    started = true;
    return true;
  }
};

class Coordinator {
 public:
  Coordinator(storage::Engine* engine, const Clock* clock, Transport* transport,
              const ClusterView* view, int replicas);
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  int replicas() const { return replicas_; }
  void set_replicas(int n) { replicas_ = n; }
  const CoordinatorStats& stats() const { return stats_; }
  KeyObserver* observer = nullptr;  // told of every local change (WATCH)

  // --- client side, with explicit quorum sizes ---
  Task<Result<RecordRef>> Read(std::string key, int r);
  // A `gate` (may be null) can refuse the change (Unavailable, nothing done).
  Task<Status> Write(std::string key, Record rec, int w, StartGate* gate = nullptr);
  Task<Result<bool>> Delete(std::string key, int r, int w, StartGate* gate = nullptr);
  Task<Status> Update(std::string key, FunctionRef<Mutation(const Record*)> fn, int r, int w,
                      StartGate* gate = nullptr);
  Task<Result<uint64_t>> Count();
  Task<Result<ScanPage>> Scan(std::string from, size_t count);
  Task<Result<std::string>> RandomKey();
  Task<Status> FlushAll();

  // --- replica side (PEER.* handlers and the local replica) ---
  // The stored record, tombstones and expired ones included; nullptr if none.
  Result<RecordRef> LocalRead(std::string_view key);
  // Stores `incoming` unless what is stored already descends from it; two
  // concurrent versions are resolved (and the conflict counted). Returns
  // whether the stored record changed.
  Result<bool> ApplyRemote(std::string_view key, const Record& incoming);
  // Keys in the slots set in `slots`, a bitmap of all slots (slot 0 is the
  // high bit of the first byte); 0 if it is not 2048 bytes.
  uint64_t LocalCount(std::string_view slots) const;
  // One page of this node's primary run starting at `from` (see .cc).
  Status LocalScan(std::string_view from, size_t count, ScanPage* page);
  Result<std::string> LocalRandomKey();
  Status LocalFlushAll();

  // The first up node of the slot's preference list (the coordinator of the
  // slot as this node sees it); empty if no replica is up.
  std::string_view PrimaryOf(uint16_t slot) const;

  // Hinted handoff (handoff.cc). A write whose intended replica is down is
  // kept here as a hint for it; each call hands a batch of hints to every
  // replica that is up again (PEER.WRITE: it keeps whichever version is
  // newer) and deletes those it acknowledged. Called every gossip round.
  void HandoffTick();
  // Hints not yet delivered, for every node.
  Result<uint64_t> PendingHints(std::map<std::string, uint64_t>* by_node = nullptr) {
    return engine_->CountHints(by_node);
  }
  // `node` left the cluster: its hints can never be delivered.
  Result<uint64_t> DropHints(const std::string& node) { return engine_->DropHints(node); }

 private:
  struct ReadState;
  struct WriteState;

  // Quorum read: resolved record (tombstones/expired included) or nullptr.
  Task<Result<RecordRef>> ReadResolved(const std::string& key, int r);
  Task<Status> WriteQuorum(const std::string& key, RecordRef rec, int w);
  void FinishRead(const std::shared_ptr<ReadState>& st);
  void RepairIfComplete(const std::shared_ptr<ReadState>& st);
  Version SuccessorOf(std::string_view seen_version_bytes);
  std::vector<Placement> Placements(uint16_t slot) const;
  int EffectiveQuorum(int q) const;
  // Keeps `encoded` as a hint for each intended replica of `key` (in `slot`)
  // that is down.
  void StoreHints(uint16_t slot, const std::string& key, const std::string& encoded);
  // `node`, an intended replica, did not take `rec`: keeps it as a hint
  // unless the hint already kept for (node, key) is as new (a later write's).
  void HintFailedWrite(const std::string& node, const std::string& key, const Record& rec);
  // What a replica holding `cur` keeps when `incoming` arrives: nullopt if
  // `incoming` is not newer; the merge if the two are concurrent (*conflict).
  static std::optional<Record> Newer(const Record& cur, const Record& incoming, bool* conflict);
  void HandOff(const std::string& node, std::vector<std::pair<std::string, std::string>> hints);

  // Per-key serialization of read-modify-writes.
  Future<bool> LockKey(const std::string& key);
  void UnlockKey(const std::string& key);

  storage::Engine* engine_;
  const Clock* clock_;
  Transport* transport_;
  const ClusterView* view_;
  int replicas_;
  HybridClock hlc_;
  CoordinatorStats stats_;
  std::unordered_map<std::string, std::deque<Promise<bool>>> key_locks_;
  // UnlockKey hands a lock on by resuming the next waiter, which may finish
  // and unlock in turn: those unlocks queue here and the outermost call runs
  // them, so thousands of waiters that fail at once do not nest on the stack.
  std::deque<std::string> unlock_queue_;
  bool unlocking_ = false;
  std::unordered_set<std::string> handing_off_;  // nodes with a batch of hints in flight
};

// The KeyStore a client session uses: the coordinator with that session's
// R and W (CONSISTENCY). Cheap; one per connection.
class ClusterStore : public KeyStore {
 public:
  ClusterStore(Coordinator* c, int r, int w) : c_(c), r_(r), w_(w) {}
  void set_quorum(int r, int w) {
    r_ = r;
    w_ = w;
  }
  int read_quorum() const { return r_; }
  int write_quorum() const { return w_; }
  // The session runs one command forwarded by another node (PEER.EXEC),
  // which must make its first change by `ms` (StartGate).
  void set_start_by(int64_t ms) { gate_ = StartGate{ms}; }
  // The command made no change: it was refused at its deadline.
  bool refused_late() const { return gate_.refused; }

  Future<Result<RecordRef>> Read(std::string_view key) override;
  Future<Status> Write(std::string_view key, Record rec) override;
  Future<Result<bool>> Delete(std::string_view key) override;
  Future<Status> Update(std::string_view key, FunctionRef<Mutation(const Record*)> fn) override;
  Future<Result<uint64_t>> Count() override;
  Future<Result<uint64_t>> CountWithExpiry() override;
  Future<Result<ScanPage>> Scan(std::string_view from, size_t count) override;
  Future<Result<std::string>> RandomKey() override;
  Future<Status> FlushAll() override;
  Status EndTurn() override;
  Status Sync() override;
  Result<size_t> ExpireStep(size_t max_keys) override;

 private:
  Coordinator* c_;
  int r_;
  int w_;
  StartGate gate_;
};

// Runs `t` and hands its result to a Future (ready at once if `t` finishes
// without suspending).
template <class T>
Future<T> ToFuture(Task<T> t);

namespace detail {
template <class T>
Detached RunInto(Task<T> t, Promise<T> p) {
  T v = co_await t;
  p.Set(std::move(v));
}
}  // namespace detail

template <class T>
Future<T> ToFuture(Task<T> t) {
  Promise<T> p;
  Future<T> f = p.GetFuture();
  detail::RunInto(std::move(t), p);
  return f;
}

}  // namespace ringkv::cluster
