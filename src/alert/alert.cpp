#include "medic/alert/alert.h"

#include "medic/valid_utf8.h"

#include <string>
#include <string_view>

namespace medic {

std::string Alert::AlertName() const {
  auto it = labels.find("alertname");
  return it == labels.end() ? std::string() : it->second;
}

std::string Alert::IdempotencyKey() const { return fingerprint + "|" + starts_at + "|" + status; }

namespace {

// JSON string escaping exactly as nlohmann's dump() does it with ensure_ascii=false and the
// replace error handler. Parsed alerts are valid UTF-8 (the parser refused anything else); an
// alert built in code with other bytes still prints as valid JSON.
void AppendJsonString(std::string& out, std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string repaired;
  const std::string_view text = ValidUtf8View(raw, repaired);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xF];
          out += kHex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendMember(std::string& out, std::string_view key, std::string_view value) {
  AppendJsonString(out, key);
  out += ':';
  AppendJsonString(out, value);
}

void AppendMember(std::string& out, std::string_view key, const LabelSet& labels) {
  AppendJsonString(out, key);
  out += ":{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    AppendMember(out, name, value);
  }
  out += '}';
}

}  // namespace

std::string Alert::ToJsonText() const {
  std::string out;
  out.reserve(256);
  // Keys in the sorted order nlohmann's std::map-backed objects print them.
  out += '{';
  AppendMember(out, "annotations", annotations);
  out += ',';
  AppendMember(out, "endsAt", ends_at);
  out += ',';
  AppendMember(out, "fingerprint", fingerprint);
  out += ',';
  AppendMember(out, "generatorURL", generator_url);
  out += ',';
  AppendMember(out, "labels", labels);
  out += ',';
  AppendMember(out, "startsAt", starts_at);
  out += ',';
  AppendMember(out, "status", status);
  out += '}';
  return out;
}

}  // namespace medic
