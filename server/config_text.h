// Text helpers shared by the option table (config_options.cc) and the
// code that reads, sets and rewrites options (config.cc). Internal to the
// config implementation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace ringkv::server::config_text {

using Args = std::vector<std::string>;
using storage::Status;

// Options whose value is several words. CONFIG SET splits its single value
// on spaces for these; every other option takes exactly one argument.
bool IsMultiArg(std::string_view name);
std::string Lower(std::string_view s);
bool EqualsNoCase(std::string_view a, std::string_view b);
Status Invalid(std::string msg);  // InvalidArgument with `msg`
bool ParseInt(std::string_view s, int64_t* out);
std::string Join(const Args& words);  // with single spaces
Args SplitSpaces(std::string_view s);
// Quotes `s` so that resp::SplitArgs reads it back as one argument; plain
// words are left alone so rewritten files stay readable.
std::string QuoteArg(std::string_view s);
std::string QuoteJoin(const Args& words);  // QuoteArg of each, with spaces

}  // namespace ringkv::server::config_text
