#pragma once

// Helpers shared by the tests: temporary directories, free loopback ports, child processes
// started and stopped by PID, and small HTTP calls. Everything binds and targets 127.0.0.1.

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace medic::test {

// A directory under $TMPDIR removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// A loopback TCP port that was free a moment ago.
int FreePort();

// A TCP connection to 127.0.0.1:port from `source` (another loopback address stands for another
// peer), sending nothing; the caller closes the descriptor. Throws when it cannot connect.
int ConnectLoopback(int port, const char* source = "127.0.0.1");
// Whether the server closed `fd` (EOF or reset) within `timeout`.
bool ClosedByPeerWithin(int fd, std::chrono::milliseconds timeout);

// A child process started with fork/exec (no shell); SIGTERM then SIGKILL on destruction.
class Subprocess {
 public:
  struct Options {
    std::map<std::string, std::string> extra_env;
    std::string stdout_path;  // empty: inherit
    std::string stderr_path;  // empty: inherit
    std::string working_dir;
  };
  Subprocess(std::vector<std::string> argv, Options options);
  explicit Subprocess(std::vector<std::string> argv) : Subprocess(std::move(argv), Options{}) {}
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool Running();
  // Sends `signal` and waits up to `timeout` for exit; returns the exit status if it exited.
  std::optional<int> Stop(int signal, std::chrono::milliseconds timeout);
  // Waits for exit without signalling.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls `condition` every 20 ms until it is true or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
// Unix seconds as a log line stamps them: "2026-12-01T09:00:00Z".
std::string Rfc3339Utc(std::int64_t unix_seconds);

// Runs argv (no shell) to completion, returning exit code and combined output.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

struct HttpResult {
  int status = 0;  // 0: no response
  std::string body;
  std::multimap<std::string, std::string> headers;
  std::string error;
};
HttpResult HttpGet(int port, const std::string& path,
                   const std::multimap<std::string, std::string>& headers = {});
HttpResult HttpPost(int port, const std::string& path, const std::string& body,
                    const std::string& content_type,
                    const std::multimap<std::string, std::string>& headers = {});

std::string ReadFile(const std::string& path);

// `promtool check metrics` on an exposition (exit code 0 and no output: clean).
CommandResult PromtoolCheckMetrics(const std::string& exposition);

// A bcrypt hash of `password` at `cost`, as `htpasswd -nBC cost` makes it (libcrypt's crypt_r);
// throws std::runtime_error when libcrypt refuses.
std::string BcryptHash(const std::string& password, int cost = 5);

// Returns the sample value of `name{labels}` from a text exposition, if present.
// `labels` is the exact label set as printed, e.g. R"(collector="filesystem")", or "".
std::optional<double> FindSample(const std::string& exposition, const std::string& name,
                                 const std::string& labels = "");

// Starts the built medic binary with the given config text on a free port and waits until
// /-/ready answers. Stops it (SIGTERM) on destruction.
class MedicProcess {
 public:
  // `port` 0: a free one. A port of one's own lets a restarted medic take its predecessor's
  // address (Alertmanager's receiver names it).
  MedicProcess(const std::string& config_yaml, std::vector<std::string> extra_args = {},
               std::map<std::string, std::string> env = {}, int port = 0);
  ~MedicProcess();
  int port() const { return port_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  std::string Log() const;
  Subprocess& process() { return *process_; }
  TempDir& dir() { return dir_; }

 private:
  TempDir dir_;
  int port_ = 0;
  std::string config_path_;
  std::string log_path_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace medic::test
