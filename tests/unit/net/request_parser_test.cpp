#include "medic/net/request_parser.h"

#include <doctest/doctest.h>

using namespace medic::net;

TEST_CASE("the end of the head is found after CRLF CRLF or LF LF, not before") {
  CHECK(FindEndOfHead("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody") == 27);
  CHECK(FindEndOfHead("GET / HTTP/1.1\nHost: a\n\nbody") == 24);
  CHECK(FindEndOfHead("GET / HTTP/1.1\r\nHost: a\r\n") == std::string::npos);
  CHECK(FindEndOfHead("GET / HTTP/1.1\r\nHost: a\r\n\r") == std::string::npos);
  CHECK(FindEndOfHead("") == std::string::npos);
}

TEST_CASE("a request line, headers, path and query parse") {
  const auto parsed = ParseRequestHead(
      "GET /api/v1/diagnostics%2Farchive?name=bundle+1&name=two&flag&x=%41%zz HTTP/1.1\r\n"
      "Host: 127.0.0.1:9469\r\n"
      "accept-encoding:   gzip, br  \r\n"
      "X-Empty:\r\n"
      "\r\n");
  REQUIRE(parsed.error_status == 0);
  const Request& request = parsed.request;
  CHECK(request.method == "GET");
  CHECK(request.version == "HTTP/1.1");
  CHECK(request.target == "/api/v1/diagnostics%2Farchive?name=bundle+1&name=two&flag&x=%41%zz");
  CHECK(request.path == "/api/v1/diagnostics/archive");
  CHECK(request.Param("name") == "bundle 1");
  CHECK(request.params.count("name") == 2);
  CHECK(request.HasParam("flag"));
  CHECK(request.Param("flag").empty());
  CHECK(request.Param("x") == "A%zz");
  CHECK_FALSE(request.HasParam("missing"));
  CHECK(request.Header("Accept-Encoding") == "gzip, br");
  CHECK(request.Header("ACCEPT-ENCODING") == "gzip, br");
  CHECK(request.HasHeader("x-empty"));
  CHECK(request.Header("X-Empty").empty());
  CHECK_FALSE(request.HasHeader("Cookie"));
}

TEST_CASE("HTTP/1.0 needs no Host; bare LF lines and leading blank lines are tolerated") {
  const auto parsed = ParseRequestHead("\r\nGET /metrics HTTP/1.0\nUser-Agent: x\n\n");
  REQUIRE(parsed.error_status == 0);
  CHECK(parsed.request.version == "HTTP/1.0");
  CHECK(parsed.request.path == "/metrics");
  CHECK(ParseRequestHead("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").error_status == 0);
}

TEST_CASE("malformed heads are refused with the right status") {
  const auto status = [](std::string_view head) { return ParseRequestHead(head).error_status; };
  CHECK(status("GET /\r\n\r\n") == 400);                       // no version
  CHECK(status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);  // empty target
  CHECK(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505);
  CHECK(status("GET / FTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);          // method not a token
  CHECK(status("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n") == 400);  // absolute form
  CHECK(status("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\n\r\n") == 400);  // HTTP/1.1 without Host
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nX-A : x\r\n\r\n") == 400);  // space before colon
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nX-A: x\r\n folded\r\n\r\n") == 400);
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n") == 400);
  CHECK(status(std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n", 37)) == 400);
  CHECK(status("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n") == 400);
  CHECK_FALSE(ParseRequestHead("GET / HTTP/2.0\r\n\r\n").error.empty());
}

TEST_CASE("body framing: none, Content-Length, chunked, and the smuggling cases") {
  const auto framing = [](std::initializer_list<std::pair<const std::string, std::string>> list) {
    return ParseBodyFraming(Headers(list));
  };
  CHECK(framing({}).kind == BodyFraming::Kind::kNone);
  const auto length = framing({{"Content-Length", "42"}});
  CHECK(length.kind == BodyFraming::Kind::kLength);
  CHECK(length.length == 42);
  CHECK(framing({{"content-length", "7"}, {"Content-Length", "7"}}).length == 7);
  CHECK(framing({{"Content-Length", "7, 7"}}).length == 7);
  CHECK(framing({{"Transfer-Encoding", "Chunked"}}).kind == BodyFraming::Kind::kChunked);

  CHECK(framing({{"Content-Length", "7"}, {"Content-Length", "8"}}).error_status == 400);
  CHECK(framing({{"Content-Length", "7, 8"}}).error_status == 400);
  CHECK(framing({{"Content-Length", "-1"}}).error_status == 400);
  CHECK(framing({{"Content-Length", "+1"}}).error_status == 400);
  CHECK(framing({{"Content-Length", "1x"}}).error_status == 400);
  CHECK(framing({{"Content-Length", ""}}).error_status == 400);
  CHECK(framing({{"Content-Length", "99999999999999999999999"}}).error_status == 400);
  CHECK(framing({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}).error_status == 400);
  CHECK(framing({{"Transfer-Encoding", "gzip, chunked"}}).error_status == 501);
  CHECK(
      framing({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}).error_status ==
      501);
}

TEST_CASE("chunked bodies decode across arbitrary splits, with extensions and trailers") {
  const std::string wire =
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\nNEXT";
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    CAPTURE(split);
    ChunkedBodyDecoder decoder(1024);
    std::string input = wire.substr(0, split);
    std::string body;
    auto result = decoder.Consume(input, body);
    input += wire.substr(split);
    if (result != ChunkedBodyDecoder::Result::kDone) {
      REQUIRE(result == ChunkedBodyDecoder::Result::kNeedMore);
      result = decoder.Consume(input, body);
    }
    REQUIRE(result == ChunkedBodyDecoder::Result::kDone);
    CHECK(body == "Wikipedia in\r\n\r\nchunks.");
    CHECK(input == "NEXT");  // the next pipelined request is left alone
  }
}

TEST_CASE("chunked bodies that are malformed or over the cap are refused") {
  const auto decode = [](std::string input, std::size_t cap = 1024) {
    ChunkedBodyDecoder decoder(cap);
    std::string body;
    return decoder.Consume(input, body);
  };
  using Result = ChunkedBodyDecoder::Result;
  CHECK(decode("zz\r\n") == Result::kMalformed);
  CHECK(decode("\r\n") == Result::kMalformed);
  CHECK(decode("4\r\nWikiX\r\n") == Result::kMalformed);  // data longer than its size
  CHECK(decode("-1\r\n") == Result::kMalformed);
  CHECK(decode("ffffffffffffffffffff\r\n") == Result::kMalformed);
  CHECK(decode(std::string(5000, '1')) == Result::kMalformed);  // endless size line
  CHECK(decode("401\r\n") == Result::kTooLarge);
  CHECK(decode("200\r\n" + std::string(512, 'a') + "\r\n201\r\n") == Result::kTooLarge);
  CHECK(decode("0\r\n" + std::string(20000, 'x')) == Result::kMalformed);  // endless trailer
  CHECK(decode("400\r\n" + std::string(1024, 'a') + "\r\n0\r\n\r\n") == Result::kDone);
}

TEST_CASE("percent-decoding") {
  CHECK(PercentDecode("a%20b+c", false) == "a b+c");
  CHECK(PercentDecode("a%20b+c", true) == "a b c");
  CHECK(PercentDecode("%", true) == "%");
  CHECK(PercentDecode("%4", true) == "%4");
  CHECK(PercentDecode("%4g", true) == "%4g");
  CHECK(PercentDecode("%00", true) == std::string(1, '\0'));
  CHECK(PercentDecode("%e2%9C%93", false) == "\xe2\x9c\x93");
}
