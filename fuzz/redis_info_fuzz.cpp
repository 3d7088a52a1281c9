// Any bytes as the reply of Redis' INFO: ParseRedisInfo never throws or crashes, and what it
// reports is consistent with the text (every section it lists can be looked up field by field).
#include "medic/collectors/redis_info.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const medic::RedisInfo info = medic::ParseRedisInfo(text);
  for (const auto& [section, fields] : info.sections) {
    for (const auto& [field, value] : fields) {
      const auto found = info.Field(section, field);
      if (!found || *found != value) std::abort();
      (void)info.Number(section, field);
      // Only the first ':' separates, so a field name never contains one.
      if (field.empty() || field.find(':') != std::string::npos) std::abort();
    }
  }
  for (const auto& [database, keyspace] : info.keyspace) {
    if (!info.Field("keyspace", database)) std::abort();
    (void)keyspace;
  }
  (void)info.Number("memory", "used_memory");
  (void)info.Field("", "");
  return 0;
}
