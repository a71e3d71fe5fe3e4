#include "cluster/ring.h"

#include <algorithm>
#include <string>
#include <utility>

#include "storage/hash.h"
#include "storage/record.h"

namespace ringkv::cluster {
namespace {

using storage::Mix64;
using storage::Result;
using storage::Status;

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

// FNV-1a: folds the id into a 64-bit seed. On its own its low bits mix
// poorly, which is why the seed only starts a sequence that Mix64 finishes.
uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

bool IsNodeId(std::string_view id) {
  return id.size() == 40 && std::all_of(id.begin(), id.end(), IsLowerHex);
}

// Token i of a node is the i-th step of a SplitMix64 sequence seeded by the
// hash of its id. It depends on nothing but (id, i): that is what lets every
// node agree on the ring from the membership list, and what makes a weight
// change keep the node's first tokens.
uint64_t Ring::TokenPoint(std::string_view id, uint32_t index) {
  return Mix64(Fnv1a64(id) + (uint64_t{index} + 1) * kGolden);
}

Result<Ring> Ring::Build(std::vector<NodeInfo> nodes, int vnodes) {
  if (nodes.empty()) return Status::InvalidArgument("a ring needs at least one node");
  if (nodes.size() > kMaxRingNodes) return Status::InvalidArgument("too many nodes for one ring");
  if (vnodes < 1 || vnodes > kMaxVnodes) {
    return Status::InvalidArgument("vnodes must be between 1 and " + std::to_string(kMaxVnodes));
  }
  size_t total = 0;
  for (const NodeInfo& n : nodes) {
    if (!IsNodeId(n.id)) {
      return Status::InvalidArgument("invalid node id '" + n.id +
                                     "' (want 40 lowercase hex chars)");
    }
    if (n.weight < 1 || n.weight > kMaxWeight) {
      return Status::InvalidArgument("node " + n.id + ": weight must be between 1 and " +
                                     std::to_string(kMaxWeight));
    }
    total += static_cast<size_t>(n.weight) * static_cast<size_t>(vnodes);
  }
  if (total > kMaxRingTokens) return Status::InvalidArgument("too many tokens for one ring");

  // Sorting by id is what makes the result independent of the input order:
  // node indices, and with them the tie-break between equal token points,
  // depend only on the ids.
  std::sort(nodes.begin(), nodes.end(),
            [](const NodeInfo& a, const NodeInfo& b) { return a.id < b.id; });
  for (size_t i = 1; i < nodes.size(); ++i) {
    if (nodes[i].id == nodes[i - 1].id) {
      return Status::InvalidArgument("duplicate node id " + nodes[i].id);
    }
  }

  Ring ring;
  ring.vnodes_ = vnodes;
  ring.nodes_ = std::move(nodes);
  ring.tokens_.reserve(total);
  for (size_t n = 0; n < ring.nodes_.size(); ++n) {
    const NodeInfo& info = ring.nodes_[n];
    const auto count = static_cast<uint32_t>(info.weight * vnodes);
    for (uint32_t i = 0; i < count; ++i) {
      ring.tokens_.push_back({TokenPoint(info.id, i), static_cast<NodeIndex>(n)});
    }
  }
  std::sort(ring.tokens_.begin(), ring.tokens_.end(), [](const Token& a, const Token& b) {
    return a.point != b.point ? a.point < b.point : a.node < b.node;
  });

  // Slot points ascend with the slot, so one merge-like sweep finds every
  // slot's first token; slots past the last token wrap to token 0.
  ring.first_.resize(storage::kSlots);
  size_t t = 0;
  for (int s = 0; s < storage::kSlots; ++s) {
    const uint64_t p = SlotPoint(static_cast<uint16_t>(s));
    while (t < ring.tokens_.size() && ring.tokens_[t].point < p) ++t;
    ring.first_[s] = static_cast<uint32_t>(t == ring.tokens_.size() ? 0 : t);
  }

  // The table holds the first few distinct nodes of each slot's walk, which
  // covers every preference list in practice (N is 3 or 5); deeper walks
  // (sloppy quorum with many nodes down) go back to the tokens.
  ring.depth_ = std::min(ring.nodes_.size(), kTableDepth);
  ring.table_.resize(static_cast<size_t>(storage::kSlots) * ring.depth_);
  for (int s = 0; s < storage::kSlots; ++s) {
    NodeIndex* row = &ring.table_[static_cast<size_t>(s) * ring.depth_];
    size_t filled = 0;
    for (size_t step = 0, i = ring.first_[s]; filled < ring.depth_ && step < ring.tokens_.size();
         ++step, i = (i + 1 == ring.tokens_.size() ? 0 : i + 1)) {
      const NodeIndex node = ring.tokens_[i].node;
      if (std::find(row, row + filled, node) == row + filled) row[filled++] = node;
    }
  }
  return ring;
}

template <class Visit>
void Ring::Walk(uint16_t slot, Visit&& visit) const {
  const NodeIndex* row = &table_[static_cast<size_t>(slot) * depth_];
  for (size_t i = 0; i < depth_; ++i) {
    if (!visit(row[i])) return;
  }
  if (depth_ == nodes_.size()) return;
  // Past the table: redo the walk over the tokens, skipping the nodes the
  // table already gave (they are the first depth_ distinct ones met).
  std::vector<bool> seen(nodes_.size(), false);
  size_t distinct = 0;
  for (size_t step = 0, i = first_[slot]; step < tokens_.size() && distinct < nodes_.size();
       ++step, i = (i + 1 == tokens_.size() ? 0 : i + 1)) {
    const NodeIndex node = tokens_[i].node;
    if (seen[node]) continue;
    seen[node] = true;
    if (distinct++ < depth_) continue;
    if (!visit(node)) return;
  }
}

bool Ring::Contains(std::string_view id) const {
  auto it = std::lower_bound(nodes_.begin(), nodes_.end(), id,
                             [](const NodeInfo& n, std::string_view v) { return n.id < v; });
  return it != nodes_.end() && it->id == id;
}

std::vector<std::string_view> Ring::PreferenceList(uint16_t slot, int n) const {
  std::vector<std::string_view> out;
  if (n < 1 || slot >= storage::kSlots) return out;
  const size_t want = std::min(static_cast<size_t>(n), nodes_.size());
  out.reserve(want);
  Walk(slot, [&](NodeIndex node) {
    out.push_back(nodes_[node].id);
    return out.size() < want;
  });
  return out;
}

std::string_view Ring::Coordinator(uint16_t slot) const {
  if (slot >= storage::kSlots) return {};
  return nodes_[table_[static_cast<size_t>(slot) * depth_]].id;
}

std::vector<Placement> Ring::PreferenceList(uint16_t slot, int n,
                                            FunctionRef<bool(std::string_view)> is_up) const {
  std::vector<Placement> out;
  if (n < 1 || slot >= storage::kSlots) return out;
  const size_t want = std::min(static_cast<size_t>(n), nodes_.size());
  out.reserve(want);
  // Down owners, in ring order, waiting for a stand-in. There can never be
  // more stand-ins than down owners: a stand-in is only taken while fewer than
  // `want` nodes are chosen, i.e. while some owner is still uncovered.
  std::vector<std::string_view> down;
  size_t next_down = 0;
  size_t position = 0;
  Walk(slot, [&](NodeIndex node) {
    const std::string_view id = nodes_[node].id;
    const bool owner = position++ < want;
    if (!is_up(id)) {
      if (owner) down.push_back(id);
      return true;
    }
    if (owner) {
      out.push_back({id, {}});
    } else {
      out.push_back({id, down[next_down++]});
    }
    return out.size() < want;
  });
  return out;
}

std::vector<NodeSlots> Ring::CountSlots(int n) const {
  std::vector<NodeSlots> out(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    out[i].id = nodes_[i].id;
    out[i].weight = nodes_[i].weight;
  }
  const size_t want = n < 1 ? 0 : std::min(static_cast<size_t>(n), nodes_.size());
  for (int s = 0; s < storage::kSlots; ++s) {
    const auto slot = static_cast<uint16_t>(s);
    ++out[table_[static_cast<size_t>(s) * depth_]].primary;
    size_t taken = 0;
    if (want == 0) continue;
    Walk(slot, [&](NodeIndex node) {
      ++out[node].replica;
      return ++taken < want;
    });
  }
  return out;
}

}  // namespace ringkv::cluster
