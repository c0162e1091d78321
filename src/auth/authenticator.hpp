#pragma once
// The contract between the SMTP driver and everything that checks credentials: the SASL
// mechanisms (src/sasl) ask, an Authenticator answers, off the I/O threads.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl/mechanism.hpp"

namespace postern::auth {

/// Who proved themselves, as the store resolved it. Travels with the message (DESIGN §3.6).
struct Identity {
  std::string account;     ///< the account's canonical address
  std::string credential;  ///< "password" for the account password, else the app password's name
  /// Senders this credential is limited to ("local@domain", "@domain", "<>"); empty means no
  /// limit beyond the account's own addresses and grants.
  std::vector<std::string> allowed_senders;
  /// The envelope senders this identity may use (DESIGN §3.6), each one of:
  ///   "local@domain"  that address (the account's own, an alias, or an address granted to it);
  ///   "@domain"       every address in the domain (a domain grant, `postern user sender add`);
  ///   "<>"            the null reverse-path (granted, e.g. to a service that sends bounces).
  /// Unrestricted, it is the account's address first, then its aliases, then its grants. When
  /// the credential is limited (allowed_senders not empty) only what both allow remains: an
  /// own or granted address that allowed_senders names or covers with "@domain"; an allowed
  /// address that a domain grant covers (the allowed address, not the domain, is kept); a
  /// domain both name; "<>" only when both name it. Domains are lower-case; local parts
  /// compare case-insensitively in ASCII. Empty: the identity may send from no address.
  std::vector<std::string> sender_addresses;
};

/// What a credential may be limited by.
struct ClientFacts {
  std::string address;  ///< textual client IP
  bool tls = false;
};

/// The answer to one sasl::Request, plus what the log and the session need.
struct Resolution {
  sasl::Answer answer;  ///< the alternative matching the request
  /// The identity the answer speaks for: set when the verdict is ok (and, for SCRAM/CRAM, when
  /// a real verifier was returned: the mechanism only decides at the proof).
  std::optional<Identity> identity;
  /// For the log, never shown to the client: "wrong password", "unknown account", "revoked",
  /// "expired", "network not allowed", "account disabled", "store unavailable", ...
  std::string reason;
  /// For the log, never shown to the client: the existing account a refused login named (e.g.
  /// with a wrong password), so the event says whose password was guessed; empty otherwise.
  std::string account;
};

/// Answers SASL requests from the credential store (and, for bearer tokens, the token
/// validator). Thread-safe. Calls may block (argon2id, SQLite): the driver runs them on a
/// small worker pool, never on an I/O thread (DESIGN §4).
class Authenticator {
 public:
  virtual ~Authenticator() = default;

  virtual Resolution resolve(const sasl::Request& request, const ClientFacts& client) = 0;

  /// A mechanism succeeded for `identity`: records the credential's last use (may be batched).
  virtual void record_success(const Identity& identity, std::chrono::system_clock::time_point now) = 0;
};

/// The outcome of checking a bearer token (a JWT).
struct TokenResult {
  enum class Kind { ok, invalid, temporary_failure } kind = Kind::invalid;
  std::string subject;  ///< with ok: the account address the configured claim maps to
  std::string status = "invalid_token";  ///< RFC 6750 §3.1 error code for the client
  std::string reason;   ///< for the log: "expired", "bad signature", "wrong audience", ...
};

/// Checks bearer tokens for OAUTHBEARER and XOAUTH2. Thread-safe.
class TokenValidator {
 public:
  virtual ~TokenValidator() = default;
  virtual TokenResult validate(std::string_view token, std::chrono::system_clock::time_point now) const = 0;
};

}  // namespace postern::auth
