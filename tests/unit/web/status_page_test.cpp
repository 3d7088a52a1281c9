#include "medic/web/status_page.h"

#include "../health/sample_families.h"

#include <doctest/doctest.h>

#include <regex>

namespace {

const std::string kHostile = "<script>alert(1)</script>\"'&";

medic::web::StatusPageModel HostileModel() {
  medic::web::StatusPageModel model;
  model.version = "1.0" + kHostile;
  model.revision = "abc";
  model.config_source = "/etc/" + kHostile;
  model.families = medic::test::SampleFamilies(kHostile);
  model.collectors = {{"filesystem" + kHostile, true, false, 0.25, "boom " + kHostile, {}}};
  model.report = medic::health::Evaluate(model.families, model.thresholds, medic::test::kSampleNow,
                                         model.collectors);
  model.remediations = nlohmann::json::array({{{"id", 7},
                                               {"remediation", "service-down"},
                                               {"target", "review-bot" + kHostile},
                                               {"state", "succeeded"},
                                               {"result", "succeeded"},
                                               {"alertname", "ServiceDown" + kHostile},
                                               {"dry_run", true},
                                               {"detail", kHostile},
                                               {"created_at", medic::test::kSampleNow - 60},
                                               {"steps",
                                                {{{"index", 0},
                                                  {"kind", "restart"},
                                                  {"state", "succeeded"},
                                                  {"started_at", medic::test::kSampleNow - 59},
                                                  {"finished_at", medic::test::kSampleNow - 57.5},
                                                  {"output", "restarted " + kHostile}},
                                                 {{"index", 1},
                                                  {"kind", "diagnostics"},
                                                  {"state", "failed"},
                                                  {"started_at", 0},
                                                  {"finished_at", 0},
                                                  {"output", nullptr}}}}}});
  return model;
}

}  // namespace

TEST_CASE("hostile labels, names, alert fields and step output appear only escaped") {
  const std::string html = medic::web::RenderStatusPage(HostileModel());
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("alert(1)</script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;") != std::string::npos);
  // Every hostile value shows up (escaped) in its section.
  for (const std::string place :
       {"review-bot&lt;script&gt;", "ServiceDown&lt;script&gt;", "203.0.113.7&lt;script&gt;",
        "filesystem&lt;script&gt;", "boom &lt;script&gt;", "restarted &lt;script&gt;"}) {
    CHECK_MESSAGE(html.find(place) != std::string::npos, place);
  }
}

TEST_CASE("the page has every section, no script, no inline style, no external asset") {
  const std::string html = medic::web::RenderStatusPage(HostileModel());
  for (const char* id : {"state", "containers", "certificates", "disks", "redis", "logs",
                         "remediations", "collectors"}) {
    CHECK_MESSAGE(html.find("<section id=\"" + std::string(id) + "\">") != std::string::npos, id);
  }
  CHECK(html.find(" style=") == std::string::npos);
  CHECK(html.find("<style") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<meta http-equiv=\"refresh\" content=\"15\">") != std::string::npos);
  CHECK(html.find("<link rel=\"stylesheet\" href=\"/static/status.css\">") != std::string::npos);
  // Overall state and reason, the dry-run mark, step durations, memory and disk bars.
  CHECK(html.find("<div class=\"overall fail\" id=\"overall\"><strong>FAIL</strong>") !=
        std::string::npos);
  CHECK(html.find("<span class=\"badge dry\">dry run</span>") != std::string::npos);
  CHECK(html.find("1.50 s") != std::string::npos);
  CHECK(html.find("value=\"0.9375\"") != std::string::npos);  // container memory bar
  CHECK(html.find("value=\"0.9700\"") != std::string::npos);  // disk bar
  CHECK(html.find("bundle listing") != std::string::npos);
  // Certificates sorted by expiry: www (12.5 days) before api (90 days).
  CHECK(html.find("<td>www</td>") < html.find("<td>api</td>"));
  CHECK(html.size() < 100 * 1024);
}

TEST_CASE("CSP forbids scripts and inline style; status JSON carries the same data") {
  const std::string csp(medic::web::StatusPageContentSecurityPolicy());
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("style-src 'self'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("script-src") == std::string::npos);

  const auto json = medic::web::StatusJson(HostileModel());
  CHECK(json["overall"]["state"] == "FAIL");
  CHECK(json["containers"].size() == 2);
  CHECK(json["certificates"][0]["target"] == "www");
  CHECK(json["disks"][1]["used_ratio"].get<double>() == doctest::Approx(0.97));
  CHECK(json["redis"]["hit_ratio"].get<double>() == doctest::Approx(0.7));
  CHECK(json["log_rules"].size() == 3);
  CHECK(json["collectors"][0]["last_error"] == "boom " + kHostile);  // raw in JSON, not HTML
}

TEST_CASE("the page and the JSON say how old the scrape they show is") {
  medic::web::StatusPageModel model = HostileModel();
  model.collected_at = medic::test::kSampleNow - 3.2;
  model.collected_age_seconds = 3.2;
  CHECK(medic::web::RenderStatusPage(model).find(" · collected 3 s ago · ") != std::string::npos);
  const auto json = medic::web::StatusJson(model);
  CHECK(json["collected_at"].get<double>() == doctest::Approx(medic::test::kSampleNow - 3.2));
  CHECK(json["collected_age_seconds"].get<double>() == doctest::Approx(3.2));
}

TEST_CASE("without a journal or metrics the page says what is missing") {
  medic::web::StatusPageModel model;
  model.report = medic::health::Evaluate({}, {}, 0);
  const std::string html = medic::web::RenderStatusPage(model);
  CHECK(html.find("No remediation journal") != std::string::npos);
  CHECK(html.find("No container metrics") != std::string::npos);
  CHECK(html.find("nothing to check") != std::string::npos);
  model.remediations = nlohmann::json::array();
  CHECK(medic::web::RenderStatusPage(model).find("No remediations yet.") != std::string::npos);
  model.remediations = nlohmann::json::array({1, "x", nullptr});  // malformed entries are skipped
  CHECK(medic::web::RenderStatusPage(model).find("<ol class=\"timeline\">") != std::string::npos);
}

TEST_CASE("the headline names healing trouble first, in plain words with human times") {
  medic::web::StatusPageModel model;
  model.families = medic::test::SampleFamilies("");
  model.report = medic::health::Evaluate(model.families, model.thresholds, medic::test::kSampleNow);
  const double now = medic::test::kSampleNow;
  model.open_circuits = {{"service-down", "review-bot", now - 600, now + 3000}};
  model.remediations =
      nlohmann::json::array({{{"id", 3},
                              {"remediation", "high-memory"},
                              {"target", "review-bot"},
                              {"state", "queued"},
                              {"result", ""},
                              {"attempt", 2},
                              {"not_before", now + 30},
                              {"created_at", now}},
                             {{"id", 2},
                              {"remediation", "high-memory"},
                              {"target", "review-bot"},
                              {"state", "failed"},
                              {"result", "failed"},
                              {"attempt", 1},
                              {"created_at", now - 10}},
                             {{"id", 1},
                              {"remediation", "service-down"},
                              {"target", "review-bot"},
                              {"state", "queued"},
                              {"result", "skipped_cooldown"},
                              {"attempt", 1},
                              {"not_before", now + 300},
                              {"detail", "review-bot was healed at 2027-01-15 07:55:00 UTC"},
                              {"created_at", now - 60}}});
  model.medic_restarts_24h = {{"review-bot", 4}};

  const auto troubles = medic::web::HealingTroubles(model);
  REQUIRE(troubles.size() == 3);
  CHECK(troubles[0].state == medic::health::State::kFail);
  CHECK(troubles[0].text.find("auto-healing is off for review-bot (service-down since ") == 0);
  CHECK(troubles[0].text.find("/api/v1/circuits/reset?target=review-bot") != std::string::npos);
  CHECK(troubles[1].state == medic::health::State::kWarn);
  CHECK(troubles[1].text.find("the last high-memory on review-bot failed; medic retries at 20") ==
        0);
  // A cooldown wait is not a failure: it says when it runs and how to heal by hand now.
  CHECK(troubles[2].state == medic::health::State::kWarn);
  CHECK(troubles[2].text.find("service-down on review-bot waits for its cooldown until 20") == 0);
  CHECK(troubles[2].text.find("docker restart review-bot") != std::string::npos);

  const std::string html = medic::web::RenderStatusPage(model);
  const auto headline = html.find("id=\"overall-reason\">auto-healing is off for review-bot");
  CHECK(headline != std::string::npos);
  CHECK(html.find("<title>FAIL") != std::string::npos);
  // The remediation timeline comes before the containers, in words, not state/result codes.
  CHECK(html.find("id=\"remediations\"") < html.find("id=\"containers\""));
  CHECK(html.find("waiting: cooldown until 20") != std::string::npos);
  CHECK(html.find("retry at 20") != std::string::npos);
  CHECK(html.find("skipped / skipped_cooldown") == std::string::npos);
  CHECK(html.find("(4 by medic in 24 h)") != std::string::npos);
  CHECK(html.find("not running; no limit") != std::string::npos);  // redis is stopped: no usage
  CHECK(html.find("0 B <span class=\"muted\">no limit") == std::string::npos);
  const auto json = medic::web::StatusJson(model);
  CHECK(json["healing_troubles"].size() == 3);

  const nlohmann::json restarted =
      nlohmann::json::array({{{"kind", "restart"}, {"state", "succeeded"}},
                             {{"kind", "notify"}, {"state", "succeeded"}}});
  const nlohmann::json diagnosed =
      nlohmann::json::array({{{"kind", "diagnostics"}, {"state", "succeeded"}},
                             {{"kind", "notify"}, {"state", "succeeded"}}});
  CHECK(
      medic::web::PlainJobOutcome({{"state", "succeeded"}, {"attempt", 2}, {"steps", restarted}}) ==
      "healed (attempt 2)");
  CHECK(medic::web::PlainJobOutcome({{"state", "succeeded"}, {"steps", diagnosed}}) == "done");
  CHECK(medic::web::PlainJobOutcome({{"state", "queued"}, {"result", "failed"}}) ==
        "waiting for the Docker engine");

  // An incident waiting for an engine that does not answer is healing trouble, first.
  medic::web::StatusPageModel waiting = model;
  waiting.open_circuits.clear();
  waiting.remediations = nlohmann::json::array({{{"remediation", "service-down"},
                                                 {"target", "review-bot"},
                                                 {"state", "queued"},
                                                 {"result", "failed"},
                                                 {"attempt", 1},
                                                 {"created_at", now - 30}}});
  // A give-up whose alert resolved since is over: no headline.
  medic::web::StatusPageModel resolved = waiting;
  resolved.remediations = nlohmann::json::array({{{"remediation", "service-down"},
                                                  {"target", "review-bot"},
                                                  {"state", "failed"},
                                                  {"result", "gave_up"},
                                                  {"alert_resolved", true},
                                                  {"finished_at", now - 30}}});
  CHECK(medic::web::HealingTroubles(resolved).empty());
  (*resolved.remediations)[0]["alert_resolved"] = false;
  CHECK(medic::web::HealingTroubles(resolved).size() == 1);
  const auto engine_troubles = medic::web::HealingTroubles(waiting);
  REQUIRE(engine_troubles.size() == 1);
  CHECK(engine_troubles[0].state == medic::health::State::kFail);
  CHECK(engine_troubles[0].text.find("service-down on review-bot waits for the Docker engine") ==
        0);
  CHECK(medic::web::PlainJobOutcome({{"state", "failed"}, {"result", "gave_up"}}) ==
        "failed, gave up");
  CHECK(medic::web::PlainJobOutcome({{"state", "skipped"}, {"result", "skipped_circuit"}}) ==
        "not run: auto-healing off");
}
