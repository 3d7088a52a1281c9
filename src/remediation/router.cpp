#include "medic/remediation/router.h"

#include <stdexcept>

namespace medic::remediation {

Router::Router(const std::vector<RemediationSettings>& remediations,
               const std::vector<std::string>& targets, bool global_dry_run)
    : targets_(targets.begin(), targets.end()), global_dry_run_(global_dry_run) {
  for (const auto& remediation : remediations) {
    CompiledRemediation compiled{&remediation, {}};
    for (const auto& matcher : remediation.match) {
      CompiledMatcher entry{matcher, nullptr};
      if (matcher.kind == LabelMatcher::Kind::kRegex ||
          matcher.kind == LabelMatcher::Kind::kNotRegex) {
        RE2::Options options;
        options.set_log_errors(false);
        entry.regex = std::make_shared<RE2>(matcher.value, options);
        if (!entry.regex->ok()) {
          throw std::invalid_argument("remediation " + remediation.name + ": match." +
                                      matcher.label + ": invalid regex: " + entry.regex->error());
        }
      }
      compiled.matchers.push_back(std::move(entry));
    }
    remediations_.push_back(std::move(compiled));
  }
}

bool Router::Matches(std::size_t remediation_index, const LabelSet& labels) const {
  for (const auto& entry : remediations_.at(remediation_index).matchers) {
    auto it = labels.find(entry.matcher.label);
    const std::string value = it == labels.end() ? std::string() : it->second;
    bool ok = false;
    switch (entry.matcher.kind) {
      case LabelMatcher::Kind::kEqual:
        ok = value == entry.matcher.value;
        break;
      case LabelMatcher::Kind::kNotEqual:
        ok = value != entry.matcher.value;
        break;
      case LabelMatcher::Kind::kRegex:
        ok = RE2::FullMatch(value, *entry.regex);
        break;
      case LabelMatcher::Kind::kNotRegex:
        ok = !RE2::FullMatch(value, *entry.regex);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

std::vector<PlannedJob> Router::Plan(const Alert& alert) const {
  std::vector<PlannedJob> plans;
  if (alert.status != "firing") return plans;
  for (std::size_t i = 0; i < remediations_.size(); ++i) {
    if (!Matches(i, alert.labels)) continue;
    const RemediationSettings& settings = *remediations_[i].settings;
    PlannedJob plan;
    plan.remediation = settings.name;
    plan.dry_run = global_dry_run_ || settings.dry_run;
    plan.max_attempts = settings.max_attempts;
    plan.retry_backoff_seconds = std::chrono::duration<double>(settings.retry_backoff).count();
    if (!settings.target_label.empty()) {
      auto it = alert.labels.find(settings.target_label);
      if (it == alert.labels.end() || it->second.empty()) {
        plan.refused_reason =
            "alert has no label \"" + settings.target_label + "\" naming a target";
      } else {
        plan.target = it->second;
      }
    } else {
      plan.target = settings.target;
    }
    if (plan.refused_reason.empty() && targets_.count(plan.target) == 0) {
      plan.refused_reason =
          "target \"" + plan.target.substr(0, 128) + "\" is not in the targets allowlist";
    }
    if (plan.target.size() > 256) plan.target = plan.target.substr(0, 256);
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace medic::remediation
