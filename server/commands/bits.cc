// The bitmap family: strings addressed bit by bit (SETBIT, GETBIT, BITCOUNT,
// BITPOS, BITOP). Bit 0 is the most significant bit of the first byte, as in
// Redis; a string grows with zero bytes when a bit past its end is set, and
// reads past the end see zeros.
//
// Argument checks come in redis-server 7.0's order, the order the
// differential test compares against: BITCOUNT and BITPOS answer a missing
// key (0, and -1 or 0) before they parse their range (Redis 7.2 parses
// first); everything else is parsed before the store is touched.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

using cluster::Mutation;
using cluster::Record;
using cluster::RecordRef;
using cluster::Status;

constexpr std::string_view kBitOffsetError = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBitValueError = "ERR bit is not an integer or out of range";
constexpr std::string_view kBitArgError = "ERR The bit argument must be 1 or 0.";
constexpr std::string_view kBitopNotError =
    "ERR BITOP NOT must be called with a single source key.";

// A bit offset: non-negative, and its byte within proto-max-bulk-len (the
// largest string the server makes).
bool ParseBitOffset(CommandContext& ctx, std::string_view arg, uint64_t* out) {
  int64_t v = 0;
  if (!ParseInt64(arg, &v) || v < 0 ||
      static_cast<uint64_t>(v) / 8 >= ctx.server.config().proto_max_bulk_len) {
    ctx.ReplyError(kBitOffsetError);
    return false;
  }
  *out = static_cast<uint64_t>(v);
  return true;
}

bool BitAt(std::string_view s, uint64_t bit) {
  return (static_cast<unsigned char>(s[bit / 8]) >> (7 - bit % 8)) & 1;
}

// Inclusive bit positions in a string; empty when first > last.
struct BitSpan {
  int64_t first = 1;
  int64_t last = 0;
  bool empty() const { return first > last; }
};

// A BITCOUNT/BITPOS range: `start` and `end` count bytes (or bits with BIT),
// negative ones from the end, both clamped to the string.
BitSpan ResolveRange(int64_t start, int64_t end, int64_t len_bytes, bool in_bits) {
  const int64_t total = in_bits ? len_bytes * 8 : len_bytes;
  if (start < 0) start = start < -total ? 0 : start + total;
  if (end < 0) end = end < -total ? 0 : end + total;
  if (end >= total) end = total - 1;
  if (start > end) return {};
  if (in_bits) return {start, end};
  return {start * 8, end * 8 + 7};
}

// The mask of bits `from`..`to` (0 = most significant) of one byte.
unsigned char ByteMask(int from, int to) {
  return static_cast<unsigned char>((0xFFu >> from) & (0xFFu << (7 - to)));
}

uint64_t CountBits(std::string_view s, BitSpan span) {
  if (span.empty()) return 0;
  const auto first_byte = static_cast<size_t>(span.first / 8);
  const auto last_byte = static_cast<size_t>(span.last / 8);
  const int from = static_cast<int>(span.first % 8), to = static_cast<int>(span.last % 8);
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (first_byte == last_byte)
    return std::popcount<unsigned>(byte(first_byte) & ByteMask(from, to));
  uint64_t n = std::popcount<unsigned>(byte(first_byte) & ByteMask(from, 7));
  n += std::popcount<unsigned>(byte(last_byte) & ByteMask(0, to));
  size_t i = first_byte + 1;
  for (; i + 8 <= last_byte; i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    n += std::popcount(word);
  }
  for (; i < last_byte; ++i) n += std::popcount<unsigned>(byte(i));
  return n;
}

// The first bit equal to `bit` in `span`, or -1.
int64_t FindBit(std::string_view s, BitSpan span, bool bit) {
  if (span.empty()) return -1;
  // Whole bytes that cannot hold the bit are skipped a byte at a time.
  const unsigned char skip = bit ? 0x00 : 0xFF;
  int64_t pos = span.first;
  while (pos <= span.last) {
    if (pos % 8 == 0 && pos + 7 <= span.last &&
        static_cast<unsigned char>(s[static_cast<size_t>(pos / 8)]) == skip) {
      pos += 8;
      continue;
    }
    if (BitAt(s, static_cast<uint64_t>(pos)) == bit) return pos;
    ++pos;
  }
  return -1;
}

// SETBIT key offset 0|1: the bit's previous value. Keeps the key's TTL. A
// bit set to the value it has, inside the string, changes nothing (a WATCH
// of the key holds, as in Redis 7).
cluster::Task<> SetBit(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.arg(2), &offset)) co_return;
  const std::string_view v = ctx.arg(3);
  if (v != "0" && v != "1") {
    ctx.ReplyError(kBitValueError);
    co_return;
  }
  const bool on = v == "1";
  bool was = false;
  // Sets the bit in `value` (grown with zero bytes to hold it), `was` to what
  // it was; whether `value` changed. A big bitmap changes where it is, where
  // the store can.
  auto change = [&](std::string* value) {
    const auto mask = static_cast<unsigned char>(0x80u >> (offset % 8));
    const size_t byte = static_cast<size_t>(offset / 8);
    const bool grow = value->size() <= byte;
    if (grow) value->resize(byte + 1, '\0');
    auto& c = reinterpret_cast<unsigned char&>((*value)[byte]);
    was = (c & mask) != 0;
    c = on ? (c | mask) : (c & ~mask);
    return grow || was != on;
  };
  if (ctx.store.TryChange(ctx.arg(1), static_cast<size_t>(offset / 8), 1, change)) {
    ctx.reply.Integer(was ? 1 : 0);
    co_return;
  }
  auto fn = [&](const Record* old) -> Mutation {
    const size_t byte = static_cast<size_t>(offset / 8);
    if (old && byte < old->value.size() && BitAt(old->value, offset) == on) {
      was = on;
      return Mutation::Keep();
    }
    Record r;
    if (old) {
      r.value = old->value;
      r.expire_at_ms = old->expire_at_ms;
    }
    change(&r.value);
    return Mutation::Put(std::move(r));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.Integer(was ? 1 : 0);
}

// GETBIT key offset: 0 past the end of the string or for a missing key.
cluster::Task<> GetBit(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!ParseBitOffset(ctx, ctx.arg(2), &offset)) co_return;
  auto rec = co_await ctx.store.Read(ctx.arg(1));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
    co_return;
  }
  const RecordRef& r = *rec;
  ctx.server.CountLookup(r != nullptr);
  bool set = r && offset / 8 < r->value.size() && BitAt(r->value, offset);
  ctx.reply.Integer(set ? 1 : 0);
}

// The BYTE|BIT unit argument; false after replying a syntax error.
bool ParseUnit(CommandContext& ctx, std::string_view arg, bool* in_bits) {
  if (EqualsIgnoreCase(arg, "bit")) {
    *in_bits = true;
  } else if (EqualsIgnoreCase(arg, "byte")) {
    *in_bits = false;
  } else {
    ctx.ReplyError(errors::kSyntax);
    return false;
  }
  return true;
}

// BITCOUNT key [start end [BYTE|BIT]]
cluster::Task<> BitCount(CommandContext& ctx) {
  auto rec = co_await ctx.store.Read(ctx.arg(1));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
    co_return;
  }
  const RecordRef& r = *rec;
  ctx.server.CountLookup(r != nullptr);
  if (!r) {
    ctx.reply.Integer(0);
    co_return;
  }
  const std::string& value = r->value;
  const auto len = static_cast<int64_t>(value.size());
  const size_t argc = ctx.args.size();
  BitSpan span{0, len * 8 - 1};
  if (argc == 4 || argc == 5) {
    int64_t start = 0, end = 0;
    if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
      ctx.ReplyError(errors::kNotInteger);
      co_return;
    }
    // Both from the end and reversed: empty (clamping would make it byte 0),
    // answered before the unit is looked at, as Redis 7.0 does.
    if (start < 0 && end < 0 && start > end) {
      ctx.reply.Integer(0);
      co_return;
    }
    bool in_bits = false;
    if (argc == 5 && !ParseUnit(ctx, ctx.arg(4), &in_bits)) co_return;
    span = ResolveRange(start, end, len, in_bits);
  } else if (argc != 2) {
    ctx.ReplyError(errors::kSyntax);
    co_return;
  }
  ctx.reply.Integer(static_cast<int64_t>(CountBits(value, span)));
}

// BITPOS key 0|1 [start [end [BYTE|BIT]]]: the first bit of that value in
// the range, or -1. Looking for a 0 without an end, the string counts as
// followed by zeros: a string of ones answers the bit after its end.
cluster::Task<> BitPos(CommandContext& ctx) {
  int64_t bit = 0;
  if (!ParseInt64(ctx.arg(2), &bit)) {
    ctx.ReplyError(errors::kNotInteger);
    co_return;
  }
  if (bit != 0 && bit != 1) {
    ctx.ReplyError(kBitArgError);
    co_return;
  }
  auto rec = co_await ctx.store.Read(ctx.arg(1));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
    co_return;
  }
  const RecordRef& r = *rec;
  ctx.server.CountLookup(r != nullptr);
  if (!r) {  // an endless string of zeros
    ctx.reply.Integer(bit ? -1 : 0);
    co_return;
  }
  const std::string& value = r->value;
  const auto len = static_cast<int64_t>(value.size());
  const size_t argc = ctx.args.size();
  BitSpan span{0, len * 8 - 1};
  bool end_given = false;
  if (argc >= 4 && argc <= 6) {
    int64_t start = 0, end = -1;
    if (!ParseInt64(ctx.arg(3), &start)) {
      ctx.ReplyError(errors::kNotInteger);
      co_return;
    }
    bool in_bits = false;
    if (argc == 6 && !ParseUnit(ctx, ctx.arg(5), &in_bits)) co_return;
    if (argc >= 5) {
      if (!ParseInt64(ctx.arg(4), &end)) {
        ctx.ReplyError(errors::kNotInteger);
        co_return;
      }
      end_given = true;
    }
    span = ResolveRange(start, end, len, in_bits);
  } else if (argc != 3) {
    ctx.ReplyError(errors::kSyntax);
    co_return;
  }
  int64_t pos = FindBit(value, span, bit == 1);
  if (pos < 0 && bit == 0 && !end_given && !span.empty()) pos = span.last + 1;
  ctx.reply.Integer(pos);
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]: the result, as long as the
// longest source (missing keys and shorter strings count as zeros), replaces
// destkey (without a TTL); an empty result deletes it. Answers its length.
cluster::Task<> BitOp(CommandContext& ctx) {
  enum class Op { kAnd, kOr, kXor, kNot };
  Op op;
  const std::string_view name = ctx.arg(1);
  if (EqualsIgnoreCase(name, "and")) {
    op = Op::kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = Op::kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = Op::kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = Op::kNot;
  } else {
    ctx.ReplyError(errors::kSyntax);
    co_return;
  }
  const size_t sources = ctx.args.size() - 3;
  if (op == Op::kNot && sources != 1) {
    ctx.ReplyError(kBitopNotError);
    co_return;
  }
  // The sources other than destkey are read first; the result is made and
  // stored in one update of destkey, which sees destkey's own value as it
  // is then (in a cluster, a write of destkey cannot slip in between).
  const std::string_view dest = ctx.arg(2);
  std::vector<RecordRef> recs(sources);
  size_t dest_reads = 0;
  for (size_t k = 0; k < sources; ++k) {
    if (ctx.arg(3 + k) == dest) {
      ++dest_reads;
      continue;
    }
    auto rec = co_await ctx.store.Read(ctx.arg(3 + k));
    if (!rec.ok()) {
      ctx.ReplyStatusError(rec.status());
      co_return;
    }
    ctx.server.CountLookup(*rec != nullptr);
    recs[k] = std::move(*rec);
  }
  size_t longest = 0;
  bool dest_found = false;
  auto fn = [&](const Record* old) -> Mutation {
    dest_found = old != nullptr;
    auto source = [&](size_t k) -> const Record* {
      return ctx.arg(3 + k) == dest ? old : recs[k].get();
    };
    longest = 0;
    for (size_t k = 0; k < sources; ++k) {
      if (const Record* r = source(k)) longest = std::max(longest, r->value.size());
    }
    if (longest == 0) return old ? Mutation::Delete() : Mutation::Keep();
    auto byte = [](const Record* r, size_t i) -> unsigned char {
      return r && i < r->value.size() ? static_cast<unsigned char>(r->value[i]) : 0;
    };
    Record result;
    result.value.assign(longest, '\0');
    for (size_t i = 0; i < longest; ++i) {
      unsigned char b = byte(source(0), i);
      if (op == Op::kNot) b = static_cast<unsigned char>(~b);
      for (size_t k = 1; k < sources; ++k) {
        const unsigned char o = byte(source(k), i);
        if (op == Op::kAnd) b &= o;
        if (op == Op::kOr) b |= o;
        if (op == Op::kXor) b ^= o;
      }
      result.value[i] = static_cast<char>(b);
    }
    return Mutation::Put(std::move(result));  // without a TTL, as Redis
  };
  Status s = co_await ctx.store.Update(dest, fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  for (size_t i = 0; i < dest_reads; ++i) ctx.server.CountLookup(dest_found);
  ctx.reply.Integer(static_cast<int64_t>(longest));
}

// --- BITFIELD -----------------------------------------------------------------

// One GET, SET or INCRBY of BITFIELD: a signed (iN, N up to 64) or unsigned
// (uN, N up to 63) integer of `bits` bits at bit `offset`, most significant
// bit first.
struct FieldOp {
  enum class Kind { kGet, kSet, kIncrBy } kind;
  enum class Overflow { kWrap, kSat, kFail } overflow;  // OVERFLOW in force
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t arg;  // SET's value, INCRBY's increment
};

constexpr std::string_view kFieldTypeError =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// "i16", "u8": as Redis reads it, up to the first NUL byte, 'i' and 'u' in
// lower case only.
bool ParseFieldType(std::string_view arg, bool* is_signed, int* bits) {
  arg = arg.substr(0, arg.find('\0'));
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u')) return false;
  int64_t n = 0;
  if (!ParseInt64(arg.substr(1), &n) || n < 1 || n > (arg[0] == 'i' ? 64 : 63)) return false;
  *is_signed = arg[0] == 'i';
  *bits = static_cast<int>(n);
  return true;
}

// A field offset: bits, or "#N" for the N-th field of this width.
bool ParseFieldOffset(CommandContext& ctx, std::string_view arg, int bits, uint64_t* out) {
  const bool nth = arg.size() > 1 && arg[0] == '#';
  int64_t v = 0;
  const bool ok = ParseInt64(nth ? arg.substr(1) : arg, &v);
  // N times the width wraps around in 64 bits, as Redis's multiplication
  // does: #2305843009213693953 of u8 is bit 8.
  const auto bit = static_cast<int64_t>(nth ? static_cast<uint64_t>(v) * static_cast<uint64_t>(bits)
                                            : static_cast<uint64_t>(v));
  if (!ok || bit < 0 || static_cast<uint64_t>(bit) / 8 >= ctx.server.config().proto_max_bulk_len) {
    ctx.ReplyError(kBitOffsetError);
    return false;
  }
  *out = static_cast<uint64_t>(bit);
  return true;
}

uint64_t ReadField(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int i = 0; i < bits; ++i) {
    const uint64_t bit = offset + static_cast<uint64_t>(i);
    v = (v << 1) | (bit / 8 < s.size() && BitAt(s, bit) ? 1 : 0);
  }
  return v;
}

void WriteField(std::string* s, uint64_t offset, int bits, uint64_t v) {
  for (int i = 0; i < bits; ++i) {
    const uint64_t bit = offset + static_cast<uint64_t>(i);
    const auto mask = static_cast<unsigned char>(0x80u >> (bit % 8));
    auto& c = reinterpret_cast<unsigned char&>((*s)[static_cast<size_t>(bit / 8)]);
    const bool on = (v >> (bits - 1 - i)) & 1;
    c = on ? (c | mask) : (c & ~mask);
  }
}

// The field's bits read as its type.
int64_t FieldValue(uint64_t raw, const FieldOp& op) {
  if (!op.is_signed || op.bits == 64) return static_cast<int64_t>(raw);
  const uint64_t sign = uint64_t{1} << (op.bits - 1);
  return static_cast<int64_t>((raw ^ sign) - sign);  // sign-extended
}

// What a SET or INCRBY stores: `target` (exact) if the type holds it, else
// wrapped, saturated, or nothing (FAIL: false).
bool FitField(__int128 target, const FieldOp& op, int64_t* stored) {
  const __int128 min = op.is_signed ? -(static_cast<__int128>(1) << (op.bits - 1)) : 0;
  const __int128 max = op.is_signed ? (static_cast<__int128>(1) << (op.bits - 1)) - 1
                                    : (static_cast<__int128>(1) << op.bits) - 1;
  if (target >= min && target <= max) {
    *stored = static_cast<int64_t>(target);
    return true;
  }
  switch (op.overflow) {
    case FieldOp::Overflow::kFail:
      return false;
    case FieldOp::Overflow::kSat:
      *stored = static_cast<int64_t>(target > max ? max : min);
      return true;
    case FieldOp::Overflow::kWrap:
      break;
  }
  const auto low =
      static_cast<uint64_t>(target) & (op.bits == 64 ? ~uint64_t{0} : (uint64_t{1} << op.bits) - 1);
  *stored = FieldValue(low, op);
  return true;
}

// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset
// increment] [OVERFLOW WRAP|SAT|FAIL] ...; BITFIELD_RO key [GET type offset]
// ... Every argument is checked before anything runs; the operations then
// run in order on one string, grown with zeros to the last bit a SET or
// INCRBY touches. One reply per GET/SET/INCRBY: the value, SET's old value,
// INCRBY's new one, or nil for one OVERFLOW FAIL stopped.
cluster::Task<> BitField(CommandContext& ctx) {
  const bool ro_command = ctx.spec.name == "bitfield_ro";
  std::vector<FieldOp> ops;
  auto overflow = FieldOp::Overflow::kWrap;
  bool writes = false;
  uint64_t last_written_bit = 0;
  for (size_t j = 2; j < ctx.argc();) {
    const std::string_view sub = ctx.arg(j);
    const size_t left = ctx.argc() - j - 1;
    FieldOp op{};
    if (EqualsIgnoreCase(sub, "get") && left >= 2) {
      op.kind = FieldOp::Kind::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && left >= 3) {
      op.kind = FieldOp::Kind::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && left >= 3) {
      op.kind = FieldOp::Kind::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && left >= 1) {
      const std::string_view how = ctx.arg(j + 1);
      if (EqualsIgnoreCase(how, "wrap")) {
        overflow = FieldOp::Overflow::kWrap;
      } else if (EqualsIgnoreCase(how, "sat")) {
        overflow = FieldOp::Overflow::kSat;
      } else if (EqualsIgnoreCase(how, "fail")) {
        overflow = FieldOp::Overflow::kFail;
      } else {
        ctx.ReplyError("ERR Invalid OVERFLOW type specified");
        co_return;
      }
      j += 2;
      continue;
    } else {
      ctx.ReplyError(errors::kSyntax);
      co_return;
    }
    if (!ParseFieldType(ctx.arg(j + 1), &op.is_signed, &op.bits)) {
      ctx.ReplyError(kFieldTypeError);
      co_return;
    }
    if (!ParseFieldOffset(ctx, ctx.arg(j + 2), op.bits, &op.offset)) co_return;
    op.overflow = overflow;
    if (op.kind != FieldOp::Kind::kGet) {
      writes = true;
      last_written_bit = std::max(last_written_bit, op.offset + static_cast<uint64_t>(op.bits) - 1);
      if (!ParseInt64(ctx.arg(j + 3), &op.arg)) {
        ctx.ReplyError(errors::kNotInteger);
        co_return;
      }
    }
    ops.push_back(op);
    j += op.kind == FieldOp::Kind::kGet ? 3 : 4;
  }
  if (writes && ro_command) {
    ctx.ReplyError("ERR BITFIELD_RO only supports the GET subcommand");
    co_return;
  }
  // Each reply: a value, or nullopt (a FAIL).
  std::vector<std::optional<int64_t>> results;
  size_t changed = 0;  // SETs and INCRBYs that stored a different value
  auto run = [&](std::string* value) {
    results.clear();
    changed = 0;
    for (const FieldOp& op : ops) {
      const int64_t old = FieldValue(ReadField(*value, op.offset, op.bits), op);
      if (op.kind == FieldOp::Kind::kGet) {
        results.emplace_back(old);
        continue;
      }
      // An unsigned SET takes its value as Redis does, as 64 unsigned bits:
      // a negative one is above the type's range.
      const __int128 target =
          op.kind == FieldOp::Kind::kSet
              ? (op.is_signed ? static_cast<__int128>(op.arg)
                              : static_cast<__int128>(static_cast<uint64_t>(op.arg)))
              : static_cast<__int128>(old) + op.arg;
      int64_t stored = 0;
      if (!FitField(target, op, &stored)) {
        results.emplace_back(std::nullopt);
        continue;
      }
      if (op.kind == FieldOp::Kind::kSet && op.is_signed && op.bits < 64 &&
          op.overflow == FieldOp::Overflow::kSat) {
        // Redis 7.0 takes a SET value so far below the field's range that
        // max - value overflows 64 bits for one above it: it saturates to
        // the maximum. Done the same, so the replies agree.
        const uint64_t max = (uint64_t{1} << (op.bits - 1)) - 1;
        if (max - static_cast<uint64_t>(op.arg) > static_cast<uint64_t>(INT64_MAX)) {
          stored = static_cast<int64_t>(max);
        }
      }
      WriteField(value, op.offset, op.bits, static_cast<uint64_t>(stored));
      if (stored != old) ++changed;
      results.emplace_back(op.kind == FieldOp::Kind::kSet ? old : stored);
    }
  };
  if (!writes) {
    auto rec = co_await ctx.store.Read(ctx.arg(1));
    if (!rec.ok()) {
      ctx.ReplyStatusError(rec.status());
      co_return;
    }
    ctx.server.CountLookup(*rec != nullptr);
    std::string value = *rec ? (*rec)->value : std::string();
    run(&value);
  } else {
    auto fn = [&](const Record* old) -> Mutation {
      Record r;
      if (old) {
        r.value = old->value;
        r.expire_at_ms = old->expire_at_ms;
      }
      const size_t need = static_cast<size_t>(last_written_bit / 8) + 1;
      const bool grows = !old || r.value.size() < need;
      if (r.value.size() < need) r.value.resize(need, '\0');
      run(&r.value);
      // Redis makes or grows the string even if every write FAILs (storing
      // it here tells a WATCH of the key, which Redis does only if a value
      // changed); a write of the value already there changes nothing.
      return grows || changed > 0 ? Mutation::Put(std::move(r)) : Mutation::Keep();
    };
    Status s = co_await ctx.store.Update(ctx.arg(1), fn);
    if (!s.ok()) {
      ctx.ReplyStatusError(s);
      co_return;
    }
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(results.size()));
  for (const auto& r : results) {
    if (r) {
      ctx.reply.Integer(*r);
    } else {
      ctx.reply.Null();
    }
  }
}

constexpr uint32_t kW = kCmdWrite;
constexpr uint32_t kR = kCmdReadonly;
constexpr uint32_t kD = kCmdDenyOom;
constexpr uint32_t kF = kCmdFast;

// As redis-server 7.0 reports them in COMMAND INFO and COMMAND DOCS.
constexpr CommandSpec kBitmapCommands[] = {
    {"bitcount", -2, kR, 1, 1, 1, BitCount, "bitmap", "Count set bits in a string", "2.6.0"},
    {"bitop", -4, kW | kD, 2, -1, 1, BitOp, "bitmap", "Perform bitwise operations between strings",
     "2.6.0"},
    {"bitfield", -2, kW | kD, 1, 1, 1, BitField, "bitmap",
     "Perform arbitrary bitfield integer operations on strings", "3.2.0"},
    {"bitfield_ro", -2, kR | kF, 1, 1, 1, BitField, "bitmap",
     "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
     "6.0.0"},
    {"bitpos", -3, kR, 1, 1, 1, BitPos, "bitmap", "Find first bit set or clear in a string",
     "2.8.7"},
    {"getbit", 3, kR | kF, 1, 1, 1, GetBit, "bitmap",
     "Returns the bit value at offset in the string value stored at key", "2.2.0"},
    {"setbit", 4, kW | kD, 1, 1, 1, SetBit, "bitmap",
     "Sets or clears the bit at offset in the string value stored at key", "2.2.0"},
};

}  // namespace

std::span<const CommandSpec> BitmapCommands() { return kBitmapCommands; }

}  // namespace ringkv::server
