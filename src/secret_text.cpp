#include "medic/secret_text.h"

#include <array>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace medic {
namespace {

constexpr std::uint8_t kNotBase64 = 0xff;

// 0..63 for the base64 alphabet, kNotBase64 for every other byte.
constexpr std::array<std::uint8_t, 256> MakeBase64Table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kNotBase64;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr auto kBase64Table = MakeBase64Table();

}  // namespace

bool SecretsEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // volatile keeps the compiler from ending the loop at the first difference.
  volatile unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference = difference | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

std::optional<std::string> DecodeBase64(std::string_view text, std::size_t max_encoded_bytes) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > max_encoded_bytes) {
    return std::nullopt;
  }
  std::size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text[text.size() - 2] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t group = 0; group < text.size(); group += 4) {
    const bool last = group + 4 == text.size();
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const char c = text[group + i];
      if (last && c == '=' && i >= 4 - padding) {
        bits <<= 6;
        continue;
      }
      const std::uint8_t value = kBase64Table[static_cast<unsigned char>(c)];
      if (value == kNotBase64) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(value);
    }
    out.push_back(static_cast<char>((bits >> 16) & 0xff));
    out.push_back(static_cast<char>((bits >> 8) & 0xff));
    out.push_back(static_cast<char>(bits & 0xff));
  }
  out.resize(out.size() - padding);
  return out;
}

std::optional<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

}  // namespace medic
