#include "policy/sender.hpp"

#include <algorithm>
#include <string_view>

#include "base/strings.hpp"

namespace postern::policy {

namespace {

// The local part's content: a quoted-string loses its quotes and backslash escapes
// (RFC 5321 §4.1.2 quoted-pairSMTP), so `"alice"@x` and `alice@x` are one mailbox.
std::string unquoted(std::string_view local) {
  if (local.size() < 2 || local.front() != '"' || local.back() != '"') return std::string(local);
  std::string out;
  for (std::size_t i = 1; i + 1 < local.size(); ++i) {
    if (local[i] == '\\' && i + 2 < local.size()) ++i;
    out += local[i];
  }
  return out;
}

bool same_mailbox(const smtp::Mailbox& mailbox, std::string_view owned) {
  // The domain cannot hold an `@`; the local part can (quoted).
  auto at = owned.rfind('@');
  if (at == std::string_view::npos) return false;
  return base::iequals(mailbox.domain, owned.substr(at + 1)) &&
         base::iequals(mailbox.local, unquoted(owned.substr(0, at)));
}

}  // namespace

bool sender_owned(const smtp::Mailbox& mailbox, std::span<const std::string> owned) {
  return std::ranges::any_of(owned, [&](const std::string& address) { return same_mailbox(mailbox, address); });
}

}  // namespace postern::policy
