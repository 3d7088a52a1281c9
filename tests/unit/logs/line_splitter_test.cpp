#include "medic/logs/line_splitter.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

struct Collected {
  std::vector<std::string> lines;
  int overlong = 0;
};

void Feed(medic::logs::LineSplitter& splitter, Collected& out, std::string_view data) {
  splitter.Feed(
      data, [&](std::string_view line) { out.lines.emplace_back(line); }, [&] { ++out.overlong; });
}

}  // namespace

TEST_CASE("LineSplitter cuts complete lines and holds the partial last line") {
  medic::logs::LineSplitter splitter(64);
  Collected out;
  Feed(splitter, out, "one\ntwo\nthr");
  CHECK(out.lines == std::vector<std::string>{"one", "two"});
  CHECK(splitter.pending_bytes() == 3);
  Feed(splitter, out, "ee");
  CHECK(out.lines.size() == 2);
  Feed(splitter, out, "\n\nfour\n");
  CHECK(out.lines == std::vector<std::string>{"one", "two", "three", "", "four"});
  CHECK(splitter.pending_bytes() == 0);
  CHECK(out.overlong == 0);
}

TEST_CASE("LineSplitter counts an overlong line once and resumes after its newline") {
  medic::logs::LineSplitter splitter(16);
  Collected out;
  Feed(splitter, out, "short\n");
  // 10 MB without a newline, in chunks: counted once, memory stays bounded.
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 160; ++i) Feed(splitter, out, chunk);
  CHECK(out.overlong == 1);
  CHECK(splitter.pending_bytes() == 0);
  CHECK(splitter.skipping());
  Feed(splitter, out, "tail-of-long\nnext\n");
  CHECK(out.lines == std::vector<std::string>{"short", "next"});
  CHECK(out.overlong == 1);
  // A complete overlong line within one chunk, and one built from held pieces.
  Feed(splitter, out, std::string(17, 'y') + "\n");
  Feed(splitter, out, std::string(10, 'z'));
  Feed(splitter, out, std::string(10, 'z') + "\nok\n");
  CHECK(out.overlong == 3);
  CHECK(out.lines.back() == "ok");
  // Exactly max_line_bytes is fine.
  Feed(splitter, out, std::string(16, 'a') + "\n");
  CHECK(out.lines.back() == std::string(16, 'a'));
}

TEST_CASE("LineSplitter passes NUL bytes and invalid UTF-8 through") {
  medic::logs::LineSplitter splitter(64);
  Collected out;
  const std::string junk("a\0b\xff\xfe\xc3(\n", 8);
  Feed(splitter, out, junk);
  REQUIRE(out.lines.size() == 1);
  CHECK(out.lines[0] == std::string("a\0b\xff\xfe\xc3(", 7));
}

TEST_CASE("LineSplitter Flush hands out the held line and Reset forgets it") {
  medic::logs::LineSplitter splitter(64);
  Collected out;
  Feed(splitter, out, "partial");
  splitter.Flush([&](std::string_view line) { out.lines.emplace_back(line); });
  CHECK(out.lines == std::vector<std::string>{"partial"});
  Feed(splitter, out, "gone");
  splitter.Reset();
  Feed(splitter, out, "x\n");
  CHECK(out.lines.back() == "x");
}
