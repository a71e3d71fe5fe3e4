// LevelDB's status as the engine's (engine.cc, engine_hints.cc).
#pragma once

#include <leveldb/status.h>

#include "storage/status.h"

namespace ringkv::storage {

Status FromLevelDb(const leveldb::Status& s);

}  // namespace ringkv::storage
