// ctest-labels: tsan
#include "medic/net/curl_client.h"

#include "support/test_pki.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using medic::net::CurlRequest;
using medic::net::CurlResponse;

namespace {

// A real HTTP server on loopback, in this process (cpp-httplib stands in for remote services).
class LocalServer {
 public:
  LocalServer() {
    server_.Get("/health", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("ok from " + req.get_header_value("User-Agent"), "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + " " + req.get_header_value("Content-Type") + " " + req.body,
                      "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(std::size_t{4} << 20, 'x'), "text/plain");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(2s);
      res.set_content("late", "text/plain");
    });
    server_.Get("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("/health");
    });
    server_.Get("/to-file", [](const httplib::Request&, httplib::Response& res) {
      res.set_redirect("file:///etc/passwd");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

CurlRequest Get(std::string url) {
  CurlRequest request;
  request.url = std::move(url);
  request.timeout = 5s;
  return request;
}

double SecondsSince(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

TEST_CASE("a GET answers status, body and timing; a POST sends its body and headers") {
  LocalServer server;
  const CurlResponse get = medic::net::Perform(Get(server.Url("/health")));
  CHECK(get.error.empty());
  CHECK(get.status == 200);
  CHECK(get.body == "ok from medic/" MEDIC_VERSION);
  CHECK_FALSE(get.truncated);
  CHECK(get.total_seconds > 0);

  CurlRequest post = Get(server.Url("/echo"));
  post.method = "POST";
  post.headers = {"Content-Type: application/json"};
  post.body = R"({"a":1})";
  const CurlResponse echoed = medic::net::Perform(post);
  CHECK(echoed.status == 200);
  CHECK(echoed.body == R"(POST application/json {"a":1})");
}

TEST_CASE("the total timeout ends a call to a server that does not answer in time") {
  LocalServer server;
  CurlRequest request = Get(server.Url("/slow"));
  request.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  const CurlResponse response = medic::net::Perform(request);
  CHECK(SecondsSince(started) < 1.5);
  CHECK(response.status == 0);
  CHECK(response.error == "Timeout was reached");
  INFO(response.error_detail);
  CHECK(response.error_detail.find("imed out") != std::string::npos);
}

TEST_CASE("a refused connection is an error that names the cause, not the URL's path") {
  const int port = medic::test::FreePort();
  const CurlResponse response = medic::net::Perform(
      Get("http://127.0.0.1:" + std::to_string(port) + "/services/SECRET-PATH"));
  CHECK(response.status == 0);
  CHECK(response.error == "Couldn't connect to server");
  CHECK(response.error.find("SECRET") == std::string::npos);
  CHECK(response.error_detail.find(std::to_string(port)) != std::string::npos);
}

TEST_CASE("the body cap stops reading: what fits is kept, the answer is marked truncated") {
  LocalServer server;
  CurlRequest request = Get(server.Url("/big"));
  request.max_body_bytes = 1000;
  const CurlResponse kept = medic::net::Perform(request);
  CHECK(kept.error.empty());
  CHECK(kept.status == 200);
  CHECK(kept.truncated);
  CHECK(kept.body == std::string(1000, 'x'));

  request.keep_body = false;  // counted, not kept (a probe)
  const CurlResponse counted = medic::net::Perform(request);
  CHECK(counted.error.empty());
  CHECK(counted.truncated);
  CHECK(counted.body.empty());

  request.max_body_bytes = std::size_t{8} << 20;  // room for all of it
  request.keep_body = true;
  const CurlResponse whole = medic::net::Perform(request);
  CHECK_FALSE(whole.truncated);
  CHECK(whole.body.size() == std::size_t{4} << 20);
}

TEST_CASE("redirects are followed only when the request asks, and only to http(s)") {
  LocalServer server;
  CurlRequest request = Get(server.Url("/moved"));
  const CurlResponse not_followed = medic::net::Perform(request);
  CHECK(not_followed.error.empty());
  CHECK(not_followed.status == 302);

  request.follow_redirects = true;
  const CurlResponse followed = medic::net::Perform(request);
  CHECK(followed.status == 200);
  CHECK(followed.body.starts_with("ok from"));

  request.url = server.Url("/to-file");
  const CurlResponse to_file = medic::net::Perform(request);
  CHECK_FALSE(to_file.error.empty());
  CHECK(to_file.body.find("root:") == std::string::npos);
}

TEST_CASE("only http and https URLs are spoken") {
  for (const char* url : {"file:///etc/passwd", "dict://127.0.0.1:1/x", "ftp://127.0.0.1/"}) {
    const CurlResponse response = medic::net::Perform(Get(url));
    INFO(url);
    CHECK(response.status == 0);
    CHECK(response.body.empty());
    CHECK(response.error == "Unsupported protocol");
  }
}

TEST_CASE("PerformAll runs its requests concurrently and answers in their order") {
  LocalServer server;
  std::vector<CurlRequest> requests{Get(server.Url("/slow")), Get(server.Url("/health")),
                                    Get(server.Url("/slow"))};
  requests[0].timeout = 700ms;
  requests[2].timeout = 700ms;
  const auto started = std::chrono::steady_clock::now();
  const std::vector<CurlResponse> responses = medic::net::PerformAll(requests);
  CHECK(SecondsSince(started) < 1.3);  // about the longest timeout, not their sum
  REQUIRE(responses.size() == 3);
  CHECK(responses[0].error == "Timeout was reached");
  CHECK(responses[1].status == 200);
  CHECK(responses[2].error == "Timeout was reached");
  CHECK(medic::net::PerformAll({}).empty());
}

TEST_CASE("many threads call at once (curl_global_init runs once, handles are per call)") {
  LocalServer server;
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  callers.reserve(8);
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      if (medic::net::Perform(Get(server.Url("/health"))).status == 200) ++ok;
    });
  }
  for (auto& caller : callers) caller.join();
  CHECK(ok == 8);
}

TEST_CASE("https: verified against a CA file, refused without it, accepted when told to skip") {
  medic::test::TestPki pki;
  const std::string leaf = pki.IssueLeaf("leaf", "localhost", 20);
  medic::test::TlsServer tls(leaf, pki.Path("leaf.key"), pki.intermediate());
  // openssl s_server -www answers any GET with its status page.
  CurlRequest request = Get("https://localhost:" + std::to_string(tls.port()) + "/");

  request.ca_file = pki.ca();
  const CurlResponse verified = medic::net::Perform(request);
  INFO(verified.error_detail);
  CHECK(verified.error.empty());
  CHECK(verified.status == 200);

  request.ca_file.clear();  // the system store does not know the test CA
  const CurlResponse unverified = medic::net::Perform(request);
  CHECK(unverified.status == 0);
  CHECK(unverified.error == "SSL peer certificate or SSH remote key was not OK");

  request.insecure_skip_verify = true;
  const CurlResponse skipped = medic::net::Perform(request);
  CHECK(skipped.status == 200);
}
