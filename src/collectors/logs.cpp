#include "medic/collectors/logs.h"

#include "medic/valid_utf8.h"

#include "medic/logs/container_source.h"
#include "medic/logs/trailing_window.h"
#include "medic/metric_family_builder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <mutex>

namespace medic {
namespace {

// A counter written by the tailing thread only and read by scrapes: relaxed load+store keeps
// the hot path free of locked instructions while reads stay tear-free.
class Counter {
 public:
  void Add(std::uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Matches per rule over the trailing hour, for the status page and dashboards without PromQL;
// sampled once a minute by the tailing thread, so the per-line path stays untouched.
constexpr auto kMatchWindow = std::chrono::hours(1);
constexpr int kMatchWindowSlots = 60;

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

class LogsCollector::Source : public logs::LineSink {
 public:
  Source(const LogSource& config, const LogSettings& settings, const logs::RuleMatcher& matcher,
         LogsCollector& owner, std::optional<logs::FileOffset> saved)
      : matches_(matcher.rules().size()), config_(config), matcher_(matcher), owner_(owner) {
    applies_.reserve(matcher.rules().size());
    const auto now = std::chrono::steady_clock::now();
    recent_matches_.assign(matcher.rules().size(),
                           logs::TrailingWindow(kMatchWindow, kMatchWindowSlots, now));
    for (const LogRule& rule : matcher.rules()) {
      applies_.push_back(rule.sources.empty() || std::find(rule.sources.begin(), rule.sources.end(),
                                                           config.name) != rule.sources.end());
    }
    if (!config.path.empty()) {
      follower_ = std::make_unique<logs::FileFollower>(
          logs::FileFollower::Options{config.path, config.from_beginning, settings.max_line_bytes},
          std::move(saved));
    } else {
      container_ = std::make_unique<logs::ContainerLogSource>(
          config.container, settings.docker, settings.max_line_bytes, config.from_beginning,
          std::move(saved));
      poll_interval_ = settings.poll_interval;
    }
  }

  const LogSource& config() const { return config_; }

  void Start() {
    if (follower_) {
      follower_->Start(*this);
    } else {
      PollContainer();  // fixes "the end" of its log as of start-up
    }
  }

  bool Poll() {
    const std::uint64_t before = lines_.Get();
    bool more = false;
    if (follower_) {
      more = follower_->Poll(*this);
    } else if (std::chrono::steady_clock::now() >= next_container_poll_) {
      PollContainer();
    }
    if (lines_.Get() != before) {
      last_line_seconds_.store(NowSeconds(), std::memory_order_relaxed);
    }
    return more;
  }

  // Called by the tailing thread after each poll round.
  void SampleMatchWindows() {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(recent_matches_mutex_);
    for (std::size_t rule = 0; rule < matches_.size(); ++rule) {
      recent_matches_[rule].Record(now, matches_[rule].Get());
    }
  }

  std::uint64_t MatchesInWindow(std::size_t rule) const {
    const std::uint64_t current = matches_[rule].Get();
    std::lock_guard lock(recent_matches_mutex_);
    return recent_matches_[rule].CountAt(std::chrono::steady_clock::now(), current).count;
  }

  std::optional<logs::FileOffset> Position() const {
    if (container_) {
      logs::FileOffset position = container_->Position();
      if (position.container_id.empty()) return std::nullopt;
      return position;
    }
    logs::FileOffset position = follower_->Position();
    if (position.inode == 0) return std::nullopt;  // never opened: nothing to resume
    return position;
  }

  void OnLine(std::string_view line) override {
    lines_.Add(1);
    if (!matcher_.Match(line, matched_)) return;
    for (const int index : matched_) {
      const auto rule = static_cast<std::size_t>(index);
      if (!applies_[rule]) continue;
      matches_[rule].Add(1);
      if (matcher_.HasOffenderCapture(rule)) {
        if (auto offender = matcher_.Offender(rule, line)) {
          // Repaired before counting: two captures whose invalid bytes repair alike are one
          // offender, not two series with the same labels; /metrics and the API agree.
          std::string repaired;
          const std::string_view key = ValidUtf8View(*offender, repaired);
          std::lock_guard lock(owner_.offenders_mutex_);
          owner_.offenders_[rule]->Add(key);
        }
      }
    }
  }
  void OnOverlongLine() override { overlong_.Add(1); }
  void OnBytes(std::uint64_t bytes) override { bytes_.Add(bytes); }
  void OnRotation() override { rotations_.Add(1); }
  void OnTruncation() override { truncations_.Add(1); }
  void OnReadError(const std::string& message) override {
    read_errors_.Add(1);
    spdlog::warn("logs source {}: {}", config_.name, message);
  }

  Counter lines_, bytes_, rotations_, truncations_, read_errors_, overlong_;
  std::atomic<double> last_line_seconds_{0};
  std::vector<Counter> matches_;  // per rule

 private:
  LogSource config_;
  const logs::RuleMatcher& matcher_;
  LogsCollector& owner_;
  std::vector<bool> applies_;  // per rule: does the rule's source filter include us
  mutable std::mutex recent_matches_mutex_;
  std::vector<logs::TrailingWindow> recent_matches_;  // per rule
  std::vector<int> matched_;
  std::unique_ptr<logs::FileFollower> follower_;
  std::unique_ptr<logs::ContainerLogSource> container_;
  Duration poll_interval_{};
  std::chrono::steady_clock::time_point next_container_poll_{};

  void PollContainer() {
    // API calls are rate-limited to one round per poll_interval, however busy the files are.
    next_container_poll_ = std::chrono::steady_clock::now() + poll_interval_;
    container_->Poll(*this);
  }
};

LogsCollector::LogsCollector(LogSettings settings)
    : settings_(std::move(settings)), matcher_(settings_.rules) {
  offenders_.resize(matcher_.rules().size());
  for (std::size_t rule = 0; rule < matcher_.rules().size(); ++rule) {
    if (matcher_.HasOffenderCapture(rule)) offenders_[rule].emplace(settings_.top_k);
  }
  logs::OffsetMap saved;
  if (!settings_.state_file.empty()) {
    state_file_.emplace(settings_.state_file);
    saved = state_file_->Load();
  }
  for (const LogSource& source : settings_.sources) {
    std::optional<logs::FileOffset> offset;
    if (auto found = saved.find(source.name); found != saved.end()) offset = found->second;
    sources_.push_back(std::make_unique<Source>(source, settings_, matcher_, *this, offset));
  }
  // Position every file before returning, so "start at the end" means the end as of start-up.
  for (auto& source : sources_) source->Start();
  last_saved_ = saved;
  thread_ = std::jthread([this](const std::stop_token& stop) { Run(stop); });
}

LogsCollector::~LogsCollector() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  SaveOffsets(true);
}

void LogsCollector::Run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    bool more = false;
    for (auto& source : sources_) {
      try {
        more = source->Poll() || more;
        source->SampleMatchWindows();
      } catch (const std::exception& error) {  // e.g. bad_alloc: never kill the thread
        source->OnReadError(error.what());
      }
    }
    SaveOffsets(false);
    ++poll_rounds_;
    if (more) continue;
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, stop, settings_.poll_interval, [] { return false; });
  }
}

void LogsCollector::SaveOffsets(bool force) {
  if (!state_file_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_save_ < settings_.poll_interval) return;
  logs::OffsetMap offsets = last_saved_;
  for (const auto& source : sources_) {
    if (auto position = source->Position()) offsets[source->config().name] = *position;
  }
  if (offsets == last_saved_) return;
  try {
    state_file_->Save(offsets);
    last_saved_ = std::move(offsets);
    last_save_ = now;
  } catch (const std::exception& error) {
    spdlog::warn("logs: cannot save offsets: {}", error.what());
    last_save_ = now;  // retry after poll_interval, not in a tight loop
  }
}

std::uint64_t LogsCollector::LinesTotal(const std::string& source) const {
  for (const auto& candidate : sources_) {
    if (candidate->config().name == source) return candidate->lines_.Get();
  }
  return 0;
}

std::uint64_t LogsCollector::MatchesTotal(const std::string& source,
                                          const std::string& rule) const {
  for (const auto& candidate : sources_) {
    if (candidate->config().name != source) continue;
    for (std::size_t index = 0; index < matcher_.rules().size(); ++index) {
      if (matcher_.rules()[index].name == rule) return candidate->matches_[index].Get();
    }
  }
  return 0;
}

std::vector<prometheus::MetricFamily> LogsCollector::Collect() {
  auto lines = MetricFamilyBuilder::Counter("medic_log_lines_total", "Log lines read per source.");
  auto matches = MetricFamilyBuilder::Counter("medic_log_matches_total",
                                              "Log lines matching each rule, per source.");
  auto bytes = MetricFamilyBuilder::Counter("medic_log_bytes_total", "Log bytes read per source.");
  auto rotations = MetricFamilyBuilder::Counter(
      "medic_log_rotations_total", "Times a followed log file was replaced (rename or recreate).");
  auto truncations = MetricFamilyBuilder::Counter(
      "medic_log_truncations_total", "Times a followed log file was truncated (copytruncate).");
  auto errors = MetricFamilyBuilder::Counter("medic_log_read_errors_total",
                                             "Failures to open or read a log source.");
  auto last_line =
      MetricFamilyBuilder::Gauge("medic_log_last_line_timestamp_seconds",
                                 "When the last line of the source was read (0: none yet).");
  auto overlong = MetricFamilyBuilder::Counter(
      "medic_log_overlong_lines_total", "Lines longer than max_line_bytes, counted and skipped.");
  auto last_hour = MetricFamilyBuilder::Gauge(
      "medic_log_matches_last_hour",
      "Log lines matching each rule in the trailing hour (since start when medic has run less "
      "than an hour; one-minute precision). In PromQL prefer "
      "increase(medic_log_matches_total[1h]).");
  for (const auto& source : sources_) {
    const std::string& name = source->config().name;
    const LabelPairs labels{{"source", name}};
    lines.Add(static_cast<double>(source->lines_.Get()), labels);
    bytes.Add(static_cast<double>(source->bytes_.Get()), labels);
    rotations.Add(static_cast<double>(source->rotations_.Get()), labels);
    truncations.Add(static_cast<double>(source->truncations_.Get()), labels);
    errors.Add(static_cast<double>(source->read_errors_.Get()), labels);
    overlong.Add(static_cast<double>(source->overlong_.Get()), labels);
    last_line.Add(source->last_line_seconds_.load(std::memory_order_relaxed), labels);
    for (std::size_t rule = 0; rule < matcher_.rules().size(); ++rule) {
      const LabelPairs rule_labels{{"source", name}, {"rule", matcher_.rules()[rule].name}};
      matches.Add(static_cast<double>(source->matches_[rule].Get()), rule_labels);
      last_hour.Add(static_cast<double>(source->MatchesInWindow(rule)), rule_labels);
    }
  }
  auto offenders = MetricFamilyBuilder::Gauge(
      "medic_log_top_offender_matches",
      "Matches per client address for the current top-K offenders of a rule (space-saving "
      "estimate).");
  {
    std::lock_guard lock(offenders_mutex_);
    for (std::size_t rule = 0; rule < offenders_.size(); ++rule) {
      if (!offenders_[rule]) continue;
      for (const auto& entry : offenders_[rule]->Top()) {
        offenders.Add(static_cast<double>(entry.count),
                      {{"rule", matcher_.rules()[rule].name}, {"ip", entry.key}});
      }
    }
  }
  std::vector<prometheus::MetricFamily> families;
  for (auto* family : {&lines, &matches, &last_hour, &bytes, &rotations, &truncations, &errors,
                       &last_line, &overlong, &offenders}) {
    std::move(*family).MoveInto(families);
  }
  return families;
}

nlohmann::json LogsCollector::OffendersJson() const {
  nlohmann::json rules = nlohmann::json::object();
  std::lock_guard lock(offenders_mutex_);
  for (std::size_t rule = 0; rule < offenders_.size(); ++rule) {
    if (!offenders_[rule]) continue;
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& entry : offenders_[rule]->Top()) {
      entries.push_back(
          {{"ip", entry.key}, {"matches", entry.count}, {"max_overcount", entry.error}});
    }
    rules[matcher_.rules()[rule].name] = std::move(entries);
  }
  return {{"top_k", settings_.top_k}, {"rules", std::move(rules)}};
}

}  // namespace medic
