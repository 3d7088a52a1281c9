#pragma once

#include "medic/collectors/redis_info.h"

#include <prometheus/metric_family.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace medic {

// What one scrape read from a Redis server.
struct RedisSnapshot {
  RedisInfo info;                             // INFO ALL
  std::map<std::string, std::string> config;  // CONFIG GET of maxmemory, maxclients, …
  std::optional<double> slowlog_length;       // SLOWLOG LEN
  std::optional<double> slowlog_last_id;      // SLOWLOG GET 1: id and duration of the newest
  std::optional<double> slowlog_last_duration_seconds;
};

// The Redis families redis_exporter 1.45 publishes for the same server, with its names, types,
// label names and label values (measured side by side against Debian's prometheus-redis-exporter):
// every INFO field it maps (metricMapGauges / metricMapCounters), the commandstats, errorstats
// and latencystats sections, the keyspace (every database up to CONFIG databases, zeros
// included), redis_instance_info, redis_start_time_seconds, redis_config_* and the slowlog.
// redis_up and the redis_exporter_* self metrics are the scraper's (they describe the scrape).
std::vector<prometheus::MetricFamily> RedisExporterFamilies(const RedisSnapshot& snapshot,
                                                            double now_seconds);

// The CONFIG parameters the families read.
const std::vector<std::string>& RedisConfigParameters();

}  // namespace medic
