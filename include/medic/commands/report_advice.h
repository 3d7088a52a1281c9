#pragma once

#include "medic/commands/report_model.h"
#include "medic/config.h"

#include <optional>
#include <string>

namespace medic::commands {

// The recommendations of `medic report`, one function per finding. Every number comes from
// ThresholdSettings (the `thresholds:` config section, whose defaults are the shipped alert
// rules' numbers), so a report never recommends against what medic check and the alerts say.

// `peak_ratio`: the highest usage / limit seen (the current one for a snapshot).
std::optional<Recommendation> AdviseContainerMemory(const std::string& container, double peak_ratio,
                                                    double limit_bytes, const ThresholdSettings& t);
std::optional<Recommendation> AdviseDiskUsed(const std::string& mountpoint, double used_ratio,
                                             const ThresholdSettings& t);
// `days_to_full`: where the least-squares fit of the available bytes over `range` reaches 0.
std::optional<Recommendation> AdviseDiskFill(const std::string& mountpoint, double days_to_full,
                                             const std::string& range, const ThresholdSettings& t);
std::optional<Recommendation> AdviseRedisMemory(double used_ratio, const ThresholdSettings& t);
std::optional<Recommendation> AdviseCertificate(const std::string& target, double days_left,
                                                bool verified, const ThresholdSettings& t);
// `rule`: auth_failure, error or critical (others have no threshold); `window`: "7 days",
// "since medic started".
std::optional<Recommendation> AdviseLogMatches(const std::string& rule, double count,
                                               const std::string& window,
                                               const ThresholdSettings& t);
std::optional<Recommendation> AdviseCacheHitRatio(double hits, double misses,
                                                  const ThresholdSettings& t);
// `availability`: the fraction of probes that succeeded.
std::optional<Recommendation> AdviseProbe(const std::string& target, double availability);
std::optional<Recommendation> AdviseCollector(const std::string& collector, double success_ratio);
std::optional<Recommendation> AdviseRemediationFailures(const std::string& remediation,
                                                        double failed);
std::optional<Recommendation> AdviseWebhookRejections(double rejected);

}  // namespace medic::commands
