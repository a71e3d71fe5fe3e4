// BackgroundPriority (background_priority.h) against the real scheduler: the
// policy of LevelDB's background thread is read back with
// sched_getscheduler, and the debt that lifts it is made for real (level-0
// files from memtable flushes, a write left under way).
#include "storage/background_priority.h"

#include <leveldb/db.h>
#include <leveldb/options.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/engine.h"
#include "storage/pread_env.h"
#include "storage/thread_name.h"
#include "tests/support/engine.h"
#include "tests/support/leveldb.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::TempDir;
using ringkv::testing::WaitFor;
using namespace std::chrono_literals;

int Policy() { return sched_getscheduler(BackgroundThreadId()); }

int Level0(leveldb::DB* db) {
  std::string v;
  REQUIRE(db->GetProperty("leveldb.num-files-at-level0", &v));
  return std::stoi(v);
}

// A thread that sleeps (no futex wait) until Block(), then waits for a mutex
// held by the test (a futex wait) until Release().
class Blocker {
 public:
  Blocker() : thread_([this] { Run(); }) {}
  ~Blocker() {  // (a test that failed before Release: let the thread end)
    if (!thread_.joinable()) return;
    if (blocked_) {
      m_.unlock();
    } else {
      blocked_ = true;
    }
    thread_.join();
  }
  pid_t tid() const {
    REQUIRE(WaitFor([&] { return tid_ != 0; }));
    return tid_;
  }
  void Block() {
    m_.lock();
    blocked_ = true;
  }
  void Release() {
    m_.unlock();
    thread_.join();
  }

 private:
  void Run() {
    tid_ = gettid();
    while (!blocked_) std::this_thread::sleep_for(1ms);
    std::lock_guard<std::mutex> g(m_);
  }
  std::mutex m_;
  std::atomic<bool> blocked_{false};
  std::atomic<pid_t> tid_{0};
  std::thread thread_;  // last
};

// On PreadEnv, whose background thread BackgroundThreadId names.
std::unique_ptr<leveldb::DB> OpenDb(const std::string& dir) {
  return ringkv::testing::OpenLevelDb(dir, PreadEnv());
}

// Writes keys k000..k099 and moves the memtable to a table the way
// IdleFlusher does (a range past every key): LevelDB puts it at level 0
// once it overlaps a level-0 or level-1 table.
void FlushKeys(leveldb::DB* db, const std::string& value) {
  for (int i = 0; i < 100; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "k%03d", i);
    REQUIRE(db->Put(leveldb::WriteOptions(), key, value).ok());
  }
  const std::string past_all(8, '\xff');
  const leveldb::Slice k(past_all);
  db->CompactRange(&k, &k);
}

TEST_CASE("BackgroundPriority idles LevelDB's thread and lifts it on debt") {
  if (!BackgroundPriority::Supported()) {
    // Without the right to leave SCHED_IDLE the engine never enters it.
    TempDir dir;
    EngineOptions o;
    o.dir = dir.path();
    auto e = Engine::Open(o);
    REQUIRE(e.ok());
    CHECK_FALSE((*e)->compaction_idle());
    CHECK((*e)->compaction_boosts() == 0);
    return;
  }
  TempDir dir;
  auto db = OpenDb(dir.path());
  FlushKeys(db.get(), "a");  // the background thread exists from here on
  REQUIRE(BackgroundThreadId() != 0);
  const int nice_before = getpriority(PRIO_PROCESS, static_cast<id_t>(BackgroundThreadId()));

  BackgroundPriority::Options opts;
  opts.tick = 5ms;
  opts.min_boost = 50ms;
  opts.boost_level0 = 2;
  opts.relax_level0 = 0;

  SECTION("a loop thread blocked on another thread lifts it, until it is free") {
    opts.boost_level0 = 1000;  // level 0 plays no part here
    opts.relax_level0 = 1000;
    Blocker loop;
    const pid_t tid = loop.tid();
    opts.loop_thread = tid;
    auto p = std::make_unique<BackgroundPriority>(db.get(), opts);
    REQUIRE(WaitFor([&] { return p->idle(); }));
    CHECK(Policy() == SCHED_IDLE);
    std::this_thread::sleep_for(200ms);  // a loop that sleeps is no stall
    CHECK(p->idle());
    CHECK(p->boosts() == 0);

    loop.Block();
    REQUIRE(WaitFor([&] { return BackgroundPriority::InFutexWait(tid); }));
    REQUIRE(WaitFor([&] { return !p->idle(); }));
    CHECK(Policy() == SCHED_OTHER);
    CHECK(p->boosts() == 1);
    std::this_thread::sleep_for(200ms);  // kept up while it waits, past min_boost
    CHECK_FALSE(p->idle());
    loop.Release();
    REQUIRE(WaitFor([&] { return p->idle(); }));
    CHECK(Policy() == SCHED_IDLE);
    CHECK(p->boosts() == 1);

    // The write-behind writer's writes are marked instead (it waits on a
    // futex when idle).
    p->behind_writes()->Started();
    REQUIRE(WaitFor([&] { return !p->idle(); }));
    CHECK(Policy() == SCHED_OTHER);
    CHECK(p->boosts() == 2);
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(p->idle());
    p->behind_writes()->Ended();
    REQUIRE(WaitFor([&] { return p->idle(); }));
    CHECK(p->boosts() == 2);

    // Once the writer's thread is known, a write counts only while that
    // thread waits on a futex, not while it is merely slow.
    Blocker writer;
    const pid_t writer_tid = writer.tid();
    p->behind_writes()->SetThread(writer_tid);
    p->behind_writes()->Started();
    std::this_thread::sleep_for(150ms);  // a slow write, over many ticks
    CHECK(p->idle());
    CHECK(p->boosts() == 2);
    writer.Block();
    REQUIRE(WaitFor([&] { return BackgroundPriority::InFutexWait(writer_tid); }));
    REQUIRE(WaitFor([&] { return !p->idle(); }));
    CHECK(p->boosts() == 3);
    writer.Release();
    p->behind_writes()->Ended();
    REQUIRE(WaitFor([&] { return p->idle(); }));
    CHECK(p->boosts() == 3);

    p.reset();
    CHECK(Policy() == SCHED_OTHER);  // left at normal priority
  }

  SECTION("level-0 files lift it until compaction takes them") {
    auto p = std::make_unique<BackgroundPriority>(db.get(), opts);
    REQUIRE(WaitFor([&] { return p->idle(); }));
    // The first flush went below level 0 (nothing overlapped); these stay.
    for (int i = 0; i < 6 && Level0(db.get()) < 2; ++i)
      FlushKeys(db.get(), "v" + std::to_string(i));
    REQUIRE(Level0(db.get()) >= 2);
    REQUIRE(WaitFor([&] { return !p->idle(); }));
    CHECK(Policy() == SCHED_OTHER);
    CHECK(p->boosts() == 1);
    std::this_thread::sleep_for(100ms);  // past min_boost: level 0 keeps it up
    CHECK_FALSE(p->idle());
    db->CompactRange(nullptr, nullptr);  // everything below level 0
    REQUIRE(Level0(db.get()) == 0);
    REQUIRE(WaitFor([&] { return p->idle(); }));
    CHECK(Policy() == SCHED_IDLE);
    CHECK(p->boosts() == 1);
  }

  SECTION("a requested compaction holds it at normal priority while it runs") {
    opts.boost_level0 = 1000;
    opts.relax_level0 = 1000;
    std::atomic<bool> requested{false};
    opts.hold_normal = &requested;
    auto p = std::make_unique<BackgroundPriority>(db.get(), opts);
    REQUIRE(WaitFor([&] { return p->idle(); }));
    requested = true;
    REQUIRE(WaitFor([&] { return !p->idle(); }));
    CHECK(Policy() == SCHED_OTHER);
    std::this_thread::sleep_for(200ms);  // past min_boost: still held
    CHECK_FALSE(p->idle());
    requested = false;
    REQUIRE(WaitFor([&] { return p->idle(); }));
    CHECK(Policy() == SCHED_IDLE);
    CHECK(p->boosts() == 1);
  }

  SECTION("it looks less often while no commit comes and nothing waits") {
    opts.boost_level0 = 1000;
    opts.relax_level0 = 1000;
    opts.quiet_after = 100ms;
    opts.quiet_tick = 400ms;
    BackgroundPriority p(db.get(), opts);
    std::this_thread::sleep_for(300ms);  // quiet from 100 ms on
    uint64_t before = p.ticks();
    std::this_thread::sleep_for(1000ms);
    const uint64_t quiet = p.ticks() - before;
    CHECK(quiet >= 1);
    CHECK(quiet <= 4);  // 2-3 at 400 ms (not 200 at 5 ms)
    // Commits every 2 ms until 40 ticks came: 200 ms of ticks every 5 ms
    // (and the first up to a quiet tick late). Quiet, 10 s would make 25.
    before = p.ticks();
    (void)WaitFor([&] {
      p.NoteCommit();
      return p.ticks() - before >= 40;
    });
    CHECK(p.ticks() - before >= 40);
  }

  // The nice value survives the trips in and out of SCHED_IDLE.
  CHECK(getpriority(PRIO_PROCESS, static_cast<id_t>(BackgroundThreadId())) == nice_before);
}

TEST_CASE("The engine runs LevelDB's thread idle when the option says so") {
  {
    TempDir other;  // makes LevelDB's thread exist, if no test did yet
    FlushKeys(OpenDb(other.path()).get(), "a");
  }
  TempDir dir;
  EngineOptions o;
  o.dir = dir.path();
  SECTION("on") {
    auto e = Engine::Open(o);
    REQUIRE(e.ok());
    if (BackgroundPriority::Supported()) {
      // Idle once a tick saw no debt.
      CHECK(WaitFor([&] { return (*e)->compaction_idle(); }));
      CHECK(Policy() == SCHED_IDLE);
    }
  }
  SECTION("off") {
    o.compaction_idle = false;
    auto e = Engine::Open(o);
    REQUIRE(e.ok());
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE((*e)->compaction_idle());
    CHECK(Policy() == SCHED_OTHER);
  }
}

}  // namespace
}  // namespace ringkv::storage

namespace ringkv::storage {
namespace {

// The nice value a job scheduled from a thread `above` steps over this one
// runs at (-100: that thread could not be lowered).
int JobNice(int above) {
  struct Seen {
    std::atomic<bool> done{false};
    std::atomic<int> nice{0};
  } seen;
  bool lowered = false;
  std::thread scheduler([&] {
    // (If it is the first, LevelDB's thread starts from here and inherits it.)
    lowered = LowerThisThread(above);
    if (!lowered) return;
    PreadEnv()->Schedule(
        [](void* p) {
          auto* s = static_cast<Seen*>(p);
          s->nice.store(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())));
          s->done.store(true);
        },
        &seen);
  });
  scheduler.join();
  if (!lowered) return -100;
  REQUIRE(WaitFor([&] { return seen.done.load(); }));
  return seen.nice.load();
}

TEST_CASE("Every LevelDB job runs at the set nice value, whichever thread scheduled it",
          "[background-priority]") {
  // Relative to this thread's. A new LevelDB thread inherits the nice value
  // of the thread that scheduled its first job (the write-behind writer, at
  // write-behind-nice), and the value used to be added to that once, at the
  // first job: 10 + 10. Set before every job, it is what was set, also
  // after a change.
  const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  if (base > 19 - 12) return;  // (a test run at nice 8 or more: no room)
  const int before = BackgroundNice();
  SetBackgroundNice(12);
  CHECK(JobNice(4) == base + 12);
  if (BackgroundPriority::Supported()) {  // lowering it again needs the right
    SetBackgroundNice(2);
    CHECK(JobNice(4) == base + 2);
  }
  SetBackgroundNice(before == kBackgroundNiceUnset ? -1 : before - base);
}

}  // namespace
}  // namespace ringkv::storage
