#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  // medic's main configures logging before it starts a thread; tests must too. spdlog's registry
  // is a function-local static inside the uninstrumented libspdlog, so when a collector thread
  // builds it first, TSan cannot see the guard and reports the main thread's first log call as
  // a race (it did, from the container cache's first warning).
  spdlog::default_logger();
  doctest::Context context(argc, argv);
  return context.run();
}
