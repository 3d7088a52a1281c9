#include "medic/commands/terminal_safe_text.h"

#include <doctest/doctest.h>

using medic::commands::TerminalSafeText;

TEST_CASE("printable text and valid UTF-8 pass unchanged") {
  CHECK(TerminalSafeText("ERROR payment failed", 512) == "ERROR payment failed");
  CHECK(TerminalSafeText("Fehler: Zahlung fehlgeschlagen – ✖", 512) ==
        "Fehler: Zahlung fehlgeschlagen – ✖");
  CHECK(TerminalSafeText("a\tb", 512) == "a b");
}

TEST_CASE("control bytes, C1 controls and bidi overrides become visible escapes") {
  CHECK(TerminalSafeText("\x1b[2J\x1b]0;owned\x07 ERROR", 512) ==
        "\\x1B[2J\\x1B]0;owned\\x07 ERROR");
  CHECK(TerminalSafeText("a\rb\x7f", 512) == "a\\x0Db\\x7F");
  CHECK(TerminalSafeText("\xc2\x9b"
                         "31m",
                         512) == "\\u009B31m");  // 8-bit CSI
  CHECK(TerminalSafeText("user \xe2\x80\xae"
                         "nimda",
                         512) == "user \\u202Enimda");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD, one per invalid sequence (the ValidUtf8 rule)") {
  CHECK(TerminalSafeText("bad \xff\xfe end", 512) == "bad \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK(TerminalSafeText("overlong \xc0\xaf", 512) == "overlong \xEF\xBF\xBD");
  CHECK(TerminalSafeText("surrogate \xed\xa0\x80", 512) == "surrogate \xEF\xBF\xBD");
  CHECK(TerminalSafeText("cut \xe2\x80", 512) == "cut \xEF\xBF\xBD");
}

TEST_CASE("long lines are cut and end in an ellipsis") {
  CHECK(TerminalSafeText(std::string(600, 'x'), 512) == std::string(512, 'x') + "…");
  CHECK(TerminalSafeText(std::string(512, 'x'), 512) == std::string(512, 'x'));
}
