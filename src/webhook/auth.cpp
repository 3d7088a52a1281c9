#include "medic/webhook/auth.h"

#include "medic/net/field_text.h"
#include "medic/secret_text.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace medic::webhook {

using net::StartsWithIgnoreCase;
using net::TrimOptionalWhitespace;

namespace {

constexpr auto kFileCheckInterval = std::chrono::seconds(1);

}  // namespace

WebhookAuthenticator::WebhookAuthenticator(const WebhookSettings& settings) {
  Reconfigure(settings);
}

void WebhookAuthenticator::Reconfigure(const WebhookSettings& settings) {
  std::lock_guard lock(mutex_);
  bearer_token_ = settings.bearer_token;
  basic_username_ = settings.basic_username;
  basic_password_ = settings.basic_password;
  // No version seen yet: the first check re-reads the files, so a rotation between the config
  // load that read them and this call is not missed.
  token_file_ = {settings.bearer_token_file, std::nullopt};
  password_file_ = {settings.basic_password_file, std::nullopt};
  next_file_check_ = std::chrono::steady_clock::now() + kFileCheckInterval;
}

bool WebhookAuthenticator::Configured() const {
  std::lock_guard lock(mutex_);
  return !bearer_token_.empty() || !basic_username_.empty();
}

std::optional<WebhookAuthenticator::FileVersion> WebhookAuthenticator::VersionOf(
    const std::string& path) {
  struct stat info {};
  if (path.empty() || ::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileVersion{
      info.st_dev, info.st_ino,
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec,
      info.st_size};
}

void WebhookAuthenticator::Refresh(WatchedSecret& watched, std::string& secret) {
  if (watched.path.empty()) return;
  const auto version = VersionOf(watched.path);
  if (!version || version == watched.seen) return;
  const auto content = ReadSecretFile(watched.path);
  if (!content || content->empty()) {
    spdlog::error("webhook: secret file {} changed but is {}; keeping the previous secret",
                  watched.path, content ? "empty" : "unreadable");
    watched.seen = version;
    return;
  }
  watched.seen = version;
  if (*content != secret) spdlog::info("webhook: secret file {} changed; using it", watched.path);
  secret = *content;
}

void WebhookAuthenticator::RefreshFromFilesLocked() {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_file_check_) return;
  next_file_check_ = now + kFileCheckInterval;
  Refresh(token_file_, bearer_token_);
  Refresh(password_file_, basic_password_);
}

bool WebhookAuthenticator::Allows(std::string_view authorization) {
  std::lock_guard lock(mutex_);
  RefreshFromFilesLocked();
  if (bearer_token_.empty() && basic_username_.empty()) return false;
  authorization = TrimOptionalWhitespace(authorization);
  if (!bearer_token_.empty() && StartsWithIgnoreCase(authorization, "bearer ")) {
    return SecretsEqual(TrimOptionalWhitespace(authorization.substr(7)), bearer_token_);
  }
  if (!basic_username_.empty() && StartsWithIgnoreCase(authorization, "basic ")) {
    const auto decoded_text = DecodeBase64(TrimOptionalWhitespace(authorization.substr(6)), 4096);
    if (!decoded_text) return false;
    const std::string& decoded = *decoded_text;
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    // Evaluate both comparisons so timing does not reveal which half was wrong.
    const bool user_ok = SecretsEqual(decoded.substr(0, colon), basic_username_);
    const bool password_ok = SecretsEqual(decoded.substr(colon + 1), basic_password_);
    return user_ok && password_ok;
  }
  return false;
}

}  // namespace medic::webhook
