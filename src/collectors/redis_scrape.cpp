#include "medic/collectors/redis_scrape.h"

#include "medic/collectors/redis_exporter_families.h"
#include "medic/metric_family_builder.h"
#include "medic/sigpipe_guard.h"
#include "medic/valid_utf8.h"

namespace medic {
namespace {

using Clock = std::chrono::steady_clock;

// The label value of redis_exporter_last_scrape_error stays short: a server's error text is
// outside input.
constexpr std::size_t kMaxErrorLabelBytes = 256;

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

RedisSnapshot ReadSnapshot(RedisConnection& connection, RedisConnection::Deadline deadline) {
  RedisSnapshot snapshot;
  RedisReplyPtr info = connection.Command({"INFO", "ALL"}, deadline);
  if (info->type == REDIS_REPLY_ERROR) {
    const std::string text = RedisReplyText(*info);
    connection.Close();
    throw RedisFailure((IsRedisAuthError(text) ? "auth failed: " : "INFO failed: ") + text, false);
  }
  if (info->type != REDIS_REPLY_STRING && info->type != REDIS_REPLY_STATUS) {
    connection.Close();
    throw RedisFailure("INFO returned an unexpected reply type", false);
  }
  snapshot.info = ParseRedisInfo(std::string_view(info->str, info->len));
  // CONFIG and SLOWLOG may be renamed or denied by ACLs (managed Redis): the scrape goes on
  // without what they add, as redis_exporter's does.
  for (const std::string& parameter : RedisConfigParameters()) {
    RedisReplyPtr reply = connection.Command({"CONFIG", "GET", parameter}, deadline);
    if (reply->type != REDIS_REPLY_ARRAY) continue;
    for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
      snapshot.config[RedisReplyText(*reply->element[i])] = RedisReplyText(*reply->element[i + 1]);
    }
  }
  RedisReplyPtr length = connection.Command({"SLOWLOG", "LEN"}, deadline);
  if (length->type == REDIS_REPLY_INTEGER) {
    snapshot.slowlog_length = static_cast<double>(length->integer);
    RedisReplyPtr last = connection.Command({"SLOWLOG", "GET", "1"}, deadline);
    snapshot.slowlog_last_id = 0;
    // Each entry: [id, timestamp, microseconds, argv, …].
    if (last->type == REDIS_REPLY_ARRAY && last->elements > 0 &&
        last->element[0]->type == REDIS_REPLY_ARRAY && last->element[0]->elements >= 3) {
      const redisReply* entry = last->element[0];
      snapshot.slowlog_last_id = static_cast<double>(entry->element[0]->integer);
      snapshot.slowlog_last_duration_seconds =
          static_cast<double>(entry->element[2]->integer) / 1e6;
    }
  }
  return snapshot;
}

}  // namespace

RedisScrapeOutcome ScrapeRedis(RedisConnection& connection, Duration timeout) {
  SigpipeGuard no_sigpipe;  // hiredis write()s to a server that may have just died
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  RedisScrapeOutcome outcome;
  double connect_seconds = 0;
  RedisSnapshot snapshot;
  for (int attempt = 0;; ++attempt) {
    const bool reused = connection.connected();
    try {
      if (!reused) {
        const auto dial_started = Clock::now();
        connection.Connect(deadline);
        connect_seconds = std::chrono::duration<double>(Clock::now() - dial_started).count();
      }
      snapshot = ReadSnapshot(connection, deadline);
      outcome.up = true;
      break;
    } catch (const RedisFailure& failure) {
      // A kept connection may have died between scrapes: dial once more.
      if (reused && failure.io && attempt == 0 && Clock::now() < deadline) {
        connection.Close();
        continue;
      }
      connection.Close();
      outcome.error = connection.Scrub(failure.what());
      break;
    }
  }
  if (outcome.up) outcome.families = RedisExporterFamilies(snapshot, WallSeconds());
  MetricFamilyBuilder::Gauge("redis_up", "Information about the Redis instance")
      .Add(outcome.up ? 1 : 0)
      .MoveInto(outcome.families);
  MetricFamilyBuilder::Gauge("redis_exporter_last_scrape_duration_seconds",
                             "exporter_last_scrape_duration_seconds metric")
      .Add(std::chrono::duration<double>(Clock::now() - started).count())
      .MoveInto(outcome.families);
  MetricFamilyBuilder::Gauge("redis_exporter_last_scrape_connect_time_seconds",
                             "exporter_last_scrape_connect_time_seconds metric")
      .Add(connect_seconds)
      .MoveInto(outcome.families);
  const std::string error_label =
      outcome.error.substr(0, Utf8CutPoint(outcome.error, kMaxErrorLabelBytes));
  MetricFamilyBuilder::Gauge("redis_exporter_last_scrape_error", "The last scrape error status.")
      .Add(outcome.up ? 0 : 1, {{"err", error_label}})
      .MoveInto(outcome.families);
  return outcome;
}

}  // namespace medic
