// Slowloris against the real medic binary: clients that trickle header bytes one at a time
// (each byte well inside the per-recv read timeout) must neither hold the server's threads
// beyond the request deadline nor keep a scraper waiting.
#include "support/test_support.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using medic::test::HttpGet;
using medic::test::MedicProcess;

namespace {

// One TCP connection to 127.0.0.1:port that sends a request line and then one header byte per
// `interval`, never finishing the header block.
class TricklingClient {
 public:
  explicit TricklingClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    Send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  }
  ~TricklingClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  TricklingClient(const TricklingClient&) = delete;
  TricklingClient& operator=(const TricklingClient&) = delete;

  bool connected() const { return connected_; }
  // Sends one more header byte; false once the server has closed the connection.
  bool TrickleOneByte() { return Send("X") && !ServerClosed(); }

 private:
  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  bool ServerClosed() {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, 0) <= 0) return false;
    char buffer[512];
    return ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT) <= 0 ||
           (entry.revents & (POLLHUP | POLLERR)) != 0;
  }

  int fd_ = -1;
  bool connected_ = false;
};

}  // namespace

TEST_CASE("32 clients trickling header bytes do not starve /metrics and are cut at the deadline") {
  // read_timeout 4s: httplib's own timeout is per recv, so a byte every 500 ms never trips it;
  // medic must treat it as a deadline for the whole request.
  MedicProcess medic("web: {read_timeout: 4s}\ncollectors:\n  filesystem: {mountpoints: [/]}\n");
  constexpr int kSlowClients = 32;
  std::vector<std::unique_ptr<TricklingClient>> clients;
  for (int i = 0; i < kSlowClients; ++i) {
    clients.push_back(std::make_unique<TricklingClient>(medic.port()));
    REQUIRE(clients.back()->connected());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> still_open{kSlowClients};
  const auto started = std::chrono::steady_clock::now();
  std::atomic<long long> last_close_ms{0};
  std::thread trickler([&] {
    std::vector<bool> open(clients.size(), true);
    while (!stop && still_open > 0) {
      for (std::size_t i = 0; i < clients.size(); ++i) {
        if (!open[i] || clients[i]->TrickleOneByte()) continue;
        open[i] = false;
        --still_open;
        last_close_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
      }
      std::this_thread::sleep_for(500ms);
    }
  });

  // While all 32 are trickling, scrapes still answer promptly, several times over.
  std::this_thread::sleep_for(1500ms);
  for (int i = 0; i < 5; ++i) {
    const auto before = std::chrono::steady_clock::now();
    const auto scrape = HttpGet(medic.port(), "/metrics");
    const auto took = std::chrono::steady_clock::now() - before;
    CAPTURE(i);
    CHECK(scrape.status == 200);
    CHECK(took < 1500ms);
    std::this_thread::sleep_for(300ms);
  }

  // The trickling connections are cut once the 4s request deadline passes, not kept forever.
  CHECK(medic::test::WaitFor([&] { return still_open == 0; }, 15s));
  stop = true;
  trickler.join();
  MESSAGE("slow clients all cut after " << last_close_ms.load() << " ms");
  CHECK(last_close_ms.load() < 8000);
  CHECK(HttpGet(medic.port(), "/-/healthy").status == 200);
}
