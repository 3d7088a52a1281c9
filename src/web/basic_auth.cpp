#include "medic/web/basic_auth.h"

#include "medic/net/field_text.h"
#include "medic/secret_text.h"
#include "medic/web_config.h"

#include <crypt.h>
#include <openssl/sha.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

namespace medic::web {
namespace {

constexpr std::size_t kMaxCachedCredentials = 1024;

std::string Sha256(const std::string& data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

// A bcrypt hash of a random password at `cost`: what an unknown user is checked against.
std::string DummyHash(int cost) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt.data(),
                       static_cast<int>(salt.size())) == nullptr) {
    throw std::runtime_error("basic auth: cannot make a bcrypt salt");
  }
  std::array<unsigned char, 18> random{};
  if (getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
    throw std::runtime_error("basic auth: no random bytes for the dummy password");
  }
  std::string password;
  for (const unsigned char byte : random) password += static_cast<char>('a' + byte % 26);
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), salt.data(), data.get());
  if (hash == nullptr || hash[0] == '*') throw std::runtime_error("basic auth: bcrypt failed");
  return hash;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(
    std::string_view header) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header.size() <= kPrefix.size() || !net::StartsWithIgnoreCase(header, kPrefix)) {
    return std::nullopt;
  }
  auto decoded = DecodeBase64(header.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

BasicAuthVerifier::BasicAuthVerifier(std::map<std::string, std::string> users)
    : BasicAuthVerifier(std::move(users), Limits{}) {}

BasicAuthVerifier::BasicAuthVerifier(std::map<std::string, std::string> users, Limits limits)
    : users_(std::move(users)), limits_(limits) {
  limits_.max_concurrent_hashes = std::max<std::size_t>(limits_.max_concurrent_hashes, 1);
  int cost = kMinBcryptCost;
  for (const auto& [user, hash] : users_) {
    cost = std::clamp(BcryptHashCost(hash), cost, kMaxBcryptCost);
  }
  if (users_.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  dummy_hash_ = DummyHash(cost);
  slowest_check_ = std::chrono::steady_clock::now() - start;
}

void BasicAuthVerifier::PadFailure(std::chrono::steady_clock::time_point started) const {
  // A wrong password of a user with a cheaper hash than the highest cost would answer sooner
  // than an unknown user (checked at the highest cost): wait out the difference, off the slot.
  const auto elapsed = std::chrono::steady_clock::now() - started;
  if (elapsed < slowest_check_) std::this_thread::sleep_for(slowest_check_ - elapsed);
}

bool BasicAuthVerifier::HasCredentials(std::string_view authorization_header) {
  return !net::TrimOptionalWhitespace(authorization_header).empty();
}

std::optional<bool> BasicAuthVerifier::HashMatches(const std::string& password,
                                                   const std::string& hash) {
  {
    std::unique_lock lock(mutex_);
    if (hashing_ >= limits_.max_concurrent_hashes) {
      if (waiting_ >= limits_.max_waiting) return std::nullopt;
      ++waiting_;
      slot_freed_.wait(lock, [this] { return hashing_ < limits_.max_concurrent_hashes; });
      --waiting_;
    }
    ++hashing_;
  }
  auto data = std::make_unique<crypt_data>();
  const char* computed = crypt_r(password.c_str(), hash.c_str(), data.get());
  const bool matches = computed != nullptr && computed[0] != '*' && SecretsEqual(computed, hash);
  {
    std::lock_guard lock(mutex_);
    --hashing_;
  }
  slot_freed_.notify_one();
  return matches;
}

Verdict BasicAuthVerifier::Verify(const std::string& user, const std::string& password) {
  if (user.find('\0') != std::string::npos || password.find('\0') != std::string::npos) {
    return Verdict::kRejected;
  }
  const auto found = users_.find(user);
  const std::string& hash = found != users_.end() ? found->second : dummy_hash_;
  if (hash.empty()) return Verdict::kRejected;
  const std::string cache_key = Sha256(user + '\0' + hash + '\0' + password);
  {
    std::lock_guard lock(mutex_);
    if (found != users_.end() && verified_.count(cache_key) > 0) return Verdict::kAllowed;
  }
  const auto started = std::chrono::steady_clock::now();
  const auto matches = HashMatches(password, hash);
  if (!matches) return Verdict::kBusy;
  if (!*matches || found == users_.end()) {
    PadFailure(started);
    return Verdict::kRejected;
  }
  std::lock_guard lock(mutex_);
  if (verified_.size() >= kMaxCachedCredentials) verified_.clear();
  verified_.insert(cache_key);
  return Verdict::kAllowed;
}

Verdict BasicAuthVerifier::VerifyHeader(std::string_view authorization_header) {
  auto credentials = ParseBasicAuthorization(authorization_header);
  if (!credentials) return Verdict::kRejected;
  return Verify(credentials->first, credentials->second);
}

}  // namespace medic::web
