#include "medic/config_reload.h"

#include "medic/config_loader.h"

#include <doctest/doctest.h>

#include <algorithm>

using medic::LoadConfigText;
using medic::SettingsNeedingRestart;

namespace {

const std::string kBase = R"(
web: {listen_address: "127.0.0.1:9469"}
collectors: {filesystem: {mountpoints: [/]}}
webhook: {bearer_token: one, path: /webhook}
targets: [review-bot]
remediations:
  - name: restart
    match: {alertname: ServiceDown}
    silent: true
    target: review-bot
    steps: [{restart: {}}]
)";

bool Names(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("reloading the same file needs no restart; collectors and credentials apply") {
  const auto started = LoadConfigText(kBase, "a.yml");
  CHECK(SettingsNeedingRestart(started, LoadConfigText(kBase, "a.yml")).empty());
  const std::string changed =
      Replace(Replace(kBase, "bearer_token: one", "bearer_token: two"), "[/]", "[/, /tmp]");
  CHECK(SettingsNeedingRestart(started, LoadConfigText(changed, "a.yml")).empty());
}

TEST_CASE("what a reload cannot change is named by its key") {
  const auto started = LoadConfigText(kBase, "a.yml");
  const auto moved =
      SettingsNeedingRestart(started, LoadConfigText(Replace(kBase, "9469", "9470"), "a.yml"));
  CHECK(moved == std::vector<std::string>{"web.listen_address"});
  const auto journal = SettingsNeedingRestart(
      started, LoadConfigText(kBase + "journal: {path: /tmp/other.db}\n", "a.yml"));
  CHECK(Names(journal, "journal.path"));
  const auto steps = SettingsNeedingRestart(
      started, LoadConfigText(
                   Replace(kBase, "steps: [{restart: {}}]", "steps: [{restart: {}}, {verify: {}}]"),
                   "a.yml"));
  CHECK(Names(steps, "remediations"));
  const auto targets = SettingsNeedingRestart(
      started, LoadConfigText(Replace(kBase, "[review-bot]", "[review-bot, cache]"), "a.yml"));
  CHECK(Names(targets, "targets"));
  const auto path = SettingsNeedingRestart(
      started, LoadConfigText(Replace(kBase, "path: /webhook", "path: /hook"), "a.yml"));
  CHECK(Names(path, "webhook.path"));
}

TEST_CASE("fleet reloads whole: host, aliases, labels and window need no restart") {
  const auto started = LoadConfigText(kBase, "a.yml");
  const auto with_fleet = LoadConfigText(kBase + "fleet: {host: host-1}\n", "a.yml");
  CHECK(SettingsNeedingRestart(started, with_fleet).empty());
  const auto renamed = LoadConfigText(
      kBase +
          "fleet:\n  host: host-9\n  aliases: [host-9.example.com]\n  host_label: node\n"
          "  ignore_labels: [replica]\n  replica_window: 30s\n",
      "a.yml");
  CHECK(SettingsNeedingRestart(with_fleet, renamed).empty());
  CHECK(SettingsNeedingRestart(renamed, started).empty());
}
