// Any bytes as a followed log: cut into lines by LineSplitter in input-chosen chunks, each line
// matched against the default rules and its offender extracted into a TopKCounter, as the logs
// collector does. Checks, besides "no crash": chunking never changes the lines (a one-shot
// reference split agrees), no line is longer than the cap or holds a '\n', and an offender is a
// piece of its own line.
#include "medic/logs/line_splitter.h"
#include "medic/logs/rule_matcher.h"
#include "medic/logs/top_k.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Split {
  std::vector<std::string> lines;
  std::size_t overlong = 0;
};

// What the splitter must produce: every '\n'-terminated piece, then the unterminated tail as
// Flush() hands it out; pieces over the cap only counted.
Split ReferenceSplit(std::string_view data, std::size_t max_line_bytes) {
  Split split;
  while (!data.empty()) {
    const std::size_t newline = data.find('\n');
    const std::string_view piece = data.substr(0, newline);
    data = newline == std::string_view::npos ? std::string_view() : data.substr(newline + 1);
    if (piece.size() > max_line_bytes) {
      ++split.overlong;
    } else if (!piece.empty() || newline != std::string_view::npos) {
      split.lines.emplace_back(piece);
    }
  }
  return split;
}

const medic::logs::RuleMatcher& DefaultMatcher() {
  static const medic::logs::RuleMatcher matcher({});
  return matcher;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Byte 0 picks a small line cap so overlong lines are common; byte 1 the chunk sizes.
  const std::size_t max_line_bytes = 1 + data[0] % 128;
  const std::size_t chunk_seed = data[1];
  const std::string_view log(reinterpret_cast<const char*>(data) + 2, size - 2);

  const medic::logs::RuleMatcher& matcher = DefaultMatcher();
  medic::logs::TopKCounter offenders(3);
  std::vector<int> matched;
  Split split;
  auto on_line = [&](std::string_view line) {
    if (line.size() > max_line_bytes || line.find('\n') != std::string_view::npos) std::abort();
    split.lines.emplace_back(line);
    if (!matcher.Match(line, matched)) return;
    for (const int index : matched) {
      const auto rule = static_cast<std::size_t>(index);
      if (rule >= matcher.rules().size()) std::abort();
      if (!matcher.HasOffenderCapture(rule)) continue;
      if (const auto offender = matcher.Offender(rule, line)) {
        if (offender->data() < line.data() ||
            offender->data() + offender->size() > line.data() + line.size()) {
          std::abort();
        }
        offenders.Add(*offender);
      }
    }
  };
  auto on_overlong = [&] { ++split.overlong; };

  medic::logs::LineSplitter splitter(max_line_bytes);
  std::size_t offset = 0;
  for (std::size_t round = 0; offset < log.size(); ++round) {
    const std::size_t chunk = 1 + (chunk_seed * (round + 1) + round) % 97;
    const std::string_view piece = log.substr(offset, chunk);
    // Feed from a private copy: held partial lines must not point into a caller's old buffer.
    const std::string copy(piece);
    splitter.Feed(copy, on_line, on_overlong);
    offset += piece.size();
  }
  splitter.Flush(on_line);

  const Split expected = ReferenceSplit(log, max_line_bytes);
  if (split.lines != expected.lines || split.overlong != expected.overlong) std::abort();
  if (offenders.Top().size() > offenders.k()) std::abort();
  return 0;
}
