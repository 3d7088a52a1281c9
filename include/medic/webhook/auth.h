#pragma once

#include "medic/config.h"

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace medic::webhook {

// Checks the Authorization header of a webhook request against the configured bearer token
// and/or basic-auth pair. Refuses everything when no credential is configured: an
// unauthenticated remediation endpoint is never the default.
//
// Credentials change without a restart: Reconfigure() (a reload) swaps them at once, and a
// secret read from a file (bearer_token_file, basic_auth.password_file) is re-read when the file
// changes on disk, at most once a second, as Kubernetes and Docker rotate secrets by replacing
// the file. A secret file that cannot be read, or is empty, keeps the last good value (logged).
class WebhookAuthenticator {
 public:
  explicit WebhookAuthenticator(const WebhookSettings& settings);

  void Reconfigure(const WebhookSettings& settings);
  bool Configured() const;
  // `authorization` is the raw header value ("" when absent).
  bool Allows(std::string_view authorization);

 private:
  // What identifies one version of a file: a rename over it changes the inode, an edit in
  // place the modification time or size.
  struct FileVersion {
    dev_t device = 0;
    ino_t inode = 0;
    std::int64_t modified_ns = 0;
    off_t size = 0;
    bool operator==(const FileVersion&) const = default;
  };
  struct WatchedSecret {
    std::string path;
    std::optional<FileVersion> seen;
  };
  static std::optional<FileVersion> VersionOf(const std::string& path);
  // Re-reads `watched` into `secret` if its file changed; mutex_ held.
  static void Refresh(WatchedSecret& watched, std::string& secret);
  void RefreshFromFilesLocked();

  mutable std::mutex mutex_;
  std::string bearer_token_;
  std::string basic_username_;
  std::string basic_password_;
  WatchedSecret token_file_;
  WatchedSecret password_file_;
  std::chrono::steady_clock::time_point next_file_check_{};
};

}  // namespace medic::webhook
