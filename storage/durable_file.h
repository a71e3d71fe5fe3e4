// Files written so that a crash, of the process or of the machine, leaves
// either the old file or the whole new one: CONFIG REWRITE's config file,
// FLUSHALL's marker and the saved key filter; and such a file read back.
#pragma once

#include <string>
#include <string_view>

#include "storage/status.h"

namespace ringkv::storage {

// Writes `text` to a temporary file beside `path` (keeping the mode of an
// existing `path`), fsyncs it, renames it over `path` and fsyncs the
// directory. On failure the temporary file is removed and `path` untouched.
Status WriteFileAtomically(const std::string& path, std::string_view text);

// The whole of `path` into `*out`.
Status ReadWholeFile(const std::string& path, std::string* out);

// fsync of a directory, so that a rename or unlink in it survives a power cut.
Status SyncDir(const std::string& dir);

}  // namespace ringkv::storage
