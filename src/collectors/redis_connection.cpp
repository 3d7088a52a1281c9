#include "medic/collectors/redis_connection.h"

#include <sys/time.h>

#include <algorithm>
#include <charconv>

namespace medic {
namespace {

using Clock = std::chrono::steady_clock;

// hiredis treats a zero timeval as "no timeout", so never hand it one.
timeval Remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  if (left.count() <= 0) throw RedisFailure("timed out", true);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(left.count() % 1000000);
  return tv;
}

}  // namespace

RedisAddress ParseRedisAddress(const std::string& address) {
  RedisAddress result;
  if (address.rfind("unix://", 0) == 0) {
    result.unix_path = address.substr(7);
  } else if (!address.empty() && address.front() == '/') {
    result.unix_path = address;
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
      throw std::invalid_argument("redis address \"" + address +
                                  "\" is neither host:port nor a unix socket path");
    }
    result.host = address.substr(0, colon);
    if (result.host.size() >= 2 && result.host.front() == '[' && result.host.back() == ']') {
      result.host = result.host.substr(1, result.host.size() - 2);
    }
    const std::string port = address.substr(colon + 1);
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), result.port);
    if (error != std::errc() || end != port.data() + port.size() || result.port <= 0 ||
        result.port > 65535) {
      throw std::invalid_argument("redis address \"" + address + "\" has a bad port");
    }
  }
  if (result.host.empty() && result.unix_path.empty()) {
    throw std::invalid_argument("redis address \"" + address + "\" is empty");
  }
  return result;
}

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = HexDigit(text[i + 1]);
      const int low = HexDigit(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace

RedisSettings RedisSettingsForTarget(const std::string& target, const RedisSettings* configured) {
  RedisSettings settings;
  if (configured != nullptr) settings.timeout = configured->timeout;
  if (target.rfind("rediss://", 0) == 0) {
    throw std::invalid_argument("rediss:// targets are not supported (no TLS to Redis in medic)");
  }
  const std::size_t scheme_end = target.find("://");
  if (scheme_end != std::string::npos && target.compare(0, scheme_end, "redis") != 0 &&
      target.compare(0, scheme_end, "unix") != 0) {
    // Named without the rest of the target, which may hold a password.
    throw std::invalid_argument("unsupported scheme \"" +
                                target.substr(0, std::min<std::size_t>(scheme_end, 16)) +
                                "://\" (use redis://host:port, unix:///path or host:port)");
  }
  if (target.rfind("unix://", 0) == 0) {
    settings.address = target;
  } else {
    std::string_view rest = target;
    const bool url = rest.rfind("redis://", 0) == 0;
    if (url) rest.remove_prefix(8);
    const std::size_t slash = rest.find('/');
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    const std::size_t at = rest.rfind('@');
    if (at != std::string_view::npos) {
      if (!url) throw std::invalid_argument("credentials need a redis:// URL");
      const std::string_view userinfo = rest.substr(0, at);
      const std::size_t colon = userinfo.find(':');
      settings.username = PercentDecode(userinfo.substr(0, colon));
      if (colon != std::string_view::npos) {
        settings.password = PercentDecode(userinfo.substr(colon + 1));
      }
      rest = rest.substr(at + 1);
    }
    settings.address = std::string(rest);
    if (!path.empty()) {
      const auto [end, error] =
          std::from_chars(path.data(), path.data() + path.size(), settings.db);
      if (error != std::errc() || end != path.data() + path.size() || settings.db < 0) {
        throw std::invalid_argument("the database after the address must be a number");
      }
    }
  }
  ParseRedisAddress(settings.address);  // throws with the reason
  if (configured != nullptr && settings.password.empty() &&
      settings.address == configured->address) {
    settings.username = configured->username;
    settings.password = configured->password;
    if (settings.db == 0) settings.db = configured->db;
  }
  return settings;
}

std::string RedisReplyText(const redisReply& reply) {
  if (reply.str == nullptr) return {};
  return std::string(reply.str, reply.len);
}

bool IsRedisAuthError(const std::string& message) {
  for (const char* prefix : {"WRONGPASS", "NOAUTH", "NOPERM", "ERR invalid password",
                             "ERR invalid username", "ERR AUTH", "ERR Client sent AUTH"}) {
    if (message.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

RedisConnection::RedisConnection(RedisSettings settings)
    : settings_(std::move(settings)), address_(ParseRedisAddress(settings_.address)) {}

std::string RedisConnection::Scrub(std::string message) const {
  // Servers do not echo the password, but never let one reach a log, a label or the page.
  if (settings_.password.empty()) return message;
  for (std::size_t at = message.find(settings_.password); at != std::string::npos;
       at = message.find(settings_.password, at)) {
    message.replace(at, settings_.password.size(), "<redacted>");
  }
  return message;
}

void RedisConnection::Connect(Deadline deadline) {
  context_.reset();
  const timeval timeout = Remaining(deadline);
  RedisContextPtr context(
      address_.unix_path.empty()
          ? redisConnectWithTimeout(address_.host.c_str(), address_.port, timeout)
          : redisConnectUnixWithTimeout(address_.unix_path.c_str(), timeout));
  if (!context) throw RedisFailure("cannot allocate a redis context", false);
  if (context->err != 0) {
    throw RedisFailure(
        std::string("connect to ") + settings_.address + " failed: " + context->errstr, false);
  }
  context_ = std::move(context);
  if (!settings_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!settings_.username.empty()) auth.push_back(settings_.username);
    auth.push_back(settings_.password);
    RedisReplyPtr reply = Command(auth, deadline);
    if (reply->type == REDIS_REPLY_ERROR) {
      context_.reset();
      throw RedisFailure("auth failed: " + RedisReplyText(*reply), false);
    }
  }
  if (settings_.db != 0) {
    RedisReplyPtr reply = Command({"SELECT", std::to_string(settings_.db)}, deadline);
    if (reply->type == REDIS_REPLY_ERROR) {
      context_.reset();
      throw RedisFailure(
          "SELECT " + std::to_string(settings_.db) + " failed: " + RedisReplyText(*reply), false);
    }
  }
}

RedisReplyPtr RedisConnection::Command(const std::vector<std::string>& argv, Deadline deadline) {
  if (!context_) throw RedisFailure("not connected", true);
  if (redisSetTimeout(context_.get(), Remaining(deadline)) != REDIS_OK) {
    context_.reset();
    throw RedisFailure("cannot set the socket timeout", true);
  }
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  RedisReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
      context_.get(), static_cast<int>(args.size()), args.data(), lengths.data())));
  if (!reply) {
    // Only the command name: AUTH's arguments are secrets.
    std::string message =
        argv.front() + " failed: " + (context_->err != 0 ? context_->errstr : "no reply");
    if (context_->err == REDIS_ERR_IO && context_->errstr[0] != '\0' &&
        std::string(context_->errstr).find("temporarily unavailable") != std::string::npos) {
      message = argv.front() + " timed out";
    }
    context_.reset();
    throw RedisFailure(message, true);
  }
  return reply;
}

}  // namespace medic
