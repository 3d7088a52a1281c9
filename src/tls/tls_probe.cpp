#include "medic/tls/tls_probe.h"

#include "medic/unique_fd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace medic::tls {
namespace {

using Clock = std::chrono::steady_clock;

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

struct HostPort {
  std::string host;
  std::string port;
};

HostPort SplitAddress(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    throw std::invalid_argument("address \"" + address + "\" is not host:port");
  }
  HostPort result{address.substr(0, colon), address.substr(colon + 1)};
  if (result.host.size() >= 2 && result.host.front() == '[' && result.host.back() == ']') {
    result.host = result.host.substr(1, result.host.size() - 2);
  }
  return result;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

int MillisecondsLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on `fd` until the deadline; false on timeout.
bool WaitReady(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const int left = MillisecondsLeft(deadline);
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, left);
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

// A non-blocking connected socket, or throws with the reason.
int ConnectBounded(const HostPort& target, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (IsIpLiteral(target.host)) hints.ai_flags = AI_NUMERICHOST;
  addrinfo* raw = nullptr;
  const int resolved = getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &raw);
  std::unique_ptr<addrinfo, AddrInfoDeleter> addresses(raw);
  if (resolved != 0) {
    throw std::runtime_error("cannot resolve " + target.host + ": " + gai_strerror(resolved));
  }
  std::string last_error = "no address";
  for (addrinfo* address = addresses.get(); address != nullptr; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            address->ai_protocol);
    if (fd < 0) {
      last_error = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    UniqueFd socket(fd);
    if (::connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = std::string("connect: ") + std::strerror(errno);
        continue;
      }
      if (!WaitReady(fd, POLLOUT, deadline)) throw std::runtime_error("connect timed out");
      int error = 0;
      socklen_t length = sizeof(error);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error != 0) {
        last_error = std::string("connect: ") + std::strerror(error);
        continue;
      }
    }
    return socket.Release();
  }
  throw std::runtime_error(last_error);
}

std::vector<CertificateInfo> Describe(STACK_OF(X509) * chain) {
  std::vector<CertificateInfo> result;
  if (chain == nullptr) return result;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    result.push_back(DescribeCertificate(sk_X509_value(chain, i)));
  }
  return result;
}

}  // namespace

std::string ProbeTcpConnect(const std::string& address, Duration timeout) {
  try {
    UniqueFd socket(ConnectBounded(SplitAddress(address), Clock::now() + timeout));
    return {};
  } catch (const std::exception& error) {
    return error.what();
  }
}

std::string VerifyErrorReason(long code) {
  switch (code) {
    case X509_V_OK:
      return "";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "not yet valid";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "self-signed";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "unknown CA";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "hostname mismatch";
    case X509_V_ERR_CERT_REVOKED:
      return "revoked";
    default:
      return X509_verify_cert_error_string(code);
  }
}

SslCtxPtr NewProbeContext(const std::string& ca_file) {
  ERR_clear_error();
  SslCtxPtr context(SSL_CTX_new(TLS_client_method()));
  if (!context) throw std::runtime_error("SSL_CTX_new failed: " + TakeOpenSslErrors());
  const int loaded = ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(context.get())
                         : SSL_CTX_load_verify_locations(context.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    throw std::runtime_error("cannot load CA " + (ca_file.empty() ? "defaults" : ca_file) + ": " +
                             TakeOpenSslErrors());
  }
  // Finish the handshake whatever the certificate; the verdict is read from the session.
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
  return context;
}

TlsProbeResult ProbeTls(const CertEndpoint& endpoint, SSL_CTX* context) {
  const auto started = Clock::now();
  const auto deadline = started + endpoint.timeout;
  TlsProbeResult result;
  auto finish = [&] {
    result.duration_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    ERR_clear_error();
    return result;
  };
  try {
    ERR_clear_error();
    const HostPort target = SplitAddress(endpoint.address);
    UniqueFd socket(ConnectBounded(target, deadline));
    SslPtr ssl(SSL_new(context));
    if (!ssl) throw std::runtime_error("SSL_new failed: " + TakeOpenSslErrors());
    SSL_set_fd(ssl.get(), socket.get());
    const std::string name = !endpoint.server_name.empty() ? endpoint.server_name : target.host;
    if (IsIpLiteral(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl.get(), name.c_str());
      SSL_set1_host(ssl.get(), name.c_str());
    }
    while (true) {
      const int outcome = SSL_connect(ssl.get());
      if (outcome == 1) break;
      const int error = SSL_get_error(ssl.get(), outcome);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        if (!WaitReady(socket.get(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
          throw std::runtime_error("TLS handshake timed out");
        }
        continue;
      }
      std::string reason = TakeOpenSslErrors();
      if (reason.empty()) {
        reason = error == SSL_ERROR_SYSCALL && errno != 0 ? std::strerror(errno)
                                                          : "connection closed by peer";
      }
      throw std::runtime_error("TLS handshake failed: " + reason);
    }
    result.handshake_ok = true;
    result.tls_version = SSL_get_version(ssl.get());
    result.presented_chain = Describe(SSL_get_peer_cert_chain(ssl.get()));
    const long verify = SSL_get_verify_result(ssl.get());
    if (SSL_get0_peer_certificate(ssl.get()) == nullptr) {
      result.verify_reason = "no certificate";
    } else if (verify == X509_V_OK) {
      result.verify_ok = true;
      result.verified_chain = Describe(SSL_get0_verified_chain(ssl.get()));
    } else {
      result.verify_reason = VerifyErrorReason(verify);
    }
    SSL_shutdown(ssl.get());  // one non-blocking attempt: a polite close_notify, no waiting
  } catch (const std::exception& error) {
    result.error = error.what();
  }
  return finish();
}

}  // namespace medic::tls
