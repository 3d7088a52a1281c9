#include "medic/remediation/process_runner.h"

#include "medic/unique_fd.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace medic::remediation {

namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";

// Resolves a bare program name against the child's PATH (not medic's own environment).
std::string ResolveProgram(const std::string& program, const std::string& path) {
  if (program.find('/') != std::string::npos) return program;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string candidate = path.substr(start, end - start);
    if (!candidate.empty()) {
      candidate += "/" + program;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return {};
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& environment, Duration timeout,
                         std::size_t max_output_bytes) {
  ProcessResult result;
  if (argv.empty() || argv[0].empty()) {
    result.error = "empty argv";
    return result;
  }
  std::map<std::string, std::string> env = environment;
  if (env.count("PATH") == 0) env["PATH"] = kDefaultPath;
  const std::string program = ResolveProgram(argv[0], env["PATH"]);
  if (program.empty()) {
    result.error = "program not found: " + argv[0];
    return result;
  }
  if (::access(program.c_str(), X_OK) != 0) {
    result.error = "cannot start " + program + ": " + std::strerror(errno);
    return result;
  }

  std::vector<std::string> env_storage;
  env_storage.reserve(env.size());
  for (const auto& [key, value] : env) env_storage.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& item : env_storage) envp.push_back(item.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_storage(argv);
  std::vector<char*> args;
  for (auto& arg : arg_storage) args.push_back(arg.data());
  args.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  // fork + execve rather than posix_spawn: the child needs PR_SET_PDEATHSIG so that a
  // remediation never outlives a medic killed with -9 (the journal marks that step
  // interrupted; a leftover process would keep acting on the target). Between fork and exec
  // the child only makes async-signal-safe system calls.
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    result.error = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);
    sigset_t no_signals;
    sigemptyset(&no_signals);
    ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
      ::signal(signal_number, SIG_DFL);
    }
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, STDIN_FILENO) < 0) _exit(127);
    if (::dup2(write_end.get(), STDOUT_FILENO) < 0 || ::dup2(write_end.get(), STDERR_FILENO) < 0) {
      _exit(127);
    }
    ::close_range(3, ~0U, 0);
    ::execve(program.c_str(), args.data(), envp.data());
    _exit(126);
  }
  write_end.Reset();

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  bool eof = false;
  while (!eof) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd entry{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long>(remaining.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t count = ::read(read_end.get(), buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      eof = true;
      break;
    }
    const std::size_t room = max_output_bytes - std::min(max_output_bytes, result.output.size());
    const auto take = std::min(room, static_cast<std::size_t>(count));
    result.output.append(buffer, take);
    if (take < static_cast<std::size_t>(count)) result.truncated = true;
  }
  if (result.timed_out) ::kill(-pid, SIGKILL);

  // Output closed (or timeout): reap, killing the group if it lingers past the deadline.
  int status = 0;
  while (true) {
    const pid_t waited = ::waitpid(pid, &status, WNOHANG);
    if (waited == pid) break;
    if (waited < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline && !result.timed_out) {
      result.timed_out = true;
      ::kill(-pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exit_code = DecodeStatus(status);
  return result;
}

}  // namespace medic::remediation
