#include "medic/collectors/container_cache.h"

#include "medic/text_file.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <set>
#include <unordered_map>

namespace medic {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A call is not worth starting with less time than this left.
constexpr milliseconds kMinimumCallTime{50};

std::optional<milliseconds> Remaining(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  if (left < kMinimumCallTime) return std::nullopt;
  return left;
}

// The container's cgroup figures through its main process, as cAdvisor sees them.
void ReadCgroup(const ContainerSettings& settings, ContainerObservation& observation) {
  observation.cgroup.reset();
  observation.cgroup_path.clear();
  if (settings.cgroup_root.empty() || !observation.details || !observation.details->pid) return;
  const auto text =
      ReadTextFile(settings.proc_root + "/" + std::to_string(*observation.details->pid) + "/cgroup",
                   std::size_t{64} * 1024);
  if (!text) return;  // another pid namespace, or the process just exited
  const CgroupMembership membership = ParseProcCgroup(*text);
  observation.cgroup_path = membership.Path();
  observation.cgroup = ReadCgroupStats(membership, settings.cgroup_root, settings.sys_root);
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<UpTime> UpTimeFromStatus(std::string_view status) {
  constexpr std::string_view kUp = "Up ";
  if (status.substr(0, kUp.size()) != kUp) return std::nullopt;
  std::string_view age = status.substr(kUp.size());
  age = age.substr(0, age.find(" ("));  // "(healthy)", "(Paused)"
  if (age == "Less than a second") return UpTime{0, 1};
  if (age == "About a minute") return UpTime{60, 120};
  if (age == "About an hour") return UpTime{3600, 7200};
  // Go's units.HumanDuration: "<n> <unit>[s]", n rounded down.
  std::size_t count = 0;
  const auto [end, error] = std::from_chars(age.data(), age.data() + age.size(), count);
  if (error != std::errc() || end == age.data() + age.size() || *end != ' ') return std::nullopt;
  std::string_view unit(end + 1, static_cast<std::size_t>(age.data() + age.size() - end - 1));
  if (!unit.empty() && unit.back() == 's') unit.remove_suffix(1);
  constexpr double kDay = 86400;
  const std::pair<std::string_view, double> units[] = {
      {"second", 1},      {"minute", 60},       {"hour", 3600},      {"day", kDay},
      {"week", 7 * kDay}, {"month", 30 * kDay}, {"year", 365 * kDay}};
  for (const auto& [name, seconds] : units) {
    if (unit == name) {
      // Months and years are 30 and 365 days in Go's wording; a calendar one is a day longer.
      const double slack = seconds >= 30 * kDay ? seconds / 30 : 0;
      return UpTime{static_cast<double>(count) * seconds,
                    static_cast<double>(count + 1) * seconds + slack};
    }
  }
  return std::nullopt;
}

std::string StatusWithoutAge(std::string_view status) {
  std::string key(status.substr(0, status.find(' ')));
  for (auto open = status.find('('); open != std::string_view::npos;
       open = status.find('(', open + 1)) {
    const auto close = status.find(')', open);
    if (close == std::string_view::npos) break;
    key += ' ';
    key += status.substr(open, close - open + 1);
  }
  return key;
}

ContainerCache::ContainerCache(const ContainerSettings& settings,
                               std::shared_ptr<docker::DockerClient> client)
    : settings_(settings),
      client_(std::move(client)),
      refresher_([this](const std::stop_token& stop) { RefreshLoop(stop); }),
      disk_usage_refresher_([this](const std::stop_token& stop) { DiskUsageLoop(stop); }) {}

ContainerCache::~ContainerCache() {
  disk_usage_refresher_.request_stop();
  refresher_.request_stop();
  // system/df may take many seconds; shutting down should not wait for it.
  client_->Cancel();
}

std::shared_ptr<const ContainerSnapshot> ContainerCache::Latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

std::optional<docker::DiskUsage> ContainerCache::DiskUsage() const {
  std::lock_guard lock(mutex_);
  return disk_usage_;
}

std::shared_ptr<const ContainerSnapshot> ContainerCache::RefreshNow(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  // A refresh already under way may have listed before the caller's reason to ask: wait for
  // one that starts after this call. Before the first answer, the first refresh will do.
  std::uint64_t wanted = 1;
  if (latest_ || started_ == 0) {
    wanted = started_ + 1;
    wake_ = true;
    changed_.notify_all();
  }
  changed_.wait_until(lock, deadline, [&] { return finished_ >= wanted; });
  return latest_;
}

void ContainerCache::RefreshLoop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    std::shared_ptr<const ContainerSnapshot> previous;
    {
      std::lock_guard lock(mutex_);
      previous = latest_;
      ++started_;
      wake_ = false;
    }
    auto snapshot = Refresh(previous.get());
    std::unique_lock lock(mutex_);
    latest_ = std::move(snapshot);
    ++finished_;
    changed_.notify_all();
    changed_.wait_for(lock, stop, settings_.refresh_interval, [&] { return wake_; });
  }
}

void ContainerCache::DiskUsageLoop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    auto wait = settings_.disk_usage_interval;
    try {
      auto usage = client_->SystemDiskUsage(settings_.docker.timeout * 6);
      std::lock_guard lock(mutex_);
      disk_usage_ = usage;
    } catch (const docker::DockerError& error) {
      // Keep the last known figures and try again soon rather than a whole interval later.
      spdlog::debug("container collector: system/df failed: {}", error.what());
      wait = std::min<Duration>(wait, settings_.refresh_interval);
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, stop, wait, [] { return false; });
  }
}

std::shared_ptr<const ContainerSnapshot> ContainerCache::Refresh(
    const ContainerSnapshot* previous) {
  const Clock::time_point deadline = Clock::now() + settings_.docker.timeout;
  auto snapshot = std::make_shared<ContainerSnapshot>();

  docker::ListOptions list_options;
  for (const auto& [key, value] : settings_.labels) {
    std::string filter = key;
    filter.append("=").append(value);
    list_options.filters["label"].push_back(std::move(filter));
  }
  std::vector<docker::ContainerSummary> containers;
  try {
    containers = client_->List(list_options, settings_.docker.timeout);
  } catch (const docker::DockerError& error) {
    snapshot->error = error.what();
    // The engine may come back as another version, with its containers restarted.
    version_.reset();
    info_.reset();
    inspected_at_.clear();
    return snapshot;
  }
  snapshot->up = true;
  if (!version_) {
    if (auto left = Remaining(deadline)) {
      try {
        version_ = client_->Version(*left);
      } catch (const docker::DockerError& error) {
        spdlog::debug("container collector: version failed: {}", error.what());
      }
    }
  }
  if (!info_) {
    if (auto left = Remaining(deadline)) {
      try {
        info_ = client_->Info(*left);
      } catch (const docker::DockerError& error) {
        spdlog::debug("container collector: info failed: {}", error.what());
      }
    }
  }
  snapshot->version = version_;
  snapshot->info = info_;

  // Exact name matching (the engine's name filter is an unanchored regex).
  if (!settings_.names.empty()) {
    const std::set<std::string> wanted(settings_.names.begin(), settings_.names.end());
    std::erase_if(containers, [&](const docker::ContainerSummary& container) {
      return wanted.count(container.name) == 0;
    });
  }

  std::unordered_map<std::string, const ContainerObservation*> before;
  if (previous != nullptr) {
    for (const ContainerObservation& observation : previous->containers) {
      before.emplace(observation.summary.id, &observation);
    }
  }
  const Clock::time_point now = Clock::now();
  std::vector<ContainerObservation> observations(containers.size());
  std::vector<bool> inspect(containers.size(), true);
  for (std::size_t i = 0; i < containers.size(); ++i) {
    ContainerObservation& observation = observations[i];
    observation.summary = std::move(containers[i]);
    const auto old = before.find(observation.summary.id);
    if (old == before.end()) continue;
    // Carried over so a failed call below leaves the last known figures, not a gap.
    observation.details = old->second->details;
    observation.stats = old->second->stats;
    observation.cgroup = old->second->cgroup;
    observation.cgroup_path = old->second->cgroup_path;
    observation.seen_at = old->second->seen_at;
    const auto inspected = inspected_at_.find(observation.summary.id);
    // Restarted between two refreshes: up for less time now than it had been then plus the
    // time since (a second of slack for the two lists' own latency).
    const auto up_now = UpTimeFromStatus(observation.summary.status);
    const auto up_then = UpTimeFromStatus(old->second->summary.status);
    const double since = old->second->seen_at > 0 ? UnixNow() - old->second->seen_at : 0;
    const bool restarted = up_now && up_then && up_now->less_than + 1 < up_then->at_least + since;
    inspect[i] = !observation.details || inspected == inspected_at_.end() || restarted ||
                 now - inspected->second >= kInspectMaxAge ||
                 old->second->summary.state != observation.summary.state ||
                 StatusWithoutAge(old->second->summary.status) !=
                     StatusWithoutAge(observation.summary.status);
  }

  std::atomic<std::size_t> next{0};
  std::vector<std::optional<Clock::time_point>> inspected_now(observations.size());
  auto work = [&] {
    for (std::size_t i = next++; i < observations.size(); i = next++) {
      ContainerObservation& observation = observations[i];
      try {
        if (inspect[i]) {
          auto left = Remaining(deadline);
          if (!left) continue;
          observation.details = client_->Inspect(observation.summary.id, *left);
          observation.seen_at = UnixNow();
          inspected_now[i] = Clock::now();
        }
        const bool running = observation.details ? observation.details->running
                                                 : observation.summary.state == "running";
        if (!running) {
          observation.stats.reset();
          observation.cgroup.reset();
          continue;
        }
        auto left = Remaining(deadline);
        if (!left) continue;
        observation.stats = client_->Stats(observation.summary.id, *left);
        ReadCgroup(settings_, observation);
        observation.seen_at = UnixNow();
      } catch (const docker::DockerError& error) {
        // Removed mid-refresh, or slow: this container keeps its previous figures.
        spdlog::debug("container collector: {}: {}", observation.summary.name, error.what());
      }
    }
  };
  const std::size_t worker_count =
      std::min(observations.size(), std::max<std::size_t>(1, settings_.max_parallel_stats));
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 1; i < worker_count; ++i) workers.emplace_back(work);
    if (worker_count > 0) work();
  }

  std::map<std::string, Clock::time_point> inspected_at;
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const std::string& id = observations[i].summary.id;
    if (inspected_now[i]) {
      inspected_at[id] = *inspected_now[i];
    } else if (auto found = inspected_at_.find(id); found != inspected_at_.end()) {
      inspected_at.insert(*found);
    }
  }
  inspected_at_ = std::move(inspected_at);  // forgets removed containers
  snapshot->containers = std::move(observations);
  return snapshot;
}

}  // namespace medic
