// The small coroutine types that keep command handlers linear:
//
//   Task<T>   a lazily started coroutine; `co_await task` runs it and yields T.
//   Future<T> what a KeyStore operation returns: either ready at once (one
//             node: no allocation, no suspension) or completed later by a
//             Promise<T> (the cluster, when peers answer).
//   Detached  a fire-and-forget root coroutine that frees itself at the end.
//
// Coroutine frames come from a per-thread pool of size classes, so the hot
// path (one frame per command) does not reach malloc. All of this is loop
// thread only: a Future must be completed on the thread that awaits it.
//
// GCC 12 miscompiles `co_await` used directly as an `if` condition (the
// coroutine never finishes, or crashes): bind the result to a local first,
// `bool ok = co_await x; if (ok) ...`. It also rejects a braced list as an
// argument inside a co_await expression ("array used as initializer"):
// build the vector in a local first.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace ringkv::cluster {

namespace detail {
void* AllocFrame(size_t n);
void FreeFrame(void* p, size_t n) noexcept;

struct PooledFrame {
  static void* operator new(size_t n) { return AllocFrame(n); }
  static void operator delete(void* p, size_t n) noexcept { FreeFrame(p, n); }
};
}  // namespace detail

template <class T = void>
class Task;

namespace detail {
struct TaskPromiseBase : PooledFrame {
  std::coroutine_handle<> continuation;
  // Set while the awaiting coroutine runs this one from its await_suspend
  // (StartInline): ending then, it returns there instead of resuming it.
  bool running_inline = false;
  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto& p = h.promise();
      if (p.running_inline) return std::noop_coroutine();
      return p.continuation ? p.continuation : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { std::terminate(); }
};

// `co_await task`: runs the task with a plain call; if it ended (on one node,
// every command does), the awaiting coroutine goes on at once, on its own
// stack frame; if it suspended (a cluster read waiting for replicas), the
// task resumes the awaiting coroutine when it ends. Symmetric transfer (a
// handle returned from await_suspend) would be shorter, but it is a tail
// call only when the compiler makes it one: at -O0 (the sanitizer build)
// each transfer kept its frame, and an EXEC of 20,000 queued commands, which
// awaits them one after another, overflowed the stack.
template <class P>
bool StartInline(std::coroutine_handle<P> task, std::coroutine_handle<> caller) noexcept {
  P& p = task.promise();
  p.continuation = caller;
  p.running_inline = true;
  task.resume();
  p.running_inline = false;
  return !task.done();
}
}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::TaskPromiseBase {
    std::optional<T> value;
    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    template <class U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
    }
  };

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> caller) noexcept {
    return detail::StartInline(h_, caller);
  }
  T await_resume() { return std::move(*h_.promise().value); }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

template <>
class [[nodiscard]] Task<void> {
 public:
  struct promise_type : detail::TaskPromiseBase {
    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    void return_void() noexcept {}
  };

  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> caller) noexcept {
    return detail::StartInline(h_, caller);
  }
  void await_resume() noexcept {}

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

// A root coroutine: starts at once, destroys its own frame when it ends.
struct Detached {
  struct promise_type : detail::PooledFrame {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

template <class T>
class Promise;

template <class T>
class [[nodiscard]] Future {
 public:
  static Future Ready(T v) {
    Future f;
    f.ready_.emplace(std::move(v));
    return f;
  }
  Future(Future&&) noexcept = default;
  Future& operator=(Future&&) noexcept = default;

  bool await_ready() const noexcept { return ready_.has_value() || (state_ && state_->value); }
  void await_suspend(std::coroutine_handle<> h) noexcept { state_->waiter = h; }
  T await_resume() { return ready_ ? std::move(*ready_) : std::move(*state_->value); }

 private:
  friend class Promise<T>;
  struct State {
    std::optional<T> value;
    std::coroutine_handle<> waiter;
  };
  Future() = default;
  std::optional<T> ready_;
  std::shared_ptr<State> state_;
};

// The completing side of a pending Future. Set() resumes the awaiting
// coroutine inline, on the caller's stack.
template <class T>
class Promise {
 public:
  Promise() : state_(std::make_shared<typename Future<T>::State>()) {}
  Future<T> GetFuture() {
    Future<T> f;
    f.state_ = state_;
    return f;
  }
  void Set(T v) {
    state_->value.emplace(std::move(v));
    if (auto w = std::exchange(state_->waiter, {})) w.resume();
  }

 private:
  std::shared_ptr<typename Future<T>::State> state_;
};

}  // namespace ringkv::cluster
