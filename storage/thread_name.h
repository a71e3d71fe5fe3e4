// Names the calling thread, as `top -H`, `ps -L` and perf show it (Linux
// keeps 15 bytes). Every thread the server starts has one: "rkv-" and what
// it does.
#pragma once

#include <pthread.h>

namespace ringkv::storage {

inline void NameThisThread(const char* name) { (void)pthread_setname_np(pthread_self(), name); }

}  // namespace ringkv::storage
