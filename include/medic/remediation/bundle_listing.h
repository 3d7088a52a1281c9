#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace medic::remediation {

// The diagnostics bundles under <data_dir>/diagnostics, newest first, for
// GET /api/v1/diagnostics: {"directory": "...", "bundles": [{"name", "created_at",
// "files": [{"name", "bytes"}], "archive": "<name>.tar.gz" | null, "archive_bytes"}]}.
// A missing directory is an empty listing; an unreadable one throws std::runtime_error.
nlohmann::json ListDiagnosticsBundles(const std::string& data_dir);

// The path of bundle `name`'s archive, only if `name` is exactly one listed bundle that has an
// archive: a request can never name a file outside the diagnostics directory.
std::optional<std::string> DiagnosticsArchivePath(const std::string& data_dir,
                                                  const std::string& name);

}  // namespace medic::remediation
