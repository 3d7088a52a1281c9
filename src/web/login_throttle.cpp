#include "medic/web/login_throttle.h"

#include "medic/metric_family_builder.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace medic::web {
namespace {

constexpr std::size_t kRejected = 0;
constexpr std::size_t kThrottled = 1;

std::size_t Index(AuthRealm realm) { return realm == AuthRealm::kWeb ? 0 : 1; }

}  // namespace

LoginThrottle::LoginThrottle() : LoginThrottle(Options{}) {}

LoginThrottle::LoginThrottle(Options options)
    : options_(std::move(options)), per_second_(options_.failures_per_minute / 60.0) {
  options_.max_peers = std::max<std::size_t>(options_.max_peers, 1);
}

std::string LoginThrottle::PeerKey(const std::string& peer) {
  in6_addr v6{};
  if (peer.find(':') == std::string::npos || ::inet_pton(AF_INET6, peer.c_str(), &v6) != 1) {
    return peer;
  }
  // An IPv4-mapped address is the IPv4 peer; any other IPv6 peer is its /64.
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return peer.substr(peer.rfind(':') + 1);
  std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, &v6, text, sizeof(text));
  return std::string(text) + "/64";
}

double LoginThrottle::Refilled(const Bucket& bucket, Clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  return std::min<double>(options_.failures_per_minute,
                          bucket.tokens + std::max(0.0, elapsed) * per_second_);
}

bool LoginThrottle::Exempt(const std::string& peer) const {
  return std::any_of(options_.exempt.begin(), options_.exempt.end(),
                     [&](const IpNetwork& network) { return network.Contains(peer); });
}

std::optional<std::chrono::seconds> LoginThrottle::Throttled(const std::string& peer,
                                                             AuthRealm realm,
                                                             Clock::time_point now) {
  if (options_.failures_per_minute <= 0 || Exempt(peer)) return std::nullopt;
  std::lock_guard lock(mutex_);
  const auto found = buckets_.find(PeerKey(peer));
  if (found == buckets_.end()) return std::nullopt;
  const double tokens = Refilled(found->second, now);
  if (tokens >= 1) return std::nullopt;
  ++counts_[Index(realm)][kThrottled];
  const double wait = (1 - tokens) / per_second_;
  return std::chrono::seconds(std::max<long>(1, static_cast<long>(std::ceil(wait))));
}

void LoginThrottle::RecordFailure(const std::string& peer, AuthRealm realm, Clock::time_point now) {
  ++counts_[Index(realm)][kRejected];
  if (options_.failures_per_minute <= 0 || Exempt(peer)) return;
  std::lock_guard lock(mutex_);
  const std::string key = PeerKey(peer);
  auto found = buckets_.find(key);
  if (found == buckets_.end()) {
    if (buckets_.size() >= options_.max_peers) MakeRoom(now);
    found =
        buckets_.emplace(key, Bucket{static_cast<double>(options_.failures_per_minute), now}).first;
  }
  Bucket& bucket = found->second;
  const double before = Refilled(bucket, now);
  bucket.tokens = std::max(0.0, before - 1);
  bucket.updated = now;
  if (before >= 1 && bucket.tokens < 1) {
    // Once per time the budget runs out, not once per refused request.
    spdlog::warn("http: {} is over its failed-login budget ({} per minute); answering 429", key,
                 options_.failures_per_minute);
  }
}

void LoginThrottle::RecordBusy(AuthRealm realm) { ++counts_[Index(realm)][kThrottled]; }

void LoginThrottle::MakeRoom(Clock::time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) {
    return Refilled(entry.second, now) >= options_.failures_per_minute;
  });
  if (buckets_.size() < options_.max_peers) return;
  const auto quietest = std::min_element(
      buckets_.begin(), buckets_.end(),
      [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
  buckets_.erase(quietest);
}

std::size_t LoginThrottle::TrackedPeers() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

prometheus::MetricFamily LoginThrottle::Metrics() const {
  auto family = MetricFamilyBuilder::Counter(
      "medic_http_auth_failures_total",
      "Requests refused for their credentials, by realm (web: basic_auth_users; webhook: its "
      "token or basic auth) and result (rejected: wrong credentials, answered 401; throttled: "
      "the peer is over its failed-login budget or every bcrypt slot is busy, answered 429).");
  for (const AuthRealm realm : {AuthRealm::kWeb, AuthRealm::kWebhook}) {
    const std::string name = realm == AuthRealm::kWeb ? "web" : "webhook";
    family.Add(static_cast<double>(counts_[Index(realm)][kRejected].load()),
               {{"realm", name}, {"result", "rejected"}});
    family.Add(static_cast<double>(counts_[Index(realm)][kThrottled].load()),
               {{"realm", name}, {"result", "throttled"}});
  }
  return family.Build();
}

void SetThrottledResponse(net::Response& response, std::chrono::seconds retry_after) {
  response.status = 429;
  response.SetHeader("Retry-After", std::to_string(retry_after.count()));
  response.SetContent("Too many failed logins from this address; retry after " +
                          std::to_string(retry_after.count()) + " s\n",
                      "text/plain; charset=utf-8");
}

}  // namespace medic::web
