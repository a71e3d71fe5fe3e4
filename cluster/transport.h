// How cluster logic talks to peers: a request is a PEER.* command in RESP,
// the answer a decoded RESP value. server/ implements it over pipelined peer
// connections; tests can implement it in memory.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/task.h"
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

// Send() as something a coroutine can await: `auto r = co_await Call(t, id, {...});`.
inline Future<storage::Result<resp::RespValue>> Call(Transport& transport, std::string_view node_id,
                                                     std::vector<std::string> args) {
  Promise<storage::Result<resp::RespValue>> p;
  auto f = p.GetFuture();
  transport.Send(node_id, std::move(args),
                 [p](storage::Result<resp::RespValue> r) mutable { p.Set(std::move(r)); });
  return f;
}

}  // namespace ringkv::cluster
