#include "storage/pread_env.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "storage/thread_name.h"

namespace ringkv::storage {
namespace {

leveldb::Status ErrnoStatus(const std::string& context, int err) {
  if (err == ENOENT) return leveldb::Status::NotFound(context, std::strerror(err));
  return leveldb::Status::IOError(context, std::strerror(err));
}

class PreadFile final : public leveldb::RandomAccessFile {
 public:
  PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  ~PreadFile() override { ::close(fd_); }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        *result = leveldb::Slice(scratch, 0);
        return ErrnoStatus(name_, errno);
      }
      if (r == 0) break;  // end of file: LevelDB checks the length it got
      done += static_cast<size_t>(r);
    }
    *result = leveldb::Slice(scratch, done);
    return leveldb::Status::OK();
  }

 private:
  const std::string name_;
  const int fd_;
};

std::atomic<uint64_t> mmap_budget{0};
std::atomic<uint64_t> mmap_used{0};

// Takes `bytes` of the mapping budget; false if they do not fit.
bool ReserveMapping(uint64_t bytes) {
  const uint64_t budget = mmap_budget.load(std::memory_order_relaxed);
  uint64_t used = mmap_used.load(std::memory_order_relaxed);
  do {
    if (bytes > budget || used > budget - bytes) return false;
  } while (!mmap_used.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

// Whether this thread's reads of a mapped file use the mapping.
thread_local bool reads_mapped = false;

// A table file mapped into memory, within the budget: a read is a pointer
// into the mapping (LevelDB uses it as is), with no system call and no copy.
// Only on the threads that serve requests (MapReadsOnThisThread): a page a
// read touched through the mapping stays in the RSS while the file is open,
// and a compaction, or the key filter's load, reads whole files once. Those
// read with pread(), through the page cache, as for files past the budget;
// the mapping then holds mostly the pages that requests read (a fault also
// maps neighbours that the page cache holds), at most the budget.
class MappedFile final : public leveldb::RandomAccessFile {
 public:
  MappedFile(std::string name, int fd, const char* base, size_t length)
      : name_(std::move(name)), file_(name_, fd), base_(base), length_(length) {}
  ~MappedFile() override {
    ::munmap(const_cast<char*>(base_), length_);
    mmap_used.fetch_sub(length_, std::memory_order_relaxed);
  }

  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    if (!reads_mapped) return file_.Read(offset, n, result, scratch);
    if (offset > length_ || n > length_ - offset) {
      *result = leveldb::Slice();
      return leveldb::Status::IOError(name_, "read past the end of the file");
    }
    *result = leveldb::Slice(base_ + offset, n);
    return leveldb::Status::OK();
  }

 private:
  const std::string name_;
  const PreadFile file_;  // owns the descriptor
  const char* const base_;
  const size_t length_;
};

// A table file (.ldb, .sst) that LevelDB writes while it flushes a memtable
// or compacts. LevelDB's TableBuilder calls Flush() after every data block
// (4 KB), which the default Env turns into one write() each; a table is only
// read back after Sync() and Close(), so those calls buy nothing. This file
// ignores them and lets the default Env's 64 KB buffer fill instead: a 2 MB
// compaction output is 32 write() calls instead of about 500.
class TableFile final : public leveldb::WritableFile {
 public:
  explicit TableFile(leveldb::WritableFile* file) : file_(file) {}

  leveldb::Status Append(const leveldb::Slice& data) override { return file_->Append(data); }
  leveldb::Status Close() override { return file_->Close(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  leveldb::Status Sync() override { return file_->Sync(); }  // writes the buffer first

 private:
  std::unique_ptr<leveldb::WritableFile> file_;
};

bool IsTableFile(const std::string& name) {
  return name.ends_with(".ldb") || name.ends_with(".sst");
}

std::atomic<int> background_nice{kBackgroundNiceUnset};  // absolute
std::atomic<pid_t> background_tid{0};

class Env final : public leveldb::EnvWrapper {
 public:
  Env() : leveldb::EnvWrapper(leveldb::Env::Default()) {}

  // LevelDB runs its compactions as jobs on one background thread of the
  // default Env; each job first brings that thread to the configured nice.
  void Schedule(void (*fn)(void*), void* arg) override {
    target()->Schedule(&Env::RunJob, new Job{fn, arg});
  }

  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override {
    leveldb::Status s = target()->NewWritableFile(name, result);
    if (s.ok() && IsTableFile(name)) *result = new TableFile(*result);
    return s;
  }

  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override {
    *result = nullptr;
    int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(name, errno);
    struct stat st;
    if (::fstat(fd, &st) == 0 && st.st_size > 0 && ReserveMapping(st.st_size)) {
      const size_t length = static_cast<size_t>(st.st_size);
      void* base = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
      if (base != MAP_FAILED) {
        // Reads are at random: a fault reads no neighbouring pages ahead.
        (void)::madvise(base, length, MADV_RANDOM);
        *result = new MappedFile(name, fd, static_cast<const char*>(base), length);
        return leveldb::Status::OK();
      }
      mmap_used.fetch_sub(length, std::memory_order_relaxed);
    }
    *result = new PreadFile(name, fd);
    return leveldb::Status::OK();
  }

 private:
  struct Job {
    void (*fn)(void*);
    void* arg;
  };

  static void RunJob(void* p) {
    std::unique_ptr<Job> job(static_cast<Job*>(p));
    thread_local bool named = false;
    if (!named) {
      NameThisThread("rkv-compact");
      named = true;
    }
    background_tid.store(gettid(), std::memory_order_relaxed);
    // Set outright, before every job: the thread inherited the nice value
    // of the thread whose job started it. Going down needs the right to
    // raise a thread's priority; without it the thread stays where it is.
    const int want = background_nice.load(std::memory_order_relaxed);
    if (want != kBackgroundNiceUnset) {
      const auto tid = static_cast<id_t>(gettid());
      errno = 0;
      const int now = getpriority(PRIO_PROCESS, tid);
      if (errno == 0 && now != want) (void)setpriority(PRIO_PROCESS, tid, want);
    }
    job->fn(job->arg);
  }
};

}  // namespace

void SetMmapBudget(uint64_t bytes) { mmap_budget.store(bytes, std::memory_order_relaxed); }

uint64_t MappedBytes() { return mmap_used.load(std::memory_order_relaxed); }

void MapReadsOnThisThread(bool on) { reads_mapped = on; }

int BackgroundNice() { return background_nice.load(std::memory_order_relaxed); }

void SetBackgroundNice(int nice) {
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  background_nice.store(
      nice < 0 ? kBackgroundNiceUnset : std::min(19, (errno == 0 ? own : 0) + nice),
      std::memory_order_relaxed);
}

void StartBackgroundThread() {
  PreadEnv()->Schedule([](void*) {}, nullptr);
}

pid_t BackgroundThreadId() { return background_tid.load(std::memory_order_relaxed); }

leveldb::Env* PreadEnv() {
  static Env* env = new Env;  // never destroyed: LevelDB may use it until exit
  return env;
}

}  // namespace ringkv::storage
