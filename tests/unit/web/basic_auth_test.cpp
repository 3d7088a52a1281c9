#include "medic/web/basic_auth.h"

#include <crypt.h>
#include <doctest/doctest.h>

#include <algorithm>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

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
  auto parsed = medic::web::ParseBasicAuthorization("Basic YWxpY2U6czNjcjp0");  // alice:s3cr:t
  REQUIRE(parsed);
  CHECK(parsed->first == "alice");
  CHECK(parsed->second == "s3cr:t");
  CHECK_FALSE(medic::web::ParseBasicAuthorization("Bearer abc"));
  CHECK_FALSE(medic::web::ParseBasicAuthorization("Basic !!!!"));
  CHECK_FALSE(medic::web::ParseBasicAuthorization("Basic bm9jb2xvbg=="));  // "nocolon"
  CHECK_FALSE(medic::web::ParseBasicAuthorization(""));
}

TEST_CASE("bcrypt hashes verify through crypt_r; wrong users and passwords do not") {
  using medic::web::Verdict;
  medic::web::BasicAuthVerifier verifier({{"alice", Bcrypt("correct horse")}});
  CHECK(verifier.Verify("alice", "correct horse") == Verdict::kAllowed);
  CHECK(verifier.Verify("alice", "correct horse") == Verdict::kAllowed);  // cached path
  CHECK(verifier.Verify("alice", "wrong") == Verdict::kRejected);
  CHECK(verifier.Verify("mallory", "correct horse") == Verdict::kRejected);
  CHECK(verifier.Verify("alice", "") == Verdict::kRejected);
  CHECK(verifier.VerifyHeader("Basic bWFsbG9yeTp4") == Verdict::kRejected);
  // crypt_r stops at a NUL: "correct horse\0junk" must not pass for "correct horse", cached or not.
  CHECK(verifier.Verify("alice", std::string("correct horse\0junk", 18)) == Verdict::kRejected);
  medic::web::BasicAuthVerifier fresh({{"alice", Bcrypt("correct horse")}});
  CHECK(fresh.Verify("alice", std::string("correct horse\0junk", 18)) == Verdict::kRejected);
  CHECK(fresh.Verify(std::string("alice\0x", 7), "correct horse") == Verdict::kRejected);
}

TEST_CASE("an unknown user costs a bcrypt at the configured cost; hashing is bounded") {
  using medic::web::Verdict;
  using Clock = std::chrono::steady_clock;
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", 10, nullptr, 0, salt, sizeof(salt)) != nullptr);
  auto data = std::make_unique<crypt_data>();
  const std::string cost10 = crypt_r("pw", salt, data.get());
  medic::web::BasicAuthVerifier verifier({{"alice", cost10}},
                                         {.max_concurrent_hashes = 1, .max_waiting = 1});
  const auto time = [&](const std::string& user) {
    const auto start = Clock::now();
    CHECK(verifier.Verify(user, "nope") == Verdict::kRejected);
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  const double known = time("alice") + time("alice");
  const double unknown = time("mallory") + time("mallory");
  INFO("known " << known << " s, unknown " << unknown << " s");
  CHECK(unknown > known * 0.6);
  CHECK(unknown < known * 1.6);

  // One hashing, one waiting: a third concurrent check is told to come back, at once.
  std::vector<std::thread> threads;
  threads.reserve(6);
  std::atomic<int> busy{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      if (verifier.Verify("alice", "wrong") == Verdict::kBusy) ++busy;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(busy >= 1);
  CHECK(busy <= 4);
  CHECK(verifier.Verify("alice", "pw") == Verdict::kAllowed);
}

TEST_CASE("users of different costs answer a wrong password in the same time as an unknown user") {
  using medic::web::Verdict;
  using Clock = std::chrono::steady_clock;
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  auto data = std::make_unique<crypt_data>();
  REQUIRE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof(salt)) != nullptr);
  const std::string cheap = crypt_r("pw", salt, data.get());
  REQUIRE(crypt_gensalt_rn("$2b$", 10, nullptr, 0, salt, sizeof(salt)) != nullptr);
  const std::string dear = crypt_r("pw", salt, data.get());
  medic::web::BasicAuthVerifier verifier({{"cheap", cheap}, {"dear", dear}});
  const auto time = [&](const std::string& user) {
    const auto start = Clock::now();
    CHECK(verifier.Verify(user, "nope") == Verdict::kRejected);
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  // The fastest of several answers: load on the machine only ever adds time, and a sum let one
  // slowed unknown-user hash under a parallel test run outweigh the padded answers.
  double cheap_seconds = 1e9;
  double unknown_seconds = 1e9;
  for (int i = 0; i < 5; ++i) {
    cheap_seconds = std::min(cheap_seconds, time("cheap"));
    unknown_seconds = std::min(unknown_seconds, time("nobody"));
  }
  INFO("cost-5 user " << cheap_seconds << " s, unknown user " << unknown_seconds << " s");
  CHECK(cheap_seconds > unknown_seconds * 0.7);
  CHECK(verifier.Verify("cheap", "pw") == Verdict::kAllowed);
}
