// JwtValidator and verify_compact_jws: tokens signed in the test with keys made in the test,
// every refusal with its reason, the alg-confusion attacks, and the RFC 7515 / RFC 8037 vectors.

#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "jwt_test_keys.hpp"

namespace postern::auth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using test::ec_key;
using test::ed_key;
using test::make_token;
using test::rsa_key;
using test::rsa_key_2;

const std::chrono::system_clock::time_point now{std::chrono::seconds{1'800'000'000}};
constexpr std::int64_t t = 1'800'000'000;

json::object good_claims() {
  return {{"iss", "https://idp.example"}, {"aud", "postern"}, {"sub", "1234"}, {"email", "Alice@Example.TEST"},
          {"iat", t - 10},           {"nbf", t - 10},      {"exp", t + 600}};
}

std::string header(std::string_view alg, std::string_view kid = {}) {
  json::object h{{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) h["kid"] = kid;
  return json::serialize(h);
}

class JwtTest : public ::testing::Test {
 protected:
  JwtTest()
      : validator_({test::verify_key(rsa_key(), "rsa-1"), test::verify_key(ec_key(), "ec-1"), test::verify_key(ed_key())},
                   JwtRules{"https://idp.example", "postern", "email", 60s}) {}

  static std::string token(std::string_view alg, const json::object& claims, std::string_view kid = {}) {
    const auto& key = alg == "RS256" ? rsa_key() : alg == "ES256" ? ec_key() : ed_key();
    return make_token(key, alg, header(alg, kid), json::serialize(claims));
  }

  TokenResult check(std::string_view tok) const { return validator_.validate(tok, now); }

  // Refused with status invalid_token and a reason containing `why`.
  void expect_refused(std::string_view tok, std::string_view why) const {
    TokenResult r = check(tok);
    EXPECT_EQ(r.kind, TokenResult::Kind::invalid) << "reason: " << r.reason;
    EXPECT_EQ(r.status, "invalid_token");
    EXPECT_NE(r.reason.find(why), std::string::npos) << "reason: " << r.reason << "\nexpected: " << why;
    EXPECT_TRUE(r.subject.empty());
  }

  JwtValidator validator_;
};

TEST_F(JwtTest, AcceptsEachAlgorithmAndLowerCasesTheDomain) {
  for (const char* alg : {"RS256", "ES256", "EdDSA"}) {
    TokenResult r = check(token(alg, good_claims()));
    EXPECT_EQ(r.kind, TokenResult::Kind::ok) << alg << ": " << r.reason;
    EXPECT_EQ(r.subject, "Alice@example.test") << alg;
  }
}

TEST_F(JwtTest, KidPicksTheKeyAndMayBeAThumbprint) {
  auto by_kid = verify_compact_jws(token("ES256", good_claims(), "ec-1"), validator_.keys());
  ASSERT_TRUE(by_kid) << by_kid.error();
  EXPECT_EQ(by_kid->key_index, 1u);
  EXPECT_EQ(by_kid->alg, JwsAlg::es256);
  auto by_thumbprint = verify_compact_jws(token("EdDSA", good_claims(), validator_.keys()[2].thumbprint()),
                                          validator_.keys());
  ASSERT_TRUE(by_thumbprint) << by_thumbprint.error();
  EXPECT_EQ(by_thumbprint->key_index, 2u);
  // A kid naming no key falls back to the keys without a kid of their own (here the Ed25519 one).
  EXPECT_EQ(check(token("EdDSA", good_claims(), "rotated-away")).kind, TokenResult::Kind::ok);
}

TEST_F(JwtTest, KidSelectsAmongKeysOfOneKind) {
  JwtValidator two({test::verify_key(rsa_key(), "a"), test::verify_key(rsa_key_2(), "b")},
                   JwtRules{"https://idp.example", "postern", "email", 60s});
  std::string tok = make_token(rsa_key_2(), "RS256", header("RS256", "b"), json::serialize(good_claims()));
  auto jws = verify_compact_jws(tok, two.keys());
  ASSERT_TRUE(jws) << jws.error();
  EXPECT_EQ(jws->key_index, 1u);
  // Named the wrong key: the right one is not tried.
  std::string wrong = make_token(rsa_key_2(), "RS256", header("RS256", "a"), json::serialize(good_claims()));
  EXPECT_EQ(two.validate(wrong, now).reason, "bad signature");
  // Without a kid every RSA key is tried.
  std::string none = make_token(rsa_key_2(), "RS256", header("RS256"), json::serialize(good_claims()));
  EXPECT_EQ(two.validate(none, now).kind, TokenResult::Kind::ok);
  // When every key has a kid, an unknown one is refused outright.
  std::string unknown = make_token(rsa_key_2(), "RS256", header("RS256", "c"), json::serialize(good_claims()));
  EXPECT_EQ(two.validate(unknown, now).reason, "unknown kid \"c\"");
}

TEST_F(JwtTest, AudienceMayBeAnArray) {
  auto claims = good_claims();
  claims["aud"] = json::array{"other", "postern"};
  EXPECT_EQ(check(token("EdDSA", claims)).kind, TokenResult::Kind::ok);
  claims["aud"] = json::array{"other", "postern-x"};
  expect_refused(token("EdDSA", claims), "wrong audience");
  claims["aud"] = json::array{};
  expect_refused(token("EdDSA", claims), "wrong audience");
  claims["aud"] = json::array{"postern", 7};
  expect_refused(token("EdDSA", claims), "aud array holds a non-string");
  claims["aud"] = "Postern";  // StringOrURI compares case-sensitively (RFC 7519 §2)
  expect_refused(token("EdDSA", claims), "wrong audience \"Postern\"");
  claims["aud"] = 5;
  expect_refused(token("EdDSA", claims), "aud claim is neither");
  claims.erase("aud");
  expect_refused(token("EdDSA", claims), "no aud claim");
}

TEST_F(JwtTest, IssuerMustMatchExactly) {
  auto claims = good_claims();
  claims["iss"] = "https://idp.example/";
  expect_refused(token("ES256", claims), "wrong issuer \"https://idp.example/\"");
  claims["iss"] = 1;
  expect_refused(token("ES256", claims), "iss claim is not a string");
  claims.erase("iss");
  expect_refused(token("ES256", claims), "no iss claim");
}

TEST_F(JwtTest, ExpiryAndLeewayBoundaries) {
  auto claims = good_claims();
  claims["exp"] = t - 59;  // within the 60 s leeway
  EXPECT_EQ(check(token("EdDSA", claims)).kind, TokenResult::Kind::ok);
  claims["exp"] = t - 60;  // RFC 7519 §4.1.4: now must be before exp (+ leeway)
  expect_refused(token("EdDSA", claims), "expired");
  claims["exp"] = t - 100000;
  expect_refused(token("EdDSA", claims), "expired");
  claims["exp"] = static_cast<double>(t) - 59.5;  // NumericDate may have a fraction
  EXPECT_EQ(check(token("EdDSA", claims)).kind, TokenResult::Kind::ok);
  claims["exp"] = std::to_string(t + 600);
  expect_refused(token("EdDSA", claims), "exp claim is not a NumericDate");
  claims.erase("exp");
  expect_refused(token("EdDSA", claims), "no exp claim");
}

TEST_F(JwtTest, NotBeforeAndIssuedAtInTheFuture) {
  auto claims = good_claims();
  claims["nbf"] = t + 60;
  EXPECT_EQ(check(token("RS256", claims)).kind, TokenResult::Kind::ok);
  claims["nbf"] = t + 61;
  expect_refused(token("RS256", claims), "not yet valid");
  claims["nbf"] = true;
  expect_refused(token("RS256", claims), "nbf claim is not a NumericDate");
  claims = good_claims();
  claims["iat"] = t + 60;
  EXPECT_EQ(check(token("RS256", claims)).kind, TokenResult::Kind::ok);
  claims["iat"] = t + 3600;
  expect_refused(token("RS256", claims), "issued in the future");
  claims.erase("iat");
  claims.erase("nbf");  // both optional
  EXPECT_EQ(check(token("RS256", claims)).kind, TokenResult::Kind::ok);
}

TEST_F(JwtTest, AccountClaim) {
  auto claims = good_claims();
  claims.erase("email");
  expect_refused(token("EdDSA", claims), "no email claim");
  claims["email"] = "";
  expect_refused(token("EdDSA", claims), "email claim is empty");
  claims["email"] = json::array{"a@b.c"};
  expect_refused(token("EdDSA", claims), "email claim is not a string");
  for (const char* bad : {"alice", "@example.test", "alice@", "al ice@example.test", "alice@example.test\r\n"}) {
    claims["email"] = bad;
    expect_refused(token("EdDSA", claims), "is not an address");
  }
  claims["email"] = "bob@Example.Test";
  claims["email_verified"] = false;  // OpenID Connect Core §5.1
  expect_refused(token("EdDSA", claims), "email not verified");
  claims["email_verified"] = true;
  EXPECT_EQ(check(token("EdDSA", claims)).subject, "bob@example.test");

  JwtValidator by_username({test::verify_key(ed_key())},
                           JwtRules{"https://idp.example", "postern", "preferred_username", 60s});
  claims["preferred_username"] = "Carol@EXAMPLE.test";
  TokenResult r = by_username.validate(token("EdDSA", claims), now);
  EXPECT_EQ(r.kind, TokenResult::Kind::ok) << r.reason;
  EXPECT_EQ(r.subject, "Carol@example.test");
  claims.erase("preferred_username");
  EXPECT_EQ(by_username.validate(token("EdDSA", claims), now).reason, "no preferred_username claim");
}

// One bit flipped in a decoded part, re-encoded: still well-formed, no longer what was signed.
std::string flip_bit(const std::string& tok, int part, std::size_t byte_from_end, unsigned char bit) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = tok.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(tok.substr(start, dot - start));
  }
  parts.push_back(tok.substr(start));
  std::string bytes = *base64url_decode(parts[part]);
  bytes[bytes.size() - 1 - byte_from_end] ^= static_cast<char>(bit);
  parts[part] = base64url_encode(bytes);
  return parts[0] + "." + parts[1] + "." + parts[2];
}

TEST_F(JwtTest, OneFlippedBitAnywhereBreaksTheSignature) {
  for (const char* alg : {"RS256", "ES256", "EdDSA"}) {
    // A header and payload that end in a string value, so the flipped bit keeps them JSON.
    json::object h{{"alg", alg}, {"pad", "A"}};
    auto claims = good_claims();
    claims["jti"] = "A";
    const auto& key = std::string_view(alg) == "RS256" ? rsa_key() : std::string_view(alg) == "ES256" ? ec_key() : ed_key();
    std::string tok = make_token(key, alg, json::serialize(h), json::serialize(claims));
    ASSERT_EQ(check(tok).kind, TokenResult::Kind::ok) << alg;
    expect_refused(flip_bit(tok, 0, 2, 0x01), "bad signature");  // "A" -> "@"
    expect_refused(flip_bit(tok, 1, 2, 0x01), "bad signature");
    expect_refused(flip_bit(tok, 2, 0, 0x01), "bad signature");
    expect_refused(flip_bit(tok, 2, 40, 0x80), "bad signature");
  }
}

// Every single-character change and every truncation of a valid token is refused: the
// validator's answer to "split the input at every position".
TEST_F(JwtTest, EveryMutationAndTruncationIsRefused) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
  for (const char* alg : {"ES256", "EdDSA", "RS256"}) {
    std::string tok = token(alg, good_claims());
    ASSERT_EQ(check(tok).kind, TokenResult::Kind::ok);
    for (std::size_t i = 0; i < tok.size(); ++i) {
      std::string changed = tok;
      changed[i] = alphabet[(alphabet.find(tok[i]) + 1 + i % 7) % alphabet.size()];
      ASSERT_NE(changed, tok);
      EXPECT_EQ(check(changed).kind, TokenResult::Kind::invalid) << alg << " position " << i;
    }
    for (std::size_t len = 0; len < tok.size(); ++len) {
      EXPECT_EQ(check(tok.substr(0, len)).kind, TokenResult::Kind::invalid) << alg << " length " << len;
    }
    EXPECT_EQ(check(tok + "A").kind, TokenResult::Kind::invalid);
    EXPECT_EQ(check(tok + ".").kind, TokenResult::Kind::invalid);
  }
}

TEST_F(JwtTest, AlgNoneIsRefused) {
  std::string payload = base64url_encode(json::serialize(good_claims()));
  for (const char* none : {"none", "None", "NONE", "nOnE"}) {
    std::string h = base64url_encode(json::serialize(json::object{{"alg", none}}));
    expect_refused(h + "." + payload + ".", "alg none refused");
    expect_refused(h + "." + payload + ".AAAA", "alg none refused");
  }
  // RFC 7519 §6.1's unsecured JWT, header and all.
  expect_refused("eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.",
                 "alg none refused");
}

// The classic confusion: HS256 "signed" with the server's public key as the HMAC secret.
TEST_F(JwtTest, HmacWithThePublicKeyAsSecretIsRefused) {
  for (const auto& key : {rsa_key(), ec_key(), ed_key()}) {
    std::string secret = test::public_pem(key);
    for (const char* alg : {"HS256", "HS384", "HS512"}) {
      std::string input =
          base64url_encode(json::serialize(json::object{{"alg", alg}, {"typ", "JWT"}})) + "." +
          base64url_encode(json::serialize(good_claims()));
      std::string tok = input + "." + base64url_encode(test::hmac_sha256(secret, input));
      expect_refused(tok, "refused (shared-secret HMAC)");
    }
  }
  // RFC 7515 Appendix A.1, a genuine HS256 JWS.
  expect_refused(
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLm"
      "NvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
      "alg \"HS256\" refused");
}

TEST_F(JwtTest, AlgorithmMustFitTheKey) {
  std::string claims = json::serialize(good_claims());
  // An EC signature under an RS256 header: only RSA keys are tried, and 64 bytes is no RSA-2048 signature.
  expect_refused(make_token(ec_key(), "ES256", header("RS256"), claims), "signature of 64 bytes cannot be RS256");
  // The same, naming the EC key: the EC key is not used for RS256.
  expect_refused(make_token(ec_key(), "ES256", header("RS256", "ec-1"), claims),
                 "alg RS256 does not fit the keys tried (EC P-256)");
  // An Ed25519 signature under ES256 (both 64 bytes): the EC key refuses it.
  expect_refused(make_token(ed_key(), "EdDSA", header("ES256"), claims), "bad signature");
  // An RSA signature under EdDSA.
  expect_refused(make_token(rsa_key(), "RS256", header("EdDSA"), claims), "signature of 256 bytes cannot be EdDSA");
  expect_refused(make_token(rsa_key(), "RS256", header("EdDSA", "rsa-1"), claims), "does not fit the keys tried (RSA)");
  // ES256 with OpenSSL's DER signature instead of JOSE's R || S.
  std::string input = base64url_encode(header("ES256")) + "." + base64url_encode(claims);
  std::string der = test::raw_sign(ec_key(), EVP_sha256(), input);
  expect_refused(input + "." + base64url_encode(der), "cannot be ES256");
  // Only RSA keys configured: an ES256 token finds none.
  JwtValidator rsa_only({test::verify_key(rsa_key())}, JwtRules{"https://idp.example", "postern", "email", 60s});
  EXPECT_EQ(rsa_only.validate(token("ES256", good_claims()), now).reason, "alg ES256 does not fit the keys tried (RSA)");
}

TEST_F(JwtTest, UnsupportedAlgorithmsAreRefusedByName) {
  std::string claims = json::serialize(good_claims());
  for (const char* alg : {"RS384", "RS512", "PS256", "ES384", "ES512", "ES256K", "Ed25519", "rs256", ""}) {
    expect_refused(make_token(rsa_key(), "RS256", header(alg), claims), "unsupported alg");
  }
  expect_refused(make_token(ed_key(), "EdDSA", R"({"typ":"JWT"})", claims), "header has no alg");
  expect_refused(make_token(ed_key(), "EdDSA", R"({"alg":["EdDSA"]})", claims), "header alg is not a string");
}

TEST_F(JwtTest, HeaderRules) {
  std::string claims = json::serialize(good_claims());
  auto with = [&](std::string_view h) { return make_token(ed_key(), "EdDSA", h, claims); };
  expect_refused(with(R"({"alg":"EdDSA","crit":["exp"],"exp":1})"), "header crit not supported");
  expect_refused(with(R"({"alg":"EdDSA","b64":false,"crit":["b64"]})"), "header crit not supported");
  for (const char* typ : {"JWT", "jwt", "at+jwt", "application/at+jwt", "application/JWT"}) {
    EXPECT_EQ(check(with(std::string(R"({"alg":"EdDSA","typ":")") + typ + "\"}")).kind, TokenResult::Kind::ok) << typ;
  }
  expect_refused(with(R"({"alg":"EdDSA","typ":"dpop+jwt"})"), "header typ \"dpop+jwt\" is not JWT");
  expect_refused(with(R"({"alg":"EdDSA","typ":1})"), "header typ is not a string");
  expect_refused(with(R"({"alg":"EdDSA","kid":7})"), "header kid is not a string");
  // A key embedded in the header is never trusted: the token below is signed by a stranger.
  auto stranger = test::generate("ED25519");
  std::string embedded = make_token(stranger, "EdDSA", R"({"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"AA"}})", claims);
  expect_refused(embedded, "bad signature");
  // Repeated members: the lexically last counts (RFC 7515 §5.2 step 4).
  expect_refused(with(R"({"alg":"EdDSA","alg":"none"})"), "alg none refused");
  EXPECT_EQ(check(with(R"({"alg":"none","alg":"EdDSA"})")).kind, TokenResult::Kind::ok);
}

TEST_F(JwtTest, MalformedTokens) {
  std::string good = token("EdDSA", good_claims());
  std::size_t d1 = good.find('.');
  std::size_t d2 = good.find('.', d1 + 1);
  std::string h = good.substr(0, d1), p = good.substr(d1 + 1, d2 - d1 - 1), s = good.substr(d2 + 1);
  expect_refused("", "empty token");
  expect_refused(h + "." + p, "not a compact JWS (2 parts, 3 needed)");
  expect_refused(h + "." + p + "." + s + ".", "not a compact JWS (4 parts");
  expect_refused(h + ".." + p + "." + s + "." + s, "JWE) are not accepted");
  expect_refused("abc", "(1 parts");
  expect_refused(h + "=." + p + "." + s, "header is not base64url");  // padding is not base64url
  expect_refused(h + "." + p + "." + s + "==", "signature is not base64url");
  expect_refused(h + "." + p + " ." + s, "payload is not base64url");
  std::string std_b64 = p;
  for (char& c : std_b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (std_b64 != p) expect_refused(h + "." + std_b64 + "." + s, "payload is not base64url");
  expect_refused(h + "." + p + ".", "empty signature");
  expect_refused("." + p + "." + s, "header is not JSON");
  auto enc = [](std::string_view text) { return base64url_encode(text); };
  expect_refused(enc("{\"alg\":\"EdDSA\"") + "." + p + "." + s, "header is not JSON");
  expect_refused(enc("[\"EdDSA\"]") + "." + p + "." + s, "header is not a JSON object");
  expect_refused(enc("{\"alg\":\"EdDSA\",}") + "." + p + "." + s, "header is not JSON");  // no trailing commas
  expect_refused(enc("{\"alg\":\"EdDSA\"} x") + "." + p + "." + s, "header is not JSON");
  expect_refused(enc("{\"alg\":\"EdDSA\",\"x\":\"\xff\"}") + "." + p + "." + s, "header is not JSON");  // not UTF-8
  std::string deep = std::string(20, '[') + std::string(20, ']');
  expect_refused(enc("{\"alg\":\"EdDSA\",\"x\":" + deep + "}") + "." + p + "." + s, "header is not JSON");
  // A signed payload that is not a JSON object.
  std::string hdr = header("EdDSA");
  expect_refused(make_token(ed_key(), "EdDSA", hdr, "not json"), "payload is not JSON");
  expect_refused(make_token(ed_key(), "EdDSA", hdr, "[1,2]"), "payload is not a JSON object");
  auto deep_claims = good_claims();
  deep_claims["x"] = json::parse(deep);
  expect_refused(make_token(ed_key(), "EdDSA", hdr, json::serialize(deep_claims)), "payload is not JSON");
}

TEST_F(JwtTest, SizeIsBounded) {
  auto claims = good_claims();
  claims["filler"] = "";
  std::string tok = token("EdDSA", claims);
  const std::size_t fill = (max_token_size - tok.size()) * 3 / 4 - 1;
  claims["filler"] = std::string(fill, 'x');
  tok = token("EdDSA", claims);
  ASSERT_LE(tok.size(), max_token_size);
  ASSERT_GT(tok.size(), max_token_size - 8);
  EXPECT_EQ(check(tok).kind, TokenResult::Kind::ok);
  claims["filler"] = std::string(fill + 8, 'x');
  expect_refused(token("EdDSA", claims), "is too long");
  expect_refused(std::string(1 << 20, 'A'), "token of 1048576 bytes is too long");
}

TEST_F(JwtTest, ManyThreadsAtOnce) {
  std::vector<std::string> tokens = {token("RS256", good_claims()), token("ES256", good_claims()),
                                     token("EdDSA", good_claims()), flip_bit(token("EdDSA", good_claims()), 2, 0, 1)};
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < 50; ++n) {
        for (std::size_t k = 0; k < tokens.size(); ++k) {
          bool valid = check(tokens[k]).kind == TokenResult::Kind::ok;
          (valid == (k < 3) ? ok : refused)++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4 * 50 * 4);
  EXPECT_EQ(refused.load(), 0);
}

// ---- RFC vectors ---------------------------------------------------------------------------

const char* const rfc7515_payload = "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
const std::chrono::system_clock::time_point in_2011{std::chrono::seconds{1300819000}};

std::string refusal(const std::string& tok, std::span<const VerifyKey> keys) {
  auto r = verify_compact_jws(tok, keys);
  return r ? "accepted" : r.error();
}

VerifyKey jwk_key(const std::string& jwk) {
  auto set = parse_jwks("{\"keys\":[" + jwk + "]}", "rfc");
  if (!set) throw std::runtime_error(set.error().message);
  return set->keys.at(0);
}

// RFC 7515 Appendix A.2: RS256 (deterministic, so the published signature is the only one).
TEST(JwtRfcVectors, Rfc7515AppendixA2Rs256) {
  VerifyKey key = jwk_key(
      R"({"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"})");
  const std::string tok =
      "eyJhbGciOiJSUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t"
      "1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jz"
      "DwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe"
      "77Rw";
  std::vector<VerifyKey> keys{key};
  auto jws = verify_compact_jws(tok, keys);
  ASSERT_TRUE(jws) << jws.error();
  EXPECT_EQ(jws->header, "{\"alg\":\"RS256\"}");
  EXPECT_EQ(jws->payload, rfc7515_payload);
  EXPECT_EQ(jws->alg, JwsAlg::rs256);
  // Through the validator: signature and times pass; the example has no "aud".
  JwtValidator v(keys, JwtRules{"joe", "postern", "email", 60s});
  EXPECT_EQ(v.validate(tok, in_2011).reason, "no aud claim");
  EXPECT_EQ(v.validate(tok, now).reason, "expired");
  EXPECT_EQ(refusal(flip_bit(tok, 2, 0, 1), keys), "bad signature");
}

// RFC 7515 Appendix A.3: ES256, the published R || S verified as is.
TEST(JwtRfcVectors, Rfc7515AppendixA3Es256) {
  VerifyKey key = jwk_key(
      R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");
  const std::string tok =
      "eyJhbGciOiJFUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  std::vector<VerifyKey> keys{key};
  auto jws = verify_compact_jws(tok, keys);
  ASSERT_TRUE(jws) << jws.error();
  EXPECT_EQ(jws->header, "{\"alg\":\"ES256\"}");
  EXPECT_EQ(jws->payload, rfc7515_payload);
  JwtValidator v(keys, JwtRules{"joe", "postern", "email", 60s});
  EXPECT_EQ(v.validate(tok, in_2011).reason, "no aud claim");
  for (std::size_t byte : {0u, 31u, 32u, 63u}) {
    EXPECT_EQ(refusal(flip_bit(tok, 2, byte, 0x10), keys), "bad signature") << byte;
  }
}

// RFC 8037 Appendix A.4/A.5: Ed25519 over a payload that is not JSON.
TEST(JwtRfcVectors, Rfc8037AppendixA4Ed25519) {
  const std::string d = *base64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
  VerifyKey key = jwk_key(R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const std::string signature = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
  // Ed25519 is deterministic: signing with the published private key gives the published bytes.
  test::PkeyPtr priv(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                  reinterpret_cast<const unsigned char*>(d.data()), d.size()),
                     EVP_PKEY_free);
  ASSERT_TRUE(priv);
  EXPECT_EQ(base64url_encode(test::jose_sign(priv, "EdDSA", input)), signature);
  std::vector<VerifyKey> keys{key};
  auto jws = verify_compact_jws(input + "." + signature, keys);
  ASSERT_TRUE(jws) << jws.error();
  EXPECT_EQ(jws->header, "{\"alg\":\"EdDSA\"}");
  EXPECT_EQ(jws->payload, "Example of Ed25519 signing");
  JwtValidator v(keys, JwtRules{"joe", "postern", "email", 60s});
  EXPECT_NE(v.validate(input + "." + signature, now).reason.find("payload is not JSON"), std::string::npos);
  EXPECT_EQ(refusal(flip_bit(input + "." + signature, 2, 5, 4), keys), "bad signature");
}

// ---- base64url ------------------------------------------------------------------------------

TEST(Base64Url, Rfc4648Section10VectorsWithoutPadding) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg"},         {"fo", "Zm8"},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg"},  {"fooba", "Zm9vYmE"},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded), std::optional<std::string>(plain));
  }
  // RFC 7515 Appendix A.1.1: the header with its CR LF encodes as published.
  EXPECT_EQ(base64url_encode("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"), "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
  EXPECT_EQ(base64url_encode("\xfb\xff\xfe"), "-__-");
}

TEST(Base64Url, StrictDecoding) {
  for (const char* bad : {"Zg==", "Zg=", "Z", "Zm9vY", "Zh", "Zm9=", "Zm+v", "Zm/v", " Zm9v", "Zm9v\n", "Zm 9v", "Zm9vYmF="}) {
    EXPECT_FALSE(base64url_decode(bad).has_value()) << bad;
  }
  // Every length and byte value round-trips, and the encoding is the only one accepted.
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes += static_cast<char>((i * 167 + 13) & 0xff);
    std::string enc = base64url_encode(bytes);
    ASSERT_EQ(base64url_decode(enc), bytes);
    ASSERT_EQ(enc.find_first_of("+/="), std::string::npos);
  }
}

}  // namespace
}  // namespace postern::auth
