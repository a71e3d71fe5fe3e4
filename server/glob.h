// Glob-style matching with the semantics of Redis 7's stringmatchlen(), as
// used by KEYS, SCAN MATCH, CONFIG GET and pattern subscriptions:
//
//   *        any run of bytes (consecutive stars act as one)
//   ?        exactly one byte
//   [abc]    one byte of the set; [^abc] one byte not in it; [a-z] a range
//            (a reversed range [z-a] is the same range); \x inside a class is
//            a literal x; an unterminated class runs to the end of the pattern
//   \x       a literal x (a trailing backslash is a literal backslash)
//
// Redis's corner cases are kept on purpose, so KEYS answers the same:
//   - an empty subject matches only the empty pattern: GlobMatch("*", "") is
//     false. (KEYS and SCAN treat the pattern "*" as "everything" before
//     calling the matcher, as Redis does, so they still return the key "".)
//   - a pattern whose matching would nest more than 1000 '*' (more than 1000
//     separate star runs before its last) matches nothing, like Redis's
//     protection against abusive patterns.
//   - `nocase` folds ASCII letters only; an escaped byte inside a class is
//     compared exactly even with `nocase`.
// One difference: range ends compare as unsigned bytes (Redis compares C
// `char`, which is signed on x86-64 and unsigned on arm64).
//
// Runs in O(|pattern| * |s|) time without recursion or allocation.
#pragma once

#include <string_view>

namespace ringkv::server {

bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase = false);

}  // namespace ringkv::server
