#include "medic/logs/offset_state.h"

#include "support/test_support.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

using medic::logs::FileOffset;
using medic::logs::OffsetMap;
using medic::logs::OffsetStateFile;

TEST_CASE("OffsetStateFile round-trips offsets and replaces the file atomically") {
  medic::test::TempDir dir;
  const OffsetStateFile state(dir.Join("offsets.json"));
  CHECK(state.Load().empty());  // missing file
  OffsetMap offsets;
  offsets["app"] = FileOffset{64769, 1234567, 42, true, "", ""};
  offsets["bot"] = FileOffset{0, 0, 0, false, "abc123", "2026-11-29T03:00:00.123456789Z"};
  state.Save(offsets);
  CHECK(state.Load() == offsets);
  offsets["app"].offset = 4096;
  state.Save(offsets);
  CHECK(state.Load() == offsets);
  struct stat info {};
  CHECK(::stat(dir.Join("offsets.json.tmp").c_str(), &info) != 0);  // renamed away
}

TEST_CASE("OffsetStateFile ignores a corrupt file and reports unwritable paths") {
  medic::test::TempDir dir;
  dir.Write("offsets.json", "{not json");
  CHECK(OffsetStateFile(dir.Join("offsets.json")).Load().empty());
  dir.Write("offsets.json", "\x00\xff garbage");
  CHECK(OffsetStateFile(dir.Join("offsets.json")).Load().empty());
  dir.Write("offsets.json", R"({"sources": {"app": {"offset": "x"}}})");
  CHECK(OffsetStateFile(dir.Join("offsets.json")).Load().empty());
  CHECK_THROWS(OffsetStateFile(dir.Join("missing-dir/offsets.json")).Save({{"a", FileOffset{}}}));
}
