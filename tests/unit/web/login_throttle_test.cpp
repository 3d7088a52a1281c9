#include "medic/web/login_throttle.h"

#include <doctest/doctest.h>

using medic::web::AuthRealm;
using medic::web::LoginThrottle;
using namespace std::chrono_literals;

TEST_CASE("a peer may fail a burst, then waits; others are not affected") {
  LoginThrottle throttle({.failures_per_minute = 6, .max_peers = 100});
  const auto start = LoginThrottle::Clock::now();
  for (int i = 0; i < 6; ++i) {
    CHECK_FALSE(throttle.Throttled("10.0.0.1", AuthRealm::kWeb, start));
    throttle.RecordFailure("10.0.0.1", AuthRealm::kWeb, start);
  }
  const auto wait = throttle.Throttled("10.0.0.1", AuthRealm::kWeb, start);
  REQUIRE(wait);
  CHECK(*wait == 10s);  // one token per 10 s at 6 per minute
  CHECK_FALSE(throttle.Throttled("10.0.0.2", AuthRealm::kWeb, start));
  // The webhook shares the budget: the same peer is throttled there too.
  CHECK(throttle.Throttled("10.0.0.1", AuthRealm::kWebhook, start));
  // After 10 s one more try; after a minute a full burst again.
  CHECK_FALSE(throttle.Throttled("10.0.0.1", AuthRealm::kWeb, start + 10s));
  throttle.RecordFailure("10.0.0.1", AuthRealm::kWeb, start + 10s);
  CHECK(throttle.Throttled("10.0.0.1", AuthRealm::kWeb, start + 11s));
  CHECK_FALSE(throttle.Throttled("10.0.0.1", AuthRealm::kWeb, start + 80s));
}

TEST_CASE("IPv6 peers count per /64; IPv4-mapped addresses as IPv4") {
  LoginThrottle throttle({.failures_per_minute = 1, .max_peers = 100});
  const auto now = LoginThrottle::Clock::now();
  throttle.RecordFailure("2001:db8:1:2::10", AuthRealm::kWeb, now);
  CHECK(throttle.Throttled("2001:db8:1:2::99", AuthRealm::kWeb, now));
  CHECK_FALSE(throttle.Throttled("2001:db8:1:3::10", AuthRealm::kWeb, now));
  throttle.RecordFailure("::ffff:192.0.2.7", AuthRealm::kWeb, now);
  CHECK(throttle.Throttled("192.0.2.7", AuthRealm::kWeb, now));
}

TEST_CASE("the peer table is bounded; 0 turns throttling off") {
  LoginThrottle throttle({.failures_per_minute = 2, .max_peers = 50});
  const auto now = LoginThrottle::Clock::now();
  for (int i = 0; i < 1000; ++i) {
    throttle.RecordFailure("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                           AuthRealm::kWeb, now + std::chrono::milliseconds(i));
  }
  CHECK(throttle.TrackedPeers() <= 50);
  LoginThrottle off({.failures_per_minute = 0, .max_peers = 10});
  for (int i = 0; i < 100; ++i) off.RecordFailure("10.0.0.1", AuthRealm::kWeb, now);
  CHECK_FALSE(off.Throttled("10.0.0.1", AuthRealm::kWeb, now));
  CHECK(off.TrackedPeers() == 0);
}

TEST_CASE("exempt networks are never throttled nor tracked") {
  LoginThrottle throttle({.failures_per_minute = 1,
                          .max_peers = 10,
                          .exempt = {*medic::web::IpNetwork::Parse("10.9.0.0/16")}});
  const auto now = LoginThrottle::Clock::now();
  for (int i = 0; i < 20; ++i) throttle.RecordFailure("10.9.1.1", AuthRealm::kWeb, now);
  CHECK_FALSE(throttle.Throttled("10.9.1.1", AuthRealm::kWeb, now));
  CHECK(throttle.TrackedPeers() == 0);
  throttle.RecordFailure("10.8.1.1", AuthRealm::kWeb, now);
  CHECK(throttle.Throttled("10.8.1.1", AuthRealm::kWeb, now));
}
