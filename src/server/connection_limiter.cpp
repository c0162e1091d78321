#include "server/connection_limiter.hpp"

namespace postern::server {

ConnectionLimiter::Verdict ConnectionLimiter::try_acquire(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (total_ >= max_total_) return Verdict::too_many_total;
  auto& n = per_address_[address];
  if (n >= max_per_address_) {
    if (n == 0) per_address_.erase(address);
    return Verdict::too_many_from_address;
  }
  ++n;
  ++total_;
  return Verdict::ok;
}

void ConnectionLimiter::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  --total_;
}

std::size_t ConnectionLimiter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace postern::server
