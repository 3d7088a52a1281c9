#include "medic/net/request_parser.h"

#include "medic/net/field_text.h"
#include "medic/net/request_target.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>

namespace medic::net {
namespace http = boost::beast::http;
using boost::beast::error_code;

namespace {

// Field values may hold visible bytes, obs-text and tabs, never a control such as a bare CR or
// NUL that a parser behind a proxy could split on.
bool IsFieldValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

// Request targets are visible ASCII only (RFC 9112 §3.2).
bool IsTargetText(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte < 0x7f;
  });
}

// Chunk extensions are tokens, quoted strings and separators: no controls at all.
bool IsExtensionText(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

RequestParser::RequestParser(const Limits& limits) : limits_(limits) {
  header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
  // The body's cap is the route's, known only once the head is in (SetBodyLimit); until then
  // Beast must not refuse a declared length on its own.
  body_limit(boost::none);
}

std::optional<std::uint64_t> RequestParser::content_length() const {
  if (!is_header_done()) return std::nullopt;
  const auto length = basic_parser::content_length();
  if (!length) return std::nullopt;
  return *length;
}

bool RequestParser::expects_body() const { return chunked() || (content_length().value_or(0) > 0); }

void RequestParser::SetBodyLimit(std::size_t max_body_bytes) {
  limits_.max_body_bytes = max_body_bytes;
  body_limit(max_body_bytes);
}

void RequestParser::Refuse(error_code& error, int status, std::string reason) {
  refused_ = true;
  refusal_ = {status, std::move(reason)};
  error = http::error::bad_value;
}

std::optional<Refusal> RequestParser::CheckRawHead(std::string_view head) const {
  // Beast folds obsolete line continuations into the value; medic refuses them (RFC 9112 §5.2
  // allows either), since a proxy in front may read the folded line as a field of its own.
  const auto end = head.find("\r\n\r\n");
  const std::string_view fields = end == std::string_view::npos ? head : head.substr(0, end + 2);
  for (auto newline = fields.find('\n'); newline != std::string_view::npos;
       newline = fields.find('\n', newline + 1)) {
    if (newline + 1 < fields.size() &&
        (fields[newline + 1] == ' ' || fields[newline + 1] == '\t')) {
      return Refusal{400, "obsolete header line folding"};
    }
  }
  return std::nullopt;
}

Refusal RequestParser::FromParseError(const error_code& error, std::string_view head) const {
  const auto line_end = head.find('\n');
  if (error == http::error::header_limit) {
    // Beast takes the request line, then each complete field, off the input as it goes: a
    // request line it has not reported yet is the one over the limit.
    if (request_.method.empty()) return {414, "request line longer than web.max_header_bytes"};
    return {431, "request header fields larger than web.max_header_bytes"};
  }
  if (error == http::error::body_limit) return {413, "body larger than the route's cap"};
  if (error == http::error::bad_version && line_end != std::string_view::npos) {
    std::string_view line = head.substr(0, line_end);
    if (line.empty() || line.back() != '\r') return {400, "bare LF line ending"};
    line.remove_suffix(1);
    const std::string_view version = line.substr(line.rfind(' ') + 1);
    if (version.size() == 8 && version.starts_with("HTTP/") && IsDigit(version[5]) &&
        version[6] == '.' && IsDigit(version[7])) {
      return {505, "unsupported HTTP version"};
    }
    return {400, "malformed HTTP version"};
  }
  if (error == http::error::bad_transfer_encoding) {
    if (request_.HasHeader("Content-Length")) {
      return {400, "both Transfer-Encoding and Content-Length"};
    }
    return {501, "only one Transfer-Encoding: chunked is supported"};
  }
  if (error == http::error::bad_content_length) {
    if (request_.HasHeader("Transfer-Encoding")) {
      return {400, "both Transfer-Encoding and Content-Length"};
    }
    return {400, "malformed Content-Length"};
  }
  if (error == http::error::multiple_content_length) {
    return {400, "conflicting Content-Length values"};
  }
  return {400, error.message()};
}

std::size_t RequestParser::Feed(std::string_view input, Progress& progress) {
  std::size_t used = 0;
  if (!started_) {
    // Empty lines before a request line are skipped (RFC 9112 §2.2), within the head's limit.
    while (used < input.size() && (input[used] == '\r' || input[used] == '\n')) ++used;
    leading_blank_bytes_ += used;
    if (leading_blank_bytes_ > limits_.max_header_bytes) {
      refusal_ = {431, "empty lines before the request line over web.max_header_bytes"};
      progress = Progress::kRefused;
      return used;
    }
    if (used == input.size()) {
      progress = Progress::kNeedMore;
      return used;
    }
    started_ = true;
  }
  const std::string_view rest = input.substr(used);
  if (!is_header_done()) {
    if (auto refusal = CheckRawHead(rest)) {
      refusal_ = std::move(*refusal);
      progress = Progress::kRefused;
      return used;
    }
  }
  if (!is_done()) {
    error_code error;
    used += put(boost::asio::const_buffer(rest.data(), rest.size()), error);
    if (error == http::error::need_more) error = {};
    if (error) {
      if (!refused_) refusal_ = FromParseError(error, rest);
      progress = Progress::kRefused;
      return used;
    }
  }
  if (is_header_done() && !head_reported_) {
    head_reported_ = true;
    // The body in as few calls as the bytes allow.
    eager(true);
    progress = Progress::kHeadDone;
    return used;
  }
  progress = is_done() ? Progress::kDone : Progress::kNeedMore;
  return used;
}

void RequestParser::on_request_impl(http::verb, boost::beast::string_view method_text,
                                    boost::beast::string_view target, int version,
                                    error_code& error) {
  if (!IsTargetText(target)) return Refuse(error, 400, "malformed request target");
  request_.method = std::string(method_text);
  if (target.front() != '/' && !(request_.method == "OPTIONS" && target == "*")) {
    return Refuse(error, 400, "request target must be an absolute path");
  }
  if (version != 10 && version != 11) return Refuse(error, 505, "unsupported HTTP version");
  request_.version = version == 10 ? "HTTP/1.0" : "HTTP/1.1";
  request_.target = std::string(target);
  RequestTarget parsed = ParseRequestTarget(target);
  request_.path = std::move(parsed.path);
  request_.params = std::move(parsed.params);
}

void RequestParser::on_field_impl(http::field name, boost::beast::string_view name_text,
                                  boost::beast::string_view value, error_code& error) {
  if (++fields_ > limits_.max_header_fields) {
    return Refuse(error, 431, "more header fields than web.max_header_fields");
  }
  if (!IsFieldValue(value)) return Refuse(error, 400, "malformed header field value");
  // Two Hosts make the request's authority ambiguous to anything routing on it.
  if (name == http::field::host && request_.HasHeader("Host")) {
    return Refuse(error, 400, "more than one Host field");
  }
  if (name == http::field::transfer_encoding && request_.HasHeader("Transfer-Encoding")) {
    return Refuse(error, 501, "only one Transfer-Encoding: chunked is supported");
  }
  request_.headers.emplace(std::string(name_text), std::string(value));
}

void RequestParser::on_header_impl(error_code& error) {
  if (request_.version == "HTTP/1.1" && !request_.HasHeader("Host")) {
    return Refuse(error, 400, "HTTP/1.1 request without Host");
  }
  const auto encoding = request_.headers.find("Transfer-Encoding");
  if (encoding == request_.headers.end()) return;
  if (request_.HasHeader("Content-Length")) {
    return Refuse(error, 400, "both Transfer-Encoding and Content-Length");
  }
  const std::string coding = AsciiLowercase(TrimOptionalWhitespace(encoding->second));
  if (coding != "chunked") return Refuse(error, 501, "unsupported Transfer-Encoding " + coding);
  // HTTP/1.0 has no chunked coding (RFC 9112 §6.1): a 1.0 hop in front would frame it otherwise.
  if (request_.version == "HTTP/1.0") {
    return Refuse(error, 400, "Transfer-Encoding in an HTTP/1.0 request");
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code& error) {
  if (content_length && *content_length > limits_.max_body_bytes) {
    return Refuse(error, 413, "body larger than the route's cap");
  }
  if (content_length) request_.body.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t RequestParser::on_body_impl(boost::beast::string_view body, error_code& error) {
  if (request_.body.size() + body.size() > limits_.max_body_bytes) {
    Refuse(error, 413, "body larger than the route's cap");
    return 0;
  }
  request_.body.append(body);
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                                         error_code& error) {
  if (!IsExtensionText(extensions)) return Refuse(error, 400, "control byte in a chunk extension");
  if (size > limits_.max_body_bytes - std::min(limits_.max_body_bytes, request_.body.size())) {
    return Refuse(error, 413, "chunked body larger than the route's cap");
  }
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                              error_code& error) {
  return on_body_impl(body, error);
}

void RequestParser::on_finish_impl(error_code&) {}

}  // namespace medic::net
