#include "auth/login_name.hpp"

#include "auth/account_store.hpp"

namespace postern::auth {

std::optional<LoginName> parse_login(std::string_view login) {
  auto at = login.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto slash = login.find('/', at);
  std::string_view address = login.substr(0, slash);
  auto key = normalize_address(address);
  if (!key) return std::nullopt;
  LoginName out{std::move(*key), std::nullopt};
  if (slash != std::string_view::npos) {
    std::string_view name = login.substr(slash + 1);
    if (name != password_credential && !valid_credential_name(name)) return std::nullopt;
    out.credential = std::string(name);
  }
  return out;
}

}  // namespace postern::auth
