#include "medic/remediation/job_state.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace medic::remediation {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 9> kStateNames{{
    {JobState::kQueued, "queued"},
    {JobState::kRunning, "running"},
    {JobState::kSucceeded, "succeeded"},
    {JobState::kFailed, "failed"},
    {JobState::kSkipped, "skipped"},
    {JobState::kCancelled, "cancelled"},
    {JobState::kInterrupted, "interrupted"},
    {JobState::kRefused, "refused"},
    {JobState::kDryRun, "dry_run"},
}};

constexpr std::array<std::pair<JobResult, std::string_view>, 9> kResultNames{{
    {JobResult::kSuccess, "success"},
    {JobResult::kFailed, "failed"},
    {JobResult::kGaveUp, "gave_up"},
    {JobResult::kSkippedCooldown, "skipped_cooldown"},
    {JobResult::kSkippedCircuit, "skipped_circuit"},
    {JobResult::kSkippedDuplicate, "skipped_duplicate"},
    {JobResult::kRefused, "refused"},
    {JobResult::kCancelled, "cancelled"},
    {JobResult::kDryRun, "dry_run"},
}};

}  // namespace

std::string_view JobStateName(JobState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "failed";
}

JobState ParseJobState(std::string_view name) {
  for (const auto& [value, known] : kStateNames) {
    if (known == name) return value;
  }
  return JobState::kFailed;
}

std::string_view JobResultName(JobResult result) {
  for (const auto& [value, name] : kResultNames) {
    if (value == result) return name;
  }
  return "failed";
}

std::optional<JobResult> ParseJobResult(std::string_view name) {
  for (const auto& [value, known] : kResultNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool LeavesIncidentOpen(JobState state) {
  return state == JobState::kFailed || state == JobState::kInterrupted ||
         state == JobState::kSkipped || state == JobState::kCancelled;
}

bool StepKindChangesTarget(std::string_view kind) {
  return kind == "restart" || kind == "escalate" || kind == "prune" || kind == "exec";
}

double RetryDelaySeconds(double retry_backoff_seconds, int failed_attempt) {
  return retry_backoff_seconds * std::pow(2.0, std::max(0, failed_attempt - 1));
}

}  // namespace medic::remediation
