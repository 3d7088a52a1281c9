#include "medic/web/ip_network.h"

#include <doctest/doctest.h>

using medic::web::IpNetwork;

TEST_CASE("CIDR networks match their addresses, IPv4-mapped included") {
  const auto ten = IpNetwork::Parse("10.128.0.0/9");
  REQUIRE(ten);
  CHECK(ten->Contains("10.200.3.4"));
  CHECK_FALSE(ten->Contains("10.1.2.3"));
  CHECK(ten->Contains("::ffff:10.129.2.3"));
  CHECK_FALSE(ten->Contains("11.0.0.1"));
  CHECK_FALSE(ten->Contains("not an address"));
  const auto host = IpNetwork::Parse("192.0.2.7");
  REQUIRE(host);
  CHECK(host->Contains("192.0.2.7"));
  CHECK_FALSE(host->Contains("192.0.2.8"));
  const auto v6 = IpNetwork::Parse("2001:db8::/32");
  REQUIRE(v6);
  CHECK(v6->Contains("2001:db8:ffff::1"));
  CHECK_FALSE(v6->Contains("2001:db9::1"));
  CHECK_FALSE(v6->Contains("10.0.0.1"));
  const auto odd = IpNetwork::Parse("172.16.0.0/12");
  REQUIRE(odd);
  CHECK(odd->Contains("172.31.255.255"));
  CHECK_FALSE(odd->Contains("172.32.0.0"));
  // Prefix 0 covers every address, whatever the network part says.
  CHECK(IpNetwork::Parse("192.0.2.0/0")->Contains("198.51.100.7"));
  for (const char* bad : {"10.1.2.0/33", "10.1.2.0/", "10.1.2/8", "::/129", "x", "10.1.2.0/8x"}) {
    CHECK_FALSE(IpNetwork::Parse(bad));
  }
}
