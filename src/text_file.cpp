#include "medic/text_file.h"

#include "medic/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace medic {

std::optional<std::string> ReadTextFile(const std::string& path, std::size_t max_bytes) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string text;
  char buffer[4096];
  while (text.size() < max_bytes) {
    const ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
  }
  if (text.size() > max_bytes) text.resize(max_bytes);
  return text;
}

}  // namespace medic
