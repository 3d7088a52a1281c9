#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace medic::net {

// A fixed set of threads for work that may block (handlers: collectors, the journal's fsync,
// bcrypt), so the I/O thread only moves bytes. The queue is bounded: TryPost refuses work past
// it, and the caller answers 503 instead of holding memory for a backlog nobody will wait for.
class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t max_queued);
  ~WorkerPool();  // runs what is queued, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool TryPost(std::function<void()> task);
  std::size_t queued() const;

 private:
  void Work();

  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace medic::net
