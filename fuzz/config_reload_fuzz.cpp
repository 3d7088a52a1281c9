// Two configurations (the input split at a line "%%"; without one, the same text twice) as a
// start and two reloads: start from A, reload to B, reload back to A. Any bytes give a Config or
// a ConfigError; what needs a restart is computed without a crash, and reloading the very
// configuration medic started with never claims that anything needs a restart. The webhook
// credentials of each reload are applied to one authenticator, as App::Reload does.
#include "medic/config_loader.h"
#include "medic/config_reload.h"
#include "medic/web_config.h"
#include "medic/webhook/auth.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace {

std::optional<medic::Config> Load(const std::string& text) {
  try {
    return medic::LoadConfigText(text, "fuzz.yml");
  } catch (const medic::ConfigError&) {
    return std::nullopt;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find("\n%%\n");
  const std::string first = input.substr(0, split);
  const std::string second = split == std::string::npos ? first : input.substr(split + 4);

  const auto started = Load(first);
  if (!started) return 0;
  medic::webhook::WebhookAuthenticator authenticator(
      started->webhook.value_or(medic::WebhookSettings{}));
  for (const std::string* text : {&second, &first}) {
    const auto next = Load(*text);
    if (!next) continue;
    const auto needs_restart = medic::SettingsNeedingRestart(*started, *next);
    if (text == &first && !needs_restart.empty()) __builtin_trap();
    authenticator.Reconfigure(next->webhook.value_or(medic::WebhookSettings{}));
    authenticator.Allows("Bearer " + second.substr(0, 64));
  }
  try {
    medic::ParseWebConfigText(second, "web.yml");
  } catch (const medic::ConfigError&) {
  }
  return 0;
}
