// CRC-32C (Castagnoli), the checksum of the write journal's records. Uses the
// SSE 4.2 crc32 instruction where the CPU has it (8 bytes per instruction),
// else a byte-at-a-time table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringkv::storage {

// The CRC-32C of `n` bytes at `data`, continuing from `crc` (0 to start).
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace ringkv::storage
