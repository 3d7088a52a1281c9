// ctest-labels: tsan
// medic serving HTTPS from an exporter-toolkit web config, with certificates made at test time.
#include "support/test_support.h"

#include <doctest/doctest.h>

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
  // Plain HTTP on the TLS port gets no answer.
  CHECK(medic::test::HttpGet(port, "/metrics").status == 0);
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
