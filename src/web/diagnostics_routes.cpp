#include "medic/web/diagnostics_routes.h"
#include "medic/json_text.h"

#include "medic/remediation/bundle_listing.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace medic::web {
namespace {

// Bundles are logs and JSON, a few MiB at most; refuse to load a file someone grew by hand.
constexpr std::uintmax_t kMaxArchiveBytes = 64ull << 20;

void JsonError(net::Response& res, int status, const std::string& message) {
  res.status = status;
  res.SetContent(JsonText(nlohmann::json{{"error", message}}), "application/json");
}

}  // namespace

void RegisterDiagnosticsRoutes(net::HttpServer& server,
                               const std::function<std::string()>& data_dir) {
  server.Handle("GET", "/api/v1/diagnostics", [data_dir](const net::Request&, net::Response& res) {
    res.SetHeader("Cache-Control", "no-store");
    try {
      res.SetContent(JsonText(remediation::ListDiagnosticsBundles(data_dir())), "application/json");
    } catch (const std::exception& error) {
      JsonError(res, 503, error.what());
    }
  });
  server.Handle(
      "GET", "/api/v1/diagnostics/archive",
      [data_dir](const net::Request& req, net::Response& res) {
        const std::string name = req.Param("name");
        std::optional<std::string> path;
        try {
          path = remediation::DiagnosticsArchivePath(data_dir(), name);
        } catch (const std::exception& error) {
          JsonError(res, 503, error.what());
          return;
        }
        if (!path) {
          JsonError(res, 404, "no diagnostics bundle archive named \"" + name + "\"");
          return;
        }
        std::error_code error;
        const auto size = std::filesystem::file_size(*path, error);
        if (error || size > kMaxArchiveBytes) {
          JsonError(res, 503,
                    "cannot serve " + *path + (error ? ": " + error.message() : ": too large"));
          return;
        }
        std::ifstream in(*path, std::ios::binary);
        std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) {
          JsonError(res, 503, "cannot read " + *path);
          return;
        }
        res.SetHeader("Content-Disposition", "attachment; filename=\"" + name + ".tar.gz\"");
        res.SetHeader("X-Content-Type-Options", "nosniff");
        res.SetContent(body, "application/gzip");
      });
}

}  // namespace medic::web
