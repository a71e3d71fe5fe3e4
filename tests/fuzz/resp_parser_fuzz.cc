// libFuzzer target for resp::Parser. The input is a control prefix and a byte
// stream: byte 0 picks where the stream is split into two reads, byte 1 picks
// tight limits (so "too big" paths are reached with small inputs), the rest is
// what a client sent. The stream is parsed three ways, as a connection would
// (append, parse until kIncomplete, drop what was consumed): in one read, in
// two reads, and one byte per read. Checked on every result:
//   - kOk consumes at least one byte, at most the buffer, ending at a '\n';
//   - a multibulk command's arguments lie inside the consumed bytes; an inline
//     command's arguments are what SplitArgs makes of its line;
//   - kError carries a "Protocol error: ..." text; kIncomplete inside a bulk
//     asks for no more than the bulk limit plus its CRLF;
//   - the three ways agree, except that a "too big" line error depends on how
//     much had arrived (as in Redis): the chunked run then saw a prefix of the
//     commands of the whole run.
// Each read gets a fresh heap buffer, so a parser that kept a pointer into the
// previous one is a heap-use-after-free that ASan reports. resp::PeekCommands,
// the server's look ahead for prefetching, is checked against the parser on
// the same stream (ComparePeek).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"
#include "resp/peek.h"

namespace {

using ringkv::resp::ParseLimits;
using ringkv::resp::Parser;
using ringkv::resp::ParseResult;
using ringkv::resp::ParseStatus;
using ringkv::resp::SplitArgs;

using Command = std::vector<std::string>;

struct Outcome {
  std::vector<Command> commands;
  std::string error;  // empty: the stream ended in kIncomplete (or exactly at a command's end)
};

[[noreturn]] void Fail(const char* what) {
  fprintf(stderr, "resp_parser_fuzz: invariant violated: %s\n", what);
  abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

bool IsTooBigError(std::string_view e) { return e.find("too big") != std::string_view::npos; }

bool Inside(std::string_view part, std::string_view whole) {
  const auto p = reinterpret_cast<uintptr_t>(part.data());
  const auto b = reinterpret_cast<uintptr_t>(whole.data());
  return p >= b && p + part.size() <= b + whole.size();
}

bool Overlaps(std::string_view part, std::string_view whole) {
  const auto p = reinterpret_cast<uintptr_t>(part.data());
  const auto b = reinterpret_cast<uintptr_t>(whole.data());
  return p < b + whole.size() && b < p + part.size();
}

// Checks one kOk result against the bytes it was parsed from.
void CheckCommand(std::string_view buf, const ParseResult& r,
                  const std::vector<std::string_view>& args) {
  Check(r.consumed > 0, "kOk consumed nothing");
  Check(r.consumed <= buf.size(), "kOk consumed more than the buffer");
  Check(buf[r.consumed - 1] == '\n', "a command does not end at a newline");
  const std::string_view command = buf.substr(0, r.consumed);
  if (buf[0] == '*') {
    for (std::string_view a : args) {
      Check(Inside(a, command), "a multibulk argument lies outside the command's bytes");
    }
    return;
  }
  // Inline: views into the line or into the parser's own storage, never half
  // in the buffer; and exactly SplitArgs's reading of the line.
  for (std::string_view a : args) {
    Check(Inside(a, command) || !Overlaps(a, buf), "an inline argument straddles the buffer");
  }
  std::string_view line = command.substr(0, command.size() - 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string> split;
  Check(SplitArgs(line, &split), "the parser accepted a line that SplitArgs refuses");
  Check(split.size() == args.size(), "inline argument count differs from SplitArgs");
  for (size_t i = 0; i < split.size(); ++i) {
    Check(split[i] == args[i], "inline argument differs from SplitArgs");
  }
}

// Feeds `stream` cut at `cuts` (ascending offsets) the way a connection reads.
Outcome Feed(std::string_view stream, const std::vector<size_t>& cuts, const ParseLimits& limits) {
  Parser parser(limits);
  Outcome out;
  std::string pending;  // received and not yet consumed
  std::vector<std::string_view> args;
  size_t from = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t to = i < cuts.size() ? cuts[i] : stream.size();
    pending.append(stream.substr(from, to - from));
    from = to;
    // A fresh allocation per read: nothing may point into the old one.
    auto fresh = std::make_unique<char[]>(pending.size() + 1);
    memcpy(fresh.get(), pending.data(), pending.size());
    std::string_view buf(fresh.get(), pending.size());
    size_t done = 0;
    for (;;) {
      const std::string_view rest = buf.substr(done);
      const ParseResult r = parser.Parse(rest, &args);
      if (r.status == ParseStatus::kIncomplete) {
        if (limits.max_bulk_len >= 0) {
          Check(parser.PendingBulkBytes() <= static_cast<size_t>(limits.max_bulk_len) + 2,
                "pending bulk bytes exceed the bulk limit");
        }
        break;
      }
      if (r.status == ParseStatus::kError) {
        Check(r.error.starts_with("Protocol error: "), "error text is not a protocol error");
        Check(!rest.empty(), "error on an empty buffer");
        out.error = std::string(r.error);
        return out;
      }
      CheckCommand(rest, r, args);
      out.commands.emplace_back(args.begin(), args.end());
      done += r.consumed;
    }
    pending.erase(0, done);
  }
  return out;
}

// `chunked` is the same stream delivered in pieces.
void Compare(const Outcome& whole, const Outcome& chunked) {
  // Cut earlier, the chunked run may have refused a line that the whole run
  // saw end in time; up to that point they agree.
  if (IsTooBigError(chunked.error)) {
    Check(chunked.commands.size() <= whole.commands.size(),
          "chunked run saw more commands before a too-big error");
    for (size_t i = 0; i < chunked.commands.size(); ++i) {
      Check(chunked.commands[i] == whole.commands[i], "chunked run differs before too-big error");
    }
    return;
  }
  Check(chunked.commands == whole.commands, "chunked and whole runs parse different commands");
  Check(chunked.error == whole.error, "chunked and whole runs end in different errors");
}

}  // namespace

// resp::PeekCommands against the parser (default limits) over one buffer:
// each command the peek reports is one the parser parses, ending at the same
// offset, with the peeked key being the parser's second argument (the same
// bytes in the same place).
void ComparePeek(std::string_view stream) {
  constexpr size_t kMax = 64;
  ringkv::resp::PeekedCommand peeked[kMax];
  const size_t n = ringkv::resp::PeekCommands(stream, peeked, kMax);
  Parser parser;
  std::vector<std::string_view> args;
  size_t pos = 0;
  for (size_t i = 0; i < n; ++i) {
    const ParseResult r = parser.Parse(stream.substr(pos), &args);
    Check(r.status == ParseStatus::kOk, "a peeked command does not parse");
    pos += r.consumed;
    Check(pos == peeked[i].end, "a peeked command ends elsewhere than the parsed one");
    if (args.size() >= 2) {
      Check(args[1].data() == peeked[i].key.data() && args[1].size() == peeked[i].key.size(),
            "the peeked key is not the parsed second argument");
    } else {
      Check(peeked[i].key.empty(), "a key peeked from a command of fewer than two arguments");
    }
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t split_byte = data[0];
  const uint8_t limit_byte = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  // Half the inputs run with tight limits, half with the defaults.
  ParseLimits limits;
  if (limit_byte & 0x80) {
    limits.max_bulk_len = limit_byte & 0x0f;                // 0..15
    limits.max_multibulk_len = (limit_byte >> 4) & 0x07;    // 0..7
    limits.max_inline_len = 4 + ((limit_byte & 0x0f) * 4);  // 4..64
  }

  ComparePeek(stream);
  const Outcome whole = Feed(stream, {}, limits);
  const size_t split = stream.size() * split_byte / 256;
  Compare(whole, Feed(stream, {split}, limits));
  if (stream.size() <= 1024) {
    std::vector<size_t> every_byte;
    for (size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
    Compare(whole, Feed(stream, every_byte, limits));
  }
  return 0;
}
