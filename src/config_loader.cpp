#include "medic/config_loader.h"

#include "medic/collectors/backup.h"
#include "medic/logs/rule_matcher.h"
#include "medic/web/ip_network.h"
#include "medic/webhook/host_filter.h"

#include <re2/re2.h>

#include <unistd.h>

#include <climits>
#include <fstream>
#include <limits>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

namespace medic {
namespace {

std::string_view kEmbeddedDefault = R"(# medic's embedded default configuration.
web:
  listen_address: 127.0.0.1:9469
  telemetry_path: /metrics
collectors:
  filesystem:
    mountpoints: [/]
)";

std::string LocalHostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

void CheckListenAddress(const ConfigNode& node, const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    node.Fail("expected host:port, got \"" + address + "\"");
  }
  const std::string port = address.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    node.Fail("invalid port in \"" + address + "\"");
  }
}

std::string HttpPath(const ConfigNode& node) {
  std::string path = node.NonEmptyString();
  if (path.front() != '/') node.Fail("must start with /");
  return path;
}

// A deadline of 0s would cut every connection at once.
Duration PositiveDuration(const ConfigNode& node) {
  const Duration value = node.DurationValue();
  if (value <= Duration::zero()) node.Fail("must be more than 0s");
  return value;
}

WebSettings ParseWeb(const ConfigNode& node) {
  WebSettings web;
  MapReader map(node);
  if (auto v = map.Optional("listen_address")) {
    web.listen_address = v->NonEmptyString();
    CheckListenAddress(*v, web.listen_address);
  }
  if (auto v = map.Optional("telemetry_path")) web.telemetry_path = HttpPath(*v);
  if (auto v = map.Optional("config_file")) web.config_file = v->String();
  if (auto v = map.Optional("max_request_body_bytes")) {
    web.max_request_body_bytes = static_cast<std::size_t>(v->Int(1, 1LL << 30));
  }
  if (auto v = map.Optional("read_timeout")) web.read_timeout = PositiveDuration(*v);
  if (auto v = map.Optional("write_timeout")) web.write_timeout = PositiveDuration(*v);
  if (auto v = map.Optional("idle_timeout")) web.idle_timeout = PositiveDuration(*v);
  if (auto v = map.Optional("tls_handshake_timeout")) {
    web.tls_handshake_timeout = PositiveDuration(*v);
  }
  if (auto v = map.Optional("max_header_bytes")) {
    web.max_header_bytes = static_cast<std::size_t>(v->ByteSize(1024, 1ull << 20));
  }
  if (auto v = map.Optional("max_header_fields")) {
    web.max_header_fields = static_cast<std::size_t>(v->Int(8, 10000));
  }
  if (auto v = map.Optional("max_connections")) {
    web.max_connections = static_cast<std::size_t>(v->Int(16, 1000000));
  }
  if (auto v = map.Optional("max_connections_per_peer")) {
    web.max_connections_per_peer = static_cast<std::size_t>(v->Int(1, 1000000));
  }
  if (auto v = map.Optional("worker_threads")) {
    web.worker_threads = static_cast<std::size_t>(v->Int(1, 64));
  }
  if (auto v = map.Optional("max_requests_per_peer")) {
    web.max_requests_per_peer = static_cast<std::size_t>(v->Int(1, 100000));
  }
  if (auto v = map.Optional("shutdown_timeout")) web.shutdown_timeout = v->DurationValue();
  if (auto v = map.Optional("status_max_age")) web.status_max_age = v->DurationValue();
  if (auto v = map.Optional("max_auth_failures_per_minute")) {
    web.max_auth_failures_per_minute = static_cast<int>(v->Int(0, 100000));
  }
  if (auto v = map.Optional("max_concurrent_probes")) {
    web.max_concurrent_probes = static_cast<std::size_t>(v->Int(1, 1024));
  }
  if (auto v = map.Optional("auth_throttle_exempt")) {
    web.auth_throttle_exempt = v->StringList();
    for (const auto& network : web.auth_throttle_exempt) {
      if (!web::IpNetwork::Parse(network)) {
        v->Fail("\"" + network + "\" is not an address or CIDR network (10.0.0.0/8, ::1/128)");
      }
    }
  }
  map.Finish();
  return web;
}

FilesystemSettings ParseFilesystem(const ConfigNode& node) {
  FilesystemSettings settings;
  MapReader map(node);
  if (auto v = map.Optional("mountpoints")) {
    settings.mountpoints = v->StringList();
    for (const ConfigNode& item : v->Items()) {
      if (item.String().front() != '/') item.Fail("mount point must be an absolute path");
    }
  }
  if (auto v = map.Optional("all_mounts")) settings.all_mounts = v->Bool();
  if (auto v = map.Optional("mount_timeout")) {
    settings.mount_timeout = v->DurationValue();
    if (settings.mount_timeout < 10ms) v->Fail("must be at least 10ms");
  }
  for (auto [key, field] : {std::pair{"mount_points_exclude", &settings.mount_points_exclude},
                            std::pair{"fs_types_exclude", &settings.fs_types_exclude}}) {
    if (auto v = map.Optional(key)) {
      *field = v->String();
      if (const RE2 regex(*field, RE2::Quiet); !regex.ok()) {
        v->Fail("invalid regular expression: " + regex.error());
      }
    }
  }
  map.Finish();
  return settings;
}

void CheckUniqueName(std::set<std::string>& names, const ConfigNode& where,
                     const std::string& name) {
  if (!names.insert(name).second) where.Fail("duplicate name \"" + name + "\"");
}

std::vector<BackupTarget> ParseBackup(const ConfigNode& node) {
  std::vector<BackupTarget> targets;
  std::set<std::string> names;
  for (const ConfigNode& item : node.Items()) {
    BackupTarget target;
    MapReader map(item);
    target.name = map.Required("name").NonEmptyString();
    CheckUniqueName(names, item, target.name);
    target.path = map.Required("path").NonEmptyString();
    if (auto v = map.Optional("glob")) {
      target.glob = v->NonEmptyString();
      try {
        [[maybe_unused]] const BackupGlob checked(target.glob);
      } catch (const std::invalid_argument& error) {
        v->Fail(error.what());
      }
    }
    if (auto v = map.Optional("set")) {
      target.set = v->StringList();
      if (target.set.empty()) v->Fail("list the parts each backup holds, or leave set out");
      std::set<std::string> parts;
      for (const ConfigNode& part_node : v->Items()) {
        const std::string part = part_node.String();
        if (const std::string problem = BackupSetPartProblem(part); !problem.empty()) {
          part_node.Fail(problem);
        }
        if (!parts.insert(part).second) part_node.Fail("duplicate part \"" + part + "\"");
      }
    }
    map.Finish();
    targets.push_back(std::move(target));
  }
  return targets;
}

std::vector<ProbeTarget> ParseProbe(const ConfigNode& node) {
  std::vector<ProbeTarget> targets;
  std::set<std::string> names;
  for (const ConfigNode& item : node.Items()) {
    ProbeTarget target;
    MapReader map(item);
    target.name = map.Required("name").NonEmptyString();
    CheckUniqueName(names, item, target.name);
    ConfigNode url = map.Required("url");
    target.url = url.NonEmptyString();
    if (target.url.rfind("http://", 0) != 0 && target.url.rfind("https://", 0) != 0) {
      url.Fail("must be an http:// or https:// URL");
    }
    if (auto v = map.Optional("method")) {
      target.method = v->NonEmptyString();
      static const std::set<std::string> kMethods{"GET", "HEAD", "POST", "PUT", "OPTIONS"};
      if (kMethods.count(target.method) == 0) v->Fail("unsupported method " + target.method);
    }
    if (auto v = map.Optional("expected_status")) {
      target.expected_status = static_cast<int>(v->Int(100, 599));
    }
    if (auto v = map.Optional("timeout")) target.timeout = v->DurationValue();
    if (auto v = map.Optional("ca_file")) target.ca_file = v->String();
    if (auto v = map.Optional("insecure_skip_verify")) target.insecure_skip_verify = v->Bool();
    map.Finish();
    targets.push_back(std::move(target));
  }
  return targets;
}

std::string DockerHost(const ConfigNode& node) {
  std::string host = node.NonEmptyString();
  if (host.rfind("unix://", 0) != 0) node.Fail("only unix:// Docker hosts are supported");
  return host;
}

DockerSettings ParseDocker(const ConfigNode& node) {
  DockerSettings settings;
  MapReader map(node);
  if (auto v = map.Optional("host")) settings.host = DockerHost(*v);
  if (auto v = map.Optional("timeout")) settings.timeout = v->DurationValue();
  map.Finish();
  return settings;
}

// Keys that once configured the engine per section. Refused, naming the one setting that
// replaced them: three keys let restarts go to another engine than the one medic watched.
void RefuseMovedDockerKey(MapReader& map, std::string_view key, std::string_view replacement) {
  if (auto v = map.Optional(key)) {
    v->Fail("moved: the Docker engine is configured once, in the top-level section " +
            std::string(replacement) + " (used by every part that talks to the engine)");
  }
}

ContainerSettings ParseContainer(const ConfigNode& node) {
  ContainerSettings settings;
  MapReader map(node);
  RefuseMovedDockerKey(map, "docker_host", "docker.host");
  RefuseMovedDockerKey(map, "timeout", "docker.timeout");
  if (auto v = map.Optional("names")) settings.names = v->StringList();
  if (auto v = map.Optional("labels")) settings.labels = v->StringMap();
  if (auto v = map.Optional("refresh_interval")) {
    settings.refresh_interval = v->DurationValue();
    if (settings.refresh_interval < 100ms) v->Fail("must be at least 100ms");
  }
  if (auto v = map.Optional("max_parallel_stats")) {
    settings.max_parallel_stats = static_cast<std::size_t>(v->Int(1, 64));
  }
  if (auto v = map.Optional("disk_usage_interval"))
    settings.disk_usage_interval = v->DurationValue();
  if (auto v = map.Optional("label_allowlist")) {
    settings.label_allowlist = v->StringList();
    for (const ConfigNode& item : v->Items()) {
      if (item.String().empty()) item.Fail("a label pattern must not be empty");
    }
  }
  if (auto v = map.Optional("id_label")) {
    const std::string value = v->String();
    if (value == "container_id") {
      settings.id_label = ContainerSettings::IdLabel::kContainerId;
    } else if (value == "cgroup_path") {
      settings.id_label = ContainerSettings::IdLabel::kCgroupPath;
    } else {
      v->Fail("must be container_id or cgroup_path");
    }
  }
  if (auto v = map.Optional("host_series")) settings.host_series = v->Bool();
  for (auto [key, field] : {std::pair{"proc_root", &settings.proc_root},
                            std::pair{"cgroup_root", &settings.cgroup_root},
                            std::pair{"sys_root", &settings.sys_root}}) {
    if (auto v = map.Optional(key)) {
      *field = v->String();
      if (!field->empty() && field->front() != '/') v->Fail("must be an absolute path");
    }
  }
  map.Finish();
  return settings;
}

CertSettings ParseCert(const ConfigNode& node) {
  CertSettings settings;
  MapReader map(node);
  std::set<std::string> names;
  if (auto endpoints = map.Optional("endpoints")) {
    for (const ConfigNode& item : endpoints->Items()) {
      CertEndpoint endpoint;
      MapReader entry(item);
      endpoint.address = entry.Required("address").NonEmptyString();
      CheckListenAddress(*entry.Optional("address"), endpoint.address);
      endpoint.name = endpoint.address;
      if (auto v = entry.Optional("name")) endpoint.name = v->NonEmptyString();
      CheckUniqueName(names, item, endpoint.name);
      if (auto v = entry.Optional("server_name")) endpoint.server_name = v->String();
      if (auto v = entry.Optional("ca_file")) endpoint.ca_file = v->String();
      if (auto v = entry.Optional("timeout")) endpoint.timeout = v->DurationValue();
      entry.Finish();
      settings.endpoints.push_back(std::move(endpoint));
    }
  }
  if (auto v = map.Optional("files")) settings.files = v->StringList();
  map.Finish();
  return settings;
}

RedisSettings ParseRedis(const ConfigNode& node) {
  RedisSettings settings;
  MapReader map(node);
  if (auto v = map.Optional("address")) settings.address = v->NonEmptyString();
  if (auto v = map.Optional("username")) settings.username = v->String();
  settings.password = map.Secret("password");
  if (auto v = map.Optional("db")) settings.db = static_cast<int>(v->Int(0, 1 << 16));
  if (auto v = map.Optional("timeout")) settings.timeout = v->DurationValue();
  map.Finish();
  return settings;
}

void CheckRegex(const ConfigNode& where, const std::string& pattern, const std::string& what) {
  RE2 regex(pattern, RE2::Quiet);
  if (!regex.ok()) where.Fail("invalid regex for " + what + ": " + regex.error());
}

LogSettings ParseLogs(const ConfigNode& node) {
  LogSettings settings;
  MapReader map(node);
  std::set<std::string> source_names;
  if (auto sources = map.Optional("sources")) {
    for (const ConfigNode& item : sources->Items()) {
      LogSource source;
      MapReader entry(item);
      source.name = entry.Required("name").NonEmptyString();
      CheckUniqueName(source_names, item, source.name);
      if (auto v = entry.Optional("path")) source.path = v->NonEmptyString();
      if (auto v = entry.Optional("container")) source.container = v->NonEmptyString();
      if (source.path.empty() == source.container.empty()) {
        item.Fail("a log source needs exactly one of path or container");
      }
      if (auto v = entry.Optional("from")) {
        const std::string from = v->String();
        if (from != "beginning" && from != "end") v->Fail("must be beginning or end");
        source.from_beginning = from == "beginning";
      }
      entry.Finish();
      settings.sources.push_back(std::move(source));
    }
  }
  std::set<std::string> rule_names;
  if (auto rules = map.Optional("rules")) {
    for (const ConfigNode& item : rules->Items()) {
      LogRule rule;
      MapReader entry(item);
      ConfigNode name = entry.Required("name");
      rule.name = name.NonEmptyString();
      static const RE2 kRuleName("[a-zA-Z_][a-zA-Z0-9_]*");
      if (!RE2::FullMatch(rule.name, kRuleName)) {
        name.Fail("rule names must match [a-zA-Z_][a-zA-Z0-9_]*");
      }
      CheckUniqueName(rule_names, item, rule.name);
      ConfigNode regex = entry.Required("regex");
      rule.regex = regex.NonEmptyString();
      try {
        logs::ValidateLogRules({rule});  // the same RE2 options the matcher compiles with
      } catch (const logs::InvalidRuleError& error) {
        regex.Fail(error.what());
      }
      if (auto v = entry.Optional("source")) rule.sources.push_back(v->NonEmptyString());
      if (auto v = entry.Optional("sources")) rule.sources = v->StringList();
      for (const std::string& source : rule.sources) {
        if (source_names.count(source) == 0) item.Fail("unknown log source \"" + source + "\"");
      }
      entry.Finish();
      settings.rules.push_back(std::move(rule));
    }
  }
  if (auto v = map.Optional("top_k")) settings.top_k = static_cast<std::size_t>(v->Int(1, 1000));
  if (auto v = map.Optional("max_line_bytes")) {
    settings.max_line_bytes = static_cast<std::size_t>(v->Int(256, 16 << 20));
  }
  if (auto v = map.Optional("poll_interval")) settings.poll_interval = v->DurationValue();
  if (auto v = map.Optional("state_file")) settings.state_file = v->String();
  RefuseMovedDockerKey(map, "docker_host", "docker.host");
  map.Finish();
  return settings;
}

CollectorSettings ParseCollectors(const ConfigNode& node) {
  CollectorSettings settings;
  MapReader map(node);
  if (auto v = map.Optional("filesystem")) settings.filesystem = ParseFilesystem(*v);
  if (auto v = map.Optional("backup")) settings.backup = ParseBackup(*v);
  if (auto v = map.Optional("probe")) settings.probe = ParseProbe(*v);
  if (auto v = map.Optional("container")) settings.container = ParseContainer(*v);
  if (auto v = map.Optional("cert")) settings.cert = ParseCert(*v);
  if (auto v = map.Optional("redis")) settings.redis = ParseRedis(*v);
  if (auto v = map.Optional("logs")) settings.logs = ParseLogs(*v);
  if (auto v = map.Optional("process")) settings.process = v->Bool();
  if (auto v = map.Optional("timeout")) settings.timeout = v->DurationValue();
  map.Finish();
  return settings;
}

WebhookSettings ParseWebhook(const ConfigNode& node) {
  WebhookSettings settings;
  MapReader map(node);
  if (auto v = map.Optional("path")) settings.path = HttpPath(*v);
  settings.bearer_token = map.Secret("bearer_token");
  if (auto file = map.Optional("bearer_token_file")) settings.bearer_token_file = file->String();
  if (auto basic = map.Optional("basic_auth")) {
    MapReader auth(*basic);
    settings.basic_username = auth.Required("username").NonEmptyString();
    settings.basic_password = auth.Secret("password");
    if (auto file = auth.Optional("password_file")) settings.basic_password_file = file->String();
    if (settings.basic_password.empty()) basic->Fail("basic_auth needs password or password_file");
    auth.Finish();
  }
  if (auto v = map.Optional("max_body_bytes")) {
    settings.max_body_bytes = static_cast<std::size_t>(v->Int(1024, 64LL << 20));
  }
  RefuseMovedDockerKey(map, "docker_host", "docker.host");
  map.Finish();
  return settings;
}

// Starts from `defaults` (the path under data_dir): a journal section that sets only retention
// or max_bytes must not move the journal to the built-in /var/lib/medic.
JournalSettings ParseJournal(const ConfigNode& node, JournalSettings defaults) {
  JournalSettings settings = std::move(defaults);
  MapReader map(node);
  if (auto v = map.Optional("path")) settings.path = v->NonEmptyString();
  if (auto v = map.Optional("retention")) settings.retention = v->DurationValue();
  if (auto v = map.Optional("max_rows")) {
    settings.max_rows = static_cast<std::size_t>(v->Int(100, 100000000));
  }
  if (auto v = map.Optional("max_bytes")) settings.max_bytes = v->ByteSize(1ull << 20, 1ull << 40);
  if (auto v = map.Optional("max_alert_bytes")) {
    settings.max_alert_bytes = static_cast<std::size_t>(v->ByteSize(1024, 1ull << 20));
  }
  map.Finish();
  return settings;
}

// A host name as alerts carry it: no port, no spaces, no brackets (an IPv6 address is written
// bare: ::1).
std::string FleetHostName(const ConfigNode& node) {
  std::string name = node.NonEmptyString();
  static const RE2 kHostName(R"([A-Za-z0-9_.:%-]+)");
  // "host-2:9469" would never equal a label's host part, which is compared without its port.
  if (name.size() > 253 || !RE2::FullMatch(name, kHostName) ||
      webhook::HostWithoutPort(name) != name) {
    node.Fail(
        "\"" + name.substr(0, 64) +
        "\" is not a host name or address (letters, digits, . - _ : %; no port, no brackets)");
  }
  return name;
}

std::string LabelName(const ConfigNode& node) {
  std::string name = node.NonEmptyString();
  static const RE2 kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  if (!RE2::FullMatch(name, kLabelName)) node.Fail("label names match [a-zA-Z_][a-zA-Z0-9_]*");
  return name;
}

FleetSettings ParseFleet(const ConfigNode& node) {
  FleetSettings settings;
  MapReader map(node);
  if (auto v = map.Optional("host")) {
    settings.host = FleetHostName(*v);
  } else {
    settings.host = LocalHostName();
    if (settings.host.empty()) {
      node.Fail("cannot read this machine's hostname; set fleet.host to the name alerts carry");
    }
  }
  if (auto v = map.Optional("aliases")) {
    for (const ConfigNode& item : v->Items()) settings.aliases.push_back(FleetHostName(item));
  }
  if (auto v = map.Optional("host_label")) settings.host_label = LabelName(*v);
  if (auto v = map.Optional("without_host_label")) {
    const std::string choice = v->NonEmptyString();
    if (choice == "ignore") {
      settings.without_host_label = FleetSettings::WithoutHostLabel::kIgnore;
    } else if (choice == "act") {
      settings.without_host_label = FleetSettings::WithoutHostLabel::kAct;
    } else {
      v->Fail("must be ignore or act, got \"" + choice.substr(0, 32) + "\"");
    }
  }
  if (auto v = map.Optional("ignore_labels")) {
    settings.ignore_labels.clear();
    for (const ConfigNode& item : v->Items()) {
      const std::string label = LabelName(item);
      if (label == settings.host_label) {
        item.Fail("\"" + label + "\" is fleet.host_label: alerts of different hosts would fold");
      }
      if (label == "alertname") item.Fail("alertname cannot be ignored: it names the incident");
      settings.ignore_labels.push_back(label);
    }
  }
  if (auto v = map.Optional("replica_window")) {
    settings.replica_window = v->DurationValue();
    if (settings.replica_window > std::chrono::hours(1)) {
      v->Fail(
          "at most 1h: replicas evaluate seconds apart, a longer window folds separate "
          "outages");
    }
  }
  map.Finish();
  return settings;
}

std::map<std::string, NotifierSettings> ParseNotifiers(const ConfigNode& node) {
  std::map<std::string, NotifierSettings> notifiers;
  if (node.IsNull()) return notifiers;
  if (!node.IsMap()) node.Fail("expected a mapping of notifier name to settings");
  for (const auto& entry : node.yaml()) {
    const std::string name = entry.first.Scalar();
    ConfigNode child = node.Child(entry.second, node.key_path() + "." + name, entry.first);
    NotifierSettings settings;
    settings.name = name;
    MapReader map(child);
    settings.url = map.Secret("url");
    if (settings.url.empty()) child.Fail("notifier needs url or url_file");
    if (settings.url.rfind("http://", 0) != 0 && settings.url.rfind("https://", 0) != 0) {
      child.Fail("notifier url must be http:// or https:// (value not shown: it is a secret)");
    }
    if (auto v = map.Optional("timeout")) settings.timeout = v->DurationValue();
    if (auto v = map.Optional("attempts")) settings.attempts = static_cast<int>(v->Int(1, 20));
    if (auto v = map.Optional("format")) {
      const std::string format = v->NonEmptyString();
      if (format == "auto") {
        settings.format = NotifierSettings::Format::kAuto;
      } else if (format == "slack") {
        settings.format = NotifierSettings::Format::kSlack;
      } else if (format == "json") {
        settings.format = NotifierSettings::Format::kJson;
      } else {
        v->Fail("format must be slack, json or auto, got \"" + format + "\"");
      }
    }
    map.Finish();
    notifiers.emplace(name, std::move(settings));
  }
  return notifiers;
}

LabelMatcher ParseMatcherExpression(const ConfigNode& where, const std::string& text) {
  static const RE2 kMatcher(R"(\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*)");
  std::string label;
  std::string op;
  std::string value;
  if (!RE2::FullMatch(text, kMatcher, &label, &op, &value)) {
    where.Fail("invalid matcher \"" + text + "\" (use label=value, !=, =~ or !~)");
  }
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  LabelMatcher matcher{label, LabelMatcher::Kind::kEqual, value};
  if (op == "!=") matcher.kind = LabelMatcher::Kind::kNotEqual;
  if (op == "=~") matcher.kind = LabelMatcher::Kind::kRegex;
  if (op == "!~") matcher.kind = LabelMatcher::Kind::kNotRegex;
  if (matcher.kind == LabelMatcher::Kind::kRegex || matcher.kind == LabelMatcher::Kind::kNotRegex) {
    CheckRegex(where, value, "matcher on " + label);
  }
  return matcher;
}

StepSettings ParseStep(const ConfigNode& item, const Config& config) {
  StepSettings step;
  std::string kind;
  std::optional<ConfigNode> params;
  if (item.IsScalar()) {
    kind = item.String();
  } else if (item.IsMap() && item.yaml().size() == 1) {
    const auto entry = *item.yaml().begin();
    kind = entry.first.Scalar();
    params = item.Child(entry.second, item.key_path() + "." + kind, entry.first);
  } else {
    item.Fail("a step is a name (restart) or a single-key mapping ({restart: {timeout: 10s}})");
  }
  auto map_params = [&]() { return MapReader(params ? *params : item.Child({}, item.key_path())); };
  if (kind == "restart") {
    step.kind = StepSettings::Kind::kRestart;
    MapReader map = map_params();
    if (auto v = map.Optional("timeout")) step.timeout = v->DurationValue();
    map.Finish();
  } else if (kind == "verify") {
    step.kind = StepSettings::Kind::kVerify;
    MapReader map = map_params();
    if (auto v = map.Optional("url")) step.url = v->String();
    if (auto v = map.Optional("attempts")) step.attempts = static_cast<int>(v->Int(1, 1000));
    if (auto v = map.Optional("interval")) step.interval = v->DurationValue();
    if (auto v = map.Optional("timeout")) step.timeout = v->DurationValue();
    map.Finish();
  } else if (kind == "escalate") {
    step.kind = StepSettings::Kind::kEscalate;
    if (params && params->IsScalar()) {
      step.escalation = params->String();
      if (step.escalation != "recreate") params->Fail("escalate is recreate or {exec: [argv]}");
    } else {
      MapReader map = map_params();
      if (auto v = map.Optional("exec")) {
        step.escalation = "exec";
        step.argv = v->StringList();
        if (step.argv.empty()) v->Fail("exec needs a non-empty argv list");
      }
      if (auto v = map.Optional("timeout")) step.timeout = v->DurationValue();
      map.Finish();
    }
  } else if (kind == "diagnostics") {
    step.kind = StepSettings::Kind::kDiagnostics;
    MapReader map = map_params();
    if (auto v = map.Optional("log_lines"))
      step.log_lines = static_cast<std::size_t>(v->Int(0, 100000));
    if (auto v = map.Optional("keep")) step.keep = static_cast<std::size_t>(v->Int(1, 1000));
    map.Finish();
  } else if (kind == "prune") {
    step.kind = StepSettings::Kind::kPrune;
    MapReader map = map_params();
    map.Finish();
  } else if (kind == "exec") {
    step.kind = StepSettings::Kind::kExec;
    step.timeout = std::chrono::seconds(60);
    if (params && params->IsSequence()) {
      step.argv = params->StringList();
    } else {
      MapReader map = map_params();
      step.argv = map.Required("argv").StringList();
      if (auto v = map.Optional("timeout")) step.timeout = v->DurationValue();
      map.Finish();
    }
    if (step.argv.empty()) item.Fail("exec needs a non-empty argv list");
    if (step.argv.front().front() != '/') item.Fail("exec argv[0] must be an absolute path");
  } else if (kind == "notify") {
    step.kind = StepSettings::Kind::kNotify;
    if (!params || !params->IsScalar()) item.Fail("notify names a notifier: {notify: slack}");
    step.notifier = params->NonEmptyString();
    if (config.notifiers.count(step.notifier) == 0) {
      params->Fail("unknown notifier \"" + step.notifier + "\" (define it under notifiers:)");
    }
  } else {
    item.Fail("unknown step \"" + kind +
              "\" (known: restart, verify, escalate, diagnostics, prune, exec, notify)");
  }
  return step;
}

std::vector<RemediationSettings> ParseRemediations(const ConfigNode& node, const Config& config) {
  std::vector<RemediationSettings> remediations;
  std::set<std::string> names;
  const std::set<std::string> targets(config.targets.begin(), config.targets.end());
  for (const ConfigNode& item : node.Items()) {
    RemediationSettings rule;
    MapReader map(item);
    rule.name = map.Required("name").NonEmptyString();
    CheckUniqueName(names, item, rule.name);
    if (auto v = map.Optional("match")) {
      for (const auto& [label, value] : v->StringMap()) {
        rule.match.push_back({label, LabelMatcher::Kind::kEqual, value});
      }
    }
    if (auto v = map.Optional("match_re")) {
      for (const auto& [label, value] : v->StringMap()) {
        CheckRegex(*v, value, "match_re." + label);
        rule.match.push_back({label, LabelMatcher::Kind::kRegex, value});
      }
    }
    if (auto v = map.Optional("matchers")) {
      for (const ConfigNode& matcher : v->Items()) {
        rule.match.push_back(ParseMatcherExpression(matcher, matcher.String()));
      }
    }
    if (rule.match.empty()) item.Fail("a remediation needs match, match_re or matchers");
    if (auto v = map.Optional("target")) {
      rule.target = v->NonEmptyString();
      if (targets.count(rule.target) == 0) {
        v->Fail("target \"" + rule.target + "\" is not in the targets: allowlist");
      }
    }
    if (auto v = map.Optional("target_label")) rule.target_label = v->NonEmptyString();
    if (rule.target.empty() == rule.target_label.empty()) {
      item.Fail("a remediation needs exactly one of target or target_label");
    }
    if (auto v = map.Optional("cooldown")) rule.cooldown = v->DurationValue();
    if (auto v = map.Optional("max_per_hour"))
      rule.max_per_hour = static_cast<int>(v->Int(1, 1000));
    if (auto v = map.Optional("circuit_reset_after")) {
      rule.circuit_reset_after = v->DurationValue();
      if (rule.circuit_reset_after < 1s) v->Fail("must be at least 1s");
    }
    if (auto v = map.Optional("max_attempts")) rule.max_attempts = static_cast<int>(v->Int(1, 20));
    if (auto v = map.Optional("retry_backoff")) rule.retry_backoff = v->DurationValue();
    if (auto v = map.Optional("dry_run")) rule.dry_run = v->Bool();
    if (auto v = map.Optional("silent")) rule.silent = v->Bool();
    ConfigNode steps = map.Required("steps");
    for (const ConfigNode& step : steps.Items()) rule.steps.push_back(ParseStep(step, config));
    if (rule.steps.empty()) steps.Fail("a remediation needs at least one step");
    // Its failures, skips and give-ups go to its notify steps' notifiers, else to every
    // configured one: with none, a person would never hear of them.
    if (config.notifiers.empty() && !rule.silent) {
      item.Fail("remediation \"" + rule.name +
                "\" could tell nobody when it fails, is skipped or gives up: no notifier is "
                "configured (define one under notifiers: and add a {notify: NAME} step, or set "
                "silent: true to accept that)");
    }
    map.Finish();
    remediations.push_back(std::move(rule));
  }
  return remediations;
}

double Ratio(const ConfigNode& node) {
  const std::string text = node.NonEmptyString();
  double value = 0;
  try {
    std::size_t used = 0;
    value = std::stod(text, &used);
    if (used != text.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    node.Fail("expected a ratio between 0 and 1, got \"" + text + "\"");
  }
  if (!(value >= 0 && value <= 1)) node.Fail("expected a ratio between 0 and 1, got " + text);
  return value;
}

double Count(const ConfigNode& node) { return static_cast<double>(node.Int(0, 1LL << 40)); }

ThresholdSettings ParseThresholds(const ConfigNode& node) {
  ThresholdSettings t;
  MapReader map(node);
  if (auto v = map.Optional("cert_expiry_warning")) t.cert_expiry_warning = v->DurationValue();
  if (auto v = map.Optional("disk_used_warning_ratio")) t.disk_used_warning_ratio = Ratio(*v);
  if (auto v = map.Optional("disk_used_critical_ratio")) t.disk_used_critical_ratio = Ratio(*v);
  if (auto v = map.Optional("backup_max_age")) t.backup_max_age = v->DurationValue();
  if (auto v = map.Optional("auth_failures_warning")) t.auth_failures_warning = Count(*v);
  if (auto v = map.Optional("log_errors_warning")) t.log_errors_warning = Count(*v);
  if (auto v = map.Optional("log_critical_warning")) t.log_critical_warning = Count(*v);
  if (auto v = map.Optional("cache_hit_ratio_warning")) t.cache_hit_ratio_warning = Ratio(*v);
  if (auto v = map.Optional("cache_min_lookups")) t.cache_min_lookups = Count(*v);
  if (auto v = map.Optional("redis_memory_warning_ratio")) {
    t.redis_memory_warning_ratio = Ratio(*v);
  }
  if (auto v = map.Optional("container_memory_warning_ratio")) {
    t.container_memory_warning_ratio = Ratio(*v);
  }
  if (auto v = map.Optional("memory_recommendation_ratio")) {
    t.memory_recommendation_ratio = Ratio(*v);
  }
  if (auto v = map.Optional("disk_fill_horizon")) t.disk_fill_horizon = v->DurationValue();
  if (t.disk_used_critical_ratio < t.disk_used_warning_ratio) {
    node.Fail("disk_used_critical_ratio must not be below disk_used_warning_ratio");
  }
  map.Finish();
  return t;
}

std::map<std::string, ProbeModule> DefaultProbeModules() {
  std::map<std::string, ProbeModule> modules;
  ProbeModule http;
  http.name = "http_2xx";
  modules[http.name] = http;
  ProbeModule tcp;
  tcp.name = "tcp_connect";
  tcp.prober = ProbeModule::Prober::kTcp;
  modules[tcp.name] = tcp;
  ProbeModule tls = tcp;
  tls.name = "tls_connect";
  tls.tls = true;
  modules[tls.name] = tls;
  return modules;
}

ProbeTlsConfig ParseProbeTlsConfig(const ConfigNode& node) {
  ProbeTlsConfig tls;
  MapReader map(node);
  if (auto v = map.Optional("insecure_skip_verify")) tls.insecure_skip_verify = v->Bool();
  if (auto v = map.Optional("ca_file")) tls.ca_file = v->NonEmptyString();
  if (auto v = map.Optional("server_name")) tls.server_name = v->NonEmptyString();
  map.Finish();
  return tls;
}

// blackbox_exporter's module syntax, strictly: a key medic does not implement (a regexp check,
// DNS or ICMP probers, a body) is an error naming it, never silently ignored.
ProbeModule ParseProbeModule(const std::string& name, const ConfigNode& node) {
  ProbeModule module;
  module.name = name;
  MapReader map(node);
  ConfigNode prober = map.Required("prober");
  const std::string kind = prober.NonEmptyString();
  if (kind == "http") {
    module.prober = ProbeModule::Prober::kHttp;
  } else if (kind == "tcp") {
    module.prober = ProbeModule::Prober::kTcp;
  } else {
    prober.Fail("prober \"" + kind + "\" is not supported by medic (http, tcp)");
  }
  if (auto v = map.Optional("timeout")) module.timeout = v->DurationValue();
  if (auto v = map.Optional("http")) {
    if (module.prober != ProbeModule::Prober::kHttp) v->Fail("http settings need prober: http");
    MapReader http(*v);
    if (auto codes = http.Optional("valid_status_codes")) {
      for (const ConfigNode& code : codes->Items()) {
        module.valid_status_codes.push_back(static_cast<int>(code.Int(100, 599)));
      }
    }
    if (auto m = http.Optional("method")) {
      module.method = m->NonEmptyString();
      static const std::set<std::string> kMethods{"GET", "HEAD", "POST", "PUT", "OPTIONS"};
      if (kMethods.count(module.method) == 0) m->Fail("unsupported method " + module.method);
    }
    if (auto h = http.Optional("headers")) module.headers = h->StringMap();
    if (auto f = http.Optional("fail_if_ssl")) module.fail_if_ssl = f->Bool();
    if (auto f = http.Optional("fail_if_not_ssl")) module.fail_if_not_ssl = f->Bool();
    if (auto f = http.Optional("no_follow_redirects")) module.no_follow_redirects = f->Bool();
    if (auto f = http.Optional("preferred_ip_protocol")) {
      module.preferred_ip_protocol = f->NonEmptyString();
      if (module.preferred_ip_protocol != "ip4" && module.preferred_ip_protocol != "ip6") {
        f->Fail("must be ip4 or ip6");
      }
    }
    if (auto f = http.Optional("ip_protocol_fallback")) module.ip_protocol_fallback = f->Bool();
    if (auto t = http.Optional("tls_config")) {
      module.tls_config = ParseProbeTlsConfig(*t);
      // libcurl checks the URL's host; naming another one would need a pinned resolve.
      if (!module.tls_config.server_name.empty()) {
        t->Fail("server_name is supported for the tcp prober only; use the name in the URL");
      }
    }
    http.Finish();
  }
  if (auto v = map.Optional("tcp")) {
    if (module.prober != ProbeModule::Prober::kTcp) v->Fail("tcp settings need prober: tcp");
    MapReader tcp(*v);
    if (auto f = tcp.Optional("tls")) module.tls = f->Bool();
    if (auto f = tcp.Optional("preferred_ip_protocol")) {
      module.preferred_ip_protocol = f->NonEmptyString();
      if (module.preferred_ip_protocol != "ip4" && module.preferred_ip_protocol != "ip6") {
        f->Fail("must be ip4 or ip6");
      }
    }
    if (auto f = tcp.Optional("ip_protocol_fallback")) module.ip_protocol_fallback = f->Bool();
    if (auto t = tcp.Optional("tls_config")) module.tls_config = ParseProbeTlsConfig(*t);
    tcp.Finish();
  }
  map.Finish();
  return module;
}

std::map<std::string, ProbeModule> ParseProbeModules(const ConfigNode& node) {
  std::map<std::string, ProbeModule> modules;
  if (!node.IsNull() && !node.IsMap()) node.Fail("must be a map of module name to module");
  if (node.IsNull()) return modules;
  for (const auto& entry : node.yaml()) {
    const std::string name = entry.first.as<std::string>();
    const ConfigNode module = node.Child(entry.second, node.key_path() + "." + name, entry.first);
    modules[name] = ParseProbeModule(name, module);
  }
  return modules;
}

Config ParseRoot(const ConfigNode& root, const std::string& source_name) {
  Config config;
  config.source_name = source_name;
  MapReader map(root);
  if (auto v = map.Optional("web")) config.web = ParseWeb(*v);
  if (auto v = map.Optional("docker")) config.docker = ParseDocker(*v);
  if (auto v = map.Optional("collectors")) config.collectors = ParseCollectors(*v);
  if (config.collectors.container) config.collectors.container->docker = config.docker;
  if (config.collectors.logs) config.collectors.logs->docker = config.docker;
  if (auto v = map.Optional("data_dir")) config.data_dir = v->NonEmptyString();
  config.journal.path = config.data_dir + "/journal.db";
  if (auto v = map.Optional("journal")) config.journal = ParseJournal(*v, config.journal);
  if (auto v = map.Optional("webhook")) config.webhook = ParseWebhook(*v);
  if (auto v = map.Optional("fleet")) config.fleet = ParseFleet(*v);
  if (auto v = map.Optional("targets")) config.targets = v->StringList();
  if (auto v = map.Optional("notifiers")) config.notifiers = ParseNotifiers(*v);
  if (auto v = map.Optional("dry_run")) config.dry_run = v->Bool();
  if (auto v = map.Optional("workers")) config.workers = static_cast<std::size_t>(v->Int(1, 64));
  if (auto v = map.Optional("queue_size")) {
    config.queue_size = static_cast<std::size_t>(v->Int(1, 1000000));
  }
  if (auto v = map.Optional("remediations")) config.remediations = ParseRemediations(*v, config);
  if (auto v = map.Optional("thresholds")) config.thresholds = ParseThresholds(*v);
  config.modules = DefaultProbeModules();
  if (auto v = map.Optional("modules")) config.modules = ParseProbeModules(*v);
  if (config.collectors.logs && config.collectors.logs->state_file.empty()) {
    config.collectors.logs->state_file = config.data_dir + "/log-offsets.json";
  }
  map.Finish();
  return config;
}

}  // namespace

std::string_view EmbeddedDefaultConfigText() { return kEmbeddedDefault; }

Config LoadConfigText(const std::string& text, const std::string& source_name) {
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(source_name, error.mark.line + 1, error.mark.column + 1, "",
                      "invalid YAML: " + error.msg);
  }
  auto source = std::make_shared<const std::string>(source_name);
  ConfigNode root(document, "", source);
  if (!root.IsNull() && !root.IsMap()) root.Fail("the configuration must be a mapping");
  Config config = ParseRoot(root, source_name);
  if (document.IsMap()) {
    for (const auto& entry : document) {
      config.section_text[entry.first.Scalar()] = YAML::Dump(entry.second);
    }
  }
  return config;
}

Config LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open configuration file");
  std::stringstream content;
  content << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read configuration file");
  return LoadConfigText(content.str(), path);
}

Config LoadDefaultConfig() {
  return LoadConfigText(std::string(kEmbeddedDefault), "<embedded default>");
}

}  // namespace medic
