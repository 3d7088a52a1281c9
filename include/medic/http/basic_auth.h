#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace medic::http {

// Decodes an "Authorization: Basic ..." header value into user and password.
std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header);

// Checks basic-auth credentials against bcrypt hashes with libcrypt's crypt_r. bcrypt is slow on
// purpose (~50 ms at cost 10), so verified credentials are cached by their SHA-256, as
// exporter-toolkit does; the cache is bounded.
class BasicAuthVerifier {
 public:
  explicit BasicAuthVerifier(std::map<std::string, std::string> users);
  bool Enabled() const { return !users_.empty(); }
  bool Verify(const std::string& user, const std::string& password);
  bool VerifyHeader(std::string_view authorization_header);

 private:
  std::map<std::string, std::string> users_;
  std::mutex mutex_;
  std::set<std::string> verified_;  // SHA-256 of user:hash:password, guarded by mutex_
};

}  // namespace medic::http
