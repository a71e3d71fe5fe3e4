// The three ways option values reach the table in config_options.cc (file,
// flags, CONFIG SET), plus CONFIG REWRITE. Error texts follow redis-server 7
// where it has one, because clients and scripts match on them.
#include "server/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "resp/parser.h"
#include "server/config_text.h"
#include "storage/durable_file.h"

namespace ringkv::server {
namespace {

using namespace config_text;

constexpr std::string_view kRewriteMarker = "# Options below were added by CONFIG REWRITE";

// ---- Applying directives from a source (one file, or the command line).

// State that lives for one source: redis-server lets several `save` lines add
// up, the first one replacing what came before.
struct SourceState {
  bool save_seen = false;
};

// Applies `args` (name first) to `cfg`. Returns the bare reason on failure.
Status ApplyDirective(const Args& args, SourceState* state, Config* cfg) {
  const OptionDef* opt = FindOption(args[0]);
  if (opt == nullptr) return Invalid("unknown option");
  Args values(args.begin() + 1, args.end());
  // Like redis-server 7, a multi-argument option given as one quoted value
  // (`--client-output-buffer-limit "normal 4mb 2mb 1"`) is split on spaces.
  static constexpr std::string_view kMultiArg[] = {"bind", "save", "client-output-buffer-limit",
                                                   "cluster-seeds"};
  if (values.size() == 1 &&
      std::find(std::begin(kMultiArg), std::end(kMultiArg), opt->name) != std::end(kMultiArg) &&
      values[0].find(' ') != std::string::npos) {
    Args split;
    size_t pos = 0;
    const std::string& v = values[0];
    while (pos < v.size()) {
      size_t end = v.find(' ', pos);
      if (end == std::string::npos) end = v.size();
      if (end > pos) split.push_back(v.substr(pos, end - pos));
      pos = end + 1;
    }
    values = std::move(split);
  }
  if (opt->name == "save") {
    std::string before = cfg->save;
    Status s = opt->set(*cfg, values);
    if (!s.ok()) return s;
    if (state->save_seen && !before.empty() && !cfg->save.empty()) {
      cfg->save = before + " " + cfg->save;
    }
    state->save_seen = true;
    return Status::Ok();
  }
  return opt->set(*cfg, values);
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IoError(
        fmt::format("can't open config file '{}': {}", path, std::strerror(errno)));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return Status::IoError(
        fmt::format("can't read config file '{}': {}", path, std::strerror(errno)));
  }
  *out = std::move(buf).str();
  return Status::Ok();
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < text.size()) lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

Status ApplyText(std::string_view text, SourceState* state, Config* cfg) {
  std::vector<std::string_view> lines = Lines(text);
  Args args;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = Trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    Status s;
    if (!resp::SplitArgs(line, &args)) {
      s = Invalid("Unbalanced quotes in configuration line");
    } else if (args.empty()) {
      continue;
    } else {
      s = ApplyDirective(args, state, cfg);
    }
    if (!s.ok()) return Invalid(fmt::format("line {}: '{}': {}", i + 1, line, s.message()));
  }
  return Status::Ok();
}

Status LoadFile(const std::string& path, SourceState* state, Config* cfg) {
  std::string text;
  Status s = ReadFile(path, &text);
  if (!s.ok()) return s;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  cfg->config_file = ec ? path : abs.lexically_normal().string();
  return ApplyText(text, state, cfg);
}

// ---- CONFIG REWRITE helpers.

// The lines that state `opt`'s current value.
std::vector<std::string> OptionLines(const OptionDef& opt, const Config& cfg) {
  std::vector<std::string> out;
  if (opt.name == "rename-command") {
    for (const auto& [from, to] : cfg.renamed_commands) {
      out.push_back(fmt::format("rename-command {} {}", QuoteArg(from), QuoteArg(to)));
    }
    return out;
  }
  std::string value = opt.get(cfg);
  std::string args;
  if (IsMultiArg(opt.name)) {
    Args words = SplitSpaces(value);
    args = words.empty() ? "\"\"" : QuoteJoin(words);
  } else {
    args = QuoteArg(value);
  }
  out.push_back(fmt::format("{} {}", opt.name, args));
  return out;
}

}  // namespace

Status ApplyConfigText(std::string_view text, Config* cfg) {
  SourceState state;
  return ApplyText(text, &state, cfg);
}

Status LoadConfigFile(const std::string& path, Config* cfg) {
  SourceState state;
  return LoadFile(path, &state, cfg);
}

// Like redis-server: `--name` opens a directive and the following words are
// its values, up to the next `--name`. A word starting with "--" is still a
// value when the open directive has none yet (`--requirepass --secret`),
// except that a bare `--save` means `--save ""`. One word may also hold a
// whole directive (`"--port 6380"`). main() deals with -h/--help and
// -v/--version before calling this; here they would read as a config file or
// an unknown option.
Status ParseCommandLine(int argc, char** argv, Config* cfg) {
  int i = 1;
  if (argc > 1 && std::string_view(argv[1]).substr(0, 2) != "--") {
    SourceState file_state;
    Status s = LoadFile(argv[1], &file_state, cfg);
    if (!s.ok()) return s;
    i = 2;
  }
  std::vector<Args> directives;
  bool open_without_value = false;
  for (; i < argc; ++i) {
    std::string_view word = argv[i];
    bool is_name = word.substr(0, 2) == "--";
    if (is_name && open_without_value && EqualsNoCase(directives.back()[0], "save")) {
      directives.back().emplace_back();  // `--save --port 1` is `--save "" --port 1`
      open_without_value = false;
    }
    if (is_name && !open_without_value) {
      Args parts;
      if (!resp::SplitArgs(word.substr(2), &parts) || parts.empty()) {
        parts = {std::string(word.substr(2))};
      }
      open_without_value = parts.size() == 1;
      directives.push_back(std::move(parts));
    } else if (directives.empty()) {
      return Invalid(fmt::format("command line: '{}': expected an option starting with --", word));
    } else {
      directives.back().emplace_back(word);
      open_without_value = false;
    }
  }
  if (open_without_value && EqualsNoCase(directives.back()[0], "save")) {
    directives.back().emplace_back();
  }
  SourceState flag_state;  // flags replace the file's save lines rather than adding to them
  for (const auto& d : directives) {
    Status s = ApplyDirective(d, &flag_state, cfg);
    if (!s.ok()) {
      Args shown(d.begin() + 1, d.end());
      std::string text = "--" + d[0] + (shown.empty() ? "" : " " + QuoteJoin(shown));
      return Invalid(fmt::format("command line: '{}': {}", text, s.message()));
    }
  }
  return Status::Ok();
}

// An unknown name fails with redis-server's whole message, which the server
// sends as "ERR <message>"; every other failure is the bare reason, which it
// wraps as "ERR CONFIG SET failed (possibly related to argument '<name>') -
// <reason>". FindOption(name) == nullptr tells the two apart. The value of a
// multi-word option (bind, save, client-output-buffer-limit) is split on
// spaces, as redis-server does. On failure `cfg` is unchanged.
Status SetOption(Config* cfg, std::string_view name, std::string_view value) {
  const OptionDef* opt = FindOption(name);
  if (opt == nullptr) {
    return Invalid(
        fmt::format("Unknown option or number of arguments for CONFIG SET - '{}'", name));
  }
  if (!opt->runtime_mutable) return Invalid("can't set immutable config");
  Args args = IsMultiArg(opt->name) ? SplitSpaces(value) : Args{std::string(value)};
  Config next = *cfg;
  Status s = opt->set(next, args);
  if (!s.ok()) return s;
  *cfg = std::move(next);
  return Status::Ok();
}

// Keeps every line it does not own; the first line of each option gets the
// current value and later lines of the same option go. Options missing from
// the file are appended only when they differ from the default.
Status RewriteConfigFile(const Config& cfg) {
  if (cfg.config_file.empty()) return Invalid("The server is running without a config file");
  std::string old_text;
  if (access(cfg.config_file.c_str(), F_OK) == 0) {
    Status s = ReadFile(cfg.config_file, &old_text);
    if (!s.ok()) return s;
  }
  std::vector<std::string> out;
  std::set<std::string_view> written;
  bool has_marker = false;
  Args args;
  for (std::string_view raw : Lines(old_text)) {
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = Trim(raw);
    if (line == kRewriteMarker) has_marker = true;
    const OptionDef* opt = nullptr;
    if (!line.empty() && line[0] != '#' && resp::SplitArgs(line, &args) && !args.empty()) {
      opt = FindOption(args[0]);
    }
    if (opt == nullptr) {
      out.emplace_back(raw);
      continue;
    }
    if (!written.insert(opt->name).second) continue;
    for (auto& l : OptionLines(*opt, cfg)) out.push_back(std::move(l));
  }
  const Config defaults;
  bool marked = has_marker;
  for (const auto& opt : Options()) {
    if (written.count(opt.name) != 0 || opt.get(cfg) == opt.get(defaults)) continue;
    if (!marked) {
      out.emplace_back(kRewriteMarker);
      marked = true;
    }
    for (auto& l : OptionLines(opt, cfg)) out.push_back(std::move(l));
  }
  std::string text;
  for (const auto& l : out) {
    text += l;
    text += '\n';
  }
  return storage::WriteFileAtomically(cfg.config_file, text);
}

}  // namespace ringkv::server
