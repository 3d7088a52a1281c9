#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace medic::web {

// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8", "2001:db8::/32"; a bare address is a
// /32 or /128). IPv4-mapped IPv6 peers ("::ffff:10.1.2.3") match IPv4 networks.
class IpNetwork {
 public:
  static std::optional<IpNetwork> Parse(std::string_view text);
  bool Contains(const std::string& address) const;

 private:
  struct Address {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;
  };
  static std::optional<Address> ParseAddress(const std::string& text);

  Address network_;
  int prefix_ = 0;
};

}  // namespace medic::web
