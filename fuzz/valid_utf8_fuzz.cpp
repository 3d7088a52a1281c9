// Any bytes through the UTF-8 repair every writer uses: the result is valid UTF-8, valid input
// comes back unchanged, a cut never splits a character, and a label value or HELP text made of
// the bytes keeps the exposition line-framed (one line per sample).
#include "medic/alert/alert_size.h"
#include "medic/json_text.h"
#include "medic/metric_family_builder.h"
#include "medic/prometheus/text_exposition.h"
#include "medic/valid_utf8.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string repaired = medic::ValidUtf8(text);
  if (!medic::IsValidUtf8(repaired)) __builtin_trap();
  if (medic::IsValidUtf8(text) && repaired != text) __builtin_trap();
  for (const std::size_t limit : {std::size_t{0}, size / 2, size}) {
    const std::size_t cut = medic::Utf8CutPoint(repaired, limit);
    if (cut > limit || !medic::IsValidUtf8(std::string_view(repaired).substr(0, cut))) {
      __builtin_trap();
    }
  }

  std::vector<prometheus::MetricFamily> families;
  medic::MetricFamilyBuilder::Gauge("fuzz_metric", text)
      .Add(1, {{"value", text}})
      .MoveInto(families);
  const std::string exposition = medic::SerializeTextExposition(families);
  if (!medic::IsValidUtf8(exposition)) __builtin_trap();
  // TYPE and the sample, and HELP unless the help text is empty.
  const long lines = text.empty() ? 2 : 3;
  if (std::count(exposition.begin(), exposition.end(), '\n') != lines) __builtin_trap();

  const std::string json = medic::JsonText(nlohmann::json{{"value", text}});
  if (!medic::IsValidUtf8(json)) __builtin_trap();

  medic::Alert alert;
  alert.labels = {{"alertname", text}};
  alert.annotations = {{"description", text + text}};
  medic::CapAlertSize(alert, 1024);
  if (medic::AlertTextBytes(alert) > 1024 + 2 * 64) __builtin_trap();
  if (!medic::IsValidUtf8(alert.ToJsonText())) __builtin_trap();
  return 0;
}
