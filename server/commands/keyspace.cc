// The keyspace ("generic") commands: DEL/UNLINK/EXISTS/TYPE/TOUCH, KEYS and
// SCAN, RANDOMKEY/DBSIZE, RENAME/RENAMENX/COPY, the EXPIRE family, TTLs,
// PERSIST and FLUSHDB/FLUSHALL. Replies, options and error texts follow
// redis-server 7.0; where ringkv differs (one database, string values only,
// SCAN cursors) the comment at the handler says so.
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/scan_cursor.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

using cluster::Mutation;
using cluster::Status;
using cluster::Task;
using storage::Record;
using storage::RecordRef;

// Texts only these commands use (the shared ones are in errors.h).
constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
constexpr std::string_view kExpireNxConflict =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
constexpr std::string_view kExpireGtLtConflict =
    "ERR GT and LT options at the same time are not compatible";

constexpr int64_t kScanDefaultCount = 10;
constexpr size_t kKeysPageSize = 1000;

// Server::CountLookup counts, as Redis does, the lookups of reads here
// (EXISTS, TYPE, TTL, TOUCH, COPY's source) and none of write commands.

// A copy of `r` to write under another name: value and TTL; the version is
// the store's business.
Record CopyOf(const Record& r) {
  Record out;
  out.value = r.value;
  out.expire_at_ms = r.expire_at_ms;
  return out;
}

// Every SCAN of this thread shares one table, so a cursor may be continued
// from any connection, as in Redis.
ScanCursorTable& Cursors() {
  thread_local ScanCursorTable table;
  return table;
}

// DEL and UNLINK: values are freed by storage either way.
Task<> Del(CommandContext& ctx) {
  int64_t removed = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    auto r = co_await ctx.store.Delete(ctx.arg(i));
    if (!r.ok()) {
      ctx.ReplyStatusError(r.status());
      co_return;
    }
    if (*r) ++removed;
  }
  ctx.reply.Integer(removed);
}

// EXISTS and TOUCH: a key named twice counts twice. TOUCH has no access time
// to update here.
Task<> Exists(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    auto r = co_await ctx.store.Read(ctx.arg(i));
    if (!r.ok()) {
      ctx.ReplyStatusError(r.status());
      co_return;
    }
    ctx.server.CountLookup(*r != nullptr);
    if (*r) ++found;
  }
  ctx.reply.Integer(found);
}

// Every value is a string.
Task<> Type(CommandContext& ctx) {
  auto r = co_await ctx.store.Read(ctx.arg(1));
  if (!r.ok()) {
    ctx.ReplyStatusError(r.status());
    co_return;
  }
  ctx.server.CountLookup(*r != nullptr);
  ctx.reply.SimpleString(*r ? "string" : "none");
}

// Walks the whole keyspace page by page. "*" means every key (Redis's
// shortcut, which also returns the empty key that the matcher would not).
Task<> Keys(CommandContext& ctx) {
  std::string_view pattern = ctx.arg(1);
  bool all = pattern == "*";
  std::vector<std::string> found;
  std::string position;
  do {
    auto page = co_await ctx.store.Scan(position, kKeysPageSize);
    if (!page.ok()) {
      ctx.ReplyStatusError(page.status());
      co_return;
    }
    for (std::string& k : page->keys) {
      if (all || GlobMatch(pattern, k)) found.push_back(std::move(k));
    }
    position = std::move(page->next);
  } while (!position.empty());
  ctx.reply.ArrayHeader(static_cast<int64_t>(found.size()));
  for (const std::string& k : found) ctx.reply.Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is a
// number from the ScanCursorTable; one it does not know restarts the scan.
// MATCH and TYPE filter a page after it was fetched, so a page may be empty
// while the cursor is not 0. TYPE "string" (any case) keeps every key, any
// other type none.
Task<> Scan(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.arg(1), &cursor)) {
    ctx.ReplyError(errors::kInvalidCursor);
    co_return;
  }
  int64_t count = kScanDefaultCount;
  std::string_view pattern;
  bool use_pattern = false;
  bool keep_none = false;
  for (size_t i = 2; i < ctx.argc(); i += 2) {
    std::string_view opt = ctx.arg(i);
    bool has_value = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "count") && has_value) {
      if (!ParseInt64(ctx.arg(i + 1), &count)) {
        ctx.ReplyError(errors::kNotInteger);
        co_return;
      }
      if (count < 1) {
        ctx.ReplyError(errors::kSyntax);
        co_return;
      }
    } else if (EqualsIgnoreCase(opt, "match") && has_value) {
      pattern = ctx.arg(i + 1);
      use_pattern = pattern != "*";
    } else if (EqualsIgnoreCase(opt, "type") && has_value) {
      keep_none = !EqualsIgnoreCase(ctx.arg(i + 1), "string");
    } else {
      ctx.ReplyError(errors::kSyntax);
      co_return;
    }
  }

  std::string from = Cursors().Find(cursor);
  auto page = co_await ctx.store.Scan(from, static_cast<size_t>(count));
  if (!page.ok()) {
    ctx.ReplyStatusError(page.status());
    co_return;
  }
  std::vector<std::string>& keys = page->keys;
  if (keep_none) {
    keys.clear();
  } else if (use_pattern) {
    std::erase_if(keys, [&](const std::string& k) { return !GlobMatch(pattern, k); });
  }
  uint64_t next = page->next.empty() ? 0 : Cursors().Save(std::move(page->next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

Task<> RandomKey(CommandContext& ctx) {
  auto r = co_await ctx.store.RandomKey();
  if (!r.ok()) {
    ctx.ReplyStatusError(r.status());
    co_return;
  }
  if (!r->empty()) {
    ctx.reply.Bulk(*r);
    co_return;
  }
  // "" means an empty keyspace, unless the empty key is what it found.
  auto empty_key = co_await ctx.store.Read("");
  if (!empty_key.ok()) {
    ctx.ReplyStatusError(empty_key.status());
    co_return;
  }
  if (*empty_key) {
    ctx.reply.Bulk("");
  } else {
    ctx.reply.Null();
  }
}

Task<> DbSize(CommandContext& ctx) {
  auto n = co_await ctx.store.Count();
  if (!n.ok()) {
    ctx.ReplyStatusError(n.status());
    co_return;
  }
  ctx.reply.Integer(static_cast<int64_t>(*n));
}

// RENAME and RENAMENX: the destination gets the source's value and TTL (and
// loses its own). On one node nothing runs between the steps.
Task<> RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.arg(1);
  std::string_view dst = ctx.arg(2);
  auto r = co_await ctx.store.Read(src);
  if (!r.ok()) {
    ctx.ReplyStatusError(r.status());
    co_return;
  }
  RecordRef rec = std::move(*r);
  if (!rec) {
    ctx.ReplyError(errors::kNoSuchKey);
    co_return;
  }
  if (src == dst) {
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    co_return;
  }
  if (nx) {
    auto d = co_await ctx.store.Read(dst);
    if (!d.ok()) {
      ctx.ReplyStatusError(d.status());
      co_return;
    }
    if (*d) {
      ctx.reply.Integer(0);
      co_return;
    }
  }
  Status ws = co_await ctx.store.Write(dst, CopyOf(*rec));
  if (!ws.ok()) {
    ctx.ReplyStatusError(ws);
    co_return;
  }
  auto del = co_await ctx.store.Delete(src);
  if (!del.ok()) {
    ctx.ReplyStatusError(del.status());
    co_return;
  }
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

Task<> Rename(CommandContext& ctx) { return RenameGeneric(ctx, false); }
Task<> RenameNx(CommandContext& ctx) { return RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]. Only DB 0 exists.
// The copy gets the source's TTL.
Task<> Copy(CommandContext& ctx) {
  bool replace = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "db") && i + 1 < ctx.argc()) {
      if (std::string_view error = DbIndexError(ctx.arg(i + 1)); !error.empty()) {
        ctx.ReplyError(error);
        co_return;
      }
      ++i;
    } else {
      ctx.ReplyError(errors::kSyntax);
      co_return;
    }
  }
  std::string_view src = ctx.arg(1);
  std::string_view dst = ctx.arg(2);
  if (src == dst) {
    ctx.ReplyError(kSameObject);
    co_return;
  }
  auto r = co_await ctx.store.Read(src);
  if (!r.ok()) {
    ctx.ReplyStatusError(r.status());
    co_return;
  }
  RecordRef rec = std::move(*r);
  ctx.server.CountLookup(rec != nullptr);
  if (!rec) {
    ctx.reply.Integer(0);
    co_return;
  }
  if (!replace) {
    auto d = co_await ctx.store.Read(dst);
    if (!d.ok()) {
      ctx.ReplyStatusError(d.status());
      co_return;
    }
    if (*d) {
      ctx.reply.Integer(0);
      co_return;
    }
  }
  Status ws = co_await ctx.store.Write(dst, CopyOf(*rec));
  if (!ws.ok()) {
    ctx.ReplyStatusError(ws);
    co_return;
  }
  ctx.reply.Integer(1);
}

// MOVE key db and SWAPDB index1 index2, as redis-server with `databases 1`
// answers them: database 0 is the only one, so MOVE to it is moving a key
// onto itself and SWAPDB 0 0 swaps nothing. In a cluster, refused as Redis
// Cluster refuses them.
Task<> Move(CommandContext& ctx) {
  if (ctx.server.cluster()) {
    ctx.ReplyError("ERR MOVE is not allowed in cluster mode");
    co_return;
  }
  std::string_view error = DbIndexError(ctx.arg(2));
  ctx.ReplyError(error.empty() ? kSameObject : error);
  co_return;
}

Task<> SwapDb(CommandContext& ctx) {
  if (ctx.server.cluster()) {
    ctx.ReplyError("ERR SWAPDB is not allowed in cluster mode");
    co_return;
  }
  int64_t db[2];
  for (size_t i = 0; i < 2; ++i) {
    if (!ParseInt64(ctx.arg(i + 1), &db[i]) || db[i] < INT32_MIN || db[i] > INT32_MAX) {
      ctx.ReplyError(i == 0 ? "ERR invalid first DB index" : "ERR invalid second DB index");
      co_return;
    }
  }
  if (db[0] != 0 || db[1] != 0) {
    ctx.ReplyError(errors::kDbIndexOutOfRange);
    co_return;
  }
  ctx.reply.Ok();
}

// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX] [GT|LT]. `relative`
// adds the current time; `seconds` scales by 1000. The checks and their order
// are Redis's: options, then the number, then overflow, then the key. A time
// that is not in the future deletes the key (and still answers 1).
Task<> ExpireGeneric(CommandContext& ctx, bool relative, bool seconds) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.argc(); ++i) {
    std::string_view opt = ctx.arg(i);
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      lt = true;
    } else {
      ctx.ReplyError(fmt::format("ERR Unsupported option {}", errors::AsCString(opt)));
      co_return;
    }
  }
  if (nx && (xx || gt || lt)) {
    ctx.ReplyError(kExpireNxConflict);
    co_return;
  }
  if (gt && lt) {
    ctx.ReplyError(kExpireGtLtConflict);
    co_return;
  }
  int64_t when;
  if (!ParseInt64(ctx.arg(2), &when)) {
    ctx.ReplyError(errors::kNotInteger);
    co_return;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (seconds) {
    if (when > kMax / 1000 || when < kMin / 1000) {
      ctx.ReplyError(errors::InvalidExpire(ctx.name()));
      co_return;
    }
    when *= 1000;
  }
  const int64_t now = ctx.server.NowMs();
  const int64_t base = relative ? now : 0;
  if (when > kMax - base) {
    ctx.ReplyError(errors::InvalidExpire(ctx.name()));
    co_return;
  }
  when += base;

  int64_t result = 0;
  auto fn = [&](const Record* r) -> Mutation {
    if (r == nullptr) return Mutation::Keep();
    // No TTL counts as infinite: GT never applies, LT always does.
    const bool has_ttl = r->expire_at_ms != 0;
    if (nx && has_ttl) return Mutation::Keep();
    if (xx && !has_ttl) return Mutation::Keep();
    if (gt && (!has_ttl || when <= r->expire_at_ms)) return Mutation::Keep();
    if (lt && has_ttl && when >= r->expire_at_ms) return Mutation::Keep();
    result = 1;
    if (when <= now) return Mutation::Delete();
    Record updated = *r;
    updated.expire_at_ms = when;
    return Mutation::Put(std::move(updated));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.Integer(result);
}

Task<> Expire(CommandContext& ctx) { return ExpireGeneric(ctx, true, true); }
Task<> PExpire(CommandContext& ctx) { return ExpireGeneric(ctx, true, false); }
Task<> ExpireAt(CommandContext& ctx) { return ExpireGeneric(ctx, false, true); }
Task<> PExpireAt(CommandContext& ctx) { return ExpireGeneric(ctx, false, false); }

// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for no key, -1 for no TTL; seconds
// are rounded to the nearest ((ms + 500) / 1000), as Redis does for all four.
Task<> TtlGeneric(CommandContext& ctx, bool output_ms, bool absolute) {
  auto r = co_await ctx.store.Read(ctx.arg(1));
  if (!r.ok()) {
    ctx.ReplyStatusError(r.status());
    co_return;
  }
  const RecordRef& rec = *r;
  ctx.server.CountLookup(rec != nullptr);
  if (!rec) {
    ctx.reply.Integer(-2);
    co_return;
  }
  if (rec->expire_at_ms == 0) {
    ctx.reply.Integer(-1);
    co_return;
  }
  int64_t ms = absolute ? rec->expire_at_ms : rec->expire_at_ms - ctx.server.NowMs();
  if (ms < 0) ms = 0;
  ctx.reply.Integer(output_ms ? ms : (ms + 500) / 1000);
}

Task<> Ttl(CommandContext& ctx) { return TtlGeneric(ctx, false, false); }
Task<> PTtl(CommandContext& ctx) { return TtlGeneric(ctx, true, false); }
Task<> ExpireTime(CommandContext& ctx) { return TtlGeneric(ctx, false, true); }
Task<> PExpireTime(CommandContext& ctx) { return TtlGeneric(ctx, true, true); }

Task<> Persist(CommandContext& ctx) {
  int64_t result = 0;
  auto fn = [&](const Record* r) -> Mutation {
    if (r == nullptr || r->expire_at_ms == 0) return Mutation::Keep();
    result = 1;
    Record updated = *r;
    updated.expire_at_ms = 0;
    return Mutation::Put(std::move(updated));
  };
  Status s = co_await ctx.store.Update(ctx.arg(1), fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.Integer(result);
}

// FLUSHDB and FLUSHALL [ASYNC|SYNC]: there is one database, and ASYNC is as
// synchronous as SYNC.
Task<> Flush(CommandContext& ctx) {
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.arg(1), "sync") &&
                         !EqualsIgnoreCase(ctx.arg(1), "async"))) {
    ctx.ReplyError(errors::kSyntax);
    co_return;
  }
  Status s = co_await ctx.store.FlushAll();
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
    co_return;
  }
  ctx.reply.Ok();
}

constexpr uint32_t kW = kCmdWrite;
constexpr uint32_t kR = kCmdReadonly;
constexpr uint32_t kF = kCmdFast;

// Arity, flags, key positions, group, summary and since as redis-server
// 7.0's COMMAND INFO and COMMAND DOCS report them (DBSIZE, FLUSHDB and
// FLUSHALL are in Redis's "server" group).
constexpr CommandSpec kKeyspaceCommands[] = {
    {"del", -2, kW, 1, -1, 1, Del, "generic", "Delete a key", "1.0.0"},
    {"unlink", -2, kW | kF, 1, -1, 1, Del, "generic",
     "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non "
     "blocking.",
     "4.0.0"},
    {"exists", -2, kR | kF, 1, -1, 1, Exists, "generic", "Determine if a key exists", "1.0.0"},
    {"type", 2, kR | kF, 1, 1, 1, Type, "generic", "Determine the type stored at key", "1.0.0"},
    {"touch", -2, kR | kF, 1, -1, 1, Exists, "generic",
     "Alters the last access time of a key(s). Returns the number of existing keys specified.",
     "3.2.1"},
    {"keys", 2, kR, 0, 0, 0, Keys, "generic", "Find all keys matching the given pattern", "1.0.0"},
    {"scan", -2, kR, 0, 0, 0, Scan, "generic", "Incrementally iterate the keys space", "2.8.0"},
    {"randomkey", 1, kR, 0, 0, 0, RandomKey, "generic", "Return a random key from the keyspace",
     "1.0.0"},
    {"dbsize", 1, kR | kF, 0, 0, 0, DbSize, "server",
     "Return the number of keys in the selected database", "1.0.0"},
    {"rename", 3, kW, 1, 2, 1, Rename, "generic", "Rename a key", "1.0.0"},
    {"renamenx", 3, kW | kF, 1, 2, 1, RenameNx, "generic",
     "Rename a key, only if the new key does not exist", "1.0.0"},
    {"copy", -3, kW | kCmdDenyOom, 1, 2, 1, Copy, "generic", "Copy a key", "6.2.0"},
    {"move", 3, kW | kF, 1, 1, 1, Move, "generic", "Move a key to another database", "1.0.0"},
    {"swapdb", 3, kW | kF, 0, 0, 0, SwapDb, "server", "Swaps two Redis databases", "4.0.0"},
    {"expire", -3, kW | kF, 1, 1, 1, Expire, "generic", "Set a key's time to live in seconds",
     "1.0.0"},
    {"pexpire", -3, kW | kF, 1, 1, 1, PExpire, "generic",
     "Set a key's time to live in milliseconds", "2.6.0"},
    {"expireat", -3, kW | kF, 1, 1, 1, ExpireAt, "generic",
     "Set the expiration for a key as a UNIX timestamp", "1.2.0"},
    {"pexpireat", -3, kW | kF, 1, 1, 1, PExpireAt, "generic",
     "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0"},
    {"expiretime", 2, kR | kF, 1, 1, 1, ExpireTime, "generic",
     "Get the expiration Unix timestamp for a key", "7.0.0"},
    {"pexpiretime", 2, kR | kF, 1, 1, 1, PExpireTime, "generic",
     "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0"},
    {"ttl", 2, kR | kF, 1, 1, 1, Ttl, "generic", "Get the time to live for a key in seconds",
     "1.0.0"},
    {"pttl", 2, kR | kF, 1, 1, 1, PTtl, "generic", "Get the time to live for a key in milliseconds",
     "2.6.0"},
    {"persist", 2, kW | kF, 1, 1, 1, Persist, "generic", "Remove the expiration from a key",
     "2.2.0"},
    {"flushdb", -1, kW, 0, 0, 0, Flush, "server", "Remove all keys from the current database",
     "1.0.0"},
    {"flushall", -1, kW, 0, 0, 0, Flush, "server", "Remove all keys from all databases", "1.0.0"},
};

}  // namespace

std::span<const CommandSpec> KeyspaceCommands() { return kKeyspaceCommands; }

}  // namespace ringkv::server
