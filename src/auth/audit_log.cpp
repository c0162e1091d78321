// AccountStore: reading the audit trail that every administrative change writes (see
// AccountStore::audit), for `postern audit`.

#include <cstdint>
#include <limits>

#include "auth/account_store.hpp"
#include "auth/store_detail.hpp"

namespace postern::auth {

base::Result<std::vector<AuditEntry>> AccountStore::audit_log(std::size_t limit,
                                                              std::optional<std::string> subject) const {
  std::optional<std::string> key;
  if (subject) {
    auto normal = normalize_address(*subject);
    if (!normal) return std::unexpected(normal.error());
    key = std::move(*normal);
  }
  std::string error;
  Reader* r = reader(error);
  if (r == nullptr) return base::fail(error);
  // NOCASE folds ASCII only, which is how the store compares local parts. An alias is its own
  // subject; "account <address>" is the detail alias.add writes, so an account's trail shows
  // the aliases added to it. The id breaks ties between changes within the same second.
  auto stmt = sqlite::Stmt::prepare(
      r->db,
      "SELECT time, actor, action, subject, detail FROM audit "
      "WHERE ?1 IS NULL OR subject COLLATE NOCASE = ?1 "
      "OR (action = 'alias.add' AND detail COLLATE NOCASE = 'account ' || ?1) "
      "ORDER BY time DESC, id DESC LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  sqlite::Stmt::Scope scope(*stmt);
  if (key) {
    stmt->bind_text(1, *key);
  } else {
    stmt->bind_null(1);
  }
  constexpr auto most = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  stmt->bind_int64(2, static_cast<std::int64_t>(limit < most ? limit : most));
  std::vector<AuditEntry> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(AuditEntry{
        .time = detail::from_seconds(stmt->column_int64(0)),
        .actor = std::string(stmt->column_text(1)),
        .action = std::string(stmt->column_text(2)),
        .subject = std::string(stmt->column_text(3)),
        .detail = std::string(stmt->column_text(4)),
    });
  }
  return out;
}

}  // namespace postern::auth
