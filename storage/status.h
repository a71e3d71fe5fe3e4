// Status and Result<T>: errors as values (no exception crosses a folder).
// Not-found is never a Status: lookups return an empty pointer/optional.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ringkv::storage {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kIoError, kCorruption, kInvalidArgument, kUnavailable, kNotSent };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  // A request to a peer that never left this node (no connection, or the
  // connection failed before the request was handed to it): unlike
  // Unavailable, the peer cannot have acted on it.
  static Status NotSent(std::string msg) { return Status(Code::kNotSent, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status s) : v_(std::move(s)) {}     // NOLINT: must not be Ok
  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  T& operator*() { return std::get<0>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ringkv::storage
