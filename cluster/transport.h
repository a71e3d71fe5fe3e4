// How cluster logic talks to peers: a request is a PEER.* command in RESP,
// the answer a decoded RESP value. server/ implements it over pipelined peer
// connections; tests can implement it in memory.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_reader.h"
#include "storage/status.h"

namespace ringkv::cluster {

class Transport {
 public:
  using Callback = std::function<void(storage::Result<resp::RespValue>)>;
  virtual ~Transport() = default;
  // Sends `args` to node `node_id`. `done` runs exactly once, on the loop
  // thread, never inside Send(): with the reply (which may be a RESP error
  // value), or with Unavailable when the node cannot be reached or did not
  // answer within the request timeout.
  virtual void Send(std::string_view node_id, std::vector<std::string> args, Callback done) = 0;
};

}  // namespace ringkv::cluster
