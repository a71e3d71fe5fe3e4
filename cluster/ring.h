// The consistent-hash ring (Dynamo section 4.2) over Redis Cluster's 16384
// hash slots.
//
// Every node owns `vnodes * weight` tokens: points on a 2^64 circle derived
// from a hash of (node id, token index) alone, so every node that knows the
// same membership computes the same ring, whatever order it learned it in.
// Slot s sits at the middle of its 2^50-wide arc, (s << 50) + 2^49; it belongs
// to the first token at or after that point, and its preference list is the
// first N distinct nodes met walking clockwise from there.
//
// Consequences the rest of the cluster relies on:
// - A node that joins only takes slots (primary or replica) from others; a
//   node that leaves only gives its own away. No slot ever moves between two
//   nodes that stay.
// - Raising a node's weight keeps its existing tokens and adds more, so it too
//   only moves slots towards that node.
// - The token hash below is part of the cluster's protocol: changing it moves
//   every slot of every cluster.
//
// A Ring is immutable once built and safe to read from any thread; membership
// changes build a new one. Node ids returned as string_view borrow from the
// Ring and live as long as it does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/function_ref.h"
#include "storage/status.h"

namespace ringkv::cluster {

inline constexpr int kDefaultVnodes = 256;
inline constexpr int kMaxVnodes = 4096;
inline constexpr int kMaxWeight = 64;
inline constexpr size_t kMaxRingNodes = 65535;             // node indices are 16-bit
inline constexpr size_t kMaxRingTokens = size_t{1} << 22;  // bounds Build's memory

// Redis Cluster's node id form: exactly 40 lowercase hex characters.
bool IsNodeId(std::string_view id);

struct NodeInfo {
  std::string id;  // IsNodeId
  int weight = 1;  // 1..kMaxWeight; a node with weight 2 owns twice the tokens
};

// One replica of a sloppy-quorum preference list.
struct Placement {
  std::string_view node;      // the healthy node to send to
  std::string_view hint_for;  // empty: `node` is an intended owner; else the down
                              // owner whose copy `node` keeps as a hint
};

// How much of the ring one node holds.
struct NodeSlots {
  std::string_view id;
  int weight = 0;
  int primary = 0;  // slots it coordinates (first of the preference list)
  int replica = 0;  // slots whose preference list of size n includes it
};

class Ring {
 public:
  // Builds the ring of `nodes` (any order) with `vnodes` tokens per unit of
  // weight. Fails with InvalidArgument on: no nodes, a malformed or duplicate
  // id, weight outside 1..kMaxWeight, vnodes outside 1..kMaxVnodes, more than
  // kMaxRingNodes nodes or kMaxRingTokens tokens. Cost: sorting the tokens plus
  // one walk per slot (a few ms for tens of nodes at 256 vnodes).
  static storage::Result<Ring> Build(std::vector<NodeInfo> nodes, int vnodes = kDefaultVnodes);

  Ring(Ring&&) = default;
  Ring& operator=(Ring&&) = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // The members, sorted by id.
  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }
  int vnodes() const { return vnodes_; }
  size_t token_count() const { return tokens_.size(); }
  bool Contains(std::string_view id) const;

  // The first min(n, size()) distinct nodes clockwise from `slot`: the
  // intended owners of its N replicas, coordinator first. Empty if n < 1 or
  // slot >= 16384. Served from a table built by Build when n <= 16.
  std::vector<std::string_view> PreferenceList(uint16_t slot, int n) const;

  // The slot's coordinator: the first node of its preference list. Empty if
  // slot >= 16384.
  std::string_view Coordinator(uint16_t slot) const;

  // Sloppy quorum: the first n nodes clockwise from `slot` for which
  // `is_up(id)` holds, in ring order. An intended owner (one of the first n
  // distinct nodes) that is up stands for itself; each healthy node beyond
  // the first n stands in for the next down owner, in ring order, and says so
  // in hint_for (hinted handoff). Fewer than n entries if fewer than n nodes
  // are up. `is_up` is called at most once per node, and only during the call.
  std::vector<Placement> PreferenceList(uint16_t slot, int n,
                                        FunctionRef<bool(std::string_view)> is_up) const;

  // Per node (in nodes() order): slots it coordinates, and slots whose
  // preference list of size n includes it. Walks all 16384 slots.
  std::vector<NodeSlots> CountSlots(int n) const;

  // The ring's geometry, exposed for tests and for CLUSTER commands.
  static uint64_t TokenPoint(std::string_view id, uint32_t index);
  static uint64_t SlotPoint(uint16_t slot) { return (uint64_t{slot} << 50) | (uint64_t{1} << 49); }

 private:
  using NodeIndex = uint16_t;
  struct Token {
    uint64_t point;
    NodeIndex node;
  };
  static constexpr size_t kTableDepth = 16;

  Ring() = default;
  // Calls visit(node) for each distinct node clockwise from `slot` until it
  // returns false or every node was visited.
  template <class Visit>
  void Walk(uint16_t slot, Visit&& visit) const;

  std::vector<NodeInfo> nodes_;   // sorted by id; a NodeIndex indexes it
  std::vector<Token> tokens_;     // sorted by (point, node)
  std::vector<uint32_t> first_;   // slot -> index of its first token
  size_t depth_ = 0;              // min(size(), kTableDepth)
  std::vector<NodeIndex> table_;  // slot * depth_ + i -> i-th distinct node
  int vnodes_ = 0;
};

}  // namespace ringkv::cluster
