// ctest-labels: tsan
#include "medic/collector_registry.h"

#include "medic/metric_family_builder.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

class FixedCollector : public medic::Collector {
 public:
  explicit FixedCollector(std::string name, std::chrono::milliseconds delay = 0ms,
                          bool throws = false)
      : name_(std::move(name)), delay_(delay), throws_(throws) {}
  std::string_view Name() const override { return name_; }
  std::vector<prometheus::MetricFamily> Collect() override {
    ++runs;
    std::this_thread::sleep_for(delay_);
    ++finished;
    if (throws_) throw medic::CollectorError("boom from " + name_);
    return {medic::MetricFamilyBuilder::Gauge("test_" + name_, "help").Add(1).Build()};
  }
  std::atomic<int> runs{0};
  std::atomic<int> finished{0};

 private:
  std::string name_;
  std::chrono::milliseconds delay_;
  bool throws_;
};

// A collector whose runs wait until the test opens the gate.
class GatedCollector : public medic::Collector {
 public:
  std::string_view Name() const override { return "gated"; }
  std::vector<prometheus::MetricFamily> Collect() override {
    ++runs;
    gate_.wait();
    return {medic::MetricFamilyBuilder::Gauge("test_gated", "help").Add(1).Build()};
  }
  void Open() { opener_.set_value(); }
  std::atomic<int> runs{0};

 private:
  std::promise<void> opener_;
  std::shared_future<void> gate_ = opener_.get_future().share();
};

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

double SuccessOf(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  const auto* family = Find(families, "medic_scrape_collector_success");
  REQUIRE(family != nullptr);
  for (const auto& metric : family->metric) {
    if (metric.label.at(0).value == name) return metric.gauge.value;
  }
  FAIL("no success sample for " << name);
  return -1;
}

// Threads of this process, as the kernel lists them.
std::size_t ThreadCount() {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                    std::filesystem::directory_iterator()));
}

}  // namespace

TEST_CASE("a throwing and a hanging collector fail alone; the scrape answers within the bound") {
  medic::CollectorRegistry registry(300ms);
  registry.Add(std::make_shared<FixedCollector>("good"));
  registry.Add(std::make_shared<FixedCollector>("throws", 0ms, true));
  registry.Add(std::make_shared<FixedCollector>("slow", 3s));

  const auto started = std::chrono::steady_clock::now();
  const auto families = registry.Collect();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(elapsed < 2s);
  CHECK(elapsed >= 250ms);
  CHECK(Find(families, "test_good") != nullptr);
  CHECK(Find(families, "test_throws") == nullptr);
  CHECK(Find(families, "test_slow") == nullptr);
  CHECK(SuccessOf(families, "good") == 1);
  CHECK(SuccessOf(families, "throws") == 0);
  CHECK(SuccessOf(families, "slow") == 0);

  const auto statuses = registry.Statuses();
  REQUIRE(statuses.size() == 3);
  CHECK(statuses[1].last_error == "boom from throws");
  CHECK(statuses[2].last_error.find("timed out after 300ms") == 0);
  CHECK(statuses[0].success);
}

TEST_CASE("concurrent scrapes share one in-flight run of a slow collector") {
  medic::CollectorRegistry registry(30s);
  auto gated = std::make_shared<GatedCollector>();
  registry.Add(gated);
  const auto shared_runs = [&] { return registry.Statuses().at(0).shared_runs; };
  std::vector<std::thread> scrapers;
  scrapers.reserve(4);
  std::atomic<int> succeeded{0};
  for (int i = 0; i < 4; ++i) {
    scrapers.emplace_back([&] {
      if (SuccessOf(registry.Collect(), "gated") == 1) ++succeeded;
    });
  }
  // All four scrapes are in: one started the run, the other three joined it.
  REQUIRE(medic::test::WaitFor([&] { return shared_runs() == 3; }, 30s));
  gated->Open();
  for (auto& thread : scrapers) thread.join();
  CHECK(succeeded == 4);
  CHECK(gated->runs == 1);
  registry.Collect();
  CHECK(gated->runs == 2);  // a new scrape after the run finished starts a fresh one
  CHECK(shared_runs() == 3);
}

TEST_CASE("a hung collector is not started twice while it still runs") {
  medic::CollectorRegistry registry(100ms);
  auto hung = std::make_shared<FixedCollector>("hung", 1500ms);
  registry.Add(hung);
  registry.Collect();
  registry.Collect();
  registry.Collect();
  CHECK(hung->runs == 1);
  CHECK(registry.Statuses().at(0).shared_runs == 2);
  // The detached run ends before the test does (its collector outlives the registry anyway).
  CHECK(medic::test::WaitFor([&] { return hung->finished == 1; }, 30s));
}

TEST_CASE("the thread count does not grow with scrapes; at most kMaxThreads run collectors") {
  const std::size_t before = ThreadCount();
  {
    medic::CollectorRegistry registry(5s);
    std::vector<std::shared_ptr<FixedCollector>> collectors;
    for (int i = 0; i < 6; ++i) {
      // Not "c" + std::to_string(i): GCC 12 at -O2 misreads that as an overlapping copy
      // (-Wrestrict) and the Release build with tests stops.
      std::string name = std::to_string(i);
      name.insert(name.begin(), 'c');
      collectors.push_back(std::make_shared<FixedCollector>(name, 20ms));
      registry.Add(collectors.back());
    }
    registry.Collect();
    const std::size_t after_first = ThreadCount();
    CHECK(after_first <= before + medic::CollectorRegistry::kMaxThreads);
    for (int scrape = 0; scrape < 20; ++scrape) {
      CHECK(SuccessOf(registry.Collect(), "c5") == 1);
    }
    CHECK(ThreadCount() <= after_first);
    for (const auto& collector : collectors) CHECK(collector->runs == 21);
  }
  // The registry joined its idle threads.
  CHECK(ThreadCount() <= before);
}

TEST_CASE("a hung collector holds one thread; the others answer in every scrape") {
  const std::size_t before = ThreadCount();
  auto hung = std::make_shared<GatedCollector>();
  {
    medic::CollectorRegistry registry(200ms);
    registry.Add(hung);
    registry.Add(std::make_shared<FixedCollector>("a"));
    registry.Add(std::make_shared<FixedCollector>("b"));
    for (int scrape = 0; scrape < 5; ++scrape) {
      const auto started = std::chrono::steady_clock::now();
      const auto families = registry.Collect();
      CHECK(std::chrono::steady_clock::now() - started < 1s);
      CHECK(SuccessOf(families, "gated") == 0);
      CHECK(SuccessOf(families, "a") == 1);
      CHECK(SuccessOf(families, "b") == 1);
    }
    CHECK(hung->runs == 1);
    CHECK(registry.Statuses().at(0).last_error == "timed out after 200ms (still running)");
    CHECK(ThreadCount() <= before + 3);
    // Dropping the registry (a reload) does not wait for the hung collector.
  }
  hung->Open();  // its thread, left to finish, now ends
  CHECK(medic::test::WaitFor([&] { return ThreadCount() <= before; }, 10s));
}

TEST_CASE("with more collectors than threads, one still waiting at the deadline times out") {
  medic::CollectorRegistry registry(300ms);
  std::vector<std::shared_ptr<GatedCollector>> hung;
  for (std::size_t i = 0; i < medic::CollectorRegistry::kMaxThreads; ++i) {
    hung.push_back(std::make_shared<GatedCollector>());
    registry.Add(hung.back());
  }
  auto waiting = std::make_shared<FixedCollector>("waiting");
  registry.Add(waiting);
  const auto families = registry.Collect();
  CHECK(SuccessOf(families, "waiting") == 0);
  CHECK(registry.Statuses().back().last_error ==
        "timed out after 300ms (waiting for a thread: other collectors still running)");
  for (const auto& gated : hung) gated->Open();
  // Its queued run goes ahead once a thread is free; the next scrape finds it done or running.
  CHECK(medic::test::WaitFor([&] { return waiting->finished == 1; }, 10s));
  CHECK(SuccessOf(registry.Collect(), "waiting") == 1);
}

TEST_CASE("Recent() reuses the latest scrape while it is young enough, else collects") {
  medic::CollectorRegistry registry(5s);
  auto counting = std::make_shared<FixedCollector>("counting");
  registry.Add(counting);
  registry.Collect();
  REQUIRE(counting->runs == 1);
  for (int view = 0; view < 10; ++view) {
    const auto recent = registry.Recent(1min);
    CHECK(Find(recent->families, "test_counting") != nullptr);
    CHECK(SuccessOf(recent->families, "counting") == 1);
  }
  CHECK(counting->runs == 1);  // ten page views, no collector run
  const auto first = registry.Recent(1min);
  CHECK(std::chrono::steady_clock::now() - first->started < 1min);
  CHECK(first->started_at <= std::chrono::system_clock::now());

  std::this_thread::sleep_for(20ms);
  const auto fresh = registry.Recent(10ms);  // older than that: collect now
  CHECK(counting->runs == 2);
  CHECK(fresh->started > first->started);
  CHECK(registry.Recent(1min) == fresh);  // and it becomes the latest
}

TEST_CASE("Recent() on a registry that never scraped collects") {
  medic::CollectorRegistry registry(5s);
  auto counting = std::make_shared<FixedCollector>("counting");
  registry.Add(counting);
  CHECK(SuccessOf(registry.Recent(1h)->families, "counting") == 1);
  CHECK(counting->runs == 1);
}
