#include "medic/remediation/healing_state.h"

#include <sqlite3.h>

#include <filesystem>

namespace medic::remediation {

std::vector<Circuit> ReadOpenCircuits(SqliteDatabase& db) {
  std::vector<Circuit> circuits;
  auto select = db.Prepare(
      "SELECT remediation, target, opened_at FROM remediation_circuits ORDER BY opened_at");
  while (select.Step()) circuits.push_back({select.Text(0), select.Text(1), select.Real(2)});
  return circuits;
}

std::vector<UnhealedIncident> ReadUnhealedIncidents(SqliteDatabase& db) {
  auto select = db.Prepare(
      std::string("SELECT remediation, target, state, result, detail, "
                  "COALESCE(finished_at, created_at) FROM jobs WHERE id IN (SELECT MAX(id) FROM "
                  "jobs WHERE dry_run=0 AND (state IN "
                  "('succeeded','failed','interrupted','cancelled') OR (state='queued' AND "
                  "(result IN ('failed','skipped_cooldown','skipped_circuit') OR attempt>1))) "
                  "GROUP BY remediation, target) AND state NOT IN ('succeeded','cancelled') AND "
                  "NOT ") +
      kJobAlertResolvedSince + " ORDER BY id");
  std::vector<UnhealedIncident> incidents;
  while (select.Step()) {
    incidents.push_back({select.Text(0), select.Text(1), ParseJobState(select.Text(2)),
                         select.Text(3), select.Text(4), select.Real(5)});
  }
  return incidents;
}

std::optional<HealingState> ReadHealingState(const std::string& path) {
  std::error_code missing;
  if (!std::filesystem::exists(path, missing)) return std::nullopt;
  SqliteDatabase db(path, SqliteDatabase::Mode::kReadOnly);
  sqlite3_busy_timeout(db.handle(), 2000);  // the daemon's writer holds the lock briefly
  HealingState state;
  state.open_circuits = ReadOpenCircuits(db);
  state.unhealed = ReadUnhealedIncidents(db);
  return state;
}

}  // namespace medic::remediation
