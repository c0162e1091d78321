#pragma once
// The SASL mechanisms Postern knows, what each needs, and the factory the session uses for
// `AUTH <name>`.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "base/random.hpp"
#include "sasl/channel_binding.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/scram.hpp"

namespace postern::sasl {

/// Which Request a mechanism makes, i.e. what the store must hold for it to work.
enum class Credential {
  password,        ///< VerifyPassword: the argon2id hash
  cram_secret,     ///< NeedCramSecret
  scram_verifier,  ///< NeedScramVerifier for `hash`
  token,           ///< VerifyToken
  certificate,     ///< VerifyCertificate: nothing stored, the TLS client certificate proves it
};

/// Static facts about one mechanism, for the EHLO list and the listener policy.
struct MechanismInfo {
  std::string_view name;
  Credential credential = Credential::password;
  ScramHash hash = ScramHash::sha256;  ///< with Credential::scram_verifier
  /// The password crosses the wire in clear (PLAIN, LOGIN): never offered before TLS unless a
  /// listener opts in (DESIGN §3.1).
  bool reveals_password = false;
  /// A bearer token crosses the wire (OAUTHBEARER, XOAUTH2): RFC 7628 §5 requires TLS.
  bool reveals_token = false;
  /// -PLUS: usable only on a connection with at least one channel binding.
  bool channel_binding = false;
  /// EXTERNAL: usable only on a connection whose client certificate verified.
  bool client_certificate = false;
};

/// All mechanisms, strongest first (the order for the EHLO AUTH line): EXTERNAL (no secret
/// crosses the wire at all, and it is offered only with a verified certificate), SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, OAUTHBEARER, XOAUTH2,
/// CRAM-MD5, PLAIN, LOGIN.
std::span<const MechanismInfo> all_mechanisms();

/// The mechanism called `name` (ASCII case-insensitive, as SMTP clients vary), or nullptr.
const MechanismInfo* find_mechanism(std::string_view name);

/// Per-AUTH facts the factory needs. Read during create() only; nothing is kept by reference.
struct Context {
  base::Random& random;                                   ///< server nonces, CRAM-MD5 challenge digits
  std::string_view hostname;                              ///< CRAM-MD5 challenge `<digits.time@hostname>`
  std::chrono::system_clock::time_point now;              ///< CRAM-MD5 challenge timestamp (from the session's Clock)
  std::span<const ChannelBinding> channel_bindings = {};  ///< what this TLS connection offers
  bool plus_advertised = false;                           ///< the EHLO AUTH list held a -PLUS mechanism
  std::string_view fake_salt_secret = {};                 ///< make_fake_salt_secret(), once per process
  std::uint32_t scram_iterations = scram_default_iterations;  ///< what the store uses for new verifiers
  /// The TLS client presented a certificate that verified against the client CA (EXTERNAL).
  bool client_certificate = false;
};

/// Whether `info` can run in `context`: -PLUS needs a channel binding, EXTERNAL a verified
/// client certificate, and SCRAM needs a fake-salt secret of at least 16 bytes (without one, unknown accounts would be told apart).
/// Listener policy (TLS, opt-ins, what the store holds) is the session's business.
bool usable(const MechanismInfo& info, const Context& context);

/// A fresh exchange for `AUTH name`, or nullptr when the name is unknown or not usable here
/// (the session then answers `504 5.5.4`).
std::unique_ptr<Mechanism> create(std::string_view name, const Context& context);

}  // namespace postern::sasl
