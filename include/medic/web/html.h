#pragma once

#include <string>
#include <string_view>

namespace medic::web {

// Escapes text for HTML element content and double- or single-quoted attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace medic::web
