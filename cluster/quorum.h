// Quorum arithmetic (Dynamo section 4.5), as pure values: how many replicas
// a read (R) or a write (W) waits for out of N, and the counting for one
// in-flight request. Nothing here sends, waits or reads a clock: the
// coordinator feeds in replies and deadlines and acts on the state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace ringkv::cluster {

// A majority of n replicas: n/2 + 1. Two majorities always share a replica.
inline int Majority(int n) { return n / 2 + 1; }

struct QuorumSizes {
  int r = 1;  // replies a read waits for
  int w = 1;  // acknowledgements a write waits for
  // R + W > N: every read quorum meets every write quorum, so a read sees the
  // latest acknowledged write.
  bool ReadYourWrites(int n) const { return r + w > n; }
};

// OK iff 1 <= n and 1 <= r, w <= n; otherwise InvalidArgument saying which.
storage::Status ValidateQuorum(int n, int r, int w);

// A connection's or the config's consistency: ONE, QUORUM and ALL follow N
// (QUORUM is a majority of whatever N is), explicit sizes do not.
class ConsistencyLevel {
 public:
  enum class Kind { kOne, kQuorum, kAll, kExplicit };

  static ConsistencyLevel One() { return ConsistencyLevel(Kind::kOne, 0, 0); }
  static ConsistencyLevel Quorum() { return ConsistencyLevel(Kind::kQuorum, 0, 0); }
  static ConsistencyLevel All() { return ConsistencyLevel(Kind::kAll, 0, 0); }
  // Not validated here: Sizes(n) does that against the N in force.
  static ConsistencyLevel Explicit(int r, int w) { return ConsistencyLevel(Kind::kExplicit, r, w); }

  // The arguments of CONSISTENCY after the command name, any case:
  //   ONE | QUORUM | ALL | R <r> W <w> | W <w> R <r>
  // validated against `n` (the replicas in force). InvalidArgument with a
  // message fit for the client otherwise.
  static storage::Result<ConsistencyLevel> Parse(std::span<const std::string_view> args, int n);

  // The R and W this level means with n replicas; InvalidArgument if n < 1
  // or explicit sizes do not fit in n.
  storage::Result<QuorumSizes> Sizes(int n) const;

  Kind kind() const { return kind_; }
  // "ONE", "QUORUM", "ALL" or "R 2 W 2": what Parse reads back.
  std::string ToString() const;
  bool operator==(const ConsistencyLevel&) const = default;

 private:
  ConsistencyLevel(Kind kind, int r, int w) : kind_(kind), r_(r), w_(w) {}
  Kind kind_;
  int r_;
  int w_;
};

// Counts the replies to one request sent to a fixed set of replicas (the
// preference list, or its sloppy-quorum stand-ins), of which `required` must
// succeed: R for a read, W for a write.
//
//   kPending:   neither of the below yet.
//   kSucceeded: at least `required` replicas acknowledged.
//   kFailed:    acks plus the replicas still to answer are fewer than
//               `required`: success is no longer possible.
// Both end states are final: later replies are still recorded (a read keeps
// collecting for read repair) but cannot change the state.
//
// Each replica's first reply is the one that counts; a repeated reply, or a
// reply from a node that is not a target, changes nothing. One tracker
// belongs to one request on the loop thread.
class QuorumTracker {
 public:
  enum class State { kPending, kSucceeded, kFailed };
  enum class Reply : uint8_t { kNone, kAck, kFailure };

  // `targets` are distinct node ids (copied); `required` >= 1. With
  // required > targets.size() the request has failed from the start.
  QuorumTracker(std::span<const std::string_view> targets, int required);
  QuorumTracker(const QuorumTracker&) = delete;
  QuorumTracker& operator=(const QuorumTracker&) = delete;

  State Ack(std::string_view node) { return Record(node, Reply::kAck); }
  State Fail(std::string_view node) { return Record(node, Reply::kFailure); }
  // The deadline passed: every target that has not answered counts as failed.
  State FailPending();

  State state() const;
  int required() const { return required_; }
  int targets() const { return static_cast<int>(targets_.size()); }
  int acks() const { return acks_; }
  int failures() const { return failures_; }
  int pending() const { return targets() - acks_ - failures_; }
  bool complete() const { return pending() == 0; }  // every target answered
  Reply reply(std::string_view node) const;         // kNone also for non-targets

 private:
  State Record(std::string_view node, Reply r);

  std::vector<std::string> targets_;
  std::vector<Reply> replies_;  // parallel to targets_
  int required_;
  int acks_ = 0;
  int failures_ = 0;
};

const char* StateName(QuorumTracker::State s);

}  // namespace ringkv::cluster
