#include "server/command_table.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "server/command_docs.h"
#include "server/errors.h"
#include "server/server.h"

namespace ringkv::server {

std::string_view CommandContext::name() const { return spec.name; }

cluster::Task<storage::RecordRef> ReadOrReplyNil(CommandContext& ctx, std::string_view key,
                                                 bool count_lookup) {
  auto rec = co_await ctx.store.Read(key);
  if (!rec.ok()) {
    ctx.ReplyStatusError(rec.status());
    co_return nullptr;
  }
  if (count_lookup) ctx.server.CountLookup(*rec != nullptr);
  if (*rec == nullptr) ctx.reply.Null();
  co_return std::move(*rec);
}

void CommandContext::ReplyStatusError(const cluster::Status& s) {
  reply.Error(errors::StorageError(s.message()));
}

CommandTable::CommandTable() {
  // Every family, listed explicitly in one place.
  for (auto family :
       {StringCommands(), BitmapCommands(), LcsCommands(), KeyspaceCommands(), DumpCommands(),
        AclCommands(), ConnectionCommands(), ServerCommands(), TransactionCommands(),
        PeerCommands(), ClusterCommands(), LatencyCommands()}) {
    for (const CommandSpec& spec : family) {
      all_.push_back(&spec);
      by_name_.emplace_back(std::string(spec.name), &spec);
    }
  }
  std::sort(by_name_.begin(), by_name_.end());
  Index();
}

namespace {

// FNV-1a over the name's bytes as Lookup folds them (A-Z to a-z, as tolower
// in the C locale).
uint64_t FoldHash(std::string_view name, char* folded) {
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    folded[i] = c;
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  return h;
}

constexpr size_t kMaxNameLen = 63;  // longer names are no command's

}  // namespace

void CommandTable::Index() {
  size_t size = 16;
  while (size < by_name_.size() * 2) size *= 2;
  slots_.assign(size, Slot{});
  char folded[kMaxNameLen];
  for (const auto& [name, spec] : by_name_) {
    if (name.size() > kMaxNameLen) continue;  // rename-command to a name no lookup can match
    size_t i = FoldHash(name, folded) & (size - 1);
    while (slots_[i].entry.spec != nullptr) i = (i + 1) & (size - 1);
    slots_[i] = Slot{name, CommandEntry{spec, Subcommands(spec->name)}};
  }
}

const CommandEntry* CommandTable::Lookup(std::string_view name) const {
  char folded[kMaxNameLen];
  if (name.size() > kMaxNameLen) return nullptr;
  const size_t mask = slots_.size() - 1;
  const std::string_view lower(folded, name.size());
  for (size_t i = FoldHash(name, folded) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.entry.spec == nullptr) return nullptr;
    if (s.name == lower) return &s.entry;
  }
}

void CommandTable::Rename(std::string_view from, std::string_view to) {
  std::string f = ToLower(from);
  auto it =
      std::find_if(by_name_.begin(), by_name_.end(), [&](const auto& e) { return e.first == f; });
  if (it == by_name_.end()) return;
  const CommandSpec* spec = it->second;
  by_name_.erase(it);
  if (!to.empty()) by_name_.emplace_back(ToLower(to), spec);
  std::sort(by_name_.begin(), by_name_.end());
  Index();
}

std::vector<size_t> CommandTable::KeyPositions(const CommandSpec& spec, size_t argc) {
  std::vector<size_t> out;
  if (spec.first_key <= 0 || argc <= static_cast<size_t>(spec.first_key)) return out;
  int64_t last = spec.last_key < 0 ? static_cast<int64_t>(argc) + spec.last_key : spec.last_key;
  int step = spec.step > 0 ? spec.step : 1;
  for (int64_t i = spec.first_key; i <= last && i < static_cast<int64_t>(argc); i += step) {
    out.push_back(static_cast<size_t>(i));
  }
  return out;
}

std::string_view DbIndexError(std::string_view arg) {
  int64_t db;
  if (!ParseInt64(arg, &db)) return errors::kNotInteger;
  if (db < INT32_MIN || db > INT32_MAX) return errors::kIntOutOfRange;
  if (db != 0) return errors::kDbIndexOutOfRange;
  return {};
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  // No leading zeros (except "0" itself), no '+', no spaces: like string2ll.
  if (s[i] == '0' && s.size() > i + 1) return false;
  if (neg && s[i] == '0') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  long double v;
  if (!ParseLongDouble(s, &v)) return false;
  *out = static_cast<double>(v);
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  if (s.empty() || s.size() > 5000) return false;
  if (isspace(static_cast<unsigned char>(s.front())) ||
      isspace(static_cast<unsigned char>(s.back()))) {
    return false;
  }
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  long double v = strtold(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size() || std::isnan(v)) return false;
  // An overflowing (or underflowing) literal is not a valid float; "inf"
  // spelled out does not set ERANGE and stays accepted, as in Redis.
  if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) return false;
  *out = v;
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string FormatDouble(long double v) {
  // Like INCRBYFLOAT: 17 significant digits of long double, no exponent,
  // trailing zeros (and a trailing dot) removed.
  char buf[5600];
  int n = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) return "0";
  std::string out(buf, static_cast<size_t>(n));
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

}  // namespace ringkv::server
