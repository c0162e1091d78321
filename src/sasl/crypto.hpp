#pragma once
// The few primitives the mechanisms need, on top of libcrypto (EVP, HMAC, PKCS5_PBKDF2_HMAC).
// Randomness is not here: it comes in through base::Random (STYLE §9).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sasl/mechanism.hpp"

namespace postern::sasl::crypto {

/// Output size of the hash in bytes: 20 for SHA-1, 32 for SHA-256.
std::size_t digest_size(ScramHash h);

/// H(data).
std::string digest(ScramHash h, std::string_view data);

/// HMAC(key, data) (RFC 2104).
std::string hmac(ScramHash h, std::string_view key, std::string_view data);

/// PBKDF2 with HMAC-h, one block of output: SCRAM's Hi() (RFC 5802 §2.2).
std::string pbkdf2(ScramHash h, std::string_view password, std::string_view salt, std::uint32_t iterations);

/// Equal in time that depends only on the sizes (CRYPTO_memcmp).
bool equal(std::string_view a, std::string_view b);

/// a XOR b; both must have the same size.
std::string xor_bytes(std::string_view a, std::string_view b);

/// Overwrites a secret before its memory is released (OPENSSL_cleanse).
void wipe(std::string& secret);

}  // namespace postern::sasl::crypto
