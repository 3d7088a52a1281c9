#include "medic/collectors/process.h"

#include "medic/metric_family_builder.h"
#include "medic/version.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace medic {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

double ReadBootTime(const std::string& proc_root) {
  std::istringstream lines(Slurp(proc_root + "/stat"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("btime ", 0) == 0) return std::strtod(line.c_str() + 6, nullptr);
  }
  return 0;
}

}  // namespace

bool ParseProcessStat(const std::string& stat_text, double boot_time_seconds, long ticks_per_second,
                      long page_size, ProcessStat& out) {
  // The command name (field 2) may contain spaces and parentheses: skip to the last ')'.
  const auto close = stat_text.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) return false;
  std::istringstream fields(stat_text.substr(close + 1));
  std::vector<std::string> values;
  std::string value;
  while (fields >> value) values.push_back(value);
  // After ')': state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
  constexpr std::size_t kFirst = 3;
  if (values.size() < 24 - kFirst + 1) return false;
  auto field = [&](std::size_t number) {
    return std::strtod(values[number - kFirst].c_str(), nullptr);
  };
  const double ticks = static_cast<double>(ticks_per_second);
  out.cpu_seconds = (field(14) + field(15)) / ticks;
  out.start_time_seconds = boot_time_seconds + field(22) / ticks;
  out.virtual_memory_bytes = field(23);
  out.resident_memory_bytes = field(24) * static_cast<double>(page_size);
  return true;
}

ProcessCollector::ProcessCollector(std::string proc_root)
    : proc_root_(std::move(proc_root)), boot_time_seconds_(ReadBootTime(proc_root_)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() {
  ProcessStat stat;
  if (!ParseProcessStat(Slurp(proc_root_ + "/self/stat"), boot_time_seconds_, sysconf(_SC_CLK_TCK),
                        sysconf(_SC_PAGESIZE), stat)) {
    throw CollectorError("cannot parse " + proc_root_ + "/self/stat");
  }
  std::size_t open_fds = 0;
  std::error_code error;
  for (std::filesystem::directory_iterator it(proc_root_ + "/self/fd", error), end;
       !error && it != end; it.increment(error)) {
    ++open_fds;
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);

  std::vector<prometheus::MetricFamily> families;
  MetricFamilyBuilder::Counter("process_cpu_seconds_total",
                               "Total user and system CPU time spent in seconds.")
      .Add(stat.cpu_seconds)
      .MoveInto(families);
  MetricFamilyBuilder::Gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
      .Add(stat.resident_memory_bytes)
      .MoveInto(families);
  MetricFamilyBuilder::Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")
      .Add(stat.virtual_memory_bytes)
      .MoveInto(families);
  MetricFamilyBuilder::Gauge("process_start_time_seconds",
                             "Start time of the process since unix epoch in seconds.")
      .Add(stat.start_time_seconds)
      .MoveInto(families);
  MetricFamilyBuilder::Gauge("process_open_fds", "Number of open file descriptors.")
      .Add(static_cast<double>(open_fds))
      .MoveInto(families);
  MetricFamilyBuilder::Gauge("process_max_fds", "Maximum number of open file descriptors.")
      .Add(static_cast<double>(limit.rlim_cur))
      .MoveInto(families);
  return families;
}

prometheus::MetricFamily BuildInfoFamily() {
  return MetricFamilyBuilder::Gauge(
             "medic_build_info",
             "A metric with a constant '1' value labeled by version, revision and compiler.")
      .Add(1, {{"version", kVersion}, {"revision", kRevision}, {"compiler", kCompiler}})
      .Build();
}

}  // namespace medic
