#include "medic/curl_library.h"

#include "medic/curl_handle.h"

#include <doctest/doctest.h>

#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

namespace {

bool MappedIntoThisProcess(const std::string& library) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(library) != std::string::npos;
}

}  // namespace

// One process per test file (tests/CMakeLists.txt), so nothing before this has made an HTTP call.
TEST_CASE("libcurl and its dependencies are loaded by the first HTTP call, not at start") {
  CHECK_FALSE(medic::curl::Loaded());
  CHECK_FALSE(MappedIntoThisProcess("libcurl.so"));
  CHECK_FALSE(MappedIntoThisProcess("libgnutls.so"));

  // Concurrent first callers all get the one loaded library.
  std::vector<std::future<const medic::curl::Library*>> callers;
  for (int i = 0; i < 8; ++i) {
    callers.push_back(std::async(std::launch::async, [] { return &medic::curl::Api(); }));
  }
  const medic::curl::Library* first = callers.front().get();
  for (std::size_t i = 1; i < callers.size(); ++i) CHECK(callers[i].get() == first);

  CHECK(medic::curl::Loaded());
  CHECK(MappedIntoThisProcess("libcurl.so"));
  auto handle = medic::NewCurlEasy();
  REQUIRE(handle);
  CHECK(first->easy_setopt(handle.get(), CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK);
  CHECK(std::string(first->easy_strerror(CURLE_COULDNT_CONNECT)).find("connect") !=
        std::string::npos);
}
