#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace medic {

// One line of INFO's "# Keyspace" section, e.g. "db0:keys=3,expires=1,avg_ttl=0".
struct RedisKeyspace {
  std::int64_t keys = 0;
  std::int64_t expires = 0;
  std::int64_t avg_ttl_ms = 0;
};

// The reply of Redis' INFO command, parsed once into sections of fields so collectors look
// values up by (section, field) instead of searching the raw text.
struct RedisInfo {
  // Section names are lower-cased ("server", "clients", "memory", "stats", …). Fields that
  // appear before any "# Section" header land in section "".
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> sections;
  // Keyed by database name as Redis prints it ("db0", "db15").
  std::map<std::string, RedisKeyspace, std::less<>> keyspace;
  // Lines that were neither a header, a comment, blank nor "field:value".
  std::size_t malformed_lines = 0;

  std::optional<std::string_view> Field(std::string_view section, std::string_view field) const;
  // The field as a number; nullopt when missing or not entirely numeric.
  std::optional<double> Number(std::string_view section, std::string_view field) const;
};

// Parses INFO text ("\r\n" or "\n" line ends). Never throws on odd input: unknown sections and
// fields are kept, values may contain ':' (only the first one separates), malformed lines are
// counted and skipped.
RedisInfo ParseRedisInfo(std::string_view text);

}  // namespace medic
