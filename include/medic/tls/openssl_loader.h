#pragma once

#include <string>

namespace medic::tls {

// medic does not link libssl or libcrypto. Linked, they cost every medic about 1.7 MiB of
// resident memory at start-up (relocations and the pages they touch), though only the TLS
// parts use them: the cert collector, TLS probes and a web config with TLS. Instead
// src/tls/openssl_loader.cpp defines each OpenSSL function medic calls as a forwarder that
// loads Debian's libssl (and with it libcrypto) on the first call. The forwarders have hidden
// visibility, so libraries that bring their own OpenSSL (libcurl) never bind to them.
//
// When libssl cannot be loaded, the first OpenSSL call throws std::runtime_error naming the
// library and dlerror()'s reason; the collector or probe that made it fails with that message.

// The shared object medic loads, e.g. "libssl.so.3" (the major version medic was built for).
std::string OpenSslLibraryName();

// Whether this process has loaded libssl through the forwarders yet.
bool OpenSslLoaded();

// Frees the calling thread's OpenSSL state (its error queue) when libcrypto is in the process,
// loaded by medic or by libcurl; does nothing otherwise. Collector threads call it before they
// report: OpenSSL frees that state only when its thread ends, and a thread still ending while
// `medic check` exits left it behind (904 bytes, reported by LeakSanitizer under load).
void ReleaseThreadState();

}  // namespace medic::tls
