#include "cluster/task.h"

#include <new>
#include <vector>

namespace ringkv::cluster::detail {
namespace {

// Size classes of 64 bytes up to 4 KiB; larger frames go to the heap.
constexpr size_t kGranule = 64;
constexpr size_t kClasses = 64;
constexpr size_t kMaxPooledPerClass = 1024;

struct FramePool {
  std::vector<void*> free[kClasses];
  ~FramePool() {
    for (auto& list : free)
      for (void* p : list) ::operator delete(p);
  }
};
thread_local FramePool pool;

size_t ClassOf(size_t n) { return (n + kGranule - 1) / kGranule - 1; }

}  // namespace

void* AllocFrame(size_t n) {
  size_t c = ClassOf(n);
  if (c < kClasses && !pool.free[c].empty()) {
    void* p = pool.free[c].back();
    pool.free[c].pop_back();
    return p;
  }
  return ::operator new(c < kClasses ? (c + 1) * kGranule : n);
}

void FreeFrame(void* p, size_t n) noexcept {
  size_t c = ClassOf(n);
  if (c < kClasses && pool.free[c].size() < kMaxPooledPerClass) {
    pool.free[c].push_back(p);  // capacity grows once, then stays
    return;
  }
  ::operator delete(p);
}

}  // namespace ringkv::cluster::detail
