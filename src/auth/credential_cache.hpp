#pragma once
// The verified-credential cache (DESIGN §4): a PLAIN/LOGIN that succeeded recently is not
// checked with argon2id again until the entry expires or an administrative change happens.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/authenticator.hpp"

namespace postern::auth {

/// What a cache hit needs to answer without the store: who logged in, and what may still
/// refuse them without an administrative change (time passing, the client's network).
struct CachedLogin {
  Identity identity;
  std::optional<std::chrono::system_clock::time_point> credential_expires;
  std::vector<std::string> allowed_networks;
};

/// A bounded, thread-safe map from an opaque key to a verified login.
///
/// The key is HMAC-SHA256(secret, login || 0x00 || password) with a random secret made per
/// process: it can be compared, but, unlike a plain hash, it gives an attacker who reads the
/// process memory nothing to run a dictionary against. An entry holds the store generation it
/// was verified at and is ignored (and dropped) once the store's generation differs, or once
/// its time-to-live has passed.
///
/// Use: key() for the login and password, then find() with the current time and generation;
/// after a successful full check, insert(). All calls may come from any thread.
class CredentialCache {
 public:
  /// `secret`: random bytes, at least 32. `ttl` must be positive. `max_entries` bounds memory;
  /// when full, stale entries go first, then arbitrary ones.
  CredentialCache(std::string secret, std::chrono::seconds ttl, std::size_t max_entries);
  ~CredentialCache();
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;

  std::string key(std::string_view login, std::string_view password) const;

  std::optional<CachedLogin> find(const std::string& key, std::chrono::system_clock::time_point now,
                                  std::int64_t generation);
  void insert(const std::string& key, CachedLogin login, std::chrono::system_clock::time_point now,
              std::int64_t generation);
  std::size_t size() const;

 private:
  struct Entry {
    CachedLogin login;
    std::chrono::system_clock::time_point expires_at;
    std::int64_t generation = 0;
  };
  void make_room(std::chrono::system_clock::time_point now, std::int64_t generation);

  std::string secret_;
  std::chrono::seconds ttl_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace postern::auth
