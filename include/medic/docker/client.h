#pragma once

#include "medic/docker/error.h"
#include "medic/docker/types.h"
#include "medic/net/engine_client.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace medic::docker {

inline constexpr char kDefaultDockerHost[] = "unix:///var/run/docker.sock";

// The host to use: `configured` if not empty, else $DOCKER_HOST, else the default socket
// (the docker CLI's order). Accepts unix:///path and tcp://host:port (plain HTTP).
std::string ResolveDockerHost(const std::string& configured);

struct ListOptions {
  bool all = true;
  std::map<std::string, std::vector<std::string>> filters;  // e.g. {"label", {"app=bot"}}
};

struct LogOptions {
  bool stdout_stream = true;
  bool stderr_stream = true;
  std::optional<std::int64_t> since;  // unix seconds
  std::optional<std::int64_t> until;  // unix seconds; lines after it are left out
  std::optional<std::size_t> tail;    // last N lines; absent: all
  bool timestamps = false;
  std::size_t max_bytes = 16 << 20;  // a larger answer is a DockerError, not unbounded memory
};

struct EventOptions {
  std::optional<std::int64_t> since;  // unix seconds
  // Required: without `until` the engine streams forever. podman returns nothing for an
  // `until` in the past, so use a value ≥ now + 1.
  std::int64_t until = 0;
  std::map<std::string, std::vector<std::string>> filters;  // podman names: "died", not "die"
};

// A Docker Engine API client over the engine HTTP client (net/engine_client.h). One client
// may be shared by threads: calls reuse idle keep-alive connections to the engine instead of
// paying connect every time. Every call has a timeout (the
// client's default, or the one given); every failure is a DockerError (status 0 for transport
// errors). The API version is negotiated once from /_ping (then /version): v1.41 when the engine
// supports it, else the engine's own version; it is negotiated again after a transport failure.
class DockerClient {
 public:
  explicit DockerClient(const std::string& host = "",
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const std::string& host() const { return host_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // "1.41" etc.; negotiates on first use.
  std::string ApiVersion();
  VersionInfo Version(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  EngineInfo Info(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // GET /_ping (unversioned, so it does not negotiate) on a new connection: a cheap check that
  // the engine accepts connections now, which a reused keep-alive connection cannot show.
  void Ping(std::chrono::milliseconds timeout);

  std::vector<ContainerSummary> List(
      const ListOptions& options = {},
      std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  ContainerDetails Inspect(const std::string& id_or_name,
                           std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  ContainerStats Stats(const std::string& id_or_name,
                       std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // `tty` selects raw (true) or multiplexed (false) decoding; absent: inspect decides.
  Logs GetLogs(const std::string& id_or_name, const LogOptions& options = {},
               std::optional<bool> tty = std::nullopt);

  // t = seconds the engine waits after SIGTERM before SIGKILL. The call's timeout is extended
  // by t so a slow stop is not reported as a transport error.
  ActionOutcome Restart(const std::string& id_or_name, int stop_timeout_seconds = 10);
  ActionOutcome Stop(const std::string& id_or_name, int stop_timeout_seconds = 10);
  ActionOutcome Start(const std::string& id_or_name);

  PruneResult PruneContainers();
  PruneResult PruneImages(bool dangling_only = true);
  PruneResult PruneNetworks();
  PruneResult PruneBuildCache();  // supported = false when the engine has no endpoint (404)
  PruneReport PruneAll(bool dangling_images_only = true);

  DiskUsage SystemDiskUsage(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  std::vector<Event> Events(const EventOptions& options);

  // For shutdown: calls in flight abort within about a second, later calls fail at once; both
  // with a DockerError. There is no undo.
  void Cancel() { cancelled_ = true; }

  struct Response {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
  };
  // A raw call: `path` starts with '/', and is prefixed with /v<api> when `versioned`.
  // Throws DockerError on transport failure or a status ≥ 400 not in `accepted`.
  Response Request(const std::string& method, const std::string& path,
                   std::chrono::milliseconds timeout, bool versioned = true,
                   std::size_t max_body_bytes = 8 << 20, const std::vector<long>& accepted = {});

 private:
  Response Perform(const std::string& method, const std::string& path,
                   std::chrono::milliseconds timeout, std::size_t max_body_bytes,
                   bool fresh_connection = false);
  ActionOutcome Action(const std::string& id_or_name, const std::string& action,
                       std::chrono::milliseconds timeout, const std::string& query);

  std::string host_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<net::EngineClient> transport_;
  std::atomic<bool> cancelled_{false};
  std::mutex version_mutex_;
  std::string api_version_;  // empty until negotiated
};

// Percent-encodes a query value.
std::string UrlEncode(const std::string& text);

}  // namespace medic::docker
