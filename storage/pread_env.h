// A LevelDB Env that reads table files with pread() instead of mapping them,
// writes them in 64 KB pieces instead of one write() per 4 KB block, and runs
// LevelDB's background work (compactions) at a lower CPU priority.
//
// LevelDB's default Env maps up to 1000 table files into memory. Mapped pages
// a read touched count in the process's resident set, so the RSS of a server
// whose data is larger than its cache grows with the data set even though the
// pages are the kernel's page cache. Reading with pread() into LevelDB's block
// buffers keeps the RSS what the server itself holds: the record cache, the
// block cache and the memtables, each bounded by its option.
//
// Compaction is deferrable work: on a machine whose cores are busy serving
// requests, a compaction thread at equal priority takes CPU from the loop
// thread (with random overwrites it used as much CPU as the loop). At a higher
// nice value it runs on idle CPU first; if it falls far behind, LevelDB itself
// slows and then stops writes (8 and 12 level-0 files), which idles the loop
// and lets compaction catch up, so the debt stays bounded. Lower still, under
// SCHED_IDLE while it has no such debt: background_priority.h.
#pragma once

#include <leveldb/env.h>
#include <sys/types.h>

namespace ringkv::storage {

// The process-wide instance (LevelDB Envs live as long as the process).
leveldb::Env* PreadEnv();

// The background thread's nice value relative to the process's (0: equal;
// the sum is capped at 19). Applied once, at that thread's first job, so set
// it before the first database opens.
void SetBackgroundNice(int nice);

// The thread id of LevelDB's background thread, once it ran its first job
// (0 before). It lives as long as the process.
pid_t BackgroundThreadId();

}  // namespace ringkv::storage
