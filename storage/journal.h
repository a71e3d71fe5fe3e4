// The write journal of the engine's write-behind (engine.h): what makes a
// commit durable when its records reach LevelDB only later.
//
// A journal is a sequence of segment files in the data dir,
// journal-NNNNNN.rkj (a name LevelDB ignores), each a sequence of records:
//   length   uint32, little-endian: of the payload
//   checksum uint32, little-endian: masked CRC-32C of the length and payload
//   payload  the commit's LevelDB writes, in order, each:
//              op    1 byte: 1 put, 0 delete, 2 range, 3 patch
//              key   varint length, bytes
//              keep  (a range or patch only) varint
//              value (a put, range or patch only) varint length, bytes
// A range writes the key's stored value cut to its first `keep` bytes, then
// `value` (ApplyRange): what a small change to a big value journals (an
// APPEND to a 4 MB string: the appended bytes, not 4 MB). A patch writes
// the stored value with `value` in place of its bytes from `keep` on
// (ApplyPatch), within the value's length: changes inside a big value (a
// SETBIT in a 1 MB bitmap: a byte, not 1 MB).
// A commit appends one record with one writev() (and an fdatasync under
// appendfsync always). A record is never changed once written; a segment is
// deleted only when LevelDB durably holds everything it journaled (DropOld).
// Replaying a segment over a database that already holds some of its writes
// ends in the same state. A put or delete writes a whole value. A range
// keeps a prefix of the value before it (`keep` is at most its length when
// the engine writes it), so every state from the replay's start on is at
// least as long as the shortest prefix that any range of the key kept; at
// that range the replay and the first run reach the same length and bytes
// after the prefix. Without patches the prefix itself never changes, so
// they reach the same value, and stay together after it. Patches only
// overwrite bytes (within the value's length when the engine writes them),
// each with the same bytes in both runs: at that range the two values can
// differ only in bytes that a later patch overwrites in both, and without a
// range the replay's start differs from the first run's only in bytes that
// the patches overwrite. (A replay's patch past the end of a value pads it
// with zeros first; such a value is cut back by the range that follows it,
// or replaced by a later put or delete.) Unit tests replay random histories
// from every point; a brute-force check of all histories of four ops over
// short strings found no counterexample, and found one as soon as a range
// may keep more than the value's length.
//
// Loop thread only (Engine::SyncLogFiles syncs the segments by name from
// another thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace ringkv::storage {

class Journal {
 public:
  using Log = std::function<void(const std::string&)>;

  // The segments found in `dir`, oldest first. Creates nothing.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir, Log log);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  bool has_old_segments() const { return !old_.empty(); }
  // Notes that the record just appended holds a range or patch op (both
  // "ranges" here); has_ranges() says
  // whether a segment not yet deleted holds one. The engine then syncs the
  // journal before it lets LevelDB hold later writes of any key: a power cut
  // that kept those and lost the journal's tail would replay a range over
  // a value it was not made for (a put or a range is safe to replay over
  // a later state only if every write in between is replayed too).
  void MarkRanges() { ranges_current_ = true; }
  bool has_ranges() const { return ranges_current_ || ranges_old_; }

  struct ReplayStats {
    uint64_t records = 0;
    uint64_t bytes = 0;
    uint64_t dropped_bytes = 0;  // a torn record at the very end
  };
  // Calls fn(payload) for every record of the segments found at Open, in
  // order. A record cut short at the end of the last segment (a write a crash
  // interrupted, or the zeros or garbage a power cut can leave past the last
  // synced byte) ends the replay there, with a warning in the log; a damaged
  // record anywhere else is a Corruption error. Progress goes to the log.
  Status Replay(const std::function<Status(std::string_view payload)>& fn, ReplayStats* stats);

  // Creates the next segment (and syncs the directory), where Append writes
  // from now on. The segments before it stay until DropOld.
  Status StartSegment();
  // Deletes every segment before the current one, then syncs the directory.
  // Only once LevelDB holds, durably, every write they journaled.
  // With `dropped`, renames them instead (never replayed: Open deletes such
  // files) and adds the new paths, to delete on another thread: deleting a
  // segment of several MB took the loop 0.4-0.7 ms, a rename a few us.
  Status DropOld(std::vector<std::string>* dropped = nullptr);
  // Deletes every segment, the current one too (after which Append fails
  // until StartSegment).
  Status DropAll(std::vector<std::string>* dropped = nullptr);

  // The payload buffer of the next record, empty. (It holds the last
  // record's until then: the engine reads it after Append.)
  std::string* Begin() {
    constexpr size_t kKeepBuffer = 1 << 20;  // a big commit's buffer is not kept
    if (payload_.capacity() > kKeepBuffer) std::string().swap(payload_);
    payload_.clear();
    return &payload_;
  }
  // Frees the payload buffer's memory (journaling stops for a while).
  void FreeBuffer() { std::string().swap(payload_); }
  // Writes the record begun with one writev(); fdatasync()s the segment if
  // `sync`. After a failure (the record may be torn on disk) every later
  // Append fails too, without writing: a torn record must stay the last.
  Status Append(bool sync);
  bool failed() const { return !failure_.ok(); }

  uint64_t segment_bytes() const { return segment_bytes_; }
  uint64_t current_segment() const { return current_; }  // its number (valid if segments() > 0)
  uint64_t segments() const { return old_.size() + (fd_ >= 0 ? 1 : 0); }

  // The payload's writes (AppendPut, AppendDelete to build one; NextOp
  // takes the first off `*in`, false if it is malformed).
  struct Op {
    enum Kind : uint8_t { kDelete, kPut, kRange, kPatch };
    Kind kind = kDelete;
    std::string_view key, value;
    uint64_t keep = 0;  // a range's bytes kept; a patch's offset
    bool put() const { return kind == kPut; }
  };
  static void AppendPut(std::string* payload, std::string_view key, std::string_view value);
  static void AppendDelete(std::string* payload, std::string_view key);
  static void AppendRange(std::string* payload, std::string_view key, uint64_t keep,
                          std::string_view value);
  static void AppendPatch(std::string* payload, std::string_view key, uint64_t offset,
                          std::string_view value);
  static bool NextOp(std::string_view* in, Op* op);
  // A range op's write: `*stored` (the key's stored value; empty if none)
  // cut to its first `keep` bytes, then `value` after them.
  static void ApplyRange(std::string* stored, uint64_t keep, std::string_view value);
  // A patch op's: `value` over `*stored`'s bytes from `offset` on, `*stored`
  // padded with zeros to reach them first if it is shorter.
  static void ApplyPatch(std::string* stored, uint64_t offset, std::string_view value);
  // Either of them, by op.kind.
  static void ApplyInPlace(std::string* stored, const Op& op) {
    if (op.kind == Op::kPatch) {
      ApplyPatch(stored, op.keep, op.value);
    } else {
      ApplyRange(stored, op.keep, op.value);
    }
  }

  // Whether `name` (a file name, no directory) is a journal segment's.
  static bool IsSegmentName(std::string_view name);
  // Deletes every segment in `dir` (FLUSHALL: the data they hold is gone),
  // then syncs the directory.
  static Status RemoveAll(const std::string& dir);

 private:
  Journal(std::string dir, Log log) : dir_(std::move(dir)), log_(std::move(log)) {}
  std::string PathOf(uint64_t number) const;
  static Status ReplaySegment(const std::string& path, bool last,
                              const std::function<Status(std::string_view)>& fn, ReplayStats* stats,
                              const Log& log);
  void CloseCurrent();

  const std::string dir_;
  Log log_;
  std::vector<uint64_t> old_;  // segments before the current one, ascending
  uint64_t current_ = 0;       // the current segment's number (valid if fd_ >= 0)
  uint64_t next_ = 1;          // the number StartSegment gives next
  int fd_ = -1;
  uint64_t segment_bytes_ = 0;
  std::string payload_;  // of the record being written
  Status failure_;
  bool ranges_current_ = false;  // MarkRanges: in the current segment
  bool ranges_old_ = false;      // in old_
};

}  // namespace ringkv::storage
