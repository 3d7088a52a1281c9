#include "medic/http/status_routes.h"

namespace medic::http {

void RegisterStatusRoutes(HttpServer& server, std::function<StatusPageModel()> build_model) {
  server.Handle("GET", "/", [build_model](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy", std::string(StatusPageContentSecurityPolicy()));
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_content(RenderStatusPage(build_model()), "text/html; charset=utf-8");
  });
  server.Handle(
      "GET", "/api/v1/status", [build_model](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "no-store");
        res.set_content(StatusJson(build_model())
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        "application/json");
      });
  server.Handle(
      "GET", std::string(kStatusStylesheetPath),
      [](const httplib::Request&, httplib::Response& res) {
        res.set_header("Cache-Control", "max-age=300");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_content(std::string(StatusStylesheet()), "text/css; charset=utf-8");
      },
      Access::kPublic);
}

}  // namespace medic::http
