#include "medic/collectors/redis.h"

#include "support/black_hole_listener.h"
#include "support/metric_lookup.h"
#include "support/redis_server.h"
#include "support/test_support.h"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using medic::test::FindMetric;

namespace {

medic::RedisSettings Settings(const std::string& address, std::chrono::milliseconds timeout = 2s) {
  medic::RedisSettings settings;
  settings.address = address;
  settings.timeout = timeout;
  return settings;
}

std::chrono::milliseconds Elapsed(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since);
}

}  // namespace

TEST_CASE("redis collector reads INFO from a real redis-server") {
  medic::test::RedisServer server;
  medic::RedisCollector collector(Settings(server.address()));

  auto families = collector.Collect();
  CHECK(collector.LastError() == "");
  CHECK(FindMetric(families, "redis_up") == 1);
  const double hits = FindMetric(families, "redis_keyspace_hits_total").value_or(-1);
  const double misses = FindMetric(families, "redis_keyspace_misses_total").value_or(-1);
  CHECK(hits >= 0);
  CHECK(misses >= 0);
  // Every database up to CONFIG databases, zeros included, as redis_exporter reports them.
  CHECK(FindMetric(families, "redis_db_keys", {{"db", "db0"}}) == 0);
  CHECK(FindMetric(families, "redis_db_keys", {{"db", "db15"}}) == 0);

  CHECK(server.Cli({"SET", "present", "1"}).find("OK") != std::string::npos);
  CHECK(server.Cli({"SET", "leased", "1", "EX", "3600"}).find("OK") != std::string::npos);
  server.Cli({"GET", "present"});
  server.Cli({"GET", "present"});
  server.Cli({"GET", "absent"});

  families = collector.Collect();
  CHECK(FindMetric(families, "redis_up") == 1);
  // Our own INFO calls touch no keys, so the counters move exactly by the test's GETs.
  CHECK(FindMetric(families, "redis_keyspace_hits_total") == hits + 2);
  CHECK(FindMetric(families, "redis_keyspace_misses_total") == misses + 1);
  CHECK(FindMetric(families, "redis_db_keys", {{"db", "db0"}}) == 2);
  CHECK(FindMetric(families, "redis_db_keys_expiring", {{"db", "db0"}}) == 1);
  CHECK(FindMetric(families, "redis_memory_used_bytes").value_or(0) > 0);
  CHECK(FindMetric(families, "redis_memory_max_bytes") == 0);
  CHECK(FindMetric(families, "redis_instance_info", {{"maxmemory_policy", "noeviction"}}) == 1);
  CHECK(FindMetric(families, "redis_instance_info", {{"redis_mode", "standalone"}}) == 1);
  CHECK(FindMetric(families, "redis_evicted_keys_total") == 0);
  CHECK(FindMetric(families, "redis_expired_keys_total").has_value());
  CHECK(FindMetric(families, "redis_rejected_connections_total") == 0);
  CHECK(FindMetric(families, "redis_blocked_clients") == 0);
  // The collector's kept connection is one client.
  CHECK(FindMetric(families, "redis_connected_clients").value_or(0) >= 1);
  CHECK(FindMetric(families, "redis_uptime_in_seconds").value_or(-1) >= 0);

  // One kept connection: many scrapes do not pile up clients.
  for (int i = 0; i < 5; ++i) families = collector.Collect();
  CHECK(FindMetric(families, "redis_connected_clients") == 1);
  CHECK(FindMetric(families, "redis_instance_info", {{"redis_version", ""}}) == std::nullopt);
}

TEST_CASE("redis AUTH: right password, wrong password, none, and a username") {
  const std::string password = "s3cret-Pass word";
  medic::test::RedisServer server(password);

  auto settings = Settings(server.address());
  settings.password = password;
  medic::RedisCollector good(settings);
  CHECK(FindMetric(good.Collect(), "redis_up") == 1);

  settings.username = "default";
  medic::RedisCollector with_user(settings);
  CHECK(FindMetric(with_user.Collect(), "redis_up") == 1);

  settings.username = "";
  settings.password = "wrong-" + password;
  medic::RedisCollector wrong(settings);
  const auto families = wrong.Collect();
  CHECK(FindMetric(families, "redis_up") == 1 - 1);
  // Only up and the exporter's own scrape figures, as redis_exporter: no fake zero counters.
  for (const auto& family : families) {
    CAPTURE(family.name);
    CHECK((family.name == "redis_up" || family.name.rfind("redis_exporter_", 0) == 0));
  }
  CHECK(FindMetric(families, "redis_exporter_last_scrape_error").has_value());
  INFO("error: " << wrong.LastError());
  CHECK(wrong.LastError().find("auth failed") != std::string::npos);
  CHECK(wrong.LastError().find(password) == std::string::npos);
  // Repeated scrapes keep failing cleanly.
  CHECK(FindMetric(wrong.Collect(), "redis_up") == 0);

  medic::RedisCollector anonymous(Settings(server.address()));
  CHECK(FindMetric(anonymous.Collect(), "redis_up") == 0);
  INFO("error: " << anonymous.LastError());
  CHECK(anonymous.LastError().find("auth failed") != std::string::npos);
}

TEST_CASE("redis killed mid-test: up 0 within the timeout, back to 1 after restart") {
  medic::test::RedisServer server;
  medic::RedisCollector collector(Settings(server.address(), 1s));
  REQUIRE(FindMetric(collector.Collect(), "redis_up") == 1);

  server.Kill();
  auto started = std::chrono::steady_clock::now();
  CHECK(FindMetric(collector.Collect(), "redis_up") == 0);
  CHECK(Elapsed(started) < 1500ms);
  INFO("error: " << collector.LastError());
  CHECK_FALSE(collector.LastError().empty());
  CHECK(FindMetric(collector.Collect(), "redis_up") == 0);

  server.Start();  // same port
  // The very first scrape after the restart reconnects.
  CHECK(FindMetric(collector.Collect(), "redis_up") == 1);
  CHECK(collector.LastError() == "");

  // A restart between two scrapes leaves a dead kept connection: the next scrape redials.
  server.Kill();
  server.Start();
  CHECK(FindMetric(collector.Collect(), "redis_up") == 1);
}

TEST_CASE("a server that accepts and never answers costs one timeout") {
  medic::test::BlackHoleListener black_hole;
  medic::RedisCollector collector(
      Settings("127.0.0.1:" + std::to_string(black_hole.port()), 800ms));
  for (int i = 0; i < 2; ++i) {
    const auto started = std::chrono::steady_clock::now();
    CHECK(FindMetric(collector.Collect(), "redis_up") == 0);
    const auto elapsed = Elapsed(started);
    CHECK(elapsed >= 700ms);
    CHECK(elapsed < 1500ms);
    INFO("error: " << collector.LastError());
    CHECK(collector.LastError().find("timed out") != std::string::npos);
  }
}

TEST_CASE("redis address forms and bad addresses") {
  CHECK(medic::ParseRedisAddress("127.0.0.1:6379").port == 6379);
  CHECK(medic::ParseRedisAddress("[::1]:6380").host == "::1");
  CHECK(medic::ParseRedisAddress("unix:///run/redis.sock").unix_path == "/run/redis.sock");
  CHECK(medic::ParseRedisAddress("/run/redis.sock").unix_path == "/run/redis.sock");
  CHECK_THROWS_AS(medic::ParseRedisAddress("localhost"), std::invalid_argument);
  CHECK_THROWS_AS(medic::ParseRedisAddress("localhost:0"), std::invalid_argument);
  CHECK_THROWS_AS(medic::ParseRedisAddress("localhost:99999"), std::invalid_argument);
  CHECK_THROWS_AS(medic::ParseRedisAddress(":6379"), std::invalid_argument);

  // A unix socket path with nothing behind it: up 0, no crash.
  medic::test::TempDir dir;
  medic::RedisCollector collector(Settings(dir.Join("missing.sock")));
  CHECK(FindMetric(collector.Collect(), "redis_up") == 0);
  CHECK(collector.LastError().find("connect to") != std::string::npos);
}
