#pragma once

#include <string>

namespace medic::remediation {

// Writes `directory`'s regular files (one level) into a ustar archive compressed with gzip at
// `archive_path`, entries named "<basename of directory>/<file>". Throws std::runtime_error.
void WriteTarGz(const std::string& directory, const std::string& archive_path);

}  // namespace medic::remediation
