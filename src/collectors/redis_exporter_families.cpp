#include "medic/collectors/redis_exporter_families.h"

#include "medic/metric_family_builder.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace medic {
namespace {

enum class Kind { kGauge, kCounter };

struct FieldMetric {
  std::string_view field;  // INFO field
  std::string_view name;   // metric name after "redis_"
  Kind kind;
};

// redis_exporter 1.45's metricMapGauges and metricMapCounters for Redis (Tile38 and KeyDB
// fields left out), plus the fields 1.45 exports that older maps lacked. Left out as well: the
// 13 names `promtool check metrics` refuses (abbreviated units: redis_{rdb_last,
// rdb_current}_bgsave_duration_sec, redis_{aof_last,aof_current}_rewrite_duration_sec; counters
// without _total: redis_total_{error_replies,reads_processed,writes_processed},
// redis_unexpected_error_replies, redis_dump_payload_sanitizations,
// redis_io_threaded_{reads,writes}_processed; gauges with _total:
// redis_migrate_cached_sockets_total, redis_expired_time_cap_reached_total). medic's output
// must pass the lint, and none of the public dashboards and rules in tests/fixtures/community
// reads them. Order matters only for
// readability; the exposition is sorted by the serializer's caller.
constexpr FieldMetric kFieldMetrics[] = {
    // Server
    {"uptime_in_seconds", "uptime_in_seconds", Kind::kGauge},
    {"process_id", "process_id", Kind::kGauge},
    {"io_threads_active", "io_threads_active", Kind::kGauge},
    // Clients
    {"connected_clients", "connected_clients", Kind::kGauge},
    {"blocked_clients", "blocked_clients", Kind::kGauge},
    {"tracking_clients", "tracking_clients", Kind::kGauge},
    {"clients_in_timeout_table", "clients_in_timeout_table", Kind::kGauge},
    {"cluster_connections", "cluster_connections", Kind::kGauge},
    {"client_longest_output_list", "client_longest_output_list", Kind::kGauge},
    {"client_biggest_input_buf", "client_biggest_input_buf", Kind::kGauge},
    {"client_recent_max_output_buffer", "client_recent_max_output_buffer_bytes", Kind::kGauge},
    {"client_recent_max_input_buffer", "client_recent_max_input_buffer_bytes", Kind::kGauge},
    // Memory
    {"allocator_active", "allocator_active_bytes", Kind::kGauge},
    {"allocator_allocated", "allocator_allocated_bytes", Kind::kGauge},
    {"allocator_resident", "allocator_resident_bytes", Kind::kGauge},
    {"allocator_frag_ratio", "allocator_frag_ratio", Kind::kGauge},
    {"allocator_frag_bytes", "allocator_frag_bytes", Kind::kGauge},
    {"allocator_rss_ratio", "allocator_rss_ratio", Kind::kGauge},
    {"allocator_rss_bytes", "allocator_rss_bytes", Kind::kGauge},
    {"used_memory", "memory_used_bytes", Kind::kGauge},
    {"used_memory_rss", "memory_used_rss_bytes", Kind::kGauge},
    {"used_memory_peak", "memory_used_peak_bytes", Kind::kGauge},
    {"used_memory_lua", "memory_used_lua_bytes", Kind::kGauge},
    {"used_memory_overhead", "memory_used_overhead_bytes", Kind::kGauge},
    {"used_memory_startup", "memory_used_startup_bytes", Kind::kGauge},
    {"used_memory_dataset", "memory_used_dataset_bytes", Kind::kGauge},
    {"used_memory_scripts", "memory_used_scripts_bytes", Kind::kGauge},
    {"maxmemory", "memory_max_bytes", Kind::kGauge},
    {"maxmemory_reservation", "memory_max_reservation_bytes", Kind::kGauge},
    {"maxmemory_desired_reservation", "memory_max_reservation_desired_bytes", Kind::kGauge},
    {"maxfragmentationmemory_reservation", "memory_max_fragmentation_reservation_bytes",
     Kind::kGauge},
    {"maxfragmentationmemory_desired_reservation",
     "memory_max_fragmentation_reservation_desired_bytes", Kind::kGauge},
    {"mem_fragmentation_ratio", "mem_fragmentation_ratio", Kind::kGauge},
    {"mem_fragmentation_bytes", "mem_fragmentation_bytes", Kind::kGauge},
    {"mem_clients_slaves", "mem_clients_slaves", Kind::kGauge},
    {"mem_clients_normal", "mem_clients_normal", Kind::kGauge},
    {"expired_stale_perc", "expired_stale_percentage", Kind::kGauge},
    {"mem_not_counted_for_evict", "mem_not_counted_for_eviction_bytes", Kind::kGauge},
    {"lazyfree_pending_objects", "lazyfree_pending_objects", Kind::kGauge},
    {"active_defrag_running", "active_defrag_running", Kind::kGauge},
    {"active_defrag_hits", "defrag_hits", Kind::kGauge},
    {"active_defrag_misses", "defrag_misses", Kind::kGauge},
    {"active_defrag_key_hits", "defrag_key_hits", Kind::kGauge},
    {"active_defrag_key_misses", "defrag_key_misses", Kind::kGauge},
    {"number_of_cached_scripts", "number_of_cached_scripts", Kind::kGauge},
    // Persistence
    {"loading", "loading_dump_file", Kind::kGauge},
    {"rdb_changes_since_last_save", "rdb_changes_since_last_save", Kind::kGauge},
    {"rdb_bgsave_in_progress", "rdb_bgsave_in_progress", Kind::kGauge},
    {"rdb_last_save_time", "rdb_last_save_timestamp_seconds", Kind::kGauge},
    {"rdb_last_bgsave_status", "rdb_last_bgsave_status", Kind::kGauge},
    {"rdb_last_cow_size", "rdb_last_cow_size_bytes", Kind::kGauge},
    {"aof_enabled", "aof_enabled", Kind::kGauge},
    {"aof_rewrite_in_progress", "aof_rewrite_in_progress", Kind::kGauge},
    {"aof_rewrite_scheduled", "aof_rewrite_scheduled", Kind::kGauge},
    {"aof_last_cow_size", "aof_last_cow_size_bytes", Kind::kGauge},
    {"aof_current_size", "aof_current_size_bytes", Kind::kGauge},
    {"aof_base_size", "aof_base_size_bytes", Kind::kGauge},
    {"aof_pending_rewrite", "aof_pending_rewrite", Kind::kGauge},
    {"aof_buffer_length", "aof_buffer_length", Kind::kGauge},
    {"aof_rewrite_buffer_length", "aof_rewrite_buffer_length", Kind::kGauge},
    {"aof_pending_bio_fsync", "aof_pending_bio_fsync", Kind::kGauge},
    {"aof_delayed_fsync", "aof_delayed_fsync", Kind::kGauge},
    {"aof_last_bgrewrite_status", "aof_last_bgrewrite_status", Kind::kGauge},
    {"aof_last_write_status", "aof_last_write_status", Kind::kGauge},
    {"module_fork_in_progress", "module_fork_in_progress", Kind::kGauge},
    {"module_fork_last_cow_size", "module_fork_last_cow_size", Kind::kGauge},
    // Stats
    {"pubsub_channels", "pubsub_channels", Kind::kGauge},
    {"pubsub_patterns", "pubsub_patterns", Kind::kGauge},
    {"tracking_total_keys", "tracking_total_keys", Kind::kGauge},
    {"tracking_total_items", "tracking_total_items", Kind::kGauge},
    {"tracking_total_prefixes", "tracking_total_prefixes", Kind::kGauge},
    {"total_connections_received", "connections_received_total", Kind::kCounter},
    {"total_commands_processed", "commands_processed_total", Kind::kCounter},
    {"rejected_connections", "rejected_connections_total", Kind::kCounter},
    {"total_net_input_bytes", "net_input_bytes_total", Kind::kCounter},
    {"total_net_output_bytes", "net_output_bytes_total", Kind::kCounter},
    {"expired_keys", "expired_keys_total", Kind::kCounter},
    {"evicted_keys", "evicted_keys_total", Kind::kCounter},
    {"keyspace_hits", "keyspace_hits_total", Kind::kCounter},
    {"keyspace_misses", "keyspace_misses_total", Kind::kCounter},
    // Replication
    {"connected_slaves", "connected_slaves", Kind::kGauge},
    {"repl_backlog_size", "replication_backlog_bytes", Kind::kGauge},
    {"repl_backlog_active", "repl_backlog_is_active", Kind::kGauge},
    {"repl_backlog_first_byte_offset", "repl_backlog_first_byte_offset", Kind::kGauge},
    {"repl_backlog_histlen", "repl_backlog_history_bytes", Kind::kGauge},
    {"master_repl_offset", "master_repl_offset", Kind::kGauge},
    {"second_repl_offset", "second_repl_offset", Kind::kGauge},
    {"slave_expires_tracked_keys", "slave_expires_tracked_keys", Kind::kGauge},
    {"slave_priority", "slave_priority", Kind::kGauge},
    {"sync_full", "replica_resyncs_full", Kind::kGauge},
    {"sync_partial_ok", "replica_partial_resync_accepted", Kind::kGauge},
    {"sync_partial_err", "replica_partial_resync_denied", Kind::kGauge},
    // CPU
    {"used_cpu_sys", "cpu_sys_seconds_total", Kind::kCounter},
    {"used_cpu_user", "cpu_user_seconds_total", Kind::kCounter},
    {"used_cpu_sys_children", "cpu_sys_children_seconds_total", Kind::kCounter},
    {"used_cpu_user_children", "cpu_user_children_seconds_total", Kind::kCounter},
    {"used_cpu_sys_main_thread", "cpu_sys_main_thread_seconds_total", Kind::kCounter},
    {"used_cpu_user_main_thread", "cpu_user_main_thread_seconds_total", Kind::kCounter},
    // Cluster
    {"cluster_enabled", "cluster_enabled", Kind::kGauge},
    {"cluster_stats_messages_sent", "cluster_messages_sent_total", Kind::kGauge},
    {"cluster_stats_messages_received", "cluster_messages_received_total", Kind::kGauge},
};

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Like redis_exporter: "ok" is 1, any other status ("err") 0, numbers as they are.
std::optional<double> FieldValue(std::string_view field, std::string_view text) {
  if (field.ends_with("_status")) return text == "ok" ? 1.0 : 0.0;
  return ParseNumber(text);
}

// "calls=2,usec=8,usec_per_call=4.00,rejected_calls=0" → value of `key`.
std::optional<double> StatValue(std::string_view stats, std::string_view key) {
  while (!stats.empty()) {
    const std::size_t comma = stats.find(',');
    const std::string_view pair = stats.substr(0, comma);
    stats = comma == std::string_view::npos ? std::string_view() : stats.substr(comma + 1);
    const std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == key) {
      return ParseNumber(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

using Section = std::map<std::string, std::string, std::less<>>;

const Section* FindSection(const RedisInfo& info, std::string_view name) {
  const auto found = info.sections.find(name);
  return found == info.sections.end() ? nullptr : &found->second;
}

std::optional<std::string_view> AnyField(const RedisInfo& info, std::string_view field) {
  for (const auto& [name, fields] : info.sections) {
    const auto found = fields.find(field);
    if (found != fields.end()) return std::string_view(found->second);
  }
  return std::nullopt;
}

void AddFieldMetrics(const RedisInfo& info, std::vector<prometheus::MetricFamily>& out) {
  for (const FieldMetric& mapping : kFieldMetrics) {
    const auto text = AnyField(info, mapping.field);
    if (!text) continue;
    const auto value = FieldValue(mapping.field, *text);
    if (!value) continue;
    std::string name = "redis_";
    name += mapping.name;
    std::string help(mapping.name);
    help += " metric";
    auto builder = mapping.kind == Kind::kCounter ? MetricFamilyBuilder::Counter(name, help)
                                                  : MetricFamilyBuilder::Gauge(name, help);
    builder.Add(*value);
    builder.MoveInto(out);
  }
  // redis_exporter converts this one field to seconds.
  if (const auto fork = AnyField(info, "latest_fork_usec")) {
    if (const auto usec = ParseNumber(*fork)) {
      MetricFamilyBuilder::Gauge("redis_latest_fork_seconds", "latest_fork_seconds metric")
          .Add(*usec / 1e6)
          .MoveInto(out);
    }
  }
}

void AddCommandStats(const RedisInfo& info, std::vector<prometheus::MetricFamily>& out) {
  auto calls =
      MetricFamilyBuilder::Counter("redis_commands_total", "Total number of calls per command");
  auto duration = MetricFamilyBuilder::Counter("redis_commands_duration_seconds_total",
                                               "Total amount of time in seconds spent per command");
  auto rejected =
      MetricFamilyBuilder::Counter("redis_commands_rejected_calls_total",
                                   "Total number of errors within command execution per command");
  auto failed =
      MetricFamilyBuilder::Counter("redis_commands_failed_calls_total",
                                   "Total number of errors prior command execution per command");
  prometheus::MetricFamily latency;
  latency.name = "redis_latency_percentiles_usec";
  latency.help = "A summary of latency percentile distribution per command";
  latency.type = prometheus::MetricType::Summary;

  const Section* commandstats = FindSection(info, "commandstats");
  const Section* latencystats = FindSection(info, "latencystats");
  if (commandstats != nullptr) {
    for (const auto& [field, stats] : *commandstats) {
      if (!field.starts_with("cmdstat_")) continue;
      const std::string command = field.substr(8);
      const auto call_count = StatValue(stats, "calls");
      const auto usec = StatValue(stats, "usec");
      if (!call_count || !usec) continue;
      calls.Add(*call_count, {{"cmd", command}});
      duration.Add(*usec / 1e6, {{"cmd", command}});
      if (const auto v = StatValue(stats, "rejected_calls")) rejected.Add(*v, {{"cmd", command}});
      if (const auto v = StatValue(stats, "failed_calls")) failed.Add(*v, {{"cmd", command}});
      if (latencystats == nullptr) continue;
      const auto percentiles = latencystats->find("latency_percentiles_usec_" + command);
      if (percentiles == latencystats->end()) continue;
      prometheus::ClientMetric metric;
      metric.label = {{"cmd", command}};
      metric.summary.sample_count = static_cast<std::uint64_t>(*call_count);
      metric.summary.sample_sum = *usec;
      // "p50=3.007,p99=5.023,p99.9=5.023"
      std::string_view rest = percentiles->second;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view pair = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const std::size_t equals = pair.find('=');
        if (equals == std::string_view::npos || pair.front() != 'p') continue;
        const auto quantile = ParseNumber(pair.substr(1, equals - 1));
        const auto value = ParseNumber(pair.substr(equals + 1));
        if (quantile && value) metric.summary.quantile.push_back({*quantile, *value});
      }
      latency.metric.push_back(std::move(metric));
    }
  }
  for (auto* family : {&calls, &duration, &rejected, &failed}) family->MoveInto(out);
  if (!latency.metric.empty()) out.push_back(std::move(latency));

  auto errors =
      MetricFamilyBuilder::Counter("redis_errors_total", "Total number of errors per error type");
  if (const Section* errorstats = FindSection(info, "errorstats")) {
    for (const auto& [field, stats] : *errorstats) {
      if (!field.starts_with("errorstat_")) continue;
      if (const auto count = StatValue(stats, "count"))
        errors.Add(*count, {{"err", field.substr(10)}});
    }
  }
  errors.MoveInto(out);
}

void AddKeyspace(const RedisSnapshot& snapshot, std::vector<prometheus::MetricFamily>& out) {
  auto keys = MetricFamilyBuilder::Gauge("redis_db_keys", "Total number of keys by DB");
  auto expiring =
      MetricFamilyBuilder::Gauge("redis_db_keys_expiring", "Total number of expiring keys by DB");
  auto ttl = MetricFamilyBuilder::Gauge("redis_db_avg_ttl_seconds", "Avg TTL in seconds");
  for (const auto& [db, keyspace] : snapshot.info.keyspace) {
    keys.Add(static_cast<double>(keyspace.keys), {{"db", db}});
    expiring.Add(static_cast<double>(keyspace.expires), {{"db", db}});
    ttl.Add(static_cast<double>(keyspace.avg_ttl_ms) / 1000.0, {{"db", db}});
  }
  // Like redis_exporter, empty databases up to CONFIG databases read 0 rather than vanish, so
  // a rule on a database's keys sees it emptied instead of gone.
  int databases = 0;
  if (const auto found = snapshot.config.find("databases"); found != snapshot.config.end()) {
    if (const auto count = ParseNumber(found->second)) {
      databases = static_cast<int>(std::min(*count, 1024.0));
    }
  }
  for (int index = 0; index < databases; ++index) {
    std::string db = "db";
    db += std::to_string(index);
    if (snapshot.info.keyspace.contains(db)) continue;
    keys.Add(0, {{"db", db}});
    expiring.Add(0, {{"db", db}});
  }
  for (auto* family : {&keys, &expiring, &ttl}) family->MoveInto(out);
}

std::string FieldOrEmpty(const RedisInfo& info, std::string_view field) {
  return std::string(AnyField(info, field).value_or(""));
}

}  // namespace

const std::vector<std::string>& RedisConfigParameters() {
  static const std::vector<std::string> parameters{"maxmemory", "maxclients", "io-threads",
                                                   "databases"};
  return parameters;
}

std::vector<prometheus::MetricFamily> RedisExporterFamilies(const RedisSnapshot& snapshot,
                                                            double now_seconds) {
  std::vector<prometheus::MetricFamily> out;
  const RedisInfo& info = snapshot.info;
  AddFieldMetrics(info, out);
  AddCommandStats(info, out);
  AddKeyspace(snapshot, out);

  MetricFamilyBuilder::Gauge("redis_instance_info", "Information about the Redis instance")
      .Add(1, {{"maxmemory_policy", FieldOrEmpty(info, "maxmemory_policy")},
               {"os", FieldOrEmpty(info, "os")},
               {"process_id", FieldOrEmpty(info, "process_id")},
               {"redis_build_id", FieldOrEmpty(info, "redis_build_id")},
               {"redis_mode", FieldOrEmpty(info, "redis_mode")},
               {"redis_version", FieldOrEmpty(info, "redis_version")},
               {"role", FieldOrEmpty(info, "role")},
               {"run_id", FieldOrEmpty(info, "run_id")},
               {"tcp_port", FieldOrEmpty(info, "tcp_port")}})
      .MoveInto(out);
  if (const auto uptime = info.Number("server", "uptime_in_seconds")) {
    MetricFamilyBuilder::Gauge("redis_start_time_seconds",
                               "Start time of the Redis instance since unix epoch in seconds.")
        .Add(std::floor(now_seconds) - *uptime)
        .MoveInto(out);
  }
  for (const auto& [parameter, metric] :
       {std::pair<std::string, std::string>{"maxmemory", "redis_config_maxmemory"},
        {"maxclients", "redis_config_maxclients"},
        {"io-threads", "redis_config_io_threads"}}) {
    const auto found = snapshot.config.find(parameter);
    if (found == snapshot.config.end()) continue;
    if (const auto value = ParseNumber(found->second)) {
      MetricFamilyBuilder::Gauge(metric, metric.substr(6) + " metric").Add(*value).MoveInto(out);
    }
  }
  if (snapshot.slowlog_length) {
    MetricFamilyBuilder::Gauge("redis_slowlog_length", "Total slowlog")
        .Add(*snapshot.slowlog_length)
        .MoveInto(out);
  }
  if (snapshot.slowlog_last_id) {
    MetricFamilyBuilder::Gauge("redis_slowlog_last_id", "Last id of slowlog")
        .Add(*snapshot.slowlog_last_id)
        .MoveInto(out);
    MetricFamilyBuilder::Gauge("redis_last_slow_execution_duration_seconds",
                               "The amount of time needed for last slow execution, in seconds")
        .Add(snapshot.slowlog_last_duration_seconds.value_or(0))
        .MoveInto(out);
  }
  return out;
}

}  // namespace medic
