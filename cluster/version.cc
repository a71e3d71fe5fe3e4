#include "cluster/version.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

namespace ringkv::cluster {
namespace {

using storage::Status;

constexpr uint64_t kMaxTimestamp = std::numeric_limits<uint64_t>::max();

// ---- encoding helpers ------------------------------------------------------
//
// Layout (format 1):
//   u8      format (1)
//   varint  timestamp
//   id      writer
//   varint  entry count
//   entry*  { id node; varint counter (>= 1); varint zigzag(timestamp - updated_at) }
// An id is a varint tag: 0 = a 40-char lowercase hex node id packed into 20
// bytes (the normal case: a clock of 3 entries costs ~80 bytes instead of
// ~150); k >= 1 = k-1 raw bytes, for ids of any other form. updated_at is
// stored relative to the version's timestamp because it is almost always a
// little before it, which makes the varint short.
// Decode insists on this exact form (minimal varints, packed ids wherever
// they could be packed, sorted entries), so decoding and re-encoding accepted
// bytes gives the same bytes: two replicas never disagree about the bytes of
// one version.

constexpr uint8_t kFormat = 1;
constexpr size_t kPackedIdBytes = 20;
constexpr size_t kMinEntryBytes = 3;  // tag, counter, delta: one byte each at least

bool IsPackable(std::string_view id) {
  return id.size() == 2 * kPackedIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Accepts only the minimal encoding of a value that fits in 64 bits.
bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < in->size() && i < 10; ++i) {
    const auto byte = static_cast<uint8_t>((*in)[i]);
    if (i == 9 && byte > 1) return false;  // bits past 64
    result |= uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return false;  // a longer form than needed
      in->remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

void PutId(std::string* out, std::string_view id) {
  if (IsPackable(id)) {
    PutVarint(out, 0);
    for (size_t i = 0; i < kPackedIdBytes; ++i) {
      out->push_back(static_cast<char>(HexValue(id[2 * i]) << 4 | HexValue(id[2 * i + 1])));
    }
    return;
  }
  PutVarint(out, uint64_t{id.size()} + 1);
  out->append(id);
}

bool GetId(std::string_view* in, std::string* id) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t tag = 0;
  if (!GetVarint(in, &tag)) return false;
  id->clear();
  if (tag == 0) {
    if (in->size() < kPackedIdBytes) return false;
    for (size_t i = 0; i < kPackedIdBytes; ++i) {
      const auto b = static_cast<uint8_t>((*in)[i]);
      id->push_back(kHex[b >> 4]);
      id->push_back(kHex[b & 0xf]);
    }
    in->remove_prefix(kPackedIdBytes);
    return true;
  }
  const uint64_t len = tag - 1;
  if (len > in->size()) return false;
  id->assign(in->substr(0, len));
  in->remove_prefix(len);
  return !IsPackable(*id);  // a packable id written raw is not canonical
}

uint64_t ZigZag(uint64_t d) {
  return (d << 1) ^ (0 - (d >> 63));  // two's complement sign into bit 0
}
uint64_t UnZigZag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

// Last write wins: a total order on the contents of a version. The timestamp
// decides; the writer breaks ties between coordinators writing in the same
// HLC tick; the clock only breaks ties that need two different versions from
// one writer at one timestamp (corruption), so that even then every replica
// picks the same one.
bool LwwLess(const Version& a, const Version& b) {
  if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
  if (a.writer != b.writer) return a.writer < b.writer;
  const auto& x = a.clock.entries();
  const auto& y = b.clock.entries();
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                      [](const ClockEntry& l, const ClockEntry& r) {
                                        return std::tie(l.node, l.counter, l.updated_at) <
                                               std::tie(r.node, r.counter, r.updated_at);
                                      });
}

}  // namespace

// ---- HLC ------------------------------------------------------------------

uint64_t HlcFromPhysical(int64_t ms) {
  ms = std::clamp<int64_t>(ms, 0, kHlcMaxPhysicalMs);
  return static_cast<uint64_t>(ms) << kHlcLogicalBits;
}

// In the packed form the HLC rules (l = max(l, pt); c = l unchanged ? c + 1
// : 0) become one max over integers: last + 1 bumps the logical counter, and
// pt << 16 wins (with counter 0) exactly when physical time moved past l.
uint64_t HybridClock::Now(int64_t physical_ms) {
  const uint64_t next = last_ == kMaxTimestamp ? last_ : last_ + 1;
  last_ = std::max(next, HlcFromPhysical(physical_ms));
  return last_;
}

uint64_t HybridClock::Update(uint64_t received, int64_t physical_ms) {
  uint64_t next = std::max(last_, received);
  if (next != kMaxTimestamp) ++next;
  last_ = std::max(next, HlcFromPhysical(physical_ms));
  return last_;
}

// ---- vector clocks ----------------------------------------------------------

const char* OrderName(Order o) {
  switch (o) {
    case Order::kBefore:
      return "before";
    case Order::kAfter:
      return "after";
    case Order::kEqual:
      return "equal";
    case Order::kConcurrent:
      return "concurrent";
  }
  return "?";
}

uint64_t VectorClock::CounterOf(std::string_view node) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), node,
                             [](const ClockEntry& e, std::string_view n) { return e.node < n; });
  return it != entries_.end() && it->node == node ? it->counter : 0;
}

void VectorClock::Increment(std::string_view node, uint64_t timestamp, size_t max_entries) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), node,
                             [](const ClockEntry& e, std::string_view n) { return e.node < n; });
  if (it != entries_.end() && it->node == node) {
    if (it->counter != std::numeric_limits<uint64_t>::max()) ++it->counter;
    it->updated_at = timestamp;
  } else {
    entries_.insert(it, ClockEntry{std::string(node), 1, timestamp});
  }
  // Dynamo drops the pair whose node updated the item longest ago: that node
  // is the least likely to still hold a version this one must be compared
  // with. The writer's own entry is the newest by definition and stays.
  const size_t limit = std::max<size_t>(max_entries, 1);
  while (entries_.size() > limit) {
    auto oldest = entries_.end();
    for (auto e = entries_.begin(); e != entries_.end(); ++e) {
      if (e->node == node) continue;
      if (oldest == entries_.end() ||
          std::tie(e->updated_at, e->node) < std::tie(oldest->updated_at, oldest->node)) {
        oldest = e;
      }
    }
    entries_.erase(oldest);
  }
}

VectorClock VectorClock::Merge(const VectorClock& a, const VectorClock& b) {
  VectorClock out;
  out.entries_.reserve(a.entries_.size() + b.entries_.size());
  auto i = a.entries_.begin();
  auto j = b.entries_.begin();
  while (i != a.entries_.end() || j != b.entries_.end()) {
    if (j == b.entries_.end() || (i != a.entries_.end() && i->node < j->node)) {
      out.entries_.push_back(*i++);
    } else if (i == a.entries_.end() || j->node < i->node) {
      out.entries_.push_back(*j++);
    } else {
      // Same node: the larger counter is the later event. Equal counters name
      // the same event, so their updated_at agree unless the data is corrupt;
      // taking the max keeps Merge commutative even then.
      const bool take_a =
          std::tie(i->counter, i->updated_at) >= std::tie(j->counter, j->updated_at);
      out.entries_.push_back(take_a ? *i : *j);
      ++i;
      ++j;
    }
  }
  return out;
}

std::optional<VectorClock> VectorClock::FromEntries(std::vector<ClockEntry> entries) {
  for (size_t k = 0; k < entries.size(); ++k) {
    if (entries[k].counter == 0) return std::nullopt;
    if (k > 0 && !(entries[k - 1].node < entries[k].node)) return std::nullopt;
  }
  VectorClock c;
  c.entries_ = std::move(entries);
  return c;
}

Order Compare(const VectorClock& a, const VectorClock& b) {
  // A node missing from a clock has counter 0 there.
  bool a_ahead = false;  // some node's counter is larger in a
  bool b_ahead = false;
  const auto& x = a.entries();
  const auto& y = b.entries();
  size_t i = 0, j = 0;
  while ((i < x.size() || j < y.size()) && !(a_ahead && b_ahead)) {
    if (j == y.size() || (i < x.size() && x[i].node < y[j].node)) {
      a_ahead = true;
      ++i;
    } else if (i == x.size() || y[j].node < x[i].node) {
      b_ahead = true;
      ++j;
    } else {
      if (x[i].counter > y[j].counter) a_ahead = true;
      if (y[j].counter > x[i].counter) b_ahead = true;
      ++i;
      ++j;
    }
  }
  if (a_ahead && b_ahead) return Order::kConcurrent;
  if (a_ahead) return Order::kAfter;
  if (b_ahead) return Order::kBefore;
  return Order::kEqual;
}

// ---- versions ---------------------------------------------------------------

Order Compare(const Version& a, const Version& b) {
  const Order o = Compare(a.clock, b.clock);
  if (o == Order::kEqual && (a.timestamp != b.timestamp || a.writer != b.writer)) {
    return Order::kConcurrent;
  }
  return o;
}

Version MakeSuccessor(const VectorClock& seen, std::string_view writer, uint64_t timestamp,
                      size_t max_entries) {
  Version v;
  v.clock = seen;
  v.clock.Increment(writer, timestamp, max_entries);
  v.timestamp = timestamp;
  v.writer = std::string(writer);
  return v;
}

std::optional<Resolution> Resolve(std::span<const Version> versions) {
  if (versions.empty()) return std::nullopt;
  const size_t m = versions.size();
  // Quadratic, but m is the number of replicas that answered (N, a handful).
  std::vector<bool> sibling(m, true);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < m && sibling[i]; ++j) {
      if (j != i && Compare(versions[i], versions[j]) == Order::kBefore) sibling[i] = false;
    }
  }
  Resolution r;
  const Version* winner = nullptr;
  VectorClock merged;
  for (size_t i = 0; i < m; ++i) {
    if (!sibling[i]) continue;
    const Version& v = versions[i];
    bool repeat = false;
    for (size_t j = 0; j < i && !repeat; ++j) repeat = sibling[j] && versions[j] == v;
    if (repeat) continue;
    ++r.siblings;
    merged = VectorClock::Merge(merged, v.clock);
    if (winner == nullptr || LwwLess(*winner, v)) {
      winner = &v;
      r.winner = i;
    }
  }
  // The winner keeps its own timestamp and writer rather than getting a new
  // one: replicas that resolve the same siblings independently (read repair
  // on two coordinators, anti-entropy) then produce identical versions, and
  // the repaired copies compare kEqual instead of conflicting again.
  r.version.clock = std::move(merged);
  r.version.timestamp = winner->timestamp;
  r.version.writer = winner->writer;
  return r;
}

// ---- encoding ---------------------------------------------------------------

std::string EncodeVersion(const Version& v) {
  std::string out;
  if (v.empty()) return out;
  out.reserve(4 + v.writer.size() + v.clock.size() * 32);
  out.push_back(static_cast<char>(kFormat));
  PutVarint(&out, v.timestamp);
  PutId(&out, v.writer);
  PutVarint(&out, v.clock.size());
  for (const ClockEntry& e : v.clock.entries()) {
    PutId(&out, e.node);
    PutVarint(&out, e.counter);
    PutVarint(&out, ZigZag(v.timestamp - e.updated_at));
  }
  return out;
}

Status DecodeVersion(std::string_view bytes, Version* out) {
  if (bytes.empty()) {
    *out = Version{};
    return Status::Ok();
  }
  auto bad = [](const char* what) { return Status::Corruption(std::string("version: ") + what); };
  std::string_view in = bytes;
  if (static_cast<uint8_t>(in[0]) != kFormat) return bad("unknown format");
  in.remove_prefix(1);
  Version v;
  uint64_t count = 0;
  if (!GetVarint(&in, &v.timestamp)) return bad("bad timestamp");
  if (!GetId(&in, &v.writer)) return bad("bad writer id");
  if (!GetVarint(&in, &count)) return bad("bad entry count");
  // Checked before reserving, so a forged count cannot make us allocate.
  if (count > in.size() / kMinEntryBytes) return bad("entry count exceeds the data");
  std::vector<ClockEntry> entries(count);
  for (ClockEntry& e : entries) {
    uint64_t delta = 0;
    if (!GetId(&in, &e.node)) return bad("bad node id");
    if (!GetVarint(&in, &e.counter)) return bad("bad counter");
    if (!GetVarint(&in, &delta)) return bad("bad update time");
    e.updated_at = v.timestamp - UnZigZag(delta);
  }
  if (!in.empty()) return bad("trailing bytes");
  auto clock = VectorClock::FromEntries(std::move(entries));
  if (!clock) return bad("clock entries unsorted, repeated or zero");
  v.clock = std::move(*clock);
  if (v.empty()) return bad("non-canonical empty version");
  *out = std::move(v);
  return Status::Ok();
}

}  // namespace ringkv::cluster
