#include "medic/app.h"
#include "medic/commands/check.h"
#include "medic/config_loader.h"
#include "medic/flags.h"
#include "medic/logging.h"
#include "medic/net/tls_server_context.h"
#include "medic/version.h"
#include "medic/web_config.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  // glibc gives every thread that mallocs its own arena (up to 8 per core); the HTTP pool's
  // threads each took one under concurrent scrapes and kept ~0.2 MiB apiece resident. Two
  // arenas keep the steady RSS flat; medic's threads are not allocation-bound.
  mallopt(M_ARENA_MAX, 2);
  medic::Flags flags;
  const std::vector<std::string> args(argv + 1, argv + argc);
  // `medic check` documents 3 as "could not run" for cron; the daemon keeps exit code 2.
  const bool subcommand = !args.empty() && args.front().rfind("--", 0) != 0;
  try {
    flags = medic::ParseFlags(args);
    medic::ConfigureLogging(flags.log_level, flags.log_format);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "medic: %s\n", error.what());
    return subcommand ? medic::commands::kExitCouldNotRun : 2;
  }
  if (flags.help) {
    std::fputs(medic::FlagsUsage().c_str(), stdout);
    return 0;
  }
  if (flags.version) {
    std::printf("medic, version %s (revision: %s, compiler: %s)\n", medic::kVersion,
                medic::kRevision, medic::kCompiler);
    return 0;
  }
  if (flags.config_check_file) {
    try {
      const medic::Config config = medic::LoadConfigFile(*flags.config_check_file);
      // The web config too, as start-up reads it: a bad cipher or a key that does not match its
      // certificate would stop medic, so the check must say so.
      const std::string web_config =
          flags.web_config_file ? *flags.web_config_file : config.web.config_file;
      if (!web_config.empty()) {
        const medic::WebConfigFile web = medic::LoadWebConfigFile(web_config);
        try {
          if (web.tls_enabled) medic::net::BuildTlsServerContext(web.tls);
        } catch (const std::exception& error) {
          throw std::runtime_error(web_config + ": " + error.what());
        }
        std::printf("%s: web configuration is valid\n", web_config.c_str());
      }
      std::printf("%s: configuration is valid\n", flags.config_check_file->c_str());
      return 0;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "%s\n", error.what());
      return 1;
    }
  }
  if (!flags.positional.empty()) return medic::commands::RunSubcommand(flags);
  try {
    return medic::App(std::move(flags)).Run();
  } catch (const std::exception& error) {
    spdlog::critical("{}", error.what());
    return 1;
  }
}
