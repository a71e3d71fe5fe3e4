// A quick look ahead in a client's input: the keys of the pipelined commands
// that follow the one being run, so that the server can start loading their
// records (see Connection::PrefetchAhead). It is a hint, not a parse: it
// accepts only the canonical multibulk form that clients send and stops at
// anything else, leaving every judgement (limits, errors) to Parser.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringkv::resp {

struct PeekedCommand {
  std::string_view key;  // the second argument (the key of most commands), or empty
  size_t end = 0;        // offset in the buffer just past the command
};

// Looks at up to `max` complete multibulk commands at the start of `buf`
// ("*N\r\n" then N "$len\r\n<bytes>\r\n", numbers without sign or leading
// zeros). Stops at the first command that is incomplete, inline or in any
// other form. Returns how many it filled into `out`; their `key` views point
// into `buf`. On input Parser accepts, each command it reports ends where
// Parser's does and its key is Parser's second argument.
size_t PeekCommands(std::string_view buf, PeekedCommand* out, size_t max);

}  // namespace ringkv::resp
