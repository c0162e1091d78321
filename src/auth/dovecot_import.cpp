#include "auth/dovecot_import.hpp"

namespace postern::auth {

base::Result<std::optional<PasswdEntry>> parse_passwd_line(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return std::nullopt;
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return base::fail("no password field");
  std::string_view user = line.substr(0, colon);
  std::string_view rest = line.substr(colon + 1);
  // The password field ends at the next colon; uid, gid, home and extra fields are not ours.
  std::string_view password = rest.substr(0, rest.find(':'));
  if (user.empty()) return base::fail("empty user name");
  if (password.empty()) return base::fail("empty password field (the account could never log in)");
  return PasswdEntry{std::string(user), std::string(password)};
}

}  // namespace postern::auth
