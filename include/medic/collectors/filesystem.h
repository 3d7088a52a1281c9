#pragma once

#include "medic/collector.h"
#include "medic/config.h"

namespace medic {

// statvfs per configured mount point, labelled from /proc/self/mountinfo. Replaces `df -h`
// and node_exporter's filesystem collector for the disk alerts.
class FilesystemCollector : public Collector {
 public:
  explicit FilesystemCollector(FilesystemSettings settings,
                               std::string mountinfo_path = "/proc/self/mountinfo");
  std::string_view Name() const override { return "filesystem"; }
  std::vector<prometheus::MetricFamily> Collect() override;

 private:
  FilesystemSettings settings_;
  std::string mountinfo_path_;
};

}  // namespace medic
