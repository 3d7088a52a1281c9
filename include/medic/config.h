#pragma once

#include "medic/duration.h"

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace medic {

using namespace std::chrono_literals;

// The configuration model. Plain values only: parsing and validation live in config_loader,
// so every part of medic can depend on this header without pulling in YAML.

struct WebSettings {
  std::string listen_address = "127.0.0.1:9469";
  std::string telemetry_path = "/metrics";
  std::string config_file;  // exporter-toolkit web config (TLS, basic_auth_users)
  // What one client may cost (net::ServerLimits says what each bounds). Changing them needs a
  // restart.
  std::size_t max_request_body_bytes = 1 << 20;
  Duration read_timeout = 10s;
  Duration write_timeout = 10s;
  Duration idle_timeout = 5s;
  Duration tls_handshake_timeout = 5s;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_header_fields = 100;
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_peer = 512;
  std::size_t worker_threads = 4;
  std::size_t max_requests_per_peer = 32;
  Duration shutdown_timeout = 15s;
  // The status page (/ and /api/v1/status) shows the latest scrape when it started at most this
  // long ago, and collects only when there is none that recent: page views then cost no
  // collector runs. Prometheus's default scrape interval; set it to yours (0: always collect).
  Duration status_max_age = 15s;
  // Failed logins a peer address may make in a burst, then per minute (0: no limit); past that
  // it is answered 429 with Retry-After. Shared by basic_auth_users and the webhook.
  int max_auth_failures_per_minute = 10;
  // CIDR networks whose peers are never throttled (the Prometheus and Alertmanager addresses
  // when untrusted clients share them, behind NAT or a proxy).
  std::vector<std::string> auth_throttle_exempt;
  // GET /probe and GET /scrape requests running at once; past it they are answered 503 at once
  // rather than queued (each holds a web worker for up to its timeout). Keep it below
  // worker_threads so /metrics and /webhook still find a worker.
  std::size_t max_concurrent_probes = 64;
};

// The one Docker (or podman) engine every part of medic talks to: the container collector,
// container log sources, remediation steps, diagnostics, `medic check` and `medic report`.
struct DockerSettings {
  std::string host;       // empty: $DOCKER_HOST, else unix:///var/run/docker.sock (docker CLI)
  Duration timeout = 5s;  // per Engine API read; actions add their own stop timeout to it
};

// node_exporter 1.5's defaults for --collector.filesystem.{mount-points,fs-types}-exclude.
inline constexpr const char* kDefaultMountPointsExclude =
    "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
inline constexpr const char* kDefaultFsTypesExclude =
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|"
    "iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|"
    "sysfs|tracefs)$";

struct FilesystemSettings {
  std::vector<std::string> mountpoints{"/"};  // paths watched whatever their filesystem
  // Also every mount in mountinfo, like node_exporter, minus the two exclusions (RE2, matched
  // anywhere unless anchored, as node_exporter's Go regexps are).
  bool all_mounts = false;
  std::string mount_points_exclude = kDefaultMountPointsExclude;
  std::string fs_types_exclude = kDefaultFsTypesExclude;
  // A statfs that has not answered by then marks the mount stuck (device_error 1) and is not
  // asked again until it returns, like node_exporter's --collector.filesystem.mount-timeout.
  Duration mount_timeout = 5s;
};

struct BackupTarget {
  std::string name;
  std::string path;
  std::string glob = "*";  // relative to path; may hold '/' and "**" (see BackupGlob)
  // Parts every backup directory should hold ("config", "data", "db"): a part is there when a
  // matching file's name starts with "<part>-". Empty: no completeness check.
  std::vector<std::string> set;
};

struct ProbeTarget {
  std::string name;
  std::string url;
  std::string method = "GET";
  int expected_status = 0;  // 0: any 2xx
  Duration timeout = 5s;
  std::string ca_file;
  bool insecure_skip_verify = false;
};

// A blackbox_exporter module (the subset medic supports, with blackbox's key names, so modules
// can be pasted from blackbox.yml): GET /probe?target=…&module=NAME runs it.
struct ProbeTlsConfig {
  bool insecure_skip_verify = false;
  std::string ca_file;
  std::string server_name;  // "": the target's host
};

struct ProbeModule {
  enum class Prober { kHttp, kTcp };
  std::string name;
  Prober prober = Prober::kHttp;
  // 0: the scrape's X-Prometheus-Scrape-Timeout-Seconds less 0.5 s (blackbox's offset), or 10s
  // without that header.
  Duration timeout{0};
  // http
  std::vector<int> valid_status_codes;  // empty: any 2xx
  std::string method = "GET";
  std::map<std::string, std::string> headers;
  bool fail_if_ssl = false;
  bool fail_if_not_ssl = false;
  bool no_follow_redirects = false;
  // "ip4" or "ip6" (blackbox's default): the family tried first; the other one follows unless
  // ip_protocol_fallback is false.
  std::string preferred_ip_protocol = "ip6";
  bool ip_protocol_fallback = true;
  ProbeTlsConfig tls_config;
  // tcp
  bool tls = false;
};

struct ContainerSettings {
  DockerSettings docker;                      // copied from Config::docker by the loader
  std::vector<std::string> names;             // empty: all containers
  std::map<std::string, std::string> labels;  // container label filters (all must match)
  // How often the background refresher lists containers and fetches their stats; a scrape
  // serves the latest refresh (container_last_seen says when each figure was taken). The
  // default is Prometheus's default scrape interval: refreshing more often than the figures are
  // read costs CPU (50 containers: ~7 ms a refresh) and shows nobody anything.
  Duration refresh_interval = 15s;
  std::size_t max_parallel_stats = 8;
  Duration disk_usage_interval = 5min;  // system/df is expensive on real Docker
  // Docker labels exported as cAdvisor's container_label_<key> (non [a-zA-Z0-9_] -> '_') on
  // every container series: fnmatch patterns on the key. Bounded by default to compose's labels:
  // every label of every container would multiply series by whatever images declare.
  std::vector<std::string> label_allowlist{"com.docker.compose.*"};
  // The `id` label: the engine's container id, or cAdvisor's cgroup path ("/docker/<id>",
  // "/system.slice/docker-<id>.scope"), read from /proc/<pid>/cgroup.
  enum class IdLabel { kContainerId, kCgroupPath };
  IdLabel id_label = IdLabel::kContainerId;
  // cAdvisor's whole-host series, id="/" (CPU, memory, network of the host).
  bool host_series = false;
  // Where the host's procfs, cgroupfs and sysfs are (medic in a container: the bind mounts).
  // Figures the engine leaves out (podman: memory breakdown, block I/O) are read from the
  // container's cgroup there; "" for cgroup_root reads none.
  std::string proc_root = "/proc";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string sys_root = "/sys";
};

struct CertEndpoint {
  std::string name;
  std::string address;  // host:port
  std::string server_name;
  std::string ca_file;
  Duration timeout = 5s;
};

struct CertSettings {
  std::vector<CertEndpoint> endpoints;
  std::vector<std::string> files;  // PEM files or directories of them
};

struct RedisSettings {
  std::string address = "127.0.0.1:6379";  // host:port or unix:///path or a /path
  std::string username;
  std::string password;  // resolved from password_file / ${ENV}; never logged
  int db = 0;
  Duration timeout = 2s;
};

struct LogSource {
  std::string name;
  std::string path;       // a log file, followed like tail -F
  std::string container;  // or a container's logs through the Docker API
  bool from_beginning = false;
};

struct LogRule {
  std::string name;
  std::string regex;
  std::vector<std::string> sources;  // empty: every source
};

struct LogSettings {
  std::vector<LogSource> sources;
  std::vector<LogRule> rules;  // defaults for the seed's checks when none are given
  std::size_t top_k = 10;
  std::size_t max_line_bytes = std::size_t{64} * 1024;
  Duration poll_interval = 1s;
  std::string state_file;  // offsets; empty: <data_dir>/log-offsets.json
  DockerSettings docker;   // for container sources; copied from Config::docker by the loader
};

// A collector section may be absent (collector off) or present.
struct CollectorSettings {
  std::optional<FilesystemSettings> filesystem;
  std::optional<std::vector<BackupTarget>> backup;
  std::optional<std::vector<ProbeTarget>> probe;
  std::optional<ContainerSettings> container;
  std::optional<CertSettings> cert;
  std::optional<RedisSettings> redis;
  std::optional<LogSettings> logs;
  bool process = true;     // medic's own process_* metrics
  Duration timeout = 10s;  // per collector, per scrape
};

struct WebhookSettings {
  std::string path = "/webhook";
  std::string bearer_token;  // resolved secret
  std::string basic_username;
  std::string basic_password;  // resolved secret
  // Where the secrets came from, when from files: re-read when they change on disk.
  std::string bearer_token_file;
  std::string basic_password_file;
  std::size_t max_body_bytes = 1 << 20;
};

struct JournalSettings {
  std::string path = "/var/lib/medic/journal.db";
  Duration retention = std::chrono::hours(24 * 30);
  std::size_t max_rows = 100000;
  // The database's pages in use may not pass this: the oldest finished history goes first, and
  // when only unfinished work is left the webhook answers 503 (Alertmanager retries).
  std::uint64_t max_bytes = 256ull << 20;
  // One stored alert's labels, annotations and URL together; longer values are cut with a
  // visible marker (counted in medic_journal_alerts_truncated_total).
  std::size_t max_alert_bytes = 16 << 10;
};

struct NotifierSettings {
  // How a message is encoded: Slack's incoming-webhook JSON (text + attachment fields), medic's
  // own JSON ({source, text, fields, alert}), or chosen by the URL (Slack's hooks.slack.com,
  // /services/ and /hooks/ paths, as Mattermost and Rocket.Chat use, get Slack's).
  enum class Format { kAuto, kSlack, kJson };
  std::string name;
  std::string url;  // resolved secret (url_file / ${ENV})
  Duration timeout = 10s;
  int attempts = 5;
  Format format = Format::kAuto;
};

// A label matcher in Alertmanager's spirit: "value" exact, "=~regex", "!value", "!~regex".
struct LabelMatcher {
  enum class Kind { kEqual, kNotEqual, kRegex, kNotRegex };
  std::string label;
  Kind kind = Kind::kEqual;
  std::string value;
};

struct StepSettings {
  enum class Kind { kRestart, kVerify, kEscalate, kDiagnostics, kPrune, kExec, kNotify };
  Kind kind = Kind::kRestart;
  Duration timeout = 10s;               // restart t=, exec timeout
  std::string url;                      // verify: health URL (empty: container HEALTHCHECK)
  int attempts = 10;                    // verify
  Duration interval = 10s;              // verify
  std::string escalation = "recreate";  // escalate: "recreate" or "exec"
  std::vector<std::string> argv;        // exec (and escalate: exec)
  std::string notifier;                 // notify
  std::size_t log_lines = 500;          // diagnostics
  std::size_t keep = 10;                // diagnostics bundles kept
};

struct RemediationSettings {
  std::string name;
  std::vector<LabelMatcher> match;
  std::string target;                 // fixed container name
  std::string target_label;           // or the container named by this alert label
  Duration cooldown = 10min;          // after a run that succeeded, per target
  int max_per_hour = 3;               // runs that acted, per target; then the circuit opens
  Duration circuit_reset_after = 1h;  // an open circuit closes by itself after this
  int max_attempts = 3;               // per incident (fingerprint + startsAt), then give up
  Duration retry_backoff = 30s;       // before the 2nd attempt; doubles for each later one
  bool dry_run = false;
  // Accepts that its outcomes reach only the journal, the metrics and the page when no notifier
  // is configured (a lab, a test); without it such a config is refused.
  bool silent = false;
  std::vector<StepSettings> steps;
};

// The numbers that decide OK / WARN / FAIL in `medic check`, the status page and the reports.
// Defaults equal the shipped alert rules (monitoring/alert-rules.yml); a test keeps them equal.
struct ThresholdSettings {
  Duration cert_expiry_warning = std::chrono::hours(24 * 30);  // WARN below; expired is FAIL
  double disk_used_warning_ratio = 0.90;                       // WARN above
  double disk_used_critical_ratio = 0.95;                      // FAIL above
  Duration backup_max_age = std::chrono::hours(26);            // FAIL when older
  double auth_failures_warning = 50;      // WARN above (the rule counts over 7 days)
  double log_errors_warning = 10;         // WARN above (error lines; the seed: more than 10 a day)
  double log_critical_warning = 0;        // WARN above (critical matches)
  double cache_hit_ratio_warning = 0.80;  // WARN below
  double cache_min_lookups = 100;         // too few lookups say nothing about the hit ratio
  double redis_memory_warning_ratio = 0.90;      // WARN above (used / maxmemory)
  double container_memory_warning_ratio = 0.90;  // WARN above (usage / limit)
  double memory_recommendation_ratio = 0.80;     // reports: "raise the limit" above this
  // reports: a disk whose fitted trend reaches full within this horizon gets a recommendation
  // (the monthly capacity plan's horizon; DiskWillFillIn24h is the 24 h alarm)
  Duration disk_fill_horizon = std::chrono::hours(24 * 30);
};

// Many hosts, one medic beside each, one Alertmanager receiver listing every medic: each medic
// acts only on the alerts about its own host, and folds the copies two Prometheus replicas
// raise of one incident into one. Every key reloads without a restart.
struct FleetSettings {
  // What an alert without the host label means to this medic. Ignored by default: with one
  // receiver for every medic, acting would make every medic act on one incident.
  enum class WithoutHostLabel { kIgnore, kAct };
  std::string host;                     // this medic's name; the loader defaults it to hostname
  std::vector<std::string> aliases;     // more names of this host (FQDN, address)
  std::string host_label = "instance";  // compared without its :port, case-insensitively
  WithoutHostLabel without_host_label = WithoutHostLabel::kIgnore;
  // Labels that tell Prometheus replicas apart; alerts equal without them, whose startsAt lie
  // within replica_window of each other, are one incident.
  std::vector<std::string> ignore_labels{"replica", "prometheus_replica"};
  Duration replica_window = 2min;
  bool operator==(const FleetSettings&) const = default;
};

struct Config {
  std::string source_name = "<embedded default>";  // file path or "<embedded default>"
  // Each top-level section as written (YAML re-emitted), for telling what a reload changed.
  std::map<std::string, std::string> section_text;
  WebSettings web;
  DockerSettings docker;
  CollectorSettings collectors;
  std::optional<WebhookSettings> webhook;
  std::optional<FleetSettings> fleet;  // absent: act on every alert, fold no replicas
  JournalSettings journal;
  std::string data_dir = "/var/lib/medic";
  std::vector<std::string> targets;  // the only containers a remediation may touch
  std::map<std::string, NotifierSettings> notifiers;
  std::vector<RemediationSettings> remediations;
  ThresholdSettings thresholds;
  // By name. Without a `modules` section: blackbox's example modules http_2xx, tcp_connect and
  // tls_connect.
  std::map<std::string, ProbeModule> modules;
  bool dry_run = false;
  std::size_t workers = 2;
  std::size_t queue_size = 1000;
};

}  // namespace medic
