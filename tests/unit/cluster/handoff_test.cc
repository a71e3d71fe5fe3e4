// The coordinator against a real engine, with the peers played by an
// in-memory transport whose replies the test hands out itself: the races
// between a handoff in flight and the writes that come meanwhile, and the
// per-key lock of read-modify-write commands (what a real cluster shows only
// by luck of timing).
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/clock.h"
#include "cluster/coordinator.h"
#include "storage/engine.h"
#include "storage/record.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::cluster {
namespace {

using storage::Engine;
using storage::Record;
using storage::Result;
using storage::Status;

const std::string kSelf(40, 'a');
const std::string kPeer(40, 'b');

// Sends are queued; the test answers them in the order it chooses.
class QueueTransport : public Transport {
 public:
  struct Sent {
    std::string node;
    std::vector<std::string> args;
    Callback done;
  };
  void Send(std::string_view node_id, std::vector<std::string> args, Callback done) override {
    sent.push_back({std::string(node_id), std::move(args), std::move(done)});
  }
  // Answers the oldest queued request (OK or a connection failure).
  Sent Answer(bool ok) {
    REQUIRE_FALSE(sent.empty());
    Sent s = std::move(sent.front());
    sent.erase(sent.begin());
    if (ok) {
      resp::RespValue v;
      v.type = resp::RespValue::kSimple;
      v.str = "OK";
      s.done(std::move(v));
    } else {
      s.done(Status::Unavailable("connection refused"));
    }
    return s;
  }
  std::vector<Sent> sent;
};

class TestView : public ClusterView {
 public:
  explicit TestView(std::vector<std::string> ids) { SetNodes(std::move(ids)); }
  const std::string& self_id() const override { return kSelf; }
  const Ring& ring() const override { return *ring_; }
  bool IsUp(std::string_view id) const override { return !down.contains(std::string(id)); }
  void SetNodes(std::vector<std::string> ids) {
    std::vector<NodeInfo> nodes;
    for (auto& id : ids) nodes.push_back({std::move(id), 1});
    auto r = Ring::Build(std::move(nodes));
    REQUIRE(r.ok());
    ring_ = std::make_unique<Ring>(std::move(r).value());
  }
  std::set<std::string> down;

 private:
  std::unique_ptr<Ring> ring_;
};

Detached Run(Task<Status> t, std::optional<Status>* out) { out->emplace(co_await t); }

// An INCR-like read-modify-write: appends "1" to the value.
constexpr auto kAppendOne = [](const Record* cur) {
  Record r;
  r.value = cur ? cur->value + "1" : "1";
  return Mutation::Put(std::move(r));
};

// Two nodes, two replicas: every key lives on both, this node coordinates.
struct Fixture {
  Fixture() {
    engine = ringkv::testing::OpenTestEngine(dir.path());
    coordinator = std::make_unique<Coordinator>(engine.get(), &clock, &transport, &view, 2);
  }
  // A client write at W=1 (this node's own copy is enough), committed.
  void Write(const std::string& key, const std::string& value) {
    Record rec;
    rec.value = value;
    std::optional<Status> st;
    Run(coordinator->Write(key, rec, 1), &st);
    REQUIRE(st.has_value());
    REQUIRE(st->ok());
    REQUIRE(engine->Commit().ok());
    clock.Advance(1);
  }
  std::string Hint(const std::string& key) {
    auto h = engine->GetHint(kPeer, key);
    REQUIRE(h.ok());
    return *h;
  }
  std::string HintedValue(const std::string& key) {
    std::string bytes = Hint(key);
    if (bytes.empty()) return "";
    Record r;
    REQUIRE(storage::DecodeRecord(bytes, &r).ok());
    return r.value;
  }

  ringkv::testing::TempDir dir;
  std::unique_ptr<Engine> engine;
  ManualClock clock;
  QueueTransport transport;
  TestView view{{kSelf, kPeer}};
  std::unique_ptr<Coordinator> coordinator;
};

TEST_CASE("Handoff: a hint replaced while its handoff was in flight is kept", "[handoff]") {
  Fixture f;
  f.view.down.insert(kPeer);
  f.Write("k", "v1");  // the peer is down: kept as a hint, nothing sent
  CHECK(f.transport.sent.empty());
  CHECK(f.HintedValue("k") == "v1");

  f.view.down.clear();
  f.coordinator->HandoffTick();
  REQUIRE(f.transport.sent.size() == 1);
  CHECK(f.transport.sent[0].args[0] == "PEER.WRITE");

  // Before the peer's OK comes back, gossip shows it down for a moment and a
  // newer write is hinted for it.
  f.view.down.insert(kPeer);
  f.Write("k", "v2");
  f.view.down.clear();
  f.transport.Answer(true);  // the peer took v1
  REQUIRE(f.engine->Commit().ok());
  CHECK(f.HintedValue("k") == "v2");  // not deleted with v1's acknowledgement
  CHECK(f.coordinator->stats().hints_delivered == 0);

  f.coordinator->HandoffTick();  // the next round hands v2 off
  REQUIRE(f.transport.sent.size() == 1);
  f.transport.Answer(true);
  REQUIRE(f.engine->Commit().ok());
  CHECK(f.Hint("k").empty());
  CHECK(f.coordinator->stats().hints_delivered == 1);
}

TEST_CASE("Handoff: a failed handoff keeps the hint for the next round", "[handoff]") {
  Fixture f;
  f.view.down.insert(kPeer);
  f.Write("k", "v1");
  f.view.down.clear();
  f.coordinator->HandoffTick();
  f.transport.Answer(false);
  REQUIRE(f.engine->Commit().ok());
  CHECK(f.HintedValue("k") == "v1");
  f.coordinator->HandoffTick();
  CHECK(f.transport.sent.size() == 1);
}

TEST_CASE("Handoff: a write an up replica did not take becomes a hint", "[handoff]") {
  Fixture f;
  f.Write("k", "v1");  // W=1: acknowledged by this node while the peer's copy is in flight
  REQUIRE(f.transport.sent.size() == 1);
  SECTION("while the peer is in the ring") {
    f.transport.Answer(false);
    REQUIRE(f.engine->Commit().ok());
    CHECK(f.HintedValue("k") == "v1");
  }
  SECTION("but not for a peer that left the ring meanwhile") {
    f.view.SetNodes({kSelf});  // forgotten: its hints were dropped, none would be handed off
    f.transport.Answer(false);
    REQUIRE(f.engine->Commit().ok());
    CHECK(f.Hint("k").empty());
    CHECK(*f.coordinator->PendingHints() == 0);
  }
}

TEST_CASE("Write: coordinated away from its slot's primary, acknowledged once the primary answered",
          "[coordinator]") {
  // DBSIZE and SCAN count each slot at its primary alone: a write this node
  // coordinates for a slot the peer is primary of (a multi-slot command) must
  // not be acknowledged on this node's copy alone while the peer's is in
  // flight, or the client's next DBSIZE could miss it.
  Fixture f;
  std::string key;
  for (int i = 0; key.empty(); ++i) {
    std::string k = "key" + std::to_string(i);
    if (f.view.ring().Coordinator(storage::KeySlot(k)) == kPeer) key = k;
  }
  Record rec;
  rec.value = "v";
  std::optional<Status> st;
  Run(f.coordinator->Write(key, rec, 1), &st);
  REQUIRE(f.transport.sent.size() == 1);
  CHECK_FALSE(st.has_value());  // W=1 holds here, but the primary has not answered
  SECTION("the primary takes it") {
    f.transport.Answer(true);
    REQUIRE(st.has_value());
    CHECK(st->ok());
  }
  SECTION("the primary fails: acknowledged, and a hint carries it there") {
    f.transport.Answer(false);
    REQUIRE(st.has_value());
    CHECK(st->ok());
    REQUIRE(f.engine->Commit().ok());
    CHECK(f.HintedValue(key) == "v");
  }
}

TEST_CASE("Key lock: thousands of waiters that fail at once hand the lock on without nesting",
          "[coordinator][lock]") {
  // An INCR-like update holds the key while it waits for the peer's read;
  // many more queue behind it. The peer is then seen down and the first one
  // fails: every waiter gets the lock in turn and fails at once (R=2 of one
  // up replica), each unlocking inside the previous one's unlock. That
  // recursion overflowed the stack before.
  Fixture f;
  FunctionRef<Mutation(const Record*)> fn(kAppendOne);
  constexpr size_t kWaiters = 50000;
  std::vector<std::optional<Status>> done(kWaiters + 1);
  Run(f.coordinator->Update("hot", fn, 2, 2), &done[0]);
  REQUIRE(f.transport.sent.size() == 1);  // the peer's read, awaited with the lock held
  CHECK_FALSE(done[0].has_value());
  for (size_t i = 1; i <= kWaiters; ++i) Run(f.coordinator->Update("hot", fn, 2, 2), &done[i]);
  CHECK_FALSE(done[kWaiters].has_value());  // queued on the lock
  f.view.down.insert(kPeer);
  f.transport.Answer(false);
  size_t finished = 0;
  for (const auto& d : done) finished += d.has_value() && !d->ok();
  CHECK(finished == kWaiters + 1);
  // The lock is free again: a new update runs at once.
  std::optional<Status> after;
  Run(f.coordinator->Update("hot", fn, 2, 2), &after);
  CHECK(after.has_value());
}

TEST_CASE(
    "Start gate: a forwarded update that got its key's lock after its deadline changes nothing",
    "[coordinator][lock]") {
  // A command another node forwarded here (PEER.EXEC) queues behind an
  // update that holds the key while it waits for the peer. By the time it
  // gets the lock, the sender has stopped waiting and may run the command
  // itself: it must not run here too.
  Fixture f;
  FunctionRef<Mutation(const Record*)> fn(kAppendOne);
  std::optional<Status> first, forwarded;
  Run(f.coordinator->Update("hot", fn, 2, 2), &first);  // waits for the peer's read
  REQUIRE(f.transport.sent.size() == 1);
  StartGate gate{f.clock.NowMs() + 500};
  // R=1, W=1: with the lock, it could run on this node alone.
  Run(f.coordinator->Update("hot", fn, 1, 1, &gate), &forwarded);
  CHECK_FALSE(forwarded.has_value());  // queued on the lock

  SECTION("lock passed on after the deadline: refused, nothing written") {
    f.clock.Advance(501);
    f.view.down.insert(kPeer);
    f.transport.Answer(false);  // the first update fails (R=2 of one up replica) and unlocks
    REQUIRE(first.has_value());
    REQUIRE(forwarded.has_value());
    CHECK_FALSE(forwarded->ok());
    CHECK(forwarded->message().find("deadline") != std::string::npos);
    CHECK(gate.refused);
    CHECK(f.transport.sent.empty());  // it did not even read
    REQUIRE(f.engine->Commit().ok());
    auto stored = f.engine->Get("hot");
    REQUIRE(stored.ok());
    CHECK(*stored == nullptr);
    CHECK(f.Hint("hot").empty());
  }
  SECTION("lock passed on in time: runs, and later changes of the command go ahead") {
    f.clock.Advance(500);
    f.view.down.insert(kPeer);
    f.transport.Answer(false);
    REQUIRE(forwarded.has_value());
    CHECK(forwarded->ok());
    CHECK_FALSE(gate.refused);
    REQUIRE(f.engine->Commit().ok());
    auto stored = f.engine->Get("hot");
    REQUIRE(stored.ok());
    REQUIRE(*stored != nullptr);
    CHECK((*stored)->value == "1");
    f.clock.Advance(1000);  // past the deadline, but the command already started
    std::optional<Status> second;
    Record rec;
    rec.value = "x";
    Run(f.coordinator->Write("other", rec, 1, &gate), &second);
    REQUIRE(second.has_value());
    CHECK(second->ok());
  }
}

}  // namespace
}  // namespace ringkv::cluster
