#pragma once

#include <curl/curl.h>

namespace medic::curl {

// libcurl's entry points, resolved from libcurl.so.4 the first time medic makes an HTTP call.
//
// medic is not linked against libcurl: Debian's libcurl brings GnuTLS, p11-kit, Kerberos, LDAP,
// RTMP, libssh2 and a dozen more libraries whose constructors run and whose pages stay resident
// (~4 MiB RSS measured), and a medic that watches disks and processes never makes an HTTP call.
// The types and constants still come from <curl/curl.h>; only the calls go through here.
struct Library {
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_reset) easy_reset = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_multi_init) multi_init = nullptr;
  decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&::curl_multi_perform) multi_perform = nullptr;
  decltype(&::curl_multi_poll) multi_poll = nullptr;
  decltype(&::curl_multi_info_read) multi_info_read = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

// Loads libcurl and runs curl_global_init, once per process (thread-safe: the first caller
// pays, the others wait). Throws std::runtime_error saying what failed (the library missing,
// a symbol missing, global init failing); every later call throws the same error.
const Library& Api();

// Whether Api() has loaded libcurl into this process (for tests and the footprint claim).
bool Loaded();

}  // namespace medic::curl
