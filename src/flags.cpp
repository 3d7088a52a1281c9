#include "medic/flags.h"

#include "medic/collector_factory.h"

#include <algorithm>

namespace medic {
namespace {

bool IsKnownCollector(const std::string& name) {
  const auto& names = KnownCollectorNames();
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Flags ParseFlags(const std::vector<std::string>& args) {
  Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      flags.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto take_value = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= args.size()) throw FlagError("flag --" + name + " needs a value");
      return args[++i];
    };
    auto no_value = [&]() {
      if (value) throw FlagError("flag --" + name + " takes no value");
    };
    if (name == "config.file") {
      flags.config_file = take_value();
    } else if (name == "config.check") {
      flags.config_check_file = take_value();
    } else if (name == "web.listen-address") {
      flags.listen_address = take_value();
    } else if (name == "web.telemetry-path") {
      flags.telemetry_path = take_value();
    } else if (name == "web.config.file") {
      flags.web_config_file = take_value();
    } else if (name == "log.level") {
      flags.log_level = take_value();
    } else if (name == "log.format") {
      flags.log_format = take_value();
    } else if (name == "output") {
      flags.output = take_value();
    } else if (name == "no-color") {
      no_value();
      flags.no_color = true;
    } else if (name == "prometheus") {
      flags.prometheus_url = take_value();
    } else if (name == "range") {
      flags.range = take_value();
    } else if (name == "since") {
      flags.since = take_value();
    } else if (name == "dry-run") {
      no_value();
      flags.dry_run = true;
    } else if (name == "version") {
      no_value();
      flags.version = true;
    } else if (name == "help" || name == "h") {
      no_value();
      flags.help = true;
    } else if (name.rfind("collector.", 0) == 0 || name.rfind("no-collector.", 0) == 0) {
      no_value();
      const bool enable = name.rfind("collector.", 0) == 0;
      const std::string collector = name.substr(name.find('.') + 1);
      if (!IsKnownCollector(collector)) throw FlagError("unknown collector \"" + collector + "\"");
      flags.collectors[collector] = enable;
    } else {
      throw FlagError("unknown flag --" + name + " (see --help)");
    }
  }
  return flags;
}

std::string FlagsUsage() {
  std::string collectors;
  for (const auto& name : KnownCollectorNames())
    collectors += (collectors.empty() ? "" : ", ") + name;
  return R"(usage: medic [flags]
       medic check  [--since 24h] [--config.file F] [--output text|json] [--no-color]
       medic report capacity|security|performance [--prometheus URL] [--range 7d|30d]
                    [--output markdown|json] [--config.file F]

Prometheus exporter and Alertmanager webhook receiver that heals a containerised service.

Flags:
  --config.file=FILE         YAML configuration (default: the embedded default config)
  --config.check=FILE        validate FILE and exit 0 (valid) or 1 (invalid)
  --web.listen-address=ADDR  address to listen on (default 127.0.0.1:9469)
  --web.telemetry-path=PATH  path under which to expose metrics (default /metrics)
  --web.config.file=FILE     exporter-toolkit web config: TLS, basic_auth_users
  --log.level=LEVEL          debug, info, warn, error (default info)
  --log.format=FORMAT        logfmt or json (default logfmt)
  --collector.NAME           enable collector NAME even without its config section
  --no-collector.NAME        disable collector NAME
                             (collectors: )" +
         collectors + R"()
  --dry-run                  journal what remediations would do, touch nothing
  --version                  print version information and exit
  --help                     show this help

medic check runs every enabled collector once and prints OK/WARN/FAIL per check with the
threshold that decided it; it reads the configured logs itself over --since (default 24h; auth
failures over at least 7d) and prints the count and the last 5 matching lines per rule.
Exit codes (for cron): 0 all OK, 1 any WARN, 2 any FAIL, 3 could not run (bad configuration or
flags). Colour only on a terminal; NO_COLOR or --no-color turn it off.

medic report prints the weekly (security, performance) or monthly (capacity) report with
recommendations, from Prometheus history over --range (default 7d) with --prometheus, else from
one collector run. Exit codes: 0 written, 3 could not run (bad flags, Prometheus unreachable or
answering an error).

Signals: SIGHUP (or POST /-/reload) reloads the configuration; SIGTERM/SIGINT stop gracefully.
)";
}

}  // namespace medic
