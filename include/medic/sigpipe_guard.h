#pragma once

#include <signal.h>

namespace medic {

// Blocks SIGPIPE on the calling thread for its lifetime, so a write to a peer that has gone
// away (OpenSSL and hiredis use plain write()) fails with EPIPE instead of killing the process.
// On destruction it swallows a SIGPIPE raised meanwhile and restores the previous mask.
class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t previous_{};
  bool was_pending_ = false;
};

}  // namespace medic
