#pragma once

#include "medic/web_config.h"

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace medic::net {

// The server side of TLS from a web config's tls_server_config: certificate chain and key,
// protocol versions, cipher suites, curves, server cipher preference and client certificates
// (exporter-toolkit's client_auth_type). Every setting is applied or the call throws
// std::runtime_error saying which one OpenSSL refused; none is accepted and ignored.
std::shared_ptr<boost::asio::ssl::context> BuildTlsServerContext(const TlsServerSettings& tls);

}  // namespace medic::net
