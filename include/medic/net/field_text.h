#pragma once

#include <string>
#include <string_view>

namespace medic::net {

// HTTP field values are ASCII case-insensitive in their tokens and padded with optional
// whitespace (spaces and tabs, RFC 9110 §5.6.3); these helpers are that and nothing more.

char AsciiLower(char c);
std::string AsciiLowercase(std::string_view text);
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Drops leading and trailing spaces and tabs.
std::string_view TrimOptionalWhitespace(std::string_view text);
// Whether the comma-separated `list` holds `token` (compared case-insensitively).
bool ListHasToken(std::string_view list, std::string_view token);

}  // namespace medic::net
