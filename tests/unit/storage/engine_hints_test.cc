// The engine's hint keyspace (the cluster's hinted handoff): hints are kept
// per node and key, survive a restart, are apart from the data, and FlushAll
// drops them.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/engine.h"
#include "tests/support/engine.h"
#include "tests/support/temp_dir.h"

namespace ringkv::storage {
namespace {

using ringkv::testing::TempDir;
using Hints = std::vector<std::pair<std::string, std::string>>;

std::unique_ptr<Engine> Open(const std::string& dir) { return testing::OpenTestEngine(dir); }

Hints HintsOf(Engine& e, std::string_view node, std::string_view from = "", size_t limit = 100) {
  Hints out;
  Status s = e.Hints(node, from, limit, &out);
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

std::string HintOf(Engine& e, std::string_view node, std::string_view key) {
  auto r = e.GetHint(node, key);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return *r;
}

TEST_CASE("Engine: GetHint sees pending and committed hints, and deletes", "[engine][hints]") {
  TempDir dir;
  auto e = Open(dir.path());
  CHECK(HintOf(*e, "n1", "k") == "");
  e->PutHint("n1", "k", "v1");
  CHECK(e->HasPending());
  CHECK(HintOf(*e, "n1", "k") == "v1");  // from the pending batch, not committed by reading it
  CHECK(e->HasPending());
  e->PutHint("n1", "k", "v2");
  CHECK(HintOf(*e, "n1", "k") == "v2");  // the batch's last write wins
  REQUIRE(e->Commit().ok());
  CHECK(HintOf(*e, "n1", "k") == "v2");
  CHECK(HintOf(*e, "n2", "k") == "");   // per node
  CHECK(HintOf(*e, "n1", "kk") == "");  // the whole key, not a prefix
  e->DeleteHint("n1", "k");
  CHECK(HintOf(*e, "n1", "k") == "");  // a pending delete hides the committed hint
  REQUIRE(e->Commit().ok());
  CHECK(HintOf(*e, "n1", "k") == "");
}

TEST_CASE("Engine: hints are kept per node and key, apart from the data", "[engine][hints]") {
  TempDir dir;
  const std::string a(40, 'a'), b(40, 'b');
  {
    auto e = Open(dir.path());
    e->PutHint(a, "k2", "r2");
    e->PutHint(a, "k1", "r1");
    e->PutHint(b, "k1", "other");
    e->PutHint(a, "k1", "r1-newer");  // replaces
    CHECK(e->HasPending());
    CHECK(HintsOf(*e, a) == Hints{{"k1", "r1-newer"}, {"k2", "r2"}});  // sees the pending batch
    CHECK(HintsOf(*e, b) == Hints{{"k1", "other"}});
    CHECK(HintsOf(*e, a, "k2") == Hints{{"k2", "r2"}});
    CHECK(HintsOf(*e, a, "", 1) == Hints{{"k1", "r1-newer"}});
    CHECK(HintsOf(*e, std::string(40, 'c')).empty());
    CHECK(*e->CountHints() == 3);
    std::map<std::string, uint64_t> by_node;
    CHECK(*e->CountHints(&by_node) == 3);
    CHECK(by_node == std::map<std::string, uint64_t>{{a, 2}, {b, 1}});
    CHECK(e->KeyCount() == 0);  // not data
    auto got = e->Get("k1");
    REQUIRE(got.ok());
    CHECK(*got == nullptr);
    e->DeleteHint(a, "k2");
    REQUIRE(e->Commit().ok());
  }
  auto e = Open(dir.path());  // a restart keeps them
  CHECK(HintsOf(*e, a) == Hints{{"k1", "r1-newer"}});
  CHECK(*e->CountHints() == 2);
  REQUIRE(e->FlushAll().ok());
  CHECK(*e->CountHints() == 0);
}

TEST_CASE("Engine: DropHints drops a node's committed and pending hints, no one else's",
          "[engine][hints]") {
  TempDir dir;
  auto e = Open(dir.path());
  e->PutHint("n1", "old", "r-old");
  e->PutHint("n2", "old", "r-other");
  REQUIRE(e->Commit().ok());
  e->PutHint("n1", "new", "r-new");  // this turn's, still in the batch
  e->PutHint("n10", "x", "r-x");     // a node id the first is a prefix of
  auto dropped = e->DropHints("n1");
  REQUIRE(dropped.ok());
  CHECK(*dropped == 1);  // the committed ones
  CHECK(HintOf(*e, "n1", "new") == "");
  CHECK(HintOf(*e, "n1", "old") == "");
  REQUIRE(e->Commit().ok());
  CHECK(HintsOf(*e, "n1").empty());
  CHECK(HintsOf(*e, "n2") == Hints{{"old", "r-other"}});
  CHECK(HintsOf(*e, "n10") == Hints{{"x", "r-x"}});
}

TEST_CASE("Engine: a failed commit forgets the pending hints with the batch", "[engine][hints]") {
  // GetHint's view of pending hints must end with the batch they were in.
  TempDir dir;
  auto e = Open(dir.path());
  e->PutHint("n1", "k", "v1");
  REQUIRE(e->Commit().ok());
  e->DeleteHint("n1", "k");
  CHECK(HintOf(*e, "n1", "k") == "");
  REQUIRE(e->Commit().ok());
  e->PutHint("n1", "k", "v2");
  REQUIRE(e->Commit().ok());
  CHECK(HintOf(*e, "n1", "k") == "v2");  // from the database, not a stale pending delete
}

}  // namespace
}  // namespace ringkv::storage
