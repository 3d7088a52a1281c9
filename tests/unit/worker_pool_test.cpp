// ctest-labels: tsan
#include "medic/worker_pool.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;

TEST_CASE("threads start only as tasks need them, up to the bound, and are reused") {
  medic::WorkerPool pool(3);
  CHECK(pool.threads() == 0);
  std::atomic<int> done{0};
  for (int i = 0; i < 50; ++i) {
    pool.Submit([&done] { ++done; });
    REQUIRE(medic::test::WaitFor([&] { return done == i + 1; }, 10s));
  }
  // Fifty tasks, at most three threads (a second may start when a task is submitted before
  // the last one's thread has marked itself idle again).
  CHECK(pool.threads() >= 1);
  CHECK(pool.threads() <= 3);

  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  for (int i = 0; i < 10; ++i) {
    pool.Submit([opened, &done] {
      opened.wait();
      ++done;
    });
  }
  CHECK(pool.threads() == 3);  // ten waiting tasks, three threads
  gate.set_value();
  CHECK(medic::test::WaitFor([&] { return done == 60; }, 10s));
  CHECK(pool.threads() == 3);
}

TEST_CASE("a throwing task does not end its thread") {
  medic::WorkerPool pool(1);
  std::atomic<bool> ran{false};
  pool.Submit([] { throw std::runtime_error("boom"); });
  pool.Submit([&ran] { ran = true; });
  CHECK(medic::test::WaitFor([&] { return ran.load(); }, 10s));
  CHECK(pool.threads() == 1);
}

TEST_CASE("destruction joins idle threads and leaves a hung task's thread to finish") {
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  auto running = std::make_shared<std::atomic<bool>>(false);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  auto queued_ran = std::make_shared<std::atomic<bool>>(false);
  const auto started = std::chrono::steady_clock::now();
  {
    medic::WorkerPool pool(1);
    pool.Submit([opened, running, finished] {
      *running = true;
      opened.wait();
      *finished = true;
    });
    pool.Submit([queued_ran] { *queued_ran = true; });  // behind the hung one: dropped
    REQUIRE(medic::test::WaitFor([&] { return running->load(); }, 10s));
  }
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  gate.set_value();
  CHECK(medic::test::WaitFor([&] { return finished->load(); }, 10s));
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(queued_ran->load());
}
