#include "auth/password_hash.hpp"

#include <argon2.h>

#include <cstddef>
#include <vector>

namespace postern::auth {

namespace {

constexpr std::string_view argon2id_prefix = "$argon2id$";

}  // namespace

base::Result<std::string> hash_password(std::string_view password, base::Random& random, const HashParams& params) {
  std::vector<std::byte> salt(params.salt_bytes);
  random.fill(salt);
  std::size_t encoded_len =
      argon2_encodedlen(params.passes, params.memory_kib, params.lanes, params.salt_bytes, params.tag_bytes, Argon2_id);
  std::string encoded(encoded_len, '\0');
  int rc = argon2id_hash_encoded(params.passes, params.memory_kib, params.lanes, password.data(), password.size(),
                                 salt.data(), salt.size(), params.tag_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return base::fail(std::string("argon2id: ") + argon2_error_message(rc));
  // argon2_encodedlen counts the terminating NUL.
  encoded.resize(encoded.find('\0'));
  return encoded;
}

base::Result<HashCheck> check_password(std::string_view encoded, std::string_view password) {
  if (!encoded.starts_with(argon2id_prefix)) return base::fail("stored hash is not argon2id");
  std::string encoded_z(encoded);  // argon2 wants a C string
  int rc = argon2id_verify(encoded_z.c_str(), password.data(), password.size());
  if (rc == ARGON2_OK) return HashCheck::match;
  if (rc == ARGON2_VERIFY_MISMATCH) return HashCheck::mismatch;
  return base::fail(std::string("argon2id: ") + argon2_error_message(rc));
}

}  // namespace postern::auth
