#include "medic/http/landing_page.h"

#include "medic/http/html.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace medic::http {
namespace {

std::string FormatTime(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace

std::string RenderLandingPage(const LandingPageModel& model) {
  std::string html = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>medic</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:60rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}
.ok{color:#1a7f37}.fail{color:#cf222e}code{background:#f4f4f4;padding:0 .2rem}
</style></head><body>
<h1>medic</h1>
)";
  html += "<p>Version " + HtmlEscape(model.version) + " (revision <code>" +
          HtmlEscape(model.revision) + "</code>), configuration <code>" +
          HtmlEscape(model.config_source) + "</code></p>\n<ul>\n";
  html += "<li><a href=\"" + HtmlEscape(model.telemetry_path) + "\">Metrics</a></li>\n";
  for (const auto& [href, label] : model.links) {
    html += "<li><a href=\"" + HtmlEscape(href) + "\">" + HtmlEscape(label) + "</a></li>\n";
  }
  html +=
      "</ul>\n<h2>Collectors</h2>\n<table><tr><th>collector</th><th>state</th>"
      "<th>last duration</th><th>last run</th><th>last error</th></tr>\n";
  for (const CollectorStatus& status : model.collectors) {
    char duration[32];
    std::snprintf(duration, sizeof(duration), "%.3fs", status.duration_seconds);
    const std::string state = !status.ran      ? "<td>not run yet</td>"
                              : status.success ? "<td class=\"ok\">ok</td>"
                                               : "<td class=\"fail\">failed</td>";
    html += "<tr><td>" + HtmlEscape(status.name) + "</td>" + state + "<td>" +
            (status.ran ? std::string(duration) : "") + "</td><td>" +
            (status.ran ? FormatTime(status.last_run) : "") + "</td><td>" +
            HtmlEscape(status.last_error) + "</td></tr>\n";
  }
  html += "</table>\n</body></html>\n";
  return html;
}

}  // namespace medic::http
