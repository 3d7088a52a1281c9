#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace medic {

// Text that comes from outside (log lines, container names and labels, Redis INFO, alert labels
// and annotations, engine error messages) is made valid UTF-8 before any exposition, JSON or
// HTML writer prints it: Prometheus rejects a whole scrape over one invalid label value, and
// nlohmann's dump() throws. Each invalid sequence becomes U+FFFD, as Go's strings.ToValidUTF8
// and nlohmann's error_handler_t::replace do; valid text is returned unchanged.
bool IsValidUtf8(std::string_view text);
std::string ValidUtf8(std::string_view text);
void AppendValidUtf8(std::string& out, std::string_view text);
// `text` itself when it is valid (no copy: the common case on hot paths), else its repaired
// copy, kept in `storage`.
std::string_view ValidUtf8View(std::string_view text, std::string& storage);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a
// multi-byte sequence: where to cut a string that is capped in bytes.
std::size_t Utf8CutPoint(std::string_view text, std::size_t max_bytes);

}  // namespace medic
