// Parsing of recorded Prometheus HTTP API answers (tests/fixtures/prometheus/*).
#include "medic/prometheus/query_client.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <cmath>

namespace {

using medic::prom::ParseQueryResponse;
using medic::prom::QueryError;

std::string Fixture(const std::string& name) {
  return medic::test::ReadFile(std::string(MEDIC_FIXTURES_DIR) + "/prometheus/" + name);
}

std::string ErrorOf(const std::string& body) {
  try {
    ParseQueryResponse(body);
  } catch (const QueryError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("an instant vector keeps labels and parses string values, NaN included") {
  const auto series = ParseQueryResponse(Fixture("vector.json"));
  REQUIRE(series.size() == 2);
  CHECK(series[0].Label("name") == "review-bot");
  CHECK(series[0].Label("job") == "medic");
  CHECK(series[0].Label("missing") == "");
  REQUIRE(series[0].points.size() == 1);
  CHECK(series[0].points[0].first == doctest::Approx(1714557600.123));
  CHECK(series[0].Last() == doctest::Approx(483183820.8));
  CHECK(std::isnan(series[1].Last()));
}

TEST_CASE("a range matrix keeps every point in order; a scalar is one unlabelled point") {
  const auto matrix = ParseQueryResponse(Fixture("matrix.json"));
  REQUIRE(matrix.size() == 2);
  REQUIRE(matrix[0].points.size() == 2);
  CHECK(matrix[0].points[0].second == 12);
  CHECK(std::isinf(matrix[0].Last()));
  CHECK(matrix[1].Label("rule") == "error");

  const auto scalar = ParseQueryResponse(Fixture("scalar.json"));
  REQUIRE(scalar.size() == 1);
  CHECK(scalar[0].labels.empty());
  CHECK(scalar[0].Last() == 42.5);
}

TEST_CASE("an empty result is no series, not an error") {
  CHECK(ParseQueryResponse(R"({"status":"success","data":{"resultType":"vector","result":[]}})")
            .empty());
}

TEST_CASE("a Prometheus error answer becomes a QueryError with its type and message") {
  const std::string error = ErrorOf(Fixture("error_bad_data.json"));
  CHECK(error.find("Prometheus error bad_data") != std::string::npos);
  CHECK(error.find("parse error: unexpected <by>") != std::string::npos);
}

TEST_CASE("non-JSON, truncated and malformed answers are errors that say what arrived") {
  const std::string html = ErrorOf(Fixture("not_json.html"));
  CHECK(html.find("not Prometheus API JSON") != std::string::npos);
  CHECK(html.find("502 Bad Gateway") != std::string::npos);
  CHECK(ErrorOf(Fixture("truncated.json")).find("not Prometheus API JSON") != std::string::npos);
  CHECK(ErrorOf(Fixture("bad_value.json")).find("bad sample value \"fourty\"") !=
        std::string::npos);
  CHECK(ErrorOf(Fixture("string_result.json")).find("unsupported resultType \"string\"") !=
        std::string::npos);
  CHECK(ErrorOf("").find("not Prometheus API JSON") != std::string::npos);
  CHECK(ErrorOf("[1,2]").find("not Prometheus API JSON") != std::string::npos);
  CHECK(ErrorOf(R"({"status":"success"})").find("no data") != std::string::npos);
  CHECK(ErrorOf(R"({"status":"success","data":{"resultType":"vector"}})").find("data.result") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}})")
            .find("no value") != std::string::npos);
  CHECK(
      ErrorOf(R"({"status":"success","data":{"resultType":"matrix","result":[{"values":[[1]]}]}})")
          .find("[time, \"value\"]") != std::string::npos);
}

TEST_CASE("the client accepts only http(s) URLs") {
  CHECK_THROWS_AS(medic::prom::QueryClient("localhost:9090"), QueryError);
  CHECK(medic::prom::QueryClient("http://127.0.0.1:9090//").base_url() == "http://127.0.0.1:9090");
}
