// Log lines in redis-server's format:
//   12345:M 25 Nov 2026 23:17:52.123 * Ready to accept connections
// Levels and marks: debug '.', verbose '-', notice '*', warning '#'.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "server/config.h"

namespace ringkv::server {

class Logger {
 public:
  Logger() = default;
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // `path` "" logs to stdout. Returns false if the file cannot be opened.
  bool Open(const std::string& path, LogLevel level);
  void set_level(LogLevel level) { level_ = level; }
  bool Enabled(LogLevel level) const { return level >= level_; }
  void Write(LogLevel level, std::string_view msg);

  template <class... A>
  void Debug(fmt::format_string<A...> f, A&&... a) {
    Log(LogLevel::kDebug, f, std::forward<A>(a)...);
  }
  template <class... A>
  void Verbose(fmt::format_string<A...> f, A&&... a) {
    Log(LogLevel::kVerbose, f, std::forward<A>(a)...);
  }
  template <class... A>
  void Notice(fmt::format_string<A...> f, A&&... a) {
    Log(LogLevel::kNotice, f, std::forward<A>(a)...);
  }
  template <class... A>
  void Warning(fmt::format_string<A...> f, A&&... a) {
    Log(LogLevel::kWarning, f, std::forward<A>(a)...);
  }

 private:
  template <class... A>
  void Log(LogLevel level, fmt::format_string<A...> f, A&&... a) {
    if (Enabled(level)) Write(level, fmt::format(f, std::forward<A>(a)...));
  }
  FILE* file_ = stdout;
  bool own_file_ = false;
  LogLevel level_ = LogLevel::kNotice;
};

}  // namespace ringkv::server
