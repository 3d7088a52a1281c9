#include "medic/prometheus/query_client.h"

#include "medic/net/curl_client.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace medic::prom {
namespace {

std::string FormatTime(double seconds) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.3f", seconds);
  return buffer;
}

// Prometheus sends sample values as strings ("1.5", "NaN", "+Inf").
double ParseValue(const nlohmann::json& value) {
  if (!value.is_string()) throw QueryError("sample value is not a string");
  const std::string text = value.get<std::string>();
  char* end = nullptr;
  const double parsed = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') throw QueryError("bad sample value \"" + text + "\"");
  return parsed;
}

std::pair<double, double> ParsePoint(const nlohmann::json& point) {
  if (!point.is_array() || point.size() != 2 || !point[0].is_number()) {
    throw QueryError("sample is not [time, \"value\"]");
  }
  return {point[0].get<double>(), ParseValue(point[1])};
}

Series ParseSeries(const nlohmann::json& item, bool matrix) {
  Series series;
  if (!item.is_object()) throw QueryError("result entry is not an object");
  if (const auto metric = item.find("metric"); metric != item.end() && metric->is_object()) {
    for (const auto& [name, value] : metric->items()) {
      if (value.is_string()) series.labels[name] = value.get<std::string>();
    }
  }
  if (matrix) {
    const auto values = item.find("values");
    if (values == item.end() || !values->is_array()) throw QueryError("matrix entry has no values");
    for (const auto& point : *values) series.points.push_back(ParsePoint(point));
  } else {
    const auto value = item.find("value");
    if (value == item.end()) throw QueryError("vector entry has no value");
    series.points.push_back(ParsePoint(*value));
  }
  return series;
}

}  // namespace

std::string UrlEncode(std::string_view value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Series::Label(std::string_view name) const {
  const auto found = labels.find(std::string(name));
  return found == labels.end() ? "" : found->second;
}

double Series::Last() const {
  return points.empty() ? std::numeric_limits<double>::quiet_NaN() : points.back().second;
}

std::vector<Series> ParseQueryResponse(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    std::string start(body.substr(0, 80));
    for (char& c : start) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    throw QueryError("answer is not Prometheus API JSON: \"" + start + "\"");
  }
  const std::string status = json.value("status", "");
  if (status == "error") {
    throw QueryError("Prometheus error " + json.value("errorType", std::string("unknown")) + ": " +
                     json.value("error", std::string("(no message)")));
  }
  if (status != "success") throw QueryError("answer has status \"" + status + "\"");
  const auto data = json.find("data");
  if (data == json.end() || !data->is_object()) throw QueryError("answer has no data");
  const std::string type = data->value("resultType", "");
  const auto result = data->find("result");
  if (result == data->end()) throw QueryError("answer has no data.result");
  std::vector<Series> series;
  if (type == "vector" || type == "matrix") {
    if (!result->is_array()) throw QueryError("data.result is not an array");
    for (const auto& item : *result) series.push_back(ParseSeries(item, type == "matrix"));
  } else if (type == "scalar") {
    series.push_back(Series{{}, {ParsePoint(*result)}});
  } else {
    throw QueryError("unsupported resultType \"" + type + "\"");
  }
  return series;
}

QueryClient::QueryClient(std::string base_url, QueryClientOptions options)
    : base_url_(std::move(base_url)), options_(options) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (base_url_.rfind("http://", 0) != 0 && base_url_.rfind("https://", 0) != 0) {
    throw QueryError("Prometheus URL \"" + base_url_ + "\" must start with http:// or https://");
  }
}

std::vector<Series> QueryClient::Query(const std::string& promql, double at) const {
  return Get("/api/v1/query", promql, "time=" + FormatTime(at));
}

std::vector<Series> QueryClient::QueryRange(const std::string& promql, double start, double end,
                                            double step_seconds) const {
  return Get("/api/v1/query_range", promql,
             "start=" + FormatTime(start) + "&end=" + FormatTime(end) +
                 "&step=" + FormatTime(step_seconds));
}

std::vector<Series> QueryClient::Get(const std::string& path, const std::string& promql,
                                     const std::string& query_string) const {
  const std::string where = "Prometheus " + base_url_ + " (query " + promql + "): ";
  net::CurlRequest request;
  request.url = base_url_ + path + "?query=" + UrlEncode(promql) + "&" + query_string;
  request.timeout = options_.timeout;
  request.max_body_bytes = options_.max_body_bytes;
  // Prometheus answers the API itself; a redirect means a wrong base URL, said as its status.
  request.follow_redirects = false;
  const net::CurlResponse response = net::Perform(request);
  if (!response.error.empty()) throw QueryError(where + response.error);
  if (response.truncated) {
    throw QueryError(where + "answer larger than " + std::to_string(options_.max_body_bytes) +
                     " bytes");
  }
  try {
    // 400/422/503 carry a JSON error body; ParseQueryResponse turns it into its message.
    auto series = ParseQueryResponse(response.body);
    if (response.status != 200) throw QueryError("HTTP " + std::to_string(response.status));
    return series;
  } catch (const QueryError& error) {
    std::string message = where + error.what();
    if (response.status != 200 && message.find("HTTP ") == std::string::npos) {
      message += " (HTTP " + std::to_string(response.status) + ")";
    }
    throw QueryError(message);
  }
}

}  // namespace medic::prom
