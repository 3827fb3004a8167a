#include "server/io_pool.h"

#include <pthread.h>

#include <string>

namespace ndrelay::server {

IoPool::IoPool(int threads) {
  if (threads < 1) {
    threads = 1;
  }
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
}

IoPool::~IoPool() { Stop(); }

asio::io_context& IoPool::Next() {
  // Only called from the accepting thread(s); a relaxed counter is enough for spreading load.
  size_t i = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
  return *contexts_[i % contexts_.size()];
}

void IoPool::Start() {
  for (size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      std::string name = "ndrelay-io" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      contexts_[i]->run();
    });
  }
}

void IoPool::Stop() {
  for (auto& g : guards_) {
    g.reset();
  }
  for (auto& c : contexts_) {
    c->stop();
  }
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
}

}  // namespace ndrelay::server
