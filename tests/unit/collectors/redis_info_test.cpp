#include "medic/collectors/redis_info.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

namespace {

medic::RedisInfo LoadFixture(const std::string& name) {
  const std::string text =
      medic::test::ReadFile(std::string(MEDIC_FIXTURES_DIR) + "/redis/" + name);
  REQUIRE_FALSE(text.empty());
  return medic::ParseRedisInfo(text);
}

}  // namespace

TEST_CASE("INFO from Redis 7 (recorded) parses every section") {
  const medic::RedisInfo info = LoadFixture("info_redis7.txt");
  for (const char* section :
       {"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
        "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}) {
    CAPTURE(section);
    CHECK(info.sections.count(section) == 1);
  }
  CHECK(info.Field("server", "redis_version") == "7.0.15");
  CHECK(info.Field("server", "redis_mode") == "standalone");
  CHECK(info.Number("stats", "keyspace_hits") == 1);
  CHECK(info.Number("stats", "keyspace_misses") == 1);
  CHECK(info.Number("memory", "maxmemory") == 0);
  CHECK(info.Field("memory", "maxmemory_policy") == "noeviction");
  CHECK(info.Field("server", "executable") == "/usr/bin/redis-server");
  // The field's value has no trailing '\r' left over from "\r\n".
  CHECK(info.Field("server", "config_file") == "");
  // commandstats values are lists themselves: kept as text.
  CHECK(info.Field("commandstats", "cmdstat_get") ==
        "calls=2,usec=12,usec_per_call=6.00,rejected_calls=0,failed_calls=0");
  REQUIRE(info.keyspace.size() == 2);
  CHECK(info.keyspace.at("db0").keys == 2);
  CHECK(info.keyspace.at("db0").expires == 1);
  CHECK(info.keyspace.at("db0").avg_ttl_ms == 999900);
  CHECK(info.keyspace.at("db3").keys == 1);
  CHECK(info.keyspace.at("db3").expires == 0);
  CHECK(info.malformed_lines == 0);
}

TEST_CASE("INFO from Redis 6 with odd lines") {
  const medic::RedisInfo info = LoadFixture("info_redis6.txt");
  CHECK(info.Field("server", "redis_version") == "6.2.14");
  CHECK(info.Number("server", "uptime_in_seconds") == 86461);
  CHECK(info.Number("clients", "connected_clients") == 7);
  CHECK(info.Number("clients", "blocked_clients") == 2);
  // A free-form comment line does not open a section: the fields after it stay in Memory.
  CHECK(info.Number("memory", "used_memory") == 1048576);
  CHECK(info.Number("memory", "maxmemory") == 268435456);
  CHECK(info.Field("memory", "maxmemory_policy") == "allkeys-lru");
  CHECK(info.Field("memory", "a_field_from_the_future") == "42");
  CHECK(info.Number("stats", "rejected_connections") == 5);
  CHECK(info.Number("stats", "evicted_keys") == 17);
  CHECK(info.Number("stats", "expired_keys") == 321);
  CHECK(info.Number("stats", "keyspace_hits") == 1000);
  CHECK(info.Number("stats", "keyspace_misses") == 250);
  // Only the first ':' separates field and value.
  CHECK(info.Field("replication", "slave0") == "ip=::1,port=6380,state=online,offset=14,lag=1");
  CHECK(info.Field("server", "os") == "Linux 5.10.0-28-amd64 x86_64");
  CHECK(info.Number("cpu", "used_cpu_sys") == doctest::Approx(12.345678));
  // Non-numeric text is not a number.
  CHECK_FALSE(info.Number("memory", "used_memory_human").has_value());
  CHECK_FALSE(info.Number("stats", "no_such_field").has_value());
  CHECK_FALSE(info.Number("no_such_section", "keyspace_hits").has_value());
  CHECK(info.sections.count("modules") == 1);
  CHECK(info.sections.at("modules").empty());
  // "this line has no separator" and ":starts with a colon".
  CHECK(info.malformed_lines == 2);
  REQUIRE(info.keyspace.size() == 3);
  CHECK(info.keyspace.at("db0").keys == 120);
  CHECK(info.keyspace.at("db0").expires == 30);
  CHECK(info.keyspace.at("db1").keys == 5);
  // Unknown keyspace attributes (Redis 7.4's subexpiry) are ignored.
  CHECK(info.keyspace.at("db15").keys == 1);
  CHECK(info.keyspace.at("db15").avg_ttl_ms == 12);
}

TEST_CASE("INFO parser survives junk") {
  CHECK(medic::ParseRedisInfo("").sections.empty());
  const medic::RedisInfo info = medic::ParseRedisInfo(
      "loose:1\n#\n# Keyspace\ndb0:keys=nope\ndb1:expires=3\ndb2:keys=4\n\n\r\n\0x:y");
  CHECK(info.Field("", "loose") == "1");
  CHECK(info.keyspace.size() == 1);
  CHECK(info.keyspace.at("db2").keys == 4);
  CHECK(info.malformed_lines == 2);
  // Unterminated last line without a newline still counts.
  CHECK(medic::ParseRedisInfo("# Stats\r\nkeyspace_hits:7").Number("stats", "keyspace_hits") == 7);
  // Overflowing integers in the keyspace are rejected rather than wrapped.
  CHECK(medic::ParseRedisInfo("# Keyspace\ndb0:keys=99999999999999999999999").keyspace.empty());
}
