// Error replies, byte-exact with redis-server 7 (clients match on these).
// Each constant is the text after the leading '-'.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace ringkv::server::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kCrossSlot =
    "CROSSSLOT Keys in request don't hash to the same slot";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kDecrOverflow =
    "ERR decrement would overflow";  // DECRBY LLONG_MIN
inline constexpr std::string_view kIncrNanOrInf = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
// A C int argument (a DB index) outside INT_MIN..INT_MAX, Redis's wording.
inline constexpr std::string_view kIntOutOfRange =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthNotConfigured =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
inline constexpr std::string_view kMultiNested = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kWatchInMulti = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kProtectedMode =
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Redis you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG "
    "SET protected-mode no' from the loopback interface by connecting to Redis from the same host "
    "the server is running, however MAKE SURE Redis is not publicly accessible from internet if "
    "you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just "
    "disable the protected mode by editing the Redis configuration file, and setting the protected "
    "mode option to 'no', and then restarting the server. 3) If you started the server manually "
    "just for testing, restart it with the '--protected-mode no' option. 4) Setup a an "
    "authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.";

// "ERR wrong number of arguments for 'get' command"
inline std::string WrongArity(std::string_view cmd) {
  return fmt::format("ERR wrong number of arguments for '{}' command", cmd);
}
// An argument as Redis quotes it in an error ("%s" or "%.128s" of a C
// string): up to its first NUL byte, at most `max` bytes.
inline std::string_view AsCString(std::string_view s, size_t max = std::string_view::npos) {
  s = s.substr(0, s.find('\0'));
  return s.substr(0, max);
}
// "ERR unknown subcommand 'foo'. Try CLIENT HELP."
inline std::string UnknownSubcommand(std::string_view sub, std::string_view cmd) {
  std::string upper(cmd);
  for (auto& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", AsCString(sub, 128), upper);
}
// "ERR invalid expire time in 'set' command"
inline std::string InvalidExpire(std::string_view cmd) {
  return fmt::format("ERR invalid expire time in '{}' command", cmd);
}
// Storage failures reach clients as this (the write was not acknowledged).
inline std::string StorageError(std::string_view detail) {
  return fmt::format("ERR storage error: {}", detail);
}

// Connection and server commands (HELLO, CLIENT, CONFIG, COMMAND, SLOWLOG...).
inline constexpr std::string_view kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH "
    "<user> <pass> option can be used to authenticate the client and select the RESP protocol "
    "version at the same time";
inline constexpr std::string_view kProtoVersionNotInteger =
    "ERR Protocol version is not an integer or out of range";
inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr std::string_view kNoSuchClient = "ERR No such client";
inline constexpr std::string_view kClientIdNotPositive = "ERR client-id should be greater than 0";
inline constexpr std::string_view kInvalidClientId = "ERR Invalid client ID";
inline constexpr std::string_view kPauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";
inline constexpr std::string_view kUnblockReason =
    "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
inline constexpr std::string_view kTrackingUnsupported =
    "ERR client-side caching (CLIENT TRACKING) is not supported by this server";
inline constexpr std::string_view kInvalidCommand = "ERR Invalid command specified";
inline constexpr std::string_view kNoKeyArguments = "ERR The command has no key arguments";
inline constexpr std::string_view kInvalidCommandArity =
    "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kSlowlogCount = "ERR count should be greater than or equal to -1";
inline constexpr std::string_view kNoConfigFile = "ERR The server is running without a config file";
inline constexpr std::string_view kNoShutdownInProgress = "ERR No shutdown in progress.";

// "ERR Syntax error in HELLO option 'FOO'"
inline std::string HelloSyntax(std::string_view opt) {
  return fmt::format("ERR Syntax error in HELLO option '{}'", opt);
}
// "ERR Unknown client type 'foo'"
inline std::string UnknownClientType(std::string_view type) {
  return fmt::format("ERR Unknown client type '{}'", type);
}
// "ERR No such user 'bob'"
inline std::string NoSuchUser(std::string_view user) {
  return fmt::format("ERR No such user '{}'", user);
}
// "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
inline std::string ConfigSetUnknown(std::string_view name) {
  return fmt::format("ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                     AsCString(name));
}
// "ERR CONFIG SET failed (possibly related to argument 'timeout') - <why>"
inline std::string ConfigSetFailed(std::string_view name, std::string_view why) {
  return fmt::format("ERR CONFIG SET failed (possibly related to argument '{}') - {}", name, why);
}

// "ERR lib-name cannot contain spaces, newlines or special characters."
inline std::string BadClientAttr(std::string_view attr) {
  return fmt::format("ERR {} cannot contain spaces, newlines or special characters.", attr);
}
// "ERR Unrecognized option 'foo'"
inline std::string UnrecognizedOption(std::string_view opt) {
  return fmt::format("ERR Unrecognized option '{}'", AsCString(opt));
}

// "ERR unknown subcommand or wrong number of arguments for 'x'. Try DEBUG HELP."
inline std::string UnknownSubcommandOrArity(std::string_view sub, std::string_view cmd) {
  std::string upper(cmd);
  for (auto& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
                     AsCString(sub, 128), upper);
}
// "ERR Rewriting config file: <why>"
inline std::string RewriteFailed(std::string_view why) {
  return fmt::format("ERR Rewriting config file: {}", why);
}

// --- ringkv's own (nothing in Redis matches) -----------------------------

// PEER.EXEC's answer when the forwarded command made no change because it
// would have started after its deadline (the sender may then run it itself).
inline constexpr std::string_view kForwardedLate =
    "ERR forwarded command reached its start deadline; not run";
// To a client whose read-modify-write the key's coordinator refused because
// it could not start it in time (earlier writes of the key held it up): it
// was not applied. Running it here instead, beside the coordinator's own
// writes of the key, could lose one of them.
inline std::string ForwardedNotStarted(std::string_view node) {
  return fmt::format(
      "TRYAGAIN the coordinator of this key ({}) could not start the command in time; it was not "
      "applied",
      node);
}
// To a client whose write was forwarded to the key's coordinator, which did
// not answer in time: it may have run there, and running it again here could
// apply it twice (INCR...), so it is not retried.
inline std::string ForwardOutcomeUnknown(std::string_view node, std::string_view why) {
  return fmt::format(
      "ERR no answer from {}, the coordinator of this key ({}): the command may or may not have "
      "been applied",
      node, why);
}

}  // namespace ringkv::server::errors
