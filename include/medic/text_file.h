#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace medic {

// The whole of a small text file (procfs, sysfs, cgroupfs), at most `max_bytes` of it;
// nullopt when it cannot be opened. procfs files report size 0, so this reads until EOF rather
// than trusting stat().
std::optional<std::string> ReadTextFile(const std::string& path,
                                        std::size_t max_bytes = std::size_t{1} << 20);

}  // namespace medic
