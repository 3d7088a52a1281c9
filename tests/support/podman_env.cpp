#include "support/podman_env.h"

#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>

namespace medic::test {
namespace {

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

// The last line of the script's output is the socket path (podman may print above it).
std::string LastLine(const std::string& text) {
  std::string trimmed = Trim(text);
  const auto newline = trimmed.rfind('\n');
  return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

// One engine directory per build directory: next to the test binary, unless the socket path
// would exceed sun_path (108 bytes), then under /tmp keyed by that directory.
std::string SharedEngineDir() {
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe");
  std::string dir = (binary.parent_path() / "podman-env").string();
  if (dir.size() + sizeof("/podman.sock") > 100) {
    dir = "/tmp/medic-podman-" + std::to_string(std::hash<std::string>{}(dir));
  }
  return dir;
}

}  // namespace

std::string RunPodmanEnvScript(const std::string& action, const std::string& dir,
                               const std::map<std::string, std::string>& env) {
  TempDir scratch;
  const std::string output_path = scratch.Join("out");
  const std::string error_path = scratch.Join("err");
  std::optional<int> status;
  {
    Subprocess script(
        {"/bin/bash", std::string(MEDIC_SOURCE_DIR) + "/scripts/podman-env.sh", action, dir},
        {.extra_env = env, .stdout_path = output_path, .stderr_path = error_path});
    status = script.Wait(std::chrono::seconds(180));
    if (!status) script.Stop(SIGKILL, std::chrono::seconds(5));
  }
  if (!status || *status != 0) {
    throw std::runtime_error("scripts/podman-env.sh " + action + " " + dir +
                             " failed: " + ReadFile(error_path));
  }
  return LastLine(ReadFile(output_path));
}

std::string DockerHost() {
  static std::once_flag once;
  static std::string host;
  std::call_once(once, [] {
    if (const char* configured = std::getenv("MEDIC_TEST_DOCKER_HOST");
        configured != nullptr && *configured != '\0') {
      host = configured;
      return;
    }
    const std::string socket =
        RunPodmanEnvScript("start", SharedEngineDir(), {{"MEDIC_PODMAN_IDLE_SECONDS", "120"}});
    host = "unix://" + socket;
  });
  return host;
}

std::string DockerSocketPath() {
  const std::string host = DockerHost();
  return host.rfind("unix://", 0) == 0 ? host.substr(7) : host;
}

CommandResult Podman(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                     const std::string& host) {
  std::vector<std::string> argv{"podman", "--remote", "--url", host.empty() ? DockerHost() : host};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, timeout);
}

std::string UniqueContainerName() {
  static std::mutex mutex;
  static std::mt19937_64 generator{std::random_device{}() ^
                                   (static_cast<std::uint64_t>(::getpid()) << 32)};
  std::lock_guard lock(mutex);
  std::ostringstream name;
  name << "medic-test-" << std::hex << generator();
  return name.str();
}

TestContainer::TestContainer(ContainerOptions options)
    : name_(options.name.empty() ? UniqueContainerName() : options.name),
      host_(options.host.empty() ? DockerHost() : options.host) {
  std::vector<std::string> args{options.start ? "run" : "create"};
  if (options.start) args.push_back("-d");
  args.insert(args.end(), {"--name", name_, "--network", options.network, "--ulimit",
                           "nofile=20000:20000", "--ulimit", "nproc=4096:4096"});
  if (!options.memory.empty()) args.insert(args.end(), {"--memory", options.memory});
  if (options.tty) args.push_back("-t");
  for (const auto& [key, value] : options.labels)
    args.insert(args.end(), {"--label", key + "=" + value});
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  args.push_back(options.image);
  args.insert(args.end(), options.command.begin(), options.command.end());
  const CommandResult result = Podman(args, std::chrono::seconds(60), host_);
  if (result.exit_code != 0) {
    Podman({"rm", "-f", "-t", "0", name_}, std::chrono::seconds(30), host_);
    throw std::runtime_error("podman " + args[0] + " " + name_ + " failed: " + result.output);
  }
  id_ = LastLine(result.output);
}

TestContainer::~TestContainer() {
  Podman({"rm", "-f", "-t", "0", name_}, std::chrono::seconds(60), host_);
}

std::string TestContainer::Exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> args{"exec", name_};
  args.insert(args.end(), argv.begin(), argv.end());
  const CommandResult result = Podman(args, std::chrono::seconds(60), host_);
  if (result.exit_code != 0) {
    throw std::runtime_error("podman exec " + name_ + " failed: " + result.output);
  }
  return result.output;
}

void TestContainer::Stop() const {
  const CommandResult result = Podman({"stop", "-t", "0", name_}, std::chrono::seconds(60), host_);
  if (result.exit_code != 0) throw std::runtime_error("podman stop failed: " + result.output);
}

void TestContainer::Start() const {
  const CommandResult result = Podman({"start", name_}, std::chrono::seconds(60), host_);
  if (result.exit_code != 0) throw std::runtime_error("podman start failed: " + result.output);
}

PrivatePodman::PrivatePodman() { Start(); }

PrivatePodman::~PrivatePodman() {
  try {
    RunPodmanEnvScript("destroy", dir_.path());
  } catch (const std::exception&) {
    // Best effort: the directory still goes away with dir_.
  }
}

void PrivatePodman::Start() { socket_ = RunPodmanEnvScript("start", dir_.path()); }

void PrivatePodman::Kill() {
  std::ifstream pid_file(dir_.Join("podman.pid"));
  pid_t pid = 0;
  if (pid_file >> pid && pid > 0) {
    ::kill(pid, SIGKILL);
    // Gone, or a zombie waiting for whoever reaps orphans here.
    WaitFor(
        [pid] {
          if (::kill(pid, 0) != 0) return true;
          const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
          const auto paren = stat.rfind(')');
          return paren == std::string::npos || (paren + 2 < stat.size() && stat[paren + 2] == 'Z');
        },
        std::chrono::seconds(10));
  }
}

}  // namespace medic::test
