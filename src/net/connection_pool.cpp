#include "medic/net/connection_pool.h"

#include <algorithm>

namespace medic::net {

ConnectionPool::ConnectionPool(std::size_t core_threads, std::size_t max_threads,
                               std::chrono::milliseconds idle_exit)
    : max_threads_(std::max(max_threads, std::max<std::size_t>(core_threads, 1))),
      idle_exit_(idle_exit) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < std::max<std::size_t>(core_threads, 1); ++i) StartWorkerLocked(true);
}

ConnectionPool::~ConnectionPool() { Shutdown(); }

void ConnectionPool::StartWorkerLocked(bool core) {
  Worker& worker = workers_.emplace_back();
  worker.core = core;
  ++running_;
  worker.thread = std::thread([this, &worker] { WorkerLoop(worker); });
}

void ConnectionPool::ReapFinishedLocked() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->finished) {
      ++it;
      continue;
    }
    // A finished worker only has its unlock left to do; joining it here is immediate.
    it->thread.join();
    it = workers_.erase(it);
  }
}

void ConnectionPool::Enqueue(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    ReapFinishedLocked();
    tasks_.push_back(std::move(task));
    // Every connection waiting beyond the idle workers gets a thread of its own while the cap
    // allows; past the cap connections wait in the queue as with a fixed pool.
    if (!shutting_down_ && tasks_.size() > idle_ && running_ < max_threads_) {
      StartWorkerLocked(false);
    }
  }
  wake_.notify_one();
}

void ConnectionPool::Shutdown() {
  std::list<Worker> workers;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    workers.swap(workers_);
  }
  wake_.notify_all();
  // Workers finish the queued connections first, then exit; std::list keeps their entries put.
  for (auto& worker : workers) {
    if (worker.thread.joinable()) worker.thread.join();
  }
}

void ConnectionPool::WorkerLoop(Worker& self) {
  std::unique_lock lock(mutex_);
  while (true) {
    ++idle_;
    const auto has_work = [this] { return shutting_down_ || !tasks_.empty(); };
    if (self.core) {
      wake_.wait(lock, has_work);
    } else {
      wake_.wait_for(lock, idle_exit_, has_work);
    }
    --idle_;
    if (tasks_.empty()) break;  // shutting down, or an extra worker idle for idle_exit_
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
  --running_;
  self.finished = true;
}

}  // namespace medic::net
