#pragma once

#include "medic/collector.h"
#include "medic/collectors/redis_connection.h"
#include "medic/config.h"

#include <cstdint>
#include <mutex>
#include <string>

namespace medic {

// The Redis in medic's config, with redis_exporter's names (see ScrapeRedis), replacing
// `redis-cli info` checks and a redis_exporter beside it. Keeps one connection between scrapes
// (reconnecting after an error) and bounds each scrape by the configured timeout. Other Redis
// servers are scraped on demand through GET /scrape?target=redis://… (web/multi_target_routes).
class RedisCollector : public Collector {
 public:
  explicit RedisCollector(const RedisSettings& settings);
  std::string_view Name() const override { return "redis"; }
  std::vector<prometheus::MetricFamily> Collect() override;

  // Why the latest scrape could not read INFO ("" after a good one). Never contains the
  // password.
  std::string LastError() const override;

 private:
  RedisConnection connection_;
  Duration timeout_;
  std::uint64_t scrapes_ = 0;
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace medic
