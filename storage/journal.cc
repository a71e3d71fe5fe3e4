#include "storage/journal.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "storage/crc32c.h"
#include "storage/durable_file.h"
#include "storage/record.h"

namespace ringkv::storage {
namespace {

constexpr std::string_view kPrefix = "journal-";
constexpr std::string_view kSuffix = ".rkj";
constexpr std::string_view kDroppedSuffix = ".dropped";  // after kSuffix: DropOld's
constexpr size_t kHeader = 8;                            // a record's length and checksum
constexpr char kOpDelete = 0;
constexpr char kOpPut = 1;
constexpr char kOpRange = 2;
constexpr char kOpPatch = 3;

// As LevelDB does for its logs: a CRC stored inside the data it covers (a
// journal holding journals) must not look valid, and zeros must not either.
uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

void PutFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

uint32_t RecordCrc(const char* len_bytes, std::string_view payload) {
  return Mask(Crc32c(payload.data(), payload.size(), Crc32c(len_bytes, 4)));
}

bool ParseNumber(std::string_view name, uint64_t* number) {
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return false;
  std::string_view digits =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 18) return false;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = n;
  return true;
}

Status Errno(const std::string& what, int err) {
  return Status::IoError(what + ": " + std::strerror(err));
}

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

// Whether a whole record with a good checksum starts at `at`.
bool ValidRecordAt(std::string_view at) {
  if (at.size() < kHeader) return false;
  uint32_t len = GetFixed32(at.data());
  if (at.size() - kHeader < len) return false;
  return GetFixed32(at.data() + 4) == RecordCrc(at.data(), at.substr(kHeader, len));
}

// `rest` starts with a record whose length runs past the end of the file:
// a write a crash cut short, or a damaged length. Damage shows as a good
// record starting where one of the payload's writes ends; user bytes inside
// a value never count, and the checks are one per write.
bool ValidRecordFollows(std::string_view rest) {
  if (rest.size() < kHeader) return false;  // the header itself cut short
  std::string_view in = rest.substr(kHeader);
  Journal::Op op;
  while (!in.empty()) {
    if (!Journal::NextOp(&in, &op)) return false;  // cut short: nothing valid after it
    if (ValidRecordAt(in)) return true;
  }
  return false;
}

void PutBytes(std::string* out, std::string_view b) {
  PutVarint(out, b.size());
  out->append(b);
}

constexpr size_t kMaxVarintBytes = 10;

// Makes room for `n` more bytes at the end of `out`; returns where they start.
char* Grow(std::string* out, size_t n) {
  const size_t at = out->size();
  out->resize(at + n);
  return out->data() + at;
}

// PutBytes into memory Grow made room for; returns the end of what it wrote.
char* EncodeBytes(char* p, std::string_view b) {
  uint64_t v = b.size();
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  if (!b.empty()) std::memcpy(p, b.data(), b.size());
  return p + b.size();
}

bool GetBytes(std::string_view* in, std::string_view* b) {
  uint64_t n;
  if (!GetVarint(in, &n) || in->size() < n) return false;
  *b = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

void Journal::AppendPut(std::string* payload, std::string_view key, std::string_view value) {
  // The most frequent op, written with one resize instead of five appends.
  char* p = Grow(payload, 1 + 2 * kMaxVarintBytes + key.size() + value.size());
  *p++ = kOpPut;
  p = EncodeBytes(p, key);
  p = EncodeBytes(p, value);
  payload->resize(static_cast<size_t>(p - payload->data()));
}

void Journal::AppendDelete(std::string* payload, std::string_view key) {
  payload->push_back(kOpDelete);
  PutBytes(payload, key);
}

void Journal::AppendRange(std::string* payload, std::string_view key, uint64_t keep,
                          std::string_view value) {
  payload->push_back(kOpRange);
  PutBytes(payload, key);
  PutVarint(payload, keep);
  PutBytes(payload, value);
}

void Journal::AppendPatch(std::string* payload, std::string_view key, uint64_t offset,
                          std::string_view value) {
  payload->push_back(kOpPatch);
  PutBytes(payload, key);
  PutVarint(payload, offset);
  PutBytes(payload, value);
}

bool Journal::NextOp(std::string_view* in, Op* op) {
  if (in->empty()) return false;
  const char code = in->front();
  in->remove_prefix(1);
  op->value = {};
  op->keep = 0;
  switch (code) {
    case kOpDelete:
      op->kind = Op::kDelete;
      return GetBytes(in, &op->key);
    case kOpPut:
      op->kind = Op::kPut;
      return GetBytes(in, &op->key) && GetBytes(in, &op->value);
    case kOpRange:
      op->kind = Op::kRange;
      return GetBytes(in, &op->key) && GetVarint(in, &op->keep) && GetBytes(in, &op->value);
    case kOpPatch:
      op->kind = Op::kPatch;
      return GetBytes(in, &op->key) && GetVarint(in, &op->keep) && GetBytes(in, &op->value);
    default:
      return false;
  }
}

void Journal::ApplyRange(std::string* stored, uint64_t keep, std::string_view value) {
  // Kept bytes past the stored value's end are not there to keep: the state
  // a replay starts from may be a later one, which a later write of the
  // same replay then cuts back or replaces (see the top of journal.h).
  if (keep < stored->size()) stored->resize(keep);
  stored->append(value);
}

void Journal::ApplyPatch(std::string* stored, uint64_t offset, std::string_view value) {
  // Past the stored value's end only in a replay over a later state, which a
  // later write of the same replay cuts back or replaces (journal.h).
  if (stored->size() < offset + value.size()) stored->resize(offset + value.size(), '\0');
  stored->replace(offset, value.size(), value);
}

bool Journal::IsSegmentName(std::string_view name) {
  uint64_t n;
  return ParseNumber(name, &n);
}

std::string Journal::PathOf(uint64_t number) const {
  char name[64];
  std::snprintf(name, sizeof name, "%s%06llu%s", kPrefix.data(),
                static_cast<unsigned long long>(number), kSuffix.data());
  return (std::filesystem::path(dir_) / name).string();
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir, Log log) {
  std::unique_ptr<Journal> j(new Journal(dir, std::move(log)));
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    uint64_t n;
    if (ParseNumber(name, &n)) {
      j->old_.push_back(n);
    } else if (name.ends_with(kDroppedSuffix) &&
               ParseNumber(name.substr(0, name.size() - kDroppedSuffix.size()), &n)) {
      // Dropped, and the process ended before it was deleted.
      if (::unlink(it->path().c_str()) != 0 && errno != ENOENT) {
        return Errno("removing " + it->path().string(), errno);
      }
    }
  }
  if (ec) return Status::IoError("listing " + dir + ": " + ec.message());
  std::sort(j->old_.begin(), j->old_.end());
  if (!j->old_.empty()) j->next_ = j->old_.back() + 1;
  return j;
}

Journal::~Journal() { CloseCurrent(); }

void Journal::CloseCurrent() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status Journal::Replay(const std::function<Status(std::string_view)>& fn, ReplayStats* stats) {
  // A record a crash cut short can only be followed by empty segments (one
  // made after it, before the crash).
  size_t last = 0;
  for (size_t i = 0; i < old_.size(); ++i) {
    std::error_code ec;
    if (std::filesystem::file_size(PathOf(old_[i]), ec) > 0 || ec) last = i;
  }
  for (size_t i = 0; i < old_.size(); ++i) {
    Status s = ReplaySegment(PathOf(old_[i]), i >= last, fn, stats, log_);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Journal::ReplaySegment(const std::string& path, bool last,
                              const std::function<Status(std::string_view)>& fn, ReplayStats* stats,
                              const Log& log) {
  // A read error must stop the replay: an istreambuf_iterator would end at
  // it silently, and the records past it would pass for a torn tail.
  std::string data;
  Status read = ReadWholeFile(path, &data);
  if (!read.ok()) return read;
  if (log)
    log("Replaying the write journal " + path + " (" + std::to_string(data.size()) + " bytes)");
  std::string_view in(data);
  size_t pos = 0;
  uint64_t records = 0;
  while (pos < in.size()) {
    std::string_view rest = in.substr(pos);
    bool whole = rest.size() >= kHeader;
    uint32_t len = whole ? GetFixed32(rest.data()) : 0;
    whole = whole && rest.size() - kHeader >= len;
    bool valid = whole && ValidRecordAt(rest);
    if (!valid) {
      // Cut short at the end (the header or the payload runs past the end of
      // the file), the last record with a bad checksum, or zeros to the end:
      // a write that a crash interrupted. Anything else is damage.
      // (A length cut short or damaged looks the same; a good record
      // after it tells them apart.)
      bool torn = (!whole && !ValidRecordFollows(rest)) || pos + kHeader + len == in.size() ||
                  AllZero(rest);
      if (!last || !torn) {
        return Status::Corruption(
            "the write journal " + path + " is damaged at offset " + std::to_string(pos) +
            " (a record with a bad checksum" +
            (last ? ", followed by more data" : ", in a segment that is not the last") +
            "); refusing to start");
      }
      stats->dropped_bytes += rest.size();
      if (log) {
        log("The write journal " + path + " ends with " + std::to_string(rest.size()) +
            " bytes of a record a crash cut short (never acknowledged); dropped");
      }
      break;
    }
    Status s = fn(rest.substr(kHeader, len));
    if (!s.ok()) return s;
    pos += kHeader + len;
    ++records;
    stats->bytes += kHeader + len;
  }
  stats->records += records;
  return Status::Ok();
}

Status Journal::StartSegment() {
  if (fd_ >= 0) {
    // Its records synced before any can follow in the next segment: a power
    // cut must not keep a later record and lose an earlier one.
    if (::fdatasync(fd_) != 0)
      return Errno("fdatasync of the write journal " + PathOf(current_), errno);
    old_.push_back(current_);
    ranges_old_ = ranges_old_ || ranges_current_;
    ranges_current_ = false;
  }
  CloseCurrent();
  const uint64_t n = next_++;
  const std::string path = PathOf(n);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("creating " + path, errno);
  fd_ = fd;
  current_ = n;
  segment_bytes_ = 0;    // (a failure stays: the engine is read-only until restarted)
  return SyncDir(dir_);  // else a power cut could lose the file with its records
}

Status Journal::DropOld(std::vector<std::string>* dropped) {
  for (uint64_t n : old_) {
    const std::string path = PathOf(n);
    if (dropped) {
      std::string to = path + std::string(kDroppedSuffix);
      if (::rename(path.c_str(), to.c_str()) != 0) {
        if (errno == ENOENT) continue;
        return Errno("renaming " + path, errno);
      }
      dropped->push_back(std::move(to));
    } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Errno("removing " + path, errno);
    }
  }
  if (old_.empty()) return Status::Ok();
  old_.clear();
  ranges_old_ = false;
  return SyncDir(dir_);
}

Status Journal::DropAll(std::vector<std::string>* dropped) {
  if (fd_ >= 0) old_.push_back(current_);
  ranges_old_ = ranges_old_ || ranges_current_;
  ranges_current_ = false;
  CloseCurrent();
  segment_bytes_ = 0;
  return DropOld(dropped);
}

Status Journal::RemoveAll(const std::string& dir) {
  auto j = Open(dir, nullptr);
  if (!j.ok()) return j.status();
  return (*j)->DropOld();
}

Status Journal::Append(bool sync) {
  if (!failure_.ok()) return failure_;
  if (fd_ < 0) return Status::IoError("the write journal has no open segment");
  if (payload_.size() > UINT32_MAX) {
    return Status::InvalidArgument("a commit of " + std::to_string(payload_.size()) +
                                   " bytes is too large for the write journal (4 GB)");
  }
  char header[kHeader];
  PutFixed32(header, static_cast<uint32_t>(payload_.size()));
  PutFixed32(header + 4, RecordCrc(header, payload_));
  iovec iov[2] = {{header, kHeader}, {payload_.data(), payload_.size()}};
  const size_t total = kHeader + payload_.size();
  size_t done = 0;
  while (done < total) {
    ssize_t w = ::writev(fd_, iov, 2);
    if (w < 0) {
      if (errno == EINTR) continue;
      failure_ = Errno("writing the write journal " + PathOf(current_), errno);
      return failure_;
    }
    done += static_cast<size_t>(w);
    // A short write: go on from where it stopped.
    size_t skip = static_cast<size_t>(w);
    for (iovec& v : iov) {
      size_t k = std::min(skip, v.iov_len);
      v.iov_base = static_cast<char*>(v.iov_base) + k;
      v.iov_len -= k;
      skip -= k;
    }
  }
  segment_bytes_ += total;
  if (sync && ::fdatasync(fd_) != 0) {
    failure_ = Errno("fdatasync of the write journal " + PathOf(current_), errno);
    return failure_;
  }
  return Status::Ok();
}

}  // namespace ringkv::storage
