// The string family: GET/SET and their variants, counters, ranges.
//
// Every handler parses all of its arguments before it reaches the store, so
// a rejected command leaves the keyspace as it was. Read-modify-write
// commands run as one KeyStore::Update: the function decides the mutation
// from the live record and records what the reply must be in the handler's
// frame; the handler replies once the update has completed.
//
// TTL rules, as Redis: SET, GETSET and MSET clear the TTL (unless KEEPTTL);
// INCR*, APPEND and SETRANGE keep the existing one.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
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

Record MakeRecord(std::string value, int64_t expire_at_ms) {
  Record r;
  r.value = std::move(value);
  r.expire_at_ms = expire_at_ms;
  return r;
}

// The reply of GETSET/GETDEL-style commands once their update ran: the old
// value, or nil if the key was absent (counted as a keyspace hit or miss).
void ReplyOldValue(CommandContext& ctx, const Status& s, bool found, const std::string& old) {
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    return;
  }
  ctx.server.CountLookup(found);
  if (found) {
    ctx.reply.Bulk(old);
  } else {
    ctx.reply.Null();
  }
}

// --- SET / GETEX options -------------------------------------------------

enum OptionFlag : uint32_t {
  kOptNx = 1 << 0,
  kOptXx = 1 << 1,
  kOptGet = 1 << 2,
  kOptKeepTtl = 1 << 3,
  kOptPersist = 1 << 4,
  kOptEx = 1 << 5,
  kOptPx = 1 << 6,
  kOptExat = 1 << 7,
  kOptPxat = 1 << 8,
};
constexpr uint32_t kOptAnyExpire = kOptEx | kOptPx | kOptExat | kOptPxat;

struct StringOptions {
  uint32_t flags = 0;
  std::string_view expire;  // the argument of EX/PX/EXAT/PXAT
};

uint32_t ExpireOption(std::string_view opt) {
  if (EqualsIgnoreCase(opt, "ex")) return kOptEx;
  if (EqualsIgnoreCase(opt, "px")) return kOptPx;
  if (EqualsIgnoreCase(opt, "exat")) return kOptExat;
  if (EqualsIgnoreCase(opt, "pxat")) return kOptPxat;
  return 0;
}

// Parses SET's options (for_set) or GETEX's from args[first..]. false means
// "ERR syntax error": an unknown word, a missing expire argument, or a
// conflicting pair (NX/XX, KEEPTTL or PERSIST with an expire, two different
// expire units). Repeating the same option is allowed; the last value wins.
bool ParseStringOptions(std::span<const std::string_view> args, size_t first, bool for_set,
                        StringOptions* out) {
  uint32_t& f = out->flags;
  for (size_t j = first; j < args.size(); ++j) {
    std::string_view opt = args[j];
    uint32_t unit = 0;
    if (for_set && EqualsIgnoreCase(opt, "nx") && !(f & kOptXx)) {
      f |= kOptNx;
    } else if (for_set && EqualsIgnoreCase(opt, "xx") && !(f & kOptNx)) {
      f |= kOptXx;
    } else if (for_set && EqualsIgnoreCase(opt, "get")) {
      f |= kOptGet;
    } else if (for_set && EqualsIgnoreCase(opt, "keepttl") && !(f & kOptAnyExpire)) {
      f |= kOptKeepTtl;
    } else if (!for_set && EqualsIgnoreCase(opt, "persist") && !(f & kOptAnyExpire)) {
      f |= kOptPersist;
    } else if ((unit = ExpireOption(opt)) != 0 && j + 1 < args.size() &&
               !(f & (kOptKeepTtl | kOptPersist | (kOptAnyExpire & ~unit)))) {
      f |= unit;
      out->expire = args[++j];
    } else {
      return false;
    }
  }
  return true;
}

enum class ExpireParse { kOk, kNotInteger, kInvalid };

// An expire argument as an absolute unix time in ms. Zero, negative and
// values that overflow once scaled to ms (or added to now) are invalid.
ExpireParse ParseExpireAt(std::string_view arg, bool seconds, bool relative, int64_t now_ms,
                          int64_t* at_ms) {
  int64_t v;
  if (!ParseInt64(arg, &v)) return ExpireParse::kNotInteger;
  if (v <= 0 || (seconds && v > std::numeric_limits<int64_t>::max() / 1000)) {
    return ExpireParse::kInvalid;
  }
  if (seconds) v *= 1000;
  if (relative && __builtin_add_overflow(v, now_ms, &v)) return ExpireParse::kInvalid;
  *at_ms = v;
  return ExpireParse::kOk;
}

ExpireParse ParseExpireOption(const StringOptions& opts, int64_t now_ms, int64_t* at_ms) {
  return ParseExpireAt(opts.expire, (opts.flags & (kOptEx | kOptExat)) != 0,
                       (opts.flags & (kOptEx | kOptPx)) != 0, now_ms, at_ms);
}

void ReplyExpireError(CommandContext& ctx, ExpireParse e) {
  if (e == ExpireParse::kNotInteger) {
    ctx.ReplyError(errors::kNotInteger);
  } else {
    ctx.ReplyError(errors::InvalidExpire(ctx.name()));
  }
}

// --- GET / SET -----------------------------------------------------------

cluster::Task<> Get(CommandContext& ctx) {
  auto rec = co_await ctx.store.Read(ctx.arg(1));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
    co_return;
  }
  const RecordRef& r = *rec;
  ctx.server.CountLookup(r != nullptr);
  if (r) {
    ctx.reply.Bulk(r->value);
  } else {
    ctx.reply.Null();
  }
}

cluster::Task<> Set(CommandContext& ctx) {
  StringOptions opts;
  if (!ParseStringOptions(ctx.args, 3, /*for_set=*/true, &opts)) {
    ctx.ReplyError(errors::kSyntax);
    co_return;
  }
  int64_t now = 0;
  int64_t expire_at = 0;
  if (opts.flags & kOptAnyExpire) {
    now = ctx.server.NowMs();
    ExpireParse e = ParseExpireOption(opts, now, &expire_at);
    if (e != ExpireParse::kOk) {
      ReplyExpireError(ctx, e);
      co_return;
    }
  }
  const std::string_view key = ctx.arg(1);
  const std::string_view value = ctx.arg(2);
  const uint32_t flags = opts.flags;

  // EXAT/PXAT in the past: the key ends up removed, the reply is as usual.
  const bool expired_now = expire_at != 0 && expire_at <= now;

  if (!(flags & (kOptNx | kOptXx | kOptGet | kOptKeepTtl))) {
    // The hot path: a blind write, nothing depends on the old record.
    if (expired_now) {
      auto deleted = co_await ctx.store.Delete(key);
      if (!deleted.ok()) {
        ctx.ReplyStatusError(deleted.status());
        co_return;
      }
    } else {
      Status s = co_await ctx.store.Write(key, MakeRecord(std::string(value), expire_at));
      if (!s.ok()) {
        ctx.ReplyStatusError(s);
        co_return;
      }
    }
    ctx.reply.Ok();
    co_return;
  }

  bool found = false;
  bool written = false;
  std::string old_value;
  auto fn = [&](const Record* old) -> Mutation {
    found = old != nullptr;
    if (found && (flags & kOptGet)) old_value = old->value;
    if (((flags & kOptNx) && found) || ((flags & kOptXx) && !found)) return Mutation::Keep();
    written = true;
    if (expired_now) return Mutation::Delete();
    int64_t at = (flags & kOptKeepTtl) ? (old ? old->expire_at_ms : 0) : expire_at;
    return Mutation::Put(MakeRecord(std::string(value), at));
  };
  Status s = co_await ctx.store.Update(key, fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  if (flags & kOptGet) {
    // The old value (or nil) whether or not NX/XX let the write happen.
    ctx.server.CountLookup(found);
    if (found) {
      ctx.reply.Bulk(old_value);
    } else {
      ctx.reply.Null();
    }
  } else if (written) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Null();
  }
}

cluster::Task<> SetNx(CommandContext& ctx) {
  const std::string_view value = ctx.arg(2);
  bool written = false;
  auto fn = [&](const Record* old) -> Mutation {
    if (old) return Mutation::Keep();
    written = true;
    return Mutation::Put(MakeRecord(std::string(value), 0));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.Integer(written ? 1 : 0);
}

// SETEX key seconds value / PSETEX key milliseconds value.
cluster::Task<> SetExpiring(CommandContext& ctx, bool seconds) {
  int64_t expire_at = 0;
  ExpireParse e =
      ParseExpireAt(ctx.arg(2), seconds, /*relative=*/true, ctx.server.NowMs(), &expire_at);
  if (e != ExpireParse::kOk) {
    ReplyExpireError(ctx, e);
    co_return;
  }
  // Relative and positive, so never already past.
  Status s = co_await ctx.store.Write(ctx.arg(1), MakeRecord(std::string(ctx.arg(3)), expire_at));
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.Ok();
}

cluster::Task<> SetEx(CommandContext& ctx) { return SetExpiring(ctx, /*seconds=*/true); }
cluster::Task<> PSetEx(CommandContext& ctx) { return SetExpiring(ctx, /*seconds=*/false); }

cluster::Task<> GetSet(CommandContext& ctx) {
  const std::string_view value = ctx.arg(2);
  bool found = false;
  std::string old_value;
  auto fn = [&](const Record* old) -> Mutation {
    if (old) {
      found = true;
      old_value = old->value;
    }
    return Mutation::Put(MakeRecord(std::string(value), 0));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  ReplyOldValue(ctx, s, found, old_value);
}

cluster::Task<> GetDel(CommandContext& ctx) {
  bool found = false;
  std::string old_value;
  auto fn = [&](const Record* old) -> Mutation {
    if (!old) return Mutation::Keep();
    found = true;
    old_value = old->value;
    return Mutation::Delete();
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  ReplyOldValue(ctx, s, found, old_value);
}

cluster::Task<> GetEx(CommandContext& ctx) {
  StringOptions opts;
  if (!ParseStringOptions(ctx.args, 2, /*for_set=*/false, &opts)) {
    ctx.ReplyError(errors::kSyntax);
    co_return;
  }
  const uint32_t flags = opts.flags;
  if (!(flags & (kOptAnyExpire | kOptPersist))) {
    auto rec = co_await ctx.store.Read(ctx.arg(1));
    if (!rec.ok()) {
      ctx.ReplyStatusError(rec.status());
      co_return;
    }
    const RecordRef& r = *rec;
    ctx.server.CountLookup(r != nullptr);
    if (r) {
      ctx.reply.Bulk(r->value);
    } else {
      ctx.reply.Null();
    }
    co_return;
  }

  // The expire argument is parsed here, but as in Redis a bad one is only
  // reported when the key exists: GETEX on a missing key is always nil.
  const int64_t now = ctx.server.NowMs();
  int64_t expire_at = 0;
  ExpireParse expire_error = ExpireParse::kOk;
  if (flags & kOptAnyExpire) expire_error = ParseExpireOption(opts, now, &expire_at);

  bool found = false;
  std::string value;
  auto fn = [&](const Record* old) -> Mutation {
    if (!old) return Mutation::Keep();
    found = true;
    if (expire_error != ExpireParse::kOk) return Mutation::Keep();
    value = old->value;
    if (flags & kOptAnyExpire) {
      // EX/PX are always in the future; EXAT/PXAT in the past delete the key.
      if (expire_at <= now) return Mutation::Delete();
      return Mutation::Put(MakeRecord(value, expire_at));
    }
    if (old->expire_at_ms == 0) return Mutation::Keep();  // PERSIST without a TTL
    return Mutation::Put(MakeRecord(value, 0));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.server.CountLookup(found);
  if (!found) {
    ctx.reply.Null();
  } else if (expire_error != ExpireParse::kOk) {
    ReplyExpireError(ctx, expire_error);
  } else {
    ctx.reply.Bulk(value);
  }
}

// --- MGET / MSET / MSETNX ------------------------------------------------

cluster::Task<> MGet(CommandContext& ctx) {
  // Every read starts before the first is awaited: in a cluster they run
  // side by side (each key's replicas answer in parallel), on one node they
  // are ready at once. All reads finish before the reply: a storage failure
  // midway must not leave half an array.
  std::vector<cluster::Future<cluster::Result<RecordRef>>> reads;
  reads.reserve(ctx.argc() - 1);
  for (size_t i = 1; i < ctx.argc(); ++i) reads.push_back(ctx.store.Read(ctx.arg(i)));
  std::vector<RecordRef> records;
  records.reserve(reads.size());
  for (auto& read : reads) {
    auto rec = co_await read;
    if (!rec.ok()) {
      ctx.ReplyStatusError(rec.status());
      co_return;
    }
    ctx.server.CountLookup(*rec != nullptr);
    records.push_back(std::move(*rec));
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(records.size()));
  for (const RecordRef& r : records) {
    if (r) {
      ctx.reply.Bulk(r->value);
    } else {
      ctx.reply.Null();
    }
  }
}

cluster::Task<> MSet(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) {
    ctx.ReplyError(errors::WrongArity(ctx.name()));
    co_return;
  }
  // In order: a repeated key ends with its last value. TTLs are cleared.
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    Status s = co_await ctx.store.Write(ctx.arg(i), MakeRecord(std::string(ctx.arg(i + 1)), 0));
    if (!s.ok()) {
      ctx.ReplyStatusError(s);
      co_return;
    }
  }
  ctx.reply.Ok();
}

cluster::Task<> MSetNx(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) {
    ctx.ReplyError(errors::WrongArity(ctx.name()));
    co_return;
  }
  // Nothing runs between these reads and the writes on one node, so the
  // check-then-write is atomic there.
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    auto rec = co_await ctx.store.Read(ctx.arg(i));
    if (!rec.ok()) {
      ctx.ReplyStatusError(rec.status());
      co_return;
    }
    if (*rec) {
      ctx.reply.Integer(0);
      co_return;
    }
  }
  for (size_t i = 1; i < ctx.argc(); i += 2) {
    Status s = co_await ctx.store.Write(ctx.arg(i), MakeRecord(std::string(ctx.arg(i + 1)), 0));
    if (!s.ok()) {
      ctx.ReplyStatusError(s);
      co_return;
    }
  }
  ctx.reply.Integer(1);
}

// --- Counters --------------------------------------------------------------

// INCR/DECR (argc 2: by `sign`) and INCRBY/DECRBY (argc 3: by sign * argv[2]).
cluster::Task<> IncrDecrBy(CommandContext& ctx, int64_t sign) {
  int64_t incr = sign;
  if (ctx.argc() > 2) {
    if (!ParseInt64(ctx.arg(2), &incr)) {
      ctx.ReplyError(errors::kNotInteger);
      co_return;
    }
    if (sign < 0) {
      if (incr == std::numeric_limits<int64_t>::min()) {
        ctx.ReplyError(errors::kDecrOverflow);
        co_return;
      }
      incr = -incr;
    }
  }
  std::string_view error;
  int64_t result = 0;
  auto fn = [&](const Record* old) -> Mutation {
    int64_t value = 0;
    if (old && !ParseInt64(old->value, &value)) {
      error = errors::kNotInteger;
      return Mutation::Keep();
    }
    if (__builtin_add_overflow(value, incr, &result)) {
      error = errors::kOverflow;
      return Mutation::Keep();
    }
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), result);
    (void)ec;  // 24 bytes always hold an int64
    return Mutation::Put(MakeRecord(std::string(buf, end), old ? old->expire_at_ms : 0));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
  } else if (!error.empty()) {
    ctx.ReplyError(error);
  } else {
    ctx.reply.Integer(result);
  }
}

cluster::Task<> Incr(CommandContext& ctx) { return IncrDecrBy(ctx, 1); }
cluster::Task<> Decr(CommandContext& ctx) { return IncrDecrBy(ctx, -1); }

cluster::Task<> IncrByFloat(CommandContext& ctx) {
  // Long double throughout, as Redis: "10.5" + "0.1" must print "10.6".
  long double incr;
  if (!ParseLongDouble(ctx.arg(2), &incr)) {
    ctx.ReplyError(errors::kNotFloat);
    co_return;
  }
  std::string_view error;
  std::string result;
  auto fn = [&](const Record* old) -> Mutation {
    long double value = 0;
    if (old && !ParseLongDouble(old->value, &value)) {
      error = errors::kNotFloat;
      return Mutation::Keep();
    }
    value += incr;
    if (std::isnan(value) || std::isinf(value)) {
      error = errors::kIncrNanOrInf;
      return Mutation::Keep();
    }
    result = FormatDouble(value);
    return Mutation::Put(MakeRecord(result, old ? old->expire_at_ms : 0));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
  } else if (!error.empty()) {
    ctx.ReplyError(error);
  } else {
    ctx.reply.Bulk(result);
  }
}

// --- APPEND / STRLEN / ranges ----------------------------------------------

// Whether a string of `size + extra` bytes fits in proto-max-bulk-len.
bool FitsBulkLimit(const CommandContext& ctx, uint64_t size, uint64_t extra) {
  uint64_t total = size + extra;
  return total >= size && total <= ctx.server.config().proto_max_bulk_len;
}

cluster::Task<> Append(CommandContext& ctx) {
  const std::string_view tail = ctx.arg(2);
  // A big string grows where it is (an APPEND log), where the store can.
  if (auto grown = ctx.store.TryAppend(ctx.arg(1), tail, ctx.server.config().proto_max_bulk_len)) {
    ctx.reply.Integer(static_cast<int64_t>(*grown));
    co_return;
  }
  bool too_long = false;
  size_t length = 0;
  auto fn = [&](const Record* old) -> Mutation {
    if (!old) {
      length = tail.size();
      return Mutation::Put(MakeRecord(std::string(tail), 0));
    }
    if (!FitsBulkLimit(ctx, old->value.size(), tail.size())) {
      too_long = true;
      return Mutation::Keep();
    }
    std::string value;
    value.reserve(old->value.size() + tail.size());
    value.append(old->value).append(tail);
    length = value.size();
    return Mutation::Put(MakeRecord(std::move(value), old->expire_at_ms));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
  } else if (too_long) {
    ctx.ReplyError(errors::kStringTooLong);
  } else {
    ctx.reply.Integer(static_cast<int64_t>(length));
  }
}

cluster::Task<> StrLen(CommandContext& ctx) {
  auto rec = co_await ctx.store.Read(ctx.arg(1));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
    co_return;
  }
  const RecordRef& r = *rec;
  ctx.server.CountLookup(r != nullptr);
  ctx.reply.Integer(r ? static_cast<int64_t>(r->value.size()) : 0);
}

// GETRANGE / SUBSTR key start end: inclusive, negative indices count from
// the end. Both ends are clamped to the string before they are compared, so
// a range entirely before the start yields the first byte (Redis 7.0), except
// when both ends are negative and reversed.
cluster::Task<> GetRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.arg(2), &start) || !ParseInt64(ctx.arg(3), &end)) {
    ctx.ReplyError(errors::kNotInteger);
    co_return;
  }
  auto rec = co_await ctx.store.Read(ctx.arg(1));
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
    co_return;
  }
  const RecordRef& r = *rec;
  ctx.server.CountLookup(r != nullptr);
  if (!r || (start < 0 && end < 0 && start > end)) {
    ctx.reply.Bulk("");
    co_return;
  }
  const std::string& value = r->value;
  const auto len = static_cast<int64_t>(value.size());
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) {
    ctx.reply.Bulk("");
    co_return;
  }
  ctx.reply.Bulk(std::string_view(value).substr(static_cast<size_t>(start),
                                                static_cast<size_t>(end - start + 1)));
}

cluster::Task<> SetRange(CommandContext& ctx) {
  int64_t offset;
  if (!ParseInt64(ctx.arg(2), &offset)) {
    ctx.ReplyError(errors::kNotInteger);
    co_return;
  }
  if (offset < 0) {
    ctx.ReplyError(errors::kOffsetOutOfRange);
    co_return;
  }
  const std::string_view patch = ctx.arg(3);
  const auto at = static_cast<uint64_t>(offset);
  bool too_long = false;
  size_t length = 0;
  // Writes the patch over `value` (grown with zero bytes to reach `at`). A
  // big string changes where it is, where the store can.
  auto overwrite = [&](std::string* value) {
    if (value->size() < at + patch.size()) value->resize(at + patch.size(), '\0');
    value->replace(at, patch.size(), patch);
    length = value->size();
    return true;
  };
  if (!patch.empty() && FitsBulkLimit(ctx, at, patch.size()) &&
      ctx.store.TryChange(ctx.arg(1), static_cast<size_t>(at), patch.size(), overwrite)) {
    ctx.reply.Integer(static_cast<int64_t>(length));
    co_return;
  }
  auto fn = [&](const Record* old) -> Mutation {
    // An empty patch changes nothing: not even a missing key is created.
    if (patch.empty()) {
      length = old ? old->value.size() : 0;
      return Mutation::Keep();
    }
    if (!FitsBulkLimit(ctx, at, patch.size())) {
      too_long = true;
      return Mutation::Keep();
    }
    std::string value = old ? old->value : std::string();
    overwrite(&value);
    return Mutation::Put(MakeRecord(std::move(value), old ? old->expire_at_ms : 0));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
  } else if (too_long) {
    ctx.ReplyError(errors::kStringTooLong);
  } else {
    ctx.reply.Integer(static_cast<int64_t>(length));
  }
}

constexpr uint32_t kW = kCmdWrite;
constexpr uint32_t kR = kCmdReadonly;
constexpr uint32_t kD = kCmdDenyOom;
constexpr uint32_t kF = kCmdFast;

// As redis-server 7.0 reports them in COMMAND INFO and COMMAND DOCS.
constexpr CommandSpec kStringCommands[] = {
    {"append", 3, kW | kD | kF, 1, 1, 1, Append, "string", "Append a value to a key", "2.0.0"},
    {"decr", 2, kW | kD | kF, 1, 1, 1, Decr, "string",
     "Decrement the integer value of a key by one", "1.0.0"},
    {"decrby", 3, kW | kD | kF, 1, 1, 1, Decr, "string",
     "Decrement the integer value of a key by the given number", "1.0.0"},
    {"get", 2, kR | kF, 1, 1, 1, Get, "string", "Get the value of a key", "1.0.0"},
    {"getdel", 2, kW | kF, 1, 1, 1, GetDel, "string", "Get the value of a key and delete the key",
     "6.2.0"},
    {"getex", -2, kW | kF, 1, 1, 1, GetEx, "string",
     "Get the value of a key and optionally set its expiration", "6.2.0"},
    {"getrange", 4, kR, 1, 1, 1, GetRange, "string",
     "Get a substring of the string stored at a key", "2.4.0"},
    {"getset", 3, kW | kD | kF, 1, 1, 1, GetSet, "string",
     "Set the string value of a key and return its old value", "1.0.0"},
    {"incr", 2, kW | kD | kF, 1, 1, 1, Incr, "string",
     "Increment the integer value of a key by one", "1.0.0"},
    {"incrby", 3, kW | kD | kF, 1, 1, 1, Incr, "string",
     "Increment the integer value of a key by the given amount", "1.0.0"},
    {"incrbyfloat", 3, kW | kD | kF, 1, 1, 1, IncrByFloat, "string",
     "Increment the float value of a key by the given amount", "2.6.0"},
    {"mget", -2, kR | kF, 1, -1, 1, MGet, "string", "Get the values of all the given keys",
     "1.0.0"},
    {"mset", -3, kW | kD, 1, -1, 2, MSet, "string", "Set multiple keys to multiple values",
     "1.0.1"},
    {"msetnx", -3, kW | kD, 1, -1, 2, MSetNx, "string",
     "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1"},
    {"psetex", 4, kW | kD, 1, 1, 1, PSetEx, "string",
     "Set the value and expiration in milliseconds of a key", "2.6.0"},
    {"set", -3, kW | kD, 1, 1, 1, Set, "string", "Set the string value of a key", "1.0.0"},
    {"setex", 4, kW | kD, 1, 1, 1, SetEx, "string", "Set the value and expiration of a key",
     "2.0.0"},
    {"setnx", 3, kW | kD | kF, 1, 1, 1, SetNx, "string",
     "Set the value of a key, only if the key does not exist", "1.0.0"},
    {"setrange", 4, kW | kD, 1, 1, 1, SetRange, "string",
     "Overwrite part of a string at key starting at the specified offset", "2.2.0"},
    {"strlen", 2, kR | kF, 1, 1, 1, StrLen, "string", "Get the length of the value stored in a key",
     "2.2.0"},
    {"substr", 4, kR, 1, 1, 1, GetRange, "string", "Get a substring of the string stored at a key",
     "1.0.0"},
};

}  // namespace

std::span<const CommandSpec> StringCommands() { return kStringCommands; }

}  // namespace ringkv::server
