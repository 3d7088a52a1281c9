#include "medic/worker_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <system_error>

namespace medic {

// Shared by the pool and its threads: a thread detached at destruction still uses it.
struct WorkerPool::State {
  explicit State(std::size_t max) : max_threads(std::max<std::size_t>(1, max)) {}
  const std::size_t max_threads;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> queue;  // guarded by mutex
  std::vector<bool> busy;                   // per worker, guarded by mutex
  std::size_t idle = 0;                     // workers not running a task, guarded by mutex
  bool stopping = false;                    // guarded by mutex
};

void WorkerPool::Work(const std::shared_ptr<State>& state, std::size_t worker) {
  std::unique_lock lock(state->mutex);
  while (true) {
    state->wake.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
    if (state->stopping) return;
    std::function<void()> task = std::move(state->queue.front());
    state->queue.pop_front();
    state->busy[worker] = true;
    --state->idle;
    lock.unlock();
    try {
      task();
    } catch (const std::exception& error) {
      spdlog::error("worker pool: a task threw: {}", error.what());
    } catch (...) {
      spdlog::error("worker pool: a task threw a non-exception");
    }
    task = nullptr;  // what it captured is released outside the lock
    lock.lock();
    state->busy[worker] = false;
    ++state->idle;
  }
}

WorkerPool::WorkerPool(std::size_t max_threads) : state_(std::make_shared<State>(max_threads)) {}

WorkerPool::~WorkerPool() {
  std::deque<std::function<void()>> dropped;
  std::vector<std::thread> idle;
  std::vector<std::thread> busy;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    dropped.swap(state_->queue);
    // A thread idle now takes no further task (stopping is set under the same lock), so
    // joining it is prompt; a busy one may be in a task that never returns.
    for (std::size_t i = 0; i < threads_.size(); ++i) {
      (state_->busy[i] ? busy : idle).push_back(std::move(threads_[i]));
    }
  }
  state_->wake.notify_all();
  for (std::thread& thread : idle) thread.join();
  for (std::thread& thread : busy) thread.detach();
}

void WorkerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(state_->mutex);
    state_->queue.push_back(std::move(task));
    // Every queued task needs an idle thread; start one if none is left and the bound allows.
    if (state_->queue.size() > state_->idle && threads_.size() < state_->max_threads) {
      const std::size_t worker = threads_.size();
      state_->busy.push_back(false);
      ++state_->idle;
      try {
        threads_.emplace_back([state = state_, worker] { Work(state, worker); });
      } catch (const std::system_error& error) {
        // Out of threads: the task waits for a running one (its caller's deadline still holds).
        state_->busy.pop_back();
        --state_->idle;
        spdlog::error("worker pool: cannot start a thread: {}", error.what());
      }
    }
  }
  state_->wake.notify_one();
}

bool WorkerPool::TrySubmit(std::function<void()> task, std::size_t max_queued) {
  {
    std::lock_guard lock(state_->mutex);
    // Tasks an idle thread, or one the bound still allows to start, will take are not waiting.
    const std::size_t takers = state_->idle + (state_->max_threads - threads_.size());
    const std::size_t waiting = state_->queue.size() > takers ? state_->queue.size() - takers : 0;
    if (waiting >= max_queued) return false;
  }
  Submit(std::move(task));
  return true;
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(state_->mutex);
  return threads_.size();
}

}  // namespace medic
