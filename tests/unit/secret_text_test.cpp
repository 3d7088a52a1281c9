#include "medic/secret_text.h"

#include <doctest/doctest.h>

using medic::DecodeBase64;
using medic::SecretsEqual;

TEST_CASE("secrets compare equal only when every byte and the length match") {
  CHECK(SecretsEqual("secret", "secret"));
  CHECK_FALSE(SecretsEqual("secret", "secreT"));
  CHECK_FALSE(SecretsEqual("secret", "Secret"));
  CHECK_FALSE(SecretsEqual("secret", "secret2"));
  CHECK_FALSE(SecretsEqual("", "x"));
  CHECK(SecretsEqual("", ""));
  CHECK(SecretsEqual(std::string("a\0b", 3), std::string("a\0b", 3)));
  CHECK_FALSE(SecretsEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("base64 decodes RFC 4648 test vectors") {
  CHECK(DecodeBase64("Zg==") == "f");
  CHECK(DecodeBase64("Zm8=") == "fo");
  CHECK(DecodeBase64("Zm9v") == "foo");
  CHECK(DecodeBase64("Zm9vYg==") == "foob");
  CHECK(DecodeBase64("Zm9vYmE=") == "fooba");
  CHECK(DecodeBase64("Zm9vYmFy") == "foobar");
  CHECK(DecodeBase64("YWxpY2U6Y29ycmVjdCBob3JzZQ==") == "alice:correct horse");
  CHECK(DecodeBase64("+/+/") == std::string("\xfb\xff\xbf", 3));
  CHECK(DecodeBase64("AAAA") == std::string(3, '\0'));
}

TEST_CASE("base64 refuses anything that is not strict standard base64") {
  CHECK_FALSE(DecodeBase64(""));
  CHECK_FALSE(DecodeBase64("Zg="));       // length not a multiple of 4
  CHECK_FALSE(DecodeBase64("Zg"));        // unpadded
  CHECK_FALSE(DecodeBase64("Z===="));     // too much padding
  CHECK_FALSE(DecodeBase64("Z==="));      // padding beyond two characters
  CHECK_FALSE(DecodeBase64("Zg==Zm9v"));  // padding before the end
  CHECK_FALSE(DecodeBase64("Zm9v\n"));
  CHECK_FALSE(DecodeBase64(" Zm9v"));
  CHECK_FALSE(DecodeBase64("Zm-_"));  // URL-safe alphabet
  CHECK_FALSE(DecodeBase64(std::string("Zm9", 3) + '\0'));
  CHECK_FALSE(DecodeBase64("=Zm9"));
  CHECK(DecodeBase64(std::string(8192, 'A')).has_value());
  CHECK_FALSE(DecodeBase64(std::string(8196, 'A')));
  CHECK_FALSE(DecodeBase64("Zm9vYmFy", 4));  // over the caller's cap
}
