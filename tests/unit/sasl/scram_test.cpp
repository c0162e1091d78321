#include "sasl/scram.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.hpp"
#include "fakes.hpp"
#include "sasl_test_util.hpp"
#include "scram_client.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

const std::string fake_secret(32, 's');

ScramVerifier verifier_for(ScramHash hash, std::string_view password, std::string_view salt_b64,
                           std::uint32_t iterations = 4096) {
  auto v = scram_verifier(hash, password, base::base64_decode(salt_b64).value_or(""), iterations);
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message);
  return v.value_or(ScramVerifier{});
}

std::unique_ptr<Mechanism> scram(ScramHash hash, std::string server_nonce, bool plus = false,
                                 std::vector<ChannelBinding> bindings = {}, bool plus_advertised = false) {
  ScramOptions o;
  o.hash = hash;
  o.plus = plus;
  o.channel_bindings = std::move(bindings);
  o.plus_advertised = plus_advertised;
  o.server_nonce = std::move(server_nonce);
  o.fake_salt_secret = fake_secret;
  return make_scram(std::move(o));
}

// Drives a mechanism to the server-first-message; returns it, or "" after a test failure.
std::string to_server_first(Mechanism& m, std::string_view client_first, const ScramVerifierAnswer& answer) {
  Step step = m.start(client_first);
  if (as_request<NeedScramVerifier>(step) == nullptr) {
    ADD_FAILURE() << "expected NeedScramVerifier, got " << show(step);
    return {};
  }
  step = m.resume(answer);
  const auto* c = as_challenge(step);
  if (c == nullptr) {
    ADD_FAILURE() << "expected the server-first-message, got " << show(step);
    return {};
  }
  return c->data;
}

TEST(Scram, Rfc5802Sha1Example) {
  // RFC 5802 §5: user "user", password "pencil".
  auto m = scram(ScramHash::sha1, "3rfcNHYJY1ZVvWVs7j");
  EXPECT_EQ(m->name(), "SCRAM-SHA-1");
  Step step = m->start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  const auto* req = as_request<NeedScramVerifier>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->hash, ScramHash::sha1);
  EXPECT_EQ(req->authcid, "user");
  EXPECT_EQ(req->authzid, "");

  step = m->resume(ScramVerifierAnswer{Verdict::ok, verifier_for(ScramHash::sha1, "pencil", "QSXCR+Q6sek8bf92")});
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");

  // The independent client computes the RFC's client-final-message byte for byte.
  ScramClient client(ScramHash::sha1, "n,,", "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_EQ(client.first(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  EXPECT_EQ(client.final_message(c->data),
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");

  step = m->next("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "user");
  EXPECT_EQ(ok->authzid, "");
  EXPECT_EQ(ok->server_final, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

TEST(Scram, Rfc7677Sha256Example) {
  // RFC 7677 §3: user "user", password "pencil".
  auto m = scram(ScramHash::sha256, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  EXPECT_EQ(m->name(), "SCRAM-SHA-256");
  // Without an initial response: an empty challenge first (RFC 4954 §4 "334 ").
  Step step = m->start(std::nullopt);
  const auto* empty = as_challenge(step);
  ASSERT_NE(empty, nullptr) << show(step);
  EXPECT_EQ(empty->data, "");
  step = m->next("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  ASSERT_NE(as_request<NeedScramVerifier>(step), nullptr) << show(step);
  step = m->resume(
      ScramVerifierAnswer{Verdict::ok, verifier_for(ScramHash::sha256, "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==")});
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");

  ScramClient client(ScramHash::sha256, "n,,", "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  EXPECT_EQ(client.final_message(c->data),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");

  step = m->next(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->server_final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(Scram, VerifierMatchesTheRfcKeys) {
  // RFC 5802 §3: StoredKey = H(HMAC(SaltedPassword, "Client Key")). The test client derives the
  // same proof from the password; here the verifier alone must reproduce the RFC exchange for
  // both hashes, which it did above. Check the fields' shape too.
  auto v1 = verifier_for(ScramHash::sha1, "pencil", "QSXCR+Q6sek8bf92");
  EXPECT_EQ(v1.stored_key.size(), 20u);
  EXPECT_EQ(v1.server_key.size(), 20u);
  EXPECT_EQ(v1.iterations, 4096u);
  EXPECT_EQ(base::base64_encode(v1.salt), "QSXCR+Q6sek8bf92");
  auto v256 = verifier_for(ScramHash::sha256, "pencil", "W22ZaJ0SNY7soEsUEjb6gQ==");
  EXPECT_EQ(v256.stored_key.size(), 32u);
  EXPECT_NE(v256.stored_key, v256.server_key);
}

TEST(Scram, VerifierRefusesBadParameters) {
  EXPECT_FALSE(scram_verifier(ScramHash::sha256, "pencil", "salt", scram_min_iterations - 1).has_value());
  EXPECT_FALSE(scram_verifier(ScramHash::sha256, "pencil", "salt", scram_max_iterations + 1).has_value());
  EXPECT_FALSE(scram_verifier(ScramHash::sha256, "pencil", "", 4096).has_value());
  auto non_ascii = scram_verifier(ScramHash::sha256, "p\xc3\xa4ss", "salt", 4096);
  ASSERT_FALSE(non_ascii.has_value());
  EXPECT_NE(non_ascii.error().message.find("NFKC"), std::string::npos) << non_ascii.error().message;
  EXPECT_FALSE(scram_verifier(ScramHash::sha256,
                              "pen\x01"
                              "cil",
                              "salt", 4096)
                   .has_value());
}

TEST(Scram, VerifierAppliesSaslprepMappings) {
  auto plain = scram_verifier(ScramHash::sha256, "pencil", "salt", 4096);
  auto soft_hyphen = scram_verifier(ScramHash::sha256,
                                    "pen\xc2\xad"
                                    "cil",
                                    "salt", 4096);  // U+00AD
  auto spaced = scram_verifier(ScramHash::sha256, "pen cil", "salt", 4096);
  auto nbsp = scram_verifier(ScramHash::sha256,
                             "pen\xc2\xa0"
                             "cil",
                             "salt", 4096);  // U+00A0
  ASSERT_TRUE(plain && soft_hyphen && spaced && nbsp);
  EXPECT_EQ(soft_hyphen->stored_key, plain->stored_key);
  EXPECT_EQ(nbsp->stored_key, spaced->stored_key);
  EXPECT_NE(spaced->stored_key, plain->stored_key);
}

class ScramFlow : public ::testing::TestWithParam<ScramHash> {};

TEST_P(ScramFlow, ClientAndServerAgree) {
  ScramHash hash = GetParam();
  auto m = scram(hash, "SERVERNONCE");
  ScramClient client(hash, "n,,", "alice", "correct horse", "CLIENTNONCE");
  std::string first = to_server_first(*m, client.first(),
                                      {Verdict::ok, *scram_verifier(hash, "correct horse", "0123456789abcdef", 4096)});
  EXPECT_TRUE(first.starts_with("r=CLIENTNONCESERVERNONCE,s=MDEyMzQ1Njc4OWFiY2RlZg==,i=4096")) << first;
  Step step = m->next(client.final_message(first));
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->server_final, client.expected_server_final());
}

TEST_P(ScramFlow, WrongPasswordFails) {
  ScramHash hash = GetParam();
  auto m = scram(hash, "SERVERNONCE");
  ScramClient client(hash, "n,,", "alice", "wrong", "CLIENTNONCE");
  std::string first = to_server_first(*m, client.first(), {Verdict::ok, *scram_verifier(hash, "right", "salt", 4096)});
  EXPECT_EQ(reason_of(m->next(client.final_message(first))), FailureReason::bad_credentials);
}

TEST_P(ScramFlow, ExtensionsBeforeTheProofAreSignedAndAccepted) {
  ScramHash hash = GetParam();
  auto m = scram(hash, "SN");
  ScramClient client(hash, "n,,", "alice", "pw", "CN");
  std::string first = to_server_first(*m, client.first() + ",x=unknown-extension",
                                      {Verdict::ok, *scram_verifier(hash, "pw", "salt", 4096)});
  // The bare message the server signs includes the extension; the test client's bare() does
  // not, so this proof must fail — which shows the server signs what it received.
  EXPECT_EQ(reason_of(m->next(client.final_message(first))), FailureReason::bad_credentials);

  auto m2 = scram(hash, "SN");
  std::string first2 = to_server_first(*m2, client.first(), {Verdict::ok, *scram_verifier(hash, "pw", "salt", 4096)});
  Step step = m2->next(client.final_message(first2, "", "y=another"));
  ASSERT_NE(as_success(step), nullptr) << show(step);
}

INSTANTIATE_TEST_SUITE_P(Hashes, ScramFlow, ::testing::Values(ScramHash::sha1, ScramHash::sha256),
                         [](const auto& info) { return info.param == ScramHash::sha1 ? "Sha1" : "Sha256"; });

TEST(Scram, AuthzidIsDecodedAndPassedOn) {
  auto m = scram(ScramHash::sha256, "SN");
  Step step = m->start("n,a=ad=2Cmin=3Dx,n=us=3Der=2Cname,r=abc");
  const auto* req = as_request<NeedScramVerifier>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "ad,min=x");
  EXPECT_EQ(req->authcid, "us=er,name");
}

TEST(Scram, AuthzidRefusedOnlyAfterAValidProof) {
  auto verifier = *scram_verifier(ScramHash::sha256, "pw", "salt", 4096);
  {
    auto m = scram(ScramHash::sha256, "SN");
    ScramClient client(ScramHash::sha256, "n,a=boss,", "alice", "pw", "CN");
    std::string first = to_server_first(*m, client.first(), {Verdict::authzid_not_permitted, verifier});
    Step step = m->next(client.final_message(first));
    EXPECT_EQ(reason_of(step), FailureReason::authzid_not_permitted) << show(step);
  }
  {
    auto m = scram(ScramHash::sha256, "SN");
    ScramClient client(ScramHash::sha256, "n,a=boss,", "alice", "guess", "CN");
    std::string first = to_server_first(*m, client.first(), {Verdict::authzid_not_permitted, verifier});
    EXPECT_EQ(reason_of(m->next(client.final_message(first))), FailureReason::bad_credentials);
  }
}

TEST(Scram, UnknownAccountGetsAStableFakeSaltAndFailsAtTheProof) {
  auto salt_for = [](ScramHash hash, bool plus, std::string_view user, const std::string& secret) {
    ScramOptions o;
    o.hash = hash;
    o.plus = plus;
    o.channel_bindings = {{ChannelBindingType::tls_exporter, "cb"}};
    o.server_nonce = "SN";
    o.fake_salt_secret = secret;
    o.fake_iterations = 4096;
    auto m = make_scram(std::move(o));
    std::string header = plus ? "p=tls-exporter,," : "n,,";
    std::string first =
        to_server_first(*m, header + "n=" + std::string(user) + ",r=CN", {Verdict::bad_credentials, {}});
    ScramClient client(hash, header, std::string(user), "any password", "CN");
    Step step = m->next(client.final_message(first, plus ? "cb" : ""));
    EXPECT_EQ(reason_of(step), FailureReason::bad_credentials) << show(step);
    return first;
  };
  std::string a = salt_for(ScramHash::sha256, false, "ghost", fake_secret);
  EXPECT_TRUE(a.starts_with("r=CNSN,s=")) << a;
  EXPECT_TRUE(a.ends_with(",i=4096")) << a;
  auto salt = base::base64_decode(a.substr(9, a.find(",i=") - 9));
  ASSERT_TRUE(salt.has_value()) << a;
  EXPECT_EQ(salt->size(), scram_salt_octets);
  // Same name, same salt: a real account would not change its salt between attempts, nor
  // between the plain and -PLUS variants of one hash.
  EXPECT_EQ(salt_for(ScramHash::sha256, false, "ghost", fake_secret), a);
  EXPECT_EQ(salt_for(ScramHash::sha256, true, "ghost", fake_secret), a);
  // Other name, other hash, or other process secret: another salt.
  EXPECT_NE(salt_for(ScramHash::sha256, false, "ghost2", fake_secret), a);
  EXPECT_NE(salt_for(ScramHash::sha1, false, "ghost", fake_secret), a);
  EXPECT_NE(salt_for(ScramHash::sha256, false, "ghost", std::string(32, 't')), a);
}

TEST(Scram, FakeIterationsFollowTheConfiguredDefault) {
  ScramOptions o;
  o.server_nonce = "SN";
  o.fake_salt_secret = fake_secret;
  o.fake_iterations = 10000;
  auto m = make_scram(std::move(o));
  std::string first = to_server_first(*m, "n,,n=ghost,r=CN", {Verdict::bad_credentials, {}});
  EXPECT_TRUE(first.ends_with(",i=10000")) << first;
}

TEST(Scram, StoreTroubleIsTemporary) {
  auto m = scram(ScramHash::sha256, "SN");
  m->start("n,,n=user,r=CN");
  EXPECT_EQ(reason_of(m->resume(ScramVerifierAnswer{Verdict::temporary_failure, {}})),
            FailureReason::temporary_failure);

  auto good = *scram_verifier(ScramHash::sha256, "pw", "salt", 4096);
  auto sha1 = *scram_verifier(ScramHash::sha1, "pw", "salt", 4096);
  ScramVerifier no_salt = good;
  no_salt.salt.clear();
  ScramVerifier no_iterations = good;
  no_iterations.iterations = 0;
  for (const ScramVerifier& corrupt : {sha1, no_salt, no_iterations}) {
    auto m2 = scram(ScramHash::sha256, "SN");
    m2->start("n,,n=user,r=CN");
    EXPECT_EQ(reason_of(m2->resume(ScramVerifierAnswer{Verdict::ok, corrupt})), FailureReason::temporary_failure);
  }
}

// ---- Channel binding (RFC 5802 §6, RFC 5929, RFC 9266) ---------------------------------------

const std::vector<ChannelBinding> tls13_bindings = {
    {ChannelBindingType::tls_exporter, std::string(32, '\x42')},
    {ChannelBindingType::tls_server_end_point, std::string(32, '\x17')},
};

TEST(ScramPlus, BindsToTheChannel) {
  for (const auto& binding : tls13_bindings) {
    auto m = scram(ScramHash::sha256, "SN", true, tls13_bindings, true);
    EXPECT_EQ(m->name(), "SCRAM-SHA-256-PLUS");
    std::string header = "p=" + std::string(to_string(binding.type)) + ",,";
    ScramClient client(ScramHash::sha256, header, "user", "pencil", "CN");
    std::string first =
        to_server_first(*m, client.first(), {Verdict::ok, *scram_verifier(ScramHash::sha256, "pencil", "salt", 4096)});
    Step step = m->next(client.final_message(first, binding.data));
    const auto* ok = as_success(step);
    ASSERT_NE(ok, nullptr) << show(step);
    EXPECT_EQ(ok->server_final, client.expected_server_final());
  }
}

TEST(ScramPlus, OtherChannelDataIsAMismatch) {
  // A MitM relaying between two TLS connections has other channel binding data.
  auto m = scram(ScramHash::sha1, "SN", true, tls13_bindings, true);
  EXPECT_EQ(m->name(), "SCRAM-SHA-1-PLUS");
  ScramClient client(ScramHash::sha1, "p=tls-exporter,,", "user", "pencil", "CN");
  std::string first =
      to_server_first(*m, client.first(), {Verdict::ok, *scram_verifier(ScramHash::sha1, "pencil", "salt", 4096)});
  Step step = m->next(client.final_message(first, std::string(32, '\x43')));
  EXPECT_EQ(reason_of(step), FailureReason::channel_binding_mismatch) << show(step);
}

TEST(ScramPlus, CMustRepeatTheGs2Header) {
  // c= carries the header too, so a header rewritten on the way is caught.
  auto m = scram(ScramHash::sha256, "SN", true, tls13_bindings, true);
  ScramClient liar(ScramHash::sha256, "p=tls-server-end-point,,", "user", "pencil", "CN");
  std::string first = to_server_first(*m, "p=tls-exporter,,n=user,r=CN",
                                      {Verdict::ok, *scram_verifier(ScramHash::sha256, "pencil", "salt", 4096)});
  EXPECT_EQ(reason_of(m->next(liar.final_message(first, tls13_bindings[0].data))),
            FailureReason::channel_binding_mismatch);
}

TEST(ScramPlus, UnavailableBindingTypeIsUnsupported) {
  for (std::string_view first : {"p=tls-unique,,n=user,r=CN", "p=made-up,,n=user,r=CN"}) {
    auto m = scram(ScramHash::sha256, "SN", true, tls13_bindings, true);
    Step step = m->start(first);
    EXPECT_EQ(reason_of(step), FailureReason::unsupported) << first << ": " << show(step);
  }
}

TEST(ScramPlus, RequiresTheClientToBind) {
  for (std::string_view first : {"n,,n=user,r=CN", "y,,n=user,r=CN"}) {
    auto m = scram(ScramHash::sha256, "SN", true, tls13_bindings, true);
    EXPECT_EQ(reason_of(m->start(first)), FailureReason::malformed) << first;
  }
}

TEST(Scram, RefusesBindingOnTheNonPlusVariant) {
  auto m = scram(ScramHash::sha256, "SN", false, tls13_bindings, true);
  EXPECT_EQ(reason_of(m->start("p=tls-exporter,,n=user,r=CN")), FailureReason::malformed);
}

TEST(Scram, YFlagIsADowngradeWhenPlusWasOffered) {
  // RFC 5802 §6: the client supports channel binding but did not see -PLUS.
  auto m = scram(ScramHash::sha256, "SN", false, tls13_bindings, true);
  EXPECT_EQ(reason_of(m->start("y,,n=user,r=CN")), FailureReason::downgrade);
}

TEST(Scram, YFlagIsFineWhenPlusWasNotOffered) {
  auto m = scram(ScramHash::sha256, "SN", false, {}, false);
  ScramClient client(ScramHash::sha256, "y,,", "user", "pencil", "CN");
  std::string first =
      to_server_first(*m, client.first(), {Verdict::ok, *scram_verifier(ScramHash::sha256, "pencil", "salt", 4096)});
  std::string final_message = client.final_message(first);
  EXPECT_TRUE(final_message.starts_with("c=eSws,")) << final_message;  // base64("y,,")
  EXPECT_NE(as_success(m->next(final_message)), nullptr);
}

TEST(Scram, CMustMatchTheFlagTheClientSent) {
  auto m = scram(ScramHash::sha256, "SN");
  ScramClient y_client(ScramHash::sha256, "y,,", "user", "pencil", "CN");
  std::string first =
      to_server_first(*m, "n,,n=user,r=CN", {Verdict::ok, *scram_verifier(ScramHash::sha256, "pencil", "salt", 4096)});
  EXPECT_EQ(reason_of(m->next(y_client.final_message(first))), FailureReason::channel_binding_mismatch);
}

// ---- Malformed input --------------------------------------------------------------------------

TEST(Scram, RefusesMandatoryExtensions) {
  auto m = scram(ScramHash::sha256, "SN");
  EXPECT_EQ(reason_of(m->start("n,,m=ext,n=user,r=CN")), FailureReason::unsupported);
}

TEST(Scram, RefusesMalformedClientFirstMessages) {
  for (const std::string& bad : {
           ""s,
           "n"s,
           "n,"s,
           "n,,"s,
           "n,,n="s,
           "n,,n=user"s,
           "n,,n=user,"s,
           "n,,n=user,r="s,
           "n,,r=CN,n=user"s,      // order
           "x,,n=user,r=CN"s,      // unknown flag
           "F,n,,n=user,r=CN"s,    // RFC 5801 non-standard flag
           "n,a=,n=user,r=CN"s,    // empty authzid
           "n,b=x,n=user,r=CN"s,   // not a=
           "p=,,n=user,r=CN"s,     // empty cb-name (checked before the -PLUS rule)
           "n,,n=us=2cer,r=CN"s,   // lower-case escape
           "n,,n=us=41er,r=CN"s,   // undefined escape
           "n,,n=us=er,r=CN"s,     // bare "="
           "n,,n=us\0er,r=CN"s,    // NUL
           "n,,n=\xff,r=CN"s,      // not UTF-8
           "n,,n=user,r=C\x7fN"s,  // nonce not printable
           "n,,n=user,r=C N"s,     //
           "n,,n=user,r=CN,x"s,    // extension without a value
           "n,,n=user,r=CN,1=x"s,  // extension name not ALPHA
           "n,,n=user,r=CN,x="s,   // empty extension value
           "n,,n=user,r=CN,"s,     // trailing comma
       }) {
    auto m = scram(ScramHash::sha256, "SN");
    Step step = m->start(bad);
    EXPECT_EQ(reason_of(step), FailureReason::malformed) << bad << ": " << show(step);
  }
}

TEST(Scram, RefusesMalformedClientFinalMessages) {
  auto verifier = *scram_verifier(ScramHash::sha256, "pencil", "salt", 4096);
  ScramClient client(ScramHash::sha256, "n,,", "user", "pencil", "CN");
  std::string good;
  {
    auto m = scram(ScramHash::sha256, "SN");
    good = client.final_message(to_server_first(*m, client.first(), {Verdict::ok, verifier}));
  }
  std::string proof = good.substr(good.find(",p="));
  for (const std::string& bad : {
           ""s, "c=biws"s, "c=biws,r=CNSN"s,
           "r=CNSN,c=biws" + proof,    // order
           "c=biws,r=CNSN,p=AAAA"s,    // proof of the wrong size
           "c=biws,r=CNSN,p=!!!!"s,    // not base64
           "c=biw,r=CNSN" + proof,     // c= not base64
           "c=biws,r=CNSX" + proof,    // other nonce
           "c=biws,r=CN" + proof,      // the client's half only
           "c=biws,r=CNSN,x" + proof,  // bad extension
           good + ",x=y"s,             // something after the proof
       }) {
    auto m = scram(ScramHash::sha256, "SN");
    to_server_first(*m, client.first(), {Verdict::ok, verifier});
    Step step = m->next(bad);
    EXPECT_EQ(reason_of(step), FailureReason::malformed) << bad << ": " << show(step);
  }
}

TEST(Scram, EveryTruncationOfClientFirstFailsOrCarriesAShorterNonce) {
  std::string message = "n,a=admin,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
  std::size_t nonce_at = message.find("r=") + 2;
  for (std::size_t k = 0; k < message.size(); ++k) {
    auto m = scram(ScramHash::sha1, "SN");
    Step step = m->start(std::string_view(message).substr(0, k));
    if (k <= nonce_at) {
      EXPECT_EQ(reason_of(step), FailureReason::malformed) << k << ": " << show(step);
    } else {
      const auto* req = as_request<NeedScramVerifier>(step);
      EXPECT_NE(req, nullptr) << k << ": " << show(step);
    }
  }
}

TEST(Scram, EveryTruncationOfClientFinalIsMalformed) {
  const std::string final_message =
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
  auto verifier = verifier_for(ScramHash::sha1, "pencil", "QSXCR+Q6sek8bf92");
  for (std::size_t k = 0; k < final_message.size(); ++k) {
    auto m = scram(ScramHash::sha1, "3rfcNHYJY1ZVvWVs7j");
    to_server_first(*m, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", {Verdict::ok, verifier});
    Step step = m->next(std::string_view(final_message).substr(0, k));
    EXPECT_EQ(reason_of(step), FailureReason::malformed) << k << ": " << show(step);
  }
}

TEST(Scram, NoSingleByteChangeOfClientFinalSucceeds) {
  const std::string final_message =
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
  auto verifier = verifier_for(ScramHash::sha1, "pencil", "QSXCR+Q6sek8bf92");
  for (std::size_t i = 0; i < final_message.size(); ++i) {
    for (char c : {'A', 'b', '0', '=', ',', '\0', '\xff'}) {
      if (final_message[i] == c) continue;
      std::string mutated = final_message;
      mutated[i] = c;
      auto m = scram(ScramHash::sha1, "3rfcNHYJY1ZVvWVs7j");
      to_server_first(*m, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", {Verdict::ok, verifier});
      Step step = m->next(mutated);
      EXPECT_NE(reason_of(step), std::nullopt) << i << " " << int(c) << ": " << show(step);
    }
  }
}

TEST(Scram, ServerNonceIsRandomBase64) {
  postern::testing::CountingRandom counting;
  std::string nonce = make_scram_server_nonce(counting);
  EXPECT_EQ(nonce, base::base64_encode(std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
                                                   "\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17",
                                                   24)));
  EXPECT_EQ(nonce.size(), 32u);  // 24 bytes of entropy, above the 18 asked for
  EXPECT_EQ(nonce.find(','), std::string::npos);
  EXPECT_NE(make_scram_server_nonce(counting), nonce);
  base::SystemRandom system;
  EXPECT_NE(make_scram_server_nonce(system), make_scram_server_nonce(system));
}

TEST(Scram, MissingServerNonceIsACallerBug) {
  auto m = scram(ScramHash::sha256, "");
  EXPECT_EQ(reason_of(m->start("n,,n=user,r=CN")), FailureReason::internal);
  auto m2 = scram(ScramHash::sha256, "has,comma");
  EXPECT_EQ(reason_of(m2->start("n,,n=user,r=CN")), FailureReason::internal);
}

}  // namespace
}  // namespace postern::sasl
