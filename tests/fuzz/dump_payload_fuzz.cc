// libFuzzer target for RESTORE's payload reader (server/dump_payload.h).
// The input is the RDB object; the harness appends a version and the right
// checksum, so the fuzzer reaches the object's parsing rather than stopping
// at the checksum (the input's first byte picks the version, so the version
// check is covered too). None may crash. Checked:
//   - a string that parses comes out at most max_value bytes long;
//   - DUMP of it parses back to the same string (the round trip of a key
//     moved out and in again).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/dump_payload.h"

namespace {

using ringkv::server::Crc64;
using ringkv::server::DumpPayload;
using ringkv::server::ParsePayload;
using ringkv::server::PayloadError;

constexpr uint64_t kMaxValue = 1 << 20;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint16_t version = data[0] < 240 ? 10 : static_cast<uint16_t>(data[0] - 240);
  std::string payload(reinterpret_cast<const char*>(data + 1), size - 1);
  payload.push_back(static_cast<char>(version & 0xff));
  payload.push_back(static_cast<char>(version >> 8));
  const uint64_t crc = Crc64(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(crc >> (8 * i)));

  std::string value;
  int type = -1;
  if (ParsePayload(payload, kMaxValue, &value, &type) != PayloadError::kNone) return 0;
  Check(value.size() <= kMaxValue || size > kMaxValue);  // a plain string is in the input
  std::string again;
  Check(ParsePayload(DumpPayload(value), UINT64_MAX, &again, &type) == PayloadError::kNone);
  Check(again == value);
  return 0;
}
