#pragma once
// SMTP AUTH login names: `ADDRESS` (the account password, or with PLAIN/LOGIN any active app
// password) or `ADDRESS/NAME` (exactly the credential NAME; `ADDRESS/password` is the account
// password).

#include <optional>
#include <string>
#include <string_view>

namespace postern::auth {

struct LoginName {
  std::string address;                    ///< normalised as the store keys it
  std::optional<std::string> credential;  ///< the `/NAME` part, when present

  /// `address` or `address/NAME`: the canonical text, e.g. for the credential cache.
  std::string text() const { return credential ? address + "/" + *credential : address; }
};

/// Splits at a `/` after the last `@` (a domain never contains `/`, a local part may), so
/// `a/b@example.test` is an address while `a@example.test/phone` names a credential. nullopt
/// when the address part is not `local@domain` or the name is not a possible credential name.
std::optional<LoginName> parse_login(std::string_view login);

}  // namespace postern::auth
