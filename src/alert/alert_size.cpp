#include "medic/alert/alert_size.h"

#include "medic/valid_utf8.h"

#include <algorithm>
#include <string>
#include <vector>

namespace medic {
namespace {

constexpr std::size_t kShortestCut = 256;

// Cuts `value` to at most `limit` bytes, marker included; returns the bytes it saved.
std::size_t Cut(std::string& value, std::size_t limit) {
  if (value.size() <= limit) return 0;
  const std::size_t before = value.size();
  std::string marker = "…[truncated by medic from " + std::to_string(before) + " bytes]";
  const std::size_t keep = Utf8CutPoint(value, limit > marker.size() ? limit - marker.size() : 0);
  value.resize(keep);
  value += marker;
  return before > value.size() ? before - value.size() : 0;
}

std::size_t LabelSetBytes(const LabelSet& labels) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : labels) bytes += name.size() + value.size();
  return bytes;
}

// Cuts the longest values of `labels` to kShortestCut until `excess` bytes are saved or none
// is longer; returns what is still in excess.
std::size_t CutLongestFirst(LabelSet& labels, std::size_t excess) {
  std::vector<std::string*> values;
  for (auto& [name, value] : labels) values.push_back(&value);
  std::sort(values.begin(), values.end(),
            [](const std::string* a, const std::string* b) { return a->size() > b->size(); });
  for (std::string* value : values) {
    if (excess == 0 || value->size() <= kShortestCut) break;
    const std::size_t target =
        std::max(kShortestCut, value->size() - std::min(excess, value->size()));
    const std::size_t saved = Cut(*value, target);
    excess -= std::min(excess, saved);
  }
  return excess;
}

}  // namespace

std::size_t CapNotificationSize(Notification& notification, std::size_t max_alert_bytes) {
  constexpr std::size_t kMaxGroupField = 1024;
  Cut(notification.group_key, kMaxGroupField);
  Cut(notification.receiver, kMaxGroupField);
  std::size_t capped = 0;
  for (Alert& alert : notification.alerts) {
    if (CapAlertSize(alert, max_alert_bytes)) ++capped;
  }
  return capped;
}

std::size_t AlertTextBytes(const Alert& alert) {
  return LabelSetBytes(alert.labels) + LabelSetBytes(alert.annotations) +
         alert.generator_url.size();
}

bool CapAlertSize(Alert& alert, std::size_t max_bytes) {
  std::size_t total = AlertTextBytes(alert);
  if (total <= max_bytes) return false;
  const std::size_t per_value = std::max(kShortestCut, max_bytes / 4);
  for (LabelSet* set : {&alert.labels, &alert.annotations}) {
    for (auto& [name, value] : *set) total -= Cut(value, per_value);
  }
  total -= Cut(alert.generator_url, per_value);
  if (total > max_bytes) {
    const std::size_t excess = CutLongestFirst(alert.annotations, total - max_bytes);
    CutLongestFirst(alert.labels, excess);
  }
  return true;
}

}  // namespace medic
