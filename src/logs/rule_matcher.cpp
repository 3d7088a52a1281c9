#include "medic/logs/rule_matcher.h"

#include <algorithm>

namespace medic::logs {

std::vector<LogRule> DefaultLogRules() {
  // Seed: grep -i "unauthorized\|authentication failed" (+ forbidden from the access review),
  // grep -c ERROR (case-sensitive), and the critical/fatal, rate-limit, timeout/slow checks.
  return {
      {"auth_failure",
       R"((?i)(?:(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}\b).*)?(?:unauthorized|authentication failed|forbidden))",
       {}},
      {"error", R"(\bERROR\b)", {}},
      {"critical", R"((?i)critical|fatal)", {}},
      {"rate_limited", R"((?i)rate[ _-]?limit)", {}},
      {"timeout", R"((?i)time[ _-]?out|timed out|slow)", {}},
  };
}

namespace {

RE2::Options RuleOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  // Log lines are bytes, not necessarily UTF-8: match them as Latin-1 so invalid UTF-8 never
  // makes a line unmatchable.
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_max_mem(64 << 20);
  return options;
}

}  // namespace

void ValidateLogRules(const std::vector<LogRule>& rules) {
  for (const LogRule& rule : rules) {
    RE2 regex(rule.regex, RuleOptions());
    if (!regex.ok()) {
      throw InvalidRuleError("invalid regex for rule \"" + rule.name + "\": " + regex.error());
    }
  }
}

RuleMatcher::RuleMatcher(std::vector<LogRule> rules)
    : rules_(rules.empty() ? DefaultLogRules() : std::move(rules)) {
  ValidateLogRules(rules_);
  set_ = std::make_unique<RE2::Set>(RuleOptions(), RE2::UNANCHORED);
  captures_.resize(rules_.size());
  for (std::size_t index = 0; index < rules_.size(); ++index) {
    const LogRule& rule = rules_[index];
    std::string error;
    if (set_->Add(rule.regex, &error) < 0) {
      throw InvalidRuleError("invalid regex for rule \"" + rule.name + "\": " + error);
    }
    auto regex = std::make_unique<RE2>(rule.regex, RuleOptions());
    const auto& groups = regex->NamedCapturingGroups();
    for (const char* name : {"ip", "client"}) {
      if (auto found = groups.find(name); found != groups.end()) {
        captures_[index].group = found->second;
        captures_[index].regex = std::move(regex);
        break;
      }
    }
  }
  if (!set_->Compile()) throw InvalidRuleError("log rules: out of memory compiling the rule set");
}

bool RuleMatcher::Match(std::string_view line, std::vector<int>& matched) const {
  matched.clear();
  if (!set_->Match(re2::StringPiece(line.data(), line.size()), &matched)) return false;
  std::sort(matched.begin(), matched.end());
  return !matched.empty();
}

std::optional<std::string_view> RuleMatcher::Offender(std::size_t rule,
                                                      std::string_view line) const {
  const Capture& capture = captures_[rule];
  if (!capture.regex) return std::nullopt;
  std::vector<re2::StringPiece> groups(static_cast<std::size_t>(capture.group) + 1);
  if (!capture.regex->Match(re2::StringPiece(line.data(), line.size()), 0, line.size(),
                            RE2::UNANCHORED, groups.data(), static_cast<int>(groups.size()))) {
    return std::nullopt;
  }
  const re2::StringPiece& value = groups[static_cast<std::size_t>(capture.group)];
  if (value.data() == nullptr || value.empty()) return std::nullopt;
  return std::string_view(value.data(), value.size());
}

}  // namespace medic::logs
