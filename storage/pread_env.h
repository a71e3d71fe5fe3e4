// A LevelDB Env that maps table files into memory only up to a budget and
// reads the rest with pread(), writes them in 64 KB pieces instead of one
// write() per 4 KB block, and runs LevelDB's background work (compactions) at
// a lower CPU priority.
//
// LevelDB's default Env maps up to 1000 table files into memory, whatever
// their size. Mapped pages a read touched count in the process's resident
// set, so the RSS of a server whose data is larger than its cache would grow
// with the data set, although the pages are the kernel's page cache (which a
// pread() fills just the same). Here the mapped files' total size stays
// within SetMmapBudget's (`leveldb-mmap-size`), and files past it are read
// with pread() into LevelDB's block buffers: the RSS stays what the server
// holds (record cache, block cache, memtables, mappings), each bounded by its
// option. Only the thread that serves requests reads through the mappings
// (MapReadsOnThisThread); compactions and the key filter's load read each
// file through once, with pread(), and leave its pages out of the RSS. A
// read from a mapped file is a pointer into the mapping (LevelDB
// decompresses it into a buffer of its own if compression is on); with 5M
// keys read at random from a 114 MB database, mapping all of it cut the CPU
// per GET by about 10% (pread and its copy were 14% of it).
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

#include <climits>
#include <cstdint>

namespace ringkv::storage {

// The process-wide instance (LevelDB Envs live as long as the process).
leveldb::Env* PreadEnv();

// How many bytes of table files may be mapped at once (0: none), from the
// next file LevelDB opens on; and how many are mapped now.
void SetMmapBudget(uint64_t bytes);
uint64_t MappedBytes();

// Whether the calling thread reads mapped files through their mapping (the
// threads that serve requests) or with pread() (the default: compactions,
// loads, anything that reads a file through once). See MappedFile.
void MapReadsOnThisThread(bool on);

// The background thread's nice value relative to the calling thread's (the
// engine's; 0: equal; the sum is capped at 19; negative: none, each job runs
// at the nice value the thread has), from its next job on. The
// value is set outright before each job, not added once: LevelDB starts its
// thread from whichever thread first schedules a job, and a new thread
// inherits that thread's nice value. Started from the write-behind writer
// at write-behind-nice 10, an added 10 had put compaction at 19, where CPU
// hogs starved it and writes stalled for seconds. (An operator's renice of
// that thread lasts until its next job: leveldb-compaction-nice sets it.)
void SetBackgroundNice(int nice);
// The absolute nice value jobs run at, or kBackgroundNiceUnset.
inline constexpr int kBackgroundNiceUnset = INT_MIN;
int BackgroundNice();
// Makes sure LevelDB's background thread exists, started from the calling
// thread if it does not yet (a new thread inherits its nice value: where a
// lower one is not allowed, a thread started from a niced one would stay
// there). Call from the engine's thread before a database opens.
void StartBackgroundThread();

// The thread id of LevelDB's background thread, once it ran its first job
// (0 before). It lives as long as the process.
pid_t BackgroundThreadId();

}  // namespace ringkv::storage
