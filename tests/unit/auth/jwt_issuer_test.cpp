// TokenIssuer: key files, and minted tokens that the validator accepts.

#include "auth/token_issuer.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/jwt.hpp"
#include "jwt_test_keys.hpp"

namespace postern::auth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::chrono::system_clock::time_point now{std::chrono::seconds{1'800'000'000} + 750ms};

mode_t mode_of(const std::filesystem::path& file) {
  struct stat st {};
  ::stat(file.c_str(), &st);
  return st.st_mode & 07777;
}

json::object part(const std::string& token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  std::size_t end = token.find('.', start);
  return json::parse(*base64url_decode(token.substr(start, end - start))).as_object();
}

class IssuerTest : public ::testing::Test {
 protected:
  IssuerTest() : key_(dir_.path() / "issuer.key"), pub_(dir_.path() / "issuer.pub.pem") {
    auto ok = TokenIssuer::generate_key_files(key_, pub_);
    EXPECT_TRUE(ok) << ok.error().message;
  }

  std::unique_ptr<TokenValidator> validator(std::string claim = "email") const {
    config::OAuth o;
    o.enabled = true;
    o.issuer = std::string(dev_issuer);
    o.audience = std::string(dev_audience);
    o.public_keys = {pub_};
    o.account_claim = std::move(claim);
    auto v = make_jwt_validator(o, clock_);
    EXPECT_TRUE(v) << v.error().message;
    return v ? std::move(*v) : nullptr;
  }

  test::TempDir dir_;
  std::filesystem::path key_;
  std::filesystem::path pub_;
  base::SystemClock clock_;
};

TEST_F(IssuerTest, KeyFilesAndModes) {
  EXPECT_EQ(mode_of(key_) & 077, 0u) << std::oct << mode_of(key_);
  EXPECT_EQ(mode_of(key_) & 0600, 0600u);
  EXPECT_EQ(mode_of(pub_) & 0400, 0400u);
  auto pub = load_pem_public_key(pub_);
  ASSERT_TRUE(pub) << pub.error().message;
  EXPECT_EQ(pub->kind(), KeyKind::ed25519);
  auto issuer = TokenIssuer::load(key_, {});
  ASSERT_TRUE(issuer) << issuer.error().message;
  EXPECT_EQ(issuer->kid(), pub->thumbprint());
  std::ifstream in(pub_);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(issuer->public_key_pem(), pem);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "issuer.key.tmp"));
  // Generating again replaces both files with a new key.
  ASSERT_TRUE(TokenIssuer::generate_key_files(key_, pub_));
  auto again = TokenIssuer::load(key_, {});
  ASSERT_TRUE(again);
  EXPECT_NE(again->kid(), issuer->kid());
  EXPECT_EQ(load_pem_public_key(pub_)->thumbprint(), again->kid());
}

TEST_F(IssuerTest, MintedTokensRoundTrip) {
  auto issuer = TokenIssuer::load(key_, {});
  ASSERT_TRUE(issuer) << issuer.error().message;
  auto token = issuer->mint("Demo@Example.TEST", 10min, now);
  ASSERT_TRUE(token) << token.error().message;
  auto v = validator();
  ASSERT_TRUE(v);
  TokenResult r = v->validate(*token, now);
  EXPECT_EQ(r.kind, TokenResult::Kind::ok) << r.reason;
  EXPECT_EQ(r.subject, "Demo@example.test");
  EXPECT_EQ(v->validate(*token, now + 10min + 59s).kind, TokenResult::Kind::ok);  // leeway
  EXPECT_EQ(v->validate(*token, now + 11min).reason, "expired");
  EXPECT_EQ(v->validate(*token, now - 2min).reason, "not yet valid (nbf in the future)");
}

TEST_F(IssuerTest, HeaderAndClaims) {
  auto issuer = TokenIssuer::load(key_, {});
  ASSERT_TRUE(issuer);
  auto token = issuer->mint("demo@example.test", 90s, now);
  ASSERT_TRUE(token);
  EXPECT_EQ(json::serialize(part(*token, 0)), R"({"alg":"EdDSA","typ":"JWT","kid":")" + issuer->kid() + R"("})");
  json::object expected{{"iss", "postern-dev"},       {"aud", "postern"},   {"sub", "demo@example.test"},
                        {"email", "demo@example.test"}, {"iat", 1800000000}, {"nbf", 1800000000},
                        {"exp", 1800000090}};
  EXPECT_EQ(part(*token, 1), expected);
}

TEST_F(IssuerTest, SettingsComeFromTheCaller) {
  auto issuer = TokenIssuer::load(key_, IssuerSettings{"https://dev.example", "smtp", "preferred_username"});
  ASSERT_TRUE(issuer);
  auto token = issuer->mint("u@example.test", 1min, now);
  ASSERT_TRUE(token);
  auto claims = part(*token, 1);
  EXPECT_EQ(claims["iss"], "https://dev.example");
  EXPECT_EQ(claims["aud"], "smtp");
  EXPECT_EQ(claims["preferred_username"], "u@example.test");
  // The dev validator refuses it: another issuer.
  EXPECT_EQ(validator()->validate(*token, now).reason, "wrong issuer \"https://dev.example\"");
}

TEST_F(IssuerTest, Refusals) {
  auto issuer = TokenIssuer::load(key_, {});
  ASSERT_TRUE(issuer);
  EXPECT_FALSE(issuer->mint("a@example.test", 0s, now));
  auto missing = TokenIssuer::load(dir_.path() / "nope.key", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, (dir_.path() / "nope.key").string() + ": cannot open: No such file or directory");
  auto ec = TokenIssuer::from_pem(test::private_pem(test::ec_key()), {});
  ASSERT_FALSE(ec);
  EXPECT_EQ(ec.error().message, "not an Ed25519 key");
  auto pub = TokenIssuer::load(pub_, {});
  ASSERT_FALSE(pub);
  EXPECT_NE(pub.error().message.find("not a PEM private key"), std::string::npos);
  // A key from `openssl genpkey -algorithm ed25519` works the same.
  auto foreign = TokenIssuer::from_pem(test::private_pem(test::ed_key()), {});
  ASSERT_TRUE(foreign) << foreign.error().message;
  EXPECT_EQ(foreign->kid(), test::verify_key(test::ed_key()).thumbprint());
  EXPECT_EQ(validator()->validate(*foreign->mint("a@example.test", 1min, now), now).reason, "bad signature");
}

}  // namespace
}  // namespace postern::auth
