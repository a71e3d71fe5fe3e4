#include "server/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "resp/peek.h"
#include "server/dispatch.h"
#include "server/server.h"

namespace ringkv::server {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kInitialInput = 16 * 1024;

std::string FormatAddr(const sockaddr_storage& ss, bool* loopback) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  *loopback = false;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(a, ip, sizeof(ip));
    port = ntohs(a->sin_port);
    *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(a, ip, sizeof(ip));
    port = ntohs(a->sin6_port);
    *loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
                (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
  }
  return std::string(ip) + ":" + std::to_string(port);
}

struct WriteReq {
  uv_write_t req;
  std::string data;  // lives until the write callback (libuv's contract)
  Connection* conn;
};

}  // namespace

struct Connection::InFlight final : CommandSource {
  InFlight(Connection* c, const CommandSpec& spec, const std::vector<std::string_view>& a,
           int proto)
      : conn(c), owned(a.begin(), a.end()), writer(&out, proto) {
    args.assign(owned.begin(), owned.end());
    for (size_t i : CommandTable::KeyPositions(spec, args.size())) keys.push_back(args[i]);
  }
  Client& client() override { return conn->client_; }
  resp::ReplyWriter& reply() override { return writer; }
  void CommandFinished() override {
    done = true;
    if (!FinishInline()) conn->InFlightDone(this);
  }

  Connection* conn;
  std::vector<std::string> owned;  // the arguments, copied out of the input buffer
  std::vector<std::string_view> args;
  std::vector<std::string_view> keys;  // views into `owned`, for KeysInFlight
  std::string out;
  resp::ReplyWriter writer;
  bool done = false;
};

Connection::Connection(Server* server, uv_loop_t* loop) : server_(server), reply_(&out_, 2) {
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
}

Connection::~Connection() = default;

bool Connection::Start() {
  sockaddr_storage ss;
  int len = sizeof(ss);
  bool lb = false;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    client_.addr = FormatAddr(ss, &lb);
  }
  client_.loopback = lb;
  len = sizeof(ss);
  bool ignored;
  if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    client_.laddr = FormatAddr(ss, &ignored);
  }
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &fd) == 0) client_.fd = fd;
  uv_tcp_nodelay(&tcp_, 1);
  const Config& cfg = server_->config();
  if (cfg.tcp_keepalive > 0) uv_tcp_keepalive(&tcp_, 1, static_cast<unsigned>(cfg.tcp_keepalive));
  client_.id = server_->NextClientId();
  client_.created_ms = client_.last_interaction_ms = server_->NowMs();
  client_.authenticated = cfg.requirepass.empty();
  resp::ParseLimits limits;
  limits.max_bulk_len = static_cast<int64_t>(cfg.proto_max_bulk_len);
  parser_unauthenticated_ = !client_.authenticated;
  set_parse_limits(limits);
  in_.reset(new char[kInitialInput]);
  in_cap_ = kInitialInput;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead) != 0) return false;
  reading_ = true;
  return true;
}

void Connection::RejectAndClose(std::string_view error_line) {
  out_.append(error_line);
  client_.close_after_reply = true;
  server_->MarkDirty(this);
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  if (reading_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  reading_ = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClose);
}

void Connection::OnClose(uv_handle_t* h) {
  auto* self = static_cast<Connection*>(h->data);
  self->handle_closed_ = true;
  // A suspended command still refers to this connection: it is destroyed
  // when that command finishes (ResumeAfterCommand, InFlightDone).
  if (self->Idle()) self->server_->OnClosed(self);  // destroys self
}

void Connection::CompactInput() {
  if (in_pos_ == 0) return;
  size_t rest = in_len_ - in_pos_;
  if (rest) memmove(in_.get(), in_.get() + in_pos_, rest);
  in_len_ = rest;
  in_pos_ = 0;
  prefetch_end_ = 0;
}

void Connection::OnAlloc(uv_handle_t* h, size_t /*suggested*/, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(h->data);
  // Only compact or grow while no command holds views into the buffer.
  if (self->in_pos_ == self->in_len_) self->in_pos_ = self->in_len_ = self->prefetch_end_ = 0;
  // Room for a big bulk grows with what actually arrived (at most doubling),
  // so a header announcing 500 MB costs nothing until the bytes come.
  size_t unparsed = self->in_len_ - self->in_pos_;
  size_t want =
      std::max(kReadChunk, std::min(self->parser_.PendingBulkBytes(), 2 * unparsed + kReadChunk));
  if (self->in_cap_ - self->in_len_ < want) {
    self->CompactInput();
    if (self->in_cap_ - self->in_len_ < want) {
      size_t cap = std::max(self->in_cap_ * 2, self->in_len_ + want);
      std::unique_ptr<char[]> bigger(new char[cap]);
      memcpy(bigger.get(), self->in_.get(), self->in_len_);
      self->in_ = std::move(bigger);
      self->in_cap_ = cap;
    }
  }
  buf->base = self->in_.get() + self->in_len_;
  buf->len = self->in_cap_ - self->in_len_;
}

void Connection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* /*buf*/) {
  auto* self = static_cast<Connection*>(s->data);
  if (nread < 0) {
    self->Close();
    return;
  }
  if (nread == 0) return;
  self->in_len_ += static_cast<size_t>(nread);
  self->server_->stats().total_net_input_bytes += static_cast<uint64_t>(nread);
  self->client_.last_interaction_ms = self->server_->NowMs();
  self->ProcessInput();
}

void Connection::ProcessInput() {
  Server& server = *server_;
  while (!busy_ && !stalled_ && !closing_ && !client_.close_after_reply && in_pos_ < in_len_) {
    if (parser_unauthenticated_ != !client_.authenticated) {
      parser_unauthenticated_ = !client_.authenticated;
      set_parse_limits(parse_limits_);
    }
    std::string_view input(in_.get() + in_pos_, in_len_ - in_pos_);
    resp::ParseResult r = parser_.Parse(input, &args_);
    if (r.status == resp::ParseStatus::kIncomplete) break;
    if (r.status == resp::ParseStatus::kError) {
      ++server.stats().protocol_errors;
      server.log().Verbose("Protocol error ({}) from client: id={} addr={}", r.error, client_.id,
                           client_.addr);
      // Under CLIENT REPLY OFF|SKIP not even this is answered (as in Redis).
      if (client_.reply_mode == ReplyMode::kOn) {
        reply_.Error(std::string("ERR ") + std::string(r.error));
      }
      client_.close_after_reply = true;
      in_pos_ = in_len_;
      break;
    }
    size_t consumed = r.consumed;
    if (args_.empty()) {
      in_pos_ += consumed;
      client_.EndCommandReplyMode();  // as in Redis, an empty command uses up a SKIP
      continue;
    }
    // More commands of a pipeline wait behind this one: look ahead.
    if (in_pos_ + consumed < in_len_ && in_pos_ + consumed >= prefetch_end_ && !server.cluster()) {
      PrefetchAhead(in_pos_ + consumed);
    }
    if (server.PauseHolds(client_, args_)) {
      // Not consumed: parsed again when the pause ends. Reading goes on (as
      // in Redis), so a client that disconnects meanwhile is dropped with
      // its held commands, and the query buffer limit still applies.
      if (!pause_waiting_) {
        pause_waiting_ = true;
        server.WaitForUnpause(this);
      }
      break;
    }
    if (server.cluster()) {
      const CommandSpec* spec = server.commands().Find(args_[0]);
      bool overlap = MayOverlap(spec);
      if (!inflight_.empty() &&
          (!overlap || KeysInFlight(*spec) ||
           inflight_.size() >= static_cast<size_t>(server.config().cluster_pipeline_depth))) {
        Stall();  // not consumed: parsed again once the earlier ones are done
        break;
      }
      if (overlap && server.config().cluster_pipeline_depth > 1) {
        StartInFlight(*spec, consumed);
        if (closing_) return;
        continue;
      }
    }
    // The args point into the buffer: advance past them only once the command
    // completed, so a suspended command keeps them valid (reads are paused).
    bool done = Dispatch(server, *this, args_);
    in_pos_ += consumed;
    if (!done) {
      busy_ = true;
      in_pos_ -= consumed;  // views stay in [in_pos_, in_pos_ + consumed) until resumed
      pending_consumed_ = consumed;
      if (reading_) {
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
        reading_ = false;
      }
      break;
    }
    if (client_.killed) client_.close_after_reply = true;
    // A pipeline of big replies must not pile up past the hard limit before
    // the end of the turn gets to write it.
    const OutputBufferLimit& lim = server.config().output_limit_normal;
    if (lim.hard_bytes && PendingOutputBytes() > lim.hard_bytes && !CheckOutputLimit()) return;
  }
  client_.query_buffer_bytes = in_len_ - in_pos_;
  if (!busy_ && !stalled_ && in_len_ - in_pos_ > server.config().client_query_buffer_limit) {
    ++server.stats().client_query_limit_disconnections;
    server.log().Warning("Closing client that reached max query buffer length: id={} addr={}",
                         client_.id, client_.addr);
    Close();
    return;
  }
  if (!out_.empty() || client_.close_after_reply) server.MarkDirty(this);
}

// A pipeline's commands each look a key up in the record cache, and with
// millions of keys each lookup waits for main memory three or four times
// (slot, entry, record, value). Finding the keys of the next few commands
// and handing them, with the key of the command just parsed (args_), to the
// store lets those waits overlap: SET over 1M random keys with -P 16 spent a
// third of the loop thread in them. resp::PeekCommands only looks at
// kPrefetchBytes from `from`, so a big command arriving in pieces is not
// walked again and again.
void Connection::PrefetchAhead(size_t from) {
  constexpr size_t kPrefetchBytes = 4096;
  constexpr size_t kPrefetchCommands = 16;
  std::string_view keys[kPrefetchCommands];
  resp::PeekedCommand ahead[kPrefetchCommands];
  size_t n = 0;
  if (args_.size() >= 2) keys[n++] = args_[1];
  const std::string_view window(in_.get() + from, std::min(in_len_ - from, kPrefetchBytes));
  const size_t seen = resp::PeekCommands(window, ahead, kPrefetchCommands - n);
  for (size_t i = 0; i < seen; ++i) {
    if (!ahead[i].key.empty()) keys[n++] = ahead[i].key;
  }
  // Not again before the real parser passed what was seen (past `from` when
  // nothing complete was found).
  prefetch_end_ = from + (seen ? ahead[seen - 1].end : 1);
  if (n > 1) server_->store().Prefetch(keys, n);
}

void Connection::ResumeAfterCommand() {
  busy_ = false;
  in_pos_ += pending_consumed_;
  pending_consumed_ = 0;
  if (client_.killed) client_.close_after_reply = true;
  if (closing_) {
    if (handle_closed_) server_->OnClosed(this);  // destroys this; nothing may follow
    return;
  }
  server_->MarkDirty(this);
  TakeDeferredOutput();  // after the reply of the command that held it back
  if (!reading_ && !client_.close_after_reply) {
    uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead);
    reading_ = true;
  }
  ProcessInput();
}

bool Connection::MayOverlap(const CommandSpec* spec) const {
  // Plain keyed commands of an authenticated client outside MULTI, with
  // replies on; everything else runs alone.
  if (!spec || spec->first_key <= 0 || (spec->flags & (kCmdNoMulti | kCmdPeer | kCmdAdmin))) {
    return false;
  }
  return CommandTable::ArityOk(*spec, args_.size()) && !client_.is_peer && client_.authenticated &&
         !client_.in_multi && client_.reply_mode == ReplyMode::kOn;
}

bool Connection::KeysInFlight(const CommandSpec& spec) const {
  for (size_t i : CommandTable::KeyPositions(spec, args_.size())) {
    for (const auto& f : inflight_) {
      if (f->done) continue;
      for (std::string_view k : f->keys) {
        if (k == args_[i]) return true;
      }
    }
  }
  return false;
}

void Connection::StartInFlight(const CommandSpec& spec, size_t consumed) {
  auto owned = std::make_unique<InFlight>(this, spec, args_, client_.resp);
  InFlight* f = owned.get();
  in_pos_ += consumed;  // the arguments are copied: the buffer may move on
  inflight_.push_back(std::move(owned));
  bool done = Dispatch(*server_, *f, f->args);
  if (done) DrainInFlight();
}

void Connection::InFlightDone(InFlight* /*f*/) {
  if (closing_) {
    // Nobody reads the replies any more: drop every finished command (the
    // one calling us returns without touching itself), and once none is
    // left and libuv closed the handle, the connection goes.
    std::erase_if(inflight_, [](const std::unique_ptr<InFlight>& x) { return x->done; });
    if (handle_closed_ && Idle()) server_->OnClosed(this);  // destroys this; nothing may follow
    return;
  }
  DrainInFlight();
  if (client_.killed) client_.close_after_reply = true;
  server_->MarkDirty(this);
  if (!stalled_) return;
  // A slot or a key may have been freed: try the waiting command again (it
  // stalls again if it still has to wait).
  stalled_ = false;
  if (!reading_ && !client_.close_after_reply) {
    uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), OnAlloc, OnRead);
    reading_ = true;
  }
  ProcessInput();
}

void Connection::DrainInFlight() {
  while (!inflight_.empty() && inflight_.front()->done) {
    out_.append(inflight_.front()->out);
    inflight_.pop_front();
  }
  TakeDeferredOutput();
}

void Connection::Stall() {
  stalled_ = true;
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Connection::ResumeAfterPause() {
  pause_waiting_ = false;
  // A suspended command or a stall for in-flight commands resumes the input
  // itself when it ends (ResumeAfterCommand, InFlightDone).
  if (closing_ || busy_ || stalled_) return;
  ProcessInput();
}

bool Connection::CheckOutputLimit() {
  const OutputBufferLimit& lim = server_->config().output_limit_normal;
  size_t pending = PendingOutputBytes();
  bool hard = lim.hard_bytes && pending > lim.hard_bytes;
  bool soft = false;
  if (lim.soft_bytes && pending > lim.soft_bytes) {
    int64_t now = server_->NowMs();
    if (soft_limit_since_ms_ == 0) soft_limit_since_ms_ = now;
    soft = now - soft_limit_since_ms_ > lim.soft_seconds * 1000;
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (!hard && !soft) return true;
  ++server_->stats().client_output_limit_disconnections;
  server_->log().Warning(
      "Client id={} addr={} scheduled to be closed for overcoming of output buffer limits.",
      client_.id, client_.addr);
  out_.clear();
  out_.shrink_to_fit();
  std::string().swap(deferred_out_);
  Close();
  return false;
}

void Connection::AppendOutput(std::string_view bytes) {
  if (closing_ || client_.close_after_reply) return;
  TakeDeferredOutput();
  (Idle() ? out_ : deferred_out_).append(bytes);
  server_->MarkDirty(this);
}

void Connection::TakeDeferredOutput() {
  if (deferred_out_.empty() || !Idle()) return;
  out_.append(deferred_out_);
  std::string().swap(deferred_out_);
}

bool Connection::Flush() {
  if (closing_) return false;
  TakeDeferredOutput();
  client_.output_bytes = PendingOutputBytes();
  if (!out_.empty()) {
    if (!CheckOutputLimit()) return false;
    server_->stats().total_net_output_bytes += out_.size();
    size_t written = 0;
    if (writes_in_flight_ == 0) {
      uv_buf_t b = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
      int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1);
      if (n > 0)
        written = static_cast<size_t>(n);
      else if (n < 0 && n != UV_EAGAIN) {
        Close();
        return false;
      }
    }
    if (written == out_.size()) {
      // Keep the buffer's capacity unless it grew large for one big reply.
      if (out_.capacity() > 1 << 20) {
        std::string().swap(out_);
      } else {
        out_.clear();
      }
    } else {
      auto* w = new WriteReq;  // freed in OnWrite
      w->conn = this;
      if (written == 0) {
        w->data.swap(out_);
      } else {
        w->data.assign(out_, written, std::string::npos);
        out_.clear();
      }
      uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
      queued_bytes_ += w->data.size();
      ++writes_in_flight_;
      w->req.data = w;
      if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1, OnWrite) != 0) {
        --writes_in_flight_;
        queued_bytes_ -= w->data.size();
        delete w;
        Close();
        return false;
      }
    }
  }
  client_.output_bytes = PendingOutputBytes();
  if (client_.close_after_reply && writes_in_flight_ == 0 && out_.empty()) {
    Close();
    return false;
  }
  return true;
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* w = static_cast<WriteReq*>(req->data);
  Connection* self = w->conn;
  self->queued_bytes_ -= w->data.size();
  --self->writes_in_flight_;
  delete w;
  if (status < 0) {
    self->Close();
    return;
  }
  self->client_.output_bytes = self->PendingOutputBytes();
  if (self->client_.close_after_reply && self->writes_in_flight_ == 0 && self->out_.empty()) {
    self->Close();
  }
}

void Connection::Cron(int64_t now_ms) {
  if (closing_) return;
  const Config& cfg = server_->config();
  // A client held by CLIENT PAUSE is waiting, not idle, and a MONITOR only
  // listens (Redis exempts both).
  if (cfg.timeout > 0 && Idle() && !pause_waiting_ && !client_.monitor &&
      now_ms - client_.last_interaction_ms > cfg.timeout * 1000) {
    server_->log().Verbose("Closing idle client id={} addr={}", client_.id, client_.addr);
    Close();
    return;
  }
  // Also once the output drained: that resets a running soft-limit timer,
  // so a later big reply starts it afresh (as Redis's clientsCron does).
  if (queued_bytes_ > 0 || soft_limit_since_ms_ != 0) CheckOutputLimit();
}

}  // namespace ringkv::server
