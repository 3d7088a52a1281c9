#pragma once

#include <string>

namespace medic::test {

// A tmpfs mounted on an existing directory (needs root / CAP_SYS_ADMIN) and lazily unmounted on
// destruction, so a failed check never leaves a mount behind. mounted() is false when the
// mount was not permitted: the caller skips with a message.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, const std::string& options);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  // Changes mount options in place, e.g. "ro" or "rw" or "size=2m"; false on failure.
  bool Remount(const std::string& options);

 private:
  std::string path_;
  bool mounted_ = false;
};

}  // namespace medic::test
