#include "support/test_pki.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace medic::test {
namespace {

const std::vector<std::string> kNewKey{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                       "-nodes"};

std::vector<std::string> Concat(std::vector<std::string> head,
                                const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

bool Accepting(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

TestPki::TestPki() {
  dir_.Write("ca.ext",
             "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  Run(Concat({"openssl", "req", "-x509"},
             Concat(kNewKey, {"-keyout", Path("ca.key"), "-out", ca(), "-days", "3650", "-subj",
                              "/O=medic tests/CN=Medic Test Root CA"})));
  Run(Concat({"openssl", "req", "-new"},
             Concat(kNewKey, {"-keyout", Path("intermediate.key"), "-out", Path("intermediate.csr"),
                              "-subj", "/O=medic tests/CN=Medic Test Intermediate"})));
  Run({"openssl", "x509", "-req", "-in", Path("intermediate.csr"), "-CA", ca(), "-CAkey",
       Path("ca.key"), "-CAcreateserial", "-out", intermediate(), "-days", "10", "-extfile",
       Path("ca.ext")});
}

void TestPki::Run(const std::vector<std::string>& argv) const {
  const CommandResult result = RunCommand(argv, std::chrono::seconds(60));
  if (result.exit_code != 0) {
    std::string command;
    for (const auto& part : argv) command += part + " ";
    throw std::runtime_error("openssl failed: " + command + "\n" + result.output);
  }
}

std::string TestPki::IssueLeaf(const std::string& name, const std::string& host, int days) {
  dir_.Write(name + ".ext", "subjectAltName=DNS:" + host +
                                "\nbasicConstraints=critical,CA:FALSE\n"
                                "extendedKeyUsage=serverAuth\n");
  Run(Concat({"openssl", "req", "-new"},
             Concat(kNewKey, {"-keyout", Path(name + ".key"), "-out", Path(name + ".csr"), "-subj",
                              "/O=medic tests/CN=" + host})));
  Run({"openssl", "x509", "-req", "-in", Path(name + ".csr"), "-CA", intermediate(), "-CAkey",
       Path("intermediate.key"), "-CAcreateserial", "-out", Path(name + ".pem"), "-days",
       std::to_string(days), "-extfile", Path(name + ".ext")});
  return Path(name + ".pem");
}

std::string TestPki::SelfSigned(const std::string& name, const std::string& host, int days) {
  Run(Concat({"openssl", "req", "-x509"},
             Concat(kNewKey, {"-keyout", Path(name + ".key"), "-out", Path(name + ".pem"), "-days",
                              std::to_string(days), "-subj", "/CN=" + host, "-addext",
                              "subjectAltName=DNS:" + host})));
  return Path(name + ".pem");
}

TlsServer::TlsServer(const std::string& certificate, const std::string& key,
                     const std::string& chain) {
  port_ = FreePort();
  std::vector<std::string> argv{
      "openssl", "s_server",  "-accept", "127.0.0.1:" + std::to_string(port_),
      "-cert",   certificate, "-key",    key,
      "-www",    "-quiet"};
  if (!chain.empty()) {
    argv.push_back("-cert_chain");
    argv.push_back(chain);
  }
  const std::string log = log_dir_.Join("s_server.log");
  process_ = std::make_unique<Subprocess>(
      argv, Subprocess::Options{.stdout_path = log, .stderr_path = log});
  const bool ready = WaitFor([this] { return !process_->Running() || Accepting(port_); },
                             std::chrono::seconds(20));
  if (!ready || !process_->Running()) {
    throw std::runtime_error("openssl s_server did not start; log:\n" + ReadFile(log));
  }
}

}  // namespace medic::test
