#include "medic/valid_utf8.h"

#include "medic/json_text.h"

#include <doctest/doctest.h>

using medic::IsValidUtf8;
using medic::Utf8CutPoint;
using medic::ValidUtf8;

namespace {
const std::string kReplacement = "\xef\xbf\xbd";
}  // namespace

TEST_CASE("valid UTF-8 passes unchanged; each invalid sequence becomes U+FFFD") {
  CHECK(ValidUtf8("plain") == "plain");
  CHECK(ValidUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xf0\x9f\x98\x80");
  CHECK(ValidUtf8(std::string("nul\0inside", 10)) == std::string("nul\0inside", 10));
  CHECK(ValidUtf8("a\xff"
                  "b") == "a" + kReplacement + "b");
  CHECK(ValidUtf8("\xc0\xaf") != "\xc0\xaf");               // overlong '/'
  CHECK(IsValidUtf8(ValidUtf8("\xed\xa0\x80")));            // a UTF-16 surrogate
  CHECK(IsValidUtf8(ValidUtf8("\xf4\x90\x80\x80")));        // above U+10FFFF
  CHECK(ValidUtf8("end\xe2\x82") == "end" + kReplacement);  // cut mid-character
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));
  CHECK(IsValidUtf8(""));
}

TEST_CASE("a cut never splits a character") {
  const std::string text = "ab\xc3\xa9\xf0\x9f\x98\x80";  // a b é 😀 : 2 + 2 + 4 bytes
  CHECK(Utf8CutPoint(text, 100) == text.size());
  CHECK(Utf8CutPoint(text, 3) == 2);
  CHECK(Utf8CutPoint(text, 4) == 4);
  CHECK(Utf8CutPoint(text, 7) == 4);
  CHECK(Utf8CutPoint(text, 8) == 8);
  CHECK(Utf8CutPoint(text, 0) == 0);
}

TEST_CASE("JSON text never throws on invalid UTF-8") {
  const std::string json = medic::JsonText(nlohmann::json{{"name", "bad\xff"}});
  CHECK(json == "{\"name\":\"bad" + kReplacement + "\"}");
  CHECK(medic::JsonText(nlohmann::json{{"a", 1}}, 2) == "{\n  \"a\": 1\n}");
}
