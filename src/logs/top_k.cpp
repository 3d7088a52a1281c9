#include "medic/logs/top_k.h"

#include <algorithm>

namespace medic::logs {

TopKCounter::TopKCounter(std::size_t k) : k_(std::max<std::size_t>(k, 1)), capacity_(k_ * 4) {
  entries_.reserve(capacity_);
  index_.reserve(capacity_);
}

void TopKCounter::Add(std::string_view key, std::uint64_t increment) {
  // Bound the key too: an "ip" capture is short, anything longer is cut.
  if (key.size() > 128) key = key.substr(0, 128);
  const std::string owned(key);
  if (auto found = index_.find(owned); found != index_.end()) {
    entries_[found->second].count += increment;
    return;
  }
  if (entries_.size() < capacity_) {
    index_.emplace(owned, entries_.size());
    entries_.push_back(Entry{owned, increment, 0});
    return;
  }
  // Evict the minimum (capacity is small: a linear scan is cheaper than a heap here).
  auto minimum = std::min_element(entries_.begin(), entries_.end(),
                                  [](const Entry& a, const Entry& b) { return a.count < b.count; });
  const std::size_t position = static_cast<std::size_t>(minimum - entries_.begin());
  index_.erase(minimum->key);
  const std::uint64_t inherited = minimum->count;
  *minimum = Entry{owned, inherited + increment, inherited};
  index_.emplace(owned, position);
}

std::vector<TopKCounter::Entry> TopKCounter::Top() const {
  std::vector<Entry> sorted = entries_;
  std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
  if (sorted.size() > k_) sorted.resize(k_);
  return sorted;
}

}  // namespace medic::logs
