// Runs commands through the real dispatcher and command table against a real
// storage directory, with no sockets: `Run({"set", "k", "v"})` returns the
// decoded reply. Each Run ends the loop turn (commits), as the server does.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "server/dispatch.h"
#include "server/server.h"
#include "tests/support/temp_dir.h"

namespace ringkv::testing {

// A decoded reply (hiredis's view of our bytes: RESP2 only).
struct Reply {
  int type = 0;  // REDIS_REPLY_*
  std::string str;
  long long integer = 0;
  std::vector<Reply> elements;

  bool IsError() const { return type == REDIS_REPLY_ERROR; }
  bool IsNil() const { return type == REDIS_REPLY_NIL; }
};

class InProcessServer : public server::CommandSource {
 public:
  explicit InProcessServer(server::Config config = {}) {
    config.dir = dir_.path();
    config.logfile = dir_.path() + "/log";
    server_ = std::make_unique<server::Server>(std::move(config));
    ok_ = server_->log().Open(server_->config().logfile, server::LogLevel::kWarning) &&
          server_->OpenStorage();
    client_.authenticated = server_->config().requirepass.empty();
    client_.id = server_->NextClientId();
  }
  bool ok() const { return ok_; }
  server::Server& server() { return *server_; }
  server::Client& client() override { return client_; }
  resp::ReplyWriter& reply() override { return writer_; }
  void CommandFinished() override { FinishInline(); }

  // Raw RESP bytes of the reply to one command.
  std::string RunRaw(std::vector<std::string> args) {
    out_.clear();
    std::vector<std::string_view> views(args.begin(), args.end());
    bool done = server::Dispatch(*server_, *this, views);
    if (!done) return "<suspended>";
    (void)server_->store().EndTurn();
    return out_;
  }

  Reply Run(std::vector<std::string> args) { return Decode(RunRaw(std::move(args))); }

  static Reply Decode(const std::string& bytes) {
    Reply out;
    redisReader* r = redisReaderCreate();
    redisReaderFeed(r, bytes.data(), bytes.size());
    void* reply = nullptr;
    if (redisReaderGetReply(r, &reply) == REDIS_OK && reply) {
      out = Convert(static_cast<redisReply*>(reply));
      freeReplyObject(reply);
    } else {
      out.type = -1;
      out.str = "<undecodable: " + bytes + ">";
    }
    redisReaderFree(r);
    return out;
  }

 private:
  static Reply Convert(const redisReply* r) {
    Reply out;
    out.type = r->type;
    out.integer = r->integer;
    if (r->str) out.str.assign(r->str, r->len);
    for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<server::Server> server_;
  server::Client client_;
  std::string out_;
  resp::ReplyWriter writer_{&out_, 2};
  bool ok_ = false;
};

}  // namespace ringkv::testing
