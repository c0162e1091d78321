#include "auth/password_hash.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "fakes.hpp"

namespace postern::auth {
namespace {

/// Hands out the bytes of a fixed string, to reproduce a published salt.
class StringRandom final : public base::Random {
 public:
  explicit StringRandom(std::string bytes) : bytes_(std::move(bytes)) {}
  void fill(std::span<std::byte> out) override {
    ASSERT_EQ(out.size(), bytes_.size());
    std::memcpy(out.data(), bytes_.data(), out.size());
  }

 private:
  std::string bytes_;
};

HashParams cheap() { return HashParams{.memory_kib = 256, .passes = 1, .lanes = 1}; }

// Vectors from the argon2 reference implementation's tests (phc-winner-argon2 src/test.c,
// argon2id, version 0x13): password "password", salt "somesalt", 32-byte tag.
constexpr const char* reference_m256 =
    "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4";
constexpr const char* reference_m65536 =
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";

TEST(PasswordHash, ReproducesReferenceVectorByteForByte) {
  StringRandom salt("somesalt");
  auto hash = hash_password("password", salt, HashParams{.memory_kib = 256, .passes = 2, .lanes = 1, .salt_bytes = 8});
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_EQ(*hash, reference_m256);
}

TEST(PasswordHash, ChecksReferenceVectors) {
  for (const char* encoded : {reference_m256, reference_m65536}) {
    auto ok = check_password(encoded, "password");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(*ok, HashCheck::match) << encoded;
    auto wrong = check_password(encoded, "passwore");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(*wrong, HashCheck::mismatch) << encoded;
  }
}

TEST(PasswordHash, DefaultsAreTheDocumentedArgon2idParameters) {
  testing::CountingRandom random;
  auto hash = hash_password("s3cret", random);
  ASSERT_TRUE(hash) << hash.error().message;
  // Salt bytes 00 01 .. 0f in unpadded base64, as the PHC string format writes it.
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=19456,t=2,p=1$AAECAwQFBgcICQoLDA0ODw$")) << *hash;
  EXPECT_EQ(hash->find("s3cret"), std::string::npos);
  EXPECT_EQ(check_password(*hash, "s3cret").value(), HashCheck::match);
  EXPECT_EQ(check_password(*hash, "s3cret ").value(), HashCheck::mismatch);
  EXPECT_EQ(check_password(*hash, "").value(), HashCheck::mismatch);
}

TEST(PasswordHash, FreshSaltEveryTime) {
  base::SystemRandom random;
  auto a = hash_password("same", random, cheap());
  auto b = hash_password("same", random, cheap());
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(check_password(*a, "same").value(), HashCheck::match);
  EXPECT_EQ(check_password(*b, "same").value(), HashCheck::match);
}

TEST(PasswordHash, PasswordsWithNulAndNonAsciiBytes) {
  testing::CountingRandom random;
  std::string password("a\0b\xc3\xa9", 5);
  auto hash = hash_password(password, random, cheap());
  ASSERT_TRUE(hash);
  EXPECT_EQ(check_password(*hash, password).value(), HashCheck::match);
  // Truncation at the NUL would make these equal.
  EXPECT_EQ(check_password(*hash, std::string("a")).value(), HashCheck::mismatch);
}

TEST(PasswordHash, UncheckableHashesAreErrorsNotMismatches) {
  // argon2i is a different algorithm: refusing it keeps a downgraded row from being accepted.
  EXPECT_FALSE(check_password("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA",
                              "password"));
  EXPECT_FALSE(check_password("$argon2id$garbage", "password"));
  EXPECT_FALSE(check_password("", "password"));
  EXPECT_FALSE(check_password("{SHA512-CRYPT}$6$abc$def", "password"));
}

}  // namespace
}  // namespace postern::auth
