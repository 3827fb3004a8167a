#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"

namespace ndrelay::server {

// A fixed set of IO threads, one io_context each. A connection lives on one context for its
// whole life, so its handlers never run concurrently (no strands needed). Contexts are handed
// out round-robin.
class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  asio::io_context& Next();
  asio::io_context& Main() { return *contexts_[0]; }
  int size() const { return static_cast<int>(contexts_.size()); }

  void Start();
  // Lets every context finish and joins the threads. Idempotent.
  void Stop();

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  size_t next_ = 0;
};

}  // namespace ndrelay::server
