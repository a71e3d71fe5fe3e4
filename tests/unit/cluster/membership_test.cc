#include "cluster/membership.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cluster/clock.h"

namespace ringkv::cluster {
namespace {

using State = Member::State;

constexpr int64_t kTimeoutMs = 1000;
constexpr int64_t kForgetTtlMs = 60'000;

// Node i has id "000...0i" (ids sort by i) and listens on 10.0.0.i:7000+i.
std::string Id(int i) {
  std::string id(40, '0');
  id[38] = "0123456789abcdef"[i / 16];
  id[39] = "0123456789abcdef"[i % 16];
  return id;
}

Member Node(int i, int weight = 1) {
  Member m;
  m.id = Id(i);
  m.host = "10.0.0." + std::to_string(i);
  m.port = 7000 + i;
  m.weight = weight;
  return m;
}

std::vector<std::string> Ids(const std::vector<Member>& members) {
  std::vector<std::string> ids;
  for (const Member& m : members) ids.push_back(m.id);
  return ids;
}

State StateOf(const Membership& table, int i) {
  auto m = table.Get(Id(i));
  REQUIRE(m.has_value());
  return m->state;
}

// Gossip as sent by a node `i` whose table holds `others`: the way to hand a
// test table any entry we like.
std::string GossipFrom(const Clock& clock, const Member& self, const std::vector<Member>& others) {
  Membership sender(self, clock, kTimeoutMs, kForgetTtlMs);
  for (const Member& m : others) REQUIRE(sender.AddOrUpdate(m).ok());
  return sender.EncodeGossip();
}

TEST_CASE("Membership: NewNodeId is 40 lowercase hex characters", "[membership]") {
  std::mt19937_64 rng(1);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = Membership::NewNodeId(rng);
    REQUIRE(id.size() == 40);
    REQUIRE(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  std::mt19937_64 a(42), b(42);
  CHECK(Membership::NewNodeId(a) == Membership::NewNodeId(b));
  Member m = Node(1);
  m.id = Membership::NewNodeId(a);
  CHECK(Membership::ValidateMember(m).ok());
}

TEST_CASE("Membership: ValidateMember", "[membership]") {
  CHECK(Membership::ValidateMember(Node(1)).ok());
  auto with = [](auto edit) {
    Member m = Node(1);
    edit(m);
    return Membership::ValidateMember(m).ok();
  };
  CHECK_FALSE(with([](Member& m) { m.id = std::string(40, 'A'); }));
  CHECK_FALSE(with([](Member& m) { m.id = std::string(39, '0'); }));
  CHECK_FALSE(with([](Member& m) { m.id = std::string(40, 'g'); }));
  CHECK_FALSE(with([](Member& m) { m.host = ""; }));
  CHECK_FALSE(with([](Member& m) { m.host = "a b"; }));
  CHECK_FALSE(with([](Member& m) { m.host = std::string(256, 'h'); }));
  CHECK(with([](Member& m) { m.host = std::string(255, 'h'); }));
  CHECK(with([](Member& m) { m.host = "::1"; }));
  CHECK_FALSE(with([](Member& m) { m.port = -1; }));
  CHECK_FALSE(with([](Member& m) { m.port = 65536; }));
  CHECK_FALSE(with([](Member& m) { m.weight = 0; }));
  CHECK_FALSE(with([](Member& m) { m.weight = 65; }));
  CHECK(with([](Member& m) { m.weight = 64; }));
}

TEST_CASE("Membership: a peer is down once its heartbeat is stale for longer than the timeout",
          "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  Membership b(Node(2), clock, kTimeoutMs);
  REQUIRE(a.AddOrUpdate(Node(2)).ok());
  const uint64_t epoch = a.epoch();

  clock.Advance(kTimeoutMs);
  a.Tick();
  CHECK(a.IsUp(Id(2)));  // exactly the timeout: not yet
  CHECK(a.epoch() == epoch);

  clock.Advance(1);
  a.Tick();
  CHECK_FALSE(a.IsUp(Id(2)));
  CHECK(StateOf(a, 2) == State::kDown);
  CHECK(a.epoch() == epoch + 1);
  CHECK(a.IsUp(Id(1)));  // we never time ourselves out

  a.Tick();
  CHECK(a.epoch() == epoch + 1);  // still down: no change

  // The same heartbeat again does not bring it back; a higher one does.
  REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
  CHECK(StateOf(a, 2) == State::kDown);
  CHECK(a.epoch() == epoch + 1);
  b.Tick();
  REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
  CHECK(a.IsUp(Id(2)));
  CHECK(a.Get(Id(2))->last_heard_ms == clock.NowMs());
  CHECK(a.Get(Id(2))->heartbeat == 1);
  CHECK(a.epoch() == epoch + 2);

  // Regular heartbeats keep it up indefinitely.
  for (int i = 0; i < 50; ++i) {
    clock.Advance(kTimeoutMs / 2);
    b.Tick();
    REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
    a.Tick();
    REQUIRE(a.IsUp(Id(2)));
  }
  CHECK(a.epoch() == epoch + 2);
}

TEST_CASE("Membership: Tick bumps our own heartbeat", "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  CHECK(a.Get(Id(1))->heartbeat == 0);
  a.Tick();
  a.Tick();
  clock.Advance(5);
  a.Tick();
  CHECK(a.Get(Id(1))->heartbeat == 3);
  CHECK(a.Get(Id(1))->last_heard_ms == clock.NowMs());
}

TEST_CASE("Membership: MarkSuspect takes a peer out at once until its heartbeat advances",
          "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  Membership b(Node(2), clock, kTimeoutMs);
  REQUIRE(a.AddOrUpdate(Node(2)).ok());
  REQUIRE(a.AddOrUpdate(Node(3)).ok());
  const uint64_t epoch = a.epoch();

  a.MarkSuspect(Id(2));
  CHECK(StateOf(a, 2) == State::kSuspect);
  CHECK_FALSE(a.IsUp(Id(2)));
  CHECK(a.epoch() == epoch + 1);
  a.MarkSuspect(Id(2));  // already not up
  a.MarkSuspect(Id(1));  // ourselves: ignored
  a.MarkSuspect(Id(9));  // unknown: ignored
  CHECK(a.IsUp(Id(1)));
  CHECK(a.epoch() == epoch + 1);

  // Suspect -> down is not an up/down change.
  clock.Advance(kTimeoutMs + 1);
  a.Tick();
  CHECK(StateOf(a, 2) == State::kDown);
  CHECK(StateOf(a, 3) == State::kDown);
  CHECK(a.epoch() == epoch + 2);  // only node 3 went from up to down
  a.MarkSuspect(Id(3));           // down stays down
  CHECK(StateOf(a, 3) == State::kDown);
  CHECK(a.epoch() == epoch + 2);

  b.Tick();
  REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
  CHECK(a.IsUp(Id(2)));
  CHECK(a.epoch() == epoch + 3);

  // A suspect whose heartbeat advances is cleared before any timeout.
  a.MarkSuspect(Id(2));
  CHECK(a.epoch() == epoch + 4);
  b.Tick();
  REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
  CHECK(a.IsUp(Id(2)));
  CHECK(a.epoch() == epoch + 5);
}

TEST_CASE("Membership: merge takes the higher heartbeat and adds unknown nodes", "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  REQUIRE(a.AddOrUpdate(Node(2)).ok());
  CHECK(Ids(a.Members()) == std::vector<std::string>{Id(1), Id(2)});

  Member fresh2 = Node(2, 3);
  fresh2.host = "10.9.9.9";
  fresh2.port = 7777;
  fresh2.heartbeat = 10;
  Member node3 = Node(3);
  node3.heartbeat = 4;
  uint64_t epoch = a.epoch();
  REQUIRE(a.MergeGossip(GossipFrom(clock, Node(4), {fresh2, node3})).ok());
  // Nodes 3 and 4 are new; node 2 moved and got heavier: one epoch step for the lot.
  CHECK(a.epoch() == epoch + 1);
  CHECK(Ids(a.Members()) == std::vector<std::string>{Id(1), Id(2), Id(3), Id(4)});
  auto m2 = a.Get(Id(2));
  CHECK(m2->heartbeat == 10);
  CHECK(m2->host == "10.9.9.9");
  CHECK(m2->port == 7777);
  CHECK(m2->weight == 3);
  CHECK(a.Get(Id(3))->heartbeat == 4);
  CHECK(a.IsUp(Id(3)));
  CHECK(a.IsUp(Id(4)));

  // Older or equal heartbeats change nothing, not even the address.
  Member stale2 = Node(2, 5);
  stale2.heartbeat = 10;
  epoch = a.epoch();
  REQUIRE(a.MergeGossip(GossipFrom(clock, Node(4), {stale2})).ok());
  stale2.heartbeat = 3;
  REQUIRE(a.MergeGossip(GossipFrom(clock, Node(5), {stale2})).ok());
  m2 = a.Get(Id(2));
  CHECK(m2->heartbeat == 10);
  CHECK(m2->weight == 3);
  CHECK(m2->host == "10.9.9.9");
  CHECK(a.epoch() == epoch + 1);  // only node 5 was new

  // A higher heartbeat with the same address and weight is not an epoch change.
  Member next2 = *m2;
  next2.heartbeat = 11;
  epoch = a.epoch();
  REQUIRE(a.MergeGossip(GossipFrom(clock, Node(4), {next2})).ok());
  CHECK(a.Get(Id(2))->heartbeat == 11);
  CHECK(a.epoch() == epoch);
}

TEST_CASE("Membership: a peer never changes our own entry", "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  a.Tick();
  a.Tick();
  const uint64_t epoch = a.epoch();

  // An impostor with our id, another address and weight.
  Member impostor = Node(1, 7);
  impostor.host = "6.6.6.6";
  Membership fake(impostor, clock, kTimeoutMs);
  REQUIRE(a.MergeGossip(fake.EncodeGossip()).ok());
  auto self = a.Get(Id(1));
  CHECK(self->host == "10.0.0.1");
  CHECK(self->weight == 1);
  CHECK(self->heartbeat == 2);
  CHECK(self->state == State::kUp);

  // Nor can a peer make us leave.
  REQUIRE(fake.Forget(Id(1)));
  REQUIRE(a.MergeGossip(fake.EncodeGossip()).ok());
  CHECK(a.IsUp(Id(1)));
  CHECK(a.epoch() == epoch);

  // A peer that remembers a higher heartbeat of ours (we restarted) pushes
  // ours past it, so that peers do not ignore us as stale.
  Membership fake2(Node(1), clock, kTimeoutMs);
  for (int i = 0; i < 50; ++i) fake2.Tick();
  REQUIRE(a.MergeGossip(fake2.EncodeGossip()).ok());
  CHECK(a.Get(Id(1))->heartbeat == 51);
  CHECK(a.Get(Id(1))->host == "10.0.0.1");
  CHECK(a.epoch() == epoch);
  CHECK_FALSE(a.AddOrUpdate(Node(1, 2)).ok());
  CHECK(a.Get(Id(1))->weight == 1);
}

TEST_CASE("Membership: a forgotten node is not resurrected until its tombstone expires",
          "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs, kForgetTtlMs);
  REQUIRE(a.AddOrUpdate(Node(2)).ok());
  REQUIRE(a.AddOrUpdate(Node(3)).ok());
  uint64_t epoch = a.epoch();

  REQUIRE(a.Forget(Id(2)));
  CHECK(a.epoch() == epoch + 1);
  CHECK_FALSE(a.Forget(Id(2)));  // already left
  CHECK_FALSE(a.Forget(Id(9)));  // unknown
  CHECK(a.epoch() == epoch + 1);
  CHECK_FALSE(a.IsUp(Id(2)));
  CHECK(StateOf(a, 2) == State::kLeft);
  CHECK(Ids(a.Members()) == std::vector<std::string>{Id(1), Id(3)});

  // Node 3 has not heard of the FORGET and gossips node 2 with a newer heartbeat.
  Member live2 = Node(2);
  live2.heartbeat = 1000;
  epoch = a.epoch();
  REQUIRE(a.MergeGossip(GossipFrom(clock, Node(3), {live2})).ok());
  CHECK(StateOf(a, 2) == State::kLeft);
  CHECK(a.epoch() == epoch);
  CHECK_FALSE(a.AddOrUpdate(Node(2)).ok());  // nor does PEER.HELLO / CLUSTER MEET
  CHECK(Ids(a.Members()) == std::vector<std::string>{Id(1), Id(3)});

  // The tombstone is gossiped, so others drop the node too.
  Membership c(Node(3), clock, kTimeoutMs, kForgetTtlMs);
  REQUIRE(c.AddOrUpdate(Node(2)).ok());
  clock.Advance(20'000);
  a.Tick();
  c.Tick();
  const uint64_t c_epoch = c.epoch();
  REQUIRE(c.MergeGossip(a.EncodeGossip()).ok());
  CHECK(StateOf(c, 2) == State::kLeft);
  CHECK(c.epoch() == c_epoch + 1);

  // Both tombstones expire 60 s after the FORGET: c's is not extended by the 20 s hop.
  clock.Advance(kForgetTtlMs - 20'000 - 1);
  a.Tick();
  c.Tick();
  CHECK(a.Get(Id(2)).has_value());
  CHECK(c.Get(Id(2)).has_value());
  epoch = a.epoch();
  clock.Advance(1);
  a.Tick();
  c.Tick();
  CHECK_FALSE(a.Get(Id(2)).has_value());
  CHECK_FALSE(c.Get(Id(2)).has_value());
  CHECK(a.epoch() == epoch);  // it had already stopped being a member

  // After that, a live node 2 can come back.
  REQUIRE(a.MergeGossip(GossipFrom(clock, Node(3), {live2})).ok());
  CHECK(a.IsUp(Id(2)));
  CHECK(a.epoch() == epoch + 1);
}

TEST_CASE("Membership: a tombstone for an unknown node keeps stale gossip from adding it",
          "[membership]") {
  ManualClock clock;
  Membership b(Node(2), clock, kTimeoutMs);
  REQUIRE(b.AddOrUpdate(Node(5)).ok());
  REQUIRE(b.Forget(Id(5)));

  Membership a(Node(1), clock, kTimeoutMs);
  const uint64_t epoch = a.epoch();
  REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
  CHECK(StateOf(a, 5) == State::kLeft);
  CHECK(Ids(a.Members()) == std::vector<std::string>{Id(1), Id(2)});
  CHECK(a.epoch() == epoch + 1);  // node 2 is new; the tombstone is not a member

  Member stale5 = Node(5);
  stale5.heartbeat = 99;
  REQUIRE(a.MergeGossip(GossipFrom(clock, Node(3), {stale5})).ok());
  CHECK(StateOf(a, 5) == State::kLeft);
}

TEST_CASE("Membership: a leaving node tells the others to drop it", "[membership]") {
  ManualClock clock;
  Membership leaver(Node(1), clock, kTimeoutMs);
  Membership other(Node(2), clock, kTimeoutMs);
  REQUIRE(other.AddOrUpdate(Node(1)).ok());
  REQUIRE(leaver.Forget(Id(1)));  // CLUSTER LEAVE
  CHECK_FALSE(leaver.IsUp(Id(1)));
  CHECK(leaver.Members().empty());
  REQUIRE(other.MergeGossip(leaver.EncodeGossip()).ok());
  CHECK(StateOf(other, 1) == State::kLeft);
  CHECK(Ids(other.Members()) == std::vector<std::string>{Id(2)});
  // Our own tombstone never expires while we run.
  clock.Advance(10 * kForgetTtlMs);
  leaver.Tick();
  CHECK(StateOf(leaver, 1) == State::kLeft);
}

TEST_CASE("Membership: AddOrUpdate", "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  uint64_t epoch = a.epoch();
  Member bad = Node(2);
  bad.weight = 0;
  CHECK_FALSE(a.AddOrUpdate(bad).ok());
  CHECK(a.AddOrUpdate(Node(2)).ok());
  CHECK(a.epoch() == epoch + 1);
  CHECK(a.AddOrUpdate(Node(2)).ok());  // nothing new
  CHECK(a.epoch() == epoch + 1);
  CHECK(a.AddOrUpdate(Node(2, 4)).ok());  // heavier
  CHECK(a.Get(Id(2))->weight == 4);
  CHECK(a.epoch() == epoch + 2);

  // Direct contact brings a down node back at once.
  clock.Advance(kTimeoutMs + 1);
  a.Tick();
  CHECK_FALSE(a.IsUp(Id(2)));
  epoch = a.epoch();
  Member hello = Node(2, 4);
  hello.heartbeat = 0;  // lower than anything: direct contact is what counts
  CHECK(a.AddOrUpdate(hello).ok());
  CHECK(a.IsUp(Id(2)));
  CHECK(a.Get(Id(2))->last_heard_ms == clock.NowMs());
  CHECK(a.epoch() == epoch + 1);
}

TEST_CASE("Membership: epoch moves exactly when the ring's inputs change", "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  Membership b(Node(2), clock, kTimeoutMs);
  CHECK(a.epoch() == 1);
  a.Tick();
  CHECK(a.epoch() == 1);  // own heartbeat
  REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
  CHECK(a.epoch() == 2);  // new member
  for (int i = 0; i < 5; ++i) {
    clock.Advance(100);
    b.Tick();
    a.Tick();
    REQUIRE(a.MergeGossip(b.EncodeGossip()).ok());
  }
  CHECK(a.epoch() == 2);  // heartbeats only
  (void)a.EncodeGossip();
  (void)a.Members();
  (void)a.IsUp(Id(2));
  CHECK(a.epoch() == 2);  // reads
  Member moved = Node(2);
  moved.port = 9999;
  REQUIRE(a.AddOrUpdate(moved).ok());
  CHECK(a.epoch() == 3);  // address
  a.MarkSuspect(Id(2));
  CHECK(a.epoch() == 4);  // up -> not up
  CHECK(a.MergeGossip("garbage").code() == storage::Status::Code::kCorruption);
  CHECK(a.epoch() == 4);
  REQUIRE(a.Forget(Id(2)));
  CHECK(a.epoch() == 5);  // left the set
}

TEST_CASE("Membership: PickGossipTargets", "[membership]") {
  ManualClock clock;
  std::mt19937_64 rng(99);
  Membership a(Node(0), clock, kTimeoutMs);
  CHECK(a.PickGossipTargets(rng, 3).empty());  // alone

  for (int i = 1; i <= 9; ++i) REQUIRE(a.AddOrUpdate(Node(i)).ok());
  REQUIRE(a.Forget(Id(9)));
  CHECK(a.PickGossipTargets(rng, 0).empty());

  // Distinct, never ourselves or a tombstone, at most k.
  std::map<std::string, int> count;
  for (int round = 0; round < 8000; ++round) {
    const auto t = a.PickGossipTargets(rng, 3);
    REQUIRE(t.size() == 3);
    REQUIRE(std::set<std::string>(t.begin(), t.end()).size() == 3);
    for (const auto& id : t) {
      REQUIRE(id != Id(0));
      REQUIRE(id != Id(9));
      ++count[id];
    }
  }
  REQUIRE(count.size() == 8);
  for (const auto& [id, n] : count) CHECK((n > 2700 && n < 3300));  // 3/8 of 8000 = 3000 each

  // k larger than the peers: all of them.
  CHECK(a.PickGossipTargets(rng, 100).size() == 8);

  // One down peer among seven up ones: included with probability 1/8.
  a.MarkSuspect(Id(8));
  int probes = 0;
  for (int round = 0; round < 8000; ++round) {
    const auto t = a.PickGossipTargets(rng, 2);
    REQUIRE(t.size() == 2);
    REQUIRE(t[0] != t[1]);
    probes += std::count(t.begin(), t.end(), Id(8));
  }
  CHECK((probes > 800 && probes < 1200));

  // Everyone down: still exactly one target (a probe).
  clock.Advance(kTimeoutMs + 1);
  a.Tick();
  for (int i = 1; i <= 8; ++i) REQUIRE_FALSE(a.IsUp(Id(i)));
  std::set<std::string> probed;
  for (int round = 0; round < 200; ++round) {
    const auto t = a.PickGossipTargets(rng, 2);
    REQUIRE(t.size() == 1);
    probed.insert(t[0]);
  }
  CHECK(probed.size() == 8);

  // Deterministic for a seed.
  std::mt19937_64 r1(5), r2(5);
  CHECK(a.PickGossipTargets(r1, 2) == a.PickGossipTargets(r2, 2));
}

// Five nodes gossiping in memory: every round each live node ticks and pushes
// its table to two random targets. Gossip to a dead node is lost.
class Cluster {
 public:
  Cluster(uint64_t seed, int n, int64_t timeout_ms) : rng_(seed) {
    for (int i = 0; i < n; ++i) {
      nodes_.push_back(std::make_unique<Membership>(Node(i), clock_, timeout_ms));
      alive_.push_back(true);
    }
    // CLUSTER MEET: everyone is introduced to node 0 only (node 0 learns of
    // the others only through gossip).
    for (int i = 1; i < n; ++i) REQUIRE(nodes_[i]->AddOrUpdate(Node(0)).ok());
  }

  void Round() {
    clock_.Advance(kIntervalMs);
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!alive_[i]) continue;
      nodes_[i]->Tick();
      const std::string gossip = nodes_[i]->EncodeGossip();
      for (const std::string& target : nodes_[i]->PickGossipTargets(rng_, 2)) {
        const size_t t = Index(target);
        if (alive_[t]) REQUIRE(nodes_[t]->MergeGossip(gossip).ok());
      }
    }
  }

  // Every live node knows all n nodes, and sees exactly the live ones as up.
  bool Converged() const {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!alive_[i]) continue;
      if (nodes_[i]->Members().size() != nodes_.size()) return false;
      for (size_t j = 0; j < nodes_.size(); ++j) {
        if (nodes_[i]->IsUp(Id(static_cast<int>(j))) != alive_[j]) return false;
      }
    }
    return true;
  }

  static size_t Index(const std::string& id) { return std::stoul(id.substr(38), nullptr, 16); }

  static constexpr int64_t kIntervalMs = 100;
  ManualClock clock_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Membership>> nodes_;
  std::vector<bool> alive_;
};

TEST_CASE("Membership: five nodes gossiping converge, detect a killed node, and its recovery",
          "[membership]") {
  constexpr int kNodes = 5;
  constexpr int64_t kNodeTimeoutMs = 2000;  // 20 gossip rounds
  constexpr int kMaxRoundsToConverge = 10;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    Cluster c(seed, kNodes, kNodeTimeoutMs);

    int rounds = 0;
    while (!c.Converged()) {
      REQUIRE(++rounds <= kMaxRoundsToConverge);
      c.Round();
    }
    for (const auto& node : c.nodes_) {
      REQUIRE(Ids(node->Members()) == std::vector<std::string>{Id(0), Id(1), Id(2), Id(3), Id(4)});
    }
    // Stable: heartbeats alone keep everyone up with an unchanged epoch.
    std::vector<uint64_t> epochs;
    for (const auto& node : c.nodes_) epochs.push_back(node->epoch());
    for (int i = 0; i < 50; ++i) c.Round();
    REQUIRE(c.Converged());
    for (int i = 0; i < kNodes; ++i) REQUIRE(c.nodes_[i]->epoch() == epochs[i]);

    // Kill node 4: it stops ticking, sending and receiving.
    c.alive_[4] = false;
    const int64_t killed_at = c.clock_.NowMs();
    while (c.clock_.NowMs() < killed_at + kNodeTimeoutMs / 2) c.Round();
    for (int i = 0; i < 4; ++i) REQUIRE(c.nodes_[i]->IsUp(Id(4)));
    while (c.clock_.NowMs() < killed_at + kNodeTimeoutMs + 10 * Cluster::kIntervalMs) c.Round();
    for (int i = 0; i < 4; ++i) {
      REQUIRE_FALSE(c.nodes_[i]->IsUp(Id(4)));
      REQUIRE(StateOf(*c.nodes_[i], 4) == State::kDown);
      REQUIRE(c.nodes_[i]->epoch() == epochs[i] + 1);
      // Still a member (for the ring); just not up.
      REQUIRE(c.nodes_[i]->Members().size() == kNodes);
    }
    REQUIRE(c.Converged());

    // It comes back: everyone sees it up again within a bounded number of rounds.
    c.alive_[4] = true;
    rounds = 0;
    while (!c.Converged()) {
      REQUIRE(++rounds <= kMaxRoundsToConverge);
      c.Round();
    }
    for (int i = 0; i < 4; ++i) REQUIRE(c.nodes_[i]->epoch() == epochs[i] + 2);
  }
}

TEST_CASE("Membership: garbage gossip is an error and changes nothing", "[membership]") {
  ManualClock clock;
  Membership a(Node(1), clock, kTimeoutMs);
  REQUIRE(a.AddOrUpdate(Node(2)).ok());
  Member m3 = Node(3, 2);
  m3.heartbeat = 300;
  Membership b(Node(4), clock, kTimeoutMs);
  REQUIRE(b.AddOrUpdate(m3).ok());
  REQUIRE(b.AddOrUpdate(Node(5)).ok());
  REQUIRE(b.Forget(Id(5)));
  const std::string valid = b.EncodeGossip();

  const auto before = a.Members();
  const uint64_t epoch = a.epoch();
  auto unchanged = [&] {
    const auto now = a.Members();
    REQUIRE(now.size() == before.size());
    for (size_t i = 0; i < now.size(); ++i) {
      REQUIRE(now[i].id == before[i].id);
      REQUIRE(now[i].heartbeat == before[i].heartbeat);
      REQUIRE(now[i].state == before[i].state);
    }
    REQUIRE(a.epoch() == epoch);
  };

  SECTION("every truncation of a valid message") {
    for (size_t len = 0; len < valid.size(); ++len) {
      INFO("length " << len);
      REQUIRE_FALSE(a.MergeGossip(valid.substr(0, len)).ok());
      unchanged();
    }
  }

  SECTION("hand-made defects") {
    CHECK_FALSE(a.MergeGossip("").ok());
    CHECK_FALSE(a.MergeGossip("RKG2" + valid.substr(4)).ok());  // unknown version
    CHECK_FALSE(a.MergeGossip(valid + "x").ok());               // trailing bytes
    // A count far beyond what the bytes could hold is refused before reserving.
    CHECK_FALSE(a.MergeGossip("RKG1\xff\xff\xff\xff\x0f").ok());
    // An overlong varint (eleven bytes).
    CHECK_FALSE(a.MergeGossip("RKG1" + std::string(10, '\xff') + "\x01").ok());

    // One entry: id(20) flags heartbeat port weight host_len host.
    auto entry = [](char flags, std::string_view port, char weight, std::string_view host) {
      std::string e(20, '\x11');
      e.push_back(flags);
      e.push_back('\x05');  // heartbeat 5
      e.append(port);
      e.push_back(weight);
      e.push_back(static_cast<char>(host.size()));
      e.append(host);
      return e;
    };
    const std::string port7000 = "\xd8\x36";  // 7000 as a varint
    const std::string good = entry('\0', port7000, '\x01', "h");
    REQUIRE(a.MergeGossip("RKG1\x01" + good).ok());  // the baseline decodes
    CHECK(a.Get(std::string(40, '1')).has_value());
    CHECK(a.Get(std::string(40, '1'))->port == 7000);
    REQUIRE(a.Forget(std::string(40, '1')));  // back out of the table's members

    CHECK_FALSE(a.MergeGossip("RKG1\x02" + good + good).ok());                          // duplicate
    CHECK_FALSE(a.MergeGossip("RKG1\x01" + entry('\x02', port7000, 1, "h")).ok());      // flags
    CHECK_FALSE(a.MergeGossip("RKG1\x01" + entry('\0', port7000, 0, "h")).ok());        // weight 0
    CHECK_FALSE(a.MergeGossip("RKG1\x01" + entry('\0', port7000, 65, "h")).ok());       // weight 65
    CHECK_FALSE(a.MergeGossip("RKG1\x01" + entry('\0', "\x80\x80\x04", 1, "h")).ok());  // port
    CHECK_FALSE(a.MergeGossip("RKG1\x01" + entry('\0', port7000, 1, "")).ok());         // host
    CHECK_FALSE(a.MergeGossip("RKG1\x01" + entry('\0', port7000, 1, "a b")).ok());      // host
    CHECK_FALSE(a.MergeGossip("RKG1\x01" + entry('\x01', port7000, 1, "h")).ok());      // no ttl
    REQUIRE(a.MergeGossip("RKG1\x01" + entry('\x01', port7000, 1, "h") + "\x01").ok());
  }

  SECTION("random bytes and random mutations never crash") {
    std::mt19937_64 rng(3);
    int accepted = 0;
    for (int round = 0; round < 20000; ++round) {
      std::string bytes;
      if (round % 2 == 0) {
        bytes.resize(rng() % 200);
        for (char& ch : bytes) ch = static_cast<char>(rng());
        if (round % 4 == 0) bytes.replace(0, std::min<size_t>(4, bytes.size()), "RKG1");
      } else {
        bytes = valid;
        for (int m = 0; m < 1 + static_cast<int>(rng() % 4); ++m) {
          bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
      }
      Membership victim(Node(1), clock, kTimeoutMs);
      const uint64_t victim_epoch = victim.epoch();
      if (victim.MergeGossip(bytes).ok()) {
        ++accepted;
      } else {
        REQUIRE(victim.Members().size() == 1);
        REQUIRE(victim.epoch() == victim_epoch);
      }
      // Whatever was accepted re-encodes into a message that decodes.
      Membership echo(Node(2), clock, kTimeoutMs);
      REQUIRE(echo.MergeGossip(victim.EncodeGossip()).ok());
    }
    CHECK(accepted > 0);  // some mutations (a heartbeat byte, say) stay valid
  }
}

}  // namespace
}  // namespace ringkv::cluster
