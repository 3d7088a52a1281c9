#pragma once

#include "medic/duration.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace medic {

// A configuration error that names where it is: "file:line:column: key.path: message".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& source, int line, int column, const std::string& key_path,
              const std::string& message);
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

// A YAML node plus where it came from, with strict typed accessors. Every failure throws a
// ConfigError naming the source, line, column and key path.
class ConfigNode {
 public:
  ConfigNode(const YAML::Node& node, std::string key_path,
             std::shared_ptr<const std::string> source);

  const std::string& key_path() const { return key_path_; }
  const YAML::Node& yaml() const { return node_; }
  bool IsNull() const { return !node_.IsDefined() || node_.IsNull(); }
  bool IsMap() const { return node_.IsMap(); }
  bool IsSequence() const { return node_.IsSequence(); }
  bool IsScalar() const { return node_.IsScalar(); }

  // Scalars. String() expands ${ENV} references ("$$" is a literal "$").
  std::string String() const;
  std::string NonEmptyString() const;
  bool Bool() const;
  std::int64_t Int(std::int64_t min, std::int64_t max) const;
  Duration DurationValue() const;
  // A size in bytes: a plain integer or one with a unit, 512KiB, 256MiB, 1GiB (KB, MB, GB are
  // the same powers of 1024, as in Prometheus' storage.tsdb.retention.size).
  std::uint64_t ByteSize(std::uint64_t min, std::uint64_t max) const;
  std::vector<std::string> StringList() const;
  std::map<std::string, std::string> StringMap() const;
  std::vector<ConfigNode> Items() const;  // a sequence's elements

  [[noreturn]] void Fail(const std::string& message) const;

  // A node below this one, sharing its source. `mark_from` locates errors when `node` has no
  // position of its own (a key written with no value).
  ConfigNode Child(const YAML::Node& node, std::string key_path,
                   const YAML::Node& mark_from = YAML::Node()) const;

 private:
  YAML::Node node_;
  YAML::Node mark_from_;
  std::string key_path_;
  std::shared_ptr<const std::string> source_;
};

// Reads a mapping strictly: every key must be asked for, or Finish() rejects it by name.
class MapReader {
 public:
  explicit MapReader(const ConfigNode& node);  // a null node reads as an empty map

  std::optional<ConfigNode> Optional(std::string_view key);
  ConfigNode Required(std::string_view key);
  bool Has(std::string_view key) const;

  // Secret value from `key` or `key_file` (file content, trailing newline trimmed), or "".
  std::string Secret(std::string_view key);

  // Throws on the first key that was never asked for, listing the keys that are allowed.
  void Finish() const;
  const ConfigNode& node() const { return node_; }

 private:
  ConfigNode ChildFor(const YAML::Node& key, const YAML::Node& value) const;
  ConfigNode node_;
  std::vector<std::pair<YAML::Node, YAML::Node>> entries_;
  std::set<std::string, std::less<>> asked_;
};

}  // namespace medic
