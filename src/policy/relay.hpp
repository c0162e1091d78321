#pragma once
// The relay decision for one recipient: pure, no I/O (DESIGN §3.5).

#include <string>
#include <vector>

#include "policy/directory.hpp"
#include "smtp/address.hpp"

namespace postern::policy {

enum class RecipientVerdict {
  accept,             ///< 250 2.1.5
  unknown_user,       ///< 550 5.1.1: a local domain, no such mailbox
  relay_denied,       ///< 554 5.7.1
  temporary_failure,  ///< 451 4.3.0: the directory could not answer
};

/// What the session knows about the client when it asks.
struct ClientStanding {
  bool authenticated = false;    ///< an identity has proved itself (SMTP AUTH)
  bool trusted_network = false;  ///< the client address is in the listener's trusted_networks
};

/// Decides recipients against the local domains.
///
/// - A local domain recipient is accepted when the directory knows it (whoever the client is).
/// - Any other recipient needs an authenticated identity or a trusted network.
/// - Tricks never open a relay: at a local domain, a local part with `%`, `!` or `@` (even
///   quoted) is refused (relay_denied) whoever asks; an address literal as domain is never
///   local; a source route is ignored and only the final mailbox counts (RFC 5321 Appendix C).
///   `postmaster` without a domain is local (RFC 5321 §4.1.1.3).
class RelayPolicy {
 public:
  RelayPolicy(std::vector<std::string> local_domains, const Directory& directory);

  bool is_local_domain(std::string_view domain) const;
  /// The domain a bare `<postmaster>` belongs to (the first local domain; "" when there is none),
  /// so the envelope can name a full mailbox.
  std::string_view primary_domain() const;
  RecipientVerdict check_recipient(const smtp::Path& path, const ClientStanding& client) const;

 private:
  std::vector<std::string> local_domains_;  // lower-case
  const Directory& directory_;
};

}  // namespace postern::policy
