#include "medic/remediation/bundle_listing.h"

#include "medic/remediation/diagnostics.h"
#include "support/test_support.h"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <filesystem>

using medic::remediation::DiagnosticsArchivePath;
using medic::remediation::ListDiagnosticsBundles;
using medic::test::TempDir;

namespace {

medic::remediation::DiagnosticsResult WriteBundle(const TempDir& dir, const std::string& target) {
  medic::remediation::DiagnosticsRequest request;
  request.data_dir = dir.path();
  request.remediation = "high-error-rate";
  request.target = target;
  request.alert_json = R"({"labels":{"alertname":"HighErrorRate"}})";
  // No engine: the engine parts become "error: ..." files; the bundle and archive still exist.
  return medic::remediation::WriteDiagnosticsBundle(request, nullptr, [] { return "up 1\n"; });
}

}  // namespace

TEST_CASE("no diagnostics directory yet: an empty listing, not an error") {
  TempDir dir;
  const auto listing = ListDiagnosticsBundles(dir.path());
  CHECK(listing["bundles"].empty());
  CHECK(listing["directory"] == dir.path() + "/diagnostics");
}

TEST_CASE("bundles written by the diagnostics step are listed newest first with their files") {
  TempDir dir;
  const auto first = WriteBundle(dir, "review-bot");
  std::filesystem::rename(first.bundle_dir, dir.path() + "/diagnostics/20200101T000000Z-old");
  std::filesystem::rename(first.archive_path,
                          dir.path() + "/diagnostics/20200101T000000Z-old.tar.gz");
  const auto second = WriteBundle(dir, "review-bot");
  const auto listing = ListDiagnosticsBundles(dir.path());
  REQUIRE(listing["bundles"].size() == 2);
  const auto& newest = listing["bundles"][0];
  CHECK(newest["name"] == std::filesystem::path(second.bundle_dir).filename().string());
  CHECK(newest["archive"] == newest["name"].get<std::string>() + ".tar.gz");
  CHECK(newest["archive_bytes"].get<std::uintmax_t>() > 0);
  CHECK(newest["created_at"].get<double>() > 1.7e9);
  std::vector<std::string> files;
  for (const auto& file : newest["files"]) files.push_back(file["name"]);
  CHECK(std::find(files.begin(), files.end(), "alert.json") != files.end());
  CHECK(std::find(files.begin(), files.end(), "metrics.txt") != files.end());
  CHECK(listing["bundles"][1]["name"] == "20200101T000000Z-old");
}

TEST_CASE("an archive is served only for a listed bundle name, never a path") {
  TempDir dir;
  const auto bundle = WriteBundle(dir, "review-bot");
  const std::string name = std::filesystem::path(bundle.bundle_dir).filename().string();
  REQUIRE(DiagnosticsArchivePath(dir.path(), name) == bundle.archive_path);
  dir.Write("secret.tar.gz", "not a bundle");
  CHECK_FALSE(DiagnosticsArchivePath(dir.path(), "../secret"));
  CHECK_FALSE(DiagnosticsArchivePath(dir.path(), ".."));
  CHECK_FALSE(DiagnosticsArchivePath(dir.path(), ""));
  CHECK_FALSE(DiagnosticsArchivePath(dir.path(), name + "/../" + name));
  CHECK_FALSE(DiagnosticsArchivePath(dir.path(), "no-such-bundle"));
  std::filesystem::remove(bundle.archive_path);
  CHECK_FALSE(DiagnosticsArchivePath(dir.path(), name));  // bundle without archive
}

TEST_CASE("an unreadable diagnostics directory is an error naming it") {
  if (geteuid() == 0) {
    // root reads any directory; make it a file instead so iteration fails.
    TempDir dir;
    dir.Write("diagnostics", "not a directory");
    const std::string where = dir.path() + "/diagnostics";
    CHECK_THROWS_WITH(ListDiagnosticsBundles(dir.path()), doctest::Contains(where.c_str()));
    return;
  }
  TempDir dir;
  std::filesystem::create_directory(dir.path() + "/diagnostics");
  ::chmod((dir.path() + "/diagnostics").c_str(), 0);
  const std::string where = dir.path() + "/diagnostics";
  CHECK_THROWS_WITH(ListDiagnosticsBundles(dir.path()), doctest::Contains(where.c_str()));
}
