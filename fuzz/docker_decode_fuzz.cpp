// Docker Engine API bodies: every decoder either decodes or throws DockerError, never crashes.
// The first byte picks the decoder so one corpus covers them all.
#include "medic/docker/decode.h"
#include "medic/docker/error.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 10) {
      case 0: {
        const auto stats = medic::docker::DecodeStats(body);
        (void)medic::docker::WorkingSetBytes(stats);
        (void)medic::docker::CpuSeconds(stats);
        break;
      }
      case 1:
        (void)medic::docker::DecodeContainerDetails(body);
        break;
      case 2:
        (void)medic::docker::DecodeContainerList(body);
        break;
      case 3:
        (void)medic::docker::DecodeDiskUsage(body);
        break;
      case 4:
        (void)medic::docker::DecodeEvents(body);
        break;
      case 5:
        (void)medic::docker::DecodePrune(body, "ContainersDeleted");
        break;
      case 6:
        (void)medic::docker::DemultiplexLogs(body, false);
        break;
      case 7:
        (void)medic::docker::ParseTimestamp(body);
        break;
      case 8:
        (void)medic::docker::DecodeErrorMessage(body);
        break;
      default:
        (void)medic::docker::DecodeVersion(body);
        break;
    }
  } catch (const medic::docker::DockerError&) {
    // Refused cleanly.
  }
  return 0;
}
