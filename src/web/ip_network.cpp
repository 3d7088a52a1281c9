#include "medic/web/ip_network.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace medic::web {

std::optional<IpNetwork::Address> IpNetwork::ParseAddress(const std::string& text) {
  Address address;
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    address.v4 = true;
    std::memcpy(address.bytes.data(), &v4, 4);
    return address;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    address.v4 = true;
    std::memcpy(address.bytes.data(), v6.s6_addr + 12, 4);
    return address;
  }
  std::memcpy(address.bytes.data(), v6.s6_addr, 16);
  return address;
}

std::optional<IpNetwork> IpNetwork::Parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = ParseAddress(std::string(text.substr(0, slash)));
  if (!address) return std::nullopt;
  const int bits = address->v4 ? 32 : 128;
  int prefix = bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        prefix < 0 || prefix > bits) {
      return std::nullopt;
    }
  }
  IpNetwork network;
  network.network_ = *address;
  network.prefix_ = prefix;
  return network;
}

bool IpNetwork::Contains(const std::string& text) const {
  const auto address = ParseAddress(text);
  if (!address || address->v4 != network_.v4) return false;
  int left = prefix_;
  for (std::size_t i = 0; left > 0; ++i, left -= 8) {
    const int bits = left >= 8 ? 8 : left;
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    if ((address->bytes[i] & mask) != (network_.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace medic::web
