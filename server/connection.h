// One client connection: a libuv TCP handle, its input buffer and parser, and
// its output buffer. Commands parsed from the input run through the
// dispatcher; replies are appended to `out_` and leave at the end of the loop
// turn (Server::EndTurn), after the turn's writes were committed.
//
// Lifetime: owned by Server::connections_; Close() starts uv_close and the
// close callback hands the object back to the server to destroy. A command
// that suspends keeps the connection paused (no reads) until it completes.
//
// In a cluster, where commands wait for other nodes, pipelined commands of
// one connection may overlap (up to cluster-pipeline-depth): each runs as an
// InFlight with its own copy of its arguments and its own reply buffer, and
// replies move to the output in request order. A command whose keys an
// in-flight command holds, or that is not a plain keyed command (no keys,
// MULTI/EXEC, AUTH, CLIENT ...), waits until the earlier ones are done, so
// per-key order and connection state behave as on one node.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/parser.h"
#include "resp/reply.h"
#include "server/client.h"
#include "server/dispatch.h"

namespace ringkv::server {

class Server;

class Connection : public CommandSource {
 public:
  Connection(Server* server, uv_loop_t* loop);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uv_tcp_t* tcp() { return &tcp_; }
  // After uv_accept: learns the addresses and starts reading. False: close it.
  bool Start();
  // Sends `line` (a full RESP error) and closes (maxclients, protected mode).
  void RejectAndClose(std::string_view error_line);
  void Close();
  bool closing() const { return closing_; }

  Client& client() override { return client_; }
  resp::ReplyWriter& reply() override { return reply_; }
  void CommandFinished() override {
    if (!FinishInline()) ResumeAfterCommand();
  }

  // End of turn: hands pending output to the socket. Returns false if the
  // connection was closed (output limit, write error).
  bool Flush();
  // Output that is not a reply of this connection's (MONITOR's lines): after
  // the replies already given, never inside one a suspended command is
  // still writing.
  void AppendOutput(std::string_view bytes);
  // Bytes queued for the socket and not yet written, plus unflushed replies.
  size_t PendingOutputBytes() const { return queued_bytes_ + out_.size() + deferred_out_.size(); }
  // The configured limits; the unauthenticated ones apply on top until AUTH.
  void set_parse_limits(const resp::ParseLimits& limits) {
    parse_limits_ = limits;
    resp::ParseLimits effective = limits;
    effective.unauthenticated = parser_unauthenticated_;
    parser_.set_limits(effective);
  }
  // Called from the hz timer: idle timeout and soft output limits.
  void Cron(int64_t now_ms);

 private:
  struct InFlight;
  // True if the command in args_ may run beside in-flight ones.
  bool MayOverlap(const CommandSpec* spec) const;
  bool KeysInFlight(const CommandSpec& spec) const;
  // Runs args_ (consumed bytes already parsed) as an InFlight.
  void StartInFlight(const CommandSpec& spec, size_t consumed);
  void InFlightDone(InFlight* f);
  // Moves the replies of finished commands at the head to the output.
  void DrainInFlight();
  void Stall();
  // CLIENT PAUSE ended: run the command that waited, and what follows it.
  void ResumeAfterPause();
  bool Idle() const { return !busy_ && inflight_.empty(); }
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* h);
  void ProcessInput();
  void ResumeAfterCommand();
  void CompactInput();
  void PrefetchAhead(size_t from);
  bool CheckOutputLimit();
  // Moves AppendOutput's held-back bytes to the output once no command runs.
  void TakeDeferredOutput();

  Server* server_;
  uv_tcp_t tcp_;
  Client client_;
  resp::Parser parser_;
  resp::ParseLimits parse_limits_;
  bool parser_unauthenticated_ = false;
  std::vector<std::string_view> args_;
  // Input buffer: bytes [in_pos_, in_len_) are not parsed yet.
  std::unique_ptr<char[]> in_;
  size_t in_cap_ = 0;
  size_t in_len_ = 0;
  size_t in_pos_ = 0;
  size_t pending_consumed_ = 0;  // bytes of the suspended command
  size_t prefetch_end_ = 0;      // input before this was looked at by PrefetchAhead
  std::string out_;
  std::string deferred_out_;  // AppendOutput's while a command is running
  resp::ReplyWriter reply_;
  size_t queued_bytes_ = 0;  // handed to uv_write, not yet completed
  int writes_in_flight_ = 0;
  int64_t soft_limit_since_ms_ = 0;
  bool closing_ = false;
  bool handle_closed_ = false;                      // libuv's close callback ran
  bool busy_ = false;                               // a command is suspended
  std::deque<std::unique_ptr<InFlight>> inflight_;  // overlapping commands, in request order
  bool stalled_ = false;                            // input waits for in-flight commands to finish
  bool pause_waiting_ = false;                      // listed in the server's paused connections
  bool reading_ = false;
  bool dirty_ = false;  // listed in the server's dirty list this turn
  friend class Server;
};

}  // namespace ringkv::server
