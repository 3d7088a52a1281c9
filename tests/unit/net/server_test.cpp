// ctest-labels: tsan
#include "medic/net/server.h"

#include "support/test_support.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// A scrape-sized body, big enough to go out in more than one write.
const std::string kBody(16 * 1024, 'm');

// A server on an ephemeral loopback port with a few routes, served from its own thread.
class ServerFixture {
 public:
  explicit ServerFixture(medic::net::ServerOptions options = {}) {
    options.listen_address = "127.0.0.1:0";
    server = std::make_unique<medic::net::HttpServer>(options);
    server->Handle("GET", "/hello", [](const medic::net::Request&, medic::net::Response& r) {
      r.SetContent("hello\n", "text/plain");
    });
    server->Handle("GET", "/big", [](const medic::net::Request&, medic::net::Response& r) {
      std::string text;
      for (int i = 0; i < 4000; ++i) text += "medic_sample{n=\"" + std::to_string(i) + "\"} 1\n";
      r.SetContent(text, "text/plain; version=0.0.4");
    });
    server->Handle("POST", "/echo", [](const medic::net::Request& q, medic::net::Response& r) {
      r.SetContent(q.body, "application/octet-stream");
      r.SetHeader("X-Query", q.Param("q"));
    });
    server->Handle("GET", "/boom", [](const medic::net::Request&, medic::net::Response&) {
      throw std::runtime_error("handler failed");
    });
    server->Bind();
    serving = std::thread([this] { server->Serve(); });
  }
  ~ServerFixture() {
    server->Stop();
    serving.join();
  }
  int port() const { return server->port(); }

  std::unique_ptr<medic::net::HttpServer> server;
  std::thread serving;
};

// One raw TCP connection: send exact bytes, read exact answers.
class RawConnection {
 public:
  explicit RawConnection(int port, const char* source = "127.0.0.1")
      : fd_(medic::test::ConnectLoopback(port, source)) {}
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void Send(const std::string& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }
  bool TrySend(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Everything the server sends until it closes the connection (or `timeout` passes).
  std::string ReadUntilClosed(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!Fill(deadline)) break;
    }
    return std::exchange(buffer_, "");
  }
  // One response: status line, headers and a Content-Length body ("" when none arrives).
  // A HEAD answer (`head_only`) carries a Content-Length but no body.
  std::string ReadResponse(std::chrono::milliseconds timeout = 5s, bool head_only = false) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::size_t length = 0;
        const auto field = buffer_.find("Content-Length: ");
        if (field != std::string::npos && field < head_end) {
          length = std::stoul(buffer_.substr(field + 16));
        }
        if (head_only || buffer_.starts_with("HTTP/1.1 100 ")) length = 0;
        if (buffer_.size() >= head_end + 4 + length) {
          std::string response = buffer_.substr(0, head_end + 4 + length);
          buffer_.erase(0, head_end + 4 + length);
          return response;
        }
      }
      if (!Fill(deadline)) return "";
    }
  }
  bool ClosedByServer(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Fill(deadline)) {
    }
    return closed_;
  }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd entry{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&entry, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[8192];
    const ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (got <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  bool closed_ = false;
};

std::string Gunzip(const std::string& compressed) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  std::string out(compressed.size() * 20 + 1024, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = inflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  REQUIRE(result == Z_STREAM_END);
  return out;
}

std::string BodyOf(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

}  // namespace

TEST_CASE("keep-alive responses are not held back by Nagle and delayed ACKs") {
  medic::net::ServerOptions options;
  const int port = medic::test::FreePort();
  options.listen_address = "127.0.0.1:" + std::to_string(port);
  medic::net::HttpServer server(options);
  server.Handle("GET", "/metrics", [](const medic::net::Request&, medic::net::Response& response) {
    response.SetContent(kBody, "text/plain");
  });
  server.Bind();
  std::thread serving([&server] { server.Serve(); });

  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  REQUIRE(medic::test::WaitFor([&] { return client.Get("/metrics") != nullptr; },
                               std::chrono::seconds(10)));
  // Without TCP_NODELAY every response on a kept-alive connection waits for the client's
  // delayed ACK (>= 40 ms on Linux) before its body leaves; with it, a response takes well
  // under a millisecond here. The median of 15 requests keeps a loaded machine's outliers out.
  std::vector<double> milliseconds;
  for (int i = 0; i < 15; ++i) {
    const auto started = std::chrono::steady_clock::now();
    const auto response = client.Get("/metrics");
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body.size() == kBody.size());
    milliseconds.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
  }
  std::sort(milliseconds.begin(), milliseconds.end());
  INFO("median " << milliseconds[milliseconds.size() / 2] << " ms");
  CHECK(milliseconds[milliseconds.size() / 2] < 30.0);

  client.stop();
  server.Stop();
  serving.join();
}

TEST_CASE("keep-alive serves several requests on one connection, pipelined ones too") {
  ServerFixture fixture;
  RawConnection connection(fixture.port());
  connection.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string first = connection.ReadResponse();
  CHECK(first.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(first.find("Content-Length: 6\r\n") != std::string::npos);
  CHECK(first.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK(first.find("Connection: close") == std::string::npos);
  CHECK(BodyOf(first) == "hello\n");
  // Two requests in one write: both answered, in order.
  connection.Send(
      "GET /hello HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo?q=a+b HTTP/1.1\r\nHost: t\r\n"
      "Content-Length: 5\r\n\r\nhello");
  CHECK(BodyOf(connection.ReadResponse()) == "hello\n");
  const std::string echo = connection.ReadResponse();
  CHECK(BodyOf(echo) == "hello");
  CHECK(echo.find("X-Query: a b\r\n") != std::string::npos);
  // Connection: close is honoured.
  connection.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::string last = connection.ReadUntilClosed();
  CHECK(last.find("Connection: close\r\n") != std::string::npos);
  CHECK(BodyOf(last) == "hello\n");
}

TEST_CASE("HTTP/1.0 closes unless it asks for keep-alive; HEAD has headers only") {
  ServerFixture fixture;
  {
    RawConnection connection(fixture.port());
    connection.Send("GET /hello HTTP/1.0\r\n\r\n");
    const std::string response = connection.ReadUntilClosed();
    CHECK(response.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(BodyOf(response) == "hello\n");
  }
  {
    RawConnection connection(fixture.port());
    connection.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(connection.ReadResponse().find("Connection: keep-alive\r\n") != std::string::npos);
    connection.Send("HEAD /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const std::string head = connection.ReadResponse(5s, true);
    CHECK(head.find("Content-Length: 6\r\n") != std::string::npos);
    CHECK(BodyOf(head).empty());
    // Nothing else follows the HEAD answer: the next response starts cleanly.
    connection.Send("GET /hello HTTP/1.0\r\n\r\n");
    CHECK(connection.ReadUntilClosed().starts_with("HTTP/1.1 200 OK\r\n"));
  }
}

TEST_CASE("chunked request bodies and Expect: 100-continue are handled") {
  ServerFixture fixture;
  RawConnection connection(fixture.port());
  connection.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n");
  std::this_thread::sleep_for(50ms);
  connection.Send("4;note=x\r\ndefg\r\n0\r\nTrailer: 1\r\n\r\n");
  CHECK(BodyOf(connection.ReadResponse()) == "abcdefg");

  connection.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  CHECK(connection.ReadResponse().starts_with("HTTP/1.1 100 Continue\r\n"));
  connection.Send("xyz");
  CHECK(BodyOf(connection.ReadResponse()) == "xyz");
}

TEST_CASE("bad requests get their status and the connection closes") {
  medic::net::ServerOptions options;
  options.limits.max_body_bytes = 1024;
  ServerFixture fixture(options);
  const auto answer = [&](const std::string& request) {
    RawConnection connection(fixture.port());
    connection.Send(request);
    return connection.ReadUntilClosed();
  };
  CHECK(answer("GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(answer("GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400 "));  // no Host
  CHECK(answer("GET /hello HTTP/3.0\r\nHost: t\r\n\r\n").starts_with("HTTP/1.1 505 "));
  CHECK(answer("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: "
               "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            .starts_with("HTTP/1.1 400 "));
  CHECK(answer("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n")
            .starts_with("HTTP/1.1 501 "));
  CHECK(answer("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx")
            .starts_with("HTTP/1.1 417 "));
  // Over the body cap: refused from the declared length, before any body is read...
  const std::string too_long = answer(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
  CHECK(too_long.starts_with("HTTP/1.1 413 Payload Too Large\r\n"));
  CHECK(BodyOf(too_long) == "413 payload too large\n");
  // ...and when chunks add up past it.
  CHECK(answer("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" +
               std::string(1024, 'x') + "\r\n1\r\nx\r\n0\r\n\r\n")
            .starts_with("HTTP/1.1 413 "));
  CHECK(answer("GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n")
            .starts_with("HTTP/1.1 414 "));
  CHECK(answer("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n")
            .starts_with("HTTP/1.1 431 "));
  // Routing and handler failures keep the connection usable but answer plainly.
  RawConnection connection(fixture.port());
  connection.Send("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string missing = connection.ReadResponse();
  CHECK(missing.starts_with("HTTP/1.1 404 Not Found\r\n"));
  CHECK(BodyOf(missing) == "404 page not found\n");
  connection.Send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string wrong_method = connection.ReadResponse();
  CHECK(wrong_method.starts_with("HTTP/1.1 405 "));
  CHECK(wrong_method.find("Allow: GET, HEAD\r\n") != std::string::npos);
  connection.Send("GET /boom HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string failed = connection.ReadResponse();
  CHECK(failed.starts_with("HTTP/1.1 500 "));
  CHECK(BodyOf(failed) == "internal error\n");
  connection.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(BodyOf(connection.ReadResponse()) == "hello\n");
}

TEST_CASE("gzip when the client accepts it, plain when it refuses it") {
  ServerFixture fixture;
  RawConnection connection(fixture.port());
  connection.Send("GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: br, gzip;q=0.8\r\n\r\n");
  const std::string gzipped = connection.ReadResponse();
  CHECK(gzipped.find("Content-Encoding: gzip\r\n") != std::string::npos);
  CHECK(gzipped.find("Vary: Accept-Encoding\r\n") != std::string::npos);
  const std::string text = Gunzip(BodyOf(gzipped));
  CHECK(text.starts_with("medic_sample{n=\"0\"} 1\n"));
  CHECK(BodyOf(gzipped).size() * 5 < text.size());
  connection.Send("GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip;q=0, identity\r\n\r\n");
  const std::string plain = connection.ReadResponse();
  CHECK(plain.find("Content-Encoding") == std::string::npos);
  CHECK(BodyOf(plain) == text);
  // Small bodies are not worth compressing.
  connection.Send("GET /hello HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
  CHECK(BodyOf(connection.ReadResponse()) == "hello\n");
}

TEST_CASE("the read timeout is a deadline for the whole request; idle keep-alive ends too") {
  medic::net::ServerOptions options;
  options.limits.read_timeout = 1s;
  ServerFixture fixture(options);
  RawConnection trickling(fixture.port());
  const auto started = std::chrono::steady_clock::now();
  trickling.Send("GET /hello HTTP/1.1\r\n");
  std::string answer;
  for (int i = 0; i < 30 && answer.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    if (!trickling.TrySend("X")) break;
    answer = trickling.ReadUntilClosed(10ms);
  }
  answer += trickling.ReadUntilClosed(2s);
  CHECK(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"));
  CHECK(std::chrono::steady_clock::now() - started < 2500ms);
}

TEST_CASE("Stop() ends idle keep-alive connections at once and Serve() returns") {
  auto fixture = std::make_unique<ServerFixture>();
  RawConnection idle(fixture->port());
  idle.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(BodyOf(idle.ReadResponse()) == "hello\n");
  const auto started = std::chrono::steady_clock::now();
  fixture.reset();                                         // Stop() and join Serve()
  CHECK(std::chrono::steady_clock::now() - started < 2s);  // keep-alive timeout is 5 s
  CHECK(idle.ClosedByServer(1s));
}

TEST_CASE("Bind reports the port it got and refuses a port in use with the reason") {
  ServerFixture fixture;
  CHECK(fixture.port() > 0);
  medic::net::ServerOptions options;
  options.listen_address = "127.0.0.1:" + std::to_string(fixture.port());
  medic::net::HttpServer second(options);
  try {
    second.Bind();
    FAIL("a second bind to the same port succeeded");
  } catch (const std::runtime_error& error) {
    CHECK(std::string(error.what()).find("Address already in use") != std::string::npos);
  }
  medic::net::HttpServer unbound(options);
  CHECK_THROWS_AS(unbound.Serve(), std::runtime_error);
}

TEST_CASE("a header value with CR or LF is dropped, and handlers cannot set the framing") {
  medic::net::Response response;
  response.SetHeader("X-Name", "bundle\r\nSet-Cookie: x=1");
  response.SetHeader("X-Bad\r\nName", "v");
  response.SetHeader("X-Good", "fine");
  CHECK(response.headers.size() == 1);
  CHECK(response.HasHeader("x-good"));

  medic::net::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  medic::net::HttpServer server(options);
  server.Handle("GET", "/framed", [](const medic::net::Request&, medic::net::Response& r) {
    r.SetContent("abc", "text/plain");
    r.SetHeader("Content-Length", "999");
    r.SetHeader("Connection", "close");
  });
  server.Bind();
  std::thread serving([&server] { server.Serve(); });
  {
    RawConnection connection(server.port());
    connection.Send("GET /framed HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string answer = connection.ReadResponse();
    CHECK(answer.find("Content-Length: 3\r\n") != std::string::npos);
    CHECK(answer.find("999") == std::string::npos);
    CHECK(answer.find("Connection: close") == std::string::npos);
    CHECK(BodyOf(answer) == "abc");
  }
  server.Stop();
  serving.join();
}

namespace {

using medic::test::ClosedByPeerWithin;
using medic::test::ConnectLoopback;

std::size_t ThreadCount() {
  const std::string status = medic::test::ReadFile("/proc/self/status");
  const auto field = status.find("Threads:");
  return std::stoul(status.substr(field + 8));
}

// Handlers that wait until the test releases them: what a slow collector or fsync looks like.
struct Gate {
  std::mutex mutex;
  std::condition_variable opened;
  bool open = false;
  std::atomic<int> waiting{0};
  void Wait() {
    std::unique_lock lock(mutex);
    ++waiting;
    opened.wait(lock, [this] { return open; });
  }
  void Open() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    opened.notify_all();
  }
  // GET /slow answers "slow" once the gate opens.
  void Serve(medic::net::HttpServer& server) {
    server.Handle("GET", "/slow", [this](const medic::net::Request&, medic::net::Response& r) {
      Wait();
      r.SetContent("slow\n", "text/plain");
    });
  }
};

}  // namespace

TEST_CASE("hundreds of idle and trickling connections cost no scrape its latency or a thread") {
  ServerFixture fixture;
  {
    RawConnection first(fixture.port());  // the worker pool is up once a request was served
    first.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    REQUIRE(BodyOf(first.ReadResponse()) == "hello\n");
  }
  const std::size_t threads_before = ThreadCount();
  std::vector<int> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(ConnectLoopback(fixture.port(), "127.0.0.2"));
  std::vector<std::unique_ptr<RawConnection>> trickling;
  for (int i = 0; i < 50; ++i) {
    trickling.push_back(std::make_unique<RawConnection>(fixture.port()));
    trickling.back()->Send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  }
  for (int round = 0; round < 5; ++round) {
    for (auto& connection : trickling) connection->TrySend("x");
    const auto started = std::chrono::steady_clock::now();
    RawConnection scrape(fixture.port());
    scrape.Send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    const std::string answer = scrape.ReadResponse();
    const auto took = std::chrono::steady_clock::now() - started;
    CAPTURE(round);
    CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(took < 500ms);
  }
  // One I/O thread and a bounded worker pool (started as requests overlap, at most
  // worker_threads): 350 connections cost no threads of their own.
  const std::size_t worker_threads = medic::net::ServerLimits{}.worker_threads;
  CHECK(ThreadCount() < threads_before + worker_threads);
  for (const int fd : idle) ::close(fd);
}

TEST_CASE("a peer over its connection cap loses its own longest-waiting connection") {
  medic::net::ServerOptions options;
  options.limits.max_connections_per_peer = 4;
  ServerFixture fixture(options);
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(ConnectLoopback(fixture.port(), "127.0.0.3"));
    std::this_thread::sleep_for(20ms);  // a known order of waiting
  }
  // Another peer is not affected by 127.0.0.3's cap.
  RawConnection other(fixture.port());
  other.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(BodyOf(other.ReadResponse()) == "hello\n");
  CHECK_FALSE(ClosedByPeerWithin(idle[0], 100ms));
  // A fifth connection from 127.0.0.3 is served; its oldest idle one is closed for it.
  const int fifth = ConnectLoopback(fixture.port(), "127.0.0.3");
  const std::string request = "GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fifth, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  CHECK(ClosedByPeerWithin(idle[0], 2000ms));
  CHECK_FALSE(ClosedByPeerWithin(idle[1], 100ms));
  std::string answer(512, '\0');
  pollfd entry{fifth, POLLIN, 0};
  REQUIRE(::poll(&entry, 1, 2000) == 1);
  const ssize_t got = ::recv(fifth, answer.data(), answer.size(), 0);
  REQUIRE(got > 0);
  CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
  for (const int fd : idle) ::close(fd);
  ::close(fifth);
}

TEST_CASE("over the total cap the longest-waiting connection goes, never one being answered") {
  medic::net::ServerOptions options;
  options.limits.max_connections = 8;
  Gate gate;
  ServerFixture fixture(options);
  gate.Serve(*fixture.server);
  // Routes are read per request: one registered after Serve() started is served too.
  RawConnection slow(fixture.port());
  slow.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(medic::test::WaitFor([&] { return gate.waiting == 1; }, 5s));
  std::vector<int> idle;
  for (int i = 0; i < 7; ++i) {
    idle.push_back(ConnectLoopback(fixture.port(), ("127.0.1." + std::to_string(i + 1)).c_str()));
    std::this_thread::sleep_for(20ms);
  }
  // Full: eight open. Each newcomer (kept open) evicts the longest-waiting idle one, not /slow.
  std::vector<std::unique_ptr<RawConnection>> newcomers;
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    newcomers.push_back(std::make_unique<RawConnection>(fixture.port()));
    newcomers.back()->Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(BodyOf(newcomers.back()->ReadResponse()) == "hello\n");
    CHECK(ClosedByPeerWithin(idle[static_cast<std::size_t>(i)], 2000ms));
  }
  gate.Open();
  CHECK(BodyOf(slow.ReadResponse()) == "slow\n");
  for (const int fd : idle) ::close(fd);
}

TEST_CASE("while every worker is busy, health checks answer and a full queue gets 503") {
  medic::net::ServerOptions options;
  options.limits.worker_threads = 2;
  options.limits.max_queued_requests = 2;
  Gate gate;
  ServerFixture fixture(options);
  gate.Serve(*fixture.server);
  fixture.server->Handle("GET", "/-/healthy",
                         [](const medic::net::Request&, medic::net::Response& response) {
                           response.SetContent("Healthy\n", "text/plain");
                         },
                         medic::net::Access::kPublic, {.inline_handler = true});
  std::vector<std::unique_ptr<RawConnection>> slow;
  const auto send_slow = [&] {
    slow.push_back(std::make_unique<RawConnection>(fixture.port()));
    slow.back()->Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  };
  send_slow();  // two running...
  send_slow();
  REQUIRE(medic::test::WaitFor([&] { return gate.waiting == 2; }, 5s));
  send_slow();  // ...and two queued
  send_slow();
  std::this_thread::sleep_for(200ms);
  RawConnection health(fixture.port());
  health.Send("GET /-/healthy HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(BodyOf(health.ReadResponse(1s)) == "Healthy\n");
  RawConnection refused(fixture.port());
  refused.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string busy = refused.ReadUntilClosed(2s);
  CHECK(busy.starts_with("HTTP/1.1 503 "));
  CHECK(busy.find("Retry-After: 1\r\n") != std::string::npos);
  gate.Open();
  for (auto& connection : slow) CHECK(BodyOf(connection->ReadResponse()) == "slow\n");
}

TEST_CASE("an idle connection is closed after web.idle_timeout, a new one too") {
  medic::net::ServerOptions options;
  options.limits.idle_timeout = 300ms;
  ServerFixture fixture(options);
  const int silent = ConnectLoopback(fixture.port(), "127.0.0.4");
  RawConnection kept(fixture.port());
  kept.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(BodyOf(kept.ReadResponse()) == "hello\n");
  const auto started = std::chrono::steady_clock::now();
  CHECK(ClosedByPeerWithin(silent, 2000ms));
  CHECK(kept.ClosedByServer(2s));
  CHECK(std::chrono::steady_clock::now() - started < 1500ms);
  ::close(silent);
}

TEST_CASE("one peer flooding complete requests cannot starve another, nor a priority route") {
  medic::net::ServerOptions options;
  options.limits.worker_threads = 2;
  options.limits.max_requests_per_peer = 2;
  Gate gate;
  ServerFixture fixture(options);
  gate.Serve(*fixture.server);
  fixture.server->Handle("POST", "/hook",
                         [](const medic::net::Request&, medic::net::Response& response) {
                           response.SetContent("healed\n", "text/plain");
                         },
                         medic::net::Access::kPublic, {.priority = true});
  // 127.0.0.7 takes both workers, then is over its share.
  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < 2; ++i) {
    flood.push_back(std::make_unique<RawConnection>(fixture.port(), "127.0.0.7"));
    flood.back()->Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  REQUIRE(medic::test::WaitFor([&] { return gate.waiting == 2; }, 5s));
  RawConnection third(fixture.port(), "127.0.0.7");
  third.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string shed = third.ReadUntilClosed(2s);
  CHECK(shed.starts_with("HTTP/1.1 503 "));
  CHECK(shed.find("Retry-After: 1\r\n") != std::string::npos);
  // Every worker is held, yet the priority route answers at once on its own workers...
  RawConnection hook(fixture.port(), "127.0.0.8");
  hook.Send("POST /hook HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
  CHECK(BodyOf(hook.ReadResponse(1s)) == "healed\n");
  // ...and another peer's ordinary request waits its turn instead of being refused.
  RawConnection other(fixture.port(), "127.0.0.9");
  other.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  gate.Open();
  CHECK(BodyOf(other.ReadResponse()) == "hello\n");
  for (auto& connection : flood) CHECK(BodyOf(connection->ReadResponse()) == "slow\n");
}

TEST_CASE("past the keep-alive maximum, pipelined requests get their answers and a clean close") {
  ServerFixture fixture;
  RawConnection connection(fixture.port());
  std::string pipelined;
  for (int i = 0; i < 150; ++i) pipelined += "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
  connection.Send(pipelined);
  int answered = 0;
  while (BodyOf(connection.ReadResponse(2s)) == "hello\n") ++answered;
  CHECK(answered == 100);  // the 100th says Connection: close; none is cut by a reset
  CHECK(connection.ClosedByServer(2s));
}
