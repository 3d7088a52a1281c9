#include "medic/tls/openssl_loader.h"

#include <dlfcn.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <stdexcept>

namespace medic::tls {
namespace {

#define MEDIC_STRINGIFY_INNER(x) #x
#define MEDIC_STRINGIFY(x) MEDIC_STRINGIFY_INNER(x)

std::atomic<bool> loaded{false};

void* Library() {
  // A function-local static: loaded once, thread-safe, never unloaded.
  static void* const handle = [] {
    void* opened = ::dlopen(OpenSslLibraryName().c_str(), RTLD_NOW | RTLD_LOCAL);
    if (opened == nullptr) {
      const char* reason = ::dlerror();
      throw std::runtime_error("cannot load " + OpenSslLibraryName() + ": " +
                               (reason != nullptr ? reason : "unknown error"));
    }
    loaded = true;
    return opened;
  }();
  return handle;
}

// dlsym on libssl's handle also searches its dependencies, so libcrypto's functions resolve
// through the same handle.
template <typename Function>
Function Resolve(const char* name) {
  void* symbol = ::dlsym(Library(), name);
  if (symbol == nullptr) {
    throw std::runtime_error(OpenSslLibraryName() + " has no " + name);
  }
  return reinterpret_cast<Function>(symbol);
}

}  // namespace

std::string OpenSslLibraryName() { return "libssl.so." MEDIC_STRINGIFY(OPENSSL_SHLIB_VERSION); }

bool OpenSslLoaded() { return loaded; }

void ReleaseThreadState() {
  using ThreadStop = void (*)();
  static std::atomic<ThreadStop> thread_stop{nullptr};
  ThreadStop stop = thread_stop.load();
  if (stop == nullptr) {
    // RTLD_NOLOAD: only a libcrypto already in the process; never loaded here. Kept open once
    // found (whoever loaded it never unloads it either).
    void* crypto =
        ::dlopen("libcrypto.so." MEDIC_STRINGIFY(OPENSSL_SHLIB_VERSION), RTLD_NOW | RTLD_NOLOAD);
    if (crypto == nullptr) return;
    stop = reinterpret_cast<ThreadStop>(::dlsym(crypto, "OPENSSL_thread_stop"));
    if (stop == nullptr) {
      ::dlclose(crypto);
      return;
    }
    thread_stop = stop;
  }
  stop();
}

}  // namespace medic::tls

// Each forwarder has OpenSSL's own prototype (a mismatch is a compile error, since the header
// declared it first) and resolves its target once.
#define MEDIC_OPENSSL_FORWARD(result, name, parameters, arguments)            \
  extern "C" __attribute__((visibility("hidden"))) result name parameters {   \
    static const auto target = medic::tls::Resolve<decltype(&::name)>(#name); \
    return target arguments;                                                  \
  }

// libcrypto
MEDIC_OPENSSL_FORWARD(BIGNUM*, ASN1_INTEGER_to_BN, (const ASN1_INTEGER* ai, BIGNUM* bn), (ai, bn))
MEDIC_OPENSSL_FORWARD(int, ASN1_TIME_to_tm, (const ASN1_TIME* s, struct tm* tm), (s, tm))
MEDIC_OPENSSL_FORWARD(long, BIO_ctrl, (BIO * bp, int cmd, long larg, void* parg),
                      (bp, cmd, larg, parg))
MEDIC_OPENSSL_FORWARD(void, BIO_free_all, (BIO * a), (a))
MEDIC_OPENSSL_FORWARD(BIO*, BIO_new, (const BIO_METHOD* type), (type))
MEDIC_OPENSSL_FORWARD(BIO*, BIO_new_mem_buf, (const void* buf, int len), (buf, len))
MEDIC_OPENSSL_FORWARD(const BIO_METHOD*, BIO_s_mem, (void), ())
MEDIC_OPENSSL_FORWARD(char*, BN_bn2hex, (const BIGNUM* a), (a))
MEDIC_OPENSSL_FORWARD(void, BN_free, (BIGNUM * a), (a))
MEDIC_OPENSSL_FORWARD(void, CRYPTO_free, (void* ptr, const char* file, int line), (ptr, file, line))
MEDIC_OPENSSL_FORWARD(void, ERR_clear_error, (void), ())
MEDIC_OPENSSL_FORWARD(void, ERR_error_string_n, (unsigned long e, char* buf, size_t len),
                      (e, buf, len))
MEDIC_OPENSSL_FORWARD(unsigned long, ERR_get_error, (void), ())
MEDIC_OPENSSL_FORWARD(unsigned long, ERR_peek_last_error, (void), ())
MEDIC_OPENSSL_FORWARD(int, OPENSSL_sk_num, (const OPENSSL_STACK* stack), (stack))
MEDIC_OPENSSL_FORWARD(void*, OPENSSL_sk_value, (const OPENSSL_STACK* stack, int index),
                      (stack, index))
MEDIC_OPENSSL_FORWARD(X509*, PEM_read_bio_X509, (BIO * out, X509** x, pem_password_cb* cb, void* u),
                      (out, x, cb, u))
MEDIC_OPENSSL_FORWARD(unsigned char*, SHA256, (const unsigned char* d, size_t n, unsigned char* md),
                      (d, n, md))
MEDIC_OPENSSL_FORWARD(int, X509_NAME_print_ex,
                      (BIO * out, const X509_NAME* nm, int indent, unsigned long flags),
                      (out, nm, indent, flags))
MEDIC_OPENSSL_FORWARD(int, X509_VERIFY_PARAM_set1_ip_asc,
                      (X509_VERIFY_PARAM * param, const char* ipasc), (param, ipasc))
MEDIC_OPENSSL_FORWARD(void, X509_free, (X509 * a), (a))
MEDIC_OPENSSL_FORWARD(const ASN1_TIME*, X509_get0_notAfter, (const X509* x), (x))
MEDIC_OPENSSL_FORWARD(const ASN1_TIME*, X509_get0_notBefore, (const X509* x), (x))
MEDIC_OPENSSL_FORWARD(const ASN1_INTEGER*, X509_get0_serialNumber, (const X509* x), (x))
MEDIC_OPENSSL_FORWARD(X509_NAME*, X509_get_issuer_name, (const X509* a), (a))
MEDIC_OPENSSL_FORWARD(X509_NAME*, X509_get_subject_name, (const X509* a), (a))
MEDIC_OPENSSL_FORWARD(const char*, X509_verify_cert_error_string, (long n), (n))

// libssl
MEDIC_OPENSSL_FORWARD(int, SSL_CTX_check_private_key, (const SSL_CTX* ctx), (ctx))
MEDIC_OPENSSL_FORWARD(long, SSL_CTX_ctrl, (SSL_CTX * ctx, int cmd, long larg, void* parg),
                      (ctx, cmd, larg, parg))
MEDIC_OPENSSL_FORWARD(void, SSL_CTX_free, (SSL_CTX * ctx), (ctx))
MEDIC_OPENSSL_FORWARD(int, SSL_CTX_load_verify_locations,
                      (SSL_CTX * ctx, const char* ca_file, const char* ca_path),
                      (ctx, ca_file, ca_path))
MEDIC_OPENSSL_FORWARD(SSL_CTX*, SSL_CTX_new, (const SSL_METHOD* meth), (meth))
MEDIC_OPENSSL_FORWARD(void, SSL_CTX_set_client_CA_list,
                      (SSL_CTX * ctx, STACK_OF(X509_NAME) * name_list), (ctx, name_list))
MEDIC_OPENSSL_FORWARD(int, SSL_CTX_set_default_verify_paths, (SSL_CTX * ctx), (ctx))
MEDIC_OPENSSL_FORWARD(uint64_t, SSL_CTX_set_options, (SSL_CTX * ctx, uint64_t op), (ctx, op))
MEDIC_OPENSSL_FORWARD(void, SSL_CTX_set_verify, (SSL_CTX * ctx, int mode, SSL_verify_cb callback),
                      (ctx, mode, callback))
MEDIC_OPENSSL_FORWARD(int, SSL_CTX_use_PrivateKey_file, (SSL_CTX * ctx, const char* file, int type),
                      (ctx, file, type))
MEDIC_OPENSSL_FORWARD(int, SSL_CTX_use_certificate_chain_file, (SSL_CTX * ctx, const char* file),
                      (ctx, file))
MEDIC_OPENSSL_FORWARD(int, SSL_accept, (SSL * ssl), (ssl))
MEDIC_OPENSSL_FORWARD(int, SSL_connect, (SSL * ssl), (ssl))
MEDIC_OPENSSL_FORWARD(long, SSL_ctrl, (SSL * ssl, int cmd, long larg, void* parg),
                      (ssl, cmd, larg, parg))
MEDIC_OPENSSL_FORWARD(void, SSL_free, (SSL * ssl), (ssl))
MEDIC_OPENSSL_FORWARD(X509_VERIFY_PARAM*, SSL_get0_param, (SSL * ssl), (ssl))
MEDIC_OPENSSL_FORWARD(X509*, SSL_get0_peer_certificate, (const SSL* s), (s))
MEDIC_OPENSSL_FORWARD(STACK_OF(X509) *, SSL_get0_verified_chain, (const SSL* s), (s))
MEDIC_OPENSSL_FORWARD(int, SSL_get_error, (const SSL* s, int ret_code), (s, ret_code))
MEDIC_OPENSSL_FORWARD(STACK_OF(X509) *, SSL_get_peer_cert_chain, (const SSL* s), (s))
MEDIC_OPENSSL_FORWARD(long, SSL_get_verify_result, (const SSL* ssl), (ssl))
MEDIC_OPENSSL_FORWARD(const char*, SSL_get_version, (const SSL* s), (s))
MEDIC_OPENSSL_FORWARD(STACK_OF(X509_NAME) *, SSL_load_client_CA_file, (const char* file), (file))
MEDIC_OPENSSL_FORWARD(SSL*, SSL_new, (SSL_CTX * ctx), (ctx))
MEDIC_OPENSSL_FORWARD(int, SSL_pending, (const SSL* s), (s))
MEDIC_OPENSSL_FORWARD(int, SSL_read, (SSL * ssl, void* buf, int num), (ssl, buf, num))
MEDIC_OPENSSL_FORWARD(int, SSL_set1_host, (SSL * s, const char* hostname), (s, hostname))
MEDIC_OPENSSL_FORWARD(int, SSL_set_fd, (SSL * s, int fd), (s, fd))
MEDIC_OPENSSL_FORWARD(int, SSL_shutdown, (SSL * s), (s))
MEDIC_OPENSSL_FORWARD(int, SSL_write, (SSL * ssl, const void* buf, int num), (ssl, buf, num))
MEDIC_OPENSSL_FORWARD(const SSL_METHOD*, TLS_client_method, (void), ())
MEDIC_OPENSSL_FORWARD(const SSL_METHOD*, TLS_server_method, (void), ())
