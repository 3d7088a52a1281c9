#include "support/redis_server.h"

#include <signal.h>

#include <stdexcept>

namespace medic::test {

RedisServer::RedisServer(std::string password) : password_(std::move(password)) {
  port_ = FreePort();
  Start();
}

RedisServer::~RedisServer() {
  if (process_) process_->Stop(SIGKILL, std::chrono::seconds(10));
}

void RedisServer::Start() {
  std::vector<std::string> argv{"redis-server",
                                "--port",
                                std::to_string(port_),
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--dir",
                                dir_.path(),
                                "--daemonize",
                                "no"};
  if (!password_.empty()) {
    argv.push_back("--requirepass");
    argv.push_back(password_);
  }
  const std::string log = dir_.Join("redis.log");
  process_ = std::make_unique<Subprocess>(
      argv, Subprocess::Options{.stdout_path = log, .stderr_path = log});
  const bool ready = WaitFor(
      [this] {
        if (!process_->Running()) return true;
        return Cli({"PING"}).find("PONG") != std::string::npos;
      },
      std::chrono::seconds(20));
  if (!ready || !process_->Running()) {
    throw std::runtime_error("redis-server did not start; log:\n" + ReadFile(log));
  }
}

void RedisServer::Kill() {
  if (process_) process_->Stop(SIGKILL, std::chrono::seconds(10));
  process_.reset();
}

std::string RedisServer::Cli(const std::vector<std::string>& command) const {
  std::vector<std::string> argv{"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port_)};
  // REDISCLI_AUTH keeps the password off the command line.
  std::map<std::string, std::string> env;
  if (!password_.empty()) env["REDISCLI_AUTH"] = password_;
  for (const auto& part : command) argv.push_back(part);
  TempDir out_dir;
  const std::string out = out_dir.Join("out");
  Subprocess cli(argv, {.extra_env = env, .stdout_path = out, .stderr_path = out});
  if (!cli.Wait(std::chrono::seconds(10))) cli.Stop(SIGKILL, std::chrono::seconds(5));
  return ReadFile(out);
}

}  // namespace medic::test
