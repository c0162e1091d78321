#pragma once
// Server-side SASL (RFC 4422) as step machines (DESIGN §2, STYLE §5): decoded client bytes in,
// one Step out. A mechanism never does I/O and never sees a stored password: when it needs the
// credential store or a token validator it returns a Request, and the caller feeds the Answer
// back. Base64 framing (`334 ...`, "=" for an empty initial response, "*" to cancel) belongs
// to the SMTP session (RFC 4954 §4), not here.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace postern::sasl {

/// Bytes for the client: the session sends `334 base64(data)` (an empty `data` is a bare
/// `334 `), reads one line, decodes it and passes it to Mechanism::next().
struct Challenge {
  std::string data;
};

// ---- Requests: what a mechanism asks of the world outside -------------------------------------

/// PLAIN and LOGIN: check a clear-text password (argon2id, off the I/O threads).
/// `authzid` is empty when the client asks to act as itself. Holds a secret: never log it.
struct VerifyPassword {
  std::string authcid;
  std::string authzid;
  std::string password;
};

/// CRAM-MD5: the account's CramSecret (see cram_md5.hpp). CRAM-MD5 has no authzid.
struct NeedCramSecret {
  std::string authcid;
};

enum class ScramHash { sha1, sha256 };

/// SCRAM-*: the account's verifier for `hash`, and whether `authcid` may act as `authzid`.
struct NeedScramVerifier {
  ScramHash hash = ScramHash::sha256;
  std::string authcid;
  std::string authzid;
};

/// OAUTHBEARER and XOAUTH2: validate a bearer token (RFC 6750), e.g. a JWT. `authzid` is the
/// user the client names (OAUTHBEARER's gs2 `a=`, XOAUTH2's `user=`), possibly empty. `host`
/// and `port` are OAUTHBEARER's optional key/value pairs (RFC 7628 §3.1), for the log only.
/// `token` is a secret: never log it.
struct VerifyToken {
  std::string authzid;
  std::string token;
  std::string host;
  std::string port;
};

/// The TLS client certificate of a connection, as the TLS layer read it after the handshake.
/// Facts about the connection, never something the client says in the SASL exchange.
struct ClientCertificate {
  /// The address the certificate names: the first rfc822Name of subjectAltName, else the
  /// subject's emailAddress; "" when it names none.
  std::string subject_email;
  std::string subject_cn;          ///< the subject's commonName, for the log
  std::string fingerprint_sha256;  ///< lower-case hex of SHA-256 over the DER, for the log
  bool verified = false;           ///< chains to the configured client CA (`[auth] client_ca`)
  bool operator==(const ClientCertificate&) const = default;
};

/// EXTERNAL (RFC 4422 Appendix A): map the connection's client certificate to an account and
/// check that it may act as `authzid` (empty: as the certificate's own identity). The mechanism
/// sets `authzid` only; the session attaches `certificate` from its TLS facts before the
/// request leaves it (nullopt: the connection has none, which can only be refused).
struct VerifyCertificate {
  std::string authzid;
  std::optional<ClientCertificate> certificate;
};

/// One request. The answer to alternative i is alternative i of Answer.
using Request = std::variant<VerifyPassword, NeedCramSecret, NeedScramVerifier, VerifyToken, VerifyCertificate>;

// ---- Answers: what the caller feeds back with Mechanism::resume() ----------------------------

/// The outcome of a credential check. A store or validator that cannot answer says
/// temporary_failure (`454 4.7.0`), never bad_credentials (STYLE §6).
enum class Verdict {
  ok,
  bad_credentials,        ///< unknown account, wrong password, no such credential, invalid token
  authzid_not_permitted,  ///< the credential is fine but may not act as the requested authzid
  temporary_failure,
};

struct PasswordAnswer {
  Verdict verdict = Verdict::temporary_failure;
};

/// The HMAC-MD5 key schedule of a password: the MD5 chaining values (A, B, C, D as 32-bit
/// little-endian words, i.e. the bytes an MD5 digest would have) after the single block
/// key^ipad (`inner`) and key^opad (`outer`) of RFC 2104. It lets the server answer CRAM-MD5
/// without the clear-text password; it is still a password equivalent, so store it as a secret.
/// Dovecot's `{CRAM-MD5}` scheme stores the same 32 bytes as hex, outer first.
struct CramSecret {
  std::array<std::uint8_t, 16> inner{};
  std::array<std::uint8_t, 16> outer{};
};

/// With Verdict::ok, `secret` is the account's; any other verdict fails the exchange.
struct CramSecretAnswer {
  Verdict verdict = Verdict::temporary_failure;
  CramSecret secret;
};

/// What the store keeps for SCRAM (RFC 5802 §3): raw bytes, not base64.
struct ScramVerifier {
  std::string salt;
  std::uint32_t iterations = 0;
  std::string stored_key;  ///< H(ClientKey); digest size of the hash
  std::string server_key;  ///< HMAC(SaltedPassword, "Server Key")
};

/// ok or authzid_not_permitted carry the account's verifier (authorisation is refused only after
/// the proof, so the answer does not reveal which check failed); bad_credentials means "no such
/// account or no verifier", and the exchange goes on with a fake one (RFC 5802 §5.1, DESIGN §3.7).
struct ScramVerifierAnswer {
  Verdict verdict = Verdict::temporary_failure;
  ScramVerifier verifier;
};

/// The JSON error a token mechanism sends when the token is refused (RFC 7628 §3.2.2).
/// `status` is an RFC 6750 §3.1 error code ("invalid_token", "insufficient_scope",
/// "invalid_request"); empty fields are left out.
struct TokenError {
  std::string status = "invalid_token";
  std::string schemes;
  std::string scope;
  std::string openid_configuration;
};

/// With Verdict::ok, `identity` is the account the token proves (it becomes Success::authcid).
/// bad_credentials and authzid_not_permitted send `error` to the client before failing.
struct TokenAnswer {
  Verdict verdict = Verdict::temporary_failure;
  std::string identity;
  TokenError error;
};

/// With Verdict::ok, `identity` is the account the certificate maps to (it becomes
/// Success::authcid); any other verdict fails the exchange.
struct CertificateAnswer {
  Verdict verdict = Verdict::temporary_failure;
  std::string identity;
};

using Answer =
    std::variant<PasswordAnswer, CramSecretAnswer, ScramVerifierAnswer, TokenAnswer, CertificateAnswer>;

// ---- Outcomes ---------------------------------------------------------------------------------

/// The client proved `authcid` and may act as `authzid` (empty: as itself). `authcid` is the
/// name as the client sent it (for token mechanisms, the validator's TokenAnswer::identity;
/// for EXTERNAL, CertificateAnswer::identity);
/// the canonical account and the credential that matched (which app password) are what the
/// store reported with its answer, which the session fed in and keeps.
/// `server_final` is data the mechanism must deliver on success (SCRAM's server-final-message
/// "v=..."). SMTP has no success-with-data (RFC 4954 §4), so the session sends it as
/// `334 base64(server_final)`, expects an empty line, and only then says `235 2.7.0`.
struct Success {
  std::string authcid;
  std::string authzid;
  std::optional<std::string> server_final;
};

/// Why an exchange failed. The SMTP reply the session should give is noted on each value.
enum class FailureReason {
  malformed,                 ///< client broke the mechanism's syntax: 501 5.5.2
  bad_credentials,           ///< 535 5.7.8
  authzid_not_permitted,     ///< 535 5.7.8, logged apart from a wrong password
  temporary_failure,         ///< store/validator down, corrupt stored credential: 454 4.7.0
  channel_binding_mismatch,  ///< SCRAM-PLUS c= differs from this TLS channel: 535 5.7.8
  downgrade,                 ///< SCRAM gs2 "y" while we offered -PLUS (RFC 5802 §6): 535 5.7.8
  unsupported,               ///< unknown channel binding type, mandatory extension: 535 5.7.8
  cancelled,                 ///< client sent "*" (RFC 4954 §4): 501 5.0.0
  internal,                  ///< the caller broke the call order: 454 4.7.0
};

/// `detail` is for the log: it never contains a password, token or proof.
struct Failure {
  FailureReason reason = FailureReason::internal;
  std::string detail;
};

/// What a mechanism says after each call.
using Step = std::variant<Challenge, Request, Success, Failure>;

std::string_view to_string(FailureReason reason);

/// One line for the log with no secret in it (DESIGN §3.9): the step's kind, identities and
/// reasons; challenge payloads only by size; passwords and tokens never.
std::string describe(const Step& step);

/// One server-side SASL exchange for one AUTH command.
///
/// Order of calls: start() once, with the decoded initial response (nullopt when the client
/// sent none; "" when it sent "="). Then, while the last Step is
///   - a Challenge: next() with the client's decoded reply;
///   - a Request:   resume() with the Answer of the same alternative;
///   - Success or Failure: stop; finished() is true and every further call returns
///     Failure{internal}.
/// cancel() may come at any time instead of next() and always ends the exchange.
/// A call out of this order is answered with Failure{internal} and ends the exchange, so a
/// caller bug can never authenticate anyone.
class Mechanism {
 public:
  virtual ~Mechanism() = default;
  Mechanism(const Mechanism&) = delete;
  Mechanism& operator=(const Mechanism&) = delete;

  /// The registered name, upper case, e.g. "SCRAM-SHA-256-PLUS".
  virtual std::string_view name() const = 0;

  Step start(std::optional<std::string_view> initial_response);
  Step next(std::string_view response);
  Step resume(const Answer& answer);
  Step cancel();
  bool finished() const { return expect_ == Expect::nothing; }

 protected:
  Mechanism() = default;
  virtual Step on_start(std::optional<std::string_view> initial_response) = 0;
  virtual Step on_response(std::string_view response) = 0;
  /// Only called with the alternative that matches the pending request.
  virtual Step on_answer(const Answer& answer);

 private:
  enum class Expect { start, response, answer, nothing };
  Step track(Step step);

  Expect expect_ = Expect::start;
  std::size_t pending_request_ = 0;
};

/// Shorthand for the mechanisms: a Failure step.
inline Step fail(FailureReason reason, std::string detail) { return Failure{reason, std::move(detail)}; }

/// Shorthand for the mechanisms: `success` when the verdict is ok, else the Failure it means.
Step conclude(Verdict verdict, Success success);

}  // namespace postern::sasl
