#pragma once

namespace medic::test {

// A loopback TCP listener that lets the kernel complete connections and then never reads or
// writes: a server that "accepts and never speaks", for proving client timeouts.
class BlackHoleListener {
 public:
  BlackHoleListener();
  ~BlackHoleListener();
  BlackHoleListener(const BlackHoleListener&) = delete;
  BlackHoleListener& operator=(const BlackHoleListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace medic::test
