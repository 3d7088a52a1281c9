// medic loads libssl only when something needs TLS: a default medic never maps it, and the
// first certificate probe loads it and works (against a real `openssl s_server`).
#include "medic/tls/openssl_loader.h"

#include "support/test_pki.h"
#include "support/test_support.h"

#include <doctest/doctest.h>

#include <unistd.h>

namespace {

bool Maps(pid_t pid, const std::string& library) {
  return medic::test::ReadFile("/proc/" + std::to_string(pid) + "/maps").find(library) !=
         std::string::npos;
}

}  // namespace

TEST_CASE("a medic without TLS work never maps libssl, libcrypto or libcurl") {
  medic::test::MedicProcess medic("collectors:\n  filesystem: {mountpoints: [/]}\n");
  for (int i = 0; i < 3; ++i) REQUIRE(medic::test::HttpGet(medic.port(), "/metrics").status == 200);
  const pid_t pid = medic.process().pid();
  CHECK_FALSE(Maps(pid, "libssl.so"));
  CHECK_FALSE(Maps(pid, "libcrypto.so"));
  CHECK_FALSE(Maps(pid, "libcurl.so"));
}

TEST_CASE("the first certificate probe loads libssl, and the probe succeeds") {
  medic::test::TestPki pki;
  const std::string leaf = pki.IssueLeaf("web", "localhost", 20);
  medic::test::TlsServer server(leaf, pki.Path("web.key"), pki.intermediate());
  medic::test::MedicProcess medic(
      "collectors:\n  filesystem: {mountpoints: [/]}\n  cert:\n    endpoints:\n"
      "      - {name: web, address: \"" +
      server.address() + "\", server_name: localhost, ca_file: \"" + pki.ca() + "\"}\n");
  const auto scrape = medic::test::HttpGet(medic.port(), "/metrics");
  REQUIRE(scrape.status == 200);
  CHECK(medic::test::FindSample(scrape.body, "medic_cert_probe_success", R"(target="web")") == 1);
  CHECK(Maps(medic.process().pid(), medic::tls::OpenSslLibraryName()));
}

TEST_CASE("the library name follows the OpenSSL major version medic was built against") {
  CHECK(medic::tls::OpenSslLibraryName() == "libssl.so.3");
}
