#include "medic/docker/decode.h"

#include "medic/docker/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

namespace medic::docker {
namespace {

using nlohmann::json;

// Decoding errors are reported with the status of the (successful) response they came from.
constexpr int kDecodeStatus = 200;
constexpr std::size_t kMaxErrorText = 512;

json Parse(std::string_view body, const char* what) {
  json document = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    throw DockerError(kDecodeStatus, std::string(what) + ": body is not valid JSON (" +
                                         std::to_string(body.size()) + " bytes)");
  }
  return document;
}

const json* Field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return nullptr;
  return &*found;
}

std::string String(const json& object, const char* key) {
  const json* value = Field(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

std::optional<std::uint64_t> Unsigned(const json& object, const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) return value->get<std::uint64_t>();
  if (value->is_number_integer()) {
    const auto signed_value = value->get<std::int64_t>();
    if (signed_value < 0) return std::nullopt;  // Docker uses -1 for "unknown"
    return static_cast<std::uint64_t>(signed_value);
  }
  if (value->is_number_float()) {
    const double number = value->get<double>();
    if (number < 0 || number > 1.8e19) return std::nullopt;
    return static_cast<std::uint64_t>(number);
  }
  return std::nullopt;
}

std::optional<std::int64_t> Signed(const json& object, const char* key) {
  const json* value = Field(object, key);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_integer()) return value->get<std::int64_t>();
  if (value->is_number_float()) {
    const double number = value->get<double>();
    if (number < -9.2e18 || number > 9.2e18) return std::nullopt;
    return static_cast<std::int64_t>(number);
  }
  return std::nullopt;
}

bool Bool(const json& object, const char* key) {
  const json* value = Field(object, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

std::map<std::string, std::string> StringMap(const json& object, const char* key) {
  std::map<std::string, std::string> out;
  const json* value = Field(object, key);
  if (value == nullptr || !value->is_object()) return out;
  for (const auto& [name, item] : value->items()) {
    if (item.is_string()) out.emplace(name, item.get<std::string>());
  }
  return out;
}

std::string StripSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

std::string NormaliseState(std::string state) {
  // podman reports "stopped" for ~100 ms after exit; Docker calls it "exited".
  if (state == "stopped") return "exited";
  return state;
}

void RequireObject(const json& document, const char* what) {
  if (!document.is_object()) {
    throw DockerError(kDecodeStatus, std::string(what) + ": expected a JSON object");
  }
}

int Digits(std::string_view text, std::size_t position, std::size_t count, bool& ok) {
  int value = 0;
  if (position + count > text.size()) {
    ok = false;
    return 0;
  }
  for (std::size_t i = position; i < position + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ok = false;
      return 0;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<std::uint64_t> WorkingSetBytes(const ContainerStats& stats) {
  if (!stats.memory_usage) return std::nullopt;
  const std::uint64_t usage = *stats.memory_usage;
  std::optional<std::uint64_t> inactive = stats.inactive_file;  // cgroup v2
  if (!inactive) inactive = stats.total_inactive_file;          // cgroup v1
  if (!inactive) return usage;
  return usage > *inactive ? usage - *inactive : 0;
}

std::optional<double> CpuSeconds(const ContainerStats& stats) {
  if (!stats.cpu_total_ns) return std::nullopt;
  return static_cast<double>(*stats.cpu_total_ns) / 1e9;
}

std::string Logs::Stdout() const {
  std::string out;
  for (const LogFrame& frame : frames) {
    if (frame.stream == LogStream::kStdout) out += frame.data;
  }
  return out;
}

std::string Logs::Stderr() const {
  std::string out;
  for (const LogFrame& frame : frames) {
    if (frame.stream == LogStream::kStderr) out += frame.data;
  }
  return out;
}

std::string Logs::All() const {
  std::string out;
  for (const LogFrame& frame : frames) out += frame.data;
  return out;
}

const char* ToString(ActionOutcome outcome) {
  switch (outcome) {
    case ActionOutcome::kDone:
      return "done";
    case ActionOutcome::kNoChange:
      return "no change";
    case ActionOutcome::kNotFound:
      return "not found";
  }
  return "unknown";
}

std::optional<double> ParseTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  bool ok = true;
  const int year = Digits(text, 0, 4, ok);
  const int month = Digits(text, 5, 2, ok);
  const int day = Digits(text, 8, 2, ok);
  const int hour = Digits(text, 11, 2, ok);
  const int minute = Digits(text, 14, 2, ok);
  const int second = Digits(text, 17, 2, ok);
  if (!ok || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  if (year <= 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;  // includes Docker's zero time 0001-01-01
  }
  std::size_t position = 19;
  double fraction = 0;
  if (position < text.size() && text[position] == '.') {
    double scale = 0.1;
    ++position;
    while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) {
      fraction += (text[position] - '0') * scale;
      scale /= 10;
      ++position;
    }
  }
  long offset_seconds = 0;
  if (position < text.size() && (text[position] == '+' || text[position] == '-')) {
    const int sign = text[position] == '-' ? -1 : 1;
    const int offset_hours = Digits(text, position + 1, 2, ok);
    const int offset_minutes = Digits(text, position + 4, 2, ok);
    if (!ok) return std::nullopt;
    offset_seconds = sign * (offset_hours * 3600L + offset_minutes * 60L);
    position += 6;
  } else if (position < text.size() && (text[position] == 'Z' || text[position] == 'z')) {
    ++position;
  } else {
    return std::nullopt;
  }
  if (position != text.size()) return std::nullopt;
  std::tm parts{};
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  const std::time_t utc = ::timegm(&parts);
  return static_cast<double>(utc - offset_seconds) + fraction;
}

VersionInfo DecodeVersion(std::string_view body) {
  const json document = Parse(body, "version");
  RequireObject(document, "version");
  return VersionInfo{.server_version = String(document, "Version"),
                     .api_version = String(document, "ApiVersion"),
                     .min_api_version = String(document, "MinAPIVersion")};
}

EngineInfo DecodeEngineInfo(std::string_view body) {
  const json document = Parse(body, "info");
  RequireObject(document, "info");
  return EngineInfo{.cpus = Unsigned(document, "NCPU"),
                    .memory_bytes = Unsigned(document, "MemTotal")};
}

std::vector<ContainerSummary> DecodeContainerList(std::string_view body) {
  const json document = Parse(body, "container list");
  if (!document.is_array()) throw DockerError(kDecodeStatus, "container list: expected an array");
  std::vector<ContainerSummary> containers;
  for (const json& item : document) {
    if (!item.is_object()) continue;
    ContainerSummary summary;
    summary.id = String(item, "Id");
    if (const json* names = Field(item, "Names"); names != nullptr && names->is_array()) {
      for (const json& name : *names) {
        if (name.is_string()) {
          summary.name = StripSlash(name.get<std::string>());
          break;
        }
      }
    }
    summary.image = String(item, "Image");
    summary.state = NormaliseState(String(item, "State"));
    summary.status = String(item, "Status");
    summary.labels = StringMap(item, "Labels");
    summary.created = Signed(item, "Created");
    if (summary.id.empty()) continue;
    containers.push_back(std::move(summary));
  }
  return containers;
}

ContainerDetails DecodeContainerDetails(std::string_view body) {
  const json document = Parse(body, "container inspect");
  RequireObject(document, "container inspect");
  ContainerDetails details;
  details.id = String(document, "Id");
  if (details.id.empty()) throw DockerError(kDecodeStatus, "container inspect: no Id");
  details.name = StripSlash(String(document, "Name"));
  details.restart_count = static_cast<int>(Signed(document, "RestartCount").value_or(0));
  details.image = String(document, "Image");
  if (const json* config = Field(document, "Config")) {
    if (std::string image = String(*config, "Image"); !image.empty()) details.image = image;
    details.tty = Bool(*config, "Tty");
    details.labels = StringMap(*config, "Labels");
  }
  if (const json* state = Field(document, "State")) {
    details.state = NormaliseState(String(*state, "Status"));
    details.running = Bool(*state, "Running");
    details.oom_killed = Bool(*state, "OOMKilled");
    if (auto code = Signed(*state, "ExitCode")) details.exit_code = static_cast<int>(*code);
    if (auto pid = Signed(*state, "Pid"); pid && *pid > 0) details.pid = static_cast<int>(*pid);
    details.started_at = ParseTimestamp(String(*state, "StartedAt"));
    details.finished_at = ParseTimestamp(String(*state, "FinishedAt"));
    if (const json* health = Field(*state, "Health")) {
      if (std::string status = String(*health, "Status"); !status.empty()) {
        details.health_status = status;
      }
    }
  }
  if (const json* host_config = Field(document, "HostConfig")) {
    auto non_negative = [&](const char* key) {
      return std::max<std::int64_t>(0, Signed(*host_config, key).value_or(0));
    };
    details.memory_limit = non_negative("Memory");
    details.memory_reservation = non_negative("MemoryReservation");
    details.memory_swap = non_negative("MemorySwap");
    details.cpu_quota_us = non_negative("CpuQuota");
    details.cpu_period_us = non_negative("CpuPeriod");
    details.cpu_shares = non_negative("CpuShares");
    // `docker run --cpus` sets NanoCpus and leaves CpuQuota 0; the runtime then applies it as
    // a quota per the default 100 ms period.
    constexpr std::int64_t kDefaultPeriodUs = 100000;
    if (const std::int64_t nano = non_negative("NanoCpus"); nano > 0 && details.cpu_quota_us == 0) {
      const std::int64_t period =
          details.cpu_period_us > 0 ? details.cpu_period_us : kDefaultPeriodUs;
      details.cpu_quota_us = nano * period / 1000000000;
      details.cpu_period_us = period;
    }
  }
  return details;
}

ContainerStats DecodeStats(std::string_view body) {
  ContainerStats stats;
  const bool blank = std::all_of(
      body.begin(), body.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (blank) {
    stats.empty = true;  // podman: a stopped container's stats
    return stats;
  }
  const json document = Parse(body, "stats");
  RequireObject(document, "stats");
  if (const json* cpu = Field(document, "cpu_stats")) {
    if (const json* usage = Field(*cpu, "cpu_usage")) {
      stats.cpu_total_ns = Unsigned(*usage, "total_usage");
      stats.cpu_user_ns = Unsigned(*usage, "usage_in_usermode");
      stats.cpu_system_ns = Unsigned(*usage, "usage_in_kernelmode");
    }
    if (const json* throttling = Field(*cpu, "throttling_data")) {
      stats.cfs_periods = Unsigned(*throttling, "periods");
      stats.cfs_throttled_periods = Unsigned(*throttling, "throttled_periods");
      stats.cfs_throttled_ns = Unsigned(*throttling, "throttled_time");
    }
  }
  if (const json* memory = Field(document, "memory_stats")) {
    stats.memory_usage = Unsigned(*memory, "usage");
    stats.memory_limit = Unsigned(*memory, "limit");
    stats.memory_max_usage = Unsigned(*memory, "max_usage");
    if (const json* detail = Field(*memory, "stats")) {
      // cgroup v1 names the hierarchical figures total_*; v2 has anon/file/file_mapped.
      auto first_of = [&](const char* v1, const char* v2) {
        auto value = Unsigned(*detail, v1);
        return value ? value : Unsigned(*detail, v2);
      };
      stats.memory_rss = first_of("total_rss", "anon");
      stats.memory_cache = first_of("total_cache", "file");
      stats.memory_swap = Unsigned(*detail, "total_swap");
      stats.memory_mapped_file = first_of("total_mapped_file", "file_mapped");
      stats.inactive_file = Unsigned(*detail, "inactive_file");
      stats.total_inactive_file = Unsigned(*detail, "total_inactive_file");
      // cgroup v1 sends both inactive_file and total_inactive_file; v2 only inactive_file.
      // Docker CLI and cAdvisor use total_inactive_file on v1.
      if (stats.total_inactive_file) stats.inactive_file.reset();
    }
  }
  if (const json* pids = Field(document, "pids_stats")) stats.pids = Unsigned(*pids, "current");
  if (const json* blkio = Field(document, "blkio_stats")) {
    if (const json* entries = Field(*blkio, "io_service_bytes_recursive");
        entries != nullptr && entries->is_array()) {
      for (const json& entry : *entries) {
        std::string op = String(entry, "op");
        std::transform(op.begin(), op.end(), op.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto value = Unsigned(entry, "value");
        if (!value) continue;
        if (op == "read") stats.fs_read_bytes = stats.fs_read_bytes.value_or(0) + *value;
        if (op == "write") stats.fs_write_bytes = stats.fs_write_bytes.value_or(0) + *value;
      }
    }
  }
  if (const json* networks = Field(document, "networks");
      networks != nullptr && networks->is_object()) {
    for (const auto& [interface, item] : networks->items()) {
      NetworkStats network;
      network.interface = interface;
      network.rx_bytes = Unsigned(item, "rx_bytes").value_or(0);
      network.rx_packets = Unsigned(item, "rx_packets").value_or(0);
      network.rx_errors = Unsigned(item, "rx_errors").value_or(0);
      network.rx_dropped = Unsigned(item, "rx_dropped").value_or(0);
      network.tx_bytes = Unsigned(item, "tx_bytes").value_or(0);
      network.tx_packets = Unsigned(item, "tx_packets").value_or(0);
      network.tx_errors = Unsigned(item, "tx_errors").value_or(0);
      network.tx_dropped = Unsigned(item, "tx_dropped").value_or(0);
      stats.networks.push_back(std::move(network));
    }
  }
  return stats;
}

DiskUsage DecodeDiskUsage(std::string_view body) {
  const json document = Parse(body, "system df");
  RequireObject(document, "system df");
  DiskUsage usage;
  auto sum = [](const json* items, auto&& size_of) -> std::optional<std::uint64_t> {
    if (items == nullptr || !items->is_array()) return std::nullopt;
    std::uint64_t total = 0;
    for (const json& item : *items) total += size_of(item).value_or(0);
    return total;
  };
  // Docker's LayersSize counts shared layers once; podman sends 0 there, so fall back to the
  // sum of image sizes.
  usage.images = Unsigned(document, "LayersSize");
  if (!usage.images || *usage.images == 0) {
    if (auto images = sum(Field(document, "Images"),
                          [](const json& item) { return Unsigned(item, "Size"); })) {
      usage.images = images;
    }
  }
  usage.containers =
      sum(Field(document, "Containers"), [](const json& item) { return Unsigned(item, "SizeRw"); });
  if (const json* containers = Field(document, "Containers");
      containers != nullptr && containers->is_array()) {
    for (const json& item : *containers) {
      const std::string id = String(item, "Id");
      if (auto size = Unsigned(item, "SizeRw"); size && !id.empty()) {
        usage.container_rw_bytes[id] = *size;
      }
    }
  }
  usage.volumes = sum(Field(document, "Volumes"), [](const json& item) {
    const json* data = Field(item, "UsageData");
    return data != nullptr ? Unsigned(*data, "Size") : std::nullopt;
  });
  usage.build_cache =
      sum(Field(document, "BuildCache"), [](const json& item) { return Unsigned(item, "Size"); });
  if (!usage.build_cache) usage.build_cache = Unsigned(document, "BuilderSize");
  return usage;
}

PruneResult DecodePrune(std::string_view body, std::string_view deleted_key) {
  const json document = Parse(body, "prune");
  RequireObject(document, "prune");
  PruneResult result;
  result.space_reclaimed = Unsigned(document, "SpaceReclaimed").value_or(0);
  const std::string key(deleted_key);
  if (const json* deleted = Field(document, key.c_str());
      deleted != nullptr && deleted->is_array()) {
    for (const json& item : *deleted) {
      if (item.is_string()) {
        result.deleted.push_back(item.get<std::string>());
      } else if (item.is_object()) {  // images/prune: [{"Deleted": id} | {"Untagged": ref}]
        if (std::string id = String(item, "Deleted"); !id.empty()) result.deleted.push_back(id);
      }
    }
  }
  return result;
}

std::vector<Event> DecodeEvents(std::string_view body) {
  std::vector<Event> events;
  std::size_t position = 0;
  while (position < body.size()) {
    std::size_t end = body.find('\n', position);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(position, end - position);
    position = end + 1;
    if (std::all_of(line.begin(), line.end(),
                    [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
      continue;
    }
    const json item = Parse(line, "events");
    RequireObject(item, "events");
    Event event;
    event.type = String(item, "Type");
    event.action = String(item, "Action");
    if (event.action.empty()) event.action = String(item, "status");
    if (const json* actor = Field(item, "Actor")) {
      event.actor_id = String(*actor, "ID");
      event.attributes = StringMap(*actor, "Attributes");
    }
    if (event.actor_id.empty()) event.actor_id = String(item, "id");
    event.time = Signed(item, "time").value_or(0);
    event.time_nano = Signed(item, "timeNano").value_or(0);
    events.push_back(std::move(event));
  }
  return events;
}

std::string DecodeErrorMessage(std::string_view body) {
  const json document = json::parse(body.begin(), body.end(), nullptr, false);
  if (!document.is_discarded() && document.is_object()) {
    if (std::string message = String(document, "message"); !message.empty()) return message;
  }
  std::string text(body.substr(0, kMaxErrorText));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text.empty() ? "(empty body)" : text;
}

Logs DemultiplexLogs(std::string_view body, bool tty) {
  Logs logs;
  if (tty) {
    if (!body.empty()) logs.frames.push_back({LogStream::kStdout, std::string(body)});
    return logs;
  }
  std::size_t position = 0;
  while (position < body.size()) {
    if (body.size() - position < 8) {
      throw DockerError(kDecodeStatus, "logs: truncated frame header");
    }
    const auto* header = reinterpret_cast<const unsigned char*>(body.data() + position);
    if (header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0) {
      throw DockerError(kDecodeStatus, "logs: not a multiplexed stream (bad frame header)");
    }
    const std::size_t size = (static_cast<std::size_t>(header[4]) << 24) |
                             (static_cast<std::size_t>(header[5]) << 16) |
                             (static_cast<std::size_t>(header[6]) << 8) | header[7];
    position += 8;
    if (body.size() - position < size) throw DockerError(kDecodeStatus, "logs: truncated frame");
    LogFrame frame{static_cast<LogStream>(header[0]), std::string(body.substr(position, size))};
    position += size;
    // Adjacent frames of the same stream are one piece of output.
    if (!logs.frames.empty() && logs.frames.back().stream == frame.stream) {
      logs.frames.back().data += frame.data;
    } else {
      logs.frames.push_back(std::move(frame));
    }
  }
  return logs;
}

}  // namespace medic::docker
