#pragma once

#include "medic/collector_registry.h"
#include "medic/health/health.h"

#include <prometheus/metric_family.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medic::web {

// Everything the status page at / shows; built per request from the latest scrape (or a new
// collection when none is recent, see web.status_max_age).
struct StatusPageModel {
  std::string version;
  std::string revision;
  std::string config_source;
  std::string telemetry_path = "/metrics";
  std::vector<std::pair<std::string, std::string>> links;  // href, label
  std::vector<CollectorStatus> collectors;
  std::vector<prometheus::MetricFamily> families;  // one collection of every collector
  double collected_at = 0;                         // unix seconds when that collection started
  double collected_age_seconds = 0;                // how long ago, when the page was built
  ThresholdSettings thresholds;                    // bar colours follow the check thresholds
  health::Report report;                           // Evaluate(families, thresholds, now)
  // The journal's history (array of jobs with steps, newest first, as GET /api/v1/remediations
  // returns it); nullopt when no journal is configured.
  std::optional<nlohmann::json> remediations;
  std::string remediations_error;  // the journal could not be read
  // Auto-healing switched off: (remediation, target) circuits that are open, and when each
  // closes by itself.
  struct OpenCircuit {
    std::string remediation;
    std::string target;
    double opened_at = 0;
    double closes_at = 0;
  };
  std::vector<OpenCircuit> open_circuits;
  std::map<std::string, int> medic_restarts_24h;  // per target: restarts medic made (journal)
  // Non-empty while the journal is at journal.max_bytes and webhooks are answered 503.
  std::string journal_full;
  int refresh_seconds = 15;
};

// What the on-call person must know about healing first: circuits open, incidents medic gave
// up on, runs that failed and wait for a retry. Most severe first; the page's headline.
struct HealingTrouble {
  health::State state = health::State::kWarn;
  std::string text;
};
std::vector<HealingTrouble> HealingTroubles(const StatusPageModel& model);

// A journaled job's state in plain words: "healed", "failed, retry at …", "not run: cooldown".
std::string PlainJobOutcome(const nlohmann::json& job);

inline constexpr std::string_view kStatusStylesheetPath = "/static/status.css";

// The page: server-rendered, no script, no external asset, every value HTML-escaped. Bars are
// <meter> elements so the page needs no inline style (CSP: style-src 'self').
std::string RenderStatusPage(const StatusPageModel& model);
std::string_view StatusStylesheet();
// The CSP the page is served with.
std::string_view StatusPageContentSecurityPolicy();

// GET /api/v1/status: overall state, checks, containers, certificates, disks, redis, log rules,
// offenders and collectors; the same data as the page.
nlohmann::json StatusJson(const StatusPageModel& model);

}  // namespace medic::web
