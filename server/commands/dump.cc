// DUMP key and RESTORE key ttl serialized-value [REPLACE] [ABSTTL]
// [IDLETIME seconds] [FREQ frequency]: a key's value in Redis's serialized
// form (server/dump_payload.h), so that keys move between ringkv and
// redis-server with the tools that use these commands. Replies, error texts
// and the order of the checks are redis-server 7.0's: options, then the
// target key (BUSYKEY), then the TTL, then the payload. IDLETIME and FREQ are
// checked and ignored: ringkv keeps no access times or frequencies.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/command_table.h"
#include "server/dump_payload.h"
#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

using cluster::Mutation;
using cluster::Record;
using cluster::RecordRef;
using cluster::Task;

constexpr std::string_view kBusyKey = "BUSYKEY Target key name already exists.";
constexpr std::string_view kBadPayload = "ERR DUMP payload version or checksum are wrong";
constexpr std::string_view kBadFormat = "ERR Bad data format";

Task<> Dump(CommandContext& ctx) {
  RecordRef rec = co_await ReadOrReplyNil(ctx, ctx.arg(1), /*count_lookup=*/true);
  if (rec) ctx.reply.Bulk(DumpPayload(rec->value));
}

Task<> Restore(CommandContext& ctx) {
  bool replace = false, absttl = false, idle = false, freq = false;
  for (size_t j = 4; j < ctx.argc(); ++j) {
    const std::string_view opt = ctx.arg(j);
    const bool has_arg = j + 1 < ctx.argc();
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(opt, "idletime") && has_arg && !freq) {
      int64_t v;
      if (!ParseInt64(ctx.arg(++j), &v)) {
        ctx.ReplyError(errors::kNotInteger);
        co_return;
      }
      if (v < 0) {
        ctx.ReplyError("ERR Invalid IDLETIME value, must be >= 0");
        co_return;
      }
      idle = true;
    } else if (EqualsIgnoreCase(opt, "freq") && has_arg && !idle) {
      int64_t v;
      if (!ParseInt64(ctx.arg(++j), &v)) {
        ctx.ReplyError(errors::kNotInteger);
        co_return;
      }
      if (v < 0 || v > 255) {
        ctx.ReplyError("ERR Invalid FREQ value, must be >= 0 and <= 255");
        co_return;
      }
      freq = true;
    } else {
      ctx.ReplyError(errors::kSyntax);
      co_return;
    }
  }
  const std::string_view key = ctx.arg(1);
  if (!replace) {
    auto r = co_await ctx.store.Read(key);
    if (!r.ok()) {
      ctx.ReplyStatusError(r.status());
      co_return;
    }
    if (*r) {
      ctx.ReplyError(kBusyKey);
      co_return;
    }
  }
  int64_t ttl;
  if (!ParseInt64(ctx.arg(2), &ttl)) {
    ctx.ReplyError(errors::kNotInteger);
    co_return;
  }
  if (ttl < 0) {
    ctx.ReplyError("ERR Invalid TTL value, must be >= 0");
    co_return;
  }
  Record rec;
  int type = 0;
  switch (ParsePayload(ctx.arg(3), ctx.server.config().proto_max_bulk_len, &rec.value, &type)) {
    case PayloadError::kNone:
      break;
    case PayloadError::kVersionOrChecksum:
      ctx.ReplyError(kBadPayload);
      co_return;
    case PayloadError::kBadFormat:
      ctx.ReplyError(kBadFormat);
      co_return;
    case PayloadError::kNotString:
      ctx.ReplyError("ERR Bad data format: the payload holds a value of RDB type " +
                     std::to_string(type) + ", and ringkv stores only strings");
      co_return;
  }
  // A relative TTL past the end of time wraps, as Redis's addition does,
  // and so is in the past: the key is not created.
  const int64_t now = ctx.server.NowMs();
  if (ttl != 0) {
    rec.expire_at_ms =
        absttl ? ttl
               : static_cast<int64_t>(static_cast<uint64_t>(ttl) + static_cast<uint64_t>(now));
  }
  const bool expired = ttl != 0 && rec.expire_at_ms <= now;
  bool busy = false;
  auto fn = [&](const Record* cur) {
    if (cur && !replace) {  // written since the check above (a cluster)
      busy = true;
      return Mutation::Keep();
    }
    if (expired) return cur ? Mutation::Delete() : Mutation::Keep();
    return Mutation::Put(std::move(rec));
  };
  cluster::Status s = co_await ctx.store.Update(key, fn);
  if (!s.ok()) {
    ctx.ReplyStatusError(s);
  } else if (busy) {
    ctx.ReplyError(kBusyKey);
  } else {
    ctx.reply.Ok();
  }
}

constexpr CommandSpec kDumpCommands[] = {
    {"dump", 2, kCmdReadonly, 1, 1, 1, Dump, "generic",
     "Return a serialized version of the value stored at the specified key.", "2.6.0"},
    {"restore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1, Restore, "generic",
     "Create a key using the provided serialized value, previously obtained using DUMP.", "2.6.0"},
};

}  // namespace

std::span<const CommandSpec> DumpCommands() { return kDumpCommands; }

}  // namespace ringkv::server
