#include "medic/web/status_page.h"

#include "medic/json_text.h"

#include "medic/docker/client.h"
#include "medic/web/html.h"

#include "medic/human_format.h"
#include "medic/metric_sample.h"
#include "medic/remediation/job_state.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

namespace medic::web {
namespace {

using metrics::Label;
using metrics::Value;
using prometheus::ClientMetric;
using prometheus::MetricFamily;

std::string Utc(double unix_seconds) {
  return unix_seconds > 0 ? metrics::FormatUtc(unix_seconds) : "";
}

const std::vector<ClientMetric>& Samples(const std::vector<MetricFamily>& families,
                                         std::string_view name) {
  static const std::vector<ClientMetric> kEmpty;
  for (const auto& family : families) {
    if (family.name == name) return family.metric;
  }
  return kEmpty;
}

std::map<std::string, double> ByLabel(const std::vector<MetricFamily>& families,
                                      std::string_view name, std::string_view label) {
  std::map<std::string, double> out;
  for (const auto& metric : Samples(families, name)) out[Label(metric, label)] = Value(metric);
  return out;
}

std::optional<double> Single(const std::vector<MetricFamily>& families, std::string_view name) {
  const auto& samples = Samples(families, name);
  if (samples.empty()) return std::nullopt;
  return Value(samples.front());
}

double Finite(double value) { return std::isfinite(value) ? value : 0; }

std::string Fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, Finite(value));
  return buffer;
}

using human::Bytes;

std::string StateClass(std::string_view state) {
  if (state == "OK") return "ok";
  if (state == "WARN") return "warn";
  return "fail";
}

// --- table rows, shared by the page and /api/v1/status ------------------------------------

struct ContainerRow {
  std::string name, image, state, health;
  bool running = false;
  double memory = 0, limit = 0, restarts = 0;
  bool oom_killed = false;
};

std::vector<ContainerRow> Containers(const std::vector<MetricFamily>& families) {
  std::map<std::string, ContainerRow> rows;
  for (const auto& [name, running] : ByLabel(families, "medic_container_running", "name")) {
    rows[name].name = name;
    rows[name].running = running == 1;
  }
  for (const auto& metric : Samples(families, "medic_container_state_info")) {
    if (Value(metric) == 1 && rows.count(Label(metric, "name"))) {
      rows[Label(metric, "name")].state = Label(metric, "state");
    }
  }
  for (const auto& metric : Samples(families, "medic_container_health_status")) {
    if (Value(metric) == 1 && rows.count(Label(metric, "name"))) {
      rows[Label(metric, "name")].health = Label(metric, "status");
    }
  }
  for (const auto& metric : Samples(families, "container_memory_usage_bytes")) {
    const auto found = rows.find(Label(metric, "name"));
    if (found == rows.end()) continue;
    found->second.memory = Value(metric);
    found->second.image = Label(metric, "image");
  }
  for (const auto& [name, limit] : ByLabel(families, "container_spec_memory_limit_bytes", "name")) {
    if (rows.count(name)) rows[name].limit = limit;
  }
  for (const auto& [name, count] : ByLabel(families, "medic_container_restarts", "name")) {
    if (rows.count(name)) rows[name].restarts = count;
  }
  for (const auto& [name, oom] : ByLabel(families, "medic_container_oom_killed", "name")) {
    if (rows.count(name)) rows[name].oom_killed = oom == 1;
  }
  std::vector<ContainerRow> out;
  out.reserve(rows.size());
  for (auto& [_, row] : rows) out.push_back(std::move(row));
  return out;
}

struct CertRow {
  std::string target;
  bool probe_ok = true, verified = true;
  std::string reason;
  double expiry = 0;
  double days_left = 0;
};

std::vector<CertRow> Certificates(const std::vector<MetricFamily>& families, double now) {
  std::map<std::string, CertRow> rows;
  for (const auto& [target, ok] : ByLabel(families, "medic_cert_probe_success", "target")) {
    rows[target].target = target;
    rows[target].probe_ok = ok == 1;
  }
  for (const auto& [target, expiry] :
       ByLabel(families, "medic_cert_earliest_expiry_timestamp_seconds", "target")) {
    rows[target].target = target;
    rows[target].expiry = expiry;
    rows[target].days_left = (expiry - now) / 86400;
  }
  for (const auto& [target, ok] : ByLabel(families, "medic_cert_verify_ok", "target")) {
    if (rows.count(target)) rows[target].verified = ok == 1;
  }
  for (const auto& metric : Samples(families, "medic_cert_verify_error_info")) {
    if (rows.count(Label(metric, "target")))
      rows[Label(metric, "target")].reason = Label(metric, "reason");
  }
  std::vector<CertRow> out;
  out.reserve(rows.size());
  for (auto& [_, row] : rows) out.push_back(std::move(row));
  // Soonest expiry first; failed probes (no expiry known) on top.
  std::stable_sort(out.begin(), out.end(), [](const CertRow& a, const CertRow& b) {
    if ((a.expiry > 0) != (b.expiry > 0)) return a.expiry <= 0;
    return a.expiry < b.expiry;
  });
  return out;
}

struct DiskRow {
  std::string mountpoint, device, fstype;
  double size = 0, avail = 0, used_ratio = 0;
};

std::vector<DiskRow> Disks(const std::vector<MetricFamily>& families) {
  const auto avail = ByLabel(families, "node_filesystem_avail_bytes", "mountpoint");
  std::vector<DiskRow> out;
  for (const auto& metric : Samples(families, "node_filesystem_size_bytes")) {
    DiskRow row{Label(metric, "mountpoint"), Label(metric, "device"), Label(metric, "fstype"),
                Value(metric)};
    if (const auto a = avail.find(row.mountpoint); a != avail.end()) row.avail = a->second;
    row.used_ratio = row.size > 0 ? 1 - row.avail / row.size : 0;
    out.push_back(std::move(row));
  }
  return out;
}

struct RuleRow {
  std::string rule;
  std::map<std::string, double> per_source;
  double total = 0;
  double last_hour = 0;
};

std::vector<RuleRow> LogRules(const std::vector<MetricFamily>& families) {
  std::map<std::string, RuleRow> rows;
  for (const auto& metric : Samples(families, "medic_log_matches_total")) {
    RuleRow& row = rows[Label(metric, "rule")];
    row.rule = Label(metric, "rule");
    row.per_source[Label(metric, "source")] += Value(metric);
    row.total += Value(metric);
  }
  for (const auto& metric : Samples(families, "medic_log_matches_last_hour")) {
    const auto row = rows.find(Label(metric, "rule"));
    if (row != rows.end()) row->second.last_hour += Value(metric);
  }
  std::vector<RuleRow> out;
  out.reserve(rows.size());
  for (auto& [_, row] : rows) out.push_back(std::move(row));
  return out;
}

// --- HTML -----------------------------------------------------------------------------------

std::string Meter(double ratio, double high, double critical) {
  // <meter> colours itself (optimum low): no inline style, so the CSP can forbid it.
  return "<meter min=\"0\" max=\"1\" low=\"" + Fixed(high, 3) + "\" high=\"" + Fixed(critical, 3) +
         "\" optimum=\"0\" value=\"" + Fixed(std::clamp(ratio, 0.0, 1.0), 4) + "\">" +
         Fixed(ratio * 100, 1) + "%</meter> " + Fixed(ratio * 100, 1) + "%";
}

std::string Badge(std::string_view state) {
  return "<span class=\"badge " + StateClass(state) + "\">" + HtmlEscape(state) + "</span>";
}

std::string Cell(const std::string& text) { return "<td>" + HtmlEscape(text) + "</td>"; }

std::string Section(const std::string& id, const std::string& title, const std::string& body) {
  return "<section id=\"" + id + "\"><h2>" + HtmlEscape(title) + "</h2>\n" + body + "</section>\n";
}

std::string Table(const std::vector<std::string>& headers, const std::string& rows,
                  const std::string& empty_text) {
  if (rows.empty()) return "<p class=\"muted\">" + HtmlEscape(empty_text) + "</p>\n";
  std::string html = "<div class=\"scroll\"><table><thead><tr>";
  for (const auto& header : headers) html += "<th>" + HtmlEscape(header) + "</th>";
  return html + "</tr></thead><tbody>\n" + rows + "</tbody></table></div>\n";
}

std::string CheckRows(const health::Report& report, std::string_view group) {
  std::string rows;
  for (const auto& check : report.checks) {
    if (check.group != group) continue;
    rows += "<tr class=\"" + StateClass(health::StateName(check.state)) + "\"><td>" +
            Badge(health::StateName(check.state)) + "</td>" + Cell(check.subject) +
            Cell(check.value_text) + "<td class=\"muted\">" + HtmlEscape(check.threshold) +
            "</td></tr>\n";
  }
  return rows;
}

// The headline: healing trouble first (the person must act on it), then the checks' reason.
std::pair<health::State, std::string> Headline(const StatusPageModel& model) {
  health::State state = model.report.overall;
  std::string reason;
  for (const HealingTrouble& trouble : HealingTroubles(model)) {
    state = std::max(state, trouble.state);
    reason += (reason.empty() ? "" : "; ") + trouble.text;
  }
  if (reason.empty()) return {state, model.report.reason};
  return {state, reason + (model.report.overall == health::State::kOk
                               ? ""
                               : "; checks: " + model.report.reason)};
}

std::string OverallSection(const StatusPageModel& model) {
  const auto [overall, reason] = Headline(model);
  const std::string state(health::StateName(overall));
  std::string html = "<div class=\"overall " + StateClass(state) + "\" id=\"overall\"><strong>" +
                     HtmlEscape(state) + "</strong> <span id=\"overall-reason\">" +
                     HtmlEscape(reason) + "</span></div>\n";
  std::string rows;
  for (const auto& check : model.report.checks) {
    if (check.state == health::State::kOk) continue;
    rows += "<tr><td>" + Badge(health::StateName(check.state)) + "</td>" + Cell(check.group) +
            Cell(check.subject) + Cell(check.value_text) + "<td class=\"muted\">" +
            HtmlEscape(check.threshold) + "</td></tr>\n";
  }
  if (!rows.empty()) {
    html += Table({"state", "area", "check", "value", "threshold"}, rows, "");
  }
  return html;
}

// The engine's RestartCount only counts its restart policy's restarts; medic's own come from
// the journal.
int MedicRestarts(const StatusPageModel& model, const std::string& name) {
  const auto found = model.medic_restarts_24h.find(name);
  return found == model.medic_restarts_24h.end() ? 0 : found->second;
}

std::string RestartsText(const StatusPageModel& model, const ContainerRow& row) {
  const int by_medic = MedicRestarts(model, row.name);
  std::string text = Fixed(row.restarts + by_medic, 0);
  if (by_medic > 0) text += " (" + std::to_string(by_medic) + " by medic in 24 h)";
  if (row.oom_killed) text += " (last exit: OOM)";
  return text;
}

std::string ContainerSection(const StatusPageModel& model) {
  const double warn_ratio = model.thresholds.container_memory_warning_ratio;
  std::string rows;
  for (const auto& row : Containers(model.families)) {
    const std::string running =
        row.running ? "running" : (row.state.empty() ? "not running" : row.state);
    std::string memory = Bytes(row.memory);
    if (!row.running) {
      // A stopped container uses nothing; what it may use is still worth showing.
      memory = "<span class=\"muted\">" +
               HtmlEscape(row.limit > 0 ? "not running; limit " + Bytes(row.limit)
                                        : std::string("not running; no limit")) +
               "</span>";
    } else if (row.limit > 0) {
      memory = Meter(row.memory / row.limit, warn_ratio, 0.97) + " <span class=\"muted\">" +
               HtmlEscape(Bytes(row.memory) + " of " + Bytes(row.limit)) + "</span>";
    } else {
      memory = HtmlEscape(memory) + " <span class=\"muted\">no limit</span>";
    }
    rows += "<tr class=\"" + std::string(row.running ? "ok" : "fail") + "\">" + Cell(row.name) +
            "<td>" + Badge(row.running ? "OK" : "FAIL") + " " + HtmlEscape(running) + "</td>" +
            Cell(row.health.empty() ? "—" : row.health) + "<td>" + memory + "</td>" +
            Cell(RestartsText(model, row)) + "</tr>\n";
  }
  std::string probes = CheckRows(model.report, health::kGroupService);
  return Table({"container", "state", "health", "memory vs limit", "restarts"}, rows,
               "No container metrics: the container collector is off, there are no "
               "containers, or the Docker engine does not answer (see its check below).") +
         (probes.empty()
              ? ""
              : "<h3>Checks</h3>\n" + Table({"state", "check", "value", "threshold"}, probes, ""));
}

std::string CertificateSection(const StatusPageModel& model) {
  std::string rows;
  for (const auto& row : Certificates(model.families, model.report.evaluated_at)) {
    std::string state = "OK";
    std::string days = Fixed(row.days_left, 1);
    if (!row.probe_ok) {
      state = "FAIL";
      days = "probe failed";
    } else if ((row.expiry > 0 && row.days_left < 0) || !row.verified) {
      state = "FAIL";
    }
    for (const auto& check : model.report.checks) {
      if (check.subject == "certificate " + row.target) state = health::StateName(check.state);
    }
    rows += "<tr class=\"" + StateClass(state) + "\"><td>" + Badge(state) + "</td>" +
            Cell(row.target) + Cell(days) + Cell(Utc(row.expiry)) +
            Cell(row.verified ? "verified"
                              : "not verified" + (row.reason.empty() ? "" : ": " + row.reason)) +
            "</tr>\n";
  }
  return Table({"state", "target", "days left", "expires", "verification"}, rows,
               "No certificate metrics (cert collector off).");
}

std::string DiskSection(const StatusPageModel& model) {
  std::string rows;
  for (const auto& row : Disks(model.families)) {
    const double used = row.used_ratio;
    const std::string state = used > model.thresholds.disk_used_critical_ratio  ? "FAIL"
                              : used > model.thresholds.disk_used_warning_ratio ? "WARN"
                                                                                : "OK";
    rows += "<tr class=\"" + StateClass(state) + "\"><td>" + Badge(state) + "</td>" +
            Cell(row.mountpoint) + "<td>" +
            Meter(used, model.thresholds.disk_used_warning_ratio,
                  model.thresholds.disk_used_critical_ratio) +
            "</td>" + Cell(Bytes(row.avail) + " free of " + Bytes(row.size)) +
            Cell(row.device + " (" + row.fstype + ")") + "</tr>\n";
  }
  const std::string backups = CheckRows(model.report, health::kGroupBackups);
  return Table({"state", "mount point", "used", "free", "device"}, rows,
               "No filesystem metrics (filesystem collector off).") +
         (backups.empty()
              ? ""
              : "<h3>Backups</h3>\n" + Table({"state", "backup", "age", "threshold"}, backups, ""));
}

std::string RedisSection(const StatusPageModel& model) {
  const auto up = Single(model.families, "redis_up");
  if (!up) return "<p class=\"muted\">No Redis metrics (redis collector off).</p>\n";
  std::string html = CheckRows(model.report, health::kGroupCache);
  const double used = Single(model.families, "redis_memory_used_bytes").value_or(0);
  const double max = Single(model.families, "redis_memory_max_bytes").value_or(0);
  std::string memory =
      max > 0
          ? "<p>Memory " + Meter(used / max, model.thresholds.redis_memory_warning_ratio, 0.97) +
                " <span class=\"muted\">" + HtmlEscape(Bytes(used) + " of " + Bytes(max)) +
                "</span></p>\n"
          : "";
  return Table({"state", "check", "value", "threshold"}, html, "") + memory;
}

std::string LogSection(const StatusPageModel& model) {
  std::string rows;
  for (const auto& row : LogRules(model.families)) {
    std::string sources;
    for (const auto& [source, count] : row.per_source) {
      sources += (sources.empty() ? "" : ", ") + source + ": " + Fixed(count, 0);
    }
    rows += "<tr>" + Cell(row.rule) + Cell(Fixed(row.last_hour, 0)) + Cell(Fixed(row.total, 0)) +
            Cell(sources) + "</tr>\n";
  }
  std::string offenders;
  for (const auto& offender : model.report.offenders) {
    offenders += "<tr>" + Cell(offender.rule) + Cell(offender.ip) +
                 Cell(Fixed(offender.matches, 0)) + "</tr>\n";
  }
  return "<p class=\"muted\">Matches in the last hour (since start when medic has run less "
         "than an hour) and since medic started; Prometheus keeps the longer history.</p>\n" +
         Table({"rule", "last hour", "since start", "per source (since start)"}, rows,
               "No log metrics (logs collector off).") +
         "<h3>Top offenders</h3>\n" +
         Table({"rule", "client", "matches"}, offenders, "No offenders recorded.");
}

// When a job ran (a waiting one: when its alert came): the timeline orders what medic did.
double RunTime(const nlohmann::json& job) {
  const double started = job.value("started_at", 0.0);
  return started > 0 ? started : job.value("created_at", 0.0);
}

std::string StepDuration(const nlohmann::json& step) {
  const double started = step.value("started_at", 0.0);
  const double finished = step.value("finished_at", 0.0);
  if (!(started > 0) || !(finished >= started)) return "";
  return Fixed(finished - started, 2) + " s";
}

std::string FieldText(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return "";
  if (found->is_string()) return found->get<std::string>();
  return JsonText(*found);
}

// A diagnostics step journals its bundle as the step's artifact (<dir>/<name>.tar.gz): link that
// archive, and the listing of every bundle kept.
std::string DiagnosticsLinks(const std::string& artifact) {
  std::string links = " <a href=\"/api/v1/diagnostics\">bundle listing</a>";
  constexpr std::string_view kSuffix = ".tar.gz";
  const std::string_view archive(artifact);
  if (!archive.ends_with(kSuffix)) return links;
  const std::string_view path = archive.substr(0, archive.size() - kSuffix.size());
  const std::string_view name = path.substr(path.rfind('/') + 1);
  if (name.empty()) return links;
  return " <a href=\"/api/v1/diagnostics/archive?name=" + docker::UrlEncode(std::string(name)) +
         "\">bundle</a>" + links;
}

std::string RemediationSection(const StatusPageModel& model) {
  if (!model.remediations_error.empty()) {
    return "<p class=\"fail\">Journal unreadable: " + HtmlEscape(model.remediations_error) +
           "</p>\n";
  }
  if (!model.remediations) {
    return "<p class=\"muted\">No remediation journal in this medic (webhook not "
           "configured).</p>\n";
  }
  if (!model.remediations->is_array() || model.remediations->empty()) {
    return "<p class=\"muted\">No remediations yet.</p>\n";
  }
  std::string html = "<ol class=\"timeline\">\n";
  for (const auto& job : *model.remediations) {
    if (!job.is_object()) continue;
    const bool dry_run = job.value("dry_run", false);
    const std::string state = FieldText(job, "state");
    const std::string result = FieldText(job, "result");
    const std::string css = state == "succeeded" || result == "succeeded" || result == "ok" ? "ok"
                            : state == "failed" || state == "interrupted"                   ? "fail"
                                                                          : "warn";
    html += "<li class=\"job " + css + "\" data-job=\"" + HtmlEscape(FieldText(job, "id")) +
            "\"><div class=\"job-head\"><time>" + HtmlEscape(Utc(RunTime(job))) +
            "</time> <strong>" + HtmlEscape(FieldText(job, "alertname")) + "</strong> → ";
    html += HtmlEscape(FieldText(job, "remediation")) + " on <code>" +
            HtmlEscape(FieldText(job, "target")) + "</code> <span class=\"badge " + css + "\">";
    html += HtmlEscape(PlainJobOutcome(job)) + "</span>" +
            (dry_run ? " <span class=\"badge dry\">dry run</span>" : "") + "</div>\n";
    const std::string detail = FieldText(job, "detail");
    if (!detail.empty()) html += "<div class=\"muted\">" + HtmlEscape(detail) + "</div>\n";
    const auto steps = job.find("steps");
    if (steps != job.end() && steps->is_array() && !steps->empty()) {
      html += "<ul class=\"steps\">\n";
      for (const auto& step : *steps) {
        if (!step.is_object()) continue;
        std::string output = FieldText(step, "output");
        if (output.size() > 300) output = output.substr(0, 300) + "…";
        const std::string kind = FieldText(step, "kind");
        html += "<li><code>" + HtmlEscape(kind) + "</code> " +
                HtmlEscape(FieldText(step, "state")) + " <span class=\"muted\">" +
                HtmlEscape(StepDuration(step)) + "</span>";
        if (kind == "diagnostics") html += DiagnosticsLinks(FieldText(step, "artifact"));
        if (!output.empty()) html += "<div class=\"out\">" + HtmlEscape(output) + "</div>";
        html += "</li>\n";
      }
      html += "</ul>\n";
    }
    html += "</li>\n";
  }
  return html + "</ol>\n<p><a href=\"/api/v1/remediations\">All remediations as JSON</a></p>\n";
}

std::string CollectorSection(const StatusPageModel& model) {
  std::string rows;
  for (const CollectorStatus& status : model.collectors) {
    const std::string state = !status.ran ? "not run yet" : status.success ? "ok" : "failed";
    const std::string css = !status.ran ? "" : status.success ? "ok" : "fail";
    rows += "<tr class=\"" + css + "\">" + Cell(status.name);
    rows +=
        "<td class=\"" + css + "\">" + HtmlEscape(state) + "</td>" +
        Cell(status.ran ? Fixed(status.duration_seconds, 3) + " s" : "") +
        Cell(status.ran
                 ? Utc(std::chrono::duration<double>(status.last_run.time_since_epoch()).count())
                 : "") +
        Cell(status.last_error) + "</tr>\n";
  }
  return Table({"collector", "state", "last duration", "last run", "last error"}, rows,
               "No collectors enabled.");
}

const char kStylesheet[] =
    R"(:root{color-scheme:light dark;--ok:#1a7f37;--warn:#9a6700;--fail:#cf222e;--line:#8884}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1rem;max-width:72rem;line-height:1.4}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:baseline}
header h1{margin:0;font-size:1.6rem}
nav a{margin-right:1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .3rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
td,th{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600}
.muted{opacity:.7}
.ok{color:var(--ok)}.warn{color:var(--warn)}.fail{color:var(--fail)}
tr.ok,tr.warn,tr.fail{color:inherit}
.badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.8rem;font-weight:700;border:1px solid currentColor}
.badge.dry{color:#6639ba}
.overall{font-size:1.25rem;padding:.8rem 1rem;border-radius:.4rem;border:2px solid currentColor;margin:1rem 0}
meter{width:8rem;height:1rem;vertical-align:middle}
code{font-family:ui-monospace,monospace;font-size:.9em}
.timeline{list-style:none;padding:0}
.job{border-left:4px solid currentColor;padding:.3rem .8rem;margin:.6rem 0}
.job-head{color:CanvasText}
.steps{margin:.3rem 0;padding-left:1.2rem;color:CanvasText}
.out{font-family:ui-monospace,monospace;font-size:.8rem;white-space:pre-wrap;word-break:break-all;opacity:.8}
@media (max-width:40rem){body{padding:.5rem}td,th{padding:.25rem}meter{width:5rem}}
)";

}  // namespace

std::string_view StatusStylesheet() { return kStylesheet; }

std::string_view StatusPageContentSecurityPolicy() {
  return "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
         "form-action 'none'; frame-ancestors 'none'";
}

std::string RenderStatusPage(const StatusPageModel& model) {
  const std::string state(health::StateName(Headline(model).first));
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"refresh\" content=\"" +
      std::to_string(std::max(model.refresh_seconds, 1)) + "\">\n<title>" + HtmlEscape(state) +
      " · medic</title>\n<link rel=\"stylesheet\" href=\"" + std::string(kStatusStylesheetPath) +
      "\">\n</head><body>\n<header><h1>medic</h1>";
  // How old the figures are: the page shows the latest scrape, up to web.status_max_age old.
  const std::string collected =
      model.collected_at > 0
          ? " · collected " +
                std::to_string(std::llround(std::max(model.collected_age_seconds, 0.0))) + " s ago"
          : "";
  html += "<span class=\"muted\">" + HtmlEscape(Utc(model.report.evaluated_at)) +
          HtmlEscape(collected) + " · version " + HtmlEscape(model.version) + " (revision <code>" +
          HtmlEscape(model.revision) + "</code>) · configuration <code>" +
          HtmlEscape(model.config_source) + "</code></span>";
  html += "\n<nav><a href=\"" + HtmlEscape(model.telemetry_path) + "\">Metrics</a>";
  for (const auto& [href, label] : model.links) {
    html += "<a href=\"" + HtmlEscape(href) + "\">" + HtmlEscape(label) + "</a>";
  }
  html += "</nav></header>\n<main>\n";
  html += Section("state", "Overall state", OverallSection(model));
  html += Section("remediations", "Remediations", RemediationSection(model));
  html += Section("containers", "Service: containers and probes", ContainerSection(model));
  html += Section("certificates", "Certificates", CertificateSection(model));
  html += Section("disks", "Disks and backups", DiskSection(model));
  html += Section("redis", "Redis", RedisSection(model));
  html += Section("logs", "Log rules and top offenders", LogSection(model));
  html += Section("collectors", "Collectors", CollectorSection(model));
  html += "</main>\n</body></html>\n";
  return html;
}

std::vector<HealingTrouble> HealingTroubles(const StatusPageModel& model) {
  std::vector<HealingTrouble> troubles;
  if (!model.journal_full.empty()) troubles.push_back({health::State::kFail, model.journal_full});
  for (const auto& circuit : model.open_circuits) {
    troubles.push_back({health::State::kFail,
                        "auto-healing is off for " + circuit.target + " (" + circuit.remediation +
                            " since " + human::Time(circuit.opened_at) + ", back on at " +
                            human::Time(circuit.closes_at) +
                            " or with POST /api/v1/circuits/reset?target=" + circuit.target + ")"});
  }
  // The latest attempt per (remediation, target) decides; the history is newest first.
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<HealingTrouble> warnings;
  if (model.remediations && model.remediations->is_array()) {
    for (const auto& job : *model.remediations) {
      if (!job.is_object()) continue;
      const auto key = std::make_pair(FieldText(job, "remediation"), FieldText(job, "target"));
      const std::string state = FieldText(job, "state");
      if (state == "queued") {
        // Waiting incidents: for the engine (nothing can heal the target now), for a cooldown
        // (runs by itself at its end), or a retry after a failed attempt.
        const std::string result = FieldText(job, "result");
        const double due = job.value("not_before", 0.0);
        if (result == "failed") {
          if (!seen.insert(key).second) continue;
          troubles.push_back({health::State::kFail,
                              key.first + " on " + key.second +
                                  " waits for the Docker engine, which does not answer (since " +
                                  human::Time(job.value("created_at", 0.0)) + ")"});
          continue;
        }
        if (result == "skipped_cooldown") {
          if (!seen.insert(key).second) continue;
          warnings.push_back({health::State::kWarn, key.first + " on " + key.second +
                                                        " waits for its cooldown until " +
                                                        human::Time(due) + " (docker restart " +
                                                        key.second + " heals it now)"});
          continue;
        }
        if (job.value("attempt", 1) > 1) {
          if (!seen.insert(key).second) continue;
          warnings.push_back({health::State::kWarn, "the last " + key.first + " on " + key.second +
                                                        " failed; medic retries at " +
                                                        human::Time(due)});
          continue;
        }
      }
      if (state == "queued" || state == "running" || state == "cancelled" || state == "refused") {
        continue;
      }
      // Its alert resolved since: the incident is over (healed by a person or by itself).
      if (job.value("alert_resolved", false)) {
        seen.insert(key);
        continue;
      }
      if (!seen.insert(key).second) continue;
      if (FieldText(job, "result") == "gave_up") {
        troubles.push_back({health::State::kFail,
                            "medic gave up on " + key.second + " (" + key.first + " at " +
                                human::Time(job.value("finished_at", 0.0)) + "): act by hand"});
      } else if (state == "failed" || state == "interrupted") {
        warnings.push_back(
            {health::State::kWarn, "the last " + key.first + " on " + key.second + " failed"});
      }
    }
  }
  troubles.insert(troubles.end(), warnings.begin(), warnings.end());
  return troubles;
}

std::string PlainJobOutcome(const nlohmann::json& job) {
  std::string state = FieldText(job, "state");
  const std::string result = FieldText(job, "result");
  const int attempt = job.value("attempt", 1);
  const std::string attempt_text =
      attempt > 1 ? " (attempt " + std::to_string(attempt) + ")" : std::string();
  if (state == "succeeded") {
    // Only a step that changed the container heals; a diagnostics-only run is just done.
    bool acted = false;
    if (const auto steps = job.find("steps"); steps != job.end() && steps->is_array()) {
      for (const auto& step : *steps) {
        acted = acted || (remediation::StepKindChangesTarget(FieldText(step, "kind")) &&
                          FieldText(step, "state") == "succeeded");
      }
    }
    return (acted ? "healed" : "done") + attempt_text;
  }
  if (state == "failed") return result == "gave_up" ? "failed, gave up" : "failed" + attempt_text;
  if (state == "queued") {
    const std::string until = human::Time(job.value("not_before", 0.0));
    if (result == "failed") return "waiting for the Docker engine";
    if (result == "skipped_cooldown") return "waiting: cooldown until " + until;
    if (result == "skipped_circuit") return "waiting: auto-healing off until " + until;
    return job.value("not_before", 0.0) > 0 ? "retry at " + until + attempt_text
                                            : "waiting for a worker";
  }
  if (state == "running") return "running" + attempt_text;
  if (result == "skipped_cooldown") return "not run: cooldown";
  if (result == "skipped_circuit") return "not run: auto-healing off";
  if (state == "cancelled") return "not needed: alert resolved";
  if (state == "refused") return "refused: target not allowed";
  if (state == "interrupted") return "interrupted by a restart of medic";
  if (state == "dry_run") return "dry run: nothing done";
  return state;
}

nlohmann::json StatusJson(const StatusPageModel& model) {
  nlohmann::json body = health::ToJson(model.report);
  nlohmann::json healing = nlohmann::json::array();
  for (const HealingTrouble& trouble : HealingTroubles(model)) {
    healing.push_back({{"state", health::StateName(trouble.state)}, {"text", trouble.text}});
  }
  body["healing_troubles"] = std::move(healing);
  body["version"] = model.version;
  body["revision"] = model.revision;
  body["collected_at"] = model.collected_at;
  body["collected_age_seconds"] = model.collected_age_seconds;
  nlohmann::json containers = nlohmann::json::array();
  for (const auto& row : Containers(model.families)) {
    containers.push_back({{"name", row.name},
                          {"image", row.image},
                          {"running", row.running},
                          {"state", row.state},
                          {"health", row.health},
                          {"memory_bytes", Finite(row.memory)},
                          {"memory_limit_bytes", Finite(row.limit)},
                          {"restarts", Finite(row.restarts)},
                          {"restarts_by_medic_24h", MedicRestarts(model, row.name)},
                          {"oom_killed", row.oom_killed}});
  }
  body["containers"] = std::move(containers);
  nlohmann::json certificates = nlohmann::json::array();
  for (const auto& row : Certificates(model.families, model.report.evaluated_at)) {
    certificates.push_back({{"target", row.target},
                            {"probe_success", row.probe_ok},
                            {"verified", row.verified},
                            {"verify_error", row.reason},
                            {"expiry_timestamp_seconds", Finite(row.expiry)},
                            {"days_left", Finite(row.days_left)}});
  }
  body["certificates"] = std::move(certificates);
  nlohmann::json disks = nlohmann::json::array();
  for (const auto& row : Disks(model.families)) {
    disks.push_back({{"mountpoint", row.mountpoint},
                     {"device", row.device},
                     {"fstype", row.fstype},
                     {"size_bytes", Finite(row.size)},
                     {"avail_bytes", Finite(row.avail)},
                     {"used_ratio", Finite(row.used_ratio)}});
  }
  body["disks"] = std::move(disks);
  if (const auto up = Single(model.families, "redis_up")) {
    const double hits = Single(model.families, "redis_keyspace_hits_total").value_or(0);
    const double misses = Single(model.families, "redis_keyspace_misses_total").value_or(0);
    body["redis"] = {
        {"up", *up == 1},
        {"keyspace_hits", hits},
        {"keyspace_misses", misses},
        {"hit_ratio",
         hits + misses > 0 ? nlohmann::json(hits / (hits + misses)) : nlohmann::json()},
        {"memory_used_bytes", Single(model.families, "redis_memory_used_bytes").value_or(0)},
        {"memory_max_bytes", Single(model.families, "redis_memory_max_bytes").value_or(0)}};
  } else {
    body["redis"] = nullptr;
  }
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& row : LogRules(model.families)) {
    rules.push_back({{"rule", row.rule},
                     {"matches", row.total},
                     {"matches_last_hour", row.last_hour},
                     {"per_source", row.per_source}});
  }
  body["log_rules"] = std::move(rules);
  nlohmann::json collectors = nlohmann::json::array();
  for (const CollectorStatus& status : model.collectors) {
    collectors.push_back(
        {{"name", status.name},
         {"ran", status.ran},
         {"success", status.success},
         {"duration_seconds", status.duration_seconds},
         {"last_error", status.last_error},
         {"last_run_timestamp_seconds",
          status.ran ? std::chrono::duration<double>(status.last_run.time_since_epoch()).count()
                     : 0.0}});
  }
  body["collectors"] = std::move(collectors);
  return body;
}

}  // namespace medic::web
