#pragma once

namespace medic {

inline constexpr const char* kVersion = MEDIC_VERSION;
inline constexpr const char* kRevision = MEDIC_REVISION;
inline constexpr const char* kCompiler = MEDIC_COMPILER;

}  // namespace medic
