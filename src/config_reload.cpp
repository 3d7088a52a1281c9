#include "medic/config_reload.h"

namespace medic {
namespace {

class Differences {
 public:
  template <typename Value>
  void Compare(const char* key, const Value& started, const Value& next) {
    if (!(started == next)) names_.emplace_back(key);
  }
  // A whole section as written: what the remediation engine was built from.
  void CompareSection(const char* key, const Config& started, const Config& next) {
    const auto text = [key](const Config& config) {
      const auto found = config.section_text.find(key);
      return found == config.section_text.end() ? std::string() : found->second;
    };
    Compare(key, text(started), text(next));
  }
  std::vector<std::string> Take() { return std::move(names_); }

 private:
  std::vector<std::string> names_;
};

bool SameNotifiers(const std::map<std::string, NotifierSettings>& a,
                   const std::map<std::string, NotifierSettings>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, settings] : a) {
    const auto other = b.find(name);
    if (other == b.end()) return false;
    const NotifierSettings& c = other->second;
    // The URL is the resolved secret: a rotated url_file counts as a change.
    if (settings.url != c.url || settings.timeout != c.timeout || settings.attempts != c.attempts ||
        settings.format != c.format) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> SettingsNeedingRestart(const Config& started, const Config& next) {
  Differences differences;
  differences.Compare("web.listen_address", started.web.listen_address, next.web.listen_address);
  differences.Compare("web.telemetry_path", started.web.telemetry_path, next.web.telemetry_path);
  differences.Compare("web.max_request_body_bytes", started.web.max_request_body_bytes,
                      next.web.max_request_body_bytes);
  differences.Compare("web.read_timeout", started.web.read_timeout, next.web.read_timeout);
  differences.Compare("web.write_timeout", started.web.write_timeout, next.web.write_timeout);
  differences.Compare("web.idle_timeout", started.web.idle_timeout, next.web.idle_timeout);
  differences.Compare("web.tls_handshake_timeout", started.web.tls_handshake_timeout,
                      next.web.tls_handshake_timeout);
  differences.Compare("web.max_header_bytes", started.web.max_header_bytes,
                      next.web.max_header_bytes);
  differences.Compare("web.max_header_fields", started.web.max_header_fields,
                      next.web.max_header_fields);
  differences.Compare("web.max_connections", started.web.max_connections, next.web.max_connections);
  differences.Compare("web.max_connections_per_peer", started.web.max_connections_per_peer,
                      next.web.max_connections_per_peer);
  differences.Compare("web.worker_threads", started.web.worker_threads, next.web.worker_threads);
  differences.Compare("web.max_concurrent_probes", started.web.max_concurrent_probes,
                      next.web.max_concurrent_probes);
  differences.Compare("web.max_requests_per_peer", started.web.max_requests_per_peer,
                      next.web.max_requests_per_peer);
  differences.Compare("web.max_auth_failures_per_minute", started.web.max_auth_failures_per_minute,
                      next.web.max_auth_failures_per_minute);
  differences.Compare("web.auth_throttle_exempt", started.web.auth_throttle_exempt,
                      next.web.auth_throttle_exempt);
  differences.Compare("webhook", started.webhook.has_value(), next.webhook.has_value());
  if (started.webhook && next.webhook) {
    differences.Compare("webhook.path", started.webhook->path, next.webhook->path);
    differences.Compare("webhook.max_body_bytes", started.webhook->max_body_bytes,
                        next.webhook->max_body_bytes);
  }
  if (started.webhook || next.webhook) {
    // The journal and the remediation engine are built once: running jobs must not be torn
    // down by a reload.
    differences.Compare("data_dir", started.data_dir, next.data_dir);
    differences.Compare("journal.path", started.journal.path, next.journal.path);
    differences.Compare("journal.retention", started.journal.retention, next.journal.retention);
    differences.Compare("journal.max_rows", started.journal.max_rows, next.journal.max_rows);
    differences.Compare("journal.max_bytes", started.journal.max_bytes, next.journal.max_bytes);
    differences.Compare("journal.max_alert_bytes", started.journal.max_alert_bytes,
                        next.journal.max_alert_bytes);
    differences.Compare("docker.host (remediations)", started.docker.host, next.docker.host);
    differences.Compare("docker.timeout (remediations)", started.docker.timeout,
                        next.docker.timeout);
    differences.Compare("targets", started.targets, next.targets);
    if (!SameNotifiers(started.notifiers, next.notifiers)) {
      differences.Compare("notifiers", 0, 1);
    }
    differences.CompareSection("remediations", started, next);
    differences.Compare("dry_run", started.dry_run, next.dry_run);
    differences.Compare("workers", started.workers, next.workers);
    differences.Compare("queue_size", started.queue_size, next.queue_size);
  }
  // `fleet` is deliberately absent: every key of it (host, aliases, host_label,
  // without_host_label, ignore_labels, replica_window) is applied by WebhookService::Reconfigure
  // to the next request, and the section may come and go. Renaming a host or folding other
  // labels changes which alerts are this medic's from then on; journaled work stays as it is.
  return differences.Take();
}

}  // namespace medic
