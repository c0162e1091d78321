#include "sasl/cram_md5.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <string>

#include "base/base64.hpp"
#include "fakes.hpp"
#include "sasl_test_util.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

constexpr std::string_view rfc2195_challenge = "<1896.697170952@postoffice.reston.mci.net>";

// HMAC-MD5 through libcrypto's EVP interface: an independent reference for the key schedule.
std::string reference_hmac_md5(std::string_view key, std::string_view message) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

TEST(CramMd5, Rfc2195Example) {
  // RFC 2195 §2: S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
  //              C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
  auto m = make_cram_md5(std::string(rfc2195_challenge));
  EXPECT_EQ(m->name(), "CRAM-MD5");
  Step step = m->start(std::nullopt);
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(base::base64_encode(c->data), "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
  auto response = base::base64_decode("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(*response, "tim b913a602c7eda7a495b4e6e7334d3890");
  step = m->next(*response);
  const auto* req = as_request<NeedCramSecret>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authcid, "tim");
  step = m->resume(CramSecretAnswer{Verdict::ok, cram_md5_secret("tanstaaftanstaaf")});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "tim");
  EXPECT_EQ(ok->authzid, "");
}

TEST(CramMd5, DigestFromSecretIsHmacMd5) {
  EXPECT_EQ(hex(cram_md5_digest(cram_md5_secret("tanstaaftanstaaf"), rfc2195_challenge)),
            "b913a602c7eda7a495b4e6e7334d3890");
  // Keys below, at and above the 64-byte block (RFC 2104 §2 hashes long keys first), and
  // messages that span several blocks.
  for (const std::string& key : {""s, "k"s, std::string(63, 'x'), std::string(64, 'y'), std::string(65, 'z'),
                                 std::string(200, '\xa5'), "p\0ss"s}) {
    for (const std::string& msg :
         {""s, std::string(rfc2195_challenge), std::string(55, 'm'), std::string(64, 'n'), std::string(1000, 'o')}) {
      EXPECT_EQ(hex(cram_md5_digest(cram_md5_secret(key), msg)), hex(reference_hmac_md5(key, msg)))
          << key.size() << "/" << msg.size();
    }
  }
}

TEST(CramMd5, DovecotSchemeInterop) {
  // `doveadm pw -s CRAM-MD5` for the password "password", as recorded in PostfixAdmin's tests.
  constexpr std::string_view dovecot = "9186d855e11eba527a7a52ca82b313e180d62234f0acc9051b527243d41e2740";
  CramSecret secret = cram_md5_secret("password");
  EXPECT_EQ(to_dovecot_hex(secret), dovecot);
  auto parsed = from_dovecot_hex(dovecot);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->inner, secret.inner);
  EXPECT_EQ(parsed->outer, secret.outer);
  auto upper = from_dovecot_hex("9186D855E11EBA527A7A52CA82B313E180D62234F0ACC9051B527243D41E2740");
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(upper->inner, secret.inner);
  EXPECT_FALSE(from_dovecot_hex(dovecot.substr(1)).has_value());
  EXPECT_FALSE(from_dovecot_hex(std::string(dovecot) + "00").has_value());
  EXPECT_FALSE(from_dovecot_hex(std::string(63, '0') + "g").has_value());
}

TEST(CramMd5, AcceptsUpperCaseHexAndSpacesInUserNames) {
  CramSecret secret = cram_md5_secret("pw");
  std::string digest = hex(cram_md5_digest(secret, rfc2195_challenge));
  for (auto& ch : digest) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto m = make_cram_md5(std::string(rfc2195_challenge));
  m->start(std::nullopt);
  Step step = m->next("John Smith " + digest);
  const auto* req = as_request<NeedCramSecret>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authcid, "John Smith");
  EXPECT_NE(as_success(m->resume(CramSecretAnswer{Verdict::ok, secret})), nullptr);
}

TEST(CramMd5, WrongPasswordUnknownUserAndStoreDown) {
  struct Case {
    CramSecretAnswer answer;
    FailureReason reason;
  };
  for (const auto& [answer, reason] : {
           Case{{Verdict::ok, cram_md5_secret("tanstaaftanstaaX")}, FailureReason::bad_credentials},
           Case{{Verdict::bad_credentials, {}}, FailureReason::bad_credentials},
           Case{{Verdict::authzid_not_permitted, {}}, FailureReason::bad_credentials},
           Case{{Verdict::temporary_failure, {}}, FailureReason::temporary_failure},
       }) {
    auto m = make_cram_md5(std::string(rfc2195_challenge));
    m->start(std::nullopt);
    m->next("tim b913a602c7eda7a495b4e6e7334d3890");
    EXPECT_EQ(reason_of(m->resume(answer)), reason);
  }
}

TEST(CramMd5, TheDigestIsBoundToTheChallenge) {
  auto m = make_cram_md5("<1.2@other.example>");
  m->start(std::nullopt);
  m->next("tim b913a602c7eda7a495b4e6e7334d3890");
  EXPECT_EQ(reason_of(m->resume(CramSecretAnswer{Verdict::ok, cram_md5_secret("tanstaaftanstaaf")})),
            FailureReason::bad_credentials);
}

TEST(CramMd5, RefusesAnInitialResponse) {
  EXPECT_EQ(reason_of(make_cram_md5("<1.2@h>")->start("tim b913a602c7eda7a495b4e6e7334d3890")),
            FailureReason::malformed);
  EXPECT_EQ(reason_of(make_cram_md5("<1.2@h>")->start("")), FailureReason::malformed);
}

TEST(CramMd5, RefusesMalformedResponses) {
  for (const std::string& bad : {
           ""s, "tim"s, "tim "s, " b913a602c7eda7a495b4e6e7334d3890"s, "timb913a602c7eda7a495b4e6e7334d3890"s,
           "tim b913a602c7eda7a495b4e6e7334d389"s,    // 31 digits
           "tim b913a602c7eda7a495b4e6e7334d38900"s,  // 33 digits
           "tim b913a602c7eda7a495b4e6e7334d389g"s,   // not hex
           "tim b913a602c7eda7a495b4e6e7334d3890 "s,  // trailing space
           "t\0m b913a602c7eda7a495b4e6e7334d3890"s,  // NUL in the name
       }) {
    auto m = make_cram_md5("<1.2@h>");
    m->start(std::nullopt);
    EXPECT_EQ(reason_of(m->next(bad)), FailureReason::malformed) << bad;
  }
}

TEST(CramMd5, EveryTruncationOfTheResponseIsMalformed) {
  std::string response = "tim b913a602c7eda7a495b4e6e7334d3890";
  for (std::size_t k = 0; k < response.size(); ++k) {
    auto m = make_cram_md5(std::string(rfc2195_challenge));
    m->start(std::nullopt);
    EXPECT_EQ(reason_of(m->next(std::string_view(response).substr(0, k))), FailureReason::malformed) << k;
  }
}

TEST(CramMd5, ChallengeIsAMsgIdWithRandomDigitsAndTheTime) {
  postern::testing::CountingRandom random;  // bytes 0, 1, ..., 7 -> 0x0001020304050607
  auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}};
  EXPECT_EQ(make_cram_md5_challenge(random, now, "mx.example.org"),
            "<" + std::to_string(0x0001020304050607ULL) + ".1700000000@mx.example.org>");
  // The next challenge draws new digits.
  EXPECT_EQ(make_cram_md5_challenge(random, now, "mx.example.org"),
            "<" + std::to_string(0x08090a0b0c0d0e0fULL) + ".1700000000@mx.example.org>");
}

}  // namespace
}  // namespace postern::sasl
