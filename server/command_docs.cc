// COMMAND's view of the table. Redis keeps per-command JSON with argument
// trees, tips and hand-written key specs; we derive what clients actually
// read (arity, flags, key positions, ACL categories, summary, group) from the
// CommandSpec, the argument trees from the usage lines in command_syntax.cc,
// and leave the rest empty, in Redis 7's reply shapes.
#include "server/command_docs.h"

#include "server/command_syntax.h"
#include "server/errors.h"

namespace ringkv::server {
namespace {

// Redis 7's flag names, in the order COMMAND INFO prints them.
struct FlagName {
  uint32_t flag;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kCmdWrite, "write"},    {kCmdReadonly, "readonly"},        {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},    {kCmdNoScript, "noscript"},        {kCmdLoading, "loading"},
    {kCmdStale, "stale"},    {kCmdSkipSlowlog, "skip_slowlog"}, {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"}, {kCmdDenyMulti, "no_multi"},       {kCmdAllowBusy, "allow_busy"},
};

// The category a command's group implies ("string" -> "@string").
std::string_view GroupCategory(std::string_view group) {
  if (group == "string") return "@string";
  if (group == "bitmap") return "@bitmap";
  if (group == "generic") return "@keyspace";
  if (group == "connection") return "@connection";
  if (group == "transactions") return "@transaction";
  return {};
}

// "client|id" -> "id"; "get" -> "get".
std::string_view ShortName(std::string_view name) {
  size_t bar = name.find('|');
  return bar == std::string_view::npos ? name : name.substr(bar + 1);
}

void WriteKeySpecs(resp::ReplyWriter& w, const CommandSpec& spec) {
  if (spec.first_key <= 0) {
    w.SetHeader(0);
    return;
  }
  w.SetHeader(1);
  w.MapHeader(3);
  w.Bulk("flags");
  // Without per-command notes, the widest honest claim: a write may read,
  // update or replace; a read only reads.
  if (spec.flags & kCmdWrite) {
    w.SetHeader(3);
    w.SimpleString("RW");
    w.SimpleString("access");
    w.SimpleString("update");
  } else {
    w.SetHeader(2);
    w.SimpleString("RO");
    w.SimpleString("access");
  }
  w.Bulk("begin_search");
  w.MapHeader(2);
  w.Bulk("type");
  w.Bulk("index");
  w.Bulk("spec");
  w.MapHeader(1);
  w.Bulk("index");
  w.Integer(spec.first_key);
  w.Bulk("find_keys");
  w.MapHeader(2);
  w.Bulk("type");
  w.Bulk("range");
  w.Bulk("spec");
  w.MapHeader(3);
  w.Bulk("lastkey");
  // Relative to the first key; a negative last key counts from the end.
  w.Integer(spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key);
  w.Bulk("keystep");
  w.Integer(spec.step > 0 ? spec.step : 1);
  w.Bulk("limit");
  w.Integer(0);
}

}  // namespace

std::span<const CommandSpec> Subcommands(std::string_view parent) {
  if (auto s = ConnectionSubcommands(parent); !s.empty()) return s;
  if (auto s = ClusterSubcommands(parent); !s.empty()) return s;
  if (auto s = LatencySubcommands(parent); !s.empty()) return s;
  if (auto s = AclSubcommands(parent); !s.empty()) return s;
  return ServerSubcommands(parent);
}

const CommandSpec* ResolveSubcommand(std::string_view container, std::span<const CommandSpec> subs,
                                     std::span<const std::string_view> args, std::string* error) {
  if (args.size() < 2) {
    *error = errors::WrongArity(container);
    return nullptr;
  }
  const CommandSpec* s = FindSubcommand(subs, args[1]);
  if (s == nullptr) {
    *error = errors::UnknownSubcommand(args[1], container);
    return nullptr;
  }
  if (!CommandTable::ArityOk(*s, args.size())) {
    *error = errors::WrongArity(s->name);
    return nullptr;
  }
  return s;
}

const CommandSpec* FindSubcommand(std::span<const CommandSpec> subs, std::string_view name) {
  for (const CommandSpec& s : subs) {
    if (EqualsIgnoreCase(ShortName(s.name), name)) return &s;
  }
  return nullptr;
}

cluster::Task<> RunSubcommand(CommandContext& ctx, std::span<const CommandSpec> subs) {
  std::string error;
  const CommandSpec* sub = ResolveSubcommand(ctx.spec.name, subs, ctx.args, &error);
  if (sub == nullptr) {
    ctx.reply.Error(error);
    co_return;
  }
  ctx.client.last_command = sub->name;
  ctx.client.ran_subcommand = sub;
  CommandContext sub_ctx{ctx.server, ctx.client, ctx.store, ctx.args, ctx.reply, *sub};
  co_await sub->handler(sub_ctx);
}

const CommandSpec* LookupForClients(const CommandTable& table, std::string_view name) {
  size_t bar = name.find('|');
  const CommandSpec* top = table.Find(name.substr(0, bar));
  if (top == nullptr || (top->flags & kCmdPeer)) return nullptr;
  if (bar == std::string_view::npos) return top;
  for (const CommandSpec& s : Subcommands(top->name)) {
    if (EqualsIgnoreCase(ShortName(s.name), name.substr(bar + 1))) return &s;
  }
  return nullptr;
}

std::vector<const CommandSpec*> VisibleCommands(const CommandTable& table) {
  std::vector<const CommandSpec*> out;
  for (const CommandSpec* spec : table.All()) {
    // Peer commands are invisible to clients; a renamed-away command too.
    if ((spec->flags & kCmdPeer) || table.Find(spec->name) != spec) continue;
    out.push_back(spec);
  }
  return out;
}

std::vector<std::string_view> AclCategories(const CommandSpec& spec) {
  // Redis's category order: keyspace, read, write, <type>, admin, fast/slow,
  // dangerous, connection, transaction.
  std::vector<std::string_view> out;
  // A container is only a name for its subcommands, which carry the rest.
  if (spec.name.find('|') == std::string_view::npos && !Subcommands(spec.name).empty()) {
    out.push_back("@slow");
    return out;
  }
  std::string_view group = GroupCategory(spec.group);
  if (group == "@keyspace") out.push_back(group);
  if (spec.flags & kCmdReadonly) out.push_back("@read");
  if (spec.flags & kCmdWrite) out.push_back("@write");
  if (group == "@string" || group == "@bitmap") out.push_back(group);
  if (spec.flags & kCmdAdmin) out.push_back("@admin");
  out.push_back((spec.flags & kCmdFast) ? "@fast" : "@slow");
  if (spec.flags & kCmdAdmin) out.push_back("@dangerous");
  if (group == "@connection" || group == "@transaction") out.push_back(group);
  return out;
}

void WriteCommandInfo(resp::ReplyWriter& w, const CommandSpec& spec) {
  w.ArrayHeader(10);
  w.Bulk(spec.name);
  w.Integer(spec.arity);
  int nflags = 0;
  for (const FlagName& f : kFlagNames) nflags += (spec.flags & f.flag) ? 1 : 0;
  w.SetHeader(nflags);
  for (const FlagName& f : kFlagNames) {
    if (spec.flags & f.flag) w.SimpleString(f.name);
  }
  w.Integer(spec.first_key);
  w.Integer(spec.last_key);
  w.Integer(spec.step);
  std::vector<std::string_view> cats = AclCategories(spec);
  w.SetHeader(static_cast<int64_t>(cats.size()));
  for (std::string_view c : cats) w.SimpleString(c);
  w.SetHeader(0);  // tips
  WriteKeySpecs(w, spec);
  std::span<const CommandSpec> subs = spec.name.find('|') == std::string_view::npos
                                          ? Subcommands(spec.name)
                                          : std::span<const CommandSpec>();
  if (subs.empty()) {
    w.SetHeader(0);
  } else {
    w.ArrayHeader(static_cast<int64_t>(subs.size()));
    for (const CommandSpec& s : subs) WriteCommandInfo(w, s);
  }
}

// `has_key_spec`: the command has the key spec a key argument points at.
static void WriteArgument(resp::ReplyWriter& w, const ArgDoc& a, bool has_key_spec) {
  bool key = a.type == "key" && has_key_spec;
  bool flags = a.optional || a.multiple;
  w.MapHeader(2 + (key ? 1 : 0) + (a.token.empty() ? 0 : 1) + (flags ? 1 : 0) +
              (a.args.empty() ? 0 : 1));
  w.Bulk("name");
  w.Bulk(a.name);
  w.Bulk("type");
  w.Bulk(a.type);
  if (key) {
    w.Bulk("key_spec_index");
    w.Integer(0);  // every command here has (at most) one key spec
  }
  if (!a.token.empty()) {
    w.Bulk("token");
    w.Bulk(a.token);
  }
  if (flags) {
    w.Bulk("flags");
    w.SetHeader((a.optional ? 1 : 0) + (a.multiple ? 1 : 0));
    if (a.optional) w.SimpleString("optional");
    if (a.multiple) w.SimpleString("multiple");
  }
  if (!a.args.empty()) {
    w.Bulk("arguments");
    w.ArrayHeader(static_cast<int64_t>(a.args.size()));
    for (const ArgDoc& sub : a.args) WriteArgument(w, sub, has_key_spec);
  }
}

void WriteCommandDocs(resp::ReplyWriter& w, const CommandSpec& spec) {
  std::span<const CommandSpec> subs = spec.name.find('|') == std::string_view::npos
                                          ? Subcommands(spec.name)
                                          : std::span<const CommandSpec>();
  const std::vector<ArgDoc>* args = ArgumentsOf(spec.name);
  if (args && args->empty()) args = nullptr;  // Redis leaves "arguments" out then
  w.MapHeader(3 + (args ? 1 : 0) + (subs.empty() ? 0 : 1));
  w.Bulk("summary");
  w.Bulk(spec.summary);
  w.Bulk("since");
  w.Bulk(spec.since);
  w.Bulk("group");
  w.Bulk(spec.group);
  if (args) {
    w.Bulk("arguments");
    w.ArrayHeader(static_cast<int64_t>(args->size()));
    for (const ArgDoc& a : *args) WriteArgument(w, a, spec.first_key > 0);
  }
  if (!subs.empty()) {
    w.Bulk("subcommands");
    w.MapHeader(static_cast<int64_t>(subs.size()));
    for (const CommandSpec& s : subs) {
      w.Bulk(s.name);
      WriteCommandDocs(w, s);
    }
  }
}

void WriteHelp(resp::ReplyWriter& w, std::span<const std::string_view> lines) {
  w.ArrayHeader(static_cast<int64_t>(lines.size()));
  for (std::string_view l : lines) w.SimpleString(l);
}

}  // namespace ringkv::server
