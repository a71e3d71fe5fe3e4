// The gossip membership table of one node (Dynamo section 4.8): who is in the
// cluster, where they listen, their weights, and whether this node currently
// believes each of them is up.
//
// Failure detection is local and heartbeat based. Every node bumps its own
// heartbeat on each Tick() and spreads its table to a few random peers; a peer
// whose heartbeat has not advanced for longer than `node_timeout_ms` of this
// node's clock is down in this node's eyes, and up again as soon as it
// advances. No node's opinion of another's health is ever gossiped: only
// heartbeats are, so each node judges for itself.
//
// Removal is by tombstone. Forget(id) (CLUSTER FORGET, or CLUSTER LEAVE on the
// leaving node itself) marks the entry kLeft for `forget_ttl_ms`; the left flag
// travels with gossip together with its remaining lifetime, so every node drops
// the entry and none re-adds it from stale gossip; after the TTL the tombstone
// disappears everywhere at about the same time.
//
// Pure: time comes from the Clock, randomness from the caller's generator, and
// gossip is bytes in and out. Not thread-safe: owned by the loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/clock.h"
#include "storage/status.h"

namespace ringkv::cluster {

struct Member {
  enum class State {
    kUp,
    kSuspect,  // a connection to it failed; not up until its heartbeat advances
    kDown,     // its heartbeat has not advanced for node_timeout_ms
    kLeft,     // forgotten or left: a tombstone, not a member
  };

  std::string id;    // 40 lowercase hex characters (NewNodeId)
  std::string host;  // 1..255 printable non-space ASCII characters
  int port = 0;      // 0..65535
  int weight = 1;    // 1..64 (the ring's limit)
  uint64_t heartbeat = 0;
  State state = State::kUp;
  int64_t last_heard_ms = 0;  // local time the heartbeat last advanced (or we were told of it)
};

class Membership {
 public:
  static constexpr int64_t kDefaultForgetTtlMs = 60'000;
  // Most entries one gossip message may carry (the ring's node limit).
  static constexpr size_t kMaxGossipEntries = 65535;

  // `self` must pass ValidateMember; its state and last_heard_ms are ignored.
  // `clock` must outlive this object.
  Membership(Member self, const Clock& clock, int64_t node_timeout_ms,
             int64_t forget_ttl_ms = kDefaultForgetTtlMs);
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Ok if `m` has a well-formed id, host, port and weight (the ranges on Member).
  static storage::Status ValidateMember(const Member& m);

  // 40 lowercase hex characters drawn from `rng`.
  static std::string NewNodeId(std::mt19937_64& rng);

  const std::string& self_id() const { return self_id_; }

  // Called every gossip interval: bumps our own heartbeat, marks peers whose
  // heartbeat has not advanced for more than node_timeout_ms kDown, and drops
  // tombstones older than their TTL.
  void Tick();

  // The whole table (our own entry, every peer and every tombstone) as bytes
  // for a gossip message.
  std::string EncodeGossip() const;

  // Merges a peer's EncodeGossip() output. Per entry: our own entry is never
  // changed by a peer (except that if the peer has seen a heartbeat of ours
  // higher than our current one, e.g. from before a restart, ours jumps past
  // it, or every peer would ignore us until we caught up); a tombstone of ours blocks the entry
  // until it expires; a left flag turns the entry into a tombstone with the sender's remaining TTL;
  // an unknown node is added as up; a known one takes the entry's host, port and weight and becomes
  // up if the heartbeat is higher than ours, and is left alone otherwise. Malformed bytes return
  // Corruption and change nothing (the whole message is decoded before any of it is applied).
  storage::Status MergeGossip(std::string_view bytes);

  // From PEER.HELLO or CLUSTER MEET, once the peer's id is known: adds the
  // node, or updates its host, port and weight. Direct contact counts as
  // hearing from it: it becomes up and last heard now; its heartbeat becomes
  // the higher of ours and `m.heartbeat`. InvalidArgument for a malformed
  // member, our own id, or an id forgotten less than forget_ttl_ms ago.
  storage::Status AddOrUpdate(const Member& m);

  // A connection to `id` failed: an up peer becomes kSuspect at once (not up)
  // until its heartbeat advances. No effect on down, left, unknown or our own id.
  void MarkSuspect(const std::string& id);

  // Marks `id` kLeft: it stops being a member, and for forget_ttl_ms neither
  // gossip nor AddOrUpdate brings it back. Forgetting our own id means we are
  // leaving (CLUSTER LEAVE): our gossip then tells the others to drop us.
  // Returns false if `id` is unknown or already left.
  bool Forget(const std::string& id);

  // True if `id` is a member in state kUp (our own id is up unless left).
  bool IsUp(const std::string& id) const;

  // Any entry, tombstones included; nullopt if unknown.
  std::optional<Member> Get(const std::string& id) const;

  // Every member, ourselves included and tombstones excluded, sorted by id.
  std::vector<Member> Members() const;

  // Starts at 1 and advances (by one per call that changed them) whenever the set of members,
  // a member's weight, host or port, or whether a member is up changes: the
  // owner rebuilds its ring when it moves. Heartbeats alone and kSuspect <->
  // kDown do not move it.
  uint64_t epoch() const { return epoch_; }

  // Up to `k` distinct peers to send gossip to (never ourselves nor a
  // tombstone): random up peers, and, with probability down/(up+1) (certainly
  // when no peer is up), one random peer that is down or suspect, so a
  // recovered node hears from us without waiting for it to find us.
  std::vector<std::string> PickGossipTargets(std::mt19937_64& rng, size_t k) const;

 private:
  struct Entry {
    Member member;
    int64_t tombstone_expiry_ms = 0;  // kLeft only: local time the tombstone is dropped
  };

  // Makes `e` a tombstone that expires at `expiry_ms`; true if it was a member.
  bool Bury(Entry& e, int64_t expiry_ms);

  const Clock& clock_;
  const int64_t node_timeout_ms_;
  const int64_t forget_ttl_ms_;
  std::string self_id_;
  std::map<std::string, Entry, std::less<>> entries_;  // by id; our own entry included
  uint64_t epoch_ = 1;
};

}  // namespace ringkv::cluster
