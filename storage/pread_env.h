// A LevelDB Env that reads table files with pread() instead of mapping them.
//
// LevelDB's default Env maps up to 1000 table files into memory. Mapped pages
// a read touched count in the process's resident set, so the RSS of a server
// whose data is larger than its cache grows with the data set even though the
// pages are the kernel's page cache. Reading with pread() into LevelDB's block
// buffers keeps the RSS what the server itself holds: the record cache, the
// block cache and the memtables, each bounded by its option.
#pragma once

#include <leveldb/env.h>

namespace ringkv::storage {

// The process-wide instance (LevelDB Envs live as long as the process).
leveldb::Env* PreadEnv();

}  // namespace ringkv::storage
