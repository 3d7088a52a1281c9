#pragma once

#include "medic/config.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace medic::logs {

// The rules used when the config lists none: the seed's grep checks, case-insensitive where the
// seed used grep -i. auth_failure captures the client address that starts an access-log line.
std::vector<LogRule> DefaultLogRules();

// Thrown for a rule whose regex does not compile; the message names the rule.
class InvalidRuleError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Compiles every rule's regex; throws InvalidRuleError naming the first bad rule.
// The config loader calls this so a bad pattern is rejected at load time.
void ValidateLogRules(const std::vector<LogRule>& rules);

// Matches one line against all rules in a single pass (RE2::Set), then, only for rules that
// matched and have a named capture `ip` (or `client`), runs that rule's own RE2 to extract it.
class RuleMatcher {
 public:
  // Empty `rules` means DefaultLogRules(). Throws InvalidRuleError.
  explicit RuleMatcher(std::vector<LogRule> rules);

  const std::vector<LogRule>& rules() const { return rules_; }
  bool HasOffenderCapture(std::size_t rule) const { return captures_[rule].regex != nullptr; }

  // Fills `matched` with the indices of the rules matching `line` (ascending); false if none.
  bool Match(std::string_view line, std::vector<int>& matched) const;
  // The `ip`/`client` capture of rule `rule` in `line`, if the rule has one and it took part.
  std::optional<std::string_view> Offender(std::size_t rule, std::string_view line) const;

 private:
  struct Capture {
    std::unique_ptr<RE2> regex;
    int group = 0;  // 1-based capture group index of ip/client
  };
  std::vector<LogRule> rules_;
  std::unique_ptr<RE2::Set> set_;
  std::vector<Capture> captures_;
};

}  // namespace medic::logs
