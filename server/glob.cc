#include "server/glob.h"

#include <cstddef>
#include <utility>

namespace ringkv::server {
namespace {

// Redis gives up once '*' recursion is deeper than this.
constexpr size_t kMaxStarNesting = 1000;

unsigned char Fold(unsigned char c, bool nocase) {
  return (nocase && c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// Walks the [class] token at p[i] == '[': whether it admits `c`, and in
// *next where it ends. Where it ends depends on the pattern only.
bool MatchClass(std::string_view p, size_t i, unsigned char c, bool nocase, size_t* next) {
  size_t j = i + 1;
  bool negate = j < p.size() && p[j] == '^';
  if (negate) ++j;
  bool match = false;
  unsigned char fc = Fold(c, nocase);
  while (true) {
    if (j >= p.size()) {  // unterminated: the class takes the rest of the pattern
      *next = p.size();
      break;
    }
    size_t left = p.size() - j;
    auto pc = static_cast<unsigned char>(p[j]);
    if (pc == '\\' && left >= 2) {
      if (static_cast<unsigned char>(p[j + 1]) == c) match = true;  // exact, even with nocase
      j += 2;
    } else if (pc == ']') {
      *next = j + 1;
      break;
    } else if (left >= 3 && p[j + 1] == '-') {  // the range's end may be any byte, even ']'
      // As Redis: the ends and the byte compare as signed chars (so
      // [a-\xff] holds \x00..'a', not 'a'..\xff), swapped before folding.
      int lo = static_cast<signed char>(p[j]), hi = static_cast<signed char>(p[j + 2]);
      if (lo > hi) std::swap(lo, hi);
      auto fold = [nocase](int b) { return (nocase && b >= 'A' && b <= 'Z') ? b - 'A' + 'a' : b; };
      const int sc = fold(static_cast<signed char>(c));
      if (sc >= fold(lo) && sc <= fold(hi)) match = true;
      j += 3;
    } else {
      if (Fold(pc, nocase) == fc) match = true;
      ++j;
    }
  }
  return negate != match;
}

// Matches the single-byte token at p[i] (anything but '*') against `c`;
// sets *next to the token's end.
bool TokenMatches(std::string_view p, size_t i, unsigned char c, bool nocase, size_t* next) {
  switch (p[i]) {
    case '?':
      *next = i + 1;
      return true;
    case '[':
      return MatchClass(p, i, c, nocase, next);
    case '\\':
      if (i + 1 < p.size()) {
        *next = i + 2;
        return Fold(static_cast<unsigned char>(p[i + 1]), nocase) == Fold(c, nocase);
      }
      [[fallthrough]];
    default:
      *next = i + 1;
      return Fold(static_cast<unsigned char>(p[i]), nocase) == Fold(c, nocase);
  }
}

// Star runs that a successful match must recurse through in Redis: every run
// but one that ends the pattern.
size_t InnerStarRuns(std::string_view p) {
  size_t runs = 0;
  size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '*') {
      while (i < p.size() && p[i] == '*') ++i;
      if (i < p.size()) ++runs;
    } else if (p[i] == '[') {
      MatchClass(p, i, 0, false, &i);
    } else if (p[i] == '\\' && i + 1 < p.size()) {
      i += 2;
    } else {
      ++i;
    }
  }
  return runs;
}

}  // namespace

bool GlobMatch(std::string_view p, std::string_view s, bool nocase) {
  if (s.empty()) return p.empty();
  if (InnerStarRuns(p) > kMaxStarNesting) return false;

  // Every token but '*' consumes exactly one byte, so remembering only the
  // latest star and retrying it one byte further is a complete search.
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t pi = 0, si = 0;
  size_t star_p = kNone, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      if (pi == p.size()) return true;
      star_p = pi;
      star_s = si;
      continue;
    }
    size_t next;
    if (pi < p.size() && TokenMatches(p, pi, static_cast<unsigned char>(s[si]), nocase, &next)) {
      pi = next;
      ++si;
      continue;
    }
    if (star_p == kNone) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace ringkv::server
