#include "medic/tls/certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
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

// RFC 2253 escaping as Go's AttributeTypeAndValue printing does it.
std::string GoEscape(const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' ||
                         c == ';' || (i == 0 && (c == ' ' || c == '#')) ||
                         (i + 1 == value.size() && c == ' ');
    if (special) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string EntryValue(const X509_NAME_ENTRY* entry) {
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0 || utf8 == nullptr) return {};
  std::string value(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return value;
}

// "1.2.840.113549.1.9.1=#1610…": how Go prints an attribute it has no name for (the value's DER).
std::string UnknownAttribute(const X509_NAME_ENTRY* entry) {
  char oid[128];
  OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(entry), 1);
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  std::string der;
  der.push_back(static_cast<char>(ASN1_STRING_type(data) & 0x1f));
  const int length = ASN1_STRING_length(data);
  if (length < 128) {
    der.push_back(static_cast<char>(length));
  } else {
    std::string bytes;
    for (int rest = length; rest > 0; rest >>= 8)
      bytes.insert(bytes.begin(), static_cast<char>(rest & 0xff));
    der.push_back(static_cast<char>(0x80 | bytes.size()));
    der += bytes;
  }
  der.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
             static_cast<std::size_t>(length));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = std::string(oid) + "=#";
  for (const unsigned char c : der) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string HexLower(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xf]);
  }
  return out;
}

std::string DnsNames(X509* certificate) {
  using Names = std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)>;
  Names names(static_cast<GENERAL_NAMES*>(
                  X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)),
              [](GENERAL_NAMES* list) { GENERAL_NAMES_free(list); });
  std::string joined;
  if (!names) return joined;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_STRING* text = name->d.dNSName;
    if (!joined.empty()) joined.push_back(',');
    joined.append(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                  static_cast<std::size_t>(ASN1_STRING_length(text)));
  }
  return joined;
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

std::string GoNameString(const X509_NAME* name) {
  if (name == nullptr) return {};
  // Go prints the attributes it parses in this order, each type's values as one multi-valued
  // RDN joined by '+', then the ones it does not know, last first.
  static constexpr std::pair<int, const char*> kKnown[] = {{NID_serialNumber, "SERIALNUMBER"},
                                                           {NID_commonName, "CN"},
                                                           {NID_organizationalUnitName, "OU"},
                                                           {NID_organizationName, "O"},
                                                           {NID_postalCode, "POSTALCODE"},
                                                           {NID_streetAddress, "STREET"},
                                                           {NID_localityName, "L"},
                                                           {NID_stateOrProvinceName, "ST"},
                                                           {NID_countryName, "C"}};
  std::string out;
  const int count = X509_NAME_entry_count(name);
  for (const auto& [nid, label] : kKnown) {
    std::string rdn;
    for (int i = 0; i < count; ++i) {
      const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
      if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)) != nid) continue;
      if (!rdn.empty()) rdn.push_back('+');
      rdn += std::string(label) + "=" + GoEscape(EntryValue(entry));
    }
    if (rdn.empty()) continue;
    if (!out.empty()) out.push_back(',');
    out += rdn;
  }
  for (int i = count - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    const bool known =
        std::any_of(std::begin(kKnown), std::end(kKnown),
                    [nid](const auto& known_entry) { return known_entry.first == nid; });
    if (known) continue;
    if (!out.empty()) out.push_back(',');
    out += UnknownAttribute(entry);
  }
  return out;
}

CertificateInfo DescribeCertificate(X509* certificate) {
  CertificateInfo info;
  info.subject = NameText(X509_get_subject_name(certificate));
  info.issuer = NameText(X509_get_issuer_name(certificate));
  info.serial = SerialText(X509_get0_serialNumber(certificate));
  info.not_before = TimeSeconds(X509_get0_notBefore(certificate));
  info.not_after = TimeSeconds(X509_get0_notAfter(certificate));
  info.go_subject = GoNameString(X509_get_subject_name(certificate));
  info.go_issuer = GoNameString(X509_get_issuer_name(certificate));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &digest_size) == 1) {
    info.fingerprint_sha256 = HexLower(digest, digest_size);
  }
  info.dns_names = DnsNames(certificate);
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
