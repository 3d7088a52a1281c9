#include "medic/docker/client.h"
#include "medic/json_text.h"

#include "medic/docker/decode.h"
#include "medic/net/field_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <thread>

namespace medic::docker {
namespace {

constexpr char kPreferredApiVersion[] = "1.41";
// Enough for the collector's bounded pool plus a few concurrent remediation calls; more
// concurrent callers still work, their extra connections are just not kept.
constexpr std::size_t kMaxIdleConnections = 16;

net::ClientEndpoint EndpointOf(const std::string& host) {
  net::ClientEndpoint endpoint;
  if (host.rfind("unix://", 0) == 0) {
    endpoint.unix_path = host.substr(7);
    if (endpoint.unix_path.empty()) throw DockerError(0, "empty unix socket path in " + host);
    return endpoint;
  }
  if (host.rfind("tcp://", 0) == 0) {
    const std::string address = host.substr(6);
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      throw DockerError(0, "Docker host '" + host + "' needs tcp://host:port");
    }
    endpoint.host = address.substr(0, colon);
    if (endpoint.host.size() >= 2 && endpoint.host.front() == '[' && endpoint.host.back() == ']') {
      endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
    }
    const std::string port = address.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
      throw DockerError(0, "invalid port in Docker host '" + host + "'");
    }
    endpoint.port = std::stoi(port);
    return endpoint;
  }
  throw DockerError(0, "unsupported Docker host '" + host + "' (use unix:// or tcp://)");
}

// "1.41" → {1, 41}; unparsable → {0, 0}.
std::pair<int, int> SplitVersion(const std::string& version) {
  const auto dot = version.find('.');
  if (dot == std::string::npos) return {0, 0};
  try {
    return {std::stoi(version.substr(0, dot)), std::stoi(version.substr(dot + 1))};
  } catch (const std::exception&) {
    return {0, 0};
  }
}

std::string FiltersJson(const std::map<std::string, std::vector<std::string>>& filters) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [key, values] : filters) object[key] = values;
  return JsonText(object);
}

}  // namespace

std::string UrlEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string ResolveDockerHost(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("DOCKER_HOST"); env != nullptr && *env != '\0') return env;
  return kDefaultDockerHost;
}

DockerClient::DockerClient(const std::string& host, std::chrono::milliseconds timeout)
    : host_(ResolveDockerHost(host)),
      timeout_(timeout),
      transport_(
          std::make_unique<net::EngineClient>(EndpointOf(host_), "docker", kMaxIdleConnections)) {}

DockerClient::Response DockerClient::Perform(const std::string& method, const std::string& path,
                                             std::chrono::milliseconds timeout,
                                             std::size_t max_body_bytes, bool fresh_connection) {
  if (cancelled_) throw DockerError(0, method + " " + path + ": client cancelled");
  net::ClientRequest request;
  request.method = method;
  request.target = path;
  request.fresh_connection = fresh_connection;
  net::ClientResponse answer;
  try {
    answer = transport_->Send(request, std::max(timeout, std::chrono::milliseconds(1)),
                              max_body_bytes, &cancelled_);
  } catch (const net::ClientError& error) {
    throw DockerError(0, error.what());
  }
  Response response;
  response.status = answer.status;
  response.body = std::move(answer.body);
  for (auto& [name, value] : answer.headers) {
    response.headers[net::AsciiLowercase(name)] = std::move(value);
  }
  return response;
}

std::string DockerClient::ApiVersion() {
  std::lock_guard lock(version_mutex_);
  if (!api_version_.empty()) return api_version_;
  std::string server;
  const Response ping = Perform("GET", "/_ping", timeout_, 4096);
  if (auto found = ping.headers.find("api-version"); found != ping.headers.end()) {
    server = found->second;
  }
  if (SplitVersion(server).first == 0) {
    const Response version = Perform("GET", "/version", timeout_, 1 << 20);
    if (version.status >= 400) {
      throw DockerError(static_cast<int>(version.status), DecodeErrorMessage(version.body));
    }
    server = DecodeVersion(version.body).api_version;
  }
  const auto server_parts = SplitVersion(server);
  if (server_parts.first == 0) {
    throw DockerError(static_cast<int>(ping.status), "engine did not report an API version");
  }
  api_version_ = server_parts >= SplitVersion(kPreferredApiVersion) ? kPreferredApiVersion : server;
  return api_version_;
}

DockerClient::Response DockerClient::Request(const std::string& method, const std::string& path,
                                             std::chrono::milliseconds timeout, bool versioned,
                                             std::size_t max_body_bytes,
                                             const std::vector<long>& accepted) {
  const std::string full_path = versioned ? "/v" + ApiVersion() + path : path;
  Response response;
  try {
    response = Perform(method, full_path, timeout, max_body_bytes);
  } catch (const DockerError&) {
    // The engine may come back as a different version: negotiate again next time.
    std::lock_guard lock(version_mutex_);
    api_version_.clear();
    throw;
  }
  if (response.status >= 400 &&
      std::find(accepted.begin(), accepted.end(), response.status) == accepted.end()) {
    throw DockerError(static_cast<int>(response.status), DecodeErrorMessage(response.body));
  }
  return response;
}

VersionInfo DockerClient::Version(std::optional<std::chrono::milliseconds> timeout) {
  const Response response = Request("GET", "/version", timeout.value_or(timeout_));
  return DecodeVersion(response.body);
}

EngineInfo DockerClient::Info(std::optional<std::chrono::milliseconds> timeout) {
  const Response response = Request("GET", "/info", timeout.value_or(timeout_));
  return DecodeEngineInfo(response.body);
}

void DockerClient::Ping(std::chrono::milliseconds timeout) {
  Response response;
  try {
    response = Perform("GET", "/_ping", timeout, 4096, true);
  } catch (const DockerError&) {
    std::lock_guard lock(version_mutex_);
    api_version_.clear();  // the engine may come back as a different version
    throw;
  }
  if (response.status >= 400) {
    throw DockerError(static_cast<int>(response.status), DecodeErrorMessage(response.body));
  }
}

std::vector<ContainerSummary> DockerClient::List(const ListOptions& options,
                                                 std::optional<std::chrono::milliseconds> timeout) {
  std::string path = std::string("/containers/json?all=") + (options.all ? "1" : "0");
  if (!options.filters.empty()) path += "&filters=" + UrlEncode(FiltersJson(options.filters));
  return DecodeContainerList(Request("GET", path, timeout.value_or(timeout_), true, 32 << 20).body);
}

ContainerDetails DockerClient::Inspect(const std::string& id_or_name,
                                       std::optional<std::chrono::milliseconds> timeout) {
  return DecodeContainerDetails(
      Request("GET", "/containers/" + UrlEncode(id_or_name) + "/json", timeout.value_or(timeout_))
          .body);
}

ContainerStats DockerClient::Stats(const std::string& id_or_name,
                                   std::optional<std::chrono::milliseconds> timeout) {
  return DecodeStats(
      Request("GET", "/containers/" + UrlEncode(id_or_name) + "/stats?stream=false&one-shot=true",
              timeout.value_or(timeout_))
          .body);
}

Logs DockerClient::GetLogs(const std::string& id_or_name, const LogOptions& options,
                           std::optional<bool> tty) {
  if (!tty) tty = Inspect(id_or_name).tty;
  std::string path = "/containers/" + UrlEncode(id_or_name) + "/logs?follow=0";
  path += std::string("&stdout=") + (options.stdout_stream ? "1" : "0");
  path += std::string("&stderr=") + (options.stderr_stream ? "1" : "0");
  if (options.since) path += "&since=" + std::to_string(*options.since);
  if (options.until) path += "&until=" + std::to_string(*options.until);
  if (options.tail) path += "&tail=" + std::to_string(*options.tail);
  if (options.timestamps) path += "&timestamps=1";
  const Response response = Request("GET", path, timeout_, true, options.max_bytes);
  return DemultiplexLogs(response.body, *tty);
}

ActionOutcome DockerClient::Action(const std::string& id_or_name, const std::string& action,
                                   std::chrono::milliseconds timeout, const std::string& query) {
  const Response response =
      Request("POST", "/containers/" + UrlEncode(id_or_name) + "/" + action + query, timeout, true,
              1 << 20, {404});
  if (response.status == 404) return ActionOutcome::kNotFound;
  if (response.status == 304) return ActionOutcome::kNoChange;
  if (response.status >= 200 && response.status < 300) return ActionOutcome::kDone;
  throw DockerError(static_cast<int>(response.status),
                    action + ": unexpected status (" + DecodeErrorMessage(response.body) + ")");
}

ActionOutcome DockerClient::Restart(const std::string& id_or_name, int stop_timeout_seconds) {
  stop_timeout_seconds = std::max(0, stop_timeout_seconds);
  try {
    return Action(id_or_name, "restart", timeout_ + std::chrono::seconds(stop_timeout_seconds),
                  "?t=" + std::to_string(stop_timeout_seconds));
  } catch (const DockerError& error) {
    // Podman can finish the stop half of a restart and then refuse the start half with
    // "container state improper" while its cleanup process still holds the container in the
    // transitional "stopped" state. The container is down either way: completing the restart
    // with a start is what the caller asked for; anything else is still an error.
    if (error.http_status() != 500 ||
        error.message().find("container state improper") == std::string::npos) {
      throw;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    while (true) {
      try {
        return Start(id_or_name);
      } catch (const DockerError& retry) {
        if (retry.http_status() != 500 || std::chrono::steady_clock::now() >= deadline) throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

ActionOutcome DockerClient::Stop(const std::string& id_or_name, int stop_timeout_seconds) {
  stop_timeout_seconds = std::max(0, stop_timeout_seconds);
  return Action(id_or_name, "stop", timeout_ + std::chrono::seconds(stop_timeout_seconds),
                "?t=" + std::to_string(stop_timeout_seconds));
}

ActionOutcome DockerClient::Start(const std::string& id_or_name) {
  return Action(id_or_name, "start", timeout_, "");
}

PruneResult DockerClient::PruneContainers() {
  return DecodePrune(Request("POST", "/containers/prune", timeout_ * 6).body, "ContainersDeleted");
}

PruneResult DockerClient::PruneImages(bool dangling_only) {
  const std::string filters = FiltersJson({{"dangling", {dangling_only ? "true" : "false"}}});
  return DecodePrune(
      Request("POST", "/images/prune?filters=" + UrlEncode(filters), timeout_ * 6).body,
      "ImagesDeleted");
}

PruneResult DockerClient::PruneNetworks() {
  return DecodePrune(Request("POST", "/networks/prune", timeout_ * 6).body, "NetworksDeleted");
}

PruneResult DockerClient::PruneBuildCache() {
  const Response response = Request("POST", "/build/prune", timeout_ * 6, true, 8 << 20, {404});
  if (response.status == 404) return PruneResult{.supported = false};
  return DecodePrune(response.body, "CachesDeleted");
}

PruneReport DockerClient::PruneAll(bool dangling_images_only) {
  PruneReport report;
  report.containers = PruneContainers();
  report.images = PruneImages(dangling_images_only);
  report.networks = PruneNetworks();
  report.build_cache = PruneBuildCache();
  return report;
}

DiskUsage DockerClient::SystemDiskUsage(std::optional<std::chrono::milliseconds> timeout) {
  return DecodeDiskUsage(
      Request("GET", "/system/df", timeout.value_or(timeout_ * 6), true, 32 << 20).body);
}

std::vector<Event> DockerClient::Events(const EventOptions& options) {
  if (options.until <= 0) throw DockerError(0, "events: `until` is required (else it streams)");
  std::string path = "/events?until=" + std::to_string(options.until);
  if (options.since) path += "&since=" + std::to_string(*options.since);
  if (!options.filters.empty()) path += "&filters=" + UrlEncode(FiltersJson(options.filters));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  // The engine holds the answer open until `until`.
  const auto wait = std::chrono::seconds(std::max<std::int64_t>(0, options.until - now));
  return DecodeEvents(Request("GET", path, timeout_ + wait, true, 16 << 20).body);
}

}  // namespace medic::docker
