#include "medic/collectors/redis.h"

#include "medic/metric_family_builder.h"
#include "medic/sigpipe_guard.h"

#include <spdlog/spdlog.h>

#include <sys/time.h>
#include <charconv>
#include <stdexcept>

namespace medic {
namespace {

using Clock = std::chrono::steady_clock;

// A failed step of a scrape; `io` marks a broken connection worth one immediate reconnect.
struct RedisFailure : std::runtime_error {
  RedisFailure(const std::string& message, bool io) : std::runtime_error(message), io(io) {}
  bool io;
};

// hiredis treats a zero timeval as "no timeout", so never hand it one.
timeval Remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  if (left.count() <= 0) throw RedisFailure("timed out", true);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(left.count() % 1000000);
  return tv;
}

bool IsAuthError(const std::string& message) {
  for (const char* prefix : {"WRONGPASS", "NOAUTH", "NOPERM", "ERR invalid password",
                             "ERR invalid username", "ERR AUTH", "ERR Client sent AUTH"}) {
    if (message.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string ReplyText(const redisReply& reply) {
  if (reply.str == nullptr) return {};
  return std::string(reply.str, reply.len);
}

}  // namespace

RedisAddress ParseRedisAddress(const std::string& address) {
  RedisAddress result;
  if (address.rfind("unix://", 0) == 0) {
    result.unix_path = address.substr(7);
  } else if (!address.empty() && address.front() == '/') {
    result.unix_path = address;
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
      throw std::invalid_argument("redis address \"" + address +
                                  "\" is neither host:port nor a unix socket path");
    }
    result.host = address.substr(0, colon);
    if (result.host.size() >= 2 && result.host.front() == '[' && result.host.back() == ']') {
      result.host = result.host.substr(1, result.host.size() - 2);
    }
    const std::string port = address.substr(colon + 1);
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), result.port);
    if (error != std::errc() || end != port.data() + port.size() || result.port <= 0 ||
        result.port > 65535) {
      throw std::invalid_argument("redis address \"" + address + "\" has a bad port");
    }
  }
  if (result.host.empty() && result.unix_path.empty()) {
    throw std::invalid_argument("redis address \"" + address + "\" is empty");
  }
  return result;
}

RedisCollector::RedisCollector(RedisSettings settings)
    : settings_(std::move(settings)), address_(ParseRedisAddress(settings_.address)) {}

std::string RedisCollector::LastError() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

std::string RedisCollector::Scrub(std::string message) const {
  // Servers do not echo the password, but never let one reach a log or the landing page.
  if (settings_.password.empty()) return message;
  for (std::size_t at = message.find(settings_.password); at != std::string::npos;
       at = message.find(settings_.password, at)) {
    message.replace(at, settings_.password.size(), "<redacted>");
  }
  return message;
}

void RedisCollector::Connect(Deadline deadline) {
  context_.reset();
  const timeval timeout = Remaining(deadline);
  RedisContextPtr context(
      address_.unix_path.empty()
          ? redisConnectWithTimeout(address_.host.c_str(), address_.port, timeout)
          : redisConnectUnixWithTimeout(address_.unix_path.c_str(), timeout));
  if (!context) throw RedisFailure("cannot allocate a redis context", false);
  if (context->err != 0) {
    throw RedisFailure(
        std::string("connect to ") + settings_.address + " failed: " + context->errstr, false);
  }
  context_ = std::move(context);
  if (!settings_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!settings_.username.empty()) auth.push_back(settings_.username);
    auth.push_back(settings_.password);
    RedisReplyPtr reply = Command(auth, deadline);
    if (reply->type == REDIS_REPLY_ERROR) {
      context_.reset();
      throw RedisFailure("auth failed: " + ReplyText(*reply), false);
    }
  }
  if (settings_.db != 0) {
    RedisReplyPtr reply = Command({"SELECT", std::to_string(settings_.db)}, deadline);
    if (reply->type == REDIS_REPLY_ERROR) {
      context_.reset();
      throw RedisFailure("SELECT " + std::to_string(settings_.db) + " failed: " + ReplyText(*reply),
                         false);
    }
  }
}

RedisReplyPtr RedisCollector::Command(const std::vector<std::string>& argv, Deadline deadline) {
  if (redisSetTimeout(context_.get(), Remaining(deadline)) != REDIS_OK) {
    context_.reset();
    throw RedisFailure("cannot set the socket timeout", true);
  }
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  RedisReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
      context_.get(), static_cast<int>(args.size()), args.data(), lengths.data())));
  if (!reply) {
    // Only the command name: AUTH's arguments are secrets.
    std::string message =
        argv.front() + " failed: " + (context_->err != 0 ? context_->errstr : "no reply");
    if (context_->err == REDIS_ERR_IO && context_->errstr[0] != '\0' &&
        std::string(context_->errstr).find("temporarily unavailable") != std::string::npos) {
      message = argv.front() + " timed out";
    }
    context_.reset();
    throw RedisFailure(message, true);
  }
  return reply;
}

RedisInfo RedisCollector::FetchInfo(Deadline deadline) {
  const bool reused = context_ != nullptr;
  try {
    if (!context_) Connect(deadline);
    RedisReplyPtr reply = Command({"INFO", "all"}, deadline);
    if (reply->type == REDIS_REPLY_ERROR) {
      const std::string text = ReplyText(*reply);
      context_.reset();
      throw RedisFailure((IsAuthError(text) ? "auth failed: " : "INFO failed: ") + text, false);
    }
    if (reply->type != REDIS_REPLY_STRING) {
      context_.reset();
      throw RedisFailure("INFO returned an unexpected reply type", false);
    }
    return ParseRedisInfo(std::string_view(reply->str, reply->len));
  } catch (const RedisFailure& failure) {
    // A kept connection may have died between scrapes (server restarted): dial once more.
    if (reused && failure.io && Clock::now() < deadline) return FetchInfo(deadline);
    throw;
  }
}

std::vector<prometheus::MetricFamily> RedisCollector::Collect() {
  SigpipeGuard no_sigpipe;  // hiredis write()s to a server that may have just died
  const Deadline deadline = Clock::now() + settings_.timeout;
  std::vector<prometheus::MetricFamily> families;
  auto up = MetricFamilyBuilder::Gauge(
      "medic_redis_up", "Whether the last INFO from Redis succeeded (1) or not (0).");
  RedisInfo info;
  try {
    info = FetchInfo(deadline);
  } catch (const RedisFailure& failure) {
    const std::string error = Scrub(failure.what());
    {
      std::lock_guard lock(error_mutex_);
      if (error != last_error_) spdlog::warn("redis {}: {}", settings_.address, error);
      last_error_ = error;
    }
    up.Add(0);
    std::move(up).MoveInto(families);
    return families;
  }
  {
    std::lock_guard lock(error_mutex_);
    if (!last_error_.empty()) spdlog::info("redis {}: reachable again", settings_.address);
    last_error_.clear();
  }
  up.Add(1);
  std::move(up).MoveInto(families);

  auto add = [&](MetricFamilyBuilder builder, std::string_view section, std::string_view field) {
    if (auto value = info.Number(section, field)) {
      builder.Add(*value);
      std::move(builder).MoveInto(families);
    }
  };
  add(MetricFamilyBuilder::Counter("medic_redis_keyspace_hits_total",
                                   "Successful key lookups (INFO stats keyspace_hits)."),
      "stats", "keyspace_hits");
  add(MetricFamilyBuilder::Counter("medic_redis_keyspace_misses_total",
                                   "Failed key lookups (INFO stats keyspace_misses)."),
      "stats", "keyspace_misses");
  add(MetricFamilyBuilder::Gauge("medic_redis_memory_used_bytes",
                                 "Bytes allocated by Redis (INFO memory used_memory)."),
      "memory", "used_memory");
  add(MetricFamilyBuilder::Gauge("medic_redis_memory_max_bytes",
                                 "Configured maxmemory in bytes; 0 means no limit."),
      "memory", "maxmemory");
  add(MetricFamilyBuilder::Counter("medic_redis_evicted_keys_total",
                                   "Keys evicted because of the maxmemory limit."),
      "stats", "evicted_keys");
  add(MetricFamilyBuilder::Counter("medic_redis_expired_keys_total", "Key expiration events."),
      "stats", "expired_keys");
  add(MetricFamilyBuilder::Gauge("medic_redis_connected_clients",
                                 "Client connections, not counting replicas."),
      "clients", "connected_clients");
  add(MetricFamilyBuilder::Gauge("medic_redis_blocked_clients",
                                 "Clients waiting on a blocking call."),
      "clients", "blocked_clients");
  add(MetricFamilyBuilder::Counter("medic_redis_rejected_connections_total",
                                   "Connections rejected because of the maxclients limit."),
      "stats", "rejected_connections");
  add(MetricFamilyBuilder::Gauge("medic_redis_uptime_seconds",
                                 "Seconds since the Redis server started."),
      "server", "uptime_in_seconds");

  auto keys = MetricFamilyBuilder::Gauge("medic_redis_db_keys", "Keys in each database.");
  auto expiring = MetricFamilyBuilder::Gauge("medic_redis_db_keys_expiring",
                                             "Keys with an expiry in each database.");
  for (const auto& [db, keyspace] : info.keyspace) {
    keys.Add(static_cast<double>(keyspace.keys), {{"db", db}});
    expiring.Add(static_cast<double>(keyspace.expires), {{"db", db}});
  }
  std::move(keys).MoveInto(families);
  std::move(expiring).MoveInto(families);

  if (auto policy = info.Field("memory", "maxmemory_policy")) {
    auto policy_info = MetricFamilyBuilder::Gauge("medic_redis_maxmemory_policy_info",
                                                  "The eviction policy in effect, as a label.");
    policy_info.Add(1, {{"policy", std::string(*policy)}});
    std::move(policy_info).MoveInto(families);
  }
  const auto version = info.Field("server", "redis_version");
  const auto mode = info.Field("server", "redis_mode");
  auto server_info =
      MetricFamilyBuilder::Gauge("medic_redis_info", "Redis version and mode, as labels.");
  server_info.Add(1, {{"version", std::string(version.value_or(""))},
                      {"mode", std::string(mode.value_or(""))}});
  std::move(server_info).MoveInto(families);
  return families;
}

}  // namespace medic
