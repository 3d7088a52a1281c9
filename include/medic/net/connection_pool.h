#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace medic::net {

// The server hands each accepted connection to this pool, and a connection holds its thread
// until it closes. A fixed pool lets a handful of slow clients (slowloris) park on
// every thread while a scraper waits in the queue. This pool keeps `core_threads` workers and,
// whenever a connection arrives and none is idle, starts another up to `max_threads`; extra
// workers exit after `idle_exit` without work. Together with the per-request deadline
// (ConnectionLimits::read_timeout) a slow client costs one thread for at most the read timeout, and
// fresh clients find a thread until `max_threads` connections are all in flight at once.
class ConnectionPool {
 public:
  ConnectionPool(std::size_t core_threads, std::size_t max_threads,
                 std::chrono::milliseconds idle_exit = std::chrono::seconds(5));
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void Enqueue(std::function<void()> task);
  // Runs what is queued, then joins every worker.
  void Shutdown();

 private:
  struct Worker {
    std::thread thread;
    bool core = false;
    bool finished = false;
  };
  void StartWorkerLocked(bool core);
  void ReapFinishedLocked();
  void WorkerLoop(Worker& self);

  const std::size_t max_threads_;
  const std::chrono::milliseconds idle_exit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::list<Worker> workers_;  // a list: workers keep a reference to their own entry
  std::size_t running_ = 0;    // workers not yet finished
  std::size_t idle_ = 0;
  bool shutting_down_ = false;
};

}  // namespace medic::net
