#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace medic::logs {

// Heavy hitters with bounded memory: the space-saving algorithm (Metwally et al. 2005).
// It keeps `capacity` counters; a new key evicts the smallest counter and inherits its count
// (recorded as `error`, the most the count may be overestimated by). Any key seen more than
// total/capacity times is guaranteed to be present. Memory and exported cardinality stay
// bounded whatever an attacker sends. Not thread-safe: callers lock.
class TopKCounter {
 public:
  struct Entry {
    std::string key;
    std::uint64_t count = 0;
    std::uint64_t error = 0;  // upper bound of the overestimate of count
  };

  // Reports the top `k`; tracks capacity = 4k counters internally for better accuracy.
  explicit TopKCounter(std::size_t k);

  void Add(std::string_view key, std::uint64_t increment = 1);
  // The current top k, highest count first (ties by key).
  std::vector<Entry> Top() const;
  std::size_t k() const { return k_; }
  std::size_t size() const { return entries_.size(); }

 private:
  std::size_t k_;
  std::size_t capacity_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // key → position in entries_
};

}  // namespace medic::logs
