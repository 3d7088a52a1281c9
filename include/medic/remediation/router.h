#pragma once

#include "medic/alert/alert.h"
#include "medic/config.h"
#include "medic/remediation/journal.h"

#include <re2/re2.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace medic::remediation {

// Decides which remediations an alert triggers and on which target. Matches each alert's own
// labels (never only commonLabels). A missing label matches like an empty value, as in
// Alertmanager. Regexes are RE2 (linear time) and must match the whole value.
class Router {
 public:
  // Throws std::invalid_argument naming the remediation when a regex does not compile.
  Router(const std::vector<RemediationSettings>& remediations,
         const std::vector<std::string>& targets, bool global_dry_run);

  bool Matches(std::size_t remediation_index, const LabelSet& labels) const;
  // Jobs for a firing alert; resolved alerts trigger nothing (they only cancel).
  std::vector<PlannedJob> Plan(const Alert& alert) const;

 private:
  struct CompiledMatcher {
    LabelMatcher matcher;
    std::shared_ptr<RE2> regex;  // set for the regex kinds
  };
  struct CompiledRemediation {
    const RemediationSettings* settings;
    std::vector<CompiledMatcher> matchers;
  };
  std::vector<CompiledRemediation> remediations_;
  std::set<std::string> targets_;
  bool global_dry_run_;
};

}  // namespace medic::remediation
