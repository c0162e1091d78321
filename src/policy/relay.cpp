#include "policy/relay.hpp"

#include <algorithm>
#include <utility>

#include "base/strings.hpp"

namespace postern::policy {

namespace {

// Old relay syntaxes hidden in a local part: `user%remote@local` (the "percent hack"),
// `remote!user@local` (UUCP bang path) and a quoted `"user@remote"@local`. A mail system behind
// us might still route on them, so at a local domain they are refused outright whoever asks;
// no local mailbox needs these characters (RFC 5321 §3.6.1, Appendix C).
bool has_routing_characters(std::string_view local) { return local.find_first_of("%!@") != std::string_view::npos; }

// An address literal (`user@[192.0.2.1]`) is never one of our domains, even when it names one of
// our own addresses: what the literal points at is for DNS and routing to decide, not for us.
bool is_address_literal(std::string_view domain) { return !domain.empty() && domain.front() == '['; }

constexpr std::string_view kPostmaster = "postmaster";

}  // namespace

RelayPolicy::RelayPolicy(std::vector<std::string> local_domains, const Directory& directory)
    : local_domains_(std::move(local_domains)), directory_(directory) {
  for (auto& d : local_domains_) d = base::to_lower(d);
}

bool RelayPolicy::is_local_domain(std::string_view domain) const {
  if (is_address_literal(domain)) return false;
  return std::ranges::any_of(local_domains_, [&](const std::string& d) { return base::iequals(d, domain); });
}

std::string_view RelayPolicy::primary_domain() const {
  return local_domains_.empty() ? std::string_view() : std::string_view(local_domains_.front());
}

RecipientVerdict RelayPolicy::check_recipient(const smtp::Path& path, const ClientStanding& client) const {
  std::string_view local;
  std::string domain;
  if (path.postmaster) {
    // RFC 5321 §4.1.1.3: `<postmaster>` without a domain is ours. It is looked up at the
    // primary (first) local domain, so mail to it goes where postmaster@primary goes.
    if (local_domains_.empty()) return RecipientVerdict::relay_denied;
    local = kPostmaster;
    domain = local_domains_.front();
  } else if (path.mailbox) {
    // RFC 5321 Appendix C: a source route is ignored; the parser already kept only the final
    // mailbox, which alone decides.
    local = path.mailbox->local;
    domain = base::to_lower(path.mailbox->domain);
  } else {
    return RecipientVerdict::relay_denied;  // the null path is never a recipient
  }

  if (is_local_domain(domain)) {
    if (has_routing_characters(local)) return RecipientVerdict::relay_denied;
    switch (directory_.find_mailbox(local, domain)) {
      case Lookup::found:
        return RecipientVerdict::accept;
      case Lookup::not_found:
        // RFC 5321 §4.5.1: every domain we accept mail for MUST accept "postmaster" (any case),
        // whether or not an operator has made it an account or alias yet.
        return base::iequals(local, kPostmaster) ? RecipientVerdict::accept : RecipientVerdict::unknown_user;
      case Lookup::temporary_failure:
        return RecipientVerdict::temporary_failure;
    }
    return RecipientVerdict::temporary_failure;
  }
  // DESIGN §3.5: anything not ours needs a proved identity or a trusted network.
  if (client.authenticated || client.trusted_network) return RecipientVerdict::accept;
  return RecipientVerdict::relay_denied;
}

}  // namespace postern::policy
