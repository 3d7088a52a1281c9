#pragma once

#include "medic/duration.h"

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Named `prom`, not `prometheus`: inside namespace medic a nested `prometheus` would hide
// prometheus-cpp's ::prometheus types.
namespace medic::prom {

// One series of a query answer: an instant vector or scalar has one point, a matrix many.
struct Series {
  std::map<std::string, std::string> labels;
  std::vector<std::pair<double, double>> points;  // (unix seconds, value)

  std::string Label(std::string_view name) const;
  double Last() const;  // the newest value; NaN when the series has no point
};

// A query could not be answered: transport error, HTTP error, Prometheus error response or a
// body that is not a Prometheus API answer. what() names the URL and the cause.
class QueryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay).
std::string UrlEncode(std::string_view value);

// Parses an /api/v1/query or /api/v1/query_range body (vector, matrix or scalar). Throws
// QueryError with Prometheus' errorType/error for an error answer and for anything malformed.
std::vector<Series> ParseQueryResponse(std::string_view body);

struct QueryClientOptions {
  Duration timeout = std::chrono::seconds(10);  // per request, connect included
  // A larger answer is an error, never cut short.
  std::size_t max_body_bytes = std::size_t{8} * 1024 * 1024;
};

// A small client of the Prometheus HTTP query API (net::Perform: GET, no redirects).
class QueryClient {
 public:
  explicit QueryClient(std::string base_url, QueryClientOptions options = {});

  // Instant query evaluated at `at` (unix seconds).
  std::vector<Series> Query(const std::string& promql, double at) const;
  // Range query over [start, end] with `step_seconds` resolution.
  std::vector<Series> QueryRange(const std::string& promql, double start, double end,
                                 double step_seconds) const;

  const std::string& base_url() const { return base_url_; }

 private:
  std::vector<Series> Get(const std::string& path, const std::string& promql,
                          const std::string& query_string) const;

  std::string base_url_;
  QueryClientOptions options_;
};

}  // namespace medic::prom
