#pragma once

#include <string>
#include <string_view>

namespace medic::net {

// Whether an Accept-Encoding value admits gzip (listed, or "*", without q=0).
bool AcceptsGzip(std::string_view accept_encoding);

// Whether a body of this Content-Type is worth compressing (text, JSON, exposition formats).
bool IsCompressible(std::string_view content_type);

// `data` as one gzip member at a fast level; throws std::runtime_error if zlib fails.
std::string GzipCompress(std::string_view data);

}  // namespace medic::net
