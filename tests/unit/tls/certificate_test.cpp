#include "medic/tls/certificate.h"

#include "medic/tls/tls_probe.h"
#include "support/test_pki.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <ctime>

using medic::tls::CertificateLoadError;
using medic::tls::LoadPemCertificates;

TEST_CASE("PEM loading and certificate description on certificates made now") {
  medic::test::TestPki pki;
  const std::string leaf = pki.IssueLeaf("leaf", "leaf.test", 20);

  const auto certificates = LoadPemCertificates(leaf);
  REQUIRE(certificates.size() == 1);
  const auto info = medic::tls::DescribeCertificate(certificates[0].get());
  CHECK(info.subject == "CN=leaf.test,O=medic tests");
  CHECK(info.issuer == "CN=Medic Test Intermediate,O=medic tests");
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(info.not_before <= now + 5);
  CHECK(info.not_after == doctest::Approx(now + 20 * 86400).epsilon(0.0001));
  // Same serial as the openssl CLI prints.
  const auto serial =
      medic::test::RunCommand({"openssl", "x509", "-in", leaf, "-noout", "-serial"});
  CHECK(serial.output.find("serial=" + info.serial) != std::string::npos);

  // A bundle yields every certificate, in order.
  const std::string bundle = medic::test::ReadFile(leaf) +
                             medic::test::ReadFile(pki.intermediate()) +
                             "some text between blocks\n" + medic::test::ReadFile(pki.ca());
  medic::test::TempDir dir;
  dir.Write("bundle.pem", bundle);
  const auto all = LoadPemCertificates(dir.Join("bundle.pem"));
  REQUIRE(all.size() == 3);
  CHECK(medic::tls::DescribeCertificate(all[2].get()).subject ==
        "CN=Medic Test Root CA,O=medic tests");
}

TEST_CASE("PEM loading refuses bad input with a clear reason") {
  medic::test::TempDir dir;
  dir.Write("garbage.pem", "this is not a certificate\n\x01\x02\x03");
  dir.Write("empty.pem", "");
  dir.Write("truncated.pem",
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n");
  REQUIRE(::mkfifo(dir.Join("fifo.pem").c_str(), 0600) == 0);

  auto reason = [](const std::string& path) {
    try {
      LoadPemCertificates(path);
    } catch (const CertificateLoadError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  CHECK(reason(dir.Join("garbage.pem")).find("no PEM certificate found") != std::string::npos);
  CHECK(reason(dir.Join("empty.pem")).find("no PEM certificate found") != std::string::npos);
  CHECK(reason(dir.Join("truncated.pem")).find("malformed PEM") != std::string::npos);
  CHECK(reason(dir.Join("missing.pem")).find("No such file") != std::string::npos);
  // A FIFO would block a plain open/read forever (even for root): refused at once.
  CHECK(reason(dir.Join("fifo.pem")).find("not a regular file") != std::string::npos);
  CHECK(reason(dir.path()).find("not a regular file") != std::string::npos);

  dir.Write("big.pem", std::string(2048, 'A'));
  CHECK_THROWS_AS(LoadPemCertificates(dir.Join("big.pem"), 1024), CertificateLoadError);
}

TEST_CASE("directories expand to their certificate files") {
  medic::test::TempDir dir;
  dir.Write("b.crt", "");
  dir.Write("a.pem", "");
  dir.Write("key.key", "");
  dir.Write("notes.txt", "");
  const auto paths = medic::tls::ExpandCertificatePaths(dir.path());
  REQUIRE(paths.size() == 2);
  CHECK(paths[0] == dir.Join("a.pem"));
  CHECK(paths[1] == dir.Join("b.crt"));
  CHECK(medic::tls::ExpandCertificatePaths(dir.Join("a.pem")) ==
        std::vector<std::string>{dir.Join("a.pem")});
}

TEST_CASE("verification errors read as words") {
  using medic::tls::VerifyErrorReason;
  CHECK(VerifyErrorReason(X509_V_ERR_CERT_HAS_EXPIRED) == "expired");
  CHECK(VerifyErrorReason(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) == "self-signed");
  CHECK(VerifyErrorReason(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) == "unknown CA");
  CHECK(VerifyErrorReason(X509_V_ERR_HOSTNAME_MISMATCH) == "hostname mismatch");
  CHECK_FALSE(VerifyErrorReason(X509_V_ERR_CERT_SIGNATURE_FAILURE).empty());
}
