// Dispatch of one parsed command, checks in a fixed order: lookup, arity,
// auth, peer-only, MULTI queueing, execute. Also the unknown-command error.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "cluster/task.h"
#include "resp/reply.h"
#include "server/command_table.h"

namespace ringkv::server {

class Server;

// Whoever feeds commands in: a network connection, or a test. Tells it when a
// command finished, inline (during Dispatch) or later (after a suspension).
class CommandSource {
 public:
  virtual ~CommandSource() = default;
  virtual Client& client() = 0;
  virtual resp::ReplyWriter& reply() = 0;
  // Called once per command, when its handler is done.
  virtual void CommandFinished() = 0;

  void BeginDispatch() {
    dispatching_ = true;
    finished_inline_ = false;
  }
  bool EndDispatch() {
    dispatching_ = false;
    return finished_inline_;
  }
  // For CommandFinished(): true when called from inside Dispatch.
  bool FinishInline() {
    if (!dispatching_) return false;
    finished_inline_ = true;
    return true;
  }

 private:
  bool dispatching_ = false;
  bool finished_inline_ = false;
};

// Runs `args` for `source`. Returns true when the command completed (its reply
// is in the source's writer), false when it suspended; the source then hears
// CommandFinished() later. `args` must stay valid until the command completes.
bool Dispatch(Server& server, CommandSource& source, std::span<const std::string_view> args);

// Executes an already checked command (EXEC uses it for queued commands):
// runs the handler, accounts stats and the slow log.
cluster::Task<> Execute(Server& server, Client& client, const CommandSpec& spec,
                        std::span<const std::string_view> args, resp::ReplyWriter& reply);

// "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
std::string UnknownCommandError(std::span<const std::string_view> args);

}  // namespace ringkv::server
