#pragma once
// The account database schema and its migrations, versioned with `PRAGMA user_version`.

#include <cstdint>

#include "auth/sqlite.hpp"
#include "base/result.hpp"

namespace postern::auth {

/// The schema version this build writes and understands.
inline constexpr std::int64_t schema_version = 3;

/// Brings the database up to `target` (normally schema_version) inside one write transaction:
/// applies every migration after the stored `user_version`, in order, then stores the new
/// version. Refuses a database whose version is newer than this build (a downgrade would
/// misread it). A lower `target` builds the database an older postern wrote, for the tests of
/// later migrations: migrations are append-only, so it is the very same text.
base::Result<void> migrate(sqlite::Db& db, std::int64_t target = schema_version);

}  // namespace postern::auth
