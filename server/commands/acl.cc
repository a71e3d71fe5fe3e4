// ACL, for the one user ringkv has: "default", with every permission, and
// the password of `requirepass` (none if unset), as redis-server 7.0
// describes that user. The subcommands that look (WHOAMI, USERS, LIST,
// GETUSER, CAT, LOG, DRYRUN, GENPASS, HELP) answer as Redis does; the ones
// that would create, change or store users (SETUSER, DELUSER of the default
// user, SAVE, LOAD) are refused with an error, since there is nowhere to
// keep them.
#include <fmt/format.h>

#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_docs.h"
#include "server/command_table.h"
#include "server/errors.h"
#include "server/server.h"
#include "server/sha256.h"

namespace ringkv::server {
namespace {

constexpr std::string_view kDefaultUser = "default";

// Redis 7.0's categories, in the order ACL CAT lists them.
constexpr std::string_view kCategories[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

// "on nopass" or "on #<sha256 of the password>".
std::string PasswordRule(const Config& c) {
  return c.requirepass.empty() ? "nopass" : "#" + Sha256Hex(c.requirepass);
}

cluster::Task<> AclWhoami(CommandContext& ctx) {
  ctx.reply.Bulk(kDefaultUser);
  co_return;
}

cluster::Task<> AclUsers(CommandContext& ctx) {
  ctx.reply.ArrayHeader(1);
  ctx.reply.Bulk(kDefaultUser);
  co_return;
}

cluster::Task<> AclList(CommandContext& ctx) {
  ctx.reply.ArrayHeader(1);
  ctx.reply.Bulk(fmt::format("user default on {} ~* &* +@all", PasswordRule(ctx.server.config())));
  co_return;
}

cluster::Task<> AclGetuser(CommandContext& ctx) {
  if (ctx.arg(2) != kDefaultUser) {
    ctx.reply.Null();
    co_return;
  }
  const Config& c = ctx.server.config();
  ctx.reply.MapHeader(6);
  ctx.reply.Bulk("flags");  // a set in RESP3
  if (c.requirepass.empty()) {
    ctx.reply.SetHeader(2);
    ctx.reply.Bulk("on");
    ctx.reply.Bulk("nopass");
  } else {
    ctx.reply.SetHeader(1);
    ctx.reply.Bulk("on");
  }
  ctx.reply.Bulk("passwords");
  if (c.requirepass.empty()) {
    ctx.reply.ArrayHeader(0);
  } else {
    ctx.reply.ArrayHeader(1);
    ctx.reply.Bulk(Sha256Hex(c.requirepass));
  }
  ctx.reply.Bulk("commands");
  ctx.reply.Bulk("+@all");
  ctx.reply.Bulk("keys");
  ctx.reply.Bulk("~*");
  ctx.reply.Bulk("channels");
  ctx.reply.Bulk("&*");
  ctx.reply.Bulk("selectors");
  ctx.reply.ArrayHeader(0);
  co_return;
}

// As Redis, CAT, LOG and GENPASS answer extra arguments with the error of an
// unknown subcommand.
bool TooMany(CommandContext& ctx, size_t max_argc) {
  if (ctx.argc() <= max_argc) return false;
  ctx.reply.Error(errors::UnknownSubcommandOrArity(ctx.arg(1), "acl"));
  return true;
}

cluster::Task<> AclCat(CommandContext& ctx) {
  if (TooMany(ctx, 3)) co_return;
  if (ctx.argc() == 2) {
    ctx.reply.ArrayHeader(std::size(kCategories));
    for (std::string_view c : kCategories) ctx.reply.Bulk(c);
    co_return;
  }
  const std::string_view want = ctx.arg(2);
  bool known = false;
  for (std::string_view c : kCategories) known |= EqualsIgnoreCase(c, want);
  if (!known) {
    ctx.reply.Error(fmt::format("ERR Unknown category '{}'", want.substr(0, 128)));
    co_return;
  }
  std::vector<std::string_view> names;
  auto add = [&](const CommandSpec& spec) {
    for (std::string_view cat : AclCategories(spec)) {
      if (EqualsIgnoreCase(cat.substr(1), want)) {
        names.push_back(spec.name);
        return;
      }
    }
  };
  for (const CommandSpec* spec : VisibleCommands(ctx.server.commands())) {
    add(*spec);
    for (const CommandSpec& sub : Subcommands(spec->name)) add(sub);
  }
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view n : names) ctx.reply.Bulk(n);
}

// ACL LOG [count | RESET]: no denials are ever logged (one user, every
// permission; failed AUTHs are not kept).
cluster::Task<> AclLog(CommandContext& ctx) {
  if (TooMany(ctx, 3)) co_return;
  if (ctx.argc() == 3) {
    if (EqualsIgnoreCase(ctx.arg(2), "reset")) {
      ctx.reply.Ok();
      co_return;
    }
    int64_t count;
    if (!ParseInt64(ctx.arg(2), &count)) {
      ctx.reply.Error(errors::kNotInteger);
      co_return;
    }
  }
  ctx.reply.ArrayHeader(0);
}

// ACL GENPASS [bits]: `bits` (256 by default) of randomness in hex.
cluster::Task<> AclGenpass(CommandContext& ctx) {
  int64_t bits = 256;
  if (TooMany(ctx, 3)) co_return;
  if (ctx.argc() == 3 && !ParseInt64(ctx.arg(2), &bits)) {
    ctx.reply.Error(errors::kNotInteger);
    co_return;
  }
  if (bits <= 0 || bits > 4096) {
    ctx.reply.Error(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
        "number up to 4096");
    co_return;
  }
  static thread_local std::random_device device;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const int64_t digits = (bits + 3) / 4;
  for (int64_t i = 0; i < digits; ++i) out.push_back(kHex[device() & 0xf]);
  ctx.reply.Bulk(out);
}

cluster::Task<> AclDeluser(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (ctx.arg(i) == kDefaultUser) {
      ctx.reply.Error("ERR The 'default' user cannot be removed");
      co_return;
    }
  }
  ctx.reply.Integer(0);  // no other user exists
}

cluster::Task<> AclSetuser(CommandContext& ctx) {
  ctx.reply.Error(
      "ERR ringkv has only the default user, whose password is requirepass: ACL SETUSER is not "
      "supported");
  co_return;
}

cluster::Task<> AclSaveLoad(CommandContext& ctx) {
  ctx.reply.Error(
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
      "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
      "Redis configuration file set) in order to store users in the Redis configuration.");
  co_return;
}

// ACL DRYRUN user command [arg ...]: the default user may run every command.
cluster::Task<> AclDryrun(CommandContext& ctx) {
  if (ctx.arg(2) != kDefaultUser) {
    ctx.reply.Error(fmt::format("ERR User '{}' not found", ctx.arg(2)));
    co_return;
  }
  // The command as Redis looks it up: by its name only ("config|get" is no
  // name), then a container's subcommand by the next argument.
  const std::string_view name = ctx.arg(3);
  const CommandSpec* spec = name.find('|') == std::string_view::npos
                                ? LookupForClients(ctx.server.commands(), name)
                                : nullptr;
  if (auto subs = spec ? Subcommands(spec->name) : std::span<const CommandSpec>();
      !subs.empty() && ctx.argc() >= 5) {
    spec = FindSubcommand(subs, ctx.arg(4));
  }
  if (!spec) {
    ctx.reply.Error(fmt::format("ERR Command '{}' not found", name));
    co_return;
  }
  if (!CommandTable::ArityOk(*spec, ctx.argc() - 3)) {
    ctx.reply.Error(fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
    co_return;
  }
  ctx.reply.Ok();
}

cluster::Task<> AclHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users (ringkv has only 'default', which cannot be removed).",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file (there is none: an error).",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries (none are kept).",
      "SAVE",
      "    Save the current config to the ACL file (there is none: an error).",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Not supported: the default user's password is requirepass.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Print this help.",
  };
  WriteHelp(ctx.reply, kLines);
  co_return;
}

constexpr uint32_t kAdm = kCmdAdmin | kCmdNoScript | kCmdLoadingStale;

const CommandSpec kAclSubcommands[] = {
    {"acl|cat", -2, kCmdNoScript | kCmdLoadingStale, 0, 0, 0, AclCat, "server",
     "List the ACL categories or the commands inside a category", "6.0.0"},
    {"acl|deluser", -3, kAdm, 0, 0, 0, AclDeluser, "server",
     "Remove the specified ACL users and the associated rules", "6.0.0"},
    {"acl|dryrun", -4, kAdm, 0, 0, 0, AclDryrun, "server",
     "Returns whether the user can execute the given command without executing the command.",
     "7.0.0"},
    {"acl|genpass", -2, kCmdNoScript | kCmdLoadingStale, 0, 0, 0, AclGenpass, "server",
     "Generate a pseudorandom secure password to use for ACL users", "6.0.0"},
    {"acl|getuser", 3, kAdm, 0, 0, 0, AclGetuser, "server", "Get the rules for a specific ACL user",
     "6.0.0"},
    {"acl|help", 2, kCmdLoadingStale, 0, 0, 0, AclHelp, "server",
     "Show helpful text about the different subcommands", "6.0.0"},
    {"acl|list", 2, kAdm, 0, 0, 0, AclList, "server",
     "List the current ACL rules in ACL config file format", "6.0.0"},
    {"acl|load", 2, kAdm, 0, 0, 0, AclSaveLoad, "server",
     "Reload the ACLs from the configured ACL file", "6.0.0"},
    {"acl|log", -2, kAdm, 0, 0, 0, AclLog, "server",
     "List latest events denied because of ACLs in place", "6.0.0"},
    {"acl|save", 2, kAdm, 0, 0, 0, AclSaveLoad, "server",
     "Save the current ACL rules in the configured ACL file", "6.0.0"},
    {"acl|setuser", -3, kAdm, 0, 0, 0, AclSetuser, "server",
     "Modify or create the rules for a specific ACL user", "6.0.0"},
    {"acl|users", 2, kAdm, 0, 0, 0, AclUsers, "server",
     "List the username of all the configured ACL rules", "6.0.0"},
    {"acl|whoami", 2, kCmdNoScript | kCmdLoadingStale, 0, 0, 0, AclWhoami, "server",
     "Return the name of the user associated to the current connection", "6.0.0"},
};

cluster::Task<> AclContainer(CommandContext& ctx) { co_await RunSubcommand(ctx, kAclSubcommands); }

const CommandSpec kAclCommands[] = {
    {"acl", -2, 0, 0, 0, 0, AclContainer, "server", "A container for ACL commands", "6.0.0"},
};

}  // namespace

std::span<const CommandSpec> AclCommands() { return kAclCommands; }

std::span<const CommandSpec> AclSubcommands(std::string_view parent) {
  if (parent == "acl") return kAclSubcommands;
  return {};
}

}  // namespace ringkv::server
