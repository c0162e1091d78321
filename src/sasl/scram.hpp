#pragma once
// SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants (RFC 5802, RFC 7677), server side.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/random.hpp"
#include "base/result.hpp"
#include "sasl/channel_binding.hpp"
#include "sasl/mechanism.hpp"

namespace postern::sasl {

/// Bounds on the iteration count of a stored verifier. RFC 7677 §4: at least 4096. The upper
/// bound keeps one login below about a second of client CPU; scram_verifier() refuses counts
/// outside them, and the store picks the count when it stores a verifier, so the mechanism
/// carries whatever the store holds.
inline constexpr std::uint32_t scram_min_iterations = 4096;
inline constexpr std::uint32_t scram_max_iterations = 1'000'000;
/// What new verifiers use, and what the fake verifier of an unknown account announces: the
/// two must be the same, or the count would tell which accounts exist.
inline constexpr std::uint32_t scram_default_iterations = 4096;
/// Salt size of new verifiers (and of fake ones, for the same reason). The store draws an
/// independent salt for each hash, as the fake verifiers differ per hash too.
inline constexpr std::size_t scram_salt_octets = 16;

/// The verifier the store keeps for `password` (RFC 5802 §3): SaltedPassword =
/// PBKDF2-HMAC(SASLprep(password), salt, iterations); StoredKey = H(HMAC(SaltedPassword,
/// "Client Key")); ServerKey = HMAC(SaltedPassword, "Server Key"). Fails when SASLprep refuses
/// the password (see saslprep.hpp: non-ASCII passwords are not supported yet), when the salt is
/// empty, or when `iterations` is outside [scram_min_iterations, scram_max_iterations].
base::Result<ScramVerifier> scram_verifier(ScramHash hash, std::string_view password, std::string_view salt,
                                           std::uint32_t iterations);

/// A server nonce part: 24 random bytes as base64, 32 printable characters without ",".
/// RFC 5802 §5.1 wants it fresh and unpredictable; 192 bits is well above that.
std::string make_scram_server_nonce(base::Random& random);

/// The per-process secret the fake verifiers of unknown accounts are derived from: 32 random
/// bytes, made once at start-up and kept for the life of the process, so that asking twice for
/// the same unknown name gets the same salt, like a real account would.
std::string make_fake_salt_secret(base::Random& random);

struct ScramOptions {
  ScramHash hash = ScramHash::sha256;
  bool plus = false;                             ///< the -PLUS variant: the client must bind to one of channel_bindings
  std::vector<ChannelBinding> channel_bindings;  ///< what this connection offers
  bool plus_advertised = false;                  ///< a -PLUS mechanism was offered: gs2 "y" is then a downgrade
  std::string server_nonce;                      ///< from make_scram_server_nonce(); tests pin the RFC's
  std::string fake_salt_secret;                  ///< from make_fake_salt_secret()
  std::uint32_t fake_iterations = scram_default_iterations;
};

/// One SCRAM exchange.
///
/// Calls: start(client-first-message), or start(nullopt) → empty Challenge, then
/// next(client-first-message). The GS2 header is checked first:
///   - "p=<type>" only on -PLUS, and only for a type in channel_bindings (else unsupported);
///   - -PLUS with "n" or "y" is malformed; "y" on the plain variant while plus_advertised is a
///     downgrade (RFC 5802 §6); "m=" is unsupported (RFC 5802 §5.1).
/// Then a NeedScramVerifier Request; resume(ScramVerifierAnswer) gives the server-first-message
/// as a Challenge (an unknown account gets a fake salt derived from fake_salt_secret and
/// fake_iterations, and fails only at the proof); next(client-final-message) checks c= against
/// base64(gs2-header + binding data), the nonce, and the proof in constant time, and gives
/// Success with server_final "v=..." — or Failure (bad_credentials, channel_binding_mismatch,
/// authzid_not_permitted after a valid proof, malformed).
/// User names are taken as sent (saslname-decoded); the store normalises them.
std::unique_ptr<Mechanism> make_scram(ScramOptions options);

}  // namespace postern::sasl
