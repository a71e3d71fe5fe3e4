// LevelDB glue shared by the storage engine's files (defined in engine.cc
// unless said).
#pragma once

#include <leveldb/db.h>
#include <leveldb/status.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace ringkv::storage {

Status FromLevelDb(const leveldb::Status& s);

// Milliseconds of the steady clock (defined in engine_journal.cc).
int64_t SteadyMs();

// fdatasync()s LevelDB's logs (NNNNNN.log) in `dir`, or (`journal`) the
// write journal's segments, through descriptors of their own (so from any
// thread); counts them in `*synced` if given (defined in engine.cc).
Status SyncDirFiles(const std::string& dir, bool journal, size_t* synced = nullptr);
// LevelDB's logs in `dir` (SyncDirFiles), then `dir` itself (a log made
// since the last directory sync, with its name): LevelDB's synced write
// fsyncs only its current log, and an older one (its memtable not yet in a
// table) may hold unsynced writes. Any thread (defined in engine.cc).
Status SyncLevelDbLogs(const std::string& dir);

// An iterator for a walk that reads each block once (scans, expiry, hints):
// what it reads does not go into the block cache.
std::unique_ptr<leveldb::Iterator> NewWalkIterator(leveldb::DB* db);

// Calls fn(key past the prefix, value) for each record whose key starts with
// `prefix`, from prefix + `from` on, until fn returns false (a walk, as above).
Status WalkPrefix(leveldb::DB* db, const std::string& prefix, std::string_view from,
                  const std::function<bool(leveldb::Slice, leveldb::Slice)>& fn);

// The approximate bytes of the table files (the memtable left out).
uint64_t ApproximateDiskBytes(leveldb::DB* db);

// The table files at each of LevelDB's 7 levels, level 0 first: "0,4,49,2,0,0,0".
std::string FilesPerLevel(leveldb::DB* db);

}  // namespace ringkv::storage
