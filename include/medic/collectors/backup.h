#pragma once

#include "medic/collector.h"
#include "medic/config.h"

#include <optional>
#include <string>

namespace medic {

// The newest file matching a glob in one directory, and how many match.
struct BackupScan {
  std::size_t files = 0;
  double newest_mtime_seconds = 0;  // 0 when nothing matches
  double newest_size_bytes = 0;
  std::string newest_path;
};

// Scans `directory` (not recursively) for regular files whose name matches `glob` (fnmatch).
// Throws std::runtime_error when the directory cannot be read.
BackupScan ScanBackups(const std::string& directory, const std::string& glob);

// Replaces the seed's "check backup completion": age, size and count of the newest backup.
// A target whose directory is missing reports medic_backup_check_success 0 and timestamp 0, so
// BackupTooOld fires rather than going silent.
class BackupCollector : public Collector {
 public:
  explicit BackupCollector(std::vector<BackupTarget> targets);
  std::string_view Name() const override { return "backup"; }
  std::vector<prometheus::MetricFamily> Collect() override;

 private:
  std::vector<BackupTarget> targets_;
};

}  // namespace medic
