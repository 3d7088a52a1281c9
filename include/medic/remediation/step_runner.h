#pragma once

#include "medic/config.h"
#include "medic/remediation/container_engine.h"
#include "medic/remediation/journal.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace medic::remediation {

// What a job has done so far; steps read it (escalate runs only after a failure, notify
// reports every step) and add to it.
struct JobContext {
  const JobRecord* job = nullptr;
  const RemediationSettings* remediation = nullptr;
  nlohmann::json alert;  // the alert as received
  bool dry_run = false;
  bool failed = false;  // the chain has failed so far (a later escalate may recover it)
  std::string failure;  // the failing step and its output, for the human
  std::vector<std::pair<std::string, std::string>> step_outcomes;  // kind -> state
  std::string bundle_path;
  const StepSettings* last_verify = nullptr;  // escalate re-verifies with it
  // The step the job resumes at began before a crash cut it short (unix seconds of its start):
  // a restart then first asks the engine whether that restart went through.
  std::optional<double> interrupted_at;
};

// kInterrupted: medic is shutting down and the step stopped waiting; it has not finished and
// runs again (from its start) when the job resumes after the restart.
enum class StepState { kSucceeded, kFailed, kSkipped, kInterrupted };

struct StepOutcome {
  StepState state = StepState::kSucceeded;
  std::string output;    // bounded excerpt for the journal
  std::string artifact;  // a file the step made (diagnostics: the bundle), journaled on its own
};

struct NoticeDelivery {
  bool delivered = false;
  bool no_notifier = false;  // there was nobody to tell (a `silent: true` remediation)
  std::string detail;
};

std::string StepKindName(StepSettings::Kind kind);
std::string StepStateName(StepState state);
// Whether a step caught mid-way by a crash may run again on resume. Escalate, exec and notify
// have effects outside medic that must not happen twice. A restart resumes: it first checks
// whether the container started after the interrupted restart began, and restarts only if not.
bool StepIsRepeatable(const std::string& kind);

// Restart, escalate and prune cannot do anything without the container engine. Diagnostics
// can: a bundle without the engine's part (medic's metrics, the alert) is still worth having.
bool StepNeedsEngine(StepSettings::Kind kind);

// The alert's data as MEDIC_ALERT_* environment variables for exec steps.
std::map<std::string, std::string> AlertEnvironment(const nlohmann::json& alert,
                                                    const std::string& remediation,
                                                    const std::string& target);

// Executes the built-in steps. Container operations go through `engine` (may be null when no
// engine is configured: container steps then fail with a clear message).
class StepRunner {
 public:
  struct Options {
    ContainerEngine* engine = nullptr;
    std::map<std::string, NotifierSettings> notifiers;
    std::string data_dir;
    std::function<std::string()> metrics_text;  // medic's own exposition for bundles
    std::size_t max_output_bytes = std::size_t{16} * 1024;
    std::chrono::milliseconds notify_base_delay{500};
  };
  explicit StepRunner(Options options);

  StepOutcome Run(const StepSettings& step, JobContext& context);
  // Why the container engine cannot be used now (its error), or nothing when it answers a
  // ping on a new connection or none is configured (its steps then fail on their own).
  std::optional<std::string> EngineUnreachable();
  // Shutdown: waits between verify attempts end at once with StepState::kInterrupted.
  void RequestStop();
  // Sends a journaled notice through the remediation's notifiers (those of its notify steps;
  // every configured notifier when it has none, or when the remediation is gone).
  NoticeDelivery SendNotice(const RemediationSettings* remediation, const NoticeRecord& notice);

 private:
  StepOutcome Restart(const StepSettings& step, JobContext& context);
  StepOutcome Verify(const StepSettings& step, JobContext& context);
  StepOutcome Escalate(const StepSettings& step, JobContext& context);
  StepOutcome Diagnostics(const StepSettings& step, JobContext& context);
  StepOutcome Prune(JobContext& context);
  StepOutcome Exec(const std::vector<std::string>& argv, Duration timeout, JobContext& context);
  StepOutcome Notify(const StepSettings& step, JobContext& context);
  ContainerEngine& Engine();
  // Sleeps for `duration` unless RequestStop() comes first; false when stopped.
  bool SleepUnlessStopped(Duration duration);

  Options options_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
};

}  // namespace medic::remediation
