// Any bytes as an exporter-toolkit web config: a WebConfigFile or a ConfigError, nothing else;
// and any bytes as an Authorization header must not crash the basic-auth parser.
#include "medic/config_node.h"
#include "medic/web/basic_auth.h"
#include "medic/web_config.h"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    medic::ParseWebConfigText(text, "web.yml");
  } catch (const medic::ConfigError&) {
  }
  medic::web::ParseBasicAuthorization(text);
  medic::web::ParseBasicAuthorization("Basic " + text);
  return 0;
}
