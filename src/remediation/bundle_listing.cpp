#include "medic/remediation/bundle_listing.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace medic::remediation {
namespace {

namespace fs = std::filesystem;

// The engine keeps `keep` bundles (10 by default); a hand-filled directory must not make the
// listing unbounded.
constexpr std::size_t kMaxListed = 100;
constexpr std::size_t kMaxFilesPerBundle = 50;

fs::path DiagnosticsRoot(const std::string& data_dir) { return fs::path(data_dir) / "diagnostics"; }

// libstdc++ 12 has no clock_cast from file_clock; stat gives the wall-clock mtime directly.
double ModifiedUnixSeconds(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return static_cast<double>(info.st_mtim.tv_sec) + static_cast<double>(info.st_mtim.tv_nsec) / 1e9;
}

// Bundle directory names, newest first.
std::vector<std::string> BundleNames(const fs::path& root) {
  std::vector<std::string> dirs;
  std::error_code error;
  fs::directory_iterator it(root, error);
  if (error == std::errc::no_such_file_or_directory) return dirs;
  if (error) throw std::runtime_error(root.string() + ": " + error.message());
  for (const auto& entry : it) {
    std::error_code ignored;
    if (!entry.is_directory(ignored) || entry.is_symlink(ignored)) continue;
    dirs.push_back(entry.path().filename().string());
  }
  // Names start with a UTC timestamp, so name order is creation order even if mtimes were touched.
  std::sort(dirs.begin(), dirs.end(), std::greater<>());
  if (dirs.size() > kMaxListed) dirs.resize(kMaxListed);
  return dirs;
}

nlohmann::json BundleFiles(const fs::path& dir) {
  std::vector<std::pair<std::string, std::uintmax_t>> files;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    std::error_code ignored;
    if (!it->is_regular_file(ignored)) continue;
    files.emplace_back(it->path().filename().string(), it->file_size(ignored));
    if (files.size() == kMaxFilesPerBundle) break;
  }
  std::sort(files.begin(), files.end());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, bytes] : files) out.push_back({{"name", name}, {"bytes", bytes}});
  return out;
}

}  // namespace

nlohmann::json ListDiagnosticsBundles(const std::string& data_dir) {
  const fs::path root = DiagnosticsRoot(data_dir);
  nlohmann::json bundles = nlohmann::json::array();
  for (const std::string& name : BundleNames(root)) {
    nlohmann::json bundle = {{"name", name},
                             {"created_at", ModifiedUnixSeconds(root / name)},
                             {"files", BundleFiles(root / name)},
                             {"archive", nullptr},
                             {"archive_bytes", 0}};
    std::error_code error;
    const fs::path archive = root / (name + ".tar.gz");
    if (fs::is_regular_file(archive, error)) {
      bundle["archive"] = archive.filename().string();
      bundle["archive_bytes"] = fs::file_size(archive, error);
    }
    bundles.push_back(std::move(bundle));
  }
  return {{"directory", root.string()}, {"bundles", std::move(bundles)}};
}

std::optional<std::string> DiagnosticsArchivePath(const std::string& data_dir,
                                                  const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return std::nullopt;
  }
  const fs::path root = DiagnosticsRoot(data_dir);
  for (const std::string& listed : BundleNames(root)) {
    if (listed != name) continue;
    const fs::path archive = root / (name + ".tar.gz");
    std::error_code error;
    if (fs::is_regular_file(archive, error) && !fs::is_symlink(archive, error)) {
      return archive.string();
    }
  }
  return std::nullopt;
}

}  // namespace medic::remediation
