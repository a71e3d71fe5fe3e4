#include "resp/peek.h"

#include <cstdint>

namespace ringkv::resp {
namespace {

// A decimal at buf[*pos] ended by "\r\n": no sign, no leading zero (but "0"),
// at most 18 digits (so no overflow). Moves *pos past the CRLF.
bool ReadNumberLine(std::string_view buf, size_t* pos, uint64_t* value) {
  size_t i = *pos;
  uint64_t v = 0;
  const size_t first = i;
  while (i < buf.size() && buf[i] >= '0' && buf[i] <= '9') {
    if (i - first == 18) return false;
    v = v * 10 + static_cast<uint64_t>(buf[i] - '0');
    ++i;
  }
  const size_t digits = i - first;
  if (digits == 0 || (digits > 1 && buf[first] == '0')) return false;
  if (i + 1 >= buf.size() || buf[i] != '\r' || buf[i + 1] != '\n') return false;
  *pos = i + 2;
  *value = v;
  return true;
}

// One command at `pos`; false if it is not there whole in canonical form.
bool PeekOne(std::string_view buf, size_t pos, PeekedCommand* cmd) {
  if (pos >= buf.size() || buf[pos] != '*') return false;
  ++pos;
  uint64_t count = 0;
  if (!ReadNumberLine(buf, &pos, &count)) return false;
  // Each argument takes at least "$0\r\n\r\n": a count that cannot fit in
  // what is left is incomplete (and not walked).
  if (count > (buf.size() - pos) / 6) return false;
  std::string_view key;
  for (uint64_t i = 0; i < count; ++i) {
    if (pos >= buf.size() || buf[pos] != '$') return false;
    ++pos;
    uint64_t len = 0;
    if (!ReadNumberLine(buf, &pos, &len)) return false;
    if (len > buf.size() - pos || buf.size() - pos - len < 2) return false;
    if (buf[pos + len] != '\r' || buf[pos + len + 1] != '\n') return false;
    if (i == 1) key = buf.substr(pos, len);
    pos += len + 2;
  }
  cmd->key = key;
  cmd->end = pos;
  return true;
}

}  // namespace

size_t PeekCommands(std::string_view buf, PeekedCommand* out, size_t max) {
  size_t n = 0, pos = 0;
  while (n < max && PeekOne(buf, pos, &out[n])) {
    pos = out[n].end;
    ++n;
  }
  return n;
}

}  // namespace ringkv::resp
