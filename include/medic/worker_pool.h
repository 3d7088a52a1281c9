#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace medic {

// A bounded set of threads that run submitted tasks in order of submission. A thread is started
// only when a task finds no idle one (never more than `max_threads`), then stays for the pool's
// life: steady work reuses the same threads instead of starting one per task.
//
// A task that never returns keeps its thread. Destruction therefore joins the idle threads and
// detaches a busy one, which exits when its task returns (the pool's shared state lives until
// then): a hung task must not hang whoever drops the pool (a configuration reload, the end of
// `medic check`). Tasks still queued are dropped, not run.
class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; it must own (or share) everything it uses. An exception it throws is
  // logged and dropped.
  void Submit(std::function<void()> task);
  // Submit, unless `max_queued` tasks already wait for a thread: then false, and the caller
  // refuses the work (503) rather than hold memory for a backlog nobody will wait for.
  bool TrySubmit(std::function<void()> task, std::size_t max_queued);
  // Threads started so far.
  std::size_t threads() const;

 private:
  struct State;
  static void Work(const std::shared_ptr<State>& state, std::size_t worker);

  std::shared_ptr<State> state_;
  std::vector<std::thread> threads_;  // guarded by state_->mutex; index = worker number
};

}  // namespace medic
