#pragma once

#include <cstddef>

namespace medic::net {

// Raises this process's open-files soft limit to its hard limit (each connection is a
// descriptor; the common soft default of 1024 would cap connections far below what the
// server is configured for). Returns the soft limit now in force.
std::size_t RaiseOpenFilesLimit();

}  // namespace medic::net
