#include "server/command_syntax.h"

#include <cctype>
#include <map>

namespace ringkv::server {
namespace {

constexpr std::string_view kTypes[] = {"string", "integer", "double",
                                       "key",    "pattern", "unix-time"};

bool IsToken(std::string_view w) {
  bool letter = false;
  for (char c : w) {
    if (std::islower(static_cast<unsigned char>(c))) return false;
    if (std::isupper(static_cast<unsigned char>(c))) letter = true;
  }
  return letter;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view text) { Lex(text); }

  bool Parse(std::vector<ArgDoc>* out, std::string* error) {
    if (!Seq(out) || pos_ != toks_.size()) {
      *error = error_.empty() ? "unexpected '" + Peek() + "'" : error_;
      return false;
    }
    return true;
  }

 private:
  void Lex(std::string_view t) {
    size_t i = 0;
    while (i < t.size()) {
      char c = t[i];
      if (c == ' ') {
        ++i;
      } else if (c == '[' || c == ']' || c == '(' || c == ')' || c == '|') {
        toks_.emplace_back(1, c);
        ++i;
      } else if (t.substr(i, 3) == "...") {
        toks_.emplace_back("...");
        i += 3;
      } else {
        size_t j = i;
        while (j < t.size() && std::string_view(" []()|").find(t[j]) == std::string_view::npos &&
               t.substr(j, 3) != "...") {
          ++j;
        }
        toks_.emplace_back(t.substr(i, j - i));
        i = j;
      }
    }
  }

  std::string Peek() const { return pos_ < toks_.size() ? toks_[pos_] : std::string(); }
  bool At(std::string_view s) const { return pos_ < toks_.size() && toks_[pos_] == s; }
  bool AtWord() const {
    return pos_ < toks_.size() &&
           std::string_view("[]()|.").find(toks_[pos_][0]) == std::string_view::npos;
  }
  bool Fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return false;
  }

  void MaybeMultiple(ArgDoc* a) {
    if (At("...")) {
      ++pos_;
      a->multiple = true;
    }
  }

  static ArgDoc Word(std::string_view w) {
    ArgDoc a;
    a.type = "string";
    a.name = std::string(w);
    size_t colon = w.rfind(':');
    if (colon != std::string_view::npos) {
      for (std::string_view t : kTypes) {
        if (w.substr(colon + 1) == t) {
          a.name = std::string(w.substr(0, colon));
          a.type = std::string(t);
        }
      }
    }
    return a;
  }

  // Items until '|', a closing bracket or the end.
  bool Seq(std::vector<ArgDoc>* out) {
    while (pos_ < toks_.size() && !At("|") && !At("]") && !At(")")) {
      ArgDoc a;
      if (At("[") || At("(")) {
        if (!Group(&a)) return false;
      } else if (AtWord()) {
        std::string w = toks_[pos_++];
        if (IsToken(w)) {
          std::string token = w;
          if (At("(")) {
            if (!Group(&a)) return false;
          } else if (AtWord() && !IsToken(Peek())) {
            a = Word(toks_[pos_++]);
          } else {
            a.name = Lower(token);
            a.type = "pure-token";
          }
          a.token = token;
        } else {
          a = Word(w);
        }
      } else {
        return Fail("unexpected '" + Peek() + "'");
      }
      MaybeMultiple(&a);
      out->push_back(std::move(a));
    }
    return true;
  }

  bool Group(ArgDoc* out) {
    bool optional = At("[");
    std::string close = optional ? "]" : ")";
    ++pos_;
    std::string name;
    if (AtWord() && Peek().size() > 1 && Peek().back() == ':') {
      name = Peek().substr(0, Peek().size() - 1);
      ++pos_;
    }
    std::vector<std::vector<ArgDoc>> alts(1);
    if (!Seq(&alts.back())) return false;
    while (At("|")) {
      ++pos_;
      alts.emplace_back();
      if (!Seq(&alts.back())) return false;
    }
    if (!At(close)) return Fail("missing '" + close + "'");
    ++pos_;
    for (const auto& alt : alts) {
      if (alt.empty()) return Fail("empty alternative");
    }
    auto as_one = [](std::vector<ArgDoc> items) {
      if (items.size() == 1) return std::move(items[0]);
      ArgDoc block;
      block.name = items[0].name;
      block.type = "block";
      block.args = std::move(items);
      return block;
    };
    if (alts.size() > 1) {
      out->type = "oneof";
      for (auto& alt : alts) out->args.push_back(as_one(std::move(alt)));
      out->name = name.empty() ? out->args[0].name : name;
    } else {
      *out = as_one(std::move(alts[0]));
      if (!name.empty()) out->name = name;
    }
    out->optional = optional;
    return true;
  }

  std::vector<std::string> toks_;
  size_t pos_ = 0;
  std::string error_;
};

// The usage lines. Where Redis documents a command, the arguments are the
// ones it accepts (names may differ); ringkv's own commands are described
// the same way.
constexpr SyntaxEntry kSyntax[] = {
    // strings
    {"monitor", ""},
    {"append", "key:key value"},
    {"bitcount", "key:key [index: start:integer end:integer [index_unit: BYTE | BIT]]"},
    {"bitfield",
     "key:key [operation: GET encoding offset:integer | SET encoding offset:integer "
     "value:integer | INCRBY encoding offset:integer increment:integer | OVERFLOW "
     "wrap_sat_fail]..."},
    {"bitfield_ro", "key:key [encoding_offset: GET encoding offset:integer]..."},
    {"bitop", "operation destkey:key key:key..."},
    {"bitpos",
     "key:key bit:integer [index: start:integer [end_index: end:integer [index_unit: BYTE | "
     "BIT]]]"},
    {"decr", "key:key"},
    {"decrby", "key:key decrement:integer"},
    {"get", "key:key"},
    {"getdel", "key:key"},
    {"getex",
     "key:key [expiration: EX seconds:integer | PX milliseconds:integer | EXAT "
     "unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | PERSIST]"},
    {"getbit", "key:key offset:integer"},
    {"getrange", "key:key start:integer end:integer"},
    {"getset", "key:key value"},
    {"incr", "key:key"},
    {"lcs", "key1:key key2:key [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]"},
    {"incrby", "key:key increment:integer"},
    {"incrbyfloat", "key:key increment:double"},
    {"mget", "key:key..."},
    {"mset", "(key_value: key:key value)..."},
    {"msetnx", "(key_value: key:key value)..."},
    {"psetex", "key:key milliseconds:integer value"},
    {"set",
     "key:key value [condition: NX | XX] [GET] [expiration: EX seconds:integer | PX "
     "milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT "
     "unix-time-milliseconds:unix-time | KEEPTTL]"},
    {"setbit", "key:key offset:integer value:integer"},
    {"setex", "key:key seconds:integer value"},
    {"setnx", "key:key value"},
    {"setrange", "key:key offset:integer value"},
    {"strlen", "key:key"},
    {"substr", "key:key start:integer end:integer"},
    // keyspace
    {"copy", "source:key destination:key [DB destination-db:integer] [REPLACE]"},
    {"dbsize", ""},
    {"dump", "key:key"},
    {"del", "key:key..."},
    {"exists", "key:key..."},
    {"expire", "key:key seconds:integer [condition: NX | XX | GT | LT]"},
    {"expireat", "key:key unix-time-seconds:unix-time [condition: NX | XX | GT | LT]"},
    {"expiretime", "key:key"},
    {"flushall", "[flush-type: ASYNC | SYNC]"},
    {"flushdb", "[flush-type: ASYNC | SYNC]"},
    {"keys", "pattern:pattern"},
    {"move", "key:key db:integer"},
    {"persist", "key:key"},
    {"pexpire", "key:key milliseconds:integer [condition: NX | XX | GT | LT]"},
    {"pexpireat", "key:key unix-time-milliseconds:unix-time [condition: NX | XX | GT | LT]"},
    {"pexpiretime", "key:key"},
    {"pttl", "key:key"},
    {"randomkey", ""},
    {"rename", "key:key newkey:key"},
    {"renamenx", "key:key newkey:key"},
    {"restore",
     "key:key ttl:integer serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds:integer] "
     "[FREQ frequency:integer]"},
    {"scan", "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type]"},
    {"swapdb", "index1:integer index2:integer"},
    {"touch", "key:key..."},
    {"ttl", "key:key"},
    {"type", "key:key"},
    {"unlink", "key:key..."},
    // transactions
    {"discard", ""},
    {"exec", ""},
    {"multi", ""},
    {"unwatch", ""},
    {"watch", "key:key..."},
    // connection
    {"auth", "[username] password"},
    {"client|getname", ""},
    {"client|getredir", ""},
    {"client|help", ""},
    {"client|id", ""},
    {"client|info", ""},
    {"client|kill",
     "(filter: ip:port | (new-format: [ID client-id:integer] [TYPE (client-type: NORMAL | "
     "MASTER | SLAVE | REPLICA | PUBSUB)] [USER username] [ADDR addr] [LADDR laddr] [SKIPME "
     "(skipme: YES | NO)])...)"},
    {"client|no-evict", "(enabled: ON | OFF)"},
    {"client|no-touch", "(enabled: ON | OFF)"},
    {"client|list",
     "[TYPE (client-type: NORMAL | MASTER | REPLICA | PUBSUB)] [ID client-id:integer...]"},
    {"client|pause", "timeout:integer [mode: WRITE | ALL]"},
    {"client|reply", "(action: ON | OFF | SKIP)"},
    {"client|setinfo", "(attr: LIB-NAME libname | LIB-VER libver)"},
    {"client|setname", "connection-name"},
    {"client|tracking", "(status: ON | OFF)"},
    {"client|trackinginfo", ""},
    {"client|unblock", "client-id:integer [unblock-type: TIMEOUT | ERROR]"},
    {"client|unpause", ""},
    {"echo", "message"},
    {"hello",
     "[arguments: protover:integer [AUTH (auth: username password)] [SETNAME clientname]]"},
    {"ping", "[message]"},
    {"quit", ""},
    {"readonly", ""},
    {"readwrite", ""},
    {"reset", ""},
    {"select", "index:integer"},
    // server
    {"acl|cat", "[category]"},
    {"acl|deluser", "username..."},
    {"acl|dryrun", "username command [arg...]"},
    {"acl|genpass", "[bits:integer]"},
    {"acl|getuser", "username"},
    {"acl|help", ""},
    {"acl|list", ""},
    {"acl|load", ""},
    {"acl|log", "[operation: count:integer | RESET]"},
    {"acl|save", ""},
    {"acl|setuser", "username [rule...]"},
    {"acl|users", ""},
    {"acl|whoami", ""},
    {"bgrewriteaof", ""},
    {"bgsave", "[SCHEDULE]"},
    {"command|count", ""},
    {"command|docs", "[command-name...]"},
    {"command|getkeys", "command args..."},
    {"command|getkeysandflags", "command args..."},
    {"command|help", ""},
    {"command|info", "[command-name...]"},
    {"command|list",
     "[FILTERBY (filterby: MODULE module-name | ACLCAT category | PATTERN "
     "pattern:pattern)]"},
    {"config|get", "parameter..."},
    {"config|help", ""},
    {"config|resetstat", ""},
    {"config|rewrite", ""},
    {"config|set", "(data: parameter value)..."},
    {"info", "[section...]"},
    {"lastsave", ""},
    {"lolwut", "[VERSION version:integer]"},
    {"memory|help", ""},
    {"memory|purge", ""},
    {"memory|usage", "key:key [SAMPLES count:integer]"},
    {"save", ""},
    {"shutdown", "[save-selector: NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"},
    {"slowlog|get", "[count:integer]"},
    {"slowlog|help", ""},
    {"slowlog|len", ""},
    {"slowlog|reset", ""},
    {"time", ""},
    {"latency|doctor", ""},
    {"latency|graph", "event"},
    {"latency|help", ""},
    {"latency|histogram", "[command...]"},
    {"latency|history", "event"},
    {"latency|latest", ""},
    {"latency|reset", "[event...]"},
    {"role", ""},
    {"wait", "numreplicas:integer timeout:integer"},
    {"object|encoding", "key:key"},
    {"object|freq", "key:key"},
    {"object|help", ""},
    {"object|refcount", "key:key"},
    // cluster
    {"cluster|countkeysinslot", "slot:integer"},
    {"cluster|forget", "node-id"},
    {"cluster|getkeysinslot", "slot:integer count:integer"},
    {"cluster|help", ""},
    {"cluster|info", ""},
    {"cluster|keyslot", "key"},
    {"cluster|localget", "key:key"},
    {"cluster|localkeys", ""},
    {"cluster|meet", "ip port:integer"},
    {"cluster|myid", ""},
    {"cluster|nodes", ""},
    {"cluster|ring", ""},
    {"cluster|shards", ""},
    {"cluster|slots", ""},
    {"peer.hello", "node-id cluster-secret host port:integer weight:integer"},
    {"consistency", "[level: ONE | QUORUM | ALL | (quorums: R r:integer W w:integer)]"},
};

}  // namespace

bool ParseSyntax(std::string_view text, std::vector<ArgDoc>* out, std::string* error) {
  out->clear();
  return Parser(text).Parse(out, error);
}

const std::vector<ArgDoc>* ArgumentsOf(std::string_view command) {
  static std::map<std::string, std::vector<ArgDoc>, std::less<>>* parsed = [] {
    auto* m = new std::map<std::string, std::vector<ArgDoc>, std::less<>>();
    for (const SyntaxEntry& e : kSyntax) {
      std::vector<ArgDoc> args;
      std::string error;
      if (ParseSyntax(e.usage, &args, &error)) (*m)[std::string(e.command)] = std::move(args);
    }
    return m;
  }();
  auto it = parsed->find(command);
  return it == parsed->end() ? nullptr : &it->second;
}

std::vector<SyntaxEntry> AllSyntax() { return {std::begin(kSyntax), std::end(kSyntax)}; }

}  // namespace ringkv::server
