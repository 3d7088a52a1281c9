#pragma once

#include "medic/collector.h"
#include "medic/collectors/redis_info.h"
#include "medic/config.h"

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace medic {

struct RedisContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextDeleter>;

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// Where to dial: a TCP host:port or a unix socket path.
struct RedisAddress {
  std::string host;  // empty for a unix socket
  int port = 0;
  std::string unix_path;  // empty for TCP
};
// Accepts "host:port", "[v6]:port", "unix:///path" and "/path"; throws std::invalid_argument.
RedisAddress ParseRedisAddress(const std::string& address);

// Replaces `redis-cli info stats` checks and redis_exporter for the figures medic needs.
// Keeps one connection between scrapes (a scrape is one INFO round trip), reconnects after an
// error, and bounds each scrape (connect + AUTH + SELECT + INFO) by the configured timeout.
// When Redis is unreachable or rejects the credentials it exports only medic_redis_up 0
// (exporting zeros for the counters would look like resets) and logs why.
class RedisCollector : public Collector {
 public:
  explicit RedisCollector(RedisSettings settings);
  std::string_view Name() const override { return "redis"; }
  std::vector<prometheus::MetricFamily> Collect() override;

  // Why the latest scrape could not read INFO ("" after a good one). Never contains the
  // password.
  std::string LastError() const;

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  RedisInfo FetchInfo(Deadline deadline);
  void Connect(Deadline deadline);
  RedisReplyPtr Command(const std::vector<std::string>& argv, Deadline deadline);
  std::string Scrub(std::string message) const;

  RedisSettings settings_;
  RedisAddress address_;
  RedisContextPtr context_;
  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace medic
