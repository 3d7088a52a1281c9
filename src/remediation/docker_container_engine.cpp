#include "medic/remediation/docker_container_engine.h"

#include "medic/docker/client.h"

#include <algorithm>
#include <stdexcept>

namespace medic {

namespace {

using namespace std::chrono_literals;

int Seconds(Duration duration) { return static_cast<int>((duration.count() + 999) / 1000); }

// Remediation steps through the shared Docker client. Raw JSON is kept for diagnostics
// bundles (the operator wants the engine's own words, not medic's decoding of them).
class DockerContainerEngine : public remediation::ContainerEngine {
 public:
  // Remediation calls get at least 30 s (the client adds a stop's t on top): a start or an
  // inspect that takes longer than a scrape's budget is still worth waiting for here.
  explicit DockerContainerEngine(const DockerSettings& settings)
      : client_(docker::ResolveDockerHost(settings.host),
                std::max<std::chrono::milliseconds>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(settings.timeout), 30s)) {
  }

  void Ping() override { client_.Ping(std::min<std::chrono::milliseconds>(client_.timeout(), 5s)); }
  void Restart(const std::string& name, Duration stop_timeout) override {
    Check(client_.Restart(name, Seconds(stop_timeout)), name, "restart");
  }
  void Stop(const std::string& name, Duration stop_timeout) override {
    Check(client_.Stop(name, Seconds(stop_timeout)), name, "stop");
  }
  void Start(const std::string& name) override { Check(client_.Start(name), name, "start"); }

  std::string InspectJson(const std::string& name) override {
    return client_
        .Request("GET", "/containers/" + docker::UrlEncode(name) + "/json", client_.timeout())
        .body;
  }
  std::string LogTail(const std::string& name, std::size_t lines) override {
    docker::LogOptions options;
    options.tail = lines;
    options.max_bytes = 8 << 20;
    return client_.GetLogs(name, options).All();
  }
  std::string StatsJson(const std::string& name) override {
    return client_
        .Request("GET",
                 "/containers/" + docker::UrlEncode(name) + "/stats?stream=false&one-shot=true",
                 client_.timeout())
        .body;
  }
  std::string SystemDfJson() override { return client_.Request("GET", "/system/df", 60s).body; }

  remediation::PruneReport Prune() override {
    const docker::PruneReport report = client_.PruneAll(true);
    remediation::PruneReport out;
    out.space_reclaimed_bytes = static_cast<std::int64_t>(report.TotalReclaimed());
    auto describe = [](const char* kind, const docker::PruneResult& result) {
      if (!result.supported) return std::string(kind) + ": not supported by the engine";
      return std::string(kind) + ": " + std::to_string(result.deleted.size()) + " deleted, " +
             std::to_string(result.space_reclaimed) + " bytes";
    };
    out.detail = describe("containers", report.containers) + "; " +
                 describe("images", report.images) + "; " + describe("networks", report.networks) +
                 "; " + describe("build cache", report.build_cache);
    return out;
  }

 private:
  static void Check(docker::ActionOutcome outcome, const std::string& name, const char* action) {
    if (outcome == docker::ActionOutcome::kNotFound) {
      throw std::runtime_error(std::string(action) + ": no such container " + name);
    }
  }

  docker::DockerClient client_;
};

}  // namespace

std::unique_ptr<remediation::ContainerEngine> MakeRemediationContainerEngine(
    const DockerSettings& settings) {
  return std::make_unique<DockerContainerEngine>(settings);
}

}  // namespace medic
