#pragma once

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

namespace medic::net {

// A connection the table may close to make room.
class Evictable {
 public:
  // Closes the connection now and removes it from the table before returning.
  virtual void Evict() = 0;

 protected:
  ~Evictable() = default;
};

// The server's open connections, in all and per peer, with those waiting for a request (new,
// idle keep-alive, or still sending one) in the order they started waiting. A connection being
// answered is never evicted. Used from the I/O thread only; the counts may be read anywhere.
class ConnectionTable {
 public:
  ConnectionTable(std::size_t max_connections, std::size_t max_per_peer);

  // Makes room for one more connection from `peer`: evicts that peer's longest-waiting
  // connection while it is at its cap, then the longest-waiting of all while the server is.
  // False when no waiting connection is left to evict (the new one is to be refused).
  bool MakeRoom(const std::string& peer);
  void Add(Evictable* connection, const std::string& peer);
  void Remove(Evictable* connection);
  // Waiting connections may be evicted, longest-waiting first; busy ones may not.
  void MarkWaiting(Evictable* connection);
  void MarkBusy(Evictable* connection);
  // A request of `connection` goes to a handler: false (and nothing counted) when its peer
  // already has `max_per_peer` requests with handlers, so one client cannot take every worker.
  bool StartRequest(Evictable* connection, std::size_t max_per_peer);
  void EndRequest(Evictable* connection);
  // Evicts the longest-waiting connection; false when none waits (out of descriptors).
  bool EvictOldestWaiting();
  // Evicts every waiting connection (shutdown).
  void EvictWaiting();

  std::size_t open() const { return open_.load(std::memory_order_relaxed); }
  // The most connections open at once since the last call (then restarted from now).
  std::size_t TakeHighWater();
  std::size_t evicted() const { return evicted_.load(std::memory_order_relaxed); }

 private:
  using Queue = std::list<Evictable*>;
  struct Peer {
    std::size_t open = 0;
    std::size_t requests = 0;  // with a handler now
    Queue waiting;
  };
  struct Slot {
    std::unordered_map<std::string, Peer>::iterator peer;
    bool waiting = false;
    bool requesting = false;
    Queue::iterator in_all;
    Queue::iterator in_peer;
  };
  void StopWaiting(Slot& slot);
  void EvictFront(Queue& queue);

  const std::size_t max_connections_;
  const std::size_t max_per_peer_;
  std::unordered_map<std::string, Peer> peers_;
  std::unordered_map<Evictable*, Slot> slots_;
  Queue waiting_;
  std::atomic<std::size_t> open_{0};
  std::size_t high_water_ = 0;
  std::atomic<std::size_t> evicted_{0};
};

// What counts as one peer: an IPv4 address, or an IPv6 /64 (one host's usual allocation, so an
// attacker cannot take a fresh address per connection). IPv4-mapped IPv6 counts as IPv4.
std::string PeerKey(const boost::asio::ip::address& address);

}  // namespace medic::net
