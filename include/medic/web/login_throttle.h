#pragma once

#include "medic/net/response.h"
#include "medic/web/ip_network.h"

#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace medic::web {

// Which credentials a failed attempt was against: the web config's basic_auth_users (scrapes,
// page, APIs) or the webhook's token or basic-auth pair.
enum class AuthRealm { kWeb, kWebhook };

// Failed logins per peer address, as a token bucket: a peer may fail `failures_per_minute`
// times in a burst, then once per 60/failures_per_minute seconds. Past that it is answered 429
// with Retry-After before its credentials are looked at, so a password guesser costs medic
// neither a bcrypt nor an oracle. IPv6 peers count per /64, as one host usually holds a whole
// /64. The table is bounded: when full, peers whose bucket has refilled go first, then the
// longest quiet one.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    int failures_per_minute = 10;  // 0: no throttling
    std::size_t max_peers = 4096;
    // Peers never throttled (nor counted): a Prometheus or Alertmanager behind the same NAT or
    // proxy address as untrusted clients would otherwise be locked out with them.
    std::vector<IpNetwork> exempt;
  };

  LoginThrottle();
  explicit LoginThrottle(Options options);

  // When `peer` is over its budget: how long until it may try again (counted as throttled).
  std::optional<std::chrono::seconds> Throttled(const std::string& peer, AuthRealm realm,
                                                Clock::time_point now = Clock::now());
  // A failed attempt: takes one token from the peer's bucket (counted as rejected).
  void RecordFailure(const std::string& peer, AuthRealm realm,
                     Clock::time_point now = Clock::now());
  // A credential check that could not run now (all bcrypt slots busy): counted as throttled.
  void RecordBusy(AuthRealm realm);

  // medic_http_auth_failures_total{realm, result}
  prometheus::MetricFamily Metrics() const;
  std::size_t TrackedPeers() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  static std::string PeerKey(const std::string& peer);
  bool Exempt(const std::string& peer) const;
  double Refilled(const Bucket& bucket, Clock::time_point now) const;
  void MakeRoom(Clock::time_point now);

  Options options_;
  double per_second_ = 0;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mutex_
  // [realm][0 rejected, 1 throttled]
  std::array<std::array<std::atomic<std::uint64_t>, 2>, 2> counts_{};
};

// 429 Too Many Requests with Retry-After, the answer to a throttled peer.
void SetThrottledResponse(net::Response& response, std::chrono::seconds retry_after);

}  // namespace medic::web
