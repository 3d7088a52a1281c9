#include "support/test_support.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace medic::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/medic-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ignored;
  // Restore permissions tests may have removed, so cleanup can descend.
  for (auto it = std::filesystem::recursive_directory_iterator(
           path_, std::filesystem::directory_options::skip_permission_denied, ignored);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ignored)) {
    if (it->is_directory(ignored)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ignored);
    }
  }
  std::filesystem::remove_all(path_, ignored);
}

void TempDir::Write(const std::string& name, const std::string& content) const {
  std::ofstream out(Join(name), std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + Join(name));
}

int ConnectLoopback(int port, const char* source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error(std::string("connect from ") + source + ": " + reason);
  }
  return fd;
}

bool ClosedByPeerWithin(int fd, std::chrono::milliseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  if (::poll(&entry, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char byte = 0;
  return ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

Subprocess::Subprocess(std::vector<std::string> argv, Options options) {
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string item(*entry);
    auto eq = item.find('=');
    if (eq != std::string::npos && options.extra_env.count(item.substr(0, eq)) > 0) continue;
    env_storage.push_back(std::move(item));
  }
  for (const auto& [key, value] : options.extra_env) env_storage.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& item : env_storage) envp.push_back(item.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) _exit(126);
    auto redirect = [](const std::string& path, int target) {
      if (path.empty()) return;
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (fd >= 0) ::dup2(fd, target);
    };
    redirect(options.stdout_path, STDOUT_FILENO);
    redirect(options.stderr_path, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execve(args[0], args.data(), envp.data());
    ::execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !status_) {
    if (!Stop(SIGTERM, std::chrono::seconds(10))) Stop(SIGKILL, std::chrono::seconds(5));
  }
}

bool Subprocess::Running() {
  if (status_) return false;
  int status = 0;
  pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

std::optional<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  WaitFor([this] { return !Running(); }, timeout);
  return status_;
}

std::optional<int> Subprocess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (status_) return status_;
  ::kill(pid_, signal);
  return Wait(timeout);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  TempDir dir;
  const std::string output_path = dir.Join("output");
  CommandResult result;
  {
    Subprocess process(argv, {.stdout_path = output_path, .stderr_path = output_path});
    auto status = process.Wait(timeout);
    if (!status) {
      process.Stop(SIGKILL, std::chrono::seconds(5));
      result.exit_code = -1;
    } else {
      result.exit_code = *status;
    }
  }
  result.output = ReadFile(output_path);
  return result;
}

namespace {

HttpResult ToResult(const httplib::Result& response) {
  HttpResult result;
  if (!response) {
    result.error = httplib::to_string(response.error());
    return result;
  }
  result.status = response->status;
  result.body = response->body;
  for (const auto& [key, value] : response->headers) result.headers.emplace(key, value);
  return result;
}

httplib::Headers ToHeaders(const std::multimap<std::string, std::string>& headers) {
  httplib::Headers out;
  for (const auto& [key, value] : headers) out.emplace(key, value);
  return out;
}

}  // namespace

HttpResult HttpGet(int port, const std::string& path,
                   const std::multimap<std::string, std::string>& headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  return ToResult(client.Get(path, ToHeaders(headers)));
}

HttpResult HttpPost(int port, const std::string& path, const std::string& body,
                    const std::string& content_type,
                    const std::multimap<std::string, std::string>& headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  return ToResult(client.Post(path, ToHeaders(headers), body, content_type));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

CommandResult PromtoolCheckMetrics(const std::string& exposition) {
  TempDir dir;
  dir.Write("scrape.txt", exposition);
  return RunCommand({"/bin/sh", "-c", "promtool check metrics < " + dir.Join("scrape.txt")});
}

std::string BcryptHash(const std::string& password, int cost) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof(salt)) ==
      nullptr) {
    throw std::runtime_error("crypt_gensalt_rn refused bcrypt cost " + std::to_string(cost));
  }
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), salt, data.get());
  if (hash == nullptr || hash[0] == '*') throw std::runtime_error("crypt_r failed");
  return hash;
}

std::optional<double> FindSample(const std::string& exposition, const std::string& name,
                                 const std::string& labels) {
  const std::string prefix = labels.empty() ? name + " " : name + "{" + labels + "} ";
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) {
      return std::strtod(line.c_str() + prefix.size(), nullptr);
    }
  }
  return std::nullopt;
}

MedicProcess::MedicProcess(const std::string& config_yaml, std::vector<std::string> extra_args,
                           std::map<std::string, std::string> env, int port) {
  port_ = port != 0 ? port : FreePort();
  config_path_ = dir_.Join("medic.yml");
  log_path_ = dir_.Join("medic.log");
  dir_.Write("medic.yml", config_yaml);
  std::vector<std::string> argv{MEDIC_BINARY, "--config.file=" + config_path_,
                                "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
  for (auto& arg : extra_args) argv.push_back(std::move(arg));
  process_ = std::make_unique<Subprocess>(
      argv, Subprocess::Options{
                .extra_env = std::move(env), .stdout_path = log_path_, .stderr_path = log_path_});
  const bool ready = WaitFor(
      [this] {
        if (!process_->Running()) return true;
        return HttpGet(port_, "/-/ready").status == 200;
      },
      std::chrono::seconds(30));
  if (!ready || !process_->Running()) {
    throw std::runtime_error("medic did not become ready; log:\n" + Log());
  }
}

MedicProcess::~MedicProcess() = default;

std::string MedicProcess::Log() const { return ReadFile(log_path_); }

std::string Rfc3339Utc(std::int64_t unix_seconds) {
  const std::time_t when = unix_seconds;
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace medic::test
