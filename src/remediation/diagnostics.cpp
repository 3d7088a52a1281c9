#include "medic/remediation/diagnostics.h"

#include "medic/remediation/tar_gz.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace medic::remediation {

namespace {

namespace fs = std::filesystem;

std::string SafeName(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 40)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%S", &utc);
  char with_millis[48];
  std::snprintf(with_millis, sizeof(with_millis), "%s.%03dZ", buffer, static_cast<int>(millis));
  return with_millis;
}

std::string FilesystemUsage(const std::string& data_dir) {
  std::ostringstream out;
  out << "path size_bytes available_bytes used_ratio\n";
  for (const std::string& path : {std::string("/"), data_dir}) {
    struct statvfs stats {};
    if (::statvfs(path.c_str(), &stats) != 0) {
      out << path << " error\n";
      continue;
    }
    const double size = static_cast<double>(stats.f_blocks) * stats.f_frsize;
    const double available = static_cast<double>(stats.f_bavail) * stats.f_frsize;
    const double free_bytes = static_cast<double>(stats.f_bfree) * stats.f_frsize;
    out << path << " " << static_cast<std::uint64_t>(size) << " "
        << static_cast<std::uint64_t>(available) << " "
        << (size > 0 ? (size - free_bytes) / size : 0.0) << "\n";
  }
  return out.str();
}

void Prune(const fs::path& root, std::size_t keep) {
  std::vector<fs::path> bundles;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(root, ignored)) {
    if (entry.is_directory()) bundles.push_back(entry.path());
  }
  std::sort(bundles.begin(), bundles.end());  // names start with a sortable UTC timestamp
  while (bundles.size() > keep) {
    fs::remove_all(bundles.front(), ignored);
    fs::remove(bundles.front().string() + ".tar.gz", ignored);
    bundles.erase(bundles.begin());
  }
}

}  // namespace

DiagnosticsResult WriteDiagnosticsBundle(const DiagnosticsRequest& request, ContainerEngine* engine,
                                         const std::function<std::string()>& metrics_text) {
  const fs::path root = fs::path(request.data_dir) / "diagnostics";
  fs::create_directories(root);
  const fs::path bundle =
      root / (Timestamp() + "-" + SafeName(request.remediation) + "-" + SafeName(request.target));
  fs::create_directories(bundle);
  DiagnosticsResult result;
  result.bundle_dir = bundle.string();

  auto write = [&](const std::string& name, const std::function<std::string()>& produce) {
    std::string content;
    std::string status = "ok";
    try {
      content = produce();
    } catch (const std::exception& error) {
      content = std::string("error: ") + error.what() + "\n";
      status = "error";
    }
    std::ofstream out(bundle / name, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) status = "write failed";
    result.summary += name + ": " + status + " (" + std::to_string(content.size()) + " bytes)\n";
  };
  auto need_engine = [&]() -> ContainerEngine& {
    if (engine == nullptr) throw std::runtime_error("no container engine configured");
    return *engine;
  };
  write("inspect.json", [&] { return need_engine().InspectJson(request.target); });
  write("logs.txt", [&] { return need_engine().LogTail(request.target, request.log_lines); });
  write("stats.json", [&] { return need_engine().StatsJson(request.target); });
  write("system-df.json", [&] { return need_engine().SystemDfJson(); });
  write("filesystem.txt", [&] { return FilesystemUsage(request.data_dir); });
  write("alert.json", [&] { return request.alert_json; });
  write("metrics.txt", [&]() -> std::string {
    if (!metrics_text) throw std::runtime_error("medic metrics not available");
    return metrics_text();
  });
  result.archive_path = bundle.string() + ".tar.gz";
  WriteTarGz(bundle.string(), result.archive_path);
  Prune(root, std::max<std::size_t>(request.keep, 1));
  return result;
}

}  // namespace medic::remediation
