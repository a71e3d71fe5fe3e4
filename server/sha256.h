// SHA-256 (FIPS 180-4), for what ACL shows of the default user's password:
// Redis lists a password as the hex of its SHA-256.
#pragma once

#include <string>
#include <string_view>

namespace ringkv::server {

// The 64 lowercase hex digits of SHA-256(data).
std::string Sha256Hex(std::string_view data);

}  // namespace ringkv::server
