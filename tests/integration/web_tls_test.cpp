// ctest-labels: tsan
// medic serving HTTPS from an exporter-toolkit web config, with certificates made at test time.
#include "support/test_support.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

using medic::test::MedicProcess;
using medic::test::RunCommand;

namespace {

void MakeCertificates(const medic::test::TempDir& dir) {
  const auto ca =
      RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                  "/CN=medic test CA", "-keyout", dir.Join("ca.key"), "-out", dir.Join("ca.pem")});
  REQUIRE_MESSAGE(ca.exit_code == 0, ca.output);
  dir.Write("ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const auto csr =
      RunCommand({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                  "-keyout", dir.Join("server.key"), "-out", dir.Join("server.csr")});
  REQUIRE_MESSAGE(csr.exit_code == 0, csr.output);
  const auto sign =
      RunCommand({"openssl", "x509", "-req", "-in", dir.Join("server.csr"), "-CA",
                  dir.Join("ca.pem"), "-CAkey", dir.Join("ca.key"), "-CAcreateserial", "-days", "2",
                  "-extfile", dir.Join("ext.cnf"), "-out", dir.Join("server.pem")});
  REQUIRE_MESSAGE(sign.exit_code == 0, sign.output);
}

}  // namespace

TEST_CASE("TLS from the web config, with the minimum version honoured") {
  medic::test::TempDir dir;
  MakeCertificates(dir);
  dir.Write("web.yml", "tls_server_config:\n  cert_file: " + dir.Join("server.pem") +
                           "\n  key_file: " + dir.Join("server.key") +
                           "\n  min_version: TLS13\nhttp_server_config:\n  headers:\n"
                           "    Strict-Transport-Security: max-age=31536000\n");
  // MedicProcess polls /-/ready over plain HTTP, which a TLS port never answers: start by hand.
  const int port = medic::test::FreePort();
  medic::test::Subprocess medic(
      {MEDIC_BINARY, "--web.listen-address=127.0.0.1:" + std::to_string(port),
       "--web.config.file=" + dir.Join("web.yml")},
      {.stdout_path = dir.Join("log"), .stderr_path = dir.Join("log")});
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  REQUIRE(medic::test::WaitFor(
      [&] {
        return RunCommand({"curl", "-sf", "--cacert", dir.Join("ca.pem"), url + "/-/ready"})
                   .exit_code == 0;
      },
      std::chrono::seconds(20)));
  const auto scrape =
      RunCommand({"curl", "-sS", "-D", "-", "--cacert", dir.Join("ca.pem"), url + "/metrics"});
  CHECK(scrape.exit_code == 0);
  CHECK(scrape.output.find("medic_build_info") != std::string::npos);
  CHECK(scrape.output.find("Strict-Transport-Security: max-age=31536000") != std::string::npos);
  // Plain HTTP on the TLS port is told so, as Go's servers do.
  const auto plain = RunCommand({"curl", "-s", "http://127.0.0.1:" + std::to_string(port) + "/"});
  CHECK(plain.output.find("Client sent an HTTP request to an HTTPS server") != std::string::npos);
  // TLS 1.2 is refused because min_version is TLS13.
  const auto old_tls = RunCommand({"curl", "-s", "--cacert", dir.Join("ca.pem"), "--tlsv1.2",
                                   "--tls-max", "1.2", url + "/metrics"});
  CHECK(old_tls.exit_code != 0);
  // A client that does not trust the CA fails verification.
  CHECK(RunCommand({"curl", "-s", url + "/metrics"}).exit_code != 0);
}

TEST_CASE("an unreadable TLS key in the web config stops start-up with a clear message") {
  medic::test::TempDir dir;
  dir.Write("web.yml", "tls_server_config:\n  cert_file: /nonexistent/c.pem\n  key_file: /x\n");
  const auto result = RunCommand(
      {MEDIC_BINARY, "--web.listen-address=127.0.0.1:" + std::to_string(medic::test::FreePort()),
       "--web.config.file=" + dir.Join("web.yml")});
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("tls_server_config.cert_file: cannot read") != std::string::npos);
}

namespace {

// medic on a TLS port from `web_yml`, with `config` as its config file; waits until it serves.
struct TlsMedic {
  TlsMedic(const medic::test::TempDir& dir, const std::string& web_yml, const std::string& config)
      : port(medic::test::FreePort()), url("https://127.0.0.1:" + std::to_string(port)) {
    dir.Write("web.yml", web_yml);
    dir.Write("medic.yml", config);
    process = std::make_unique<medic::test::Subprocess>(
        std::vector<std::string>{MEDIC_BINARY, "--config.file=" + dir.Join("medic.yml"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                 "--web.config.file=" + dir.Join("web.yml")},
        medic::test::Subprocess::Options{.stdout_path = dir.Join("log"),
                                         .stderr_path = dir.Join("log")});
    ca = dir.Join("ca.pem");
    REQUIRE(medic::test::WaitFor(
        [&] {
          return RunCommand({"curl", "-sf", "--cacert", ca, url + "/-/ready"}).exit_code == 0;
        },
        std::chrono::seconds(20)));
  }
  int port;
  std::string url;
  std::string ca;
  std::unique_ptr<medic::test::Subprocess> process;
};

bool Handshakes(int port, std::vector<std::string> options) {
  std::vector<std::string> argv{"openssl", "s_client", "-connect",
                                "127.0.0.1:" + std::to_string(port)};
  argv.insert(argv.end(), options.begin(), options.end());
  const auto result = RunCommand(argv);
  return result.output.find("Cipher is (NONE)") == std::string::npos &&
         result.output.find("handshake failure") == std::string::npos &&
         result.output.find("CONNECTED") != std::string::npos &&
         result.output.find("Verify return code") != std::string::npos;
}

}  // namespace

TEST_CASE("cipher_suites, curve_preferences and prefer_server_cipher_suites are applied") {
  medic::test::TempDir dir;
  MakeCertificates(dir);
  const std::string tls = "tls_server_config:\n  cert_file: " + dir.Join("server.pem") +
                          "\n  key_file: " + dir.Join("server.key") +
                          "\n  max_version: TLS12\n"
                          "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n"
                          "  curve_preferences: [CurveP384]\n"
                          "  prefer_server_cipher_suites: true\n";
  TlsMedic medic(dir, tls, "collectors: {}\n");
  CHECK(Handshakes(medic.port, {"-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"}));
  CHECK_FALSE(Handshakes(medic.port, {"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}));
  CHECK(Handshakes(medic.port, {"-tls1_2", "-groups", "P-384"}));
  CHECK_FALSE(Handshakes(medic.port, {"-tls1_2", "-groups", "P-256"}));

  // A name Go does not know is a config error naming the key, not a setting ignored.
  dir.Write("bad.yml", "tls_server_config:\n  cert_file: " + dir.Join("server.pem") +
                           "\n  key_file: " + dir.Join("server.key") +
                           "\n  cipher_suites: [TLS_NOT_A_SUITE]\n");
  const auto bad = RunCommand(
      {MEDIC_BINARY, "--web.listen-address=127.0.0.1:" + std::to_string(medic::test::FreePort()),
       "--web.config.file=" + dir.Join("bad.yml")});
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("bad.yml:4") != std::string::npos);
  CHECK(bad.output.find("cipher_suites") != std::string::npos);
  CHECK(bad.output.find("TLS_NOT_A_SUITE") != std::string::npos);
}

TEST_CASE("stalled TLS handshakes are cut at web.tls_handshake_timeout and delay no scrape") {
  medic::test::TempDir dir;
  MakeCertificates(dir);
  TlsMedic medic(
      dir,
      "tls_server_config:\n  cert_file: " + dir.Join("server.pem") +
          "\n  key_file: " + dir.Join("server.key") + "\n",
      "web: {tls_handshake_timeout: 1s}\ncollectors: {filesystem: {mountpoints: [/]}}\n");
  std::vector<int> stalled;
  for (int i = 0; i < 200; ++i) {
    stalled.push_back(medic::test::ConnectLoopback(medic.port));
    // Half of them start a ClientHello and stop: a record header promising 512 bytes.
    if (i % 2 == 0) ::send(stalled.back(), "\x16\x03\x01\x02\x00\x01", 6, MSG_NOSIGNAL);
  }
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto scrape = RunCommand({"curl", "-sf", "--cacert", medic.ca, medic.url + "/metrics"});
    CHECK(scrape.exit_code == 0);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500));
  }
  // Every stalled handshake is closed by the server soon after the 1 s timeout.
  std::size_t closed = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  for (const int fd : stalled) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd entry{fd, POLLIN, 0};
    char byte = 0;
    if (::poll(&entry, 1, std::max<int>(0, static_cast<int>(left.count()))) == 1 &&
        ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0) {
      ++closed;
    }
    ::close(fd);
  }
  CHECK(closed == stalled.size());
  const auto metrics = RunCommand({"curl", "-sf", "--cacert", medic.ca, medic.url + "/metrics"});
  CHECK(metrics.output.find("medic_http_tls_handshake_failures_total 200") != std::string::npos);
}
