// Crashes and journals for storage unit tests: a data dir as a crash would
// leave it, the journal's segment files, and engine options that journal
// every commit and flush only when the test asks.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "storage/engine.h"
#include "storage/journal.h"
#include "tests/support/engine.h"

namespace ringkv::testing {

// Write-behind always on (no adaptive switch), flushes only when a test asks
// (FlushBehind, or a limit), and no idle memtable moves while a test copies
// the dir.
inline storage::EngineOptions JournalingOptions(const std::string& dir) {
  storage::EngineOptions o;
  o.dir = dir;
  o.idle_flush_ms = 0;
  o.write_behind_ms = 1'000'000;
  o.write_behind_adaptive = false;
  return o;
}

// The data dir `from` as a crash would leave it now (the files as the kernel
// holds them), in `to`, which is replaced. LevelDB may delete a file it no
// longer needs (a log, after a memtable moved to a table) while the copy
// runs: then it starts again.
inline void CrashCopy(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  for (int attempt = 1;; ++attempt) {
    fs::remove_all(to);
    std::error_code ec;
    fs::copy(from, to, fs::copy_options::recursive, ec);
    if (!ec) break;
    INFO(ec.message());
    REQUIRE(attempt < 5);
  }
  fs::remove(fs::path(to) / "LOCK");
}

// The journal's segment files in `dir`, oldest first.
inline std::vector<std::filesystem::path> JournalSegments(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (storage::Journal::IsSegmentName(entry.path().filename().string())) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Their total size.
inline uint64_t JournalBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& path : JournalSegments(dir)) n += std::filesystem::file_size(path);
  return n;
}

// The engine `*e` crashed now: its data dir `from` copied to `to` as a crash
// would leave it (CrashCopy), `*e` closed, and the copy opened with
// JournalingOptions. Without `journal`, the copy's journal segments are
// removed first: the copy then holds what LevelDB alone has.
inline std::unique_ptr<storage::Engine> CrashAndReopen(std::unique_ptr<storage::Engine>* e,
                                                       const std::string& from,
                                                       const std::string& to, bool journal = true) {
  CrashCopy(from, to);
  e->reset();
  if (!journal) {
    for (const auto& segment : JournalSegments(to)) std::filesystem::remove(segment);
  }
  return OpenTestEngine(JournalingOptions(to));
}

}  // namespace ringkv::testing
