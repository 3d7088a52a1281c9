#pragma once

#include "medic/docker/types.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Decoders for Docker Engine API bodies, apart from the transport so they can be tested on
// recorded fixtures and fuzzed. Every decoder throws DockerError (status 200: the response
// arrived, its body did not make sense) on a body that is not JSON or has the wrong shape, and
// otherwise tolerates missing fields.
namespace medic::docker {

VersionInfo DecodeVersion(std::string_view body);
EngineInfo DecodeEngineInfo(std::string_view body);
std::vector<ContainerSummary> DecodeContainerList(std::string_view body);
ContainerDetails DecodeContainerDetails(std::string_view body);
ContainerStats DecodeStats(std::string_view body);
DiskUsage DecodeDiskUsage(std::string_view body);
PruneResult DecodePrune(std::string_view body, std::string_view deleted_key);
// A stream of JSON objects (one per line, as /events sends them).
std::vector<Event> DecodeEvents(std::string_view body);
// The engine's {"message": "..."} error body; the raw text (bounded) when it is not JSON.
std::string DecodeErrorMessage(std::string_view body);

// Splits Docker's multiplexed log stream (8-byte headers: stream, 0, 0, 0, big-endian size).
// A TTY container's logs have no frames: pass tty = true and the body is one stdout frame.
// A truncated final frame throws DockerError.
Logs DemultiplexLogs(std::string_view body, bool tty);

// RFC 3339 with optional fraction and offset ("2026-11-29T03:24:11.75990659Z") → unix seconds.
// Docker's zero time ("0001-01-01T00:00:00Z") and unparsable text → nullopt.
std::optional<double> ParseTimestamp(std::string_view text);

}  // namespace medic::docker
