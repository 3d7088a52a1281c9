#pragma once

#include "support/test_support.h"

#include <memory>
#include <string>

namespace medic::test {

// A real redis-server on a loopback port, without persistence, started with fork/exec and
// stopped by PID. Stop() and Start() keep the same port so clients can reconnect.
class RedisServer {
 public:
  explicit RedisServer(std::string password = "");
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void Start();  // waits until it answers PING
  void Kill();   // SIGKILL, waits for exit
  // Runs one command through redis-cli (argv, no shell) and returns its output.
  std::string Cli(const std::vector<std::string>& command) const;

 private:
  TempDir dir_;
  std::string password_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace medic::test
