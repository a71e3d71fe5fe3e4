// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest
// common subsequence of two strings (missing keys are empty), as Redis 7.0
// answers it: the subsequence itself, its length (LEN), or the runs of it
// that are contiguous in both strings (IDX), last run first.
//
// The classic dynamic-programming table, (len1 + 1) x (len2 + 1) 32-bit
// cells, refused when it would exceed proto-max-bulk-len (Redis's limit for
// this transient memory). Walking back from the end, a tie between dropping
// a byte of the first string or of the second drops the second's, which is
// how Redis picks among equally long answers.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

using cluster::RecordRef;

struct Run {  // a stretch common to both strings, inclusive positions
  int64_t a_start, a_end, b_start, b_end;
};

cluster::Task<> Lcs(CommandContext& ctx) {
  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const std::string_view opt = ctx.arg(j);
    if (EqualsIgnoreCase(opt, "idx")) {
      want_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      want_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && j + 1 < ctx.argc()) {
      if (!ParseInt64(ctx.arg(++j), &min_match_len)) {
        ctx.ReplyError(errors::kNotInteger);
        co_return;
      }
    } else {
      ctx.ReplyError(errors::kSyntax);
      co_return;
    }
  }
  if (want_len && want_idx) {
    ctx.ReplyError("ERR If you want both the length and indexes, please just use IDX.");
    co_return;
  }
  RecordRef recs[2];
  for (int k = 0; k < 2; ++k) {
    auto rec = co_await ctx.store.Read(ctx.arg(1 + k));
    if (!rec.ok()) {
      ctx.ReplyStatusError(rec.status());
      co_return;
    }
    ctx.server.CountLookup(*rec != nullptr);
    recs[k] = std::move(*rec);
  }
  const std::string_view a = recs[0] ? std::string_view(recs[0]->value) : std::string_view();
  const std::string_view b = recs[1] ? std::string_view(recs[1]->value) : std::string_view();
  const uint64_t cells = (static_cast<uint64_t>(a.size()) + 1) * (b.size() + 1);
  if (cells * sizeof(uint32_t) > ctx.server.config().proto_max_bulk_len) {
    ctx.ReplyError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    co_return;
  }
  // table[i][j]: the LCS length of a's first i bytes and b's first j.
  const size_t width = b.size() + 1;
  std::vector<uint32_t> table(static_cast<size_t>(cells), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return table[i * width + j]; };
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t total = at(a.size(), b.size());
  if (want_len) {
    ctx.reply.Integer(total);
    co_return;
  }
  // Walk back from the end: the subsequence (filled from its end) and its runs.
  std::string common(total, '\0');
  size_t filled = total;
  std::vector<Run> runs;
  bool in_run = false;
  Run cur{};
  auto close_run = [&]() {
    if (in_run && (cur.a_end - cur.a_start + 1) >= min_match_len) runs.push_back(cur);
    in_run = false;
  };
  size_t i = a.size(), j = b.size();
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      common[--filled] = a[i - 1];
      const auto ai = static_cast<int64_t>(i - 1), bj = static_cast<int64_t>(j - 1);
      if (in_run && cur.a_start == ai + 1 && cur.b_start == bj + 1) {
        cur.a_start = ai;
        cur.b_start = bj;
      } else {
        close_run();
        cur = Run{ai, ai, bj, bj};
        in_run = true;
      }
      --i;
      --j;
    } else if (at(i - 1, j) > at(i, j - 1)) {
      --i;
    } else {
      --j;
    }
  }
  close_run();
  if (!want_idx) {
    ctx.reply.Bulk(common);
    co_return;
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(static_cast<int64_t>(runs.size()));
  for (const Run& r : runs) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.a_start);
    ctx.reply.Integer(r.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.b_start);
    ctx.reply.Integer(r.b_end);
    if (with_match_len) ctx.reply.Integer(r.a_end - r.a_start + 1);
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(total);
}

// As redis-server 7.0 reports it in COMMAND INFO and COMMAND DOCS.
constexpr CommandSpec kLcsCommands[] = {
    {"lcs", -3, kCmdReadonly, 1, 2, 1, Lcs, "string", "Find longest common substring", "7.0.0"},
};

}  // namespace

std::span<const CommandSpec> LcsCommands() { return kLcsCommands; }

}  // namespace ringkv::server
