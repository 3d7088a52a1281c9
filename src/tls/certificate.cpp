#include "medic/tls/certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace medic::tls {
namespace {

std::string NameText(const X509_NAME* name) {
  if (name == nullptr) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

double TimeSeconds(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return 0;
  return static_cast<double>(timegm(&parts));
}

std::string SerialText(const ASN1_INTEGER* serial) {
  using BignumPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
  BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr), &BN_free);
  if (!number) return {};
  std::unique_ptr<char, void (*)(char*)> hex(BN_bn2hex(number.get()),
                                             [](char* text) { OPENSSL_free(text); });
  return hex ? std::string(hex.get()) : std::string();
}

// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::string ReadBounded(const std::string& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    throw CertificateLoadError("cannot open " + path + ": " + std::strerror(errno));
  }
  FdCloser closer{fd};
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    throw CertificateLoadError("cannot stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(status.st_mode)) {
    throw CertificateLoadError(path + " is not a regular file");
  }
  if (static_cast<std::size_t>(status.st_size) > max_bytes) {
    throw CertificateLoadError(path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string content;
  char buffer[16384];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof(buffer));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw CertificateLoadError("cannot read " + path + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > max_bytes) {
      throw CertificateLoadError(path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return content;
}

}  // namespace

CertificateInfo DescribeCertificate(X509* certificate) {
  CertificateInfo info;
  info.subject = NameText(X509_get_subject_name(certificate));
  info.issuer = NameText(X509_get_issuer_name(certificate));
  info.serial = SerialText(X509_get0_serialNumber(certificate));
  info.not_before = TimeSeconds(X509_get0_notBefore(certificate));
  info.not_after = TimeSeconds(X509_get0_notAfter(certificate));
  return info;
}

std::vector<X509Ptr> LoadPemCertificates(const std::string& path, std::size_t max_bytes) {
  const std::string content = ReadBounded(path, max_bytes);
  BioPtr bio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (!bio) throw CertificateLoadError("out of memory reading " + path);
  ERR_clear_error();
  std::vector<X509Ptr> certificates;
  while (true) {
    X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!certificate) break;
    certificates.push_back(std::move(certificate));
  }
  // Running out of input ends the loop with "no start line"; anything else is damage.
  const unsigned long last = ERR_peek_last_error();
  const bool clean_end = last == 0 || (ERR_GET_LIB(last) == ERR_LIB_PEM &&
                                       ERR_GET_REASON(last) == PEM_R_NO_START_LINE);
  if (!clean_end) {
    throw CertificateLoadError("malformed PEM certificate in " + path + ": " + TakeOpenSslErrors());
  }
  ERR_clear_error();
  if (certificates.empty()) {
    throw CertificateLoadError("no PEM certificate found in " + path);
  }
  return certificates;
}

std::vector<std::string> ExpandCertificatePaths(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) return {path};
  std::vector<std::string> paths;
  std::filesystem::directory_iterator it(path, error);
  if (error) throw CertificateLoadError("cannot list " + path + ": " + error.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) throw CertificateLoadError("cannot list " + path + ": " + error.message());
    const std::string extension = it->path().extension().string();
    if (extension == ".pem" || extension == ".crt" || extension == ".cer") {
      paths.push_back(it->path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace medic::tls
