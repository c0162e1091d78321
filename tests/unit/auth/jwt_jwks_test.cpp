// Keys for token validation: JWK Sets (RFC 7517), PEM files, RFC 7638 thumbprints, and the
// start-up errors of make_jwt_validator.

#include <openssl/core_names.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/jwks.hpp"
#include "auth/jwt.hpp"
#include "fakes.hpp"
#include "jwt_test_keys.hpp"

namespace postern::auth {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using test::ec_key;
using test::ed_key;
using test::rsa_key;

std::string bn_b64(const EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(key, name, &bn);
  std::string out(pad != 0 ? static_cast<std::size_t>(pad) : static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return base64url_encode(out);
}

// The public JWK of a key made in the test, built with OpenSSL rather than the code under test.
json::object jwk_of(const test::PkeyPtr& key) {
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    return {{"kty", "RSA"}, {"n", bn_b64(key.get(), OSSL_PKEY_PARAM_RSA_N)}, {"e", bn_b64(key.get(), OSSL_PKEY_PARAM_RSA_E)}};
  }
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    return {{"kty", "EC"},
            {"crv", "P-256"},
            {"x", bn_b64(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)},
            {"y", bn_b64(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)}};
  }
  unsigned char raw[32];
  std::size_t len = sizeof raw;
  EVP_PKEY_get_raw_public_key(key.get(), raw, &len);
  return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(std::string_view(reinterpret_cast<char*>(raw), len))}};
}

std::string set_of(std::initializer_list<json::value> keys) {
  return json::serialize(json::object{{"keys", json::array(keys.begin(), keys.end())}});
}

std::string error_of(const std::string& text) {
  auto set = parse_jwks(text, "jwks.json");
  return set ? "parsed" : set.error().message;
}

std::string skipped_of(json::object jwk) {
  auto set = parse_jwks(set_of({jwk, jwk_of(ed_key())}), "jwks.json");
  if (!set) return "error: " + set.error().message;
  return set->skipped.empty() ? "none" : set->skipped[0];
}

TEST(Jwks, ParsesEachKeyTypeWithKidAndAlg) {
  auto rsa = jwk_of(rsa_key());
  rsa["kid"] = "r1";
  rsa["alg"] = "RS256";
  rsa["use"] = "sig";
  auto ec = jwk_of(ec_key());
  ec["kid"] = "e1";
  ec["key_ops"] = json::array{"verify"};
  auto ed = jwk_of(ed_key());
  ed["x5t"] = "ignored";
  auto set = parse_jwks(set_of({rsa, ec, ed}), "jwks.json");
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->keys.size(), 3u);
  EXPECT_TRUE(set->skipped.empty());
  EXPECT_EQ(set->keys[0].kind(), KeyKind::rsa);
  EXPECT_EQ(set->keys[0].kid(), "r1");
  EXPECT_EQ(set->keys[0].alg(), JwsAlg::rs256);
  EXPECT_EQ(set->keys[0].origin(), "jwks.json keys[0]");
  EXPECT_EQ(set->keys[1].kind(), KeyKind::ec_p256);
  EXPECT_EQ(set->keys[1].kid(), "e1");
  EXPECT_FALSE(set->keys[1].alg().has_value());
  EXPECT_EQ(set->keys[2].kind(), KeyKind::ed25519);
  EXPECT_TRUE(set->keys[2].kid().empty());
  // The same keys from PEM have the same thumbprints.
  EXPECT_EQ(set->keys[0].thumbprint(), test::verify_key(rsa_key()).thumbprint());
  EXPECT_EQ(set->keys[1].thumbprint(), test::verify_key(ec_key()).thumbprint());
  EXPECT_EQ(set->keys[2].thumbprint(), test::verify_key(ed_key()).thumbprint());
  // And they verify what the keys sign.
  std::string input = "header.payload";
  EXPECT_EQ(set->keys[1].verify(JwsAlg::es256, input, test::jose_sign(ec_key(), "ES256", input)), SignatureCheck::valid);
  EXPECT_EQ(set->keys[2].verify(JwsAlg::eddsa, input, test::jose_sign(ed_key(), "EdDSA", input)), SignatureCheck::valid);
  EXPECT_EQ(set->keys[0].verify(JwsAlg::rs256, input, test::jose_sign(rsa_key(), "RS256", input)), SignatureCheck::valid);
  EXPECT_EQ(set->keys[0].verify(JwsAlg::rs256, "other", test::jose_sign(rsa_key(), "RS256", input)),
            SignatureCheck::invalid);
}

// RFC 7638 §3.1 (RSA) and RFC 8037 Appendix A.3 (Ed25519): the published thumbprints.
TEST(Jwks, ThumbprintVectors) {
  auto set = parse_jwks(
      R"({"keys":[{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"},)"
      R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})",
      "rfc");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->keys[0].thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(set->keys[0].kid(), "2011-04-29");
  EXPECT_EQ(set->keys[1].thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

TEST(Jwks, SkipsKeysThatAreNotForSignatures) {
  auto enc = jwk_of(rsa_key());
  enc["use"] = "enc";
  EXPECT_EQ(skipped_of(enc), "keys[0]: use \"enc\"");
  auto ops = jwk_of(ec_key());
  ops["key_ops"] = json::array{"encrypt", "wrapKey"};
  EXPECT_EQ(skipped_of(ops), "keys[0]: key_ops without \"verify\"");
  EXPECT_EQ(skipped_of({{"kty", "oct"}}), "keys[0]: kty \"oct\"");
  EXPECT_EQ(skipped_of({{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}}), "keys[0]: kty \"EC\" crv \"P-384\"");
  EXPECT_EQ(skipped_of({{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AA"}}), "keys[0]: kty \"OKP\" crv \"X25519\"");
  auto ps = jwk_of(rsa_key());
  ps["alg"] = "PS256";
  EXPECT_EQ(skipped_of(ps), "keys[0]: alg \"PS256\"");
  // Nothing usable at all is an error that says what was passed over.
  std::string only_enc = set_of({enc});
  EXPECT_EQ(error_of(only_enc), "jwks.json: no usable key (RS256, ES256 or EdDSA) (skipped keys[0]: use \"enc\")");
}

TEST(Jwks, RefusesMalformedMembers) {
  auto with = [](json::object jwk, std::string_view member, json::value v) {
    jwk[member] = std::move(v);
    return error_of(set_of({jwk}));
  };
  auto without = [](json::object jwk, std::string_view member) {
    jwk.erase(member);
    return error_of(set_of({jwk}));
  };
  auto rsa = jwk_of(rsa_key());
  auto ec = jwk_of(ec_key());
  auto ed = jwk_of(ed_key());
  EXPECT_EQ(with(ed, "d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"),
            "jwks.json keys[0]: holds private key material (\"d\"); give public keys only");
  EXPECT_NE(with(rsa, "p", "AQAB").find("private key material (\"p\")"), std::string::npos);
  EXPECT_NE(with({{"kty", "oct"}}, "k", "c2VjcmV0").find("private key material (\"k\")"), std::string::npos);
  EXPECT_EQ(without(rsa, "n"), "jwks.json keys[0]: \"n\" missing");
  EXPECT_EQ(with(rsa, "n", json::string(base64url_encode('\0' + *base64url_decode(rsa["n"].as_string())))),
            "jwks.json keys[0]: \"n\" has a leading zero octet (RFC 7518 §6.3.1.1)");
  EXPECT_EQ(with(rsa, "e", 65537), "jwks.json keys[0]: \"e\" is not a string");
  EXPECT_EQ(with(rsa, "n", json::string(std::string(rsa["n"].as_string()) + "=")), "jwks.json keys[0]: \"n\" is not base64url");
  EXPECT_EQ(with(ec, "x", "AAAA"), "jwks.json keys[0]: \"x\" is 3 bytes, not 32");
  EXPECT_EQ(without(ec, "y"), "jwks.json keys[0]: \"y\" missing");
  EXPECT_EQ(without(ec, "crv"), "jwks.json keys[0]: \"crv\" missing");
  EXPECT_EQ(with(ed, "x", json::string(base64url_encode(std::string(31, 'a')))), "jwks.json keys[0]: \"x\" is 31 bytes, not 32");
  EXPECT_EQ(without(ed, "kty"), "jwks.json keys[0]: \"kty\" missing");
  EXPECT_EQ(with(ed, "kid", 7), "jwks.json keys[0]: \"kid\" is not a string");
  EXPECT_EQ(with(ed, "use", json::array{"sig"}), "jwks.json keys[0]: \"use\" is not a string");
  EXPECT_EQ(with(ed, "key_ops", "verify"), "jwks.json keys[0]: \"key_ops\" is not an array");
  EXPECT_EQ(with(rsa, "alg", "ES256"), "jwks.json keys[0]: alg \"ES256\" does not fit a RSA key");
  EXPECT_EQ(with(ec, "alg", "EdDSA"), "jwks.json keys[0]: alg \"EdDSA\" does not fit a EC P-256 key");
  // A point that is not on the curve (x and y of another point swapped).
  auto off = ec;
  off["x"] = ec["y"];
  off["y"] = ec["x"];
  EXPECT_NE(error_of(set_of({off})).find("not a point on P-256"), std::string::npos);
  // An RSA key that is too small.
  auto small = jwk_of(test::generate("RSA", "1024"));
  EXPECT_EQ(error_of(set_of({small})), "jwks.json keys[0]: RSA key of 1024 bits (at least 2048 needed)");
  // The set itself.
  EXPECT_NE(error_of("{").find("jwks.json: not JSON"), std::string::npos);
  EXPECT_EQ(error_of("[]"), "jwks.json: not a JWK Set (a JSON object with \"keys\")");
  EXPECT_EQ(error_of("{\"keys\":{}}"), "jwks.json: no \"keys\" array (RFC 7517 §5)");
  EXPECT_EQ(error_of("{}"), "jwks.json: no \"keys\" array (RFC 7517 §5)");
  EXPECT_EQ(error_of("{\"keys\":[\"x\"]}"), "jwks.json keys[0]: not a JSON object");
  EXPECT_EQ(error_of("{\"keys\":[]}"), "jwks.json: no usable key (RS256, ES256 or EdDSA)");
  // Index of the bad key among good ones.
  auto ec_no_x = ec;
  ec_no_x.erase("x");
  EXPECT_EQ(error_of(set_of({ed, rsa, ec_no_x})), "jwks.json keys[2]: \"x\" missing");
}

TEST(PemKeys, EachKindAndTheRefusals) {
  for (const auto& key : {rsa_key(), ec_key(), ed_key()}) {
    auto k = parse_pem_public_key(test::public_pem(key), "k.pem");
    ASSERT_TRUE(k) << k.error().message;
    EXPECT_EQ(k->thumbprint(), test::verify_key(key).thumbprint());
    EXPECT_EQ(k->origin(), "k.pem");
  }
  EXPECT_EQ(parse_pem_public_key(test::public_pem(test::generate("RSA", "1024")), "k.pem").error().message,
            "k.pem: RSA key of 1024 bits (at least 2048 needed)");
  EXPECT_EQ(parse_pem_public_key(test::public_pem(test::generate("EC", "P-384")), "k.pem").error().message,
            "k.pem: EC key not on curve P-256");
  EXPECT_NE(parse_pem_public_key(test::public_pem(test::generate("ED448")), "k.pem").error().message.find(
                "k.pem: unsupported key type ED448"),
            std::string::npos);
  EXPECT_EQ(parse_pem_public_key(test::private_pem(ed_key()), "k.pem").error().message,
            "k.pem: holds a private key; give the public key");
  EXPECT_EQ(parse_pem_public_key(test::public_pem(ed_key()) + test::public_pem(ec_key()), "k.pem").error().message,
            "k.pem: more than one PEM block (give one key per file)");
  EXPECT_EQ(parse_pem_public_key("hello", "k.pem").error().message, "k.pem: no PEM block");
  EXPECT_NE(parse_pem_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "k.pem")
                .error()
                .message.find("k.pem: not a PEM public key"),
            std::string::npos);
}

// ---- make_jwt_validator ------------------------------------------------------------------------

config::OAuth oauth_with(std::vector<std::filesystem::path> pems, std::filesystem::path jwks = {}) {
  config::OAuth o;
  o.enabled = true;
  o.issuer = "https://idp.example";
  o.audience = "postern";
  o.public_keys = std::move(pems);
  o.jwks_file = std::move(jwks);
  return o;
}

std::string token_for(const test::PkeyPtr& key, const char* alg, std::int64_t t) {
  json::object claims{{"iss", "https://idp.example"}, {"aud", "postern"}, {"email", "a@example.test"}, {"exp", t + 60}};
  return test::make_token(key, alg, json::serialize(json::object{{"alg", alg}}), json::serialize(claims));
}

TEST(MakeJwtValidator, LoadsPemFilesAndAJwks) {
  test::TempDir dir;
  testing::FakeClock clock;
  auto ed_pem = dir.write("ed.pem", test::public_pem(ed_key()));
  auto rsa_pem = dir.write("rsa.pem", test::public_pem(rsa_key()));
  auto jwks = dir.write("jwks.json", set_of({jwk_of(ec_key())}));
  auto v = make_jwt_validator(oauth_with({ed_pem, rsa_pem}, jwks), clock);
  ASSERT_TRUE(v) << v.error().message;
  std::int64_t t = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  std::vector<std::pair<test::PkeyPtr, const char*>> cases{{ed_key(), "EdDSA"}, {rsa_key(), "RS256"}, {ec_key(), "ES256"}};
  for (const auto& [key, alg] : cases) {
    TokenResult r = (*v)->validate(token_for(key, alg, t), clock.now());
    EXPECT_EQ(r.kind, TokenResult::Kind::ok) << alg << ": " << r.reason;
    EXPECT_EQ(r.subject, "a@example.test");
  }
  // A key that is not configured.
  auto stranger = test::generate("ED25519");
  EXPECT_EQ((*v)->validate(token_for(stranger, "EdDSA", t), clock.now()).reason, "bad signature");
}

TEST(MakeJwtValidator, StartUpErrorsNameTheFile) {
  test::TempDir dir;
  testing::FakeClock clock;
  auto good = dir.write("good.pem", test::public_pem(ed_key()));
  auto error = [&](config::OAuth o) {
    auto v = make_jwt_validator(o, clock);
    return v ? std::string("loaded") : v.error().message;
  };
  auto missing = dir.path() / "missing.pem";
  EXPECT_EQ(error(oauth_with({good, missing})), missing.string() + ": cannot open: No such file or directory");
  auto small = dir.write("small.pem", test::public_pem(test::generate("RSA", "1024")));
  EXPECT_EQ(error(oauth_with({small})), small.string() + ": RSA key of 1024 bits (at least 2048 needed)");
  auto priv = dir.write("issuer.key", test::private_pem(ed_key()));
  EXPECT_EQ(error(oauth_with({priv})), priv.string() + ": holds a private key; give the public key");
  auto bad_jwks = dir.write("jwks.json", "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}]}");
  EXPECT_EQ(error(oauth_with({good}, bad_jwks)), bad_jwks.string() + " keys[0]: \"x\" missing");
  EXPECT_EQ(error(oauth_with({good}, dir.path() / "none.json")),
            (dir.path() / "none.json").string() + ": cannot open: No such file or directory");
  auto big = dir.write("big.json", std::string(max_key_file_size + 1, ' '));
  EXPECT_EQ(error(oauth_with({}, big)), big.string() + ": larger than 1 MiB");
  EXPECT_EQ(error(oauth_with({})), "[oauth] has no key: set public_keys or jwks_file");
  auto o = oauth_with({good});
  o.issuer.clear();
  EXPECT_EQ(error(o), "[oauth] issuer is empty");
  o = oauth_with({good});
  o.audience.clear();
  EXPECT_EQ(error(o), "[oauth] audience is empty");
  o = oauth_with({good});
  o.account_claim.clear();
  EXPECT_EQ(error(o), "[oauth] account_claim is empty");
  o = oauth_with({good});
  o.leeway = -1s;
  EXPECT_EQ(error(o), "[oauth] leeway is negative");
  EXPECT_EQ(error(oauth_with({good})), "loaded");
}

}  // namespace
}  // namespace postern::auth
