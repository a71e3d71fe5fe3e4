// Gossip message layout (all integers unsigned LEB128 varints):
//
//   "RKG1"  magic and format version
//   count
//   count x entry:
//     id         20 bytes: the 40 hex characters of the node id, packed
//     flags      1 byte: bit 0 = left (a tombstone); other bits must be 0
//     heartbeat
//     port
//     weight
//     host_len, host bytes
//     ttl_ms     only if left: the tombstone's remaining lifetime at the sender
//
// A remaining lifetime rather than an absolute time, because clocks differ
// between nodes; since every hop can only keep or shorten it, a tombstone cannot
// bounce between nodes forever.
//
// Health is never in the message: each node judges "down" from its own clock.

#include "cluster/membership.h"

#include <algorithm>
#include <utility>

namespace ringkv::cluster {
namespace {

using storage::Status;

constexpr std::string_view kMagic = "RKG1";
constexpr size_t kIdLen = 40;
constexpr size_t kPackedIdLen = kIdLen / 2;
constexpr size_t kMaxHostLen = 255;
constexpr int kMaxPort = 65535;
constexpr int kMaxWeight = 64;  // the ring refuses heavier nodes
constexpr uint8_t kFlagLeft = 1;
// id, flags, and at least one byte for each of heartbeat, port, weight, host
// length and host: no message can hold more entries than its size / this.
constexpr size_t kMinEntryBytes = kPackedIdLen + 1 + 5;
constexpr char kHex[] = "0123456789abcdef";

bool IsNodeIdText(std::string_view id) {
  return id.size() == kIdLen && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads the message front to back; every read fails (returns false) rather
// than run past the end.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}

  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const auto byte = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      // The tenth byte may only hold the top bit of a 64-bit value.
      if (shift == 63 && byte > 1) return false;
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool Bytes(size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }

  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

struct GossipEntry {
  Member member;
  bool left = false;
  int64_t ttl_ms = 0;
};

Status Malformed(std::string_view what) {
  return Status::Corruption("gossip: " + std::string(what));
}

Status DecodeGossip(std::string_view bytes, std::vector<GossipEntry>* out) {
  if (bytes.substr(0, kMagic.size()) != kMagic) return Malformed("bad magic");
  Decoder d(bytes.substr(kMagic.size()));
  uint64_t count = 0;
  if (!d.Varint(&count)) return Malformed("truncated count");
  if (count > Membership::kMaxGossipEntries || count > d.remaining() / kMinEntryBytes) {
    return Malformed("entry count larger than the message");
  }
  out->clear();
  out->reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    GossipEntry e;
    std::string_view packed, flags, host;
    uint64_t heartbeat = 0, port = 0, weight = 0, host_len = 0;
    if (!d.Bytes(kPackedIdLen, &packed) || !d.Bytes(1, &flags) || !d.Varint(&heartbeat) ||
        !d.Varint(&port) || !d.Varint(&weight) || !d.Varint(&host_len) || host_len > kMaxHostLen ||
        !d.Bytes(static_cast<size_t>(host_len), &host)) {
      return Malformed("truncated entry");
    }
    const auto flag_bits = static_cast<uint8_t>(flags[0]);
    if ((flag_bits & ~kFlagLeft) != 0) return Malformed("unknown flags");
    e.left = (flag_bits & kFlagLeft) != 0;
    if (e.left) {
      uint64_t ttl = 0;
      if (!d.Varint(&ttl)) return Malformed("truncated entry");
      e.ttl_ms = static_cast<int64_t>(std::min<uint64_t>(ttl, INT64_MAX));
    }
    if (port > kMaxPort || weight > kMaxWeight) return Malformed("port or weight out of range");
    e.member.id.reserve(kIdLen);
    for (char c : packed) {
      const auto b = static_cast<uint8_t>(c);
      e.member.id.push_back(kHex[b >> 4]);
      e.member.id.push_back(kHex[b & 0xf]);
    }
    e.member.host.assign(host);
    e.member.port = static_cast<int>(port);
    e.member.weight = static_cast<int>(weight);
    e.member.heartbeat = heartbeat;
    if (Status s = Membership::ValidateMember(e.member); !s.ok()) return Malformed(s.message());
    out->push_back(std::move(e));
  }
  if (d.remaining() != 0) return Malformed("trailing bytes");
  // A node appears once; two entries for it would make the merge order-dependent.
  std::vector<std::string_view> ids;
  ids.reserve(out->size());
  for (const GossipEntry& e : *out) ids.push_back(e.member.id);
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) return Malformed("duplicate node");
  return Status::Ok();
}

}  // namespace

Membership::Membership(Member self, const Clock& clock, int64_t node_timeout_ms,
                       int64_t forget_ttl_ms)
    : clock_(clock),
      node_timeout_ms_(node_timeout_ms),
      forget_ttl_ms_(forget_ttl_ms),
      self_id_(self.id) {
  self.state = Member::State::kUp;
  self.last_heard_ms = clock_.NowMs();
  entries_[self_id_] = Entry{std::move(self), 0};
}

Status Membership::ValidateMember(const Member& m) {
  if (!IsNodeIdText(m.id))
    return Status::InvalidArgument("node id must be 40 lowercase hex characters");
  if (m.host.empty() || m.host.size() > kMaxHostLen ||
      !std::all_of(m.host.begin(), m.host.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    return Status::InvalidArgument("invalid host for node " + m.id);
  }
  if (m.port < 0 || m.port > kMaxPort)
    return Status::InvalidArgument("invalid port for node " + m.id);
  if (m.weight < 1 || m.weight > kMaxWeight) {
    return Status::InvalidArgument("invalid weight for node " + m.id);
  }
  return Status::Ok();
}

std::string Membership::NewNodeId(std::mt19937_64& rng) {
  std::string id;
  id.reserve(kIdLen);
  while (id.size() < kIdLen) {
    uint64_t bits = rng();
    for (int i = 0; i < 16 && id.size() < kIdLen; ++i, bits >>= 4) id.push_back(kHex[bits & 0xf]);
  }
  return id;
}

bool Membership::Bury(Entry& e, int64_t expiry_ms) {
  const bool was_member = e.member.state != Member::State::kLeft;
  e.member.state = Member::State::kLeft;
  e.tombstone_expiry_ms = expiry_ms;
  return was_member;
}

void Membership::Tick() {
  const int64_t now = clock_.NowMs();
  bool changed = false;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Member& m = it->second.member;
    if (m.id == self_id_) {
      ++m.heartbeat;
      m.last_heard_ms = now;
      ++it;
      continue;
    }
    if (m.state == Member::State::kLeft) {
      if (now >= it->second.tombstone_expiry_ms) {
        it = entries_.erase(it);
      } else {
        ++it;
      }
      continue;
    }
    if ((m.state == Member::State::kUp || m.state == Member::State::kSuspect) &&
        now - m.last_heard_ms > node_timeout_ms_) {
      changed |= m.state == Member::State::kUp;
      m.state = Member::State::kDown;
    }
    ++it;
  }
  if (changed) ++epoch_;
}

std::string Membership::EncodeGossip() const {
  const int64_t now = clock_.NowMs();
  std::string out(kMagic);
  PutVarint(entries_.size(), &out);
  for (const auto& [id, e] : entries_) {
    const Member& m = e.member;
    for (size_t i = 0; i < kIdLen; i += 2) {
      out.push_back(static_cast<char>(HexValue(id[i]) << 4 | HexValue(id[i + 1])));
    }
    const bool left = m.state == Member::State::kLeft;
    out.push_back(static_cast<char>(left ? kFlagLeft : 0));
    PutVarint(m.heartbeat, &out);
    PutVarint(static_cast<uint64_t>(m.port), &out);
    PutVarint(static_cast<uint64_t>(m.weight), &out);
    PutVarint(m.host.size(), &out);
    out.append(m.host);
    if (left) {
      // Our own tombstone (we are leaving) lasts as long as we do.
      const int64_t ttl = id == self_id_ ? forget_ttl_ms_ : e.tombstone_expiry_ms - now;
      PutVarint(static_cast<uint64_t>(std::max<int64_t>(ttl, 0)), &out);
    }
  }
  return out;
}

Status Membership::MergeGossip(std::string_view bytes) {
  std::vector<GossipEntry> gossip;
  if (Status s = DecodeGossip(bytes, &gossip); !s.ok()) return s;

  const int64_t now = clock_.NowMs();
  bool changed = false;
  for (GossipEntry& g : gossip) {
    Member& in = g.member;
    if (in.id == self_id_) {
      Member& self = entries_[self_id_].member;
      if (in.heartbeat > self.heartbeat && in.heartbeat < UINT64_MAX) {
        self.heartbeat = in.heartbeat + 1;
      }
      continue;
    }
    auto it = entries_.find(in.id);
    if (it != entries_.end() && it->second.member.state == Member::State::kLeft) continue;
    if (g.left) {
      const int64_t expiry = now + std::min(g.ttl_ms, forget_ttl_ms_);
      if (it == entries_.end()) {
        // Remember the tombstone so older gossip from others cannot add the node.
        in.last_heard_ms = now;
        Entry e{std::move(in), 0};
        Bury(e, expiry);
        std::string id = e.member.id;
        entries_.emplace(std::move(id), std::move(e));
      } else {
        changed |= Bury(it->second, expiry);
      }
      continue;
    }
    if (it == entries_.end()) {
      in.state = Member::State::kUp;
      in.last_heard_ms = now;
      std::string id = in.id;
      entries_.emplace(std::move(id), Entry{std::move(in), 0});
      changed = true;
      continue;
    }
    Member& m = it->second.member;
    if (in.heartbeat <= m.heartbeat) continue;  // nothing newer than what we know
    m.heartbeat = in.heartbeat;
    m.last_heard_ms = now;
    if (m.state != Member::State::kUp) {
      m.state = Member::State::kUp;
      changed = true;
    }
    // The newer heartbeat carries the node's current address and weight.
    if (m.host != in.host || m.port != in.port || m.weight != in.weight) {
      m.host = std::move(in.host);
      m.port = in.port;
      m.weight = in.weight;
      changed = true;
    }
  }
  if (changed) ++epoch_;
  return Status::Ok();
}

Status Membership::AddOrUpdate(const Member& in) {
  if (Status s = ValidateMember(in); !s.ok()) return s;
  if (in.id == self_id_) return Status::InvalidArgument("cannot add or update this node itself");
  const int64_t now = clock_.NowMs();
  auto it = entries_.find(in.id);
  if (it == entries_.end()) {
    Entry& e = entries_[in.id];
    e.member = in;
    e.member.state = Member::State::kUp;
    e.member.last_heard_ms = now;
    ++epoch_;
    return Status::Ok();
  }
  Member& m = it->second.member;
  if (m.state == Member::State::kLeft) {
    return Status::InvalidArgument("node " + in.id + " was forgotten recently");
  }
  bool changed = false;
  m.heartbeat = std::max(m.heartbeat, in.heartbeat);
  m.last_heard_ms = now;
  if (m.state != Member::State::kUp) {
    m.state = Member::State::kUp;
    changed = true;
  }
  if (m.host != in.host || m.port != in.port || m.weight != in.weight) {
    m.host = in.host;
    m.port = in.port;
    m.weight = in.weight;
    changed = true;
  }
  if (changed) ++epoch_;
  return Status::Ok();
}

void Membership::MarkSuspect(const std::string& id) {
  if (id == self_id_) return;
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.member.state != Member::State::kUp) return;
  it->second.member.state = Member::State::kSuspect;
  ++epoch_;
}

bool Membership::Forget(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !Bury(it->second, clock_.NowMs() + forget_ttl_ms_)) return false;
  ++epoch_;
  return true;
}

bool Membership::IsUp(const std::string& id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.member.state == Member::State::kUp;
}

std::optional<Member> Membership::Get(const std::string& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.member;
}

std::vector<Member> Membership::Members() const {
  std::vector<Member> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) {
    if (e.member.state != Member::State::kLeft) out.push_back(e.member);
  }
  return out;
}

std::vector<std::string> Membership::PickGossipTargets(std::mt19937_64& rng, size_t k) const {
  if (k == 0) return {};
  std::vector<std::string> up, not_up;
  for (const auto& [id, e] : entries_) {
    if (id == self_id_) continue;
    switch (e.member.state) {
      case Member::State::kUp:
        up.push_back(id);
        break;
      case Member::State::kSuspect:
      case Member::State::kDown:
        not_up.push_back(id);
        break;
      case Member::State::kLeft:
        break;
    }
  }
  bool probe = false;
  if (!not_up.empty()) {
    const double p = static_cast<double>(not_up.size()) / static_cast<double>(up.size() + 1);
    probe = std::uniform_real_distribution<double>(0, 1)(rng) < p;
  }
  // A partial Fisher-Yates shuffle: the first `take` of `up` become a uniform sample.
  const size_t take = std::min(up.size(), probe ? k - 1 : k);
  for (size_t i = 0; i < take; ++i) {
    std::uniform_int_distribution<size_t> pick(i, up.size() - 1);
    std::swap(up[i], up[pick(rng)]);
  }
  up.resize(take);
  if (probe) {
    std::uniform_int_distribution<size_t> pick(0, not_up.size() - 1);
    up.push_back(std::move(not_up[pick(rng)]));
  }
  return up;
}

}  // namespace ringkv::cluster
