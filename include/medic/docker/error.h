#pragma once

#include <stdexcept>
#include <string>

namespace medic::docker {

// Every failure of a Docker Engine API call: transport (socket missing, permission denied,
// timeout: http_status 0), an engine error (4xx/5xx with the engine's `message`), or a body
// that could not be decoded (truncated, not JSON, wrong shape: http_status of the response).
class DockerError : public std::runtime_error {
 public:
  DockerError(int http_status, std::string message)
      : std::runtime_error(Describe(http_status, message)),
        http_status_(http_status),
        message_(std::move(message)) {}

  int http_status() const { return http_status_; }
  // The engine's `message` (or the transport/decoding reason), without the status prefix.
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return http_status_ == 404; }
  bool IsTransport() const { return http_status_ == 0; }

 private:
  static std::string Describe(int http_status, const std::string& message) {
    if (http_status == 0) return "docker: " + message;
    return "docker: HTTP " + std::to_string(http_status) + ": " + message;
  }
  int http_status_;
  std::string message_;
};

}  // namespace medic::docker
