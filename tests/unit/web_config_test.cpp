#include "medic/web_config.h"
#include "medic/config_node.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

TEST_CASE("web config: users with bcrypt hashes and headers") {
  const auto config = medic::ParseWebConfigText(
      "basic_auth_users:\n  alice: $2y$10$abcdefghijklmnopqrstuv\nhttp_server_config:\n"
      "  headers: {X-Frame-Options: DENY}\n",
      "web.yml");
  CHECK(config.basic_auth_users.at("alice").rfind("$2y$", 0) == 0);
  CHECK(config.headers.at("X-Frame-Options") == "DENY");
  CHECK_FALSE(config.tls_enabled);
}

TEST_CASE("web config errors name the key") {
  CHECK_THROWS_WITH(medic::ParseWebConfigText("basic_auth_users:\n  bob: plaintext\n", "w.yml"),
                    doctest::Contains("must be a bcrypt hash"));
  CHECK_THROWS_WITH(medic::ParseWebConfigText("tls_server_config:\n  cert_file: /nonexistent\n"
                                              "  key_file: /nonexistent\n",
                                              "w.yml"),
                    doctest::Contains("w.yml:2:14: tls_server_config.cert_file: cannot read"));
  CHECK_THROWS_WITH(medic::ParseWebConfigText("tls_config: {}\n", "w.yml"),
                    doctest::Contains("unknown key \"tls_config\""));
  medic::test::TempDir dir;
  dir.Write("c.pem", "x");
  CHECK_THROWS_WITH(medic::ParseWebConfigText(
                        "tls_server_config:\n  cert_file: " + dir.Join("c.pem") +
                            "\n  key_file: " + dir.Join("c.pem") + "\n  min_version: SSL3\n",
                        "w.yml"),
                    doctest::Contains("unknown TLS version \"SSL3\""));
}

TEST_CASE("web config: a bcrypt cost above 14 and an empty file are refused") {
  const std::string cost31 =
      "basic_auth_users:\n  eve: '$2b$31$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234'\n";
  try {
    medic::ParseWebConfigText(cost31, "web.yml");
    FAIL("cost 31 accepted");
  } catch (const medic::ConfigError& error) {
    CHECK(std::string(error.what()).find("bcrypt cost 31 is outside 4..14") != std::string::npos);
    CHECK(std::string(error.what()).find("eve") != std::string::npos);
  }
  for (const char* empty : {"", "  \n\n"}) {
    try {
      medic::ParseWebConfigText(empty, "web.yml");
      FAIL("an empty web config accepted");
    } catch (const medic::ConfigError& error) {
      CHECK(std::string(error.what()).find("empty") != std::string::npos);
    }
  }
  CHECK(medic::ParseWebConfigText("{}\n", "web.yml").basic_auth_users.empty());
}
