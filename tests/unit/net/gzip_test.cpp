#include "medic/net/gzip.h"

#include <doctest/doctest.h>
#include <zlib.h>

using namespace medic::net;

TEST_CASE("Accept-Encoding: gzip, *, and q=0 refusals") {
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("GZIP"));
  CHECK(AcceptsGzip("br, gzip;q=0.8, deflate"));
  CHECK(AcceptsGzip("*"));
  CHECK(AcceptsGzip("gzip ; q=1"));
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("identity"));
  CHECK_FALSE(AcceptsGzip("br, deflate"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip; q=0.000"));
  CHECK_FALSE(AcceptsGzip("x-gzip2"));
}

TEST_CASE("text, JSON and exposition formats are compressible; archives are not") {
  CHECK(IsCompressible("text/plain; version=0.0.4; charset=utf-8"));
  CHECK(IsCompressible("application/json"));
  CHECK(IsCompressible("application/openmetrics-text; version=1.0.0"));
  CHECK(IsCompressible("Text/HTML"));
  CHECK_FALSE(IsCompressible("application/gzip"));
  CHECK_FALSE(IsCompressible(""));
}

TEST_CASE("gzip output inflates back to the input") {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += "line " + std::to_string(i % 97) + "\n";
  for (const std::string& data : {std::string(), std::string("x"), input}) {
    const std::string compressed = GzipCompress(data);
    REQUIRE(compressed.size() >= 18);  // gzip header and trailer
    CHECK(static_cast<unsigned char>(compressed[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(compressed[1]) == 0x8b);
    z_stream stream{};
    REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
    std::string out(data.size() + 64, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    CHECK(inflate(&stream, Z_FINISH) == Z_STREAM_END);
    out.resize(stream.total_out);
    inflateEnd(&stream);
    CHECK(out == data);
  }
  CHECK(GzipCompress(input).size() * 10 < input.size());
}
