#include "auth/credential_cache.hpp"

#include <utility>

#include "sasl/crypto.hpp"

namespace postern::auth {

CredentialCache::CredentialCache(std::string secret, std::chrono::seconds ttl, std::size_t max_entries)
    : secret_(std::move(secret)), ttl_(ttl), max_entries_(max_entries == 0 ? 1 : max_entries) {}

CredentialCache::~CredentialCache() { sasl::crypto::wipe(secret_); }

std::string CredentialCache::key(std::string_view login, std::string_view password) const {
  // The NUL keeps ("a", "b:c") and ("a:b", "c") apart; login names never contain one.
  std::string message(login);
  message += '\0';
  message += password;
  std::string mac = sasl::crypto::hmac(sasl::ScramHash::sha256, secret_, message);
  sasl::crypto::wipe(message);
  return mac;
}

std::optional<CachedLogin> CredentialCache::find(const std::string& key, std::chrono::system_clock::time_point now,
                                                 std::int64_t generation) {
  if (key.empty()) return std::nullopt;  // hmac failed: never match
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.generation != generation || it->second.expires_at <= now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.login;
}

void CredentialCache::insert(const std::string& key, CachedLogin login, std::chrono::system_clock::time_point now,
                             std::int64_t generation) {
  if (key.empty()) return;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && !entries_.contains(key)) make_room(now, generation);
  entries_[key] = Entry{std::move(login), now + ttl_, generation};
}

void CredentialCache::make_room(std::chrono::system_clock::time_point now, std::int64_t generation) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.generation != generation || kv.second.expires_at <= now;
  });
  while (entries_.size() >= max_entries_) entries_.erase(entries_.begin());
}

std::size_t CredentialCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace postern::auth
