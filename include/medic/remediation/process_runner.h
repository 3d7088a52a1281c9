#pragma once

#include "medic/duration.h"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace medic::remediation {

struct ProcessResult {
  int exit_code = -1;      // exit status, or 128 + signal
  bool timed_out = false;  // killed after the timeout
  bool truncated = false;  // output beyond max_output_bytes was discarded
  std::string output;      // stdout and stderr interleaved, at most max_output_bytes
  std::string error;       // set when the program could not be started
};

// Runs argv directly with fork/execve: no shell ever parses anything, so alert data passed in
// `environment` stays inert data. The child gets only `environment` (plus a fixed PATH when
// none is given), stdin from /dev/null, its own process group (the whole group is killed with
// SIGKILL at the timeout), no inherited descriptors beyond 0-2, and is killed if medic dies.
// A program that cannot be executed exits 126 (its output says nothing; exit code tells).
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& environment, Duration timeout,
                         std::size_t max_output_bytes);

}  // namespace medic::remediation
