#include "medic/collectors/cert.h"
#include "medic/tls/certificate.h"

#include "support/black_hole_listener.h"
#include "support/metric_lookup.h"
#include "support/test_pki.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <ctime>

using namespace std::chrono_literals;
using medic::test::FindMetric;

namespace {

medic::CertEndpoint Endpoint(std::string name, std::string address, std::string server_name,
                             std::string ca_file, std::chrono::milliseconds timeout = 3s) {
  medic::CertEndpoint endpoint;
  endpoint.name = std::move(name);
  endpoint.address = std::move(address);
  endpoint.server_name = std::move(server_name);
  endpoint.ca_file = std::move(ca_file);
  endpoint.timeout = timeout;
  return endpoint;
}

double NotAfter(const std::string& path) {
  medic::tls::X509Ptr certificate = std::move(medic::tls::LoadPemCertificates(path).front());
  return medic::tls::DescribeCertificate(certificate.get()).not_after;
}

}  // namespace

TEST_CASE("cert collector against real openssl s_server endpoints") {
  medic::test::TestPki pki;
  const std::string good = pki.IssueLeaf("good", "good.test", 20);
  const std::string expired = pki.IssueLeaf("expired", "expired.test", -1);
  const std::string wrong = pki.IssueLeaf("wrong", "other.test", 20);
  const std::string self = pki.SelfSigned("self", "self.test", 30);

  medic::test::TlsServer good_server(good, pki.Path("good.key"), pki.intermediate());
  medic::test::TlsServer expired_server(expired, pki.Path("expired.key"), pki.intermediate());
  medic::test::TlsServer wrong_server(wrong, pki.Path("wrong.key"), pki.intermediate());
  medic::test::TlsServer self_server(self, pki.Path("self.key"));
  medic::test::BlackHoleListener black_hole_a;
  medic::test::BlackHoleListener black_hole_b;
  const int closed_port = medic::test::FreePort();

  medic::CertSettings settings;
  settings.endpoints = {
      Endpoint("good", good_server.address(), "good.test", pki.ca()),
      Endpoint("expired", expired_server.address(), "expired.test", pki.ca()),
      Endpoint("wrong-host", wrong_server.address(), "good.test", pki.ca()),
      Endpoint("self-signed", self_server.address(), "self.test", pki.ca()),
      Endpoint("system-store", good_server.address(), "good.test", ""),
      Endpoint("black-hole-a", "127.0.0.1:" + std::to_string(black_hole_a.port()), "x.test",
               pki.ca(), 1s),
      Endpoint("black-hole-b", "127.0.0.1:" + std::to_string(black_hole_b.port()), "x.test",
               pki.ca(), 1s),
      Endpoint("closed", "127.0.0.1:" + std::to_string(closed_port), "x.test", pki.ca()),
      Endpoint("bad-ca-file", good_server.address(), "good.test", pki.Path("missing-ca.pem")),
  };
  medic::CertCollector collector(settings);

  const auto started = std::chrono::steady_clock::now();
  const auto families = collector.Collect();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  // Two black holes of 1 s each, probed concurrently: about one timeout in all, not two.
  CHECK(elapsed >= 900ms);
  CHECK(elapsed < 1900ms);

  auto value = [&](const std::string& name, const std::string& target,
                   std::map<std::string, std::string> labels = {}) {
    labels["target"] = target;
    return FindMetric(families, name, labels);
  };

  // The good endpoint: leaf (20 days) + intermediate (10 days) presented and verified.
  CHECK(value("medic_cert_probe_success", "good") == 1);
  CHECK(value("medic_cert_verify_ok", "good") == 1);
  CHECK(value("medic_cert_not_after_timestamp_seconds", "good",
              {{"subject", "CN=good.test,O=medic tests"},
               {"issuer", "CN=Medic Test Intermediate,O=medic tests"}}) == NotAfter(good));
  CHECK(value("medic_cert_not_after_timestamp_seconds", "good",
              {{"subject", "CN=Medic Test Intermediate,O=medic tests"}}) ==
        NotAfter(pki.intermediate()));
  CHECK(value("medic_cert_not_before_timestamp_seconds", "good",
              {{"subject", "CN=good.test,O=medic tests"}})
            .value_or(0) <= static_cast<double>(std::time(nullptr)) + 5);
  // The intermediate expires before the leaf: both figures show the intermediate's date.
  CHECK(NotAfter(pki.intermediate()) < NotAfter(good));
  CHECK(value("medic_cert_earliest_expiry_timestamp_seconds", "good") ==
        NotAfter(pki.intermediate()));
  CHECK(value("medic_cert_last_chain_expiry_timestamp_seconds", "good") ==
        NotAfter(pki.intermediate()));
  CHECK(value("medic_cert_tls_version_info", "good", {{"version", "TLSv1.3"}}) == 1);
  CHECK(value("medic_cert_probe_duration_seconds", "good").value_or(0) > 0);
  CHECK_FALSE(value("medic_cert_verify_error_info", "good").has_value());

  // Handshakes succeed, verification tells why not.
  const std::vector<std::pair<std::string, std::string>> failures{
      {"expired", "expired"},
      {"wrong-host", "hostname mismatch"},
      {"self-signed", "self-signed"},
      {"system-store", "unknown CA"}};
  for (const auto& [target, reason] : failures) {
    CAPTURE(target);
    CHECK(value("medic_cert_probe_success", target) == 1);
    CHECK(value("medic_cert_verify_ok", target) == 0);
    CHECK(value("medic_cert_verify_error_info", target, {{"reason", reason}}) == 1);
    CHECK_FALSE(value("medic_cert_last_chain_expiry_timestamp_seconds", target).has_value());
  }
  CHECK(value("medic_cert_earliest_expiry_timestamp_seconds", "expired") == NotAfter(expired));
  CHECK(NotAfter(expired) < static_cast<double>(std::time(nullptr)));

  // No handshake at all: probe_success 0 and the reason remembered (and logged).
  const auto errors = collector.LastErrors();
  for (const std::string target : {"black-hole-a", "black-hole-b", "closed", "bad-ca-file"}) {
    CAPTURE(target);
    CHECK(value("medic_cert_probe_success", target) == 0);
    CHECK_FALSE(value("medic_cert_verify_ok", target).has_value());
    CHECK_FALSE(value("medic_cert_earliest_expiry_timestamp_seconds", target).has_value());
    REQUIRE(errors.count(target) == 1);
  }
  CHECK(errors.at("black-hole-a") == "TLS handshake timed out");
  CHECK(value("medic_cert_probe_duration_seconds", "black-hole-a").value_or(0) >= 0.9);
  CHECK(errors.at("closed").find("Connection refused") != std::string::npos);
  CHECK(errors.at("bad-ca-file").find("cannot load CA") != std::string::npos);
  CHECK(errors.count("good") == 0);

  // blackbox_exporter's tls_connect view of the same endpoints: the certificate families only
  // where the chain verified (Go's TLS fails the handshake otherwise), probe_success 0 else.
  auto blackbox = [&](const std::string& name, const std::string& target,
                      std::map<std::string, std::string> labels = {}) {
    labels["target"] = target;
    labels["module"] = "tls_connect";
    return FindMetric(families, name, labels);
  };
  CHECK(blackbox("probe_success", "good") == 1);
  CHECK(blackbox("probe_ssl_earliest_cert_expiry", "good") == NotAfter(pki.intermediate()));
  CHECK(blackbox("probe_ssl_last_chain_expiry_timestamp_seconds", "good") ==
        NotAfter(pki.intermediate()));
  CHECK(blackbox("probe_tls_version_info", "good", {{"version", "TLS 1.3"}}) == 1);
  CHECK(blackbox("probe_duration_seconds", "good").value_or(0) > 0);
  for (const std::string target : {"expired", "wrong-host", "self-signed", "closed"}) {
    CAPTURE(target);
    CHECK(blackbox("probe_success", target) == 0);
    CHECK_FALSE(blackbox("probe_ssl_earliest_cert_expiry", target).has_value());
  }

  // The collector stays usable: a second scrape gives the same verdicts.
  const auto again = collector.Collect();
  CHECK(FindMetric(again, "medic_cert_verify_ok", {{"target", "good"}}) == 1);
}

TEST_CASE("cert collector on PEM files, bundles, directories and bad files") {
  medic::test::TestPki pki;
  const std::string leaf = pki.IssueLeaf("leaf", "leaf.test", 20);
  medic::test::TempDir dir;
  dir.Write("bundle.pem", medic::test::ReadFile(leaf) + medic::test::ReadFile(pki.intermediate()) +
                              medic::test::ReadFile(pki.ca()) +
                              medic::test::ReadFile(leaf));  // a duplicate, exported once
  dir.Write("garbage.pem", "not a certificate at all\n");
  REQUIRE(::mkfifo(dir.Join("fifo.pem").c_str(), 0600) == 0);
  REQUIRE(::mkdir(dir.Join("certs").c_str(), 0700) == 0);
  dir.Write("certs/one.pem", medic::test::ReadFile(pki.ca()));
  dir.Write("certs/two.crt", medic::test::ReadFile(leaf));
  dir.Write("certs/readme.txt", "ignored");

  medic::CertSettings settings;
  settings.files = {dir.Join("bundle.pem"), dir.Join("garbage.pem"), dir.Join("missing.pem"),
                    dir.Join("fifo.pem"), dir.Join("certs")};
  medic::CertCollector collector(settings);
  const auto started = std::chrono::steady_clock::now();
  const auto families = collector.Collect();
  CHECK(std::chrono::steady_clock::now() - started < 2s);  // the FIFO did not block

  const std::string bundle = dir.Join("bundle.pem");
  CHECK(FindMetric(families, "medic_cert_probe_success", {{"target", bundle}}) == 1);
  std::size_t bundle_certs = 0;
  for (const auto& labels :
       medic::test::MetricLabels(families, "medic_cert_not_after_timestamp_seconds")) {
    if (labels.at("target") == bundle) ++bundle_certs;
  }
  CHECK(bundle_certs == 3);
  CHECK(FindMetric(families, "medic_cert_earliest_expiry_timestamp_seconds",
                   {{"target", bundle}}) == NotAfter(pki.intermediate()));
  CHECK(FindMetric(families, "medic_cert_probe_success", {{"target", dir.Join("certs/one.pem")}}) ==
        1);
  CHECK(FindMetric(families, "medic_cert_probe_success", {{"target", dir.Join("certs/two.crt")}}) ==
        1);
  CHECK_FALSE(
      FindMetric(families, "medic_cert_probe_success", {{"target", dir.Join("certs/readme.txt")}})
          .has_value());

  const auto errors = collector.LastErrors();
  for (const std::string name : {"garbage.pem", "missing.pem", "fifo.pem"}) {
    CAPTURE(name);
    CHECK(FindMetric(families, "medic_cert_probe_success", {{"target", dir.Join(name)}}) == 0);
    CHECK(errors.count(dir.Join(name)) == 1);
  }
  CHECK(errors.at(dir.Join("garbage.pem")).find("no PEM certificate") != std::string::npos);
  CHECK(errors.at(dir.Join("fifo.pem")).find("not a regular file") != std::string::npos);
}

TEST_CASE("medic binary: a TLS endpoint that stalls mid-handshake never holds the scrape") {
  // The listener completes TCP connections and never answers the ClientHello.
  medic::test::BlackHoleListener stall;
  const std::string endpoint =
      "{name: stall, address: \"127.0.0.1:" + std::to_string(stall.port()) + "\"";

  SUBCASE("endpoint timeout longer than the collector timeout: the collector fails") {
    medic::test::MedicProcess medic(
        "collectors:\n  timeout: 1s\n  filesystem: {mountpoints: [/]}\n"
        "  cert: {endpoints: [" +
        endpoint + ", timeout: 30s}]}\n");
    for (int i = 0; i < 2; ++i) {  // again while the first handshake may still hang
      const auto started = std::chrono::steady_clock::now();
      const auto scrape = medic::test::HttpGet(medic.port(), "/metrics");
      CHECK(std::chrono::steady_clock::now() - started < 3s);
      REQUIRE(scrape.status == 200);
      CHECK(medic::test::FindSample(scrape.body, "medic_scrape_collector_success",
                                    R"(collector="cert")") == 0);
      CHECK(medic::test::FindSample(scrape.body, "medic_scrape_collector_success",
                                    R"(collector="filesystem")") == 1);
    }
  }
  SUBCASE("endpoint timeout inside the collector timeout: the probe fails, the collector works") {
    medic::test::MedicProcess medic(
        "collectors:\n  timeout: 5s\n  filesystem: {mountpoints: [/]}\n"
        "  cert: {endpoints: [" +
        endpoint + ", timeout: 1s}]}\n");
    const auto started = std::chrono::steady_clock::now();
    const auto scrape = medic::test::HttpGet(medic.port(), "/metrics");
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(took < 3s);
    REQUIRE(scrape.status == 200);
    CHECK(medic::test::FindSample(scrape.body, "medic_cert_probe_success", R"(target="stall")") ==
          0);
  }
}
