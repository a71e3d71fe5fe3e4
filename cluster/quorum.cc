#include "cluster/quorum.h"

#include <strings.h>

#include <algorithm>
#include <charconv>

namespace ringkv::cluster {
namespace {

using storage::Result;
using storage::Status;

bool Is(std::string_view arg, std::string_view word) {
  return arg.size() == word.size() && strncasecmp(arg.data(), word.data(), arg.size()) == 0;
}

// Digits only: "+2", " 2" and "2.0" are refused like Redis refuses them.
bool ParseCount(std::string_view s, int* out) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Status ValidateQuorum(int n, int r, int w) {
  if (n < 1) return Status::InvalidArgument("replicas (N) must be at least 1");
  auto check = [n](const char* name, int v) {
    if (v >= 1 && v <= n) return Status::Ok();
    return Status::InvalidArgument(std::string(name) + " must be between 1 and the replicas (" +
                                   std::to_string(n) + "), got " + std::to_string(v));
  };
  if (Status s = check("R", r); !s.ok()) return s;
  return check("W", w);
}

Result<ConsistencyLevel> ConsistencyLevel::Parse(std::span<const std::string_view> args, int n) {
  auto level = [&]() -> Result<ConsistencyLevel> {
    if (args.size() == 1) {
      if (Is(args[0], "ONE")) return One();
      if (Is(args[0], "QUORUM")) return Quorum();
      if (Is(args[0], "ALL")) return All();
    } else if (args.size() == 4) {
      int r = 0;
      int w = 0;
      const bool r_first = Is(args[0], "R") && Is(args[2], "W");
      const bool w_first = Is(args[0], "W") && Is(args[2], "R");
      if (r_first || w_first) {
        if (!ParseCount(args[r_first ? 1 : 3], &r) || !ParseCount(args[r_first ? 3 : 1], &w)) {
          return Status::InvalidArgument("R and W must be positive integers");
        }
        return Explicit(r, w);
      }
    }
    return Status::InvalidArgument("syntax: CONSISTENCY ONE|QUORUM|ALL or CONSISTENCY R <r> W <w>");
  }();
  if (!level.ok()) return level;
  // Validate against the N in force now, so a level that cannot work is
  // refused when it is set rather than on the first request.
  if (auto sizes = level->Sizes(n); !sizes.ok()) return sizes.status();
  return level;
}

Result<QuorumSizes> ConsistencyLevel::Sizes(int n) const {
  QuorumSizes q;
  switch (kind_) {
    case Kind::kOne:
      q = {1, 1};
      break;
    case Kind::kQuorum:
      q = {Majority(n), Majority(n)};
      break;
    case Kind::kAll:
      q = {n, n};
      break;
    case Kind::kExplicit:
      q = {r_, w_};
      break;
  }
  if (Status s = ValidateQuorum(n, q.r, q.w); !s.ok()) return s;
  return q;
}

std::string ConsistencyLevel::ToString() const {
  switch (kind_) {
    case Kind::kOne:
      return "ONE";
    case Kind::kQuorum:
      return "QUORUM";
    case Kind::kAll:
      return "ALL";
    case Kind::kExplicit:
      break;
  }
  return "R " + std::to_string(r_) + " W " + std::to_string(w_);
}

QuorumTracker::QuorumTracker(std::span<const std::string_view> targets, int required)
    : targets_(targets.begin(), targets.end()),
      replies_(targets.size(), Reply::kNone),
      required_(required) {}

QuorumTracker::State QuorumTracker::Record(std::string_view node, Reply r) {
  // Linear search: a request has N targets, a handful.
  auto it = std::find(targets_.begin(), targets_.end(), node);
  if (it != targets_.end()) {
    Reply& slot = replies_[static_cast<size_t>(it - targets_.begin())];
    if (slot == Reply::kNone) {
      slot = r;
      ++(r == Reply::kAck ? acks_ : failures_);
    }
  }
  return state();
}

QuorumTracker::State QuorumTracker::FailPending() {
  for (Reply& r : replies_) {
    if (r == Reply::kNone) {
      r = Reply::kFailure;
      ++failures_;
    }
  }
  return state();
}

// Both conditions are monotone (acks only grow; acks + pending only shrink)
// and cannot hold together, so the end states are final without storing them.
QuorumTracker::State QuorumTracker::state() const {
  if (acks_ >= required_) return State::kSucceeded;
  if (acks_ + pending() < required_) return State::kFailed;
  return State::kPending;
}

QuorumTracker::Reply QuorumTracker::reply(std::string_view node) const {
  auto it = std::find(targets_.begin(), targets_.end(), node);
  return it == targets_.end() ? Reply::kNone : replies_[static_cast<size_t>(it - targets_.begin())];
}

const char* StateName(QuorumTracker::State s) {
  switch (s) {
    case QuorumTracker::State::kPending:
      return "pending";
    case QuorumTracker::State::kSucceeded:
      return "succeeded";
    case QuorumTracker::State::kFailed:
      return "failed";
  }
  return "?";
}

}  // namespace ringkv::cluster
