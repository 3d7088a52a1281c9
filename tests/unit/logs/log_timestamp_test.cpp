#include "medic/logs/log_timestamp.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

using medic::logs::LeadingLogTime;

namespace {
// 2026-12-01T09:00:00Z
constexpr std::int64_t kNine = 1796115600;
}  // namespace

TEST_CASE("RFC 3339 and ISO 8601 stamps at the start of a line") {
  CHECK(LeadingLogTime("2026-12-01T09:00:00Z ERROR x")->seconds == kNine);
  CHECK(LeadingLogTime("2026-12-01T10:00:00+01:00 ERROR")->seconds == kNine);
  CHECK(LeadingLogTime("2026-12-01T04:30:00-0430 ERROR")->seconds == kNine);
  const auto fraction = LeadingLogTime("2026-12-01T09:00:00.25Z x");
  REQUIRE(fraction);
  CHECK(fraction->seconds == kNine);
  CHECK(fraction->nanos == 250000000);
  CHECK(LeadingLogTime("[2026-12-01 09:00:00,500Z] x")->nanos == 500000000);
}

TEST_CASE("an ISO stamp without a zone is local time") {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  CHECK(LeadingLogTime("2026-12-01 09:00:00 ERROR")->seconds == kNine);
}

TEST_CASE("common and combined log format stamps") {
  CHECK(LeadingLogTime(R"(203.0.113.7 - - [01/Dec/2026:09:00:00 +0000] "GET / HTTP/1.1" 401 0)")
            ->seconds == kNine);
  CHECK(LeadingLogTime(R"(::1 - bob [01/Dec/2026:10:00:00 +0100] "GET /")")->seconds == kNine);
}

TEST_CASE("lines without a recognisable stamp") {
  CHECK_FALSE(LeadingLogTime("ERROR something failed"));
  CHECK_FALSE(LeadingLogTime("    at frame 3"));
  CHECK_FALSE(LeadingLogTime("2026-13-01T09:00:00Z month 13"));
  CHECK_FALSE(LeadingLogTime("2026-12-01"));
  CHECK_FALSE(LeadingLogTime("[01/Foo/2026:09:00:00 +0000]"));
  CHECK_FALSE(LeadingLogTime(""));
}

TEST_CASE("ParseLogTimestamp reads Docker's RFC 3339 nanosecond timestamps") {
  using medic::logs::ParseLogTimestamp;
  const auto a = ParseLogTimestamp("2026-11-29T03:00:00.123456789Z");
  REQUIRE(a);
  CHECK(a->seconds == 1795921200);
  CHECK(a->nanos == 123456789);
  const auto b = ParseLogTimestamp("2026-11-29T03:00:00.5Z");
  REQUIRE(b);
  CHECK(b->nanos == 500000000);
  CHECK(*a < *b);
  CHECK(ParseLogTimestamp("2026-11-29T04:00:00+01:00")->seconds == 1795921200);
  CHECK_FALSE(ParseLogTimestamp("not a time"));
  CHECK_FALSE(ParseLogTimestamp("2026-11-29T03:00:00.Z"));
  // Docker's stamps only: what log files also write is not one.
  CHECK_FALSE(ParseLogTimestamp("2026-11-29 03:00:00Z"));
  CHECK_FALSE(ParseLogTimestamp("2026-11-29T03:00:00"));
  CHECK_FALSE(ParseLogTimestamp("2026-11-29T03:00:00,5Z"));
  CHECK_FALSE(ParseLogTimestamp("2026-11-29T03:00:00Z ERROR"));
  CHECK_FALSE(ParseLogTimestamp("[2026-11-29T03:00:00Z"));
}
