#include "medic/remediation/tar_gz.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace medic::remediation {

namespace {

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

void WriteOctal(char* field, std::size_t width, std::uint64_t value) {
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

void GzWrite(gzFile file, const void* data, std::size_t size) {
  if (size == 0) return;
  if (gzwrite(file, data, static_cast<unsigned>(size)) != static_cast<int>(size)) {
    throw std::runtime_error("gzwrite failed");
  }
}

}  // namespace

void WriteTarGz(const std::string& directory, const std::string& archive_path) {
  namespace fs = std::filesystem;
  std::unique_ptr<gzFile_s, GzCloser> out(gzopen(archive_path.c_str(), "wb6"));
  if (!out) throw std::runtime_error("cannot create " + archive_path);
  const std::string prefix = fs::path(directory).filename().string();
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    const std::string name = prefix + "/" + file.filename().string();
    if (name.size() >= 100) throw std::runtime_error("tar entry name too long: " + name);
    std::array<char, 512> header{};
    std::memcpy(header.data(), name.data(), name.size());
    WriteOctal(header.data() + 100, 8, 0644);
    WriteOctal(header.data() + 108, 8, 0);
    WriteOctal(header.data() + 116, 8, 0);
    WriteOctal(header.data() + 124, 12, content.size());
    WriteOctal(header.data() + 136, 12, static_cast<std::uint64_t>(std::time(nullptr)));
    header[156] = '0';
    std::memcpy(header.data() + 257, "ustar", 6);
    std::memcpy(header.data() + 263, "00", 2);
    std::memset(header.data() + 148, ' ', 8);
    unsigned checksum = 0;
    for (char c : header) checksum += static_cast<unsigned char>(c);
    std::snprintf(header.data() + 148, 8, "%06o", checksum);
    header[155] = ' ';
    GzWrite(out.get(), header.data(), header.size());
    GzWrite(out.get(), content.data(), content.size());
    const std::size_t padding = (512 - content.size() % 512) % 512;
    const std::array<char, 512> zeros{};
    GzWrite(out.get(), zeros.data(), padding);
  }
  const std::array<char, 1024> end{};
  GzWrite(out.get(), end.data(), end.size());
  if (gzclose(out.release()) != Z_OK) throw std::runtime_error("cannot finish " + archive_path);
}

}  // namespace medic::remediation
