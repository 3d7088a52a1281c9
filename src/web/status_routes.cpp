#include "medic/web/status_routes.h"
#include "medic/json_text.h"

namespace medic::web {

void RegisterStatusRoutes(net::HttpServer& server,
                          const std::function<StatusPageModel()>& build_model) {
  server.Handle("GET", "/", [build_model](const net::Request&, net::Response& res) {
    res.SetHeader("Content-Security-Policy", std::string(StatusPageContentSecurityPolicy()));
    res.SetHeader("Cache-Control", "no-store");
    res.SetHeader("X-Content-Type-Options", "nosniff");
    res.SetHeader("Referrer-Policy", "no-referrer");
    res.SetContent(RenderStatusPage(build_model()), "text/html; charset=utf-8");
  });
  server.Handle("GET", "/api/v1/status", [build_model](const net::Request&, net::Response& res) {
    res.SetHeader("Cache-Control", "no-store");
    res.SetContent(JsonText(StatusJson(build_model())), "application/json");
  });
  server.Handle(
      "GET", std::string(kStatusStylesheetPath),
      [](const net::Request&, net::Response& res) {
        res.SetHeader("Cache-Control", "max-age=300");
        res.SetHeader("X-Content-Type-Options", "nosniff");
        res.SetContent(std::string(StatusStylesheet()), "text/css; charset=utf-8");
      },
      net::Access::kPublic);
}

}  // namespace medic::web
