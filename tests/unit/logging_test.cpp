#include "medic/logging.h"
#include "medic/web/html.h"

#include "medic/unique_fd.h"

#include "support/test_support.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <functional>
#include <sstream>
#include <vector>

TEST_CASE("log strings cannot break out of their quotes or lines") {
  CHECK(medic::EscapeLogString("a \"quoted\"\nline\\") == "a \\\"quoted\\\"\\nline\\\\");
  CHECK(medic::EscapeLogString(std::string("nul\0byte", 8)) == "nul\\u0000byte");
}

TEST_CASE("HTML escaping covers element and attribute contexts") {
  CHECK(medic::web::HtmlEscape("<script>alert('x')</script> & \"") ==
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;");
}

TEST_CASE("unknown log settings are refused") {
  CHECK_THROWS(medic::ConfigureLogging("verbose", "logfmt"));
  CHECK_THROWS(medic::ConfigureLogging("info", "xml"));
  CHECK_NOTHROW(medic::ConfigureLogging("info", "json"));
}

namespace {

// Runs `log` with stderr pointed at a temporary file and returns what was written there.
std::string CaptureStderr(const std::function<void()>& log) {
  medic::test::TempDir dir;
  const std::string path = dir.Join("stderr.log");
  std::fflush(stderr);
  const medic::UniqueFd saved(::dup(STDERR_FILENO));
  REQUIRE(saved.get() >= 0);
  {
    const medic::UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
    REQUIRE(file.get() >= 0);
    REQUIRE(::dup2(file.get(), STDERR_FILENO) >= 0);
  }
  log();
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  ::dup2(saved.get(), STDERR_FILENO);
  return medic::test::ReadFile(path);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("json format: one parseable object per line, fields intact, level honoured") {
  const std::string hostile = "quote \" backslash \\ newline\nnext\ttab nul" +
                              std::string(1, '\0') + " bell\x07 snowman \xe2\x98\x83";
  const std::string output = CaptureStderr([&] {
    medic::ConfigureLogging("info", "json");
    spdlog::debug("hidden below the level");
    spdlog::info("first {}", 1);
    spdlog::warn("{}", hostile);
  });
  const auto lines = Lines(output);
  INFO(output);
  REQUIRE(lines.size() == 2);  // the debug line is filtered, the newline in the message escaped
  const auto first = nlohmann::json::parse(lines[0]);
  CHECK(first["level"] == "info");
  CHECK(first["msg"] == "first 1");
  const std::string ts = first["ts"].get<std::string>();
  CHECK(ts.size() == 24);  // 2026-12-01T09:00:00.123Z
  CHECK(ts.back() == 'Z');
  CHECK(ts[10] == 'T');
  const auto second = nlohmann::json::parse(lines[1]);
  CHECK(second["level"] == "warning");
  CHECK(second["msg"] == hostile);  // every byte survives the round trip
  CHECK(second.size() == 3);
}

TEST_CASE("logfmt format: one line per message, the message quoted and escaped") {
  const std::string output = CaptureStderr([] {
    medic::ConfigureLogging("debug", "logfmt");
    spdlog::debug("a \"b\"\nc");
  });
  const auto lines = Lines(output);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" level=debug msg=\"a \\\"b\\\"\\nc\"") != std::string::npos);
  CHECK(lines[0].rfind("ts=", 0) == 0);
  medic::ConfigureLogging("info", "logfmt");
}
