#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace medic::web {

// Decodes an "Authorization: Basic ..." header value into user and password.
std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header);

enum class Verdict {
  kAllowed,
  kRejected,  // wrong, missing or malformed credentials
  kBusy,      // every bcrypt slot and waiting place is taken: try again in a second
};

// Checks basic-auth credentials against bcrypt hashes with libcrypt's crypt_r. bcrypt is slow on
// purpose (~250 ms at cost 12), so:
// - verified credentials are cached by their SHA-256, as exporter-toolkit does (bounded);
// - at most `max_concurrent_hashes` run at once and `max_waiting` wait for a slot; beyond that
//   the answer is kBusy at once, so wrong passwords cannot take every core from the scrapes;
// - an unknown user is hashed against a dummy hash of the highest configured cost, and a wrong
//   password of a user with a cheaper hash is answered no sooner than that, so a user list
//   cannot be read from answer times;
// - a password holding a NUL is refused (crypt_r would stop at it and accept "right\0junk").
class BasicAuthVerifier {
 public:
  struct Limits {
    std::size_t max_concurrent_hashes = 1;
    std::size_t max_waiting = 4;
  };
  explicit BasicAuthVerifier(std::map<std::string, std::string> users);
  BasicAuthVerifier(std::map<std::string, std::string> users, Limits limits);
  bool Enabled() const { return !users_.empty(); }
  Verdict Verify(const std::string& user, const std::string& password);
  Verdict VerifyHeader(std::string_view authorization_header);
  // Whether the header holds credentials at all (a missing header is not a failed login).
  static bool HasCredentials(std::string_view authorization_header);

 private:
  // Runs crypt_r inside a slot; nullopt when no slot or waiting place is free.
  std::optional<bool> HashMatches(const std::string& password, const std::string& hash);
  void PadFailure(std::chrono::steady_clock::time_point started) const;

  std::map<std::string, std::string> users_;
  std::string dummy_hash_;
  // How long one check at the highest configured cost took (measured on the dummy hash).
  std::chrono::steady_clock::duration slowest_check_{};
  Limits limits_;
  std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::size_t hashing_ = 0;         // guarded by mutex_
  std::size_t waiting_ = 0;         // guarded by mutex_
  std::set<std::string> verified_;  // SHA-256 of user:hash:password, guarded by mutex_
};

}  // namespace medic::web
