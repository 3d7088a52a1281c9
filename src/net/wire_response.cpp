#include "medic/net/wire_response.h"

#include "medic/net/field_text.h"
#include "medic/net/gzip.h"

#include <spdlog/spdlog.h>

namespace medic::net {
namespace http = boost::beast::http;

namespace {

// Compressing a few hundred bytes costs more than it saves.
constexpr std::size_t kMinGzipBytes = 512;

bool IsFraming(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
         EqualsIgnoreCase(name, "Transfer-Encoding");
}

WireResponse Frame(Response& response, bool keep_alive, bool http10, bool head_only) {
  WireResponse wire;
  wire.version(11);
  wire.result(static_cast<unsigned>(response.status));
  wire.reason(StatusText(response.status));
  for (const auto& [name, value] : response.headers) {
    if (!IsFraming(name)) wire.insert(name, value);
  }
  wire.set(http::field::content_length, std::to_string(response.body.size()));
  if (!keep_alive) {
    wire.set(http::field::connection, "close");
  } else if (http10) {
    wire.set(http::field::connection, "keep-alive");
  }
  if (!head_only) wire.body() = std::move(response.body);
  return wire;
}

}  // namespace

WireResponse ToWire(const Request& request, Response response, bool keep_alive) {
  const std::string content_type = HeaderValue(response.headers, "Content-Type");
  if (IsCompressible(content_type) || response.HasHeader("Content-Encoding")) {
    response.headers.emplace("Vary", "Accept-Encoding");
  }
  if (response.body.size() >= kMinGzipBytes && !response.HasHeader("Content-Encoding") &&
      IsCompressible(content_type) && AcceptsGzip(request.Header("Accept-Encoding"))) {
    try {
      response.body = GzipCompress(response.body);
      response.SetHeader("Content-Encoding", "gzip");
    } catch (const std::exception& error) {
      spdlog::warn("http: sending {} uncompressed: {}", request.path, error.what());
    }
  }
  return Frame(response, keep_alive, request.version == "HTTP/1.0", request.method == "HEAD");
}

std::string ErrorBody(int status) {
  // The reason phrase in lower case, as Go's net/http writes it; Prometheus users know
  // "404 page not found" from every Go exporter.
  const std::string reason = status == 404 ? "page not found" : AsciiLowercase(StatusText(status));
  return std::to_string(status) + " " + reason + "\n";
}

WireResponse RefusalResponse(int status, bool http10) {
  Response response;
  response.status = status;
  response.SetContent(ErrorBody(status), "text/plain; charset=utf-8");
  return Frame(response, false, http10, false);
}

}  // namespace medic::net
