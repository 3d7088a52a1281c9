#include "medic/collectors/backup.h"

#include "medic/metric_family_builder.h"

#include <dirent.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace medic {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

}  // namespace

BackupScan ScanBackups(const std::string& directory, const std::string& glob) {
  std::unique_ptr<DIR, DirCloser> dir(::opendir(directory.c_str()));
  if (!dir) {
    throw std::runtime_error("cannot open " + directory + ": " + std::strerror(errno));
  }
  BackupScan scan;
  while (const dirent* entry = ::readdir(dir.get())) {
    if (::fnmatch(glob.c_str(), entry->d_name, FNM_PERIOD) != 0) continue;
    const std::string path = directory + "/" + entry->d_name;
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    ++scan.files;
    const double mtime =
        static_cast<double>(info.st_mtim.tv_sec) + static_cast<double>(info.st_mtim.tv_nsec) / 1e9;
    if (scan.newest_path.empty() || mtime > scan.newest_mtime_seconds) {
      scan.newest_mtime_seconds = mtime;
      scan.newest_size_bytes = static_cast<double>(info.st_size);
      scan.newest_path = path;
    }
  }
  return scan;
}

BackupCollector::BackupCollector(std::vector<BackupTarget> targets)
    : targets_(std::move(targets)) {}

std::vector<prometheus::MetricFamily> BackupCollector::Collect() {
  auto timestamp = MetricFamilyBuilder::Gauge(
      "medic_backup_last_modified_timestamp_seconds",
      "Modification time of the newest matching backup file (0 when there is none).");
  auto size = MetricFamilyBuilder::Gauge("medic_backup_size_bytes",
                                         "Size of the newest matching backup file in bytes.");
  auto files = MetricFamilyBuilder::Gauge("medic_backup_files", "Number of matching backup files.");
  auto success = MetricFamilyBuilder::Gauge(
      "medic_backup_check_success", "Whether the backup directory could be read (1) or not (0).");
  for (const BackupTarget& target : targets_) {
    const LabelPairs labels{{"name", target.name}};
    BackupScan scan;
    try {
      scan = ScanBackups(target.path, target.glob);
      success.Add(1, labels);
    } catch (const std::exception& error) {
      spdlog::warn("backup {}: {}", target.name, error.what());
      success.Add(0, labels);
    }
    timestamp.Add(scan.newest_mtime_seconds, labels);
    size.Add(scan.newest_size_bytes, labels);
    files.Add(static_cast<double>(scan.files), labels);
  }
  std::vector<prometheus::MetricFamily> families;
  for (auto* family : {&timestamp, &size, &files, &success}) family->MoveInto(families);
  return families;
}

}  // namespace medic
