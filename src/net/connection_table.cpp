#include "medic/net/connection_table.h"

#include <algorithm>
#include <utility>

namespace medic::net {

ConnectionTable::ConnectionTable(std::size_t max_connections, std::size_t max_per_peer)
    : max_connections_(max_connections), max_per_peer_(max_per_peer) {}

void ConnectionTable::EvictFront(Queue& queue) {
  Evictable* victim = queue.front();
  evicted_.fetch_add(1, std::memory_order_relaxed);
  victim->Evict();  // removes itself, and so its queue entries
}

bool ConnectionTable::MakeRoom(const std::string& peer) {
  if (const auto found = peers_.find(peer); found != peers_.end()) {
    while (found->second.open >= max_per_peer_) {
      if (found->second.waiting.empty()) return false;
      EvictFront(found->second.waiting);
    }
  }
  while (slots_.size() >= max_connections_) {
    if (waiting_.empty()) return false;
    EvictFront(waiting_);
  }
  return true;
}

void ConnectionTable::Add(Evictable* connection, const std::string& peer) {
  Slot slot;
  slot.peer = peers_.try_emplace(peer).first;
  ++slot.peer->second.open;
  slots_.emplace(connection, slot);
  open_.store(slots_.size(), std::memory_order_relaxed);
  high_water_ = std::max(high_water_, slots_.size());
}

std::size_t ConnectionTable::TakeHighWater() { return std::exchange(high_water_, slots_.size()); }

void ConnectionTable::StopWaiting(Slot& slot) {
  if (!slot.waiting) return;
  waiting_.erase(slot.in_all);
  slot.peer->second.waiting.erase(slot.in_peer);
  slot.waiting = false;
}

bool ConnectionTable::StartRequest(Evictable* connection, std::size_t max_per_peer) {
  const auto found = slots_.find(connection);
  if (found == slots_.end()) return false;
  Slot& slot = found->second;
  if (slot.requesting) return true;
  if (slot.peer->second.requests >= max_per_peer) return false;
  ++slot.peer->second.requests;
  slot.requesting = true;
  return true;
}

void ConnectionTable::EndRequest(Evictable* connection) {
  const auto found = slots_.find(connection);
  if (found == slots_.end() || !found->second.requesting) return;
  --found->second.peer->second.requests;
  found->second.requesting = false;
}

void ConnectionTable::Remove(Evictable* connection) {
  EndRequest(connection);
  const auto found = slots_.find(connection);
  if (found == slots_.end()) return;
  Slot& slot = found->second;
  StopWaiting(slot);
  if (--slot.peer->second.open == 0) peers_.erase(slot.peer);
  slots_.erase(found);
  open_.store(slots_.size(), std::memory_order_relaxed);
}

void ConnectionTable::MarkWaiting(Evictable* connection) {
  const auto found = slots_.find(connection);
  if (found == slots_.end() || found->second.waiting) return;
  Slot& slot = found->second;
  slot.in_all = waiting_.insert(waiting_.end(), connection);
  slot.in_peer = slot.peer->second.waiting.insert(slot.peer->second.waiting.end(), connection);
  slot.waiting = true;
}

void ConnectionTable::MarkBusy(Evictable* connection) {
  const auto found = slots_.find(connection);
  if (found != slots_.end()) StopWaiting(found->second);
}

bool ConnectionTable::EvictOldestWaiting() {
  if (waiting_.empty()) return false;
  EvictFront(waiting_);
  return true;
}

void ConnectionTable::EvictWaiting() {
  while (!waiting_.empty()) waiting_.front()->Evict();
}

std::string PeerKey(const boost::asio::ip::address& address) {
  if (address.is_v4()) return address.to_v4().to_string();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace medic::net
