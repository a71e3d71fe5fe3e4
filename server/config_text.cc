#include "server/config_text.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace ringkv::server::config_text {

bool IsMultiArg(std::string_view name) {
  return name == "bind" || name == "save" || name == "client-output-buffer-limit";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

Status Invalid(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string Join(const Args& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

Args SplitSpaces(std::string_view s) {
  Args out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::string QuoteArg(std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (isspace(c) || c == '"' || c == '\'' || c == '\\' || !isprint(c)) plain = false;
  }
  if (plain) return std::string(s);
  constexpr std::string_view kEscaped = "\\\"\n\r\t\a\b";  // written as \ followed by...
  constexpr std::string_view kEscapeLetter = "\\\"nrtab";  // ...the letter at the same index
  std::string out = "\"";
  for (unsigned char c : s) {
    size_t e = kEscaped.find(static_cast<char>(c));
    if (e != std::string_view::npos) {
      out += '\\';
      out += kEscapeLetter[e];
    } else if (isprint(c)) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  out += '"';
  return out;
}

std::string QuoteJoin(const Args& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += QuoteArg(w);
  }
  return out;
}

}  // namespace ringkv::server::config_text
