#pragma once
// Password hashing with argon2id (RFC 9106), stored in the PHC string format
// `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt b64>$<tag b64>`.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/random.hpp"
#include "base/result.hpp"

namespace postern::auth {

/// argon2id cost parameters. The defaults are OWASP's Password Storage Cheat Sheet minimum for
/// argon2id (19 MiB, 2 passes, 1 lane). Why not RFC 9106's 64 MiB / 2 GiB profiles: a
/// submission server verifies many logins at once on a handful of worker threads, and every
/// concurrent check holds `memory_kib` of RAM; 19 MiB costs ~20-40 ms per check on one core,
/// which a burst of logins can afford, while a GPU attacker still pays the full memory cost per
/// guess. Repeated logins are kept cheap by a verified-credential cache, not by a lower cost.
/// The parameters travel inside each encoded hash, so raising them later only affects new hashes.
struct HashParams {
  std::uint32_t memory_kib = 19 * 1024;
  std::uint32_t passes = 2;
  std::uint32_t lanes = 1;
  std::uint32_t salt_bytes = 16;  // RFC 9106 §3.1: 128 bits is sufficient for all applications
  std::uint32_t tag_bytes = 32;
};

/// Hashes `password` with a fresh salt from `random`. Fails only when argon2 cannot allocate
/// its memory.
base::Result<std::string> hash_password(std::string_view password, base::Random& random, const HashParams& params = {});

enum class HashCheck { match, mismatch };

/// Checks `password` against an encoded argon2id hash in constant time (argon2's own compare).
/// An error means the hash could not be checked (not argon2id, malformed, out of memory): that
/// is the store's fault, never the client's, so callers answer it as a temporary failure.
base::Result<HashCheck> check_password(std::string_view encoded, std::string_view password);

}  // namespace postern::auth
