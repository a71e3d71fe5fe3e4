// What COMMAND, COMMAND INFO, COMMAND DOCS and COMMAND LIST say about the
// command table, and the subcommands of container commands (CLIENT, CONFIG,
// COMMAND, SLOWLOG, MEMORY...).
//
// A subcommand is a CommandSpec too, named "parent|sub" as Redis 7 names it,
// with an arity that counts the parent ("client|setname" is 3). Each family
// keeps the subcommands of its containers next to their handlers; the
// container's own handler is RunSubcommand over that array, so the checks
// and error texts of every container are the same and COMMAND can list them.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/task.h"
#include "resp/reply.h"
#include "server/command_table.h"

namespace ringkv::server {

// The Redis version whose behaviour we follow: what HELLO and INFO report as
// the server version (clients gate features on it, so it starts with 7).
inline constexpr std::string_view kRedisCompatVersion = "7.0.0";
// ringkv's own version (INFO server: ringkv_version).
inline constexpr std::string_view kRingkvVersion = "0.1.0";

// Subcommands of a container, by the container's lowercase name (empty if it
// has none). Families that own containers provide theirs:
std::span<const CommandSpec> ConnectionSubcommands(std::string_view parent);  // connection.cc
std::span<const CommandSpec> ServerSubcommands(std::string_view parent);      // server_cmds.cc
std::span<const CommandSpec> ClusterSubcommands(std::string_view parent);     // cluster.cc
std::span<const CommandSpec> LatencySubcommands(std::string_view parent);     // latency.cc
std::span<const CommandSpec> AclSubcommands(std::string_view parent);         // acl.cc
std::span<const CommandSpec> Subcommands(std::string_view parent);            // all of the above

// The subcommand of `container` that args[1] names, or null with `*error`
// set: Redis's unknown-subcommand or wrong-arity error (also when there is
// no args[1]).
const CommandSpec* ResolveSubcommand(std::string_view container, std::span<const CommandSpec> subs,
                                     std::span<const std::string_view> args, std::string* error);
// The subcommand of `subs` named `name` (case-insensitive), or null.
const CommandSpec* FindSubcommand(std::span<const CommandSpec> subs, std::string_view name);
// The handler body of a container: finds args[1] (case-insensitive) among
// `subs`, checks its arity and runs it with a context whose spec is the
// subcommand. Unknown: "ERR unknown subcommand 'x'. Try CLIENT HELP.";
// wrong arity: "ERR wrong number of arguments for 'client|setname' command".
// Records "parent|sub" as the client's last command (CLIENT LIST cmd=).
cluster::Task<> RunSubcommand(CommandContext& ctx, std::span<const CommandSpec> subs);

// Finds "get" or "client|id" (case-insensitive); nullptr if unknown or a peer
// command (those do not exist for clients).
const CommandSpec* LookupForClients(const CommandTable& table, std::string_view name);

// The top-level commands a client may see, in table order.
std::vector<const CommandSpec*> VisibleCommands(const CommandTable& table);

// ACL categories as Redis 7 reports them ("@read", "@fast", ...), derived
// from the flags and the group.
std::vector<std::string_view> AclCategories(const CommandSpec& spec);

// One COMMAND INFO entry: name, arity, flags, first key, last key, step, ACL
// categories, tips, key specs, subcommands.
void WriteCommandInfo(resp::ReplyWriter& w, const CommandSpec& spec);
// One COMMAND DOCS value (the map after the name): summary, since, group,
// arguments (when it has any) and, for containers, subcommands.
void WriteCommandDocs(resp::ReplyWriter& w, const CommandSpec& spec);

// Writes `lines` as an array of simple strings (the shape of every HELP).
void WriteHelp(resp::ReplyWriter& w, std::span<const std::string_view> lines);

}  // namespace ringkv::server
