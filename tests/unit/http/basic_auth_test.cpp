#include "medic/http/basic_auth.h"

#include <crypt.h>
#include <doctest/doctest.h>

#include <chrono>
#include <memory>

namespace {

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof(salt)) != nullptr);
  auto data = std::make_unique<crypt_data>();
  const char* hash = crypt_r(password.c_str(), salt, data.get());
  REQUIRE(hash != nullptr);
  return hash;
}

}  // namespace

TEST_CASE("basic auth header parsing") {
  auto parsed = medic::http::ParseBasicAuthorization("Basic YWxpY2U6czNjcjp0");  // alice:s3cr:t
  REQUIRE(parsed);
  CHECK(parsed->first == "alice");
  CHECK(parsed->second == "s3cr:t");
  CHECK_FALSE(medic::http::ParseBasicAuthorization("Bearer abc"));
  CHECK_FALSE(medic::http::ParseBasicAuthorization("Basic !!!!"));
  CHECK_FALSE(medic::http::ParseBasicAuthorization("Basic bm9jb2xvbg=="));  // "nocolon"
  CHECK_FALSE(medic::http::ParseBasicAuthorization(""));
}

TEST_CASE("bcrypt hashes verify through crypt_r; wrong users and passwords do not") {
  medic::http::BasicAuthVerifier verifier({{"alice", Bcrypt("correct horse")}});
  CHECK(verifier.Verify("alice", "correct horse"));
  CHECK(verifier.Verify("alice", "correct horse"));  // cached path
  CHECK_FALSE(verifier.Verify("alice", "wrong"));
  CHECK_FALSE(verifier.Verify("mallory", "correct horse"));
  CHECK_FALSE(verifier.Verify("alice", ""));
  CHECK_FALSE(verifier.VerifyHeader("Basic bWFsbG9yeTp4"));
}
