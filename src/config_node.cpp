#include "medic/config_node.h"

#include "medic/secret_text.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace medic {
namespace {

std::string Describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return "\"" + node.Scalar() + "\"";
}

std::string ExpandEnvironment(const std::string& text, const ConfigNode& where) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      const std::size_t close = text.find('}', i + 2);
      if (close == std::string::npos) where.Fail("unterminated ${ in value");
      const std::string name = text.substr(i + 2, close - i - 2);
      const char* value = std::getenv(name.c_str());
      if (name.empty() || value == nullptr) {
        where.Fail("environment variable \"" + name + "\" is not set");
      }
      out += value;
      i = close;
      continue;
    }
    out += '$';
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(const std::string& source, int line, int column,
                         const std::string& key_path, const std::string& message)
    : std::runtime_error(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                         (key_path.empty() ? std::string() : key_path + ": ") + message) {}

ConfigNode::ConfigNode(const YAML::Node& node, std::string key_path,
                       std::shared_ptr<const std::string> source)
    : node_(node), key_path_(std::move(key_path)), source_(std::move(source)) {}

ConfigNode ConfigNode::Child(const YAML::Node& node, std::string key_path,
                             const YAML::Node& mark_from) const {
  ConfigNode child(node, std::move(key_path), source_);
  child.mark_from_ = mark_from;
  return child;
}

void ConfigNode::Fail(const std::string& message) const {
  int line = 0;
  int column = 0;
  for (const YAML::Node* candidate : {&node_, &mark_from_}) {
    if (!candidate->IsDefined()) continue;
    const YAML::Mark mark = candidate->Mark();
    if (mark.is_null() || (candidate == &node_ && node_.IsNull() && mark_from_.IsDefined())) {
      continue;
    }
    line = mark.line + 1;
    column = mark.column + 1;
    break;
  }
  throw ConfigError(*source_, line, column, key_path_, message);
}

std::string ConfigNode::String() const {
  if (!node_.IsScalar()) Fail("expected a string, got " + Describe(node_));
  return ExpandEnvironment(node_.Scalar(), *this);
}

std::string ConfigNode::NonEmptyString() const {
  std::string value = String();
  if (value.empty()) Fail("must not be empty");
  return value;
}

bool ConfigNode::Bool() const {
  if (node_.IsScalar()) {
    const std::string& text = node_.Scalar();
    if (text == "true") return true;
    if (text == "false") return false;
  }
  Fail("expected true or false, got " + Describe(node_));
}

std::int64_t ConfigNode::Int(std::int64_t min, std::int64_t max) const {
  if (!node_.IsScalar()) Fail("expected an integer, got " + Describe(node_));
  const std::string text = String();
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end == nullptr || *end != '\0' || errno == ERANGE) {
    Fail("expected an integer, got \"" + text + "\"");
  }
  if (value < min || value > max) {
    Fail("must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         text);
  }
  return value;
}

std::uint64_t ConfigNode::ByteSize(std::uint64_t min, std::uint64_t max) const {
  if (!node_.IsScalar()) Fail("expected a size like 256MiB, got " + Describe(node_));
  const std::string text = String();
  char* end = nullptr;
  errno = 0;
  const unsigned long long number = std::strtoull(text.c_str(), &end, 10);
  const std::string unit = end != nullptr ? std::string(end) : std::string();
  static const std::map<std::string, std::uint64_t> kUnits{{"", 1},
                                                           {"B", 1},
                                                           {"KiB", 1ull << 10},
                                                           {"KB", 1ull << 10},
                                                           {"MiB", 1ull << 20},
                                                           {"MB", 1ull << 20},
                                                           {"GiB", 1ull << 30},
                                                           {"GB", 1ull << 30},
                                                           {"TiB", 1ull << 40},
                                                           {"TB", 1ull << 40}};
  const auto multiplier = kUnits.find(unit);
  if (text.empty() || end == text.c_str() || text[0] == '-' || errno == ERANGE ||
      multiplier == kUnits.end()) {
    Fail("invalid size \"" + text + "\" (use e.g. 1048576, 512KiB, 256MiB, 1GiB)");
  }
  if (number > max / multiplier->second || number * multiplier->second < min ||
      number * multiplier->second > max) {
    Fail("must be between " + std::to_string(min) + " and " + std::to_string(max) + " bytes, got " +
         text);
  }
  return number * multiplier->second;
}

Duration ConfigNode::DurationValue() const {
  if (!node_.IsScalar()) Fail("expected a duration like 10s, got " + Describe(node_));
  const std::string text = String();
  const auto parsed = ParseDuration(text);
  if (!parsed) Fail("invalid duration \"" + text + "\" (use e.g. 500ms, 10s, 5m, 1h, 7d)");
  return *parsed;
}

std::vector<ConfigNode> ConfigNode::Items() const {
  std::vector<ConfigNode> items;
  if (IsNull()) return items;
  if (!node_.IsSequence()) Fail("expected a list, got " + Describe(node_));
  std::size_t index = 0;
  for (const auto& item : node_) {
    items.push_back(Child(item, key_path_ + "[" + std::to_string(index++) + "]"));
  }
  return items;
}

std::vector<std::string> ConfigNode::StringList() const {
  std::vector<std::string> out;
  for (const ConfigNode& item : Items()) out.push_back(item.NonEmptyString());
  return out;
}

std::map<std::string, std::string> ConfigNode::StringMap() const {
  std::map<std::string, std::string> out;
  if (IsNull()) return out;
  if (!node_.IsMap()) Fail("expected a mapping, got " + Describe(node_));
  for (const auto& entry : node_) {
    ConfigNode key = Child(entry.first, key_path_);
    const std::string name = key.NonEmptyString();
    ConfigNode value = Child(entry.second, key_path_ + "." + name, entry.first);
    if (!out.emplace(name, value.String()).second) key.Fail("duplicate key \"" + name + "\"");
  }
  return out;
}

MapReader::MapReader(const ConfigNode& node) : node_(node) {
  if (node.IsNull()) return;
  if (!node.IsMap()) node.Fail("expected a mapping, got " + Describe(node.yaml()));
  std::set<std::string> seen;
  for (const auto& entry : node.yaml()) {
    if (!entry.first.IsScalar())
      node.Child(entry.first, node.key_path()).Fail("keys must be strings");
    if (!seen.insert(entry.first.Scalar()).second) {
      ChildFor(entry.first, entry.second).Fail("duplicate key");
    }
    entries_.emplace_back(entry.first, entry.second);
  }
}

ConfigNode MapReader::ChildFor(const YAML::Node& key, const YAML::Node& value) const {
  const std::string path =
      node_.key_path().empty() ? key.Scalar() : node_.key_path() + "." + key.Scalar();
  return node_.Child(value, path, key);
}

std::optional<ConfigNode> MapReader::Optional(std::string_view key) {
  asked_.emplace(key);
  for (const auto& [name, value] : entries_) {
    if (name.Scalar() == key) return ChildFor(name, value);
  }
  return std::nullopt;
}

ConfigNode MapReader::Required(std::string_view key) {
  auto child = Optional(key);
  if (!child) node_.Fail("missing required key \"" + std::string(key) + "\"");
  return *child;
}

bool MapReader::Has(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.first.Scalar() == key) return true;
  }
  return false;
}

std::string MapReader::Secret(std::string_view key) {
  const std::string file_key = std::string(key) + "_file";
  auto inline_value = Optional(key);
  auto file_value = Optional(file_key);
  if (inline_value && file_value) {
    file_value->Fail("set either " + std::string(key) + " or " + file_key + ", not both");
  }
  if (inline_value) return inline_value->String();
  if (!file_value) return {};
  const std::string path = file_value->String();
  if (path.empty()) return {};
  const auto read = ReadSecretFile(path);
  if (!read) file_value->Fail("cannot read secret file \"" + path + "\"");
  const std::string& secret = *read;
  if (secret.empty()) file_value->Fail("secret file \"" + path + "\" is empty");
  return secret;
}

void MapReader::Finish() const {
  for (const auto& [name, value] : entries_) {
    if (asked_.count(name.Scalar()) > 0) continue;
    std::string allowed;
    for (const auto& key : asked_) allowed += (allowed.empty() ? "" : ", ") + key;
    ConfigNode where = node_.Child(
        name, node_.key_path().empty() ? name.Scalar() : node_.key_path() + "." + name.Scalar());
    where.Fail("unknown key \"" + name.Scalar() + "\" (allowed here: " + allowed + ")");
  }
}

}  // namespace medic
