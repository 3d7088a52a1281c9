#include "medic/net/request_parser.h"

#include "medic/net/request_target.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace medic::net;
using Progress = RequestParser::Progress;

namespace {

struct Parsed {
  Progress progress = Progress::kNeedMore;
  Refusal refusal;
  Request request;
  std::string left;  // bytes after the request (the next pipelined one)
};

// Feeds `pieces` one after another as a connection would: unused bytes stay buffered.
Parsed Parse(const std::vector<std::string>& pieces, std::size_t max_body = 1024) {
  RequestParser parser(RequestParser::Limits{1024, 20, max_body});
  Parsed parsed;
  std::string buffer;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    buffer += pieces[i];
    while (true) {
      const std::size_t used = parser.Feed(buffer, parsed.progress);
      buffer.erase(0, used);
      if (parsed.progress == Progress::kHeadDone) continue;
      break;
    }
    if (parsed.progress == Progress::kRefused || parsed.progress == Progress::kDone) {
      for (std::size_t later = i + 1; later < pieces.size(); ++later) buffer += pieces[later];
      break;
    }
  }
  parsed.refusal = parser.refusal();
  if (parsed.progress == Progress::kDone) parsed.request = parser.request();
  parsed.left = buffer;
  return parsed;
}

Parsed Parse(const std::string& bytes, std::size_t max_body = 1024) {
  return Parse(std::vector<std::string>{bytes}, max_body);
}

int Status(const std::string& bytes) {
  const Parsed parsed = Parse(bytes);
  return parsed.progress == Progress::kRefused ? parsed.refusal.status : 0;
}

}  // namespace

TEST_CASE("a request line, headers, path and query parse") {
  const Parsed parsed = Parse(
      "GET /api/v1/diagnostics%2Farchive?name=bundle+1&name=two&flag&x=%41%zz HTTP/1.1\r\n"
      "Host: 127.0.0.1:9469\r\n"
      "accept-encoding:   gzip, br  \r\n"
      "X-Empty:\r\n"
      "\r\n");
  REQUIRE(parsed.progress == Progress::kDone);
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

TEST_CASE("HTTP/1.0 needs no Host; leading blank lines are skipped; a head may arrive bytewise") {
  const Parsed parsed = Parse("\r\n\r\nGET /metrics HTTP/1.0\r\nUser-Agent: x\r\n\r\n");
  REQUIRE(parsed.progress == Progress::kDone);
  CHECK(parsed.request.version == "HTTP/1.0");
  CHECK(parsed.request.path == "/metrics");
  CHECK(Status("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n") == 0);
  std::vector<std::string> bytes;
  for (const char c : std::string("GET /a HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n")) {
    bytes.emplace_back(1, c);
  }
  const Parsed bytewise = Parse(bytes);
  REQUIRE(bytewise.progress == Progress::kDone);
  CHECK(bytewise.request.Header("X") == "1");
}

TEST_CASE("malformed heads are refused with the right status") {
  CHECK(Status("GET /\r\n\r\n") == 400);                       // no version
  CHECK(Status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);  // empty target
  CHECK(Status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505);
  CHECK(Status("GET / HTTP/1.2\r\nHost: a\r\n\r\n") == 505);
  CHECK(Status("GET / FTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(Status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400);          // method not a token
  CHECK(Status("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n") == 400);  // absolute form
  CHECK(Status("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(Status("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n") == 400);
  CHECK(Status("GET / HTTP/1.1\r\n\r\n") == 400);  // HTTP/1.1 without Host
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n") == 400);
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nX-A : x\r\n\r\n") == 400);  // space before colon
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nX-A: x\r\n folded\r\n\r\n") == 400);
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nX-A: x\r\n\tfolded\r\n\r\n") == 400);
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n") == 400);
  CHECK(Status(std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n", 37)) == 400);
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n") == 400);
  // Bare LF line endings are refused: a proxy in front may end lines differently.
  CHECK(Status("GET / HTTP/1.1\nHost: a\n\n") == 400);
  const Parsed refused = Parse("GET / HTTP/2.0\r\n\r\n");
  CHECK_FALSE(refused.refusal.reason.empty());
}

TEST_CASE("limits: header bytes (414 for the request line alone, else 431) and field count") {
  CHECK(Status("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n") == 414);
  CHECK(Status("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(2000, 'a') + "\r\n\r\n") == 431);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 25; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  CHECK(Status(many + "\r\n") == 431);
  CHECK(Status(std::string(2000, '\n') + "GET / HTTP/1.1\r\nHost: a\r\n\r\n") == 431);
}

TEST_CASE("body framing: Content-Length, chunked, and the smuggling cases") {
  const Parsed sized = Parse("POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET");
  REQUIRE(sized.progress == Progress::kDone);
  CHECK(sized.request.body == "abc");
  CHECK(sized.left == "GET");  // the next pipelined request stays buffered
  CHECK(Parse("POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc").request.body ==
        "abc");
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n") ==
        400);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx") == 400);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
               "chunked\r\n\r\n") == 400);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
               "3\r\n\r\n") == 400);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n") == 501);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
               "Transfer-Encoding: chunked\r\n\r\n") == 501);
  // HTTP/1.0 has no chunked coding.
  CHECK(Status("POST /w HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400);
  CHECK(Status("POST /w HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n") == 413);
}

TEST_CASE("chunked bodies decode across arbitrary splits, with extensions and trailers") {
  const std::string request =
      "POST /w HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;name=value\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (std::size_t split = 1; split < request.size(); split += 3) {
    const Parsed parsed = Parse({request.substr(0, split), request.substr(split)});
    REQUIRE(parsed.progress == Progress::kDone);
    CHECK(parsed.request.body == "abc0123456789abcdef");
    CHECK(parsed.left == "NEXT");
  }
}

TEST_CASE("chunked bodies that are malformed, carry control bytes, or are over the cap") {
  const std::string head = "POST /w HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(Status(head + "zz\r\nabc\r\n0\r\n\r\n") == 400);
  CHECK(Status(head + "3\r\nabcd\r\n0\r\n\r\n") == 400);
  CHECK(Status(head + "3;a=b\rc\r\nabc\r\n0\r\n\r\n") == 400);  // bare CR in an extension
  CHECK(Status(head + std::string("3;a=\0\r\nabc\r\n0\r\n\r\n", 17)) == 400);  // NUL
  CHECK(Status(head + "400\r\n" + std::string(1024, 'x') + "\r\n1\r\nx\r\n0\r\n\r\n") == 413);
  CHECK(Status(head + "ffffffffffffffffff\r\n") != 0);
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
