// Imported {SCHEME} hashes. The fixtures were made with other implementations than the one
// that verifies them: `openssl passwd -6/-5/-1`, Python 3.11's crypt module (bcrypt), the
// reference `argon2` command line tool, and Python's hashlib for the salted SHA schemes.

#include "auth/legacy_hash.hpp"

#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <string>

#include "base/strings.hpp"
#include "sasl/cram_md5.hpp"

namespace postern::auth {
namespace {

using ::testing::HasSubstr;

struct Fixture {
  const char* field;
  const char* password;
  LegacyScheme scheme;
};

const Fixture fixtures[] = {
    // openssl passwd -6 'Imp-Sha512-Crypt-41'
    {"{SHA512-CRYPT}$6$HmVsLAf1/qdCiM3c$KWiFpnTtDTsVMxQiQ8nU5z1JyfFEsg2EHrOKE/8HC5evOjClYgyEEz3IypuF0gstv09.eKQygLO0WEpS6s1sY0",
     "Imp-Sha512-Crypt-41", LegacyScheme::sha512_crypt},
    // openssl passwd -5 'Imp-Sha256-Crypt-42'
    {"{SHA256-CRYPT}$5$XO14VXR..XTK7ZAk$EO5ELTEJOO2O.j8cwIGuG9HkIYiTTDJTDo5xhVzyzV.", "Imp-Sha256-Crypt-42",
     LegacyScheme::sha256_crypt},
    // openssl passwd -1 'Imp-Md5-Crypt-43'
    {"{MD5-CRYPT}$1$StwXdYRm$d233sLOfOpEY8Gp1ZxhO.0", "Imp-Md5-Crypt-43", LegacyScheme::md5_crypt},
    // python3: crypt.crypt('Imp-Blf-Crypt-44', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**5))
    {"{BLF-CRYPT}$2b$05$/.SQgFy4PjDy1YTwYWlY9uWoojGd3itWL6L.5gQUNVuceD6hWPr1i", "Imp-Blf-Crypt-44",
     LegacyScheme::blf_crypt},
    // the same with $2b$ written as $2y$, as Dovecot writes it (python3 crypt verified it)
    {"{BLF-CRYPT}$2y$04$VicE9bWAAmdiEjNeqcEeeuxRSfsk7ad8A/r81SprwkV0IWYAKk98G", "Imp-Blf2y-Crypt-50",
     LegacyScheme::blf_crypt},
    // echo -n 'Imp-Argon2id-45' | argon2 <salt> -id -t 2 -m 12 -p 1 -e
    {"{ARGON2ID}$argon2id$v=19$m=4096,t=2,p=1$RjB3djh6NVlwODViOUFJQw$LFQSY3G8lnkWCG3EAPnQw1RoI2PxyZ+1idpZSJODbtw",
     "Imp-Argon2id-45", LegacyScheme::argon2id},
    // echo -n 'Imp-Argon2i-46' | argon2 <salt> -i -t 2 -m 12 -p 1 -e
    {"{ARGON2I}$argon2i$v=19$m=4096,t=2,p=1$cm1XeVRqUVI5MDlTNW5pOA$atFhKgIdbJTnTmBZoDnNwxMi97ou1nPabXraR5pmyoc",
     "Imp-Argon2i-46", LegacyScheme::argon2i},
    // python3: base64(hashlib.sha1(pw + salt).digest() + salt), 8 random salt bytes; same for 256/512
    {"{SSHA}64TVwmCRvCWBjJsWYT9vQBP11TtGUdZnlww7TQ==", "Imp-Ssha-47", LegacyScheme::ssha},
    {"{SSHA256}YiiyARAcyQgH4AazTS+1LZ5lxXdI7LHt7GvuSxvvkiZOGmxIfsjrwg==", "Imp-Ssha256-48", LegacyScheme::ssha256},
    {"{SSHA512}uAwyxERTcTq3++Qy6Db4BiPIAGFw7FE7CH6km7kpST9BZDz3PzEvVTl0oLZIEQLi5e4IW3E0rihGsZn65vPM+NcHUU4m7RoK",
     "Imp-Ssha512-49", LegacyScheme::ssha512},
};

class LegacyFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(LegacyFixture, VerifiesTheRightPasswordOnly) {
  const Fixture& f = GetParam();
  auto parsed = parse_legacy_hash(f.field);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->scheme, f.scheme);
  EXPECT_EQ(parsed->text, f.field);
  EXPECT_EQ(check_legacy_hash(parsed->text, f.password).value(), HashCheck::match);
  std::string wrong = std::string(f.password) + "x";
  EXPECT_EQ(check_legacy_hash(parsed->text, wrong).value(), HashCheck::mismatch);
  EXPECT_EQ(check_legacy_hash(parsed->text, "").value(), HashCheck::mismatch);
  std::string nul = std::string(f.password) + std::string(1, '\0');
  EXPECT_EQ(check_legacy_hash(parsed->text, nul).value(), HashCheck::mismatch);
}

INSTANTIATE_TEST_SUITE_P(Schemes, LegacyFixture, ::testing::ValuesIn(fixtures));

TEST(LegacyHash, SchemeNamesAreCaseInsensitiveAndCanonicalised) {
  auto parsed = parse_legacy_hash("{sha512-crypt}$6$HmVsLAf1/qdCiM3c$KWiFpnTtDTsVMxQiQ8nU5z1JyfFEsg2EHrOKE/"
                                  "8HC5evOjClYgyEEz3IypuF0gstv09.eKQygLO0WEpS6s1sY0");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->text.starts_with("{SHA512-CRYPT}$6$"));
}

TEST(LegacyHash, CryptAndBareStringsMapToTheirModularScheme) {
  // Dovecot: a password field without {SCHEME} is CRYPT.
  auto bare = parse_legacy_hash("$1$StwXdYRm$d233sLOfOpEY8Gp1ZxhO.0");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->scheme, LegacyScheme::md5_crypt);
  EXPECT_EQ(bare->text, "{MD5-CRYPT}$1$StwXdYRm$d233sLOfOpEY8Gp1ZxhO.0");
  EXPECT_EQ(check_legacy_hash(bare->text, "Imp-Md5-Crypt-43").value(), HashCheck::match);
  auto crypt = parse_legacy_hash("{CRYPT}$5$XO14VXR..XTK7ZAk$EO5ELTEJOO2O.j8cwIGuG9HkIYiTTDJTDo5xhVzyzV.");
  ASSERT_TRUE(crypt);
  EXPECT_EQ(crypt->scheme, LegacyScheme::sha256_crypt);
  // DES crypt (13 characters, no $ prefix) is too weak to carry over.
  auto des = parse_legacy_hash("{CRYPT}abJnggxhB/yWI");
  ASSERT_FALSE(des);
  EXPECT_THAT(des.error().message, HasSubstr("DES"));
}

// Fresh hashes from libxcrypt's own salt generator, with a non-default cost.
TEST(LegacyHash, HashesMadeWithCryptGensalt) {
  for (const char* prefix : {"$6$", "$5$", "$2b$", "$1$"}) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    unsigned long count = std::string_view(prefix) == "$2b$" ? 5 : std::string_view(prefix) == "$1$" ? 0 : 7000;
    ASSERT_NE(crypt_gensalt_rn(prefix, count, nullptr, 0, setting, sizeof setting), nullptr) << prefix;
    crypt_data data{};
    const char* hashed = crypt_r("Fresh-Crypt-Pw", setting, &data);
    ASSERT_NE(hashed, nullptr);
    auto parsed = parse_legacy_hash(hashed);
    ASSERT_TRUE(parsed) << hashed << ": " << parsed.error().message;
    EXPECT_EQ(check_legacy_hash(parsed->text, "Fresh-Crypt-Pw").value(), HashCheck::match) << hashed;
    EXPECT_EQ(check_legacy_hash(parsed->text, "fresh-crypt-pw").value(), HashCheck::mismatch) << hashed;
  }
}

TEST(LegacyHash, CramMd5IsTheDovecotHexSecret) {
  std::string hex = sasl::to_dovecot_hex(sasl::cram_md5_secret("Imp-Cram-52"));
  auto parsed = parse_legacy_hash("{CRAM-MD5}" + base::to_upper(hex));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->text, "{CRAM-MD5}" + hex);  // lower-case, as Dovecot writes it
  EXPECT_EQ(check_legacy_hash(parsed->text, "Imp-Cram-52").value(), HashCheck::match);
  EXPECT_EQ(check_legacy_hash(parsed->text, "Imp-Cram-53").value(), HashCheck::mismatch);

  // The secret answers CRAM-MD5 like the password itself (HMAC-MD5 from libcrypto).
  auto secret = sasl::from_dovecot_hex(hex);
  ASSERT_TRUE(secret);
  const std::string challenge = "<1896.697170952@postoffice.example.net>";
  unsigned char mac[16];
  unsigned int len = 0;
  HMAC(EVP_md5(), "Imp-Cram-52", 11, reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), mac,
       &len);
  EXPECT_EQ(sasl::cram_md5_digest(*secret, challenge), std::string(reinterpret_cast<char*>(mac), len));
}

TEST(LegacyHash, CostsAboveTheBoundsAreRefused) {
  auto refused = [](const std::string& field) {
    auto r = parse_legacy_hash(field);
    EXPECT_FALSE(r) << field;
    return r ? std::string() : r.error().message;
  };
  const std::string tail = "$RjB3djh6NVlwODViOUFJQw$LFQSY3G8lnkWCG3EAPnQw1RoI2PxyZ+1idpZSJODbtw";
  EXPECT_THAT(refused("{ARGON2ID}$argon2id$v=19$m=262145,t=2,p=1" + tail), HasSubstr("m=262145 KiB above"));
  EXPECT_THAT(refused("{ARGON2ID}$argon2id$v=19$m=4096,t=11,p=1" + tail), HasSubstr("t=11 above"));
  EXPECT_THAT(refused("{ARGON2I}$argon2i$v=19$m=4096,t=2,p=64" + tail.substr(0)), HasSubstr("p=64 above"));
  EXPECT_TRUE(parse_legacy_hash("{ARGON2ID}$argon2id$v=19$m=262144,t=10,p=1" + tail));  // at the bounds
  EXPECT_THAT(refused("{SHA512-CRYPT}$6$rounds=1000001$HmVsLAf1/qdCiM3c$KWiFpnTtDTsVMxQiQ8nU5z1JyfFEsg2EHrOKE/"
                      "8HC5evOjClYgyEEz3IypuF0gstv09.eKQygLO0WEpS6s1sY0"),
              HasSubstr("rounds=1000001 above"));
  EXPECT_THAT(refused("{BLF-CRYPT}$2y$15$VicE9bWAAmdiEjNeqcEeeuxRSfsk7ad8A/r81SprwkV0IWYAKk98G"),
              HasSubstr("cost 15 above"));
  // Checked again when verifying: a database edited after the import cannot burn CPU either.
  auto late = check_legacy_hash("{ARGON2ID}$argon2id$v=19$m=2097152,t=2,p=1" + tail, "pw");
  ASSERT_FALSE(late);
  EXPECT_THAT(late.error().message, HasSubstr("above the limit"));
}

TEST(LegacyHash, MalformedOrUnsupportedFieldsAreRefusedWithAReason) {
  auto why = [](std::string_view field) {
    auto r = parse_legacy_hash(field);
    EXPECT_FALSE(r) << field;
    return r ? std::string() : r.error().message;
  };
  EXPECT_THAT(why("{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M="), HasSubstr("unsupported scheme {SHA}"));
  EXPECT_THAT(why("{DIGEST-MD5}abc"), HasSubstr("unsupported scheme"));
  EXPECT_THAT(why("{PLAIN}secret"), HasSubstr("clear-text"));
  EXPECT_THAT(why("{SHA512-CRYPT"), HasSubstr("malformed"));
  EXPECT_THAT(why("{SHA512-CRYPT}"), HasSubstr("empty"));
  EXPECT_THAT(why("{SHA512-CRYPT}$5$XO14VXR..XTK7ZAk$EO5ELTEJOO2O.j8cwIGuG9HkIYiTTDJTDo5xhVzyzV."),
              HasSubstr("does not match the scheme"));
  EXPECT_THAT(why("{SHA256-CRYPT}$5$XO14VXR..XTK7ZAk$short"), HasSubstr("malformed checksum"));
  EXPECT_THAT(why("{BLF-CRYPT}$2y$04$tooshort"), HasSubstr("malformed"));
  EXPECT_THAT(why("{ARGON2ID}$argon2i$v=19$m=4096,t=2,p=1$c2FsdA$aGFzaA"), HasSubstr("does not match"));
  EXPECT_THAT(why("{ARGON2ID}$argon2id$v=19$m=4096,t=2$c2FsdA$aGFzaA"), HasSubstr("malformed parameters"));
  EXPECT_THAT(why("{SSHA256}not base64!"), HasSubstr("not base64"));
  EXPECT_THAT(why("{SSHA256}YWJj"), HasSubstr("wrong length"));
  EXPECT_THAT(why("{CRAM-MD5}abcd"), HasSubstr("64 hex"));
  EXPECT_THAT(why("plaintext-looking"), HasSubstr("unsupported crypt(3) format"));
}

TEST(LegacyHash, ClearTextSchemesAreRecognisedForHashing) {
  std::string clear;
  EXPECT_TRUE(is_cleartext_scheme("{PLAIN}pa:ss", clear));
  EXPECT_EQ(clear, "pa:ss");
  EXPECT_TRUE(is_cleartext_scheme("{cleartext}x", clear));
  EXPECT_EQ(clear, "x");
  EXPECT_FALSE(is_cleartext_scheme("{SSHA}x", clear));
}

}  // namespace
}  // namespace postern::auth
