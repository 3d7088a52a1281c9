#include "medic/logs/file_follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace medic::logs {
namespace {

constexpr std::size_t kReadChunk = 256 * 1024;

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

std::string DirectoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

int OpenForReading(const std::string& path) {
  // O_NONBLOCK: a FIFO put in place of the log must not block the tailing thread.
  return ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

}  // namespace

FileFollower::FileFollower(Options options, std::optional<FileOffset> saved)
    : options_(std::move(options)),
      saved_(std::move(saved)),
      splitter_(options_.max_line_bytes),
      buffer_(kReadChunk) {}

FileFollower::~FileFollower() { Close(); }

void FileFollower::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void FileFollower::ReportError(LineSink& sink, const std::string& message) {
  if (message == last_error_) return;
  last_error_ = message;
  sink.OnReadError(message);
}

void FileFollower::Feed(std::string_view data, LineSink& sink) {
  splitter_.Feed(
      data, [&](std::string_view line) { sink.OnLine(line); }, [&] { sink.OnOverlongLine(); });
}

void FileFollower::Start(LineSink& sink) {
  if (started_) return;
  Open(sink);
}

bool FileFollower::Open(LineSink& sink) {
  const bool first = !started_;
  started_ = true;
  const int fd = OpenForReading(options_.path);
  if (fd < 0) {
    if (errno == ENOENT) {
      if (first) read_from_zero_ = true;  // appears later: count it from its first line
      return false;
    }
    ReportError(sink, "open " + options_.path + ": " + std::strerror(errno));
    if (first) read_from_zero_ = true;
    return false;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    const std::string reason = S_ISDIR(info.st_mode) ? "is a directory" : "not a regular file";
    ::close(fd);
    ReportError(sink, "open " + options_.path + ": " + reason);
    if (first) read_from_zero_ = true;
    return false;
  }
  fd_ = fd;
  device_ = info.st_dev;
  inode_ = info.st_ino;
  const auto size = static_cast<std::uint64_t>(info.st_size);
  splitter_.Reset();
  offset_ = 0;
  if (saved_) {
    const FileOffset saved = *saved_;
    saved_.reset();
    if (saved.device == info.st_dev && saved.inode == info.st_ino) {
      if (size < saved.offset) {
        sink.OnTruncation();  // truncated while medic was stopped
      } else {
        offset_ = saved.offset;
        splitter_.set_skipping(saved.skipping_overlong);
      }
    } else {
      FinishRotatedWhileStopped(saved, sink);
      sink.OnRotation();
    }
  } else if (had_file_) {
    sink.OnRotation();
  } else if (!read_from_zero_ && !options_.from_beginning) {
    offset_ = size;
  }
  had_file_ = true;
  read_from_zero_ = false;
  if (offset_ != 0 && ::lseek(fd_, static_cast<off_t>(offset_), SEEK_SET) < 0) {
    ReportError(sink, "seek " + options_.path + ": " + std::strerror(errno));
    offset_ = 0;
    ::lseek(fd_, 0, SEEK_SET);
  }
  last_error_.clear();
  return true;
}

void FileFollower::FinishRotatedWhileStopped(const FileOffset& saved, LineSink& sink) {
  std::unique_ptr<DIR, DirCloser> dir(::opendir(DirectoryOf(options_.path).c_str()));
  if (!dir) return;
  while (const dirent* entry = ::readdir(dir.get())) {
    if (entry->d_ino != saved.inode) continue;
    const std::string candidate = DirectoryOf(options_.path) + "/" + entry->d_name;
    const int fd = OpenForReading(candidate);
    if (fd < 0) continue;
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_dev != saved.device ||
        info.st_ino != saved.inode || static_cast<std::uint64_t>(info.st_size) < saved.offset ||
        ::lseek(fd, static_cast<off_t>(saved.offset), SEEK_SET) < 0) {
      ::close(fd);
      continue;
    }
    // Read the rest of the rotated file with this follower's splitter, then hand back.
    const int current = fd_;
    fd_ = fd;
    splitter_.Reset();
    splitter_.set_skipping(saved.skipping_overlong);
    while (ReadAvailable(sink, kReadChunk * 64) > 0) {
    }
    splitter_.Flush([&](std::string_view line) { sink.OnLine(line); });
    ::close(fd);
    fd_ = current;
    offset_ = 0;
    return;
  }
}

long long FileFollower::ReadAvailable(LineSink& sink, std::size_t budget) {
  long long total = 0;
  while (budget > 0) {
    const ssize_t n = ::read(fd_, buffer_.data(), std::min(buffer_.size(), budget));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      ReportError(sink, "read " + options_.path + ": " + std::strerror(errno));
      return -1;
    }
    if (n == 0) break;
    const auto bytes = static_cast<std::size_t>(n);
    offset_ += bytes;
    budget -= bytes;
    total += n;
    sink.OnBytes(bytes);
    Feed(std::string_view(buffer_.data(), bytes), sink);
  }
  return total;
}

void FileFollower::FinishFile(LineSink& sink) {
  while (ReadAvailable(sink, options_.max_bytes_per_poll) > 0) {
  }
  splitter_.Flush([&](std::string_view line) { sink.OnLine(line); });
  Close();
}

bool FileFollower::Poll(LineSink& sink) {
  if (fd_ < 0 && !Open(sink)) return false;
  const long long read = ReadAvailable(sink, options_.max_bytes_per_poll);
  if (read < 0) {
    Close();  // reopened (and re-identified) on the next poll
    saved_ = Position();
    return false;
  }
  if (static_cast<std::size_t>(read) >= options_.max_bytes_per_poll) return true;

  // At EOF: was the file truncated under us (copytruncate)?
  struct stat open_info {};
  if (::fstat(fd_, &open_info) == 0 && static_cast<std::uint64_t>(open_info.st_size) < offset_) {
    splitter_.Flush([&](std::string_view line) { sink.OnLine(line); });
    sink.OnTruncation();
    offset_ = 0;
    ::lseek(fd_, 0, SEEK_SET);
    return true;
  }
  // Is the name still ours?
  struct stat path_info {};
  if (::stat(options_.path.c_str(), &path_info) != 0) {
    if (errno == ENOENT && open_info.st_nlink > 0) return false;  // renamed, keep reading it
    FinishFile(sink);  // deleted (or unreachable): nothing more will come from this inode
    return false;
  }
  if (path_info.st_dev == device_ && path_info.st_ino == inode_) return false;
  FinishFile(sink);  // a new file (or a directory) took the name
  return Open(sink);
}

FileOffset FileFollower::Position() const {
  if (fd_ < 0 && saved_) return *saved_;
  FileOffset position;
  position.device = static_cast<std::uint64_t>(device_);
  position.inode = static_cast<std::uint64_t>(inode_);
  position.offset = offset_ - std::min<std::uint64_t>(offset_, splitter_.pending_bytes());
  position.skipping_overlong = splitter_.skipping();
  return position;
}

}  // namespace medic::logs
