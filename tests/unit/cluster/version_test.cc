#include "cluster/version.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace ringkv::cluster {
namespace {

// Node ids in the 40-hex form the ring uses ("aaaa...", "bbbb...").
std::string Node(char c) { return std::string(40, c); }
const std::string kA = Node('a');
const std::string kB = Node('b');
const std::string kC = Node('c');
const std::string kD = Node('d');

VectorClock Clock(std::initializer_list<std::pair<std::string, uint64_t>> counters) {
  std::vector<ClockEntry> entries;
  for (const auto& [node, counter] : counters) entries.push_back({node, counter, counter * 10});
  std::sort(entries.begin(), entries.end(),
            [](const ClockEntry& x, const ClockEntry& y) { return x.node < y.node; });
  auto c = VectorClock::FromEntries(std::move(entries));
  REQUIRE(c.has_value());
  return *c;
}

Version V(VectorClock clock, uint64_t ts, std::string writer) {
  return Version{std::move(clock), ts, std::move(writer)};
}

VectorClock RandomClock(std::mt19937_64& rng) {
  static const std::string kPool[] = {Node('0'), Node('9'), kA, kB, kC, kD};  // sorted
  std::vector<ClockEntry> entries;
  for (const std::string& n : kPool) {
    if (rng() % 2) entries.push_back({n, 1 + rng() % 4, 1000 + rng() % 100});
  }
  auto clock = VectorClock::FromEntries(std::move(entries));
  REQUIRE(clock.has_value());
  return *clock;
}

Version RandomVersion(std::mt19937_64& rng) {
  Version v;
  v.clock = RandomClock(rng);
  v.timestamp = rng() % 3 == 0 ? rng() : 1000 + rng() % 200;
  switch (rng() % 4) {
    case 0:
      v.writer = kA;
      break;
    case 1:
      v.writer = "short-id";  // not the 40-hex form: written raw
      break;
    case 2:
      v.writer = "";
      break;
    default:
      v.writer = Node(static_cast<char>('0' + rng() % 10));
  }
  if (v.empty()) v.timestamp = 1;
  return v;
}

Version RoundTrip(const Version& v) {
  Version out;
  const std::string bytes = EncodeVersion(v);
  storage::Status s = DecodeVersion(bytes, &out);
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

TEST_CASE("Version: clock comparison says before, after, equal, concurrent", "[version]") {
  CHECK(Compare(VectorClock{}, VectorClock{}) == Order::kEqual);
  CHECK(Compare(Clock({{kA, 1}}), Clock({{kA, 1}})) == Order::kEqual);
  CHECK(Compare(Clock({{kA, 1}}), Clock({{kA, 2}})) == Order::kBefore);
  CHECK(Compare(Clock({{kA, 2}}), Clock({{kA, 1}})) == Order::kAfter);
  CHECK(Compare(VectorClock{}, Clock({{kA, 1}})) == Order::kBefore);
  CHECK(Compare(Clock({{kA, 1}}), VectorClock{}) == Order::kAfter);
  // A node missing on one side counts as 0 there.
  CHECK(Compare(Clock({{kA, 1}}), Clock({{kA, 1}, {kB, 1}})) == Order::kBefore);
  CHECK(Compare(Clock({{kA, 1}, {kC, 2}}), Clock({{kA, 1}})) == Order::kAfter);
  CHECK(Compare(Clock({{kA, 1}}), Clock({{kB, 1}})) == Order::kConcurrent);
  CHECK(Compare(Clock({{kA, 2}, {kB, 1}}), Clock({{kA, 1}, {kB, 2}})) == Order::kConcurrent);
  CHECK(Compare(Clock({{kA, 2}}), Clock({{kA, 1}, {kB, 1}})) == Order::kConcurrent);
  // The paper's example: D3 ([Sx,2],[Sy,1]) and D4 ([Sx,2],[Sz,1]) conflict;
  // D5 ([Sx,3],[Sy,1],[Sz,1]) supersedes both.
  const VectorClock d3 = Clock({{kA, 2}, {kB, 1}});
  const VectorClock d4 = Clock({{kA, 2}, {kC, 1}});
  const VectorClock d5 = Clock({{kA, 3}, {kB, 1}, {kC, 1}});
  CHECK(Compare(d3, d4) == Order::kConcurrent);
  CHECK(Compare(d3, d5) == Order::kBefore);
  CHECK(Compare(d5, d4) == Order::kAfter);
  CHECK(std::string(OrderName(Order::kConcurrent)) == "concurrent");
}

TEST_CASE("Version: equal clocks with a different write are concurrent, not equal", "[version]") {
  const VectorClock c = Clock({{kA, 1}});
  CHECK(Compare(V(c, 5, kA), V(c, 5, kA)) == Order::kEqual);
  CHECK(Compare(V(c, 5, kA), V(c, 6, kA)) == Order::kConcurrent);
  CHECK(Compare(V(c, 5, kA), V(c, 5, kB)) == Order::kConcurrent);
  CHECK(Compare(V(c, 9, kA), V(Clock({{kA, 2}}), 1, kA)) == Order::kBefore);
}

TEST_CASE("Version: FromEntries accepts only the canonical form", "[version]") {
  CHECK(VectorClock::FromEntries({}).has_value());
  CHECK(VectorClock::FromEntries({{kA, 1, 0}, {kB, 1, 0}}).has_value());
  CHECK_FALSE(VectorClock::FromEntries({{kB, 1, 0}, {kA, 1, 0}}).has_value());
  CHECK_FALSE(VectorClock::FromEntries({{kA, 1, 0}, {kA, 2, 0}}).has_value());
  CHECK_FALSE(VectorClock::FromEntries({{kA, 0, 0}}).has_value());
}

TEST_CASE("Version: Increment counts writes per coordinator", "[version]") {
  VectorClock c;
  c.Increment(kB, 100);
  c.Increment(kA, 200);
  c.Increment(kB, 300);
  CHECK(c.CounterOf(kA) == 1);
  CHECK(c.CounterOf(kB) == 2);
  CHECK(c.CounterOf(kC) == 0);
  REQUIRE(c.size() == 2);
  CHECK(c.entries()[0].node == kA);  // sorted by node
  CHECK(c.entries()[1].updated_at == 300);
}

TEST_CASE("Version: merge is commutative, associative, idempotent and descends from both",
          "[version]") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    const VectorClock a = RandomClock(rng);
    const VectorClock b = RandomClock(rng);
    const VectorClock c = RandomClock(rng);
    const VectorClock ab = VectorClock::Merge(a, b);
    REQUIRE(ab == VectorClock::Merge(b, a));
    REQUIRE(VectorClock::Merge(ab, c) == VectorClock::Merge(a, VectorClock::Merge(b, c)));
    REQUIRE(VectorClock::Merge(a, a) == a);
    REQUIRE(VectorClock::Merge(ab, a) == ab);
    for (const VectorClock* x : {&a, &b}) {
      const Order o = Compare(ab, *x);
      REQUIRE((o == Order::kAfter || o == Order::kEqual));
    }
    // The least such clock: each counter is one of the inputs'.
    for (const ClockEntry& e : ab.entries()) {
      REQUIRE(e.counter == std::max(a.CounterOf(e.node), b.CounterOf(e.node)));
    }
  }
}

TEST_CASE("Version: pruning drops the entries updated longest ago", "[version]") {
  VectorClock c;
  // Twelve coordinators write in turn; node i writes at time 100 + i.
  std::vector<std::string> nodes;
  for (int i = 0; i < 12; ++i) {
    nodes.push_back(std::string(39, 'e') + "0123456789ab"[i]);
    c.Increment(nodes.back(), 100 + static_cast<uint64_t>(i));
  }
  REQUIRE(c.size() == kDefaultMaxClockEntries);
  CHECK(c.CounterOf(nodes[0]) == 0);  // the two oldest are gone
  CHECK(c.CounterOf(nodes[1]) == 0);
  for (int i = 2; i < 12; ++i) CHECK(c.CounterOf(nodes[static_cast<size_t>(i)]) == 1);

  // A node that writes again becomes new again and survives the next prune.
  c.Increment(nodes[2], 500);
  c.Increment(nodes[0], 501);
  CHECK(c.size() == kDefaultMaxClockEntries);
  CHECK(c.CounterOf(nodes[2]) == 2);
  CHECK(c.CounterOf(nodes[3]) == 0);

  // The writer's own entry stays even when its timestamp is the oldest (its
  // physical clock lags).
  VectorClock small;
  small.Increment(kA, 50, 2);
  small.Increment(kB, 60, 2);
  small.Increment(kC, 1, 2);
  CHECK(small.size() == 2);
  CHECK(small.CounterOf(kC) == 1);
  CHECK(small.CounterOf(kA) == 0);
  // max_entries 0 still keeps the writer.
  VectorClock one;
  one.Increment(kA, 1, 0);
  one.Increment(kB, 2, 0);
  CHECK(one.size() == 1);
  CHECK(one.CounterOf(kB) == 1);
}

TEST_CASE("Version: MakeSuccessor descends from what the coordinator saw", "[version]") {
  const Version seen = V(Clock({{kA, 2}, {kB, 1}}), 1000, kA);
  const Version next = MakeSuccessor(seen.clock, kC, 2000);
  CHECK(next.writer == kC);
  CHECK(next.timestamp == 2000);
  CHECK(next.clock.CounterOf(kC) == 1);
  CHECK(Compare(seen, next) == Order::kBefore);
  CHECK(Compare(MakeSuccessor({}, kA, 1), MakeSuccessor({}, kB, 1)) == Order::kConcurrent);
}

TEST_CASE("Version: Resolve lets descendants win, then the last write", "[version]") {
  CHECK_FALSE(Resolve({}).has_value());

  const Version old = V(Clock({{kA, 1}}), 900, kA);
  const Version newer = V(Clock({{kA, 2}}), 100, kA);  // later in causality, older timestamp
  std::vector<Version> in = {newer, old};
  auto r = Resolve(in);
  REQUIRE(r.has_value());
  CHECK(r->winner == 0);
  CHECK(r->version == newer);
  CHECK(r->siblings == 1);

  const Version x = V(Clock({{kA, 2}, {kB, 1}}), 500, kB);
  const Version y = V(Clock({{kA, 2}, {kC, 1}}), 700, kC);
  in = {old, x, y};
  r = Resolve(in);
  REQUIRE(r.has_value());
  CHECK(r->winner == 2);  // y: the higher timestamp
  CHECK(r->siblings == 2);
  CHECK(r->version.timestamp == 700);
  CHECK(r->version.writer == kC);
  CHECK(r->version.clock == VectorClock::Merge(x.clock, y.clock));
  for (const Version& v : in) {
    const Order o = Compare(r->version, v);
    CHECK((o == Order::kAfter || o == Order::kEqual));
  }

  // Same timestamp: the writer's id decides.
  const Version p = V(Clock({{kB, 1}}), 700, kB);
  const Version q = V(Clock({{kD, 1}}), 700, kD);
  in = {q, p};
  r = Resolve(in);
  CHECK(r->winner == 0);
  CHECK(r->version.writer == kD);

  // Identical copies count as one sibling; the first copy is named.
  in = {x, y, x, y};
  r = Resolve(in);
  CHECK(r->siblings == 2);
  CHECK(r->winner == 1);

  // Equal clocks, different writes (pruning or pre-cluster data): LWW, no throw.
  in = {V(Clock({{kA, 1}}), 3, kA), V(Clock({{kA, 1}}), 4, kA)};
  r = Resolve(in);
  CHECK(r->winner == 1);
  CHECK(r->siblings == 2);
}

TEST_CASE("Version: resolution is the same in any order and converges", "[version]") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<Version> in;
    const size_t m = 1 + rng() % 5;
    for (size_t i = 0; i < m; ++i) in.push_back(RandomVersion(rng));
    if (m > 2) in[2] = in[0];  // a repeated copy
    const auto first = Resolve(in);
    REQUIRE(first.has_value());
    const Version winner_value = in[first->winner];
    std::sort(in.begin(), in.end(), [](const Version& a, const Version& b) {
      return EncodeVersion(a) < EncodeVersion(b);
    });
    do {
      const auto again = Resolve(in);
      REQUIRE(again->version == first->version);
      REQUIRE(in[again->winner] == winner_value);
      REQUIRE(again->siblings == first->siblings);
    } while (std::next_permutation(in.begin(), in.end(), [](const Version& a, const Version& b) {
      return EncodeVersion(a) < EncodeVersion(b);
    }));
    // Replicas repaired with the result agree with it, and resolving the
    // result against any input gives the result back.
    for (const Version& v : in) {
      const Order o = Compare(first->version, v);
      REQUIRE((o == Order::kAfter || o == Order::kEqual));
      std::vector<Version> pair = {v, first->version};
      REQUIRE(Resolve(pair)->version == first->version);
    }
  }
}

TEST_CASE("Version: the HLC never goes backwards", "[version][hlc]") {
  HybridClock hlc;
  const uint64_t t1 = hlc.Now(1000);
  CHECK(t1 == HlcFromPhysical(1000));
  CHECK(HlcPhysicalMs(t1) == 1000);
  CHECK(HlcLogical(t1) == 0);
  const uint64_t t2 = hlc.Now(1000);  // same ms: the logical counter moves
  CHECK(t2 == t1 + 1);
  CHECK(HlcLogical(t2) == 1);
  const uint64_t t3 = hlc.Now(400);  // the physical clock jumped back
  CHECK(t3 > t2);
  CHECK(HlcPhysicalMs(t3) == 1000);
  const uint64_t t4 = hlc.Now(1001);  // physical time catches up: counter resets
  CHECK(t4 == HlcFromPhysical(1001));

  uint64_t prev = t4;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const auto physical = static_cast<int64_t>(900 + rng() % 300);
    const uint64_t t =
        rng() % 4 == 0 ? hlc.Update(HlcFromPhysical(physical + 50), physical) : hlc.Now(physical);
    REQUIRE(t > prev);
    REQUIRE(t >= HlcFromPhysical(physical));
    prev = t;
  }
  CHECK(hlc.last() == prev);
}

TEST_CASE("Version: Update moves the HLC past a received timestamp", "[version][hlc]") {
  HybridClock hlc;
  (void)hlc.Now(1000);
  const uint64_t remote = HlcFromPhysical(5000) + 7;  // a peer ahead of us
  CHECK(hlc.Update(remote, 1000) == remote + 1);
  CHECK(hlc.Now(1000) == remote + 2);
  CHECK(hlc.Update(HlcFromPhysical(10), 1000) == remote + 3);  // old news changes nothing but ticks

  // Nonsense physical times are clamped; an absurd remote saturates, never wraps.
  HybridClock edge;
  CHECK(edge.Now(-5) == 1);  // 0 is the empty version's timestamp
  CHECK(HlcFromPhysical(std::numeric_limits<int64_t>::max()) ==
        static_cast<uint64_t>(kHlcMaxPhysicalMs) << kHlcLogicalBits);
  const uint64_t top = std::numeric_limits<uint64_t>::max();
  CHECK(edge.Update(top, 1) == top);
  CHECK(edge.Now(1) == top);
  CHECK(edge.Update(top, 1) == top);
}

TEST_CASE("Version: encoding round-trips and is compact", "[version][encoding]") {
  CHECK(EncodeVersion(Version{}).empty());
  Version empty;
  REQUIRE(DecodeVersion("", &empty).ok());
  CHECK(empty.empty());

  const Version typical =
      MakeSuccessor(MakeSuccessor(MakeSuccessor({}, kA, HlcFromPhysical(1'700'000'000'000)).clock,
                                  kB, HlcFromPhysical(1'700'000'000'005))
                        .clock,
                    kC, HlcFromPhysical(1'700'000'000'010) + 3);
  CHECK(RoundTrip(typical) == typical);
  // Three 40-hex ids packed: well under the ~150 bytes of a textual form.
  CHECK(EncodeVersion(typical).size() < 110);

  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    const Version v = RandomVersion(rng);
    REQUIRE(RoundTrip(v) == v);
  }
  // Extremes: counters and timestamps at the top, update times after the
  // version's own timestamp (wraps through the zigzag delta).
  Version extreme;
  extreme.timestamp = 5;
  extreme.writer = std::string(300, 'x');
  extreme.clock = *VectorClock::FromEntries({{"", std::numeric_limits<uint64_t>::max(), 0},
                                             {kA, 1, std::numeric_limits<uint64_t>::max()},
                                             {kB, 7, 6}});
  CHECK(RoundTrip(extreme) == extreme);
}

TEST_CASE("Version: decoding rejects truncation, trailing and forged bytes",
          "[version][encoding]") {
  std::mt19937_64 rng(5);
  Version v = RandomVersion(rng);
  v.clock = Clock({{kA, 3}, {kB, 1}, {kC, 200}});
  const std::string good = EncodeVersion(v);
  Version out;
  for (size_t len = 1; len < good.size(); ++len) {
    INFO("prefix of " << len);
    REQUIRE_FALSE(DecodeVersion(good.substr(0, len), &out).ok());
  }
  CHECK_FALSE(DecodeVersion(good + '\0', &out).ok());
  std::string bad_format = good;
  bad_format[0] = 2;
  CHECK_FALSE(DecodeVersion(bad_format, &out).ok());
  // Format 1, timestamp 1, raw writer "", then a count far beyond the data.
  CHECK_FALSE(DecodeVersion(std::string("\x01\x01\x01\xff\xff\xff\xff\x0f", 8), &out).ok());
  // A non-minimal varint (timestamp 1 written in two bytes).
  CHECK_FALSE(DecodeVersion(std::string("\x01\x81\x00\x01\x00", 5), &out).ok());
  // The explicit empty version is not canonical: the empty version is "".
  CHECK_FALSE(DecodeVersion(std::string("\x01\x00\x01\x00", 4), &out).ok());
  // A 40-hex id written raw instead of packed.
  CHECK_FALSE(
      DecodeVersion(std::string("\x01\x01\x29", 3) + kA + std::string("\x00", 1), &out).ok());
  // Entries out of order or with a zero counter.
  Version unordered;
  unordered.timestamp = 1;
  unordered.clock = Clock({{kA, 1}, {kB, 1}});
  std::string swapped = EncodeVersion(unordered);
  const std::string packed_a = swapped.substr(swapped.size() - 2 * 23, 23);
  const std::string packed_b = swapped.substr(swapped.size() - 23);
  swapped = swapped.substr(0, swapped.size() - 2 * 23) + packed_b + packed_a;
  CHECK_FALSE(DecodeVersion(swapped, &out).ok());
}

TEST_CASE("Version: random bytes never crash the decoder", "[version][encoding]") {
  std::mt19937_64 rng(2024);
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string bytes(rng() % 48, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (!bytes.empty() && rng() % 2) bytes[0] = 1;  // get past the format byte half the time
    Version out;
    if (DecodeVersion(bytes, &out).ok()) {
      ++accepted;
      REQUIRE(EncodeVersion(out) == bytes);  // only canonical bytes get in
    }
  }
  // Mutations of a valid encoding: flip each bit in turn.
  const std::string good = EncodeVersion(V(Clock({{kA, 3}, {kB, 1}}), 123456789, kB));
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    std::string m = good;
    m[bit / 8] = static_cast<char>(m[bit / 8] ^ (1 << (bit % 8)));
    Version out;
    if (DecodeVersion(m, &out).ok()) REQUIRE(EncodeVersion(out) == m);
  }
  CHECK(accepted >= 0);
}

}  // namespace
}  // namespace ringkv::cluster
