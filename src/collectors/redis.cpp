#include "medic/collectors/redis.h"

#include "medic/collectors/redis_scrape.h"
#include "medic/metric_family_builder.h"

#include <spdlog/spdlog.h>

namespace medic {

RedisCollector::RedisCollector(const RedisSettings& settings)
    : connection_(settings), timeout_(settings.timeout) {}

std::string RedisCollector::LastError() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

std::vector<prometheus::MetricFamily> RedisCollector::Collect() {
  RedisScrapeOutcome outcome = ScrapeRedis(connection_, timeout_);
  ++scrapes_;
  {
    std::lock_guard lock(error_mutex_);
    const std::string& address = connection_.settings().address;
    if (!outcome.error.empty() && outcome.error != last_error_) {
      spdlog::warn("redis {}: {}", address, outcome.error);
    } else if (outcome.error.empty() && !last_error_.empty()) {
      spdlog::info("redis {}: reachable again", address);
    }
    last_error_ = outcome.error;
  }
  MetricFamilyBuilder::Counter("redis_exporter_scrapes_total", "Current total redis scrapes.")
      .Add(static_cast<double>(scrapes_))
      .MoveInto(outcome.families);
  return std::move(outcome.families);
}

}  // namespace medic
