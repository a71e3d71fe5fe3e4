// The write-behind's batch: built from journaled payloads, the last write of
// each key, in key order.
#include "storage/behind_writer.h"

#include <leveldb/write_batch.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "storage/journal.h"

namespace ringkv::storage {
namespace {

// (op, key, value) of every write in `batch`, in its order.
std::vector<std::string> Ops(const leveldb::WriteBatch& batch) {
  struct Lister : leveldb::WriteBatch::Handler {
    std::vector<std::string> out;
    void Put(const leveldb::Slice& k, const leveldb::Slice& v) override {
      out.push_back("put " + k.ToString() + "=" + v.ToString());
    }
    void Delete(const leveldb::Slice& k) override { out.push_back("del " + k.ToString()); }
  } lister;
  REQUIRE(batch.Iterate(&lister).ok());
  return lister.out;
}

TEST_CASE("BehindWriter::BuildBatch keeps each key's last write, in key order", "[journal]") {
  // Two commits' payloads, one after the other, as the engine hands them over.
  std::string ops;
  Journal::AppendPut(&ops, "b", "1");
  Journal::AppendPut(&ops, "a", "1");
  Journal::AppendPut(&ops, "c", "1");
  Journal::AppendPut(&ops, "b", "2");
  Journal::AppendDelete(&ops, "a");
  Journal::AppendPut(&ops, "c", "2");
  Journal::AppendDelete(&ops, "d");
  Journal::AppendPut(&ops, "d", "back");
  Journal::AppendPut(&ops, std::string("\0k", 2), "");
  leveldb::WriteBatch batch;
  batch.Put("stale", "cleared first");
  REQUIRE(BehindWriter::BuildBatch(ops, &batch).ok());
  CHECK(Ops(batch) == std::vector<std::string>{"put " + std::string("\0k", 2) + "=", "del a",
                                               "put b=2", "put c=2", "put d=back"});

  // Many writes of few keys: one each, the last.
  std::string hot;
  for (int i = 0; i < 1000; ++i)
    Journal::AppendPut(&hot, "k" + std::to_string(i % 3), std::to_string(i));
  REQUIRE(BehindWriter::BuildBatch(hot, &batch).ok());
  CHECK(Ops(batch) == std::vector<std::string>{"put k0=999", "put k1=997", "put k2=998"});

  // Keys alike in their first 8 bytes, or shorter: byte order still.
  std::string alike;
  for (const char* k : {"12345678b", "12345678", "1234567", "12345678a", "12345678b"}) {
    Journal::AppendPut(&alike, k, "v");
  }
  Journal::AppendPut(&alike, std::string("1234567\0", 8), "z");
  Journal::AppendPut(&alike, "\xff\xff", "hi");
  REQUIRE(BehindWriter::BuildBatch(alike, &batch).ok());
  CHECK(Ops(batch) == std::vector<std::string>{"put 1234567=v",
                                               "put " + std::string("1234567\0", 8) + "=z",
                                               "put 12345678=v", "put 12345678a=v",
                                               "put 12345678b=v", "put \xff\xff=hi"});

  REQUIRE(BehindWriter::BuildBatch("", &batch).ok());
  CHECK(batch.ApproximateSize() == leveldb::WriteBatch().ApproximateSize());
  // Bytes that are no journaled write.
  CHECK(BehindWriter::BuildBatch(std::string("\x01\x05"
                                             "ab",
                                             4),
                                 &batch)
            .code() == Status::Code::kCorruption);
}

}  // namespace
}  // namespace ringkv::storage
