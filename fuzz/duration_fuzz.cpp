// Durations parse or are refused; what parses formats back to the same value.
#include "medic/duration.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (const auto parsed = medic::ParseDuration(text)) {
    const auto again = medic::ParseDuration(medic::FormatDuration(*parsed));
    if (!again || *again != *parsed) std::abort();
  }
  return 0;
}
