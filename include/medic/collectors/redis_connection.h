#pragma once

#include "medic/config.h"

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

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

// The settings to scrape the target of GET /scrape?target=…, redis_exporter's syntax:
// "redis://[user:password@]host:port[/db]", "unix:///path" or a bare "host:port". The password
// in the URL (percent-decoded) wins; without one, a target at `configured.address` borrows the
// configured username and password, so Prometheus's config need not hold the secret. rediss://
// is refused (hiredis 0.14 has no TLS). Throws std::invalid_argument with a reason that never
// holds the password.
RedisSettings RedisSettingsForTarget(const std::string& target, const RedisSettings* configured);

// A failed step of a scrape; `io` marks a broken connection worth one immediate reconnect.
struct RedisFailure : std::runtime_error {
  RedisFailure(const std::string& message, bool io) : std::runtime_error(message), io(io) {}
  bool io;
};

// One connection to one Redis server: dial + AUTH + SELECT, then commands, every step bounded by
// the caller's deadline. Error texts never hold the password (only the command name is named).
class RedisConnection {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // `settings.address` must parse (ParseRedisAddress); throws std::invalid_argument otherwise.
  explicit RedisConnection(RedisSettings settings);

  bool connected() const { return context_ != nullptr; }
  void Connect(Deadline deadline);
  void Close() { context_.reset(); }
  // Throws RedisFailure when no reply arrives (the connection is closed then). An error reply
  // is returned, not thrown.
  RedisReplyPtr Command(const std::vector<std::string>& argv, Deadline deadline);
  // Replaces the password wherever it appears in `message`.
  std::string Scrub(std::string message) const;
  const RedisSettings& settings() const { return settings_; }

 private:
  RedisSettings settings_;
  RedisAddress address_;
  RedisContextPtr context_;
};

// The text of a string, status or error reply ("" for other types).
std::string RedisReplyText(const redisReply& reply);
// Whether an error reply means the credentials were missing or wrong.
bool IsRedisAuthError(const std::string& message);

}  // namespace medic
