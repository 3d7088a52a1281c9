#include "support/tmpfs_mount.h"

#include <sys/mount.h>

namespace medic::test {

TmpfsMount::TmpfsMount(const std::string& path, const std::string& options) : path_(path) {
  mounted_ = ::mount("medic-test", path.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

TmpfsMount::~TmpfsMount() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

bool TmpfsMount::Remount(const std::string& options) {
  unsigned long flags = MS_REMOUNT;
  if (options.rfind("ro", 0) == 0) flags |= MS_RDONLY;
  return ::mount("medic-test", path_.c_str(), "tmpfs", flags, options.c_str()) == 0;
}

}  // namespace medic::test
