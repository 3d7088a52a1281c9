#pragma once

#include "medic/collector.h"
#include "medic/config.h"

#include <sys/statvfs.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace medic {

// statvfs per configured path (and, with all_mounts, per mount node_exporter would report),
// labelled from /proc/self/mountinfo, under node_exporter's names node_filesystem_* {device,
// fstype, mountpoint}. Replaces `df -h` and node_exporter's filesystem collector.
class FilesystemCollector : public Collector {
 public:
  explicit FilesystemCollector(FilesystemSettings settings,
                               std::string mountinfo_path = "/proc/self/mountinfo");
  std::string_view Name() const override { return "filesystem"; }
  std::vector<prometheus::MetricFamily> Collect() override;

 private:
  // nullopt for a mount still stuck from an earlier scrape.
  std::optional<std::future<std::optional<struct statvfs>>> StartStat(const std::string& path);
  std::optional<struct statvfs> AwaitStat(std::future<std::optional<struct statvfs>>& answer,
                                          const std::string& path,
                                          std::chrono::steady_clock::time_point deadline);

  // Mount points whose statfs is still running past mount_timeout; shared with the threads
  // that wait on them, which may outlive the collector.
  struct StuckMounts {
    std::mutex mutex;
    std::set<std::string> paths;
  };

  FilesystemSettings settings_;
  std::shared_ptr<StuckMounts> stuck_ = std::make_shared<StuckMounts>();
  std::string mountinfo_path_;
};

}  // namespace medic
