#pragma once

#include "medic/config.h"
#include "medic/config_node.h"

#include <string>
#include <string_view>

namespace medic {

// The configuration medic runs on when no file is given: the root filesystem and medic itself
// on 127.0.0.1:9469. Works on a machine with no Docker, Redis or TLS endpoints.
std::string_view EmbeddedDefaultConfigText();

// Parse and validate. Throws ConfigError naming source, line, column and key path.
Config LoadConfigText(const std::string& text, const std::string& source_name);
Config LoadConfigFile(const std::string& path);
Config LoadDefaultConfig();

}  // namespace medic
