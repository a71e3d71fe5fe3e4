// MONITOR: the line a monitoring client receives for each command run, as
// redis-server 7 prints it:
//
//   +1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v\r\n"
//
// (unix time in microseconds, database, the client's address, then every
// argument quoted, with \\ \" \n \r \t \a \b and \xHH for other bytes that
// are not printable ASCII). Passwords are shown as "(redacted)"
// (IsSecretArgument), as they are in SLOWLOG.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ringkv::server {

// Whether argument `i` of `args` is a secret that MONITOR and SLOWLOG show as
// "(redacted)", as Redis does: every argument of AUTH, the two after HELLO's
// AUTH, the values of CONFIG SET requirepass (and Redis's other secret
// options), everything after ACL SETUSER. `name`: the command's real name
// (as in the command table, whatever rename-command calls it).
bool IsSecretArgument(std::string_view name, std::span<const std::string_view> args, size_t i);

// `name`: the command's real name (as in the command table, whatever
// rename-command calls it), which decides what is redacted.
std::string MonitorLine(int64_t unix_us, std::string_view client_addr, std::string_view name,
                        std::span<const std::string_view> args);

}  // namespace ringkv::server
