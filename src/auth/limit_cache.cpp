#include "auth/limit_cache.hpp"

#include "base/strings.hpp"

namespace postern::auth {

LimitCache::LimitCache(const AccountStore& store) : store_(store) {}

std::optional<policy::LimitOverride> LimitCache::find(std::string_view account, std::string_view credential) const {
  // The lower-cased copy is made before the lock: find() runs on every MAIL and RCPT.
  Key key{base::to_lower(account), std::string(credential)};
  std::lock_guard lock(mutex_);
  auto it = overrides_.find(key);
  if (it == overrides_.end()) return std::nullopt;
  return it->second;
}

base::Result<bool> LimitCache::refresh() {
  // The generation first: a change committed between the two reads is then seen again (and
  // reloaded once more) at the next refresh, never missed.
  auto generation = store_.generation();
  if (!generation) return std::unexpected(generation.error());
  {
    std::lock_guard lock(mutex_);
    if (generation_ == *generation) return false;
  }
  auto entries = store_.list_limits();
  if (!entries) return std::unexpected(entries.error());
  std::map<Key, policy::LimitOverride, std::less<>> fresh;
  for (auto& e : *entries) fresh.insert_or_assign(Key{base::to_lower(e.account), std::move(e.credential)}, e.limits);
  std::lock_guard lock(mutex_);
  overrides_.swap(fresh);
  generation_ = *generation;
  return true;
}

std::optional<std::int64_t> LimitCache::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

}  // namespace postern::auth
