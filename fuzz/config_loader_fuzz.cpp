// Any bytes as a config file: either a Config or a ConfigError, never a crash or another exception.
#include "medic/config_loader.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    medic::LoadConfigText(text, "fuzz.yml");
  } catch (const medic::ConfigError&) {
  }
  return 0;
}
