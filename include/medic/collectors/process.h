#pragma once

#include "medic/collector.h"

#include <string>

namespace medic {

// Figures parsed from /proc/<pid>/stat that process_* metrics are made of.
struct ProcessStat {
  double cpu_seconds = 0;
  double virtual_memory_bytes = 0;
  double resident_memory_bytes = 0;
  double start_time_seconds = 0;  // since the epoch
};

// Parses the content of /proc/<pid>/stat. `boot_time_seconds` comes from /proc/stat's btime.
// Returns false when the text is not in the expected shape.
bool ParseProcessStat(const std::string& stat_text, double boot_time_seconds, long ticks_per_second,
                      long page_size, ProcessStat& out);

// medic's own process_* metrics, as every Prometheus client library exports them.
class ProcessCollector : public Collector {
 public:
  explicit ProcessCollector(std::string proc_root = "/proc");
  std::string_view Name() const override { return "process"; }
  std::vector<prometheus::MetricFamily> Collect() override;

 private:
  std::string proc_root_;
  double boot_time_seconds_ = 0;
};

// medic_build_info{version,revision,compiler} 1.
prometheus::MetricFamily BuildInfoFamily();

}  // namespace medic
