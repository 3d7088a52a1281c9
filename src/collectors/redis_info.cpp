#include "medic/collectors/redis_info.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace medic {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::int64_t> ParseInteger(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "keys=3,expires=1,avg_ttl=0" (unknown keys, e.g. Redis 7.4's subexpiry, are ignored).
std::optional<RedisKeyspace> ParseKeyspace(std::string_view value) {
  RedisKeyspace keyspace;
  bool saw_keys = false;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view pair = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const std::string_view key = pair.substr(0, equals);
    const auto number = ParseInteger(pair.substr(equals + 1));
    if (!number) return std::nullopt;
    if (key == "keys") {
      keyspace.keys = *number;
      saw_keys = true;
    } else if (key == "expires") {
      keyspace.expires = *number;
    } else if (key == "avg_ttl") {
      keyspace.avg_ttl_ms = *number;
    }
  }
  if (!saw_keys) return std::nullopt;
  return keyspace;
}

}  // namespace

std::optional<std::string_view> RedisInfo::Field(std::string_view section,
                                                 std::string_view field) const {
  const auto found_section = sections.find(section);
  if (found_section == sections.end()) return std::nullopt;
  const auto found = found_section->second.find(field);
  if (found == found_section->second.end()) return std::nullopt;
  return std::string_view(found->second);
}

std::optional<double> RedisInfo::Number(std::string_view section, std::string_view field) const {
  const auto text = Field(section, field);
  if (!text || text->empty()) return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

RedisInfo ParseRedisInfo(std::string_view text) {
  RedisInfo info;
  std::string section;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    line = Trim(line);  // also drops the '\r' of "\r\n"
    if (line.empty()) continue;
    if (line.front() == '#') {
      // "# Server" opens a section; a '#' line with several words is a comment and leaves
      // the current section as it is.
      const std::string_view name = Trim(line.substr(1));
      if (!name.empty() && name.find_first_of(" \t") == std::string_view::npos) {
        section = Lower(name);
        info.sections[section];  // an empty section ("# Modules") is still a section
      }
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      ++info.malformed_lines;
      continue;
    }
    const std::string_view field = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (section == "keyspace") {
      if (auto keyspace = ParseKeyspace(value)) {
        info.keyspace[std::string(field)] = *keyspace;
      } else {
        ++info.malformed_lines;
      }
    }
    info.sections[section][std::string(field)] = std::string(value);
  }
  return info;
}

}  // namespace medic
