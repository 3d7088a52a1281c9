// ctest-labels: tsan
// The engine client against medic's own server and against canned raw answers.
#include "medic/net/engine_client.h"

#include "medic/net/server.h"

#include "support/test_support.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using medic::net::ClientEndpoint;
using medic::net::ClientError;
using medic::net::ClientRequest;
using medic::net::EngineClient;

namespace {

// A listener on loopback TCP (or on a unix socket) that answers each request with the next
// canned reply, in the order requests arrive, and closes a connection after
// `replies_per_connection` answers without saying so. A reply "hang<text>" sends <text> and then
// neither answers nor closes. Every connection has a thread of its own, so that one the client
// keeps idle does not hold up the next.
class CannedServer {
 public:
  CannedServer(std::vector<std::string> replies, int replies_per_connection,
               std::string unix_path = "")
      : replies_(std::move(replies)),
        per_connection_(replies_per_connection),
        unix_path_(std::move(unix_path)) {
    if (unix_path_.empty()) {
      listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
      socklen_t length = sizeof(address);
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
      port_ = ntohs(address.sin_port);
    } else {
      listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      REQUIRE(unix_path_.size() < sizeof(address.sun_path));
      std::copy(unix_path_.begin(), unix_path_.end(), address.sun_path);
      REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    }
    REQUIRE(::listen(listener_, 16) == 0);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~CannedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : connection_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& thread : connection_threads_) thread.join();
    for (int fd : connection_fds_) ::close(fd);
    ::close(listener_);
  }
  int port() const { return port_; }
  ClientEndpoint endpoint() const {
    return unix_path_.empty() ? ClientEndpoint{.host = "127.0.0.1", .port = port_}
                              : ClientEndpoint{.unix_path = unix_path_};
  }
  int connections() const { return connections_; }
  // Every request received so far, head and body, in the order they arrived.
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Accept() {
    while (true) {
      const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) return;
      ++connections_;
      std::lock_guard lock(mutex_);
      connection_fds_.push_back(connection);
      connection_threads_.emplace_back([this, connection] { Serve(connection); });
    }
  }

  // Answers up to `per_connection_` requests, then shuts the connection down (it is closed at
  // the end, so its descriptor is not reused while the destructor may still shut it down).
  void Serve(int connection) {
    std::string input;
    for (int answered = 0; answered < per_connection_; ++answered) {
      const std::optional<std::string> request = ReadRequest(connection, input);
      if (!request) return;
      std::string reply;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(*request);
        if (next_ >= replies_.size()) break;
        reply = replies_[next_++];
      }
      const bool hang = reply.starts_with("hang");
      if (hang) reply.erase(0, 4);
      [[maybe_unused]] const ssize_t sent =
          ::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      if (hang) return;
    }
    ::shutdown(connection, SHUT_RDWR);
  }

  // One request (head, and a body of Content-Length bytes) off the front of `input`.
  static std::optional<std::string> ReadRequest(int connection, std::string& input) {
    while (true) {
      if (const auto end = input.find("\r\n\r\n"); end != std::string::npos) {
        std::size_t length = 0;
        if (const auto field = input.find("Content-Length: "); field < end) {
          length = std::stoul(input.substr(field + 16));
        }
        if (input.size() >= end + 4 + length) {
          std::string request = input.substr(0, end + 4 + length);
          input.erase(0, end + 4 + length);
          return request;
        }
      }
      char buffer[4096];
      const ssize_t got = ::read(connection, buffer, sizeof(buffer));
      if (got <= 0) return std::nullopt;
      input.append(buffer, static_cast<std::size_t>(got));
    }
  }

  std::vector<std::string> replies_;
  int per_connection_;
  std::string unix_path_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::size_t next_ = 0;
  std::vector<std::string> requests_;
  std::vector<int> connection_fds_;
  std::vector<std::thread> connection_threads_;
  std::thread acceptor_;
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

TEST_CASE(
    "the request on the wire: Host, User-Agent, extra headers, a length when a body may come") {
  CannedServer server({"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n"}, 2);
  EngineClient client(server.endpoint(), "docker");
  ClientRequest get = Get("/v1.41/_ping");
  get.headers.emplace_back("X-Extra", "1");
  CHECK(client.Send(get, 5s, 1 << 20).status == 204);
  ClientRequest restart;
  restart.method = "POST";
  restart.target = "/v1.41/containers/bot/restart?t=1";
  CHECK(client.Send(restart, 5s, 1 << 20).status == 204);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].starts_with("GET /v1.41/_ping HTTP/1.1\r\n"));
  CHECK(requests[0].find("Host: docker\r\n") != std::string::npos);
  CHECK(requests[0].find("User-Agent: medic\r\n") != std::string::npos);
  CHECK(requests[0].find("X-Extra: 1\r\n") != std::string::npos);
  CHECK(requests[0].find("Content-Length") == std::string::npos);
  CHECK(requests[1].starts_with("POST /v1.41/containers/bot/restart?t=1 HTTP/1.1\r\n"));
  CHECK(requests[1].find("Content-Length: 0\r\n") != std::string::npos);
  CHECK(server.connections() == 1);
}

TEST_CASE("a unix socket endpoint, with its connection kept alive between calls") {
  medic::test::TempDir dir;
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
                       "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n[{}]"},
                      2, dir.Join("engine.sock"));
  EngineClient client(server.endpoint(), "docker");
  CHECK(client.Send(Get("/_ping"), 5s, 1 << 20).body == "OK");
  CHECK(client.Send(Get("/v1.41/containers/json"), 5s, 1 << 20).body == "[{}]");
  CHECK(server.connections() == 1);
}

TEST_CASE("kept-alive connections: reused, replaced once after the server closed one, bypassed") {
  // Two answers per connection: /1 and /2 share one; /3 finds it closed and is retried on a
  // second, which /4 asks not to reuse.
  CannedServer server({"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none",
                       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo",
                       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree",
                       "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfour"},
                      2);
  EngineClient client(server.endpoint(), "engine");
  CHECK(client.Send(Get("/1"), 5s, 1 << 20).body == "one");
  CHECK(client.Send(Get("/2"), 5s, 1 << 20).body == "two");
  CHECK(server.connections() == 1);
  std::this_thread::sleep_for(50ms);  // the server closes the first connection
  CHECK(client.Send(Get("/3"), 5s, 1 << 20).body == "three");
  CHECK(server.connections() == 2);
  ClientRequest fresh = Get("/4");
  fresh.fresh_connection = true;
  CHECK(client.Send(fresh, 5s, 1 << 20).body == "four");
  CHECK(server.connections() == 3);
  // Sent three times: on the closed connection, then again on a new one.
  CHECK(server.requests().size() == 4);
}

TEST_CASE("a connection is not kept after Connection: close; an answer to HEAD has no body") {
  // The server would answer a second request on each connection: a client that kept and
  // reused the first one would show as one connection, and one that waited for a body after
  // HEAD would time out.
  CannedServer server({"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na",
                       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc"},
                      2);
  EngineClient client(server.endpoint(), "engine");
  CHECK(client.Send(Get("/a"), 2s, 1 << 20).body == "a");
  ClientRequest head = Get("/b");
  head.method = "HEAD";
  const auto answer = client.Send(head, 2s, 1 << 20);
  CHECK(answer.status == 200);
  CHECK(answer.body.empty());
  CHECK(medic::net::HeaderValue(answer.headers, "content-length") == "5");
  CHECK(client.Send(Get("/c"), 2s, 1 << 20).body == "c");
  CHECK(server.connections() == 2);  // /b and /c shared the second
}

TEST_CASE("a body over the cap is a ClientError, however it is framed; so is an endless head") {
  const auto over_cap = [](const std::string& reply) {
    CannedServer server({reply}, 1);
    EngineClient client(server.endpoint(), "engine");
    try {
      client.Send(Get("/big"), 5s, 10);
      FAIL("expected ClientError");
    } catch (const ClientError& error) {
      CHECK(std::string(error.what()) == "GET /big via 127.0.0.1:" + std::to_string(server.port()) +
                                             ": response larger than 10 bytes");
    }
  };
  over_cap("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890");
  over_cap(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
      "chunked\r\n\r\n6\r\n012345\r\n5\r\n67890\r\n0\r\n\r\n");
  over_cap("HTTP/1.1 200 OK\r\n\r\n01234567890");
  // Exactly at the cap is fine.
  {
    CannedServer server({"HTTP/1.1 200 OK\r\n\r\n0123456789"}, 1);
    EngineClient client(server.endpoint(), "engine");
    CHECK(client.Send(Get("/"), 5s, 10).body == "0123456789");
  }
  {
    CannedServer server({"HTTP/1.1 200 OK\r\nX-Filler: " + std::string(70 * 1024, 'x') +
                         "\r\nContent-Length: 0\r\n\r\n"},
                        1);
    EngineClient client(server.endpoint(), "engine");
    try {
      client.Send(Get("/"), 5s, 1 << 20);
      FAIL("expected ClientError");
    } catch (const ClientError& error) {
      CHECK(std::string(error.what()).find("response head larger than") != std::string::npos);
    }
  }
}

TEST_CASE("one deadline covers the whole call, and cancellation ends it mid-body") {
  // Half a body, then silence: each read makes progress, only the call's deadline ends it.
  const std::string half = "hangHTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst half";
  {
    CannedServer server({half}, 1);
    EngineClient client(server.endpoint(), "engine");
    const auto started = std::chrono::steady_clock::now();
    try {
      client.Send(Get("/slow"), 400ms, 1 << 20);
      FAIL("expected ClientError");
    } catch (const ClientError& error) {
      CHECK(std::string(error.what())
                .ends_with("/slow via 127.0.0.1:" + std::to_string(server.port()) + ": timed out"));
    }
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(took >= 400ms);
    CHECK(took < 1s);
  }
  {
    CannedServer server({half}, 1);
    EngineClient client(server.endpoint(), "engine");
    std::atomic<bool> cancelled{false};
    std::thread canceller([&cancelled] {
      std::this_thread::sleep_for(300ms);
      cancelled = true;
    });
    const auto started = std::chrono::steady_clock::now();
    try {
      client.Send(Get("/slow"), 30s, 1 << 20, &cancelled);
      FAIL("expected ClientError");
    } catch (const ClientError& error) {
      CHECK(std::string(error.what()).ends_with(": cancelled"));
    }
    // Seen within a quarter of a second (and some slack for a loaded machine).
    CHECK(std::chrono::steady_clock::now() - started < 300ms + 250ms + 200ms);
    canceller.join();
    // Already cancelled: fails at once, without connecting.
    CHECK_THROWS_AS(client.Send(Get("/again"), 30s, 1 << 20, &cancelled), ClientError);
  }
}

TEST_CASE("threads share one client and its kept connections") {
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
    r.SetContent(q.body, "text/plain");
  });
  server.Bind();
  std::thread serving([&server] { server.Serve(); });

  EngineClient client(Loopback(server.port()), "engine", 4);
  constexpr int kThreads = 4;
  constexpr int kCalls = 25;
  std::atomic<int> right{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&client, &right, t] {
      for (int i = 0; i < kCalls; ++i) {
        ClientRequest request;
        request.method = "POST";
        request.target = "/echo";
        request.body = std::to_string(t) + "/" + std::to_string(i);
        if (client.Send(request, 5s, 1 << 20).body == request.body) ++right;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  CHECK(right == kThreads * kCalls);
  {
    std::lock_guard lock(ports_mutex);
    CHECK(client_ports.size() <= kThreads);  // connections were reused, not one per call
  }
  server.Stop();
  serving.join();
}
