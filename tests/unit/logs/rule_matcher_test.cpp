#include "medic/logs/rule_matcher.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using medic::LogRule;
using medic::logs::RuleMatcher;

namespace {

std::vector<std::string> MatchedNames(const RuleMatcher& matcher, std::string_view line) {
  std::vector<int> matched;
  std::vector<std::string> names;
  if (matcher.Match(line, matched)) {
    for (int index : matched)
      names.push_back(matcher.rules()[static_cast<std::size_t>(index)].name);
  }
  return names;
}

}  // namespace

TEST_CASE("Default rules cover the seed's checks, case-insensitive where grep -i was") {
  const RuleMatcher matcher({});
  REQUIRE(matcher.rules().size() == 5);
  CHECK(MatchedNames(matcher, "GET /x 401 Unauthorized") ==
        std::vector<std::string>{"auth_failure"});
  CHECK(MatchedNames(matcher, "sshd: AUTHENTICATION FAILED for bob") ==
        std::vector<std::string>{"auth_failure"});
  CHECK(MatchedNames(matcher, "403 forbidden") == std::vector<std::string>{"auth_failure"});
  CHECK(MatchedNames(matcher, "2026-01-01 ERROR db down") == std::vector<std::string>{"error"});
  CHECK(MatchedNames(matcher, "an error, lowercase").empty());  // seed: grep -c ERROR
  CHECK(MatchedNames(matcher, "Fatal: out of memory") == std::vector<std::string>{"critical"});
  CHECK(MatchedNames(matcher, "rate limit exceeded") == std::vector<std::string>{"rate_limited"});
  CHECK(MatchedNames(matcher, "upstream Timeout") == std::vector<std::string>{"timeout"});
  CHECK(MatchedNames(matcher, "ERROR: request timed out, unauthorized") ==
        std::vector<std::string>{"auth_failure", "error", "timeout"});
  CHECK(MatchedNames(matcher, "GET / 200 OK").empty());
}

TEST_CASE("Default auth_failure captures the client address of an access-log line") {
  const RuleMatcher matcher({});
  CHECK(matcher.HasOffenderCapture(0));
  CHECK_FALSE(matcher.HasOffenderCapture(1));
  const auto ip = matcher.Offender(0, R"(203.0.113.9 - - [29/Nov/2026] "GET /a" 401 Unauthorized)");
  REQUIRE(ip);
  CHECK(*ip == "203.0.113.9");
  CHECK_FALSE(matcher.Offender(0, "authentication failed"));
  CHECK_FALSE(matcher.Offender(1, "10.0.0.1 ERROR"));
}

TEST_CASE("Custom rules with a client capture, and binary input") {
  const RuleMatcher matcher(
      {{"login", R"(login failed from (?P<client>\S+))", {}}, {"nul", std::string("a\\x00b"), {}}});
  const auto client = matcher.Offender(0, "x login failed from bob@host y");
  REQUIRE(client);
  CHECK(*client == "bob@host");
  CHECK(MatchedNames(matcher, std::string_view("zz a\0b \xff\xfe", 10)) ==
        std::vector<std::string>{"nul"});
  CHECK(MatchedNames(matcher, "\xff\xfe\xc3(login failed from \xff") ==
        std::vector<std::string>{"login"});
}

TEST_CASE("Invalid regexes are rejected with the rule name") {
  const std::vector<LogRule> bad{{"good", "ok", {}}, {"broken_rule", "(unclosed", {}}};
  CHECK_THROWS_WITH_AS(medic::logs::ValidateLogRules(bad), doctest::Contains("broken_rule"),
                       medic::logs::InvalidRuleError);
  CHECK_THROWS_AS(RuleMatcher{bad}, medic::logs::InvalidRuleError);
  CHECK_NOTHROW(medic::logs::ValidateLogRules(medic::logs::DefaultLogRules()));
}
