#include "medic/webhook/auth.h"

#include <doctest/doctest.h>

using medic::WebhookSettings;
using medic::webhook::WebhookAuthenticator;

TEST_CASE("no credential configured refuses everything") {
  WebhookAuthenticator auth(WebhookSettings{});
  CHECK_FALSE(auth.Configured());
  CHECK_FALSE(auth.Allows(""));
  CHECK_FALSE(auth.Allows("Bearer "));
  CHECK_FALSE(auth.Allows("Basic Og=="));  // ":"
}

TEST_CASE("bearer token") {
  WebhookSettings settings;
  settings.bearer_token = "t0ken";
  WebhookAuthenticator auth(settings);
  CHECK(auth.Allows("Bearer t0ken"));
  CHECK(auth.Allows("bearer t0ken"));
  CHECK_FALSE(auth.Allows("Bearer t0ke"));
  CHECK_FALSE(auth.Allows("Bearer t0ken2"));
  CHECK_FALSE(auth.Allows(""));
  CHECK_FALSE(auth.Allows("t0ken"));
  CHECK_FALSE(auth.Allows("Basic dDBrZW46"));  // basic not configured
}

TEST_CASE("basic auth") {
  WebhookSettings settings;
  settings.basic_username = "alertmanager";
  settings.basic_password = "pa:ss";
  WebhookAuthenticator auth(settings);
  CHECK(auth.Allows("Basic YWxlcnRtYW5hZ2VyOnBhOnNz"));        // alertmanager:pa:ss
  CHECK_FALSE(auth.Allows("Basic YWxlcnRtYW5hZ2VyOnBhOnN0"));  // alertmanager:pa:st
  CHECK_FALSE(auth.Allows("Basic bm9ib2R5OnBhOnNz"));          // nobody:pa:ss
  CHECK_FALSE(auth.Allows("Basic !!!!"));
  CHECK_FALSE(auth.Allows("Basic YWxlcnRtYW5hZ2Vy"));  // no colon
  CHECK_FALSE(auth.Allows("Bearer pa:ss"));
}
