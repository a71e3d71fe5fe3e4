#include "cluster/task.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ringkv::cluster {
namespace {

// Coroutines are free functions with by-value parameters: a coroutine lambda's
// captures would dangle once the lambda object is gone.

Task<int> Leaf(Future<int> f) { co_return co_await f; }

Task<int> Twice(Future<int> f) {
  int v = co_await Leaf(std::move(f));
  co_return 2 * v;
}

Task<int> Sum(Future<int> a, Future<int> b) {
  int x = co_await Twice(std::move(a));
  int y = co_await Leaf(std::move(b));
  co_return x + y;
}

Detached RunInt(Task<int> t, std::optional<int>* out) { out->emplace(co_await t); }

Task<void> SetFlag(bool* flag) {
  *flag = true;
  co_return;
}

Detached RunVoid(Task<void> t, bool* done) {
  co_await t;
  *done = true;
}

Task<std::unique_ptr<std::string>> MakeOwned(std::string s) {
  auto ready = Future<std::unique_ptr<std::string>>::Ready(std::make_unique<std::string>(s));
  co_return co_await ready;
}

Detached RunOwned(Task<std::unique_ptr<std::string>> t, std::unique_ptr<std::string>* out) {
  *out = co_await t;
}

Task<int> Depth(int n, Future<int> leaf) {
  if (n == 0) co_return co_await leaf;
  co_return 1 + co_await Depth(n - 1, std::move(leaf));
}

TEST_CASE("Task: a chain completes synchronously when Futures are ready", "[task]") {
  std::optional<int> out;
  RunInt(Sum(Future<int>::Ready(20), Future<int>::Ready(2)), &out);
  REQUIRE(out.has_value());  // no suspension anywhere: done before RunInt returned
  CHECK(*out == 42);

  bool done = false;
  bool flag = false;
  RunVoid(SetFlag(&flag), &done);
  CHECK(flag);
  CHECK(done);

  std::unique_ptr<std::string> owned;
  RunOwned(MakeOwned("move-only"), &owned);
  REQUIRE(owned);
  CHECK(*owned == "move-only");
}

TEST_CASE("Task: starts only when awaited; an unawaited task is just freed", "[task]") {
  bool flag = false;
  {
    Task<void> t = SetFlag(&flag);
    CHECK_FALSE(flag);
    Task<void> moved = std::move(t);  // the moved-from task owns nothing
    CHECK_FALSE(flag);
  }
  CHECK_FALSE(flag);
}

TEST_CASE("Task: a deep synchronous chain", "[task]") {
  std::optional<int> out;
  RunInt(Depth(1000, Future<int>::Ready(5)), &out);
  REQUIRE(out.has_value());
  CHECK(*out == 1005);
}

// Awaits `n` tasks one after another, as EXEC awaits its queued commands;
// each takes `f` when i == at (the rest complete at once).
Task<int> Loop(int n, int at, Future<int> f) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    if (i == at) {
      sum += co_await Leaf(std::move(f));
    } else {
      sum += co_await Leaf(Future<int>::Ready(1));
    }
  }
  co_return sum;
}

TEST_CASE("Task: a million tasks awaited in a loop keep the stack flat", "[task]") {
  // With symmetric transfer, each await kept a frame at -O0 (the sanitizer
  // build) and an EXEC of 20,000 commands overflowed the stack.
  std::optional<int> out;
  RunInt(Loop(1'000'000, -1, Future<int>::Ready(0)), &out);
  REQUIRE(out.has_value());
  CHECK(*out == 1'000'000);
  // One of them suspends half way: the loop goes on when it is set, and the
  // tasks after it complete on Set's stack.
  Promise<int> p;
  out.reset();
  RunInt(Loop(200'000, 100'000, p.GetFuture()), &out);
  CHECK_FALSE(out.has_value());
  p.Set(1);
  REQUIRE(out.has_value());
  CHECK(*out == 200'000);
}

TEST_CASE("Promise: Set resumes the awaiting coroutine inline", "[task][promise]") {
  Promise<int> p;
  std::optional<int> out;
  RunInt(Leaf(p.GetFuture()), &out);
  CHECK_FALSE(out.has_value());  // suspended, waiting for the promise
  p.Set(7);
  REQUIRE(out.has_value());  // resumed on Set's stack, ran to the end
  CHECK(*out == 7);
}

TEST_CASE("Promise: a pending leaf resumes a whole chain of tasks", "[task][promise]") {
  Promise<int> a;
  Promise<int> b;
  std::optional<int> out;
  RunInt(Sum(a.GetFuture(), b.GetFuture()), &out);
  CHECK_FALSE(out.has_value());
  a.Set(10);
  CHECK_FALSE(out.has_value());  // now waiting on b
  b.Set(3);
  REQUIRE(out.has_value());
  CHECK(*out == 23);

  Promise<int> leaf;
  std::optional<int> deep;
  RunInt(Depth(500, leaf.GetFuture()), &deep);
  CHECK_FALSE(deep.has_value());
  leaf.Set(1);
  REQUIRE(deep.has_value());
  CHECK(*deep == 501);
}

TEST_CASE("Promise: set before anyone awaits, the future is ready", "[task][promise]") {
  Promise<int> p;
  Future<int> f = p.GetFuture();
  CHECK_FALSE(f.await_ready());
  p.Set(9);
  CHECK(f.await_ready());
  std::optional<int> out;
  RunInt(Leaf(std::move(f)), &out);
  REQUIRE(out.has_value());
  CHECK(*out == 9);
}

TEST_CASE("Promise: many pending coroutines complete in any order", "[task][promise]") {
  constexpr int kN = 3000;  // more than the pool keeps per size class
  std::vector<Promise<int>> promises(kN);
  std::vector<std::optional<int>> outs(kN);
  for (int i = 0; i < kN; ++i) RunInt(Twice(promises[i].GetFuture()), &outs[i]);
  for (int i = 0; i < kN; ++i) REQUIRE_FALSE(outs[i].has_value());
  for (int i = kN - 1; i >= 0; i -= 2) promises[i].Set(i);  // odd ones, backwards
  for (int i = 0; i < kN; i += 2) promises[i].Set(i);       // then even ones
  for (int i = 0; i < kN; ++i) {
    REQUIRE(outs[i].has_value());
    REQUIRE(*outs[i] == 2 * i);
  }
}

// Fills a local buffer that lives in the coroutine frame, suspends, and checks
// the buffer when resumed: a frame handed out twice would be overwritten.
template <size_t N>
Detached HoldPattern(Future<int> f, int seed, int* intact) {
  unsigned char buf[N];
  for (size_t i = 0; i < N; ++i) buf[i] = static_cast<unsigned char>(seed * 31 + i);
  int v = co_await f;
  bool ok = v == seed;
  for (size_t i = 0; i < N; ++i) ok = ok && buf[i] == static_cast<unsigned char>(seed * 31 + i);
  if (ok) ++*intact;
}

TEST_CASE("Frame pool: 100k tasks reuse frames without breaking", "[task][pool]") {
  SECTION("synchronous chains") {
    long long total = 0;
    for (int i = 0; i < 100000; ++i) {
      std::optional<int> out;
      RunInt(Sum(Future<int>::Ready(i), Future<int>::Ready(1)), &out);
      REQUIRE(out.has_value());
      total += *out;
    }
    CHECK(total == 2LL * (99999LL * 100000 / 2) + 100000);
  }
  SECTION("pending frames of mixed sizes, in waves") {
    int intact = 0;
    int started = 0;
    for (int wave = 0; wave < 50; ++wave) {
      std::vector<Promise<int>> promises;
      promises.reserve(2000);
      for (int i = 0; i < 2000; ++i) {
        const int seed = wave * 2000 + i;
        promises.emplace_back();
        Future<int> f = promises.back().GetFuture();
        switch (i % 4) {  // small, medium, near the pool's limit, beyond it (heap)
          case 0:
            HoldPattern<16>(std::move(f), seed, &intact);
            break;
          case 1:
            HoldPattern<500>(std::move(f), seed, &intact);
            break;
          case 2:
            HoldPattern<3900>(std::move(f), seed, &intact);
            break;
          case 3:
            HoldPattern<9000>(std::move(f), seed, &intact);
            break;
        }
        ++started;
      }
      // Complete in an interleaved order so frees and allocations mix.
      for (int i = 1; i < 2000; i += 2) promises[i].Set(wave * 2000 + i);
      for (int i = 0; i < 2000; i += 2) promises[i].Set(wave * 2000 + i);
    }
    CHECK(started == 100000);
    CHECK(intact == 100000);
  }
}

}  // namespace
}  // namespace ringkv::cluster
