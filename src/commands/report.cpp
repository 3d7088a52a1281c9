#include "medic/commands/report.h"

#include "medic/commands/check.h"

#include <cstdio>

namespace medic::commands {

int RunReport(const Flags&) {
  std::fprintf(stderr, "medic report: not implemented yet\n");
  return kExitCouldNotRun;
}

}  // namespace medic::commands
