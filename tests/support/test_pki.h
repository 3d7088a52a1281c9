#pragma once

#include "support/test_support.h"

#include <memory>
#include <string>
#include <vector>

namespace medic::test {

// A throw-away PKI made at test time with the `openssl` CLI (argv, no shell): a root CA, an
// intermediate that expires (10 days) before its leaf (20 days), and leaves.
class TestPki {
 public:
  TestPki();
  const std::string& dir() const { return dir_.path(); }
  std::string Path(const std::string& name) const { return dir_.Join(name); }
  std::string ca() const { return Path("ca.pem"); }
  std::string intermediate() const { return Path("intermediate.pem"); }

  // Issues "<name>.pem"/"<name>.key" for DNS name `host`, signed by the intermediate, valid
  // `days` (negative: already expired). Returns the certificate path.
  std::string IssueLeaf(const std::string& name, const std::string& host, int days);
  // A self-signed certificate for `host`.
  std::string SelfSigned(const std::string& name, const std::string& host, int days);

 private:
  void Run(const std::vector<std::string>& argv) const;
  TempDir dir_;
};

// `openssl s_server` on a free loopback port serving `certificate` (+ `chain` if given).
class TlsServer {
 public:
  TlsServer(const std::string& certificate, const std::string& key, const std::string& chain = "");
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir log_dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace medic::test
