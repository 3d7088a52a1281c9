#pragma once

#include "medic/collectors/redis_connection.h"
#include "medic/duration.h"

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace medic {

struct RedisScrapeOutcome {
  bool up = false;
  std::string error;  // why not, scrubbed of the password; "" when up
  std::vector<prometheus::MetricFamily> families;
};

// One scrape of one Redis server as redis_exporter does it: INFO ALL, CONFIG GET, SLOWLOG, then
// redis_exporter's families (RedisExporterFamilies) plus redis_up and
// redis_exporter_last_scrape_{duration,connect_time}_seconds and
// redis_exporter_last_scrape_error{err}. Dials when `connection` is closed; a kept connection
// that broke (server restarted) is dialled once more within the same deadline. When Redis is
// unreachable or refuses the credentials only redis_up 0 and the scrape metrics are published
// (zeros for the counters would look like resets). Never throws for Redis failures.
RedisScrapeOutcome ScrapeRedis(RedisConnection& connection, Duration timeout);

}  // namespace medic
