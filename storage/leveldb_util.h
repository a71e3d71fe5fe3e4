// LevelDB glue shared by engine.cc and engine_hints.cc.
#pragma once

#include <leveldb/db.h>
#include <leveldb/status.h>

#include <memory>

#include "storage/status.h"

namespace ringkv::storage {

Status FromLevelDb(const leveldb::Status& s);

// An iterator for a walk that reads each block once (scans, expiry, hints):
// what it reads does not go into the block cache.
std::unique_ptr<leveldb::Iterator> NewWalkIterator(leveldb::DB* db);

}  // namespace ringkv::storage
