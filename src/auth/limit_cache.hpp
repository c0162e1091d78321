#pragma once
// The sending-limit overrides of the account store, held in memory for the rate limiter: it
// asks on every MAIL and RCPT, on the I/O threads, where SQLite must not be touched.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "auth/account_store.hpp"
#include "base/result.hpp"
#include "policy/rate_limit.hpp"

namespace postern::auth {

/// policy::LimitOverrides answered from a snapshot of AccountStore::list_limits().
///
/// Use: construct over a store that outlives the cache; call refresh() once before serving
/// (until then find() knows no override) and then periodically from one background thread
/// (the server does every second, so `postern user limits` applies within about a second).
/// find() may be called from any thread at any time: it reads the snapshot under a mutex and
/// never blocks on the database. A refresh() that fails keeps the previous snapshot.
class LimitCache final : public policy::LimitOverrides {
 public:
  explicit LimitCache(const AccountStore& store);

  /// Accounts compare like the store's addresses (the local part without case in ASCII);
  /// credential names exactly.
  std::optional<policy::LimitOverride> find(std::string_view account, std::string_view credential) const override;

  /// Reloads the snapshot when the store's generation differs from the one it was taken at
  /// (every administrative change bumps it). Returns whether it reloaded.
  base::Result<bool> refresh();

  /// The generation of the snapshot; nullopt before the first successful refresh().
  std::optional<std::int64_t> generation() const;

 private:
  using Key = std::pair<std::string, std::string>;  // (lower-cased account, credential)

  const AccountStore& store_;
  mutable std::mutex mutex_;
  std::map<Key, policy::LimitOverride, std::less<>> overrides_;
  std::optional<std::int64_t> generation_;
};

}  // namespace postern::auth
