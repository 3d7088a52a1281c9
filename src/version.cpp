#include "medic/version.h"

namespace medic {

const char* const kRevision = MEDIC_REVISION;

}  // namespace medic
