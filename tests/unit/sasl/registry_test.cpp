#include "sasl/registry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/base64.hpp"
#include "fakes.hpp"
#include "sasl/cram_md5.hpp"
#include "sasl_test_util.hpp"
#include "scram_client.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

const std::string secret(32, 'k');
const std::vector<ChannelBinding> bindings = {{ChannelBindingType::tls_exporter, std::string(32, 'e')}};

Context context(base::Random& random, bool tls = true) {
  Context c{.random = random,
            .hostname = "mx.example.org",
            .now = std::chrono::system_clock::time_point{std::chrono::seconds{1'700'000'000}}};
  if (tls) {
    c.channel_bindings = bindings;
    c.plus_advertised = true;
    c.client_certificate = true;
  }
  c.fake_salt_secret = secret;
  return c;
}

TEST(Registry, ListsEveryMechanismStrongestFirst) {
  std::vector<std::string_view> names;
  for (const auto& m : all_mechanisms()) names.push_back(m.name);
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"EXTERNAL", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1",
                                           "OAUTHBEARER", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN"}));
}

TEST(Registry, KnowsWhatEachMechanismNeeds) {
  for (const auto& m : all_mechanisms()) {
    bool clear = m.name == "PLAIN" || m.name == "LOGIN";
    EXPECT_EQ(m.reveals_password, clear) << m.name;
    EXPECT_EQ(m.credential == Credential::password, clear) << m.name;
    bool token = m.name == "OAUTHBEARER" || m.name == "XOAUTH2";
    EXPECT_EQ(m.reveals_token, token) << m.name;
    EXPECT_EQ(m.credential == Credential::token, token) << m.name;
    EXPECT_EQ(m.channel_binding, m.name.ends_with("-PLUS")) << m.name;
    EXPECT_EQ(m.credential == Credential::scram_verifier, m.name.starts_with("SCRAM-")) << m.name;
    EXPECT_EQ(m.credential == Credential::certificate, m.name == "EXTERNAL") << m.name;
    EXPECT_EQ(m.client_certificate, m.name == "EXTERNAL") << m.name;
    if (m.credential == Credential::scram_verifier) {
      EXPECT_EQ(m.hash, m.name.starts_with("SCRAM-SHA-1") ? ScramHash::sha1 : ScramHash::sha256) << m.name;
    }
  }
  EXPECT_EQ(find_mechanism("CRAM-MD5")->credential, Credential::cram_secret);
}

TEST(Registry, FindsNamesCaseInsensitively) {
  ASSERT_NE(find_mechanism("scram-sha-256-plus"), nullptr);
  EXPECT_EQ(find_mechanism("scram-sha-256-plus")->name, "SCRAM-SHA-256-PLUS");
  EXPECT_EQ(find_mechanism("Plain")->name, "PLAIN");
  for (std::string_view unknown : {"", "DIGEST-MD5", "NTLM", "GSSAPI", "EXTERNAL ", "PLAIN ", "SCRAM-SHA-512"}) {
    EXPECT_EQ(find_mechanism(unknown), nullptr) << unknown;
  }
}

TEST(Registry, CreatesEachMechanismByName) {
  postern::testing::CountingRandom random;
  for (const auto& info : all_mechanisms()) {
    auto m = create(base::to_lower(info.name), context(random));
    ASSERT_NE(m, nullptr) << info.name;
    EXPECT_EQ(m->name(), info.name);
  }
  EXPECT_EQ(create("DIGEST-MD5", context(random)), nullptr);
}

TEST(Registry, PlusNeedsAChannelBinding) {
  postern::testing::CountingRandom random;
  Context clear = context(random, false);
  EXPECT_FALSE(usable(*find_mechanism("SCRAM-SHA-256-PLUS"), clear));
  EXPECT_EQ(create("SCRAM-SHA-256-PLUS", clear), nullptr);
  EXPECT_EQ(create("SCRAM-SHA-1-PLUS", clear), nullptr);
  EXPECT_NE(create("SCRAM-SHA-256", clear), nullptr);
  EXPECT_TRUE(usable(*find_mechanism("SCRAM-SHA-256-PLUS"), context(random)));
}

TEST(Registry, ExternalNeedsAVerifiedClientCertificate) {
  postern::testing::CountingRandom random;
  Context c = context(random);
  EXPECT_EQ(find_mechanism("external")->name, "EXTERNAL");
  EXPECT_FALSE(find_mechanism("EXTERNAL")->reveals_password);
  EXPECT_TRUE(usable(*find_mechanism("EXTERNAL"), c));
  auto m = create("EXTERNAL", c);
  ASSERT_NE(m, nullptr);
  ASSERT_NE(as_request<VerifyCertificate>(m->start(""s)), nullptr);
  c.client_certificate = false;
  EXPECT_FALSE(usable(*find_mechanism("EXTERNAL"), c));
  EXPECT_EQ(create("EXTERNAL", c), nullptr);
  EXPECT_NE(create("PLAIN", c), nullptr) << "only EXTERNAL depends on the certificate";
}

TEST(Registry, ScramNeedsAFakeSaltSecret) {
  postern::testing::CountingRandom random;
  Context c = context(random);
  c.fake_salt_secret = "short";
  EXPECT_EQ(create("SCRAM-SHA-256", c), nullptr);
  EXPECT_FALSE(usable(*find_mechanism("SCRAM-SHA-1"), c));
  EXPECT_NE(create("PLAIN", c), nullptr);
}

TEST(Registry, CramMd5ChallengeComesFromTheContext) {
  postern::testing::CountingRandom random;
  auto m = create("CRAM-MD5", context(random));
  Step step = m->start(std::nullopt);
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, "<" + std::to_string(0x0001020304050607ULL) + ".1700000000@mx.example.org>");
}

TEST(Registry, ScramPlusEndToEndWithTheContextsBindingAndNonce) {
  postern::testing::CountingRandom random;
  auto m = create("SCRAM-SHA-256-PLUS", context(random));
  ScramClient client(ScramHash::sha256, "p=tls-exporter,,", "alice", "pw", "CLIENT");
  Step step = m->start(client.first());
  ASSERT_NE(as_request<NeedScramVerifier>(step), nullptr) << show(step);
  step = m->resume(ScramVerifierAnswer{Verdict::ok, *scram_verifier(ScramHash::sha256, "pw", "salt", 4096)});
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  // The server nonce is the context's first 24 random bytes, base64.
  EXPECT_TRUE(c->data.starts_with("r=CLIENTAAECAwQFBgcICQoLDA0ODxAREhMUFRYX,")) << c->data;
  step = m->next(client.final_message(c->data, bindings[0].data));
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->server_final, client.expected_server_final());
}

TEST(Registry, NonPlusScramSeesTheDowngradeFromTheContext) {
  postern::testing::CountingRandom random;
  EXPECT_EQ(reason_of(create("SCRAM-SHA-1", context(random))->start("y,,n=alice,r=CLIENT")), FailureReason::downgrade);
  ASSERT_NE(as_request<NeedScramVerifier>(create("SCRAM-SHA-1", context(random, false))->start("y,,n=alice,r=CLIENT")),
            nullptr);
}

TEST(Registry, UnknownScramUserLooksLikeAnyOther) {
  // With the same process secret, two mechanisms made from the registry show one stable fake
  // salt and the configured iteration count.
  postern::testing::CountingRandom random;
  Context c = context(random);
  c.scram_iterations = 12000;
  std::string firsts[2];
  for (auto& first : firsts) {
    auto m = create("SCRAM-SHA-256", c);
    m->start("n,,n=nobody,r=CLIENT");
    Step step = m->resume(ScramVerifierAnswer{Verdict::bad_credentials, {}});
    const auto* ch = as_challenge(step);
    ASSERT_NE(ch, nullptr) << show(step);
    first = ch->data.substr(ch->data.find(",s="));
  }
  EXPECT_EQ(firsts[0], firsts[1]);
  EXPECT_TRUE(firsts[0].ends_with(",i=12000")) << firsts[0];
}

}  // namespace
}  // namespace postern::sasl
