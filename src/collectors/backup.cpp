#include "medic/collectors/backup.h"

#include "medic/metric_family_builder.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace medic {
namespace {

constexpr std::string_view kAnyDirectories = "**";

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

// `follow_symlink` is true only for the target's own path (which may well be a symlink to a
// backup volume); below it, a directory symlink is never entered, so loops cannot form.
DirHandle OpenDirectory(const std::string& path, bool follow_symlink) {
  const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow_symlink ? 0 : O_NOFOLLOW);
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return nullptr;
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) ::close(fd);
  return DirHandle(dir);
}

double Seconds(const timespec& time) {
  return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_nsec) / 1e9;
}

// Matches a path one component at a time against the glob's segments, as a small NFA: a state
// is the index of the next segment to match, segments.size() meaning "the whole glob matched".
// "**" both stays put (consuming a component) and lets the next segment try (matching zero).
class SegmentMatcher {
 public:
  using States = std::vector<std::size_t>;  // sorted, unique

  explicit SegmentMatcher(const BackupGlob& glob) : segments_(glob.segments()) {}

  States Start() const { return Closure({0}); }

  States Step(const States& from, const char* name) const {
    States next;
    for (const std::size_t state : from) {
      if (state == segments_.size()) continue;
      const std::string& segment = segments_[state];
      if (segment == kAnyDirectories) {
        if (name[0] != '.') next.push_back(state);  // like '*', "**" does not match dot names
      } else if (::fnmatch(segment.c_str(), name, FNM_PERIOD) == 0) {
        next.push_back(state + 1);
      }
    }
    return Closure(std::move(next));
  }

  bool Matched(const States& states) const {
    return !states.empty() && states.back() == segments_.size();
  }
  bool WantsMore(const States& states) const {
    return !states.empty() && states.front() < segments_.size();
  }

 private:
  States Closure(States states) const {
    for (std::size_t i = 0; i < states.size(); ++i) {
      const std::size_t state = states[i];
      if (state < segments_.size() && segments_[state] == kAnyDirectories) {
        states.push_back(state + 1);
      }
    }
    std::sort(states.begin(), states.end());
    states.erase(std::unique(states.begin(), states.end()), states.end());
    return states;
  }

  const std::vector<std::string>& segments_;
};

struct PendingDirectory {
  std::string relative;  // "" for the target's path
  std::size_t depth = 0;
  SegmentMatcher::States states;
};

std::string JoinRelative(const std::string& directory, const std::string& name) {
  return directory.empty() ? name : directory + "/" + name;
}

bool StartsWithPart(std::string_view file_name, const std::string& part) {
  return file_name.size() > part.size() && file_name.compare(0, part.size(), part) == 0 &&
         file_name[part.size()] == '-';
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string joined;
  for (const std::string& item : items) {
    if (!joined.empty()) joined += separator;
    joined += item;
  }
  return joined;
}

}  // namespace

BackupGlob::BackupGlob(std::string_view text) {
  std::string quoted(1,
                     '"');  // not "\"" + text + "\"": GCC 12 -O2 misreads that (-Werror=restrict)
  quoted.append(text).push_back('"');
  if (text.empty()) throw std::invalid_argument("glob is empty");
  if (text.front() == '/') {
    throw std::invalid_argument("glob " + quoted + " must be relative to path, not absolute");
  }
  std::size_t begin = 0;
  while (true) {
    const std::size_t slash = text.find('/', begin);
    const std::string_view segment = text.substr(
        begin, slash == std::string_view::npos ? std::string_view::npos : slash - begin);
    if (segment.empty()) {
      throw std::invalid_argument("glob " + quoted +
                                  " has an empty path segment (\"//\" or a trailing \"/\")");
    }
    if (segment == "." || segment == "..") {
      throw std::invalid_argument("glob " + quoted + " may not hold \"" + std::string(segment) +
                                  "\": it matches below path only");
    }
    if (segment != kAnyDirectories && segment.find(kAnyDirectories) != std::string_view::npos) {
      throw std::invalid_argument(
          "glob " + quoted +
          ": \"**\" must be a whole path segment (as in \"**/*.tar.gz\"), not part of \"" +
          std::string(segment) + "\"");
    }
    segments_.emplace_back(segment);
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }
}

std::string BackupSetPartProblem(std::string_view part) {
  if (part.empty()) return "a set part cannot be empty";
  if (part.find('/') != std::string_view::npos) {
    return "set part \"" + std::string(part) + "\" is the start of a file name, not a path";
  }
  if (part.find_first_of("*?[]\\") != std::string_view::npos) {
    return "set part \"" + std::string(part) +
           "\" is matched literally as \"<part>-…\"; leave out glob characters";
  }
  return "";
}

BackupScan ScanBackups(const std::string& directory, const std::string& glob,
                       const std::vector<std::string>& set, BackupScanLimits limits) {
  const BackupGlob parsed(glob);
  const SegmentMatcher matcher(parsed);
  BackupScan scan;
  std::string newest_directory;
  // Which set parts each directory holding a match has, to judge the newest one at the end.
  std::map<std::string, std::vector<bool>> parts_by_directory;
  std::size_t entries_read = 0;

  std::vector<PendingDirectory> pending{{"", 0, matcher.Start()}};
  while (!pending.empty()) {
    const PendingDirectory current = std::move(pending.back());
    pending.pop_back();
    const bool is_root = current.relative.empty();
    const DirHandle dir =
        OpenDirectory(is_root ? directory : directory + "/" + current.relative, is_root);
    if (!dir) {
      if (is_root) {
        throw std::runtime_error("cannot open " + directory + ": " + std::strerror(errno));
      }
      ++scan.skipped_unreadable;
      continue;
    }
    const int dir_fd = ::dirfd(dir.get());
    while (const dirent* entry = ::readdir(dir.get())) {
      if (entries_read == limits.max_entries) {
        scan.entry_limit_reached = true;
        break;
      }
      ++entries_read;
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      SegmentMatcher::States next = matcher.Step(current.states, name);
      if (next.empty()) continue;  // not worth a stat

      struct stat info {};
      if (::fstatat(dir_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
      bool via_symlink = false;
      if (S_ISLNK(info.st_mode)) {
        // A symlink to a file counts as that file; a dangling one is nothing.
        if (::fstatat(dir_fd, name, &info, 0) != 0) continue;
        via_symlink = true;
      }
      if (S_ISDIR(info.st_mode)) {
        if (!matcher.WantsMore(next)) continue;
        if (via_symlink) {
          ++scan.skipped_directory_symlinks;
        } else if (current.depth + 1 > limits.max_depth) {
          ++scan.skipped_too_deep;
        } else {
          pending.push_back(
              {JoinRelative(current.relative, name), current.depth + 1, std::move(next)});
        }
        continue;
      }
      if (!S_ISREG(info.st_mode) || !matcher.Matched(next)) continue;

      ++scan.files;
      const double mtime = Seconds(info.st_mtim);
      const std::string path = directory + "/" + JoinRelative(current.relative, name);
      // Equal times: the later name wins, so dated names give the same answer on every scan.
      if (scan.newest_path.empty() || mtime > scan.newest_mtime_seconds ||
          (mtime == scan.newest_mtime_seconds && path > scan.newest_path)) {
        scan.newest_mtime_seconds = mtime;
        scan.newest_size_bytes = static_cast<double>(info.st_size);
        scan.newest_path = path;
        newest_directory = current.relative;
      }
      if (!set.empty()) {
        std::vector<bool>& present = parts_by_directory[current.relative];
        present.resize(set.size());
        for (std::size_t part = 0; part < set.size(); ++part) {
          if (StartsWithPart(name, set[part])) present[part] = true;
        }
      }
    }
    if (scan.entry_limit_reached) {
      scan.skipped_past_limit = 1 + pending.size();  // this directory, and those still waiting
      break;
    }
  }

  if (!set.empty()) {
    scan.newest_set_directory = newest_directory;
    const auto found = parts_by_directory.find(newest_directory);
    for (std::size_t part = 0; part < set.size(); ++part) {
      if (scan.files == 0 || found == parts_by_directory.end() || !found->second[part]) {
        scan.missing_parts.push_back(set[part]);
      }
    }
  }
  return scan;
}

BackupCollector::BackupCollector(std::vector<BackupTarget> targets, BackupScanLimits limits)
    : targets_(std::move(targets)), limits_(limits) {}

std::vector<prometheus::MetricFamily> BackupCollector::Collect() {
  auto timestamp = MetricFamilyBuilder::Gauge(
      "medic_backup_last_modified_timestamp_seconds",
      "Modification time of the newest matching backup file (0 when there is none).");
  auto size = MetricFamilyBuilder::Gauge("medic_backup_size_bytes",
                                         "Size of the newest matching backup file in bytes.");
  auto files = MetricFamilyBuilder::Gauge("medic_backup_files", "Number of matching backup files.");
  auto success = MetricFamilyBuilder::Gauge(
      "medic_backup_check_success", "Whether the backup directory could be read (1) or not (0).");
  auto skipped = MetricFamilyBuilder::Gauge(
      "medic_backup_scan_skipped_entries",
      "Entries the last scan did not look into, by reason: directory_symlink (never followed), "
      "too_deep, unreadable, entry_limit (directories left unread once the limit was reached).");
  auto set_complete = MetricFamilyBuilder::Gauge(
      "medic_backup_set_complete",
      "Whether the directory of the newest backup holds every part of the target's set (1) or "
      "not (0); only for targets with a set.");
  auto set_missing = MetricFamilyBuilder::Gauge(
      "medic_backup_set_missing",
      "1 for each set part missing from the directory of the newest backup, else 0.");

  for (const BackupTarget& target : targets_) {
    const LabelPairs labels{{"name", target.name}};
    BackupScan scan;
    std::vector<std::string> problems;
    try {
      scan = ScanBackups(target.path, target.glob, target.set, limits_);
      success.Add(1, labels);
    } catch (const std::exception& error) {
      problems.emplace_back(error.what());
      scan.missing_parts = target.set;  // nothing seen, so nothing is there
      success.Add(0, labels);
    }
    timestamp.Add(scan.newest_mtime_seconds, labels);
    size.Add(scan.newest_size_bytes, labels);
    files.Add(static_cast<double>(scan.files), labels);
    const std::pair<const char*, std::size_t> skip_reasons[] = {
        {"directory_symlink", scan.skipped_directory_symlinks},
        {"too_deep", scan.skipped_too_deep},
        {"unreadable", scan.skipped_unreadable},
        {"entry_limit", scan.skipped_past_limit}};
    for (const auto& [reason, count] : skip_reasons) {
      skipped.Add(static_cast<double>(count), {{"name", target.name}, {"reason", reason}});
    }

    if (!target.set.empty()) {
      const auto& missing = scan.missing_parts;
      set_complete.Add(scan.files > 0 && missing.empty() ? 1 : 0, labels);
      for (const std::string& part : target.set) {
        const bool is_missing = std::find(missing.begin(), missing.end(), part) != missing.end();
        set_missing.Add(is_missing ? 1 : 0, {{"name", target.name}, {"part", part}});
      }
      // With no backup at all, "no backup found" already says it; this is about a partial one.
      if (scan.files > 0 && !missing.empty()) {
        const std::string& where =
            scan.newest_set_directory.empty() ? target.path : scan.newest_set_directory;
        problems.push_back("newest backup " + where + " is partial: missing " +
                           Join(missing, ", "));
      }
    }
    // Directory symlinks are normal ("latest -> 20261130"); the others mean an incomplete look.
    if (scan.entry_limit_reached) {
      problems.push_back("scan stopped after " + std::to_string(limits_.max_entries) +
                         " entries; the newest backup may be among those not read");
    }
    if (scan.skipped_too_deep > 0) {
      problems.push_back(std::to_string(scan.skipped_too_deep) + " directories deeper than " +
                         std::to_string(limits_.max_depth) + " levels not scanned");
    }
    if (scan.skipped_unreadable > 0) {
      problems.push_back(std::to_string(scan.skipped_unreadable) + " unreadable directories");
    }
    Remember(target.name, Join(problems, "; "));
  }
  std::vector<prometheus::MetricFamily> families;
  for (auto* family :
       {&timestamp, &size, &files, &success, &skipped, &set_complete, &set_missing}) {
    family->MoveInto(families);
  }
  return families;
}

void BackupCollector::Remember(const std::string& target, const std::string& problem) {
  std::lock_guard lock(problems_mutex_);
  const auto found = problems_.find(target);
  const std::string previous = found == problems_.end() ? "" : found->second;
  if (problem == previous) return;
  // Logged when it changes, not on every scrape.
  if (problem.empty()) {
    spdlog::info("backup {}: ok again", target);
    problems_.erase(found);
    return;
  }
  spdlog::warn("backup {}: {}", target, problem);
  problems_[target] = problem;
}

std::string BackupCollector::LastError() const {
  std::lock_guard lock(problems_mutex_);
  std::string joined;
  for (const auto& [target, problem] : problems_) {
    joined += (joined.empty() ? "" : "; ") + target + ": " + problem;
  }
  return joined;
}

}  // namespace medic
