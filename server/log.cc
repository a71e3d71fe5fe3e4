#include "server/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <ctime>

namespace ringkv::server {

Logger::~Logger() {
  if (own_file_) fclose(file_);
}

bool Logger::Open(const std::string& path, LogLevel level) {
  level_ = level;
  if (path.empty()) return true;
  FILE* f = fopen(path.c_str(), "a");
  if (!f) return false;
  if (own_file_) fclose(file_);
  file_ = f;
  own_file_ = true;
  return true;
}

void Logger::Write(LogLevel level, std::string_view msg) {
  if (!Enabled(level)) return;
  static constexpr char kMarks[] = {'.', '-', '*', '#'};
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  localtime_r(&tv.tv_sec, &tm);
  char date[64];
  size_t n = strftime(date, sizeof(date), "%d %b %Y %H:%M:%S", &tm);
  fmt::print(file_, "{}:M {}.{:03d} {} {}\n", getpid(), std::string_view(date, n),
             static_cast<int>(tv.tv_usec / 1000), kMarks[static_cast<int>(level) & 3], msg);
  fflush(file_);
}

}  // namespace ringkv::server
