#pragma once

#include "medic/remediation/journal.h"
#include "medic/remediation/sqlite.h"

#include <optional>
#include <string>
#include <vector>

namespace medic::remediation {

// The latest incident of a (remediation, target) that is not healed, as the journal has it.
struct UnhealedIncident {
  std::string remediation;
  std::string target;
  JobState state = JobState::kFailed;
  // gave_up, failed (a retry is due, or queued: the engine is awaited), skipped_cooldown and
  // skipped_circuit (queued: it waits for the cooldown's end or the circuit's close)
  std::string result;
  std::string detail;
  double since = 0;  // when its job finished (gave up, failed), or came (still waiting)
};

// What needs a person in the remediation journal: open circuits and unhealed incidents.
struct HealingState {
  std::vector<Circuit> open_circuits;
  std::vector<UnhealedIncident> unhealed;
};

// SQL, true when a resolved alert of the `jobs` row's fingerprint came after the job: its
// incident is over, whoever fixed it.
inline constexpr char kJobAlertResolvedSince[] =
    "EXISTS (SELECT 1 FROM alerts a WHERE a.fingerprint=jobs.fingerprint AND "
    "a.status='resolved' AND a.received_at>=jobs.created_at)";

std::vector<Circuit> ReadOpenCircuits(SqliteDatabase& db);
// The latest job of each (remediation, target) that says how its incident stands, when that is
// not healed: its last attempt failed or was interrupted, a retry is due, or it waits (for the
// engine, a cooldown, a circuit). A success, or a resolved alert since (whoever fixed it), ends
// that.
std::vector<UnhealedIncident> ReadUnhealedIncidents(SqliteDatabase& db);

// For `medic check` beside a running daemon or after it: reads the journal at `path` read-only,
// changing nothing. Nothing when no journal file exists; throws SqliteError when one exists and
// cannot be read.
std::optional<HealingState> ReadHealingState(const std::string& path);

}  // namespace medic::remediation
