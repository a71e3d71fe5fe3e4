#include "cluster/ring.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "storage/record.h"

namespace ringkv::cluster {
namespace {

using storage::kSlots;

// A node id made from a number, the way tests name nodes.
std::string Id(uint64_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::mt19937_64 rng(n * 7919 + 17);
  std::string id;
  while (id.size() < 40) id.push_back(kHex[rng() & 0xf]);
  return id;
}

std::vector<NodeInfo> Members(int count, uint64_t first = 1) {
  std::vector<NodeInfo> out;
  for (int i = 0; i < count; ++i) out.push_back({Id(first + static_cast<uint64_t>(i)), 1});
  return out;
}

Ring MustBuild(std::vector<NodeInfo> nodes, int vnodes = kDefaultVnodes) {
  auto r = Ring::Build(std::move(nodes), vnodes);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::vector<std::string> Owned(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

// An independent reading of the ring's definition: every token, sorted, and a
// linear walk from the first token at or after the slot's point. Shares no
// code with Ring beyond the two published geometry functions.
std::vector<std::string> ReferencePreferenceList(const std::vector<NodeInfo>& nodes, int vnodes,
                                                 uint16_t slot, size_t n) {
  std::vector<std::pair<uint64_t, std::string>> tokens;
  for (const NodeInfo& node : nodes) {
    for (int i = 0; i < vnodes * node.weight; ++i) {
      tokens.emplace_back(Ring::TokenPoint(node.id, static_cast<uint32_t>(i)), node.id);
    }
  }
  std::sort(tokens.begin(), tokens.end());
  const uint64_t p = Ring::SlotPoint(slot);
  size_t start = 0;
  while (start < tokens.size() && tokens[start].first < p) ++start;
  std::vector<std::string> out;
  for (size_t k = 0; k < tokens.size() && out.size() < n; ++k) {
    const std::string& id = tokens[(start + k) % tokens.size()].second;
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

// share / expected share, per node.
std::vector<double> PrimaryRatios(const Ring& ring) {
  int total_weight = 0;
  for (const NodeInfo& n : ring.nodes()) total_weight += n.weight;
  std::vector<double> out;
  for (const NodeSlots& s : ring.CountSlots(1)) {
    out.push_back((static_cast<double>(s.primary) / kSlots) /
                  (static_cast<double>(s.weight) / total_weight));
  }
  return out;
}

std::vector<double> ReplicaRatios(const Ring& ring, int n) {
  const double expected =
      static_cast<double>(std::min<size_t>(static_cast<size_t>(n), ring.size())) / ring.size();
  std::vector<double> out;
  for (const NodeSlots& s : ring.CountSlots(n)) {
    out.push_back((static_cast<double>(s.replica) / kSlots) / expected);
  }
  return out;
}

void RequireWithin(const std::vector<double>& ratios, double tolerance) {
  for (double r : ratios) {
    INFO("ratio to an even share: " << r);
    CHECK(r >= 1.0 - tolerance);
    CHECK(r <= 1.0 + tolerance);
  }
}

TEST_CASE("Ring: node ids are 40 lowercase hex chars", "[ring]") {
  CHECK(IsNodeId(Id(1)));
  CHECK(IsNodeId(std::string(40, '0')));
  CHECK_FALSE(IsNodeId(std::string(39, 'a')));
  CHECK_FALSE(IsNodeId(std::string(41, 'a')));
  CHECK_FALSE(IsNodeId(std::string(40, 'A')));
  CHECK_FALSE(IsNodeId(std::string(39, 'a') + "g"));
  CHECK_FALSE(IsNodeId(""));
}

TEST_CASE("Ring: Build rejects bad membership", "[ring]") {
  CHECK_FALSE(Ring::Build({}).ok());
  CHECK_FALSE(Ring::Build({{"node-a", 1}}).ok());
  CHECK_FALSE(Ring::Build({{std::string(40, 'A'), 1}}).ok());
  CHECK_FALSE(Ring::Build({{Id(1), 1}, {Id(1), 1}}).ok());
  CHECK_FALSE(Ring::Build({{Id(1), 0}}).ok());
  CHECK_FALSE(Ring::Build({{Id(1), -1}}).ok());
  CHECK_FALSE(Ring::Build({{Id(1), kMaxWeight + 1}}).ok());
  CHECK_FALSE(Ring::Build(Members(3), 0).ok());
  CHECK_FALSE(Ring::Build(Members(3), kMaxVnodes + 1).ok());
  auto dup = Ring::Build({{Id(1), 1}, {Id(2), 1}, {Id(1), 2}});
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.status().code() == storage::Status::Code::kInvalidArgument);
  CHECK(Ring::Build({{Id(1), kMaxWeight}}, 1).ok());
}

TEST_CASE("Ring: the same membership in any order gives the same ring", "[ring]") {
  std::vector<NodeInfo> nodes = Members(5);
  nodes[2].weight = 2;
  const Ring a = MustBuild(nodes);
  std::mt19937 rng(7);
  for (int round = 0; round < 4; ++round) {
    std::shuffle(nodes.begin(), nodes.end(), rng);
    const Ring b = MustBuild(nodes);
    REQUIRE(b.token_count() == a.token_count());
    for (int s = 0; s < kSlots; ++s) {
      const auto slot = static_cast<uint16_t>(s);
      REQUIRE(a.PreferenceList(slot, 5) == b.PreferenceList(slot, 5));
    }
  }
  // nodes() is the canonical order: by id.
  CHECK(std::is_sorted(a.nodes().begin(), a.nodes().end(),
                       [](const NodeInfo& x, const NodeInfo& y) { return x.id < y.id; }));
}

TEST_CASE("Ring: preference lists follow the definition (reference walk)", "[ring]") {
  // 20 nodes: deeper than the precomputed table (16), so n = 20 exercises the
  // walk over the tokens as well.
  for (int count : {1, 2, 5, 20}) {
    std::vector<NodeInfo> nodes = Members(count, 100);
    nodes[0].weight = 3;
    const int vnodes = 16;
    const Ring ring = MustBuild(nodes, vnodes);
    for (int s = 0; s < kSlots; s += (count == 20 ? 97 : 13)) {
      const auto slot = static_cast<uint16_t>(s);
      for (int n : {1, 3, count}) {
        INFO("nodes " << count << " slot " << s << " n " << n);
        REQUIRE(Owned(ring.PreferenceList(slot, n)) ==
                ReferencePreferenceList(nodes, vnodes, slot, static_cast<size_t>(n)));
      }
    }
  }
}

TEST_CASE("Ring: preference lists have N distinct nodes, coordinator first", "[ring]") {
  const Ring ring = MustBuild(Members(5));
  for (int s = 0; s < kSlots; ++s) {
    const auto slot = static_cast<uint16_t>(s);
    const auto list = ring.PreferenceList(slot, 3);
    REQUIRE(list.size() == 3);
    REQUIRE(std::set<std::string_view>(list.begin(), list.end()).size() == 3);
    REQUIRE(ring.Coordinator(slot) == list[0]);
    // A shorter list is a prefix of a longer one.
    const auto all = ring.PreferenceList(slot, 5);
    REQUIRE(std::equal(list.begin(), list.end(), all.begin()));
  }
  // N beyond the cluster gives every node once; nonsense gives nothing.
  CHECK(ring.PreferenceList(0, 9).size() == 5);
  CHECK(ring.PreferenceList(0, 0).empty());
  CHECK(ring.PreferenceList(0, -1).empty());
  CHECK(ring.PreferenceList(kSlots, 3).empty());
  CHECK(ring.Coordinator(kSlots).empty());
  // Keys sharing a {hash tag} share a slot, hence replicas.
  CHECK(ring.PreferenceList(storage::KeySlot("{user1}.a"), 3) ==
        ring.PreferenceList(storage::KeySlot("{user1}.b"), 3));
}

TEST_CASE("Ring: a single node owns everything", "[ring]") {
  const Ring ring = MustBuild({{Id(9), 1}});
  const auto counts = ring.CountSlots(3);
  REQUIRE(counts.size() == 1);
  CHECK(counts[0].primary == kSlots);
  CHECK(counts[0].replica == kSlots);
  CHECK(ring.PreferenceList(123, 3) == std::vector<std::string_view>{Id(9)});
  CHECK(ring.Contains(Id(9)));
  CHECK_FALSE(ring.Contains(Id(8)));
}

TEST_CASE("Ring: 3 and 5 equal nodes share slots within 15% of even", "[ring][balance]") {
  for (int count : {3, 5}) {
    INFO(count << " nodes");
    const Ring ring = MustBuild(Members(count));
    RequireWithin(PrimaryRatios(ring), 0.15);
    RequireWithin(ReplicaRatios(ring, 3), 0.15);
  }
}

TEST_CASE("Ring: weights 1, 2, 3 get proportional shares within 15%", "[ring][balance]") {
  std::vector<NodeInfo> nodes = Members(3, 40);
  nodes[0].weight = 1;
  nodes[1].weight = 2;
  nodes[2].weight = 3;
  const Ring ring = MustBuild(nodes);
  CHECK(ring.token_count() == 6 * kDefaultVnodes);
  RequireWithin(PrimaryRatios(ring), 0.15);
}

TEST_CASE("Ring: balance holds across many memberships, not only the ones above",
          "[ring][balance]") {
  // Shares of a node with v random tokens spread with a standard deviation of
  // about 1/sqrt(v) of the mean (6% at 256), so over 40 random clusters the
  // mean deviation stays small and no node is far out.
  double sum = 0;
  int shares = 0;
  double worst = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int count = 3 + trial % 3;
    const Ring ring = MustBuild(Members(count, 1000 + static_cast<uint64_t>(trial) * 10));
    for (double r : PrimaryRatios(ring)) {
      sum += std::abs(r - 1);
      worst = std::max(worst, std::abs(r - 1));
      ++shares;
    }
  }
  INFO("mean deviation " << sum / shares << ", worst " << worst);
  CHECK(sum / shares < 0.08);
  CHECK(worst < 0.25);
}

TEST_CASE("Ring: a joining node only takes slots, about 1/4 of them", "[ring][movement]") {
  std::vector<NodeInfo> nodes = Members(3, 200);
  const Ring before = MustBuild(nodes);
  const std::string joiner = Id(999);
  nodes.push_back({joiner, 1});
  const Ring after = MustBuild(nodes);

  int moved = 0;
  for (int s = 0; s < kSlots; ++s) {
    const auto slot = static_cast<uint16_t>(s);
    if (before.Coordinator(slot) != after.Coordinator(slot)) {
      ++moved;
      REQUIRE(after.Coordinator(slot) == joiner);  // never from one old node to another
    }
    // Replicas: every old node in the new list was already in the old list.
    const auto old_list = before.PreferenceList(slot, 3);
    for (std::string_view id : after.PreferenceList(slot, 3)) {
      if (id == joiner) continue;
      REQUIRE(std::find(old_list.begin(), old_list.end(), id) != old_list.end());
    }
  }
  const double fraction = static_cast<double>(moved) / kSlots;
  INFO("primaries moved: " << fraction);
  CHECK(fraction > 0.15);
  CHECK(fraction < 0.35);
}

TEST_CASE("Ring: a leaving node only gives away its own slots", "[ring][movement]") {
  std::vector<NodeInfo> nodes = Members(5, 300);
  const Ring before = MustBuild(nodes);
  const std::string leaver = nodes[2].id;
  nodes.erase(nodes.begin() + 2);
  const Ring after = MustBuild(nodes);
  for (int s = 0; s < kSlots; ++s) {
    const auto slot = static_cast<uint16_t>(s);
    if (before.Coordinator(slot) != leaver) {
      REQUIRE(after.Coordinator(slot) == before.Coordinator(slot));
    }
    // The remaining replicas keep their place; only the leaver's is refilled.
    const auto new_list = after.PreferenceList(slot, 3);
    for (std::string_view id : before.PreferenceList(slot, 3)) {
      if (id == leaver) continue;
      REQUIRE(std::find(new_list.begin(), new_list.end(), id) != new_list.end());
    }
  }
}

TEST_CASE("Ring: raising a weight only moves slots towards that node", "[ring][movement]") {
  std::vector<NodeInfo> nodes = Members(4, 400);
  const Ring before = MustBuild(nodes);
  nodes[1].weight = 2;
  const Ring after = MustBuild(nodes);
  int gained = 0;
  for (int s = 0; s < kSlots; ++s) {
    const auto slot = static_cast<uint16_t>(s);
    if (before.Coordinator(slot) != after.Coordinator(slot)) {
      REQUIRE(after.Coordinator(slot) == nodes[1].id);
      ++gained;
    }
  }
  CHECK(gained > 0);
}

TEST_CASE("Ring: sloppy quorum skips down nodes and names whom they stand in for", "[ring]") {
  const Ring ring = MustBuild(Members(6, 500));
  const uint16_t slot = 4242;
  const auto walk = ring.PreferenceList(slot, 6);  // every node, in ring order

  SECTION("all up: the preference list, no hints") {
    const auto got = ring.PreferenceList(slot, 3, [](std::string_view) { return true; });
    REQUIRE(got.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(got[i].node == walk[i]);
      CHECK(got[i].hint_for.empty());
    }
  }
  SECTION("one owner down: the fourth node holds its hint") {
    const auto got =
        ring.PreferenceList(slot, 3, [&](std::string_view id) { return id != walk[1]; });
    REQUIRE(got.size() == 3);
    CHECK(got[0].node == walk[0]);
    CHECK(got[0].hint_for.empty());
    CHECK(got[1].node == walk[2]);
    CHECK(got[1].hint_for.empty());
    CHECK(got[2].node == walk[3]);
    CHECK(got[2].hint_for == walk[1]);
  }
  SECTION("two owners and the first stand-in down: hints go in ring order") {
    std::set<std::string_view> down = {walk[0], walk[2], walk[3]};
    const auto got =
        ring.PreferenceList(slot, 3, [&](std::string_view id) { return !down.count(id); });
    REQUIRE(got.size() == 3);
    CHECK(got[0].node == walk[1]);
    CHECK(got[0].hint_for.empty());
    CHECK(got[1].node == walk[4]);
    CHECK(got[1].hint_for == walk[0]);
    CHECK(got[2].node == walk[5]);
    CHECK(got[2].hint_for == walk[2]);
  }
  SECTION("fewer healthy nodes than N: fewer placements") {
    std::set<std::string_view> up = {walk[4], walk[5]};
    const auto got =
        ring.PreferenceList(slot, 3, [&](std::string_view id) { return up.count(id) > 0; });
    REQUIRE(got.size() == 2);
    CHECK(got[0].node == walk[4]);
    CHECK(got[0].hint_for == walk[0]);
    CHECK(got[1].node == walk[5]);
    CHECK(got[1].hint_for == walk[1]);
  }
  SECTION("all down: nothing") {
    CHECK(ring.PreferenceList(slot, 3, [](std::string_view) { return false; }).empty());
  }
  SECTION("is_up is asked once per node at most") {
    std::map<std::string, int> asked;
    (void)ring.PreferenceList(slot, 3, [&](std::string_view id) {
      ++asked[std::string(id)];
      return false;
    });
    CHECK(asked.size() == 6);
    for (const auto& [id, times] : asked) CHECK(times == 1);
  }
}

TEST_CASE("Ring: sloppy quorum walks past the precomputed table", "[ring]") {
  const Ring ring = MustBuild(Members(24, 600), 8);
  const uint16_t slot = 77;
  const auto walk = ring.PreferenceList(slot, 24);
  REQUIRE(walk.size() == 24);
  // Only the last three nodes of the walk are up: each stands in for one of
  // the three intended owners.
  std::set<std::string_view> up = {walk[21], walk[22], walk[23]};
  const auto got =
      ring.PreferenceList(slot, 3, [&](std::string_view id) { return up.count(id) > 0; });
  REQUIRE(got.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(got[i].node == walk[21 + i]);
    CHECK(got[i].hint_for == walk[i]);
  }
}

// Not run by default: `cluster_tests "[.report]"` prints the balance figures.
TEST_CASE("Ring: balance report", "[.report]") {
  auto print = [](const char* what, const std::vector<double>& ratios) {
    std::printf("%-34s", what);
    for (double r : ratios) std::printf(" %.3f", r);
    std::printf("\n");
  };
  for (int count : {3, 5}) {
    const Ring ring = MustBuild(Members(count));
    std::printf("%d nodes, vnodes %d (share / even share):\n", count, kDefaultVnodes);
    print("  primary", PrimaryRatios(ring));
    print("  replica N=3", ReplicaRatios(ring, 3));
  }
  std::vector<NodeInfo> weighted = Members(3, 40);
  for (int i = 0; i < 3; ++i) weighted[static_cast<size_t>(i)].weight = i + 1;
  print("weights 1,2,3 primary", PrimaryRatios(MustBuild(weighted)));
  std::vector<NodeInfo> nodes = Members(3, 200);
  const Ring before = MustBuild(nodes);
  nodes.push_back({Id(999), 1});
  const Ring after = MustBuild(nodes);
  int moved = 0;
  int moved_replica = 0;
  for (int s = 0; s < kSlots; ++s) {
    const auto slot = static_cast<uint16_t>(s);
    moved += before.Coordinator(slot) != after.Coordinator(slot);
    const auto l = after.PreferenceList(slot, 3);
    moved_replica += std::find(l.begin(), l.end(), Id(999)) != l.end();
  }
  std::printf("join 3 -> 4: primaries moved %.3f, slots gaining a replica on the joiner %.3f\n",
              static_cast<double>(moved) / kSlots, static_cast<double>(moved_replica) / kSlots);
  for (int count : {3, 4, 5, 8}) {
    double sum = 0;
    double worst = 0;
    int shares = 0;
    for (int trial = 0; trial < 200; ++trial) {
      for (double r : PrimaryRatios(MustBuild(Members(count, 5000 + trial * 16u)))) {
        sum += std::abs(r - 1);
        worst = std::max(worst, std::abs(r - 1));
        ++shares;
      }
    }
    std::printf(
        "200 random clusters of %d: primary share off even by %.3f on average, %.3f at worst\n",
        count, sum / shares, worst);
  }
}

}  // namespace
}  // namespace ringkv::cluster
