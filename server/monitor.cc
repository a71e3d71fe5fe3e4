#include "server/monitor.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "server/command_docs.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

void AppendQuoted(std::string* out, std::string_view arg) {
  out->push_back('"');
  for (char ch : arg) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out->push_back(static_cast<char>(c));
        } else {
          out->append(fmt::format("\\x{:02x}", c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

bool IsSecretArgument(std::string_view name, std::span<const std::string_view> args, size_t i) {
  if (name == "auth") return i >= 1;
  if (name == "hello") {
    // HELLO protover [AUTH username password] [SETNAME name], in any order.
    for (size_t j = 2; j < args.size();) {
      if (EqualsIgnoreCase(args[j], "auth")) {
        if (i == j + 1 || i == j + 2) return true;
        j += 3;
      } else if (EqualsIgnoreCase(args[j], "setname")) {
        j += 2;
      } else {
        break;
      }
    }
    return false;
  }
  if (args.size() < 2 || i < 2) return false;
  // ACL SETUSER: the user and every rule (a rule may be ">password").
  if (name == "acl") return EqualsIgnoreCase(args[1], "setuser");
  // CONFIG SET name value ...: the values of the options Redis holds secret.
  if (name == "config" && EqualsIgnoreCase(args[1], "set") && i >= 3 && (i - 3) % 2 == 0) {
    for (std::string_view option : {"requirepass", "masterauth", "masteruser", "tls-key-file-pass",
                                    "tls-client-key-file-pass"}) {
      if (EqualsIgnoreCase(args[i - 1], option)) return true;
    }
  }
  return false;
}

std::string MonitorLine(int64_t unix_us, std::string_view client_addr, std::string_view name,
                        std::span<const std::string_view> args) {
  std::string line =
      fmt::format("+{}.{:06} [0 {}]", unix_us / 1'000'000, unix_us % 1'000'000, client_addr);
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    AppendQuoted(&line, IsSecretArgument(name, args, i) ? std::string_view("(redacted)") : args[i]);
  }
  line.append("\r\n");
  return line;
}

bool Server::AddMonitor(Client* c) {
  for (auto& [conn, owned] : connections_) {
    if (&conn->client() != c) continue;
    c->monitor = true;
    monitors_.push_back(conn);
    return true;
  }
  return false;
}

void Server::RemoveMonitor(Client* c) {
  if (!c->monitor) return;
  c->monitor = false;
  std::erase_if(monitors_, [c](Connection* conn) { return &conn->client() == c; });
}

void Server::FeedMonitorsSlow(const Client& c, const CommandSpec& spec, const CommandSpec* sub,
                              std::span<const std::string_view> args) {
  const CommandSpec& ran = sub ? *sub : spec;
  if ((ran.flags & kCmdAdmin) || spec.name.starts_with("peer.")) return;
  // A container whose subcommand was refused (unknown, arity): Redis
  // refuses those before running anything and shows nothing.
  if (!sub && args.size() >= 2 && !Subcommands(spec.name).empty()) return;
  using namespace std::chrono;
  const int64_t us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  const std::string line = MonitorLine(us, c.addr, spec.name, args);
  for (Connection* conn : monitors_) conn->AppendOutput(line);
}

}  // namespace ringkv::server
