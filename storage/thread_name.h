// Names the calling thread, as `top -H`, `ps -L` and perf show it (Linux
// keeps 15 bytes). Every thread the server starts has one: "rkv-" and what
// it does. And lowers a background thread's CPU priority.
#pragma once

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace ringkv::storage {

inline void NameThisThread(const char* name) { (void)pthread_setname_np(pthread_self(), name); }

// Raises the calling thread's nice value `steps` above what it is now (to
// 19 at most; a higher value needs no privilege). On Linux, PRIO_PROCESS
// with a thread id addresses that thread alone. Whether it changed; *base
// and *lowered (may be null) get the values before and after.
inline bool LowerThisThread(int steps, int* base = nullptr, int* lowered = nullptr) {
  if (steps <= 0) return false;
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  const int before = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return false;
  const int after = std::min(19, before + steps);
  if (after == before || setpriority(PRIO_PROCESS, tid, after) != 0) return false;
  if (base) *base = before;
  if (lowered) *lowered = after;
  return true;
}

}  // namespace ringkv::storage
