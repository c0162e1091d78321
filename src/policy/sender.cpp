#include "policy/sender.hpp"

#include <algorithm>
#include <string_view>

#include "base/strings.hpp"

namespace postern::policy {

namespace {

constexpr std::string_view null_sender_grant = "<>";

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

bool granted(const smtp::Mailbox& mailbox, std::string_view owned) {
  // The domain cannot hold an `@`; the local part can (quoted).
  auto at = owned.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string_view domain = owned.substr(at + 1);
  // An entry without a domain grants nothing, whatever the mailbox.
  if (domain.empty() || !base::iequals(mailbox.domain, domain)) return false;
  // "@domain": the whole domain.
  if (at == 0) return true;
  return base::iequals(mailbox.local, unquoted(owned.substr(0, at)));
}

}  // namespace

bool sender_owned(const smtp::Mailbox& mailbox, std::span<const std::string> owned) {
  return std::ranges::any_of(owned, [&](const std::string& address) { return granted(mailbox, address); });
}

bool null_sender_allowed(std::span<const std::string> owned) {
  return std::ranges::any_of(owned, [](const std::string& entry) { return entry == null_sender_grant; });
}

}  // namespace postern::policy
