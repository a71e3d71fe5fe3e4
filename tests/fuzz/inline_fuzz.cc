// libFuzzer target for resp::SplitArgs (inline commands and config lines).
// The input is one line. Checked:
//   - the arguments hold no more bytes than the line (unescaping only shrinks);
//   - a line without quote characters always splits, and exactly as a plain
//     whitespace split written here independently;
//   - round trips: arguments that need no quoting, joined by spaces, split back
//     to themselves; every argument double-quoted with \" \\ \xHH escapes (and
//     single-quoted when it has no backslash or NUL) splits back to itself;
//   - the parser's inline path reads the line the same way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"

namespace {

using ringkv::resp::Parser;
using ringkv::resp::ParseStatus;
using ringkv::resp::SplitArgs;

using Args = std::vector<std::string>;

void Check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "inline_fuzz: invariant violated: %s\n", what);
  abort();
}

// Separators between arguments: isspace() in the C locale.
bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Bytes that end an unquoted argument (so "a\vb" is one argument, as in Redis).
bool EndsUnquoted(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The expected split of a line with no quote characters and no NUL.
Args PlainSplit(std::string_view line) {
  Args out;
  size_t i = 0;
  while (i < line.size()) {
    if (IsSeparator(line[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < line.size() && !EndsUnquoted(line[end])) ++end;
    out.emplace_back(line.substr(i, end - i));
    i = end;
  }
  return out;
}

bool NeedsQuoting(std::string_view arg) {
  if (arg.empty()) return true;
  for (char c : arg) {
    if (IsSeparator(c) || c == '"' || c == '\'' || c == '\0') return true;
  }
  return false;
}

std::string DoubleQuoted(std::string_view arg) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string q = "\"";
  for (char c : arg) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      q.push_back('\\');
      q.push_back(c);
    } else if (u >= 0x20 && u < 0x7f) {
      q.push_back(c);
    } else {
      q.append("\\x");
      q.push_back(kHex[u >> 4]);
      q.push_back(kHex[u & 0xf]);
    }
  }
  q.push_back('"');
  return q;
}

// Single quotes know only \' as an escape; usable when `arg` has no backslash
// (a trailing one would escape the closing quote) and no NUL.
bool SingleQuoted(std::string_view arg, std::string* q) {
  if (arg.find('\\') != std::string_view::npos || arg.find('\0') != std::string_view::npos) {
    return false;
  }
  *q = "'";
  for (char c : arg) {
    if (c == '\'') q->push_back('\\');
    q->push_back(c);
  }
  q->push_back('\'');
  return true;
}

void CheckSplitsTo(const std::string& line, const Args& want, const char* what) {
  Args got;
  Check(SplitArgs(line, &got), what);
  Check(got == want, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  // SplitArgs reads the line as a C string: a NUL ends it.
  const std::string_view c_line = line.substr(0, line.find('\0'));

  Args args;
  const bool ok = SplitArgs(line, &args);
  const bool has_quotes = c_line.find_first_of("\"'") != std::string_view::npos;
  if (!has_quotes) {
    Check(ok, "a line without quotes failed to split");
    Check(args == PlainSplit(c_line), "a line without quotes split unlike a whitespace split");
  }

  if (ok) {
    size_t total = 0;
    for (const auto& a : args) total += a.size();
    Check(total <= c_line.size(), "the arguments hold more bytes than the line");

    std::string plain_line, double_line, single_line;
    Args plain_args, single_args;
    for (const auto& a : args) {
      if (!NeedsQuoting(a)) {
        plain_line += (plain_line.empty() ? "" : " ") + a;
        plain_args.push_back(a);
      }
      double_line += (double_line.empty() ? "" : " ") + DoubleQuoted(a);
      std::string q;
      if (SingleQuoted(a, &q)) {
        single_line += (single_line.empty() ? "" : "\t") + q;
        single_args.push_back(a);
      }
    }
    CheckSplitsTo(plain_line, plain_args, "unquoted arguments joined by spaces do not round trip");
    CheckSplitsTo(double_line, args, "double-quoted arguments do not round trip");
    CheckSplitsTo(single_line, single_args, "single-quoted arguments do not round trip");
  }

  // The parser's inline path: the same line, terminated, as one request.
  if (line.find('\n') == std::string_view::npos && !line.starts_with("*")) {
    Parser parser;
    const std::string request = std::string(line) + "\n";
    std::vector<std::string_view> parsed;
    const auto r = parser.Parse(request, &parsed);
    if (ok) {
      Check(r.status == ParseStatus::kOk && r.consumed == request.size(),
            "the parser refused a line that SplitArgs accepts");
      Check(Args(parsed.begin(), parsed.end()) == args, "the parser split the line differently");
    } else {
      Check(r.status == ParseStatus::kError, "the parser accepted a line that SplitArgs refuses");
    }
  }
  return 0;
}
