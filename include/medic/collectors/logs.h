#pragma once

#include "medic/collector.h"
#include "medic/config.h"
#include "medic/logs/file_follower.h"
#include "medic/logs/offset_state.h"
#include "medic/logs/rule_matcher.h"
#include "medic/logs/top_k.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace medic {

// Replaces the seed's `grep -c ERROR`, `grep -i "unauthorized\|authentication failed"`, the
// "top offending IPs" pipeline and mtail: counts rule matches per log source.
//
// Tailing runs in one background thread owned by the collector (started by the constructor,
// stopped and joined by the destructor, which also saves the offsets). Collect() only reads
// counters. Offsets are persisted to settings.state_file (when set) after every poll round that
// moved them, at most once per poll_interval, and on shutdown.
class LogsCollector : public Collector {
 public:
  // Throws logs::InvalidRuleError for a bad rule regex.
  explicit LogsCollector(LogSettings settings);
  ~LogsCollector() override;
  LogsCollector(const LogsCollector&) = delete;
  LogsCollector& operator=(const LogsCollector&) = delete;

  std::string_view Name() const override { return "logs"; }
  std::vector<prometheus::MetricFamily> Collect() override;

  // The current top offenders per rule with an ip/client capture, for GET /api/v1/offenders:
  // {"top_k": K, "rules": {"auth_failure": [{"ip": "…", "matches": N, "max_overcount": E}]}}.
  nlohmann::json OffendersJson() const;

  // Counter reads for tests and benchmarks (0 for unknown names).
  std::uint64_t LinesTotal(const std::string& source) const;
  std::uint64_t MatchesTotal(const std::string& source, const std::string& rule) const;
  // Poll rounds over every source completed so far: a test that expects "nothing changed"
  // waits for rounds to pass instead of guessing how long one takes.
  std::uint64_t PollRounds() const { return poll_rounds_.load(); }

 private:
  class Source;

  void Run(const std::stop_token& stop);
  void SaveOffsets(bool force);

  LogSettings settings_;
  logs::RuleMatcher matcher_;
  std::optional<logs::OffsetStateFile> state_file_;
  std::vector<std::unique_ptr<Source>> sources_;
  mutable std::mutex offenders_mutex_;
  std::vector<std::optional<logs::TopKCounter>> offenders_;  // per rule
  logs::OffsetMap last_saved_;
  std::chrono::steady_clock::time_point last_save_{};
  std::mutex wake_mutex_;
  std::condition_variable_any wake_;
  std::atomic<std::uint64_t> poll_rounds_ = 0;
  std::jthread thread_;  // last member: joined before the rest is destroyed
};

}  // namespace medic
