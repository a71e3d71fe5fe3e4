#include "cluster/quorum.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::cluster {
namespace {

using State = QuorumTracker::State;

storage::Result<ConsistencyLevel> Parse(std::vector<std::string_view> args, int n) {
  return ConsistencyLevel::Parse(args, n);
}

const std::vector<std::string_view> kThree = {"node-a", "node-b", "node-c"};

TEST_CASE("Quorum: majorities", "[quorum]") {
  CHECK(Majority(1) == 1);
  CHECK(Majority(2) == 2);
  CHECK(Majority(3) == 2);
  CHECK(Majority(4) == 3);
  CHECK(Majority(5) == 3);
  for (int n = 1; n <= 9; ++n) {
    CHECK(2 * Majority(n) > n);  // any two majorities overlap
    CHECK(QuorumSizes{Majority(n), Majority(n)}.ReadYourWrites(n));
  }
  CHECK_FALSE(QuorumSizes{1, 1}.ReadYourWrites(3));
  CHECK(QuorumSizes{1, 3}.ReadYourWrites(3));
}

TEST_CASE("Quorum: R and W must lie in 1..N", "[quorum]") {
  CHECK(ValidateQuorum(3, 2, 2).ok());
  CHECK(ValidateQuorum(3, 1, 3).ok());
  CHECK(ValidateQuorum(1, 1, 1).ok());
  CHECK_FALSE(ValidateQuorum(0, 1, 1).ok());
  CHECK_FALSE(ValidateQuorum(3, 0, 2).ok());
  CHECK_FALSE(ValidateQuorum(3, 2, 0).ok());
  CHECK_FALSE(ValidateQuorum(3, 4, 2).ok());
  const auto s = ValidateQuorum(3, 2, 5);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == storage::Status::Code::kInvalidArgument);
  CHECK(s.message().find("W") != std::string::npos);
}

TEST_CASE("Quorum: consistency levels parse in any case and follow N", "[quorum]") {
  auto one = Parse({"one"}, 3);
  REQUIRE(one.ok());
  CHECK(*one == ConsistencyLevel::One());
  CHECK(Parse({"Quorum"}, 3)->kind() == ConsistencyLevel::Kind::kQuorum);
  CHECK(Parse({"ALL"}, 3)->kind() == ConsistencyLevel::Kind::kAll);

  auto sizes = [](ConsistencyLevel l, int n) {
    auto s = l.Sizes(n);
    REQUIRE(s.ok());
    return std::pair{s->r, s->w};
  };
  CHECK(sizes(ConsistencyLevel::One(), 3) == std::pair{1, 1});
  CHECK(sizes(ConsistencyLevel::Quorum(), 3) == std::pair{2, 2});
  CHECK(sizes(ConsistencyLevel::Quorum(), 5) == std::pair{3, 3});
  CHECK(sizes(ConsistencyLevel::Quorum(), 1) == std::pair{1, 1});
  CHECK(sizes(ConsistencyLevel::All(), 5) == std::pair{5, 5});
  CHECK_FALSE(ConsistencyLevel::All().Sizes(0).ok());

  auto explicit_rw = Parse({"r", "1", "W", "3"}, 3);
  REQUIRE(explicit_rw.ok());
  CHECK(sizes(*explicit_rw, 3) == std::pair{1, 3});
  CHECK(sizes(*Parse({"W", "1", "R", "3"}, 3), 3) == std::pair{3, 1});
  // Explicit sizes do not follow N: they fail once N is too small for them.
  CHECK_FALSE(explicit_rw->Sizes(2).ok());
}

TEST_CASE("Quorum: bad consistency arguments are refused", "[quorum]") {
  CHECK_FALSE(Parse({}, 3).ok());
  CHECK_FALSE(Parse({"MOST"}, 3).ok());
  CHECK_FALSE(Parse({"ONE", "TWO"}, 3).ok());
  CHECK_FALSE(Parse({"R", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "2", "W"}, 3).ok());
  CHECK_FALSE(Parse({"R", "2", "R", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "2", "W", "2", "X"}, 3).ok());
  CHECK_FALSE(Parse({"R", "x", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "-1", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "+1", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", " 1", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "1.0", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "99999999999999999999", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "0", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "4", "W", "2"}, 3).ok());
  CHECK_FALSE(Parse({"R", "1", "W", "4"}, 3).ok());
  CHECK_FALSE(Parse({"ALL"}, 0).ok());
  const auto bad = Parse({"R", "4", "W", "2"}, 3);
  CHECK(bad.status().code() == storage::Status::Code::kInvalidArgument);
}

TEST_CASE("Quorum: ToString reads back through Parse", "[quorum]") {
  for (const ConsistencyLevel& l : {ConsistencyLevel::One(), ConsistencyLevel::Quorum(),
                                    ConsistencyLevel::All(), ConsistencyLevel::Explicit(2, 3)}) {
    const std::string text = l.ToString();
    std::vector<std::string> words;
    for (size_t start = 0; start <= text.size();) {
      const size_t end = std::min(text.find(' ', start), text.size());
      words.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    std::vector<std::string_view> args(words.begin(), words.end());
    auto back = ConsistencyLevel::Parse(args, 3);
    REQUIRE(back.ok());
    CHECK(*back == l);
  }
  CHECK(ConsistencyLevel::Explicit(2, 3).ToString() == "R 2 W 3");
}

TEST_CASE("Quorum: a write succeeds at W acks", "[quorum]") {
  QuorumTracker t(kThree, 2);
  CHECK(t.state() == State::kPending);
  CHECK(t.Ack("node-b") == State::kPending);
  CHECK(t.Ack("node-b") == State::kPending);  // a repeated reply counts once
  CHECK(t.acks() == 1);
  CHECK(t.Ack("node-x") == State::kPending);  // not a target
  CHECK(t.Ack("node-a") == State::kSucceeded);
  CHECK(t.pending() == 1);
  CHECK_FALSE(t.complete());
  // Final: a late failure is recorded but does not undo success.
  CHECK(t.Fail("node-c") == State::kSucceeded);
  CHECK(t.complete());
  CHECK(t.failures() == 1);
  CHECK(t.reply("node-a") == QuorumTracker::Reply::kAck);
  CHECK(t.reply("node-c") == QuorumTracker::Reply::kFailure);
  CHECK(t.reply("node-x") == QuorumTracker::Reply::kNone);
}

TEST_CASE("Quorum: a write fails once W acks are out of reach", "[quorum]") {
  QuorumTracker t(kThree, 2);
  CHECK(t.Fail("node-a") == State::kPending);
  CHECK(t.Ack("node-a") == State::kPending);  // the first reply of a node is the one that counts
  CHECK(t.acks() == 0);
  CHECK(t.Fail("node-c") == State::kFailed);
  CHECK(t.Ack("node-b") == State::kFailed);  // final
  CHECK(t.acks() == 1);                      // still recorded: the error says how many acked

  QuorumTracker all(kThree, 3);
  CHECK(all.Fail("node-b") == State::kFailed);  // ALL fails at the first failure
}

TEST_CASE("Quorum: the deadline fails whoever has not answered", "[quorum]") {
  QuorumTracker t(kThree, 2);
  (void)t.Ack("node-c");
  CHECK(t.FailPending() == State::kFailed);
  CHECK(t.failures() == 2);
  CHECK(t.complete());

  QuorumTracker done(kThree, 1);
  (void)done.Ack("node-a");
  CHECK(done.FailPending() == State::kSucceeded);
}

TEST_CASE("Quorum: more required than targets fails at once", "[quorum]") {
  const std::vector<std::string_view> two = {"node-a", "node-b"};
  QuorumTracker t(two, 3);  // sloppy quorum found only two healthy nodes
  CHECK(t.state() == State::kFailed);
  QuorumTracker none({}, 1);
  CHECK(none.state() == State::kFailed);
  CHECK(none.complete());
}

TEST_CASE("Quorum: every reply sequence ends in the state the counts say", "[quorum]") {
  // For N up to 5 and every R/W, every ack/failure pattern delivered in
  // target order: the state after each reply is the definition, and an end
  // state never changes.
  const std::vector<std::string_view> ids = {"n0", "n1", "n2", "n3", "n4"};
  for (int n = 1; n <= 5; ++n) {
    const std::vector<std::string_view> targets(ids.begin(), ids.begin() + n);
    for (int required = 1; required <= n; ++required) {
      for (int pattern = 0; pattern < (1 << n); ++pattern) {
        QuorumTracker t(targets, required);
        int acks = 0;
        State last = State::kPending;
        for (int i = 0; i < n; ++i) {
          const bool ack = (pattern >> i) & 1;
          const State s = ack ? t.Ack(targets[i]) : t.Fail(targets[i]);
          acks += ack;
          const int pending = n - i - 1;
          const State want = acks >= required            ? State::kSucceeded
                             : acks + pending < required ? State::kFailed
                                                         : State::kPending;
          REQUIRE(s == want);
          if (last != State::kPending) REQUIRE(s == last);
          last = s;
        }
        REQUIRE(t.complete());
        REQUIRE(last != State::kPending);
      }
    }
  }
  CHECK(std::string(StateName(State::kSucceeded)) == "succeeded");
}

}  // namespace
}  // namespace ringkv::cluster
