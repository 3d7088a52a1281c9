#include "medic/logs/offset_state.h"
#include "medic/json_text.h"

#include "medic/unique_fd.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace medic::logs {
namespace {

[[noreturn]] void Fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

std::string DirectoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

OffsetMap OffsetStateFile::Load() const {
  OffsetMap offsets;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return offsets;
  try {
    std::stringstream buffer;
    buffer << in.rdbuf();
    const nlohmann::json document = nlohmann::json::parse(buffer.str());
    for (const auto& [name, entry] : document.at("sources").items()) {
      FileOffset offset;
      offset.device = entry.value("device", std::uint64_t{0});
      offset.inode = entry.value("inode", std::uint64_t{0});
      offset.offset = entry.value("offset", std::uint64_t{0});
      offset.skipping_overlong = entry.value("skipping_overlong", false);
      offset.container_id = entry.value("container_id", std::string());
      offset.container_since = entry.value("container_since", std::string());
      offset.container_lines_at_since = entry.value("container_lines_at_since", std::uint64_t{0});
      offsets.emplace(name, offset);
    }
  } catch (const std::exception& error) {
    spdlog::warn("log offsets {}: ignoring unreadable state file: {}", path_, error.what());
    offsets.clear();
  }
  return offsets;
}

void OffsetStateFile::Save(const OffsetMap& offsets) const {
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& [name, offset] : offsets) {
    nlohmann::json entry{{"device", offset.device},
                         {"inode", offset.inode},
                         {"offset", offset.offset},
                         {"skipping_overlong", offset.skipping_overlong}};
    if (!offset.container_id.empty()) {
      entry["container_id"] = offset.container_id;
      entry["container_since"] = offset.container_since;
      entry["container_lines_at_since"] = offset.container_lines_at_since;
    }
    sources[name] = std::move(entry);
  }
  const std::string text = JsonText(nlohmann::json{{"version", 1}, {"sources", sources}}, 2) + "\n";
  const std::string temporary = path_ + ".tmp";
  {
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) Fail("cannot create", temporary);
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        Fail("cannot write", temporary);
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) Fail("cannot fsync", temporary);
    if (::close(fd.Release()) != 0) Fail("cannot close", temporary);
  }
  if (::rename(temporary.c_str(), path_.c_str()) != 0) Fail("cannot rename onto", path_);
  UniqueFd directory(::open(DirectoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() >= 0) ::fsync(directory.get());
}

}  // namespace medic::logs
