// An in-memory filter of the keys the database stores, so that reading or
// writing a key that is not stored does not search LevelDB to learn so. Every
// write of a new key needs the old record (the key count, the expiry count),
// and without the filter finding out that there is none took a LevelDB Get:
// the memtable's skiplist, then a bloom filter per level-0 file and per
// level. In a bulk load of new keys that was over half of the loop thread.
//
// It is a Bloom filter over the user keys: "absent" is certain, "maybe" is
// wrong for about 1% of absent keys per full stage at 10 bits per key. Keys
// are added, never removed, so a deleted key stays a "maybe" until the
// engine loads a new filter (at start, or when deleted keys fill it:
// Engine::MaintainKeyFilter); written again, it is not added twice. It grows in stages: once the
// newest stage holds as many keys as it was sized for, a stage twice its size
// follows, and a lookup checks each stage (one cache line each: a blocked
// Bloom filter). So it never needs the stored keys again to grow. It holds
// bits_per_key bits per key it was sized for: the keys stored at start plus a
// quarter, then each new stage's; right after a stage is added, up to three
// times what the keys in it need. Stages are mapped memory, so untouched
// pages cost nothing; one that cannot be had leaves the filter at its last.
//
// Loading: a thread of its own (at nice +10) reads every stored key into the
// first stage with its own LevelDB iterator. Until it is done, MayContain
// answers "maybe" to everything. Keys written meanwhile are added by the loop
// thread as always, so nothing written after the iterator's snapshot is
// missed either. (The iterator keeps the files of its snapshot on disk until
// it ends.) Loop thread only, except what the loading thread does.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace leveldb {
class DB;
}

namespace ringkv::storage {

class KeyFilter {
 public:
  // Sized for `expected_keys` in its first stage (at least kMinStageKeys, at
  // most kMaxStageKeys); null if that memory cannot be had.
  static std::unique_ptr<KeyFilter> Create(uint64_t expected_keys, int bits_per_key);
  ~KeyFilter();  // stops and joins the loading thread
  KeyFilter(const KeyFilter&) = delete;
  KeyFilter& operator=(const KeyFilter&) = delete;

  static constexpr uint64_t kMinStageKeys = 1 << 20;
  static constexpr uint64_t kMaxStageKeys = uint64_t{1} << 36;

  static constexpr size_t kWordsPerBlock = 8;  // of a 512-bit block: one cache line
  // A key's hash and bits: a write of a key the filter knows absent asks
  // about it and then adds it, hashing it once.
  struct Probe {
    uint64_t hash;
    uint64_t masks[kWordsPerBlock];
  };
  void Prepare(std::string_view key, Probe* probe) const;

  // Records that `key` may be stored from now on (unless its bits are set
  // already: a key deleted and written again is not added twice).
  void Add(std::string_view key);
  // Add for a key MayContain(*probe) has just found absent, with nothing
  // added in between.
  void AddAbsent(const Probe& probe);
  // False only if `key` is certainly not stored; true until loaded().
  bool MayContain(std::string_view key) const;
  // The same, with the key's probe made (by Prepare) if the filter is loaded
  // (as it is whenever this answers false).
  bool MayContain(std::string_view key, Probe* probe) const;

  // Starts the thread that adds every data key stored in `db`, which must
  // outlive this filter (or its Stop()). If no thread can be started, the
  // filter stays unloaded, with load_error() saying why.
  void StartLoad(leveldb::DB* db);
  // Stops the loading thread (the filter then never becomes loaded).
  void Stop();
  bool loaded() const { return loaded_.load(std::memory_order_acquire); }
  // Keys the loading thread has read so far (the last load's, if restored).
  uint64_t loaded_keys() const { return loaded_keys_.load(std::memory_order_relaxed); }
  // Empty unless loading failed (a read error); the filter then stays unloaded.
  std::string load_error() const;

  // Appends the loaded filter as bytes, to be read back by Restore at the
  // next start (the engine writes them at a clean close: engine_key_filter.cc).
  void SerializeTo(std::string* out) const;
  // A loaded filter from SerializeTo's bytes (loaded_keys() as it was); null
  // (with *why) if they are damaged, or were made with other bits per key or
  // another key hash.
  static std::unique_ptr<KeyFilter> Restore(std::string_view bytes, int bits_per_key,
                                            std::string* why);

  size_t bytes() const;
  size_t stages() const { return stages_count_; }
  uint64_t keys() const;  // added, by either thread

 private:
  struct Stage;
  explicit KeyFilter(int bits_per_key);
  static constexpr size_t kMaxStages = 32;
  static constexpr size_t kBlockBits = kWordsPerBlock * 64;
  // The probes' bits in a key's block, one mask per word of the block.
  void Masks(uint64_t hash, uint64_t* masks) const;
  void Insert(Stage* stage, uint64_t hash, const uint64_t* masks) const;
  // Whether some stage has all the bits of the key (loaded or not).
  bool InAnyStage(uint64_t hash, const uint64_t* masks) const;
  // Whether every bit of `masks` is set in `block` (a stage's).
  static bool InBlock(uint64_t* block, const uint64_t* masks);
  void Load(leveldb::DB* db);
  // False if its memory cannot be had.
  bool AddStage(uint64_t capacity_keys);

  const int bits_per_key_;
  const int probes_;
  // Stage 0 is written by both threads (atomically); later ones are the loop
  // thread's alone, as is stages_count_.
  std::array<std::unique_ptr<Stage>, kMaxStages> stages_;
  size_t stages_count_ = 0;
  std::atomic<bool> loaded_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> loaded_keys_{0};
  std::atomic<bool> failed_{false};
  std::string error_;  // written before failed_ is set (or before the thread starts)
  std::thread loader_;
};

}  // namespace ringkv::storage
