#include "storage/key_filter.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <system_error>

#include "storage/crc32c.h"
#include "storage/hash.h"
#include "storage/leveldb_util.h"
#include "storage/record.h"
#include "storage/thread_name.h"

namespace ringkv::storage {

// Plain words, touched only through std::atomic_ref: stage 0 is written by
// the loading thread and the loop thread at once.
struct KeyFilter::Stage {
  uint64_t* words = nullptr;
  size_t blocks = 0;
  size_t bytes = 0;
  uint64_t capacity = 0;  // keys it was sized for
  std::atomic<uint64_t> count{0};

  // Anonymous mapped memory: page-aligned (so are the 64-byte blocks),
  // zeroed by the kernel page by page as it is first touched.
  Stage(uint64_t capacity_keys, int bits_per_key) : capacity(capacity_keys) {
    const unsigned __int128 bits = static_cast<unsigned __int128>(capacity_keys) * bits_per_key;
    blocks = std::max<size_t>(1, static_cast<size_t>((bits + kBlockBits - 1) / kBlockBits));
    bytes = blocks * (kBlockBits / 8);
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) words = static_cast<uint64_t*>(p);
  }
  ~Stage() {
    if (words) ::munmap(words, bytes);
  }

  uint64_t* Block(uint64_t hash) const {
    const size_t b = static_cast<size_t>((static_cast<unsigned __int128>(hash) * blocks) >> 64);
    return words + b * kWordsPerBlock;
  }
};

KeyFilter::KeyFilter(int bits_per_key)
    : bits_per_key_(std::clamp(bits_per_key, 1, 64)),
      // bits x ln 2 probes, the best number for a Bloom filter (7 at 10
      // bits per key), all within one 512-bit block.
      probes_(std::clamp(static_cast<int>(bits_per_key_ * 0.69 + 0.5), 1, 12)) {}

std::unique_ptr<KeyFilter> KeyFilter::Create(uint64_t expected_keys, int bits_per_key) {
  std::unique_ptr<KeyFilter> f(new KeyFilter(bits_per_key));
  if (!f->AddStage(std::clamp(expected_keys, kMinStageKeys, kMaxStageKeys))) return nullptr;
  return f;
}

KeyFilter::~KeyFilter() { Stop(); }

bool KeyFilter::AddStage(uint64_t capacity_keys) {
  auto stage = std::make_unique<Stage>(capacity_keys, bits_per_key_);
  if (!stage->words) return false;
  stages_[stages_count_++] = std::move(stage);
  return true;
}

// The bit positions come from a mix of the key's hash; the block from the
// hash itself (its high bits, by multiplication), so the two do not correlate.
void KeyFilter::Masks(uint64_t hash, uint64_t* masks) const {
  std::fill(masks, masks + kWordsPerBlock, 0);
  uint64_t g = Mix64(hash);
  for (int i = 0; i < probes_; ++i) {
    if (i != 0 && i % 7 == 0) g = Mix64(g + i);  // 7 probes of 9 bits per 64-bit mix
    const unsigned pos = static_cast<unsigned>(g >> (9 * (i % 7))) & 511;
    masks[pos >> 6] |= uint64_t{1} << (pos & 63);
  }
}

void KeyFilter::Insert(Stage* stage, uint64_t hash, const uint64_t* masks) const {
  uint64_t* block = stage->Block(hash);
  for (size_t w = 0; w < kWordsPerBlock; ++w) {
    if (masks[w]) std::atomic_ref<uint64_t>(block[w]).fetch_or(masks[w], std::memory_order_relaxed);
  }
  stage->count.fetch_add(1, std::memory_order_relaxed);
}

bool KeyFilter::InBlock(uint64_t* block, const uint64_t* masks) {
  for (size_t w = 0; w < kWordsPerBlock; ++w) {
    const uint64_t bits = std::atomic_ref<uint64_t>(block[w]).load(std::memory_order_relaxed);
    if ((bits & masks[w]) != masks[w]) return false;
  }
  return true;
}

bool KeyFilter::InAnyStage(uint64_t hash, const uint64_t* masks) const {
  // Each stage's block is a cache miss (the stages are megabytes, read at
  // random), and a stored key is found in its own stage after the misses of
  // the stages before it. Asked for all at once, the misses overlap.
  uint64_t* blocks[kMaxStages];
  for (size_t s = 0; s < stages_count_; ++s) {
    blocks[s] = stages_[s]->Block(hash);
    __builtin_prefetch(blocks[s]);
  }
  for (size_t s = 0; s < stages_count_; ++s) {
    if (InBlock(blocks[s], masks)) return true;
  }
  return false;
}

void KeyFilter::Prepare(std::string_view key, Probe* probe) const {
  probe->hash = KeyHash(key);
  Masks(probe->hash, probe->masks);
}

void KeyFilter::Add(std::string_view key) {
  Probe p;
  Prepare(key, &p);
  if (InAnyStage(p.hash, p.masks)) return;  // in already, or indistinguishable from one that is
  AddAbsent(p);
}

void KeyFilter::AddAbsent(const Probe& probe) {
  Stage* last = stages_[stages_count_ - 1].get();
  if (last->count.load(std::memory_order_relaxed) >= last->capacity && stages_count_ < kMaxStages &&
      AddStage(std::min(last->capacity * 2, kMaxStageKeys))) {
    last = stages_[stages_count_ - 1].get();
  }
  Insert(last, probe.hash, probe.masks);
}

bool KeyFilter::MayContain(std::string_view key) const {
  Probe p;
  return MayContain(key, &p);
}

bool KeyFilter::MayContain(std::string_view key, Probe* probe) const {
  if (!loaded()) return true;
  Prepare(key, probe);
  return InAnyStage(probe->hash, probe->masks);
}

void KeyFilter::StartLoad(leveldb::DB* db) {
  Stop();
  stop_.store(false);
  try {
    loader_ = std::thread([this, db] { Load(db); });
  } catch (const std::system_error& e) {
    error_ = std::string("cannot start its thread: ") + e.what();
    failed_.store(true, std::memory_order_release);
  }
}

void KeyFilter::Stop() {
  stop_.store(true);
  if (loader_.joinable()) loader_.join();
}

std::string KeyFilter::load_error() const {
  return failed_.load(std::memory_order_acquire) ? error_ : std::string();
}

void KeyFilter::Load(leveldb::DB* db) {
  NameThisThread("rkv-keyfilter");
  // Deferrable work, so below the loop thread's priority (a higher nice value
  // needs no privilege). Not at the very bottom, though: Stop() (FLUSHALL,
  // shutdown) waits for this thread, and its reads take LevelDB's table-cache
  // locks that the loop takes too, so it must get a slice of a busy CPU soon.
  // 10 more than the process, as LevelDB's own background thread by default.
  (void)LowerThisThread(10);
  Stage* first = stages_[0].get();
  std::unique_ptr<leveldb::Iterator> it = NewWalkIterator(db);
  uint64_t n = 0;
  for (it->Seek(std::string(1, kDataPrefix)); it->Valid(); it->Next()) {
    uint16_t slot;
    std::string_view user_key;
    const leveldb::Slice k = it->key();
    if (!ParseDataKey(std::string_view(k.data(), k.size()), &slot, &user_key)) break;
    const uint64_t hash = KeyHash(user_key);
    uint64_t masks[kWordsPerBlock];
    Masks(hash, masks);
    // A key the loop thread added already (written since the start, before
    // this iterator's snapshot) is not counted twice: keys() decides when the
    // filter is rebuilt (Engine::MaintainKeyFilter). Only the first stage is
    // looked at, where both add while it has room: the loop thread may add
    // stages meanwhile.
    if (!InBlock(first->Block(hash), masks)) Insert(first, hash, masks);
    if ((++n & 1023) == 0) {
      loaded_keys_.store(n, std::memory_order_relaxed);
      if (stop_.load(std::memory_order_relaxed)) return;
    }
  }
  loaded_keys_.store(n, std::memory_order_relaxed);
  if (!it->status().ok()) {
    error_ = it->status().ToString();
    failed_.store(true, std::memory_order_release);
    return;
  }
  if (!stop_.load()) loaded_.store(true, std::memory_order_release);
}

namespace {

// SerializeTo's layout, in 64-bit words of this machine's byte order: the
// magic, the bits per key, the probes, a fingerprint of the key hash, the
// keys the last load read, the stage count; per stage its capacity, its key
// count and its block count; then each stage's blocks; then the CRC32C of
// all that.
constexpr uint64_t kMagic = 0x32464b564b474e52;  // "RNGKVKF2"
constexpr size_t kHeaderWords = 6;
constexpr size_t kStageWords = 3;

uint64_t HashFingerprint() {
  return KeyHash("ringkv key filter") ^ Mix64(KeyHash(std::string(100, 'k')));
}

void PutWord(std::string* out, uint64_t w) { out->append(reinterpret_cast<const char*>(&w), 8); }

uint64_t WordAt(std::string_view bytes, size_t i) {
  uint64_t w;
  std::memcpy(&w, bytes.data() + i * 8, 8);
  return w;
}

}  // namespace

void KeyFilter::SerializeTo(std::string* out) const {
  const size_t from = out->size();
  out->reserve(from + 8 * (kHeaderWords + kStageWords * stages_count_ + 1) + bytes());
  for (uint64_t w : {kMagic, uint64_t(bits_per_key_), uint64_t(probes_), HashFingerprint(),
                     loaded_keys(), uint64_t(stages_count_)}) {
    PutWord(out, w);
  }
  for (size_t i = 0; i < stages_count_; ++i) {
    const Stage& st = *stages_[i];
    PutWord(out, st.capacity);
    PutWord(out, st.count.load(std::memory_order_relaxed));
    PutWord(out, st.blocks);
  }
  for (size_t i = 0; i < stages_count_; ++i) {
    out->append(reinterpret_cast<const char*>(stages_[i]->words), stages_[i]->bytes);
  }
  PutWord(out, Crc32c(out->data() + from, out->size() - from));
}

std::unique_ptr<KeyFilter> KeyFilter::Restore(std::string_view bytes, int bits_per_key,
                                              std::string* why) {
  auto fail = [why](const char* what) {
    *why = what;
    return nullptr;
  };
  if (bytes.size() % 8 != 0 || bytes.size() < 8 * (kHeaderWords + 1)) return fail("truncated");
  const size_t words = bytes.size() / 8;
  if (WordAt(bytes, words - 1) != Crc32c(bytes.data(), bytes.size() - 8)) {
    return fail("checksum mismatch");
  }
  if (WordAt(bytes, 0) != kMagic) return fail("not a key filter");
  std::unique_ptr<KeyFilter> f(new KeyFilter(bits_per_key));
  if (WordAt(bytes, 1) != uint64_t(f->bits_per_key_) || WordAt(bytes, 2) != uint64_t(f->probes_)) {
    return fail("made with another key-filter-bits");
  }
  if (WordAt(bytes, 3) != HashFingerprint()) return fail("made with another key hash");
  const uint64_t scanned = WordAt(bytes, 4);
  const uint64_t n = WordAt(bytes, 5);
  if (n < 1 || n > kMaxStages || words < kHeaderWords + kStageWords * n + 1) {
    return fail("bad stage count");
  }
  size_t at = (kHeaderWords + kStageWords * n) * 8;  // the first stage's blocks
  for (size_t i = 0; i < n; ++i) {
    const size_t h = kHeaderWords + kStageWords * i;
    const uint64_t capacity = WordAt(bytes, h), count = WordAt(bytes, h + 1);
    if (capacity < 1 || capacity > kMaxStageKeys) return fail("bad stage size");
    if (!f->AddStage(capacity)) return fail("no memory");
    Stage& st = *f->stages_[i];
    if (WordAt(bytes, h + 2) != st.blocks || bytes.size() - 8 - at < st.bytes) {
      return fail("bad stage size");
    }
    std::memcpy(st.words, bytes.data() + at, st.bytes);
    st.count.store(count, std::memory_order_relaxed);
    at += st.bytes;
  }
  if (at != bytes.size() - 8) return fail("bad length");
  f->loaded_keys_.store(scanned, std::memory_order_relaxed);
  f->loaded_.store(true, std::memory_order_release);
  return f;
}

size_t KeyFilter::bytes() const {
  size_t b = 0;
  for (size_t s = 0; s < stages_count_; ++s) b += stages_[s]->bytes;
  return b;
}

uint64_t KeyFilter::keys() const {
  uint64_t n = 0;
  for (size_t s = 0; s < stages_count_; ++s) n += stages_[s]->count.load(std::memory_order_relaxed);
  return n;
}

}  // namespace ringkv::storage
