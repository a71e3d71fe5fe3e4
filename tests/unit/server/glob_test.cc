// GlobMatch against the answers of redis-server 7.0's KEYS (its
// stringmatchlen), including Redis's corner cases. The expectations were
// checked with KEYS on a real redis-server.
#include "server/glob.h"

#include <catch2/catch.hpp>
#include <string>

using ringkv::server::GlobMatch;

TEST_CASE("literal patterns match only themselves", "[glob]") {
  CHECK(GlobMatch("hello", "hello"));
  CHECK_FALSE(GlobMatch("hello", "hell"));
  CHECK_FALSE(GlobMatch("hello", "helloo"));
  CHECK_FALSE(GlobMatch("hello", "Hello"));
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("", "a"));
}

TEST_CASE("star matches any run, including none", "[glob]") {
  CHECK(GlobMatch("h*llo", "hllo"));
  CHECK(GlobMatch("h*llo", "heeeello"));
  CHECK(GlobMatch("*", "anything"));
  CHECK(GlobMatch("a*", "a"));
  CHECK(GlobMatch("a**", "a"));
  CHECK(GlobMatch("*bc", "abc"));
  CHECK(GlobMatch("*b*", "abc"));
  CHECK(GlobMatch("a***b", "ab"));
  CHECK(GlobMatch("*a*b*c*", "xxaxxbxxcxx"));
  CHECK_FALSE(GlobMatch("*a*b*c*", "xxcxxbxxaxx"));
  CHECK_FALSE(GlobMatch("h*llo", "hlo"));
  CHECK(GlobMatch("key:*", "key:"));
  CHECK_FALSE(GlobMatch("key:*", "key"));
}

TEST_CASE("star needs backtracking past an earlier partial match", "[glob]") {
  CHECK(GlobMatch("*ab", "aab"));
  CHECK(GlobMatch("*aab", "aaab"));
  CHECK(GlobMatch("a*b*c", "abbbcbc"));
  CHECK_FALSE(GlobMatch("a*b*c", "abbbcb"));
}

TEST_CASE("an empty subject matches only the empty pattern, as in Redis", "[glob]") {
  CHECK_FALSE(GlobMatch("*", ""));
  CHECK_FALSE(GlobMatch("**", ""));
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK(GlobMatch("", ""));
}

TEST_CASE("question mark matches exactly one byte", "[glob]") {
  CHECK(GlobMatch("h?llo", "hallo"));
  CHECK_FALSE(GlobMatch("h?llo", "hllo"));
  CHECK_FALSE(GlobMatch("h?llo", "heello"));
  CHECK(GlobMatch("key:??", "key:10"));
  CHECK_FALSE(GlobMatch("key:??", "key:1"));
  CHECK(GlobMatch("?", std::string(1, '\0')));
}

TEST_CASE("classes: sets, negation and ranges", "[glob]") {
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK(GlobMatch("h[ae]llo", "hello"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("[a-c]bc", "bbc"));
  CHECK_FALSE(GlobMatch("[a-c]bc", "dbc"));
  CHECK(GlobMatch("[^a]bc", "bbc"));
  CHECK_FALSE(GlobMatch("[^a]bc", "abc"));
  CHECK(GlobMatch("[^a-c]bc", "dbc"));
  CHECK_FALSE(GlobMatch("[^a-c]bc", "cbc"));
  CHECK(GlobMatch("[c-a]bc", "abc"));  // a reversed range is the same range
  CHECK(GlobMatch("[c-a]bc", "cbc"));
  CHECK(GlobMatch("[a-cx-z]", "y"));
  CHECK(GlobMatch("a[*]b", "a*b"));
  CHECK_FALSE(GlobMatch("a[*]b", "axb"));
  CHECK(GlobMatch("[?]", "?"));
  CHECK_FALSE(GlobMatch("[?]", "x"));
}

TEST_CASE("class corner cases follow Redis", "[glob]") {
  // "[]" is an empty class: it matches nothing; "[^]" matches any byte.
  CHECK_FALSE(GlobMatch("[]", "]"));
  CHECK_FALSE(GlobMatch("a[]", "a]"));
  CHECK(GlobMatch("[^]", "x"));
  // An unterminated class runs to the end of the pattern.
  CHECK(GlobMatch("[abc", "b"));
  CHECK_FALSE(GlobMatch("[abc", "d"));
  CHECK(GlobMatch("x[ab", "xa"));
  CHECK_FALSE(GlobMatch("[", "["));
  // A range's end may be ']', so "[a-]" is the unterminated range ']'..'a'.
  CHECK(GlobMatch("[a-]", "^"));
  CHECK(GlobMatch("[a-]", "]"));
  CHECK_FALSE(GlobMatch("[a-]", "b"));
  CHECK(GlobMatch("[a-]x", "x"));  // one class: ']'..'a' and 'x'
  CHECK_FALSE(GlobMatch("[a-]x", "-"));
  // "b-]" is a range too, so '-' is not in "[ab-]"; a leading '-' is a literal.
  CHECK(GlobMatch("[ab-]", "b"));
  CHECK_FALSE(GlobMatch("[ab-]", "-"));
  CHECK(GlobMatch("[-a]", "-"));
  // Escapes inside a class.
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("[\\^a]", "^"));
  CHECK(GlobMatch("[a\\-z]", "-"));
  CHECK_FALSE(GlobMatch("[a\\-z]", "m"));
}

TEST_CASE("backslash escapes the next byte", "[glob]") {
  CHECK(GlobMatch("a\\*b", "a*b"));
  CHECK_FALSE(GlobMatch("a\\*b", "axb"));
  CHECK(GlobMatch("a\\?b", "a?b"));
  CHECK_FALSE(GlobMatch("a\\?b", "axb"));
  CHECK(GlobMatch("a\\[b", "a[b"));
  CHECK(GlobMatch("\\\\", "\\"));
  CHECK(GlobMatch("a\\b", "ab"));
  // A trailing backslash is a literal backslash.
  CHECK(GlobMatch("a\\", "a\\"));
  CHECK_FALSE(GlobMatch("a\\", "a"));
}

TEST_CASE("nocase folds ASCII letters", "[glob]") {
  CHECK(GlobMatch("HeLLo", "hello", true));
  CHECK(GlobMatch("h*O", "HELLO", true));
  CHECK(GlobMatch("[A-C]x", "bX", true));
  CHECK(GlobMatch("[a-c]x", "BX", true));
  CHECK(GlobMatch("[^A]", "b", true));
  CHECK_FALSE(GlobMatch("[^A]", "a", true));
  CHECK(GlobMatch("\\A", "a", true));
  CHECK_FALSE(GlobMatch("HeLLo", "hello", false));
  // An escaped byte inside a class compares exactly, as in Redis.
  CHECK_FALSE(GlobMatch("[\\A]", "a", true));
  CHECK(GlobMatch("[\\A]", "A", true));
  // Non-letters do not fold.
  CHECK_FALSE(GlobMatch("[", "{", true));
  CHECK_FALSE(GlobMatch("@", "`", true));
}

TEST_CASE("binary bytes are ordinary bytes", "[glob]") {
  std::string key(
      "\x00"
      "bin\xff",
      5);
  CHECK(GlobMatch(std::string("\x00*", 2), key));
  CHECK(GlobMatch("*\xff", key));
  CHECK(GlobMatch("?bin?", key));
  CHECK(GlobMatch("[\x80-\xff]", "\xc0"));
  CHECK_FALSE(GlobMatch("[\x80-\xff]", "a"));
}

TEST_CASE("range ends and bytes compare as signed chars, as in Redis", "[glob]") {
  // redis-server 7.0: KEYS [a-\xff] over a b z 0 \x00 \x7f \x80 \xe9 \xff A Z _
  // answers \x00 0 A Z _ a \xff (the range is \xff(-1)..'a').
  auto in = [](const char* pattern, std::string key) { return GlobMatch(pattern, key); };
  for (std::string k : {std::string(1, '\0'), std::string("0"), std::string("A"), std::string("a"),
                        std::string("\xff")}) {
    INFO("key " << k);
    CHECK(in("[a-\xff]", k));
    CHECK_FALSE(in("[^a-\xff]", k));
  }
  for (std::string k : {"b", "z", "\x7f", "\x80", "\xe9"}) {
    INFO("key " << k);
    CHECK_FALSE(in("[a-\xff]", k));
    CHECK(in("[^a-\xff]", k));
  }
  // [\x00-\xff] is 0..-1 swapped: only those two bytes.
  CHECK(GlobMatch(std::string("[\x00-\xff]", 5), std::string(1, '\0')));
  CHECK(GlobMatch(std::string("[\x00-\xff]", 5), "\xff"));
  CHECK_FALSE(GlobMatch(std::string("[\x00-\xff]", 5), "a"));
  // [\x7f-\x80] is -128..127: every byte.
  CHECK(GlobMatch("[\x7f-\x80]", "b"));
  CHECK(GlobMatch("[\x7f-\x80]", "\xe9"));
  CHECK(GlobMatch("[\xff-\x80]", "\xe9"));
}

TEST_CASE("pathological patterns stay fast", "[glob]") {
  // Exponential for naive recursion: Redis fixed this (CVE-2022-36021).
  std::string subject(100, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "a*";
  pattern += "b";
  CHECK_FALSE(GlobMatch(pattern, subject));

  std::string long_subject(50000, 'a');
  std::string stars;
  for (int i = 0; i < 500; ++i) stars += "*a";
  CHECK(GlobMatch(stars, long_subject));
}

TEST_CASE("more than 1000 nested stars match nothing, as in Redis", "[glob]") {
  std::string subject(50000, 'a');
  std::string pattern;
  for (int i = 0; i < 50000; ++i) pattern += "*?";
  CHECK_FALSE(GlobMatch(pattern, subject));

  // 1000 inner star runs are still allowed; 1001 are not.
  std::string ok_pattern, too_deep;
  for (int i = 0; i < 1000; ++i) ok_pattern += "*a";
  for (int i = 0; i < 1001; ++i) too_deep += "*a";
  CHECK(GlobMatch(ok_pattern, std::string(2000, 'a')));
  CHECK_FALSE(GlobMatch(too_deep, std::string(2000, 'a')));
  // A trailing star run does not count.
  CHECK(GlobMatch(ok_pattern + "*", std::string(2000, 'a')));
  // Stars inside a class or escaped are not star runs.
  std::string literal_stars;
  for (int i = 0; i < 1500; ++i) literal_stars += "\\*";
  CHECK(GlobMatch(literal_stars, std::string(1500, '*')));
}
