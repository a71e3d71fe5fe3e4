#include "storage/pread_env.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

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

std::atomic<int> background_nice{0};
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
    thread_local bool adjusted = false;
    if (!adjusted) {
      const pid_t tid = gettid();
      background_tid.store(tid, std::memory_order_relaxed);
      const int more = background_nice.load(std::memory_order_relaxed);
      if (more > 0) {
        adjusted = true;
        // On Linux, PRIO_PROCESS with a thread id addresses that thread
        // alone. Raising the value needs no privilege; a failure only leaves
        // it equal.
        errno = 0;
        int base = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
        if (errno == 0)
          (void)setpriority(PRIO_PROCESS, static_cast<id_t>(tid), std::min(19, base + more));
      }
    }
    job->fn(job->arg);
  }
};

}  // namespace

void SetBackgroundNice(int nice) { background_nice.store(nice, std::memory_order_relaxed); }

pid_t BackgroundThreadId() { return background_tid.load(std::memory_order_relaxed); }

leveldb::Env* PreadEnv() {
  static Env* env = new Env;  // never destroyed: LevelDB may use it until exit
  return env;
}

}  // namespace ringkv::storage
