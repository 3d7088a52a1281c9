#include "medic/remediation/step_runner.h"
#include "medic/json_text.h"

#include "medic/docker/decode.h"
#include "medic/human_format.h"
#include "medic/net/curl_client.h"
#include "medic/remediation/diagnostics.h"
#include "medic/remediation/notice.h"
#include "medic/remediation/notifier.h"
#include "medic/remediation/process_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

namespace medic::remediation {

namespace {

constexpr std::size_t kMaxEnvValue = std::size_t{8} * 1024;

std::string EnvName(const std::string& prefix, const std::string& label) {
  std::string name = prefix;
  for (char c : label.substr(0, 64)) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    name += ok ? c : '_';
  }
  return name;
}

std::string Bounded(std::string text) {
  // Strip NULs: they would silently cut an environment entry.
  std::erase(text, '\0');
  if (text.size() > kMaxEnvValue) text.resize(kMaxEnvValue);
  return text;
}

std::string JsonString(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Dump(const nlohmann::json& value) { return JsonText(value); }

}  // namespace

std::string StepKindName(StepSettings::Kind kind) {
  switch (kind) {
    case StepSettings::Kind::kRestart:
      return "restart";
    case StepSettings::Kind::kVerify:
      return "verify";
    case StepSettings::Kind::kEscalate:
      return "escalate";
    case StepSettings::Kind::kDiagnostics:
      return "diagnostics";
    case StepSettings::Kind::kPrune:
      return "prune";
    case StepSettings::Kind::kExec:
      return "exec";
    case StepSettings::Kind::kNotify:
      return "notify";
  }
  return "unknown";
}

bool StepNeedsEngine(StepSettings::Kind kind) {
  return kind == StepSettings::Kind::kRestart || kind == StepSettings::Kind::kEscalate ||
         kind == StepSettings::Kind::kPrune;
}

std::optional<std::string> StepRunner::EngineUnreachable() {
  if (options_.engine == nullptr) return std::nullopt;
  try {
    options_.engine->Ping();
    return std::nullopt;
  } catch (const std::exception& error) {
    return std::string(error.what());
  }
}

std::string StepStateName(StepState state) {
  switch (state) {
    case StepState::kSucceeded:
      return "succeeded";
    case StepState::kFailed:
      return "failed";
    case StepState::kSkipped:
      return "skipped";
    case StepState::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

bool StepIsRepeatable(const std::string& kind) {
  return kind == "verify" || kind == "diagnostics" || kind == "prune" || kind == "restart";
}

std::map<std::string, std::string> AlertEnvironment(const nlohmann::json& alert,
                                                    const std::string& remediation,
                                                    const std::string& target) {
  std::map<std::string, std::string> env;
  const nlohmann::json labels = alert.value("labels", nlohmann::json::object());
  const nlohmann::json annotations = alert.value("annotations", nlohmann::json::object());
  env["MEDIC_REMEDIATION"] = Bounded(remediation);
  env["MEDIC_TARGET"] = Bounded(target);
  env["MEDIC_ALERT_NAME"] = Bounded(JsonString(labels, "alertname"));
  env["MEDIC_ALERT_STATUS"] = Bounded(JsonString(alert, "status"));
  env["MEDIC_ALERT_FINGERPRINT"] = Bounded(JsonString(alert, "fingerprint"));
  env["MEDIC_ALERT_STARTS_AT"] = Bounded(JsonString(alert, "startsAt"));
  env["MEDIC_ALERT_LABELS"] = Bounded(Dump(labels));
  env["MEDIC_ALERT_ANNOTATIONS"] = Bounded(Dump(annotations));
  std::size_t count = 0;
  for (const auto& [name, value] : labels.items()) {
    if (++count > 64) break;
    if (value.is_string())
      env[EnvName("MEDIC_ALERT_LABEL_", name)] = Bounded(value.get<std::string>());
  }
  count = 0;
  for (const auto& [name, value] : annotations.items()) {
    if (++count > 64) break;
    if (value.is_string()) {
      env[EnvName("MEDIC_ALERT_ANNOTATION_", name)] = Bounded(value.get<std::string>());
    }
  }
  return env;
}

StepRunner::StepRunner(Options options) : options_(std::move(options)) {}

void StepRunner::RequestStop() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_requested_ = true;
  }
  stop_cv_.notify_all();
}

bool StepRunner::SleepUnlessStopped(Duration duration) {
  std::unique_lock lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, duration, [this] { return stop_requested_; });
}

ContainerEngine& StepRunner::Engine() {
  if (options_.engine == nullptr) throw std::runtime_error("no container engine configured");
  return *options_.engine;
}

StepOutcome StepRunner::Run(const StepSettings& step, JobContext& context) {
  const std::string kind = StepKindName(step.kind);
  const std::string& target = context.job->target;
  // After a failure only escalate (the remedy) and notify (the report) still run; escalate
  // runs only after a failure.
  if (step.kind == StepSettings::Kind::kEscalate && !context.failed) {
    return {StepState::kSkipped, "not needed: previous steps succeeded"};
  }
  if (context.failed && step.kind != StepSettings::Kind::kEscalate &&
      step.kind != StepSettings::Kind::kNotify) {
    return {StepState::kSkipped, "skipped after an earlier failure"};
  }
  if (context.dry_run && step.kind != StepSettings::Kind::kVerify) {
    std::string what = "dry run: would " + kind + " " + target;
    if (step.kind == StepSettings::Kind::kExec) {
      what += " running";
      for (const auto& arg : step.argv) what += " " + arg;
    }
    if (step.kind == StepSettings::Kind::kNotify) what = "dry run: would notify " + step.notifier;
    return {StepState::kSucceeded, what};
  }
  if (context.dry_run) return {StepState::kSucceeded, "dry run: would verify " + target};
  try {
    switch (step.kind) {
      case StepSettings::Kind::kRestart:
        return Restart(step, context);
      case StepSettings::Kind::kVerify:
        context.last_verify = &step;
        return Verify(step, context);
      case StepSettings::Kind::kEscalate:
        return Escalate(step, context);
      case StepSettings::Kind::kDiagnostics:
        return Diagnostics(step, context);
      case StepSettings::Kind::kPrune:
        return Prune(context);
      case StepSettings::Kind::kExec:
        return Exec(step.argv, step.timeout, context);
      case StepSettings::Kind::kNotify:
        return Notify(step, context);
    }
  } catch (const std::exception& error) {
    return {StepState::kFailed, std::string("error: ") + error.what()};
  }
  return {StepState::kFailed, "unknown step"};
}

StepOutcome StepRunner::Restart(const StepSettings& step, JobContext& context) {
  if (const auto interrupted_at = std::exchange(context.interrupted_at, std::nullopt)) {
    // A crash cut the restart short: the engine may have finished it on its own. Restarting
    // again would be a second restart for one incident.
    const auto inspect =
        nlohmann::json::parse(Engine().InspectJson(context.job->target), nullptr, false);
    const nlohmann::json state =
        inspect.is_object() ? inspect.value("State", nlohmann::json::object()) : nlohmann::json();
    const bool running = state.is_object() && state.value("Running", false);
    const auto started =
        state.is_object() && state.contains("StartedAt") && state["StartedAt"].is_string()
            ? docker::ParseTimestamp(state["StartedAt"].get<std::string>())
            : std::nullopt;
    if (running && started && *started >= *interrupted_at) {
      return {StepState::kSucceeded,
              "not restarted again: " + context.job->target + " started at " +
                  human::Time(*started) + ", after the restart begun at " +
                  human::Time(*interrupted_at) + " that medic's stop cut short"};
    }
  }
  Engine().Restart(context.job->target, step.timeout);
  return {StepState::kSucceeded,
          "restarted " + context.job->target + " (t=" + FormatDuration(step.timeout) + ")"};
}

StepOutcome StepRunner::Verify(const StepSettings& step, JobContext& context) {
  const int attempts = std::max(1, step.attempts);
  std::string last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (!step.url.empty()) {
      net::CurlRequest request;
      request.url = step.url;
      request.timeout = step.timeout;
      // Not followed: the service itself must answer healthy, not whatever a redirect reaches.
      request.follow_redirects = false;
      const net::CurlResponse response = net::Perform(request);
      const bool answered = response.error.empty();
      if (answered && response.status >= 200 && response.status < 300) {
        return {StepState::kSucceeded, "healthy after " + std::to_string(attempt) +
                                           " attempt(s): HTTP " + std::to_string(response.status)};
      }
      last = answered ? "HTTP " + std::to_string(response.status) : response.error;
    } else {
      const auto inspect =
          nlohmann::json::parse(Engine().InspectJson(context.job->target), nullptr, false);
      const auto state = inspect.is_object() ? inspect.value("State", nlohmann::json::object())
                                             : nlohmann::json::object();
      const bool running = state.value("Running", false);
      std::string health;
      if (state.contains("Health") && state["Health"].is_object()) {
        health = state["Health"].value("Status", "");
      }
      // With a HEALTHCHECK, wait for "healthy"; without one, running is the best signal.
      if (running && (health.empty() || health == "healthy")) {
        return {StepState::kSucceeded, "container running" +
                                           (health.empty() ? std::string() : " and healthy") +
                                           " after " + std::to_string(attempt) + " attempt(s)"};
      }
      last = running ? "health " + health : "not running";
    }
    if (attempt < attempts && !SleepUnlessStopped(step.interval)) {
      return {StepState::kInterrupted, "medic stopped after " + std::to_string(attempt) +
                                           " attempt(s) (" + last + "); resumes after restart"};
    }
  }
  return {StepState::kFailed,
          "still unhealthy after " + std::to_string(attempts) + " attempt(s): " + last};
}

StepOutcome StepRunner::Escalate(const StepSettings& step, JobContext& context) {
  StepOutcome outcome;
  if (step.escalation == "exec") {
    outcome = Exec(step.argv, step.timeout, context);
  } else {
    Engine().Stop(context.job->target, step.timeout);
    Engine().Start(context.job->target);
    outcome = {StepState::kSucceeded, "recreated " + context.job->target + " (stop + start)"};
  }
  if (outcome.state == StepState::kSucceeded && context.last_verify != nullptr) {
    const StepOutcome verified = Verify(*context.last_verify, context);
    outcome.output += "; verify: " + verified.output;
    // The escalation itself has happened and must not repeat on resume: a re-verify cut short
    // by shutdown counts as a failed escalation, not an interrupted step.
    outcome.state = verified.state == StepState::kInterrupted ? StepState::kFailed : verified.state;
  }
  if (outcome.state == StepState::kSucceeded) context.failed = false;
  return outcome;
}

StepOutcome StepRunner::Diagnostics(const StepSettings& step, JobContext& context) {
  DiagnosticsRequest request;
  request.data_dir = options_.data_dir;
  request.remediation = context.job->remediation;
  request.target = context.job->target;
  request.alert_json = JsonText(context.alert, 2);
  request.log_lines = step.log_lines;
  request.keep = step.keep;
  const DiagnosticsResult result =
      WriteDiagnosticsBundle(request, options_.engine, options_.metrics_text);
  context.bundle_path = result.archive_path;
  return {StepState::kSucceeded, "bundle " + result.archive_path + "\n" + result.summary,
          result.archive_path};
}

StepOutcome StepRunner::Prune(JobContext&) {
  const PruneReport report = Engine().Prune();
  return {StepState::kSucceeded, "SpaceReclaimed " + std::to_string(report.space_reclaimed_bytes) +
                                     " bytes; " + report.detail};
}

StepOutcome StepRunner::Exec(const std::vector<std::string>& argv, Duration timeout,
                             JobContext& context) {
  const ProcessResult result = RunProcess(
      argv, AlertEnvironment(context.alert, context.job->remediation, context.job->target), timeout,
      options_.max_output_bytes);
  if (!result.error.empty()) return {StepState::kFailed, result.error};
  std::string summary = "exit " + std::to_string(result.exit_code);
  if (result.timed_out) summary = "killed after timeout " + FormatDuration(timeout);
  if (result.truncated) summary += " (output truncated)";
  const bool ok = !result.timed_out && result.exit_code == 0;
  return {ok ? StepState::kSucceeded : StepState::kFailed, summary + "\n" + result.output};
}

StepOutcome StepRunner::Notify(const StepSettings& step, JobContext& context) {
  auto it = options_.notifiers.find(step.notifier);
  if (it == options_.notifiers.end()) {
    return {StepState::kFailed, "unknown notifier " + step.notifier};
  }
  const JobRecord& job = *context.job;
  const bool retries_left = job.attempt < job.max_attempts;
  // Once per incident for failures: the first failed attempt says a retry is coming, the last
  // says medic gave up; the ones between have nothing new to tell.
  if (context.failed && retries_left && job.attempt > 1) {
    return {StepState::kSkipped, "attempt " + std::to_string(job.attempt) +
                                     " failed too; the person was told at attempt 1 and hears "
                                     "again on success or when medic gives up"};
  }
  const nlohmann::json labels = context.alert.value("labels", nlohmann::json::object());
  const std::string alertname = JsonString(labels, "alertname");
  // A chain that only collects diagnostics changes nothing: it reports what it collected,
  // never "OK" as if the target were healed.
  const bool acts =
      context.remediation == nullptr ||
      std::any_of(context.remediation->steps.begin(), context.remediation->steps.end(),
                  [](const StepSettings& candidate) {
                    return StepKindChangesTarget(StepKindName(candidate.kind));
                  });
  std::string verdict = acts ? "OK" : "DONE (nothing changed)";
  if (!acts && !context.bundle_path.empty()) verdict = "DIAGNOSTICS COLLECTED";
  if (context.failed) {
    verdict = retries_left ? "FAILED, will retry (attempt " + std::to_string(job.attempt) + " of " +
                                 std::to_string(job.max_attempts) + ")"
                           : "GAVE UP after " + std::to_string(job.attempt) +
                                 " attempt(s), manual action needed";
  } else if (job.attempt > 1) {
    verdict += " on attempt " + std::to_string(job.attempt);
  }
  NotificationMessage message;
  message.title =
      "[medic] " + verdict + ": " + job.remediation + " on " + job.target + " for " + alertname;
  message.fields.emplace_back("alert",
                              alertname + " (" + JsonString(context.alert, "status") + ")");
  message.fields.emplace_back("target", job.target);
  std::string steps;
  for (const auto& [kind, state] : context.step_outcomes) {
    steps.append(kind).append(": ").append(state).append("\n");
  }
  message.fields.emplace_back("steps", steps.empty() ? "(none)" : steps);
  if (context.failed && !context.failure.empty()) {
    message.fields.emplace_back("failed at", context.failure);
  }
  if (context.failed) {
    const double backoff = RetryDelaySeconds(job.retry_backoff_seconds, job.attempt);
    message.fields.emplace_back(
        "what to do", retries_left
                          ? "Nothing yet: medic tries again in " + human::Span(backoff) +
                                " while the alert fires, and reports the outcome."
                          : "Act by hand: medic will not try again for this incident. Check the "
                            "container (docker logs, docker inspect) and the failing step.");
  }
  if (!context.bundle_path.empty()) message.fields.emplace_back("bundle", context.bundle_path);
  if (!context.failed && !acts) {
    message.fields.emplace_back("what to do",
                                "medic did not change " + job.target +
                                    ": read the bundle and find the cause while the alert fires.");
  }
  const nlohmann::json annotations = context.alert.value("annotations", nlohmann::json::object());
  if (const std::string summary = JsonString(annotations, "summary"); !summary.empty()) {
    message.fields.emplace_back("summary", summary);
  }
  message.alert = context.alert;
  NotifierSettings settings = it->second;
  if (settings.name.empty()) settings.name = step.notifier;
  const NotifyResult result = SendNotification(settings, message, options_.notify_base_delay);
  // A failed notification does not undo the remediation; it is recorded as a failed step.
  return {result.delivered ? StepState::kSucceeded : StepState::kFailed, result.detail};
}

NoticeDelivery StepRunner::SendNotice(const RemediationSettings* remediation,
                                      const NoticeRecord& notice) {
  std::vector<std::string> names;
  if (remediation != nullptr) {
    for (const auto& step : remediation->steps) {
      if (step.kind == StepSettings::Kind::kNotify &&
          std::find(names.begin(), names.end(), step.notifier) == names.end()) {
        names.push_back(step.notifier);
      }
    }
  }
  if (names.empty()) {
    for (const auto& [name, settings] : options_.notifiers) names.push_back(name);
  }
  NoticeDelivery delivery;
  if (names.empty()) {
    delivery.no_notifier = true;
    delivery.detail = "no notifier configured";
    return delivery;
  }
  const NotificationMessage message = RenderNotice(notice);
  for (const auto& name : names) {
    auto it = options_.notifiers.find(name);
    if (it == options_.notifiers.end()) continue;
    NotifierSettings settings = it->second;
    if (settings.name.empty()) settings.name = name;
    const NotifyResult result = SendNotification(settings, message, options_.notify_base_delay);
    delivery.delivered = delivery.delivered || result.delivered;
    delivery.detail += (delivery.detail.empty() ? "" : "; ") + name + ": " + result.detail;
  }
  return delivery;
}

}  // namespace medic::remediation
