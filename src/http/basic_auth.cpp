#include "medic/http/basic_auth.h"

#include "medic/http/field_text.h"
#include "medic/secret_text.h"

#include <crypt.h>
#include <openssl/sha.h>

#include <array>
#include <memory>

namespace medic::http {
namespace {

constexpr std::size_t kMaxCachedCredentials = 1024;

std::string Sha256(const std::string& data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(
    std::string_view header) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header.size() <= kPrefix.size() || !StartsWithIgnoreCase(header, kPrefix)) {
    return std::nullopt;
  }
  auto decoded = DecodeBase64(header.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

BasicAuthVerifier::BasicAuthVerifier(std::map<std::string, std::string> users)
    : users_(std::move(users)) {}

bool BasicAuthVerifier::Verify(const std::string& user, const std::string& password) {
  const auto found = users_.find(user);
  // Unknown users still pay for one hash so timing does not reveal which users exist.
  static const std::string kDummyHash =
      "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";
  const std::string& hash = found != users_.end() ? found->second : kDummyHash;
  const std::string cache_key = Sha256(user + '\0' + hash + '\0' + password);
  {
    std::lock_guard lock(mutex_);
    if (found != users_.end() && verified_.count(cache_key) > 0) return true;
  }
  auto data = std::make_unique<crypt_data>();
  const char* computed = crypt_r(password.c_str(), hash.c_str(), data.get());
  const bool ok = found != users_.end() && computed != nullptr && computed[0] != '*' &&
                  SecretsEqual(computed, hash);
  if (ok) {
    std::lock_guard lock(mutex_);
    if (verified_.size() >= kMaxCachedCredentials) verified_.clear();
    verified_.insert(cache_key);
  }
  return ok;
}

bool BasicAuthVerifier::VerifyHeader(std::string_view authorization_header) {
  auto credentials = ParseBasicAuthorization(authorization_header);
  if (!credentials) return false;
  return Verify(credentials->first, credentials->second);
}

}  // namespace medic::http
