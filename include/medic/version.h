#pragma once

namespace medic {

inline constexpr const char* kVersion = MEDIC_VERSION;
// Defined in src/version.cpp, the only file compiled with the git revision: a new commit
// rebuilds that one file instead of every file that includes this header.
extern const char* const kRevision;
inline constexpr const char* kCompiler = MEDIC_COMPILER;

}  // namespace medic
