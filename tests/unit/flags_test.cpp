#include "medic/flags.h"

#include <doctest/doctest.h>

TEST_CASE("flags use the ecosystem's spelling, with = or a separate value") {
  const auto flags = medic::ParseFlags({"--config.file=/etc/medic.yml", "--web.listen-address",
                                        "127.0.0.1:1234", "--log.format=json", "--collector.redis",
                                        "--no-collector.filesystem", "--dry-run"});
  CHECK(flags.config_file == "/etc/medic.yml");
  CHECK(flags.listen_address == "127.0.0.1:1234");
  CHECK(flags.log_format == "json");
  CHECK(flags.collectors.at("redis"));
  CHECK_FALSE(flags.collectors.at("filesystem"));
  CHECK(flags.dry_run);
}

TEST_CASE("bad flags are refused clearly") {
  CHECK_THROWS_WITH(medic::ParseFlags({"--bogus"}), "unknown flag --bogus (see --help)");
  CHECK_THROWS_WITH(medic::ParseFlags({"--config.file"}), "flag --config.file needs a value");
  CHECK_THROWS_WITH(medic::ParseFlags({"--collector.nosuch"}), "unknown collector \"nosuch\"");
  CHECK_THROWS_WITH(medic::ParseFlags({"--version=yes"}), "flag --version takes no value");
}

TEST_CASE("positional arguments are kept for subcommands") {
  const auto flags = medic::ParseFlags({"check", "--config.file", "x.yml"});
  CHECK(flags.positional == std::vector<std::string>{"check"});
}
