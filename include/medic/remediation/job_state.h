#pragma once

#include <optional>
#include <string_view>

namespace medic::remediation {

// Where a remediation job is. Stored in the journal by name (JobStateName), read back with
// ParseJobState; a name the code does not know reads as kFailed, never as "still running".
enum class JobState {
  kQueued,       // waiting for a worker (or, with not_before, for its retry time)
  kRunning,      // a worker is executing its steps
  kSucceeded,    // every step that had to run succeeded
  kFailed,       // a step failed and nothing recovered it
  kSkipped,      // not run: cooldown or circuit (the result says which)
  kCancelled,    // the alert resolved before a worker took the job
  kInterrupted,  // medic stopped during a step that is not safe to repeat
  kRefused,      // the target is not in the allowlist, or the alert names none
  kDryRun,       // dry run: steps described, nothing done
};

// The medic_remediations_total result label of a finished job or a skipped delivery.
enum class JobResult {
  kSuccess,
  kFailed,
  kGaveUp,  // the incident's last attempt failed: a human must act
  kSkippedCooldown,
  kSkippedCircuit,
  kSkippedDuplicate,
  kRefused,
  kCancelled,
  kDryRun,
};

std::string_view JobStateName(JobState state);
JobState ParseJobState(std::string_view name);
std::string_view JobResultName(JobResult result);
std::optional<JobResult> ParseJobResult(std::string_view name);

// A failed, interrupted or skipped attempt has not healed anything: the incident stays open
// for another attempt (within max_attempts).
bool LeavesIncidentOpen(JobState state);

// Whether a step of this kind (by its journaled name) changes the target: restart, escalate,
// prune and exec do; verify, diagnostics and notify only look or tell. A run without such a
// step heals nothing, whatever its outcome.
bool StepKindChangesTarget(std::string_view kind);

// How long after failed attempt number `failed_attempt` (1-based) the next one waits:
// retry_backoff, doubling for each later attempt.
double RetryDelaySeconds(double retry_backoff_seconds, int failed_attempt);

}  // namespace medic::remediation
