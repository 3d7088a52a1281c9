#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace medic {

// Command-line flags in the Prometheus ecosystem's spelling. Secrets are never flags.
struct Flags {
  std::string config_file;                       // --config.file; empty: embedded default
  std::optional<std::string> config_check_file;  // --config.check FILE
  std::optional<std::string> listen_address;     // --web.listen-address
  std::optional<std::string> telemetry_path;     // --web.telemetry-path
  std::optional<std::string> web_config_file;    // --web.config.file
  std::string log_level = "info";
  std::string log_format = "logfmt";
  std::map<std::string, bool> collectors;  // --collector.NAME / --no-collector.NAME
  bool dry_run = false;                    // --dry-run: journal remediations, touch nothing
  bool version = false;
  bool help = false;
  // medic check / medic report
  std::string output;                   // --output text|json|markdown (default per command)
  bool no_color = false;                // --no-color
  std::string prometheus_url;           // --prometheus URL (report)
  std::string range = "7d";             // --range (report)
  std::string since;                    // --since (check): log window; empty: 24h
  std::vector<std::string> positional;  // subcommand and its arguments
};

class FlagError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Flags ParseFlags(const std::vector<std::string>& args);
std::string FlagsUsage();

}  // namespace medic
