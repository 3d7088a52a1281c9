#pragma once

#include "medic/net/request.h"

#include <boost/beast/http/basic_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace medic::net {

// Why a request is refused: the status to answer and a reason for the debug log.
struct Refusal {
  int status = 400;
  std::string reason;
};

// One HTTP/1.x request on Boost.Beast's parser (RFC 9112 framing, Content-Length and chunked
// bodies, limits), with the checks a server in front of healing needs on top of it: Beast
// accepts a second Host, chunked in HTTP/1.0, obsolete line folding and control bytes in chunk
// extensions; this refuses them, like a request with both Content-Length and Transfer-Encoding,
// a coding other than chunked (501), a target that is not an absolute path, an HTTP version
// other than 1.0 and 1.1 (505), and more header fields or bytes than allowed (431, or 414 for a
// request line alone over the limit).
//
// Feed() takes raw bytes as they arrive. The head is parsed once it is complete; the caller then
// looks at request() (the route decides the body cap: SetBodyLimit) before the body is read.
class RequestParser final : private boost::beast::http::basic_parser<true> {
 public:
  struct Limits {
    std::size_t max_header_bytes = std::size_t{16} * 1024;
    std::size_t max_header_fields = 100;
    std::size_t max_body_bytes = std::size_t{1} << 20;
  };
  enum class Progress { kNeedMore, kHeadDone, kDone, kRefused };

  explicit RequestParser(const Limits& limits);

  // Parses what it can of `input` and returns how many bytes it used; `progress` says what is
  // complete. kHeadDone is reported once, after which the body is parsed by further calls (the
  // same bytes are offered again: only what was used must be dropped). Bytes past the end of
  // the request are left for the next one (pipelining).
  std::size_t Feed(std::string_view input, Progress& progress);

  // Valid once the head is done: method, target, path, params, version, headers (body once done).
  Request& request() { return request_; }
  const Refusal& refusal() const { return refusal_; }
  bool keep_alive() const { return basic_parser::keep_alive(); }
  bool started() const { return started_; }
  // The body's length from Content-Length, once the head is in and if it has one.
  std::optional<std::uint64_t> content_length() const;
  bool expects_body() const;
  // The cap on this request's body, set by its route after the head (default: Limits).
  void SetBodyLimit(std::size_t max_body_bytes);

 private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_text,
                       boost::beast::string_view target, int version,
                       boost::beast::error_code& error) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_text,
                     boost::beast::string_view value, boost::beast::error_code& error) override;
  void on_header_impl(boost::beast::error_code& error) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& error) override;
  std::size_t on_body_impl(boost::beast::string_view body,
                           boost::beast::error_code& error) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::beast::error_code& error) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::beast::error_code& error) override;
  void on_finish_impl(boost::beast::error_code& error) override;

  // Sets the refusal and an error that stops Beast's parse.
  void Refuse(boost::beast::error_code& error, int status, std::string reason);
  // Refusals Beast's own parse of the head cannot tell apart, from the raw bytes.
  std::optional<Refusal> CheckRawHead(std::string_view head) const;
  Refusal FromParseError(const boost::beast::error_code& error, std::string_view head) const;

  Limits limits_;
  Request request_;
  Refusal refusal_;
  bool refused_ = false;
  bool started_ = false;
  bool head_reported_ = false;
  std::size_t fields_ = 0;
  std::size_t leading_blank_bytes_ = 0;
};

}  // namespace medic::net
