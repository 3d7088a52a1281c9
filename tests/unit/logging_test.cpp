#include "medic/logging.h"
#include "medic/http/html.h"

#include <doctest/doctest.h>

TEST_CASE("log strings cannot break out of their quotes or lines") {
  CHECK(medic::EscapeLogString("a \"quoted\"\nline\\") == "a \\\"quoted\\\"\\nline\\\\");
  CHECK(medic::EscapeLogString(std::string("nul\0byte", 8)) == "nul\\u0000byte");
}

TEST_CASE("HTML escaping covers element and attribute contexts") {
  CHECK(medic::http::HtmlEscape("<script>alert('x')</script> & \"") ==
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;");
}

TEST_CASE("unknown log settings are refused") {
  CHECK_THROWS(medic::ConfigureLogging("verbose", "logfmt"));
  CHECK_THROWS(medic::ConfigureLogging("info", "xml"));
  CHECK_NOTHROW(medic::ConfigureLogging("info", "json"));
}
