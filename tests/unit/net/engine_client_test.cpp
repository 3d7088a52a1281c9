// ctest-labels: tsan
// The engine client against medic's own server and against canned raw answers.
#include "medic/net/engine_client.h"

#include "medic/net/server.h"

#include "support/test_support.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using medic::net::ClientEndpoint;
using medic::net::ClientError;
using medic::net::ClientRequest;
using medic::net::EngineClient;

namespace {

// A loopback listener that answers every request on a connection with the next canned reply
// ("hang": never answer) and closes the connection after `replies_per_connection` answers.
class CannedServer {
 public:
  CannedServer(std::vector<std::string> replies, int replies_per_connection)
      : replies_(std::move(replies)), per_connection_(replies_per_connection) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t length = sizeof(address);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    for (int fd : hung_) ::close(fd);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void Serve() {
    std::size_t next = 0;
    while (true) {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      ++connections_;
      bool keep = false;
      for (int answered = 0; answered < per_connection_ && next < replies_.size(); ++answered) {
        std::string request;
        char buffer[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
          const ssize_t got = ::read(connection, buffer, sizeof(buffer));
          if (got <= 0) break;
          request.append(buffer, static_cast<std::size_t>(got));
        }
        const std::string& reply = replies_[next++];
        if (reply == "hang") {
          keep = true;
          break;
        }
        [[maybe_unused]] const ssize_t sent =
            ::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      if (keep) {
        hung_.push_back(connection);
      } else {
        ::close(connection);
      }
    }
  }

  std::vector<std::string> replies_;
  int per_connection_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::vector<int> hung_;
  std::thread thread_;
};

ClientEndpoint Loopback(int port) { return {.host = "127.0.0.1", .port = port}; }

ClientRequest Get(const std::string& target) {
  ClientRequest request;
  request.target = target;
  return request;
}

}  // namespace

TEST_CASE("requests to medic's server: status, headers, body, POST, and connection reuse") {
  medic::net::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  medic::net::HttpServer server(options);
  std::mutex ports_mutex;
  std::set<int> client_ports;
  server.Handle("POST", "/echo", [&](const medic::net::Request& q, medic::net::Response& r) {
    {
      std::lock_guard lock(ports_mutex);
      client_ports.insert(q.remote_port);
    }
    r.SetContent(q.method + ":" + q.body, "text/plain");
    r.SetHeader("X-Host", q.Header("Host"));
  });
  server.Bind();
  std::thread serving([&server] { server.Serve(); });

  EngineClient client(Loopback(server.port()), "engine");
  for (int i = 0; i < 5; ++i) {
    ClientRequest request;
    request.method = "POST";
    request.target = "/echo";
    request.body = "payload " + std::to_string(i);
    const auto response = client.Send(request, 5s, 1 << 20);
    CHECK(response.status == 200);
    CHECK(response.body == "POST:payload " + std::to_string(i));
    CHECK(medic::net::HeaderValue(response.headers, "x-host") == "engine");
  }
  {
    std::lock_guard lock(ports_mutex);
    CHECK(client_ports.size() == 1);  // one kept-alive connection served all five
  }
  const auto missing = client.Send(Get("/nowhere"), 5s, 1 << 20);
  CHECK(missing.status == 404);
  CHECK(missing.body == "404 page not found\n");
  CHECK_THROWS_AS(client.Send(Get("/nowhere"), 5s, 4), ClientError);  // body over the cap

  server.Stop();
  serving.join();
}

TEST_CASE("chunked, close-delimited and interim answers are read whole") {
  CannedServer server({"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: "
                       "chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                       "HTTP/1.0 200 OK\r\n\r\nuntil the end"},
                      1);
  EngineClient client(Loopback(server.port()), "engine");
  const auto chunked = client.Send(Get("/a"), 5s, 1 << 20);
  CHECK(chunked.status == 200);
  CHECK(chunked.body == "hello world");
  const auto unframed = client.Send(Get("/b"), 5s, 1 << 20);
  CHECK(unframed.body == "until the end");
}

TEST_CASE("a kept connection the server closed is replaced without failing the request") {
  // Each connection answers once and closes without saying so, as the engine may after idling.
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
                       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo",
                       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree"},
                      1);
  EngineClient client(Loopback(server.port()), "engine");
  CHECK(client.Send(Get("/1"), 5s, 1 << 20).body == "one");
  std::this_thread::sleep_for(50ms);
  CHECK(client.Send(Get("/2"), 5s, 1 << 20).body == "two");
  std::this_thread::sleep_for(50ms);
  CHECK(client.Send(Get("/3"), 5s, 1 << 20).body == "three");
  CHECK(server.connections() == 3);
}

TEST_CASE("failures are ClientErrors naming the call: refused, malformed, timed out, cancelled") {
  const int closed_port = medic::test::FreePort();
  EngineClient refused(Loopback(closed_port), "engine");
  try {
    refused.Send(Get("/v1.41/containers/json"), 2s, 1 << 20);
    FAIL("expected ClientError");
  } catch (const ClientError& error) {
    const std::string what = error.what();
    CHECK(what.find("GET /v1.41/containers/json via 127.0.0.1:") == 0);
    CHECK(what.find("Connection refused") != std::string::npos);
  }

  EngineClient missing_socket({.unix_path = "/nonexistent/engine.sock"}, "engine");
  try {
    missing_socket.Send(Get("/_ping"), 2s, 1 << 20);
    FAIL("expected ClientError");
  } catch (const ClientError& error) {
    CHECK(std::string(error.what()).find("unix:///nonexistent/engine.sock") != std::string::npos);
  }

  {
    CannedServer server({"SMTP ready\r\n\r\n"}, 1);
    EngineClient client(Loopback(server.port()), "engine");
    CHECK_THROWS_AS(client.Send(Get("/"), 2s, 1 << 20), ClientError);
  }
  {
    CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"}, 1);
    EngineClient client(Loopback(server.port()), "engine");
    CHECK_THROWS_AS(client.Send(Get("/"), 2s, 1 << 20), ClientError);
  }
  {
    CannedServer server({"hang"}, 1);
    EngineClient client(Loopback(server.port()), "engine");
    const auto started = std::chrono::steady_clock::now();
    try {
      client.Send(Get("/"), 300ms, 1 << 20);
      FAIL("expected ClientError");
    } catch (const ClientError& error) {
      CHECK(std::string(error.what()).find("timed out") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }
  {
    CannedServer server({"hang"}, 1);
    EngineClient client(Loopback(server.port()), "engine");
    std::atomic<bool> cancelled{false};
    std::thread canceller([&cancelled] {
      std::this_thread::sleep_for(200ms);
      cancelled = true;
    });
    const auto started = std::chrono::steady_clock::now();
    try {
      client.Send(Get("/"), 30s, 1 << 20, &cancelled);
      FAIL("expected ClientError");
    } catch (const ClientError& error) {
      CHECK(std::string(error.what()).find("cancelled") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - started < 2s);
    canceller.join();
  }
}
