#pragma once

#include "medic/collector.h"
#include "medic/config.h"

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace medic {

// A backup target's `glob`: a path relative to the target's `path`, split at '/'. Each segment
// is an fnmatch(FNM_PERIOD) pattern for one path component, or "**" for any number of
// components (zero included) whose names do not start with a dot. "*.tar.gz" still means
// "in path itself"; "*/config-*.tar.gz" reaches one level down (the seed's dated directories).
class BackupGlob {
 public:
  // Throws std::invalid_argument saying what is wrong: an absolute glob, an empty segment,
  // "." or "..", or "**" mixed with other characters in one segment ("a**b").
  explicit BackupGlob(std::string_view text);
  const std::vector<std::string>& segments() const { return segments_; }

 private:
  std::vector<std::string> segments_;
};

// A `set` part name ("config", "db"): a file belongs to that part when its name starts with
// "<part>-". Returns why `part` cannot be one ("" when it can).
std::string BackupSetPartProblem(std::string_view part);

// Bounds on one scan, so a huge tree cannot stall a scrape. Directory symlinks are never
// followed, so a symlink loop costs nothing.
struct BackupScanLimits {
  std::size_t max_depth = 16;         // directory levels below the target's path
  std::size_t max_entries = 100'000;  // directory entries read in total
};

struct BackupScan {
  std::size_t files = 0;            // regular files matching the glob (symlinks to files included)
  double newest_mtime_seconds = 0;  // 0 when nothing matches
  double newest_size_bytes = 0;
  std::string newest_path;
  // Entries the walk did not look into (only those the glob would have entered).
  std::size_t skipped_directory_symlinks = 0;  // never followed
  std::size_t skipped_too_deep = 0;            // directories below max_depth
  std::size_t skipped_unreadable = 0;          // subdirectories that could not be opened
  std::size_t skipped_past_limit = 0;  // once max_entries was reached: directories left unread
                                       // or read in part
  bool entry_limit_reached = false;
  // With a `set`: the directory holding the newest match, relative to the target's path ("" for
  // the path itself), and the parts it lacks, in `set` order (every part when nothing matches).
  std::string newest_set_directory;
  std::vector<std::string> missing_parts;
};

// Walks `directory` for regular files matching `glob` (see BackupGlob), in bounded fashion.
// Throws std::invalid_argument for a bad glob and std::runtime_error when `directory` itself
// cannot be read; unreadable subdirectories are counted in skipped_unreadable.
BackupScan ScanBackups(const std::string& directory, const std::string& glob,
                       const std::vector<std::string>& set = {}, BackupScanLimits limits = {});

// Replaces the seed's "check backup completion": age, size and count of the newest backup, and
// whether the newest backup directory holds every part of the target's `set`.
// A target whose directory is missing reports medic_backup_check_success 0 and timestamp 0, so
// BackupTooOld fires rather than going silent.
class BackupCollector : public Collector {
 public:
  explicit BackupCollector(std::vector<BackupTarget> targets, BackupScanLimits limits = {});
  std::string_view Name() const override { return "backup"; }
  std::vector<prometheus::MetricFamily> Collect() override;
  // "review-bot: newest backup 20261130 is partial: missing db; …", "" when all is well.
  std::string LastError() const override;

 private:
  void Remember(const std::string& target, const std::string& problem);

  std::vector<BackupTarget> targets_;
  BackupScanLimits limits_;
  mutable std::mutex problems_mutex_;  // LastError() is read by the web thread
  std::map<std::string, std::string> problems_;
};

}  // namespace medic
