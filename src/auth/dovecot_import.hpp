#pragma once
// Reading a Dovecot passwd-file (`user:password:uid:gid:(gecos):home:(shell):extra_fields`,
// https://doc.dovecot.org/configuration_manual/authentication/passwd_file/) for import. Only
// the user and password fields matter here; the rest belongs to Dovecot's userdb.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace postern::auth {

/// One entry: the login name as written and the password field (`{SCHEME}hash`, or a bare
/// crypt(3) string, Dovecot's default scheme).
struct PasswdEntry {
  std::string user;
  std::string password;
};

/// Parses one line (without its line ending; a trailing CR is ignored). nullopt for what
/// Dovecot ignores too: empty lines and lines starting with `#`. An error names what is wrong
/// (no password field, empty user, empty password) and is reported as a skipped entry.
base::Result<std::optional<PasswdEntry>> parse_passwd_line(std::string_view line);

}  // namespace postern::auth
