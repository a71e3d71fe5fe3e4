// Polling for a condition another thread (or process) brings about.
#pragma once

#include <chrono>
#include <thread>

namespace ringkv::testing {

// Polls every 2 ms until pred() or `limit` passed; returns pred().
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

}  // namespace ringkv::testing
