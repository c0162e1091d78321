// The Authenticator over the account store: each request type, each refusal, the cache.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "auth/store_authenticator.hpp"
#include "auth_test_util.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using sasl::Verdict;
using std::chrono::hours;
using std::chrono::seconds;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_, &errors_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->add_account("bob@example.test", "bob-password"));
    ASSERT_TRUE(store_->add_alias("info@example.test", "bob@example.test"));
    auto phone = store_->add_credential(
        "bob@example.test",
        {.name = "phone", .allowed_senders = {"info@example.test"}, .allowed_networks = {*policy::Cidr::parse("10.0.0.0/8")}});
    ASSERT_TRUE(phone);
    phone_ = *phone;
    auto laptop = store_->add_credential("bob@example.test", {.name = "laptop", .expires = clock_.now() + hours(24)});
    ASSERT_TRUE(laptop);
    laptop_ = *laptop;
    make(seconds(60));
  }

  void make(seconds ttl) {
    authenticator_ = make_authenticator(*store_, &tokens_, AuthenticatorOptions{.cache_ttl = ttl, .random = &random_});
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }

  Resolution password(std::string user, std::string pw, std::string authzid = "", ClientFacts client = home) {
    return authenticator_->resolve(sasl::VerifyPassword{std::move(user), std::move(authzid), std::move(pw)}, client);
  }
  Resolution scram(std::string user, sasl::ScramHash hash = sasl::ScramHash::sha256, std::string authzid = "",
                   ClientFacts client = home) {
    return authenticator_->resolve(sasl::NeedScramVerifier{hash, std::move(user), std::move(authzid)}, client);
  }
  Resolution cram(std::string user, ClientFacts client = home) {
    return authenticator_->resolve(sasl::NeedCramSecret{std::move(user)}, client);
  }
  Resolution token(std::string token, std::string authzid = "") {
    return authenticator_->resolve(sasl::VerifyToken{std::move(authzid), std::move(token), "", ""}, home);
  }

  static inline const ClientFacts home{"10.1.2.3", true};
  static inline const ClientFacts away{"192.0.2.7", true};

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  FakeTokenValidator tokens_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<Authenticator> authenticator_;
  std::string phone_;
  std::string laptop_;
};

// ---- VerifyPassword --------------------------------------------------------------------------

TEST_F(AuthenticatorTest, AccountPassword) {
  auto r = password("bob@example.test", "bob-password");
  EXPECT_EQ(verdict(r), Verdict::ok);
  EXPECT_EQ(r.reason, "password ok");
  ASSERT_TRUE(r.identity);
  EXPECT_EQ(r.identity->account, "bob@example.test");
  EXPECT_EQ(r.identity->credential, "password");
  EXPECT_TRUE(r.identity->allowed_senders.empty());
  // The domain compares in any case, the local part in ASCII case too.
  EXPECT_EQ(verdict(password("BOB@Example.Test", "bob-password")), Verdict::ok);
  // `ADDRESS/password` names the account password explicitly.
  EXPECT_EQ(verdict(password("bob@example.test/password", "bob-password")), Verdict::ok);
}

TEST_F(AuthenticatorTest, WrongUnknownAndMalformedAreBadCredentials) {
  auto wrong = password("bob@example.test", "bob-passwort");
  EXPECT_EQ(verdict(wrong), Verdict::bad_credentials);
  EXPECT_EQ(wrong.reason, "wrong password");
  EXPECT_FALSE(wrong.identity);
  // For the log: whose password was guessed (the canonical address, whatever case was typed).
  EXPECT_EQ(wrong.account, "bob@example.test");
  EXPECT_EQ(password("BOB@example.test", "bob-passwort").account, "bob@example.test");
  auto unknown = password("nobody@example.test", "bob-password");
  EXPECT_EQ(verdict(unknown), Verdict::bad_credentials);
  EXPECT_EQ(unknown.reason, "unknown account");
  EXPECT_EQ(unknown.account, "");
  auto alias = password("info@example.test", "bob-password");  // an alias is no login name
  EXPECT_EQ(alias.reason, "unknown account");
  EXPECT_EQ(password("bob", "bob-password").reason, "malformed login name");
  EXPECT_EQ(password("bob@example.test/bad name", "bob-password").reason, "malformed login name");
  EXPECT_EQ(password("bob@example.test/tablet", "bob-password").reason, "unknown credential");
}

TEST_F(AuthenticatorTest, AppPasswordByAddressOrByName) {
  auto bare = password("bob@example.test", laptop_);
  EXPECT_EQ(verdict(bare), Verdict::ok);
  EXPECT_EQ(bare.identity->credential, "laptop");
  auto named = password("bob@example.test/phone", phone_);
  EXPECT_EQ(verdict(named), Verdict::ok);
  EXPECT_EQ(named.identity->credential, "phone");
  EXPECT_THAT(named.identity->allowed_senders, ElementsAre("info@example.test"));
  // `ADDRESS/NAME` is only that credential.
  EXPECT_EQ(password("bob@example.test/phone", laptop_).reason, "wrong password");
  EXPECT_EQ(password("bob@example.test/phone", "bob-password").reason, "wrong password");
  EXPECT_EQ(password("bob@example.test/password", phone_).reason, "wrong password");
}

TEST_F(AuthenticatorTest, RevokedAnswersLikeAWrongPassword) {
  ASSERT_TRUE(store_->revoke_credential("bob@example.test", "laptop"));
  auto named = password("bob@example.test/laptop", laptop_);
  EXPECT_EQ(verdict(named), Verdict::bad_credentials);
  EXPECT_EQ(named.reason, "revoked");
  EXPECT_FALSE(named.identity);
  // A bare address does not even try a revoked app password.
  EXPECT_EQ(password("bob@example.test", laptop_).reason, "wrong password");
  EXPECT_EQ(verdict(scram("bob@example.test/laptop")), Verdict::bad_credentials);
}

TEST_F(AuthenticatorTest, ExpiredAnswersLikeAWrongPassword) {
  EXPECT_EQ(verdict(password("bob@example.test/laptop", laptop_)), Verdict::ok);
  clock_.advance(hours(24));
  auto r = password("bob@example.test/laptop", laptop_);
  EXPECT_EQ(verdict(r), Verdict::bad_credentials);
  EXPECT_EQ(r.reason, "expired");
  EXPECT_EQ(scram("bob@example.test/laptop").reason, "expired");
}

TEST_F(AuthenticatorTest, DisabledAccountAnswersLikeAWrongPassword) {
  ASSERT_TRUE(store_->set_cram_md5("bob@example.test", true));
  ASSERT_TRUE(store_->set_password("bob@example.test", "bob-password"));
  ASSERT_TRUE(store_->set_disabled("bob@example.test", true));
  auto r = password("bob@example.test", "bob-password");
  EXPECT_EQ(verdict(r), Verdict::bad_credentials);
  EXPECT_EQ(r.reason, "account disabled");
  EXPECT_EQ(password("bob@example.test/phone", phone_).reason, "account disabled");
  EXPECT_EQ(password("bob@example.test", "wrong").reason, "wrong password");
  auto s = scram("bob@example.test");
  EXPECT_EQ(verdict(s), Verdict::bad_credentials);
  EXPECT_EQ(s.reason, "account disabled");
  EXPECT_TRUE(std::get<sasl::ScramVerifierAnswer>(s.answer).verifier.stored_key.empty());
  EXPECT_EQ(cram("bob@example.test").reason, "account disabled");
  tokens_.result = TokenResult{TokenResult::Kind::ok, "bob@example.test", "", ""};
  EXPECT_EQ(token("t").reason, "account disabled");
}

TEST_F(AuthenticatorTest, NetworkRestriction) {
  EXPECT_EQ(verdict(password("bob@example.test/phone", phone_, "", home)), Verdict::ok);
  auto r = password("bob@example.test/phone", phone_, "", away);
  EXPECT_EQ(verdict(r), Verdict::bad_credentials);
  EXPECT_EQ(r.reason, "network not allowed");
  EXPECT_EQ(password("bob@example.test", phone_, "", away).reason, "network not allowed");
  EXPECT_EQ(password("bob@example.test/phone", phone_, "", ClientFacts{"", true}).reason, "network not allowed");
  EXPECT_EQ(verdict(password("bob@example.test/phone", phone_, "", ClientFacts{"::ffff:10.9.9.9", true})), Verdict::ok);
  EXPECT_EQ(scram("bob@example.test/phone", sasl::ScramHash::sha256, "", away).reason, "network not allowed");
  EXPECT_EQ(verdict(scram("bob@example.test/phone", sasl::ScramHash::sha256, "", home)), Verdict::ok);
  // The account password has no restriction.
  EXPECT_EQ(verdict(password("bob@example.test", "bob-password", "", away)), Verdict::ok);
}

TEST_F(AuthenticatorTest, Authzid) {
  EXPECT_EQ(verdict(password("bob@example.test", "bob-password", "bob@example.test")), Verdict::ok);
  EXPECT_EQ(verdict(password("bob@example.test", "bob-password", "BOB@EXAMPLE.TEST")), Verdict::ok);
  EXPECT_EQ(verdict(password("bob@example.test/laptop", laptop_, "bob@example.test/laptop")), Verdict::ok);
  EXPECT_EQ(verdict(password("bob@example.test/laptop", laptop_, "bob@example.test")), Verdict::ok);
  ASSERT_TRUE(store_->add_account("carol@example.test", "carol-password"));
  auto other = password("bob@example.test", "bob-password", "carol@example.test");
  EXPECT_EQ(verdict(other), Verdict::authzid_not_permitted);
  EXPECT_EQ(other.reason, "authzid not permitted");
  ASSERT_TRUE(other.identity);  // who asked, for the log
  EXPECT_EQ(other.identity->account, "bob@example.test");
  // A wrong password with a foreign authzid is a wrong password, nothing more.
  EXPECT_EQ(verdict(password("bob@example.test", "nope", "carol@example.test")), Verdict::bad_credentials);
  // SCRAM gets the real verifier and refuses only after the proof (mechanism.hpp).
  auto s = scram("bob@example.test", sasl::ScramHash::sha256, "carol@example.test");
  EXPECT_EQ(verdict(s), Verdict::authzid_not_permitted);
  EXPECT_FALSE(std::get<sasl::ScramVerifierAnswer>(s.answer).verifier.stored_key.empty());
}

TEST_F(AuthenticatorTest, UnknownAccountsCostTheArgon2idWorkOfAWrongPassword) {
  // Costly enough that a lookup alone (~0.1 ms) cannot pass for a hash evaluation.
  TempDir other;
  auto options = test_options(random_, clock_);
  options.hash = HashParams{.memory_kib = 8 * 1024, .passes = 2, .lanes = 1};
  auto store = open_store(other.path() / "postern.db", options);
  ASSERT_TRUE(store->add_account("bob@example.test", "pw"));
  auto a = make_authenticator(*store, nullptr, AuthenticatorOptions{.cache_ttl = seconds(0)});
  auto median = [&](const std::string& user) {
    std::vector<double> ms;
    for (int i = 0; i < 5; ++i) {
      auto start = std::chrono::steady_clock::now();
      EXPECT_EQ(verdict(a->resolve(sasl::VerifyPassword{user, "", "wrong"}, home)), Verdict::bad_credentials);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::ranges::sort(ms);
    return ms[2];
  };
  (void)median("warm@example.test");  // the dummy hash is made once, on first use
  double wrong = median("bob@example.test");
  double unknown = median("nobody@example.test");
  double malformed = median("not-an-address");
  double unknown_credential = median("bob@example.test/tablet");
  EXPECT_GT(unknown, wrong / 3) << unknown << " ms vs " << wrong << " ms";
  EXPECT_GT(malformed, wrong / 3) << malformed << " ms vs " << wrong << " ms";
  EXPECT_GT(unknown_credential, wrong / 3) << unknown_credential << " ms vs " << wrong << " ms";
}

// ---- NeedScramVerifier -----------------------------------------------------------------------

TEST_F(AuthenticatorTest, ScramVerifierOfTheAccountOrTheNamedCredential) {
  for (auto hash : {sasl::ScramHash::sha1, sasl::ScramHash::sha256}) {
    auto r = scram("bob@example.test", hash);
    EXPECT_EQ(verdict(r), Verdict::ok);
    EXPECT_EQ(r.identity->credential, "password");
    const auto& v = std::get<sasl::ScramVerifierAnswer>(r.answer).verifier;
    EXPECT_EQ(v.stored_key, sasl::scram_verifier(hash, "bob-password", v.salt, v.iterations)->stored_key);
    auto app = scram("bob@example.test/laptop", hash);
    EXPECT_EQ(app.identity->credential, "laptop");
    const auto& w = std::get<sasl::ScramVerifierAnswer>(app.answer).verifier;
    EXPECT_EQ(w.stored_key, sasl::scram_verifier(hash, laptop_, w.salt, w.iterations)->stored_key);
  }
  EXPECT_EQ(scram("nobody@example.test").reason, "unknown account");
  EXPECT_EQ(scram("bob@example.test/tablet").reason, "unknown credential");
  EXPECT_EQ(verdict(scram("nobody@example.test")), Verdict::bad_credentials);
}

TEST_F(AuthenticatorTest, ScramExchangeWithTheStoresVerifier) {
  for (auto hash : {sasl::ScramHash::sha1, sasl::ScramHash::sha256}) {
    auto ok = run_scram(*authenticator_, hash, "bob@example.test", "bob-password", home);
    EXPECT_TRUE(ok.success) << ok.detail;
    auto app = run_scram(*authenticator_, hash, "bob@example.test/laptop", laptop_, home);
    EXPECT_TRUE(app.success) << app.detail;
    EXPECT_EQ(app.identity->credential, "laptop");
    auto wrong = run_scram(*authenticator_, hash, "bob@example.test", "bob-passwort", home);
    EXPECT_EQ(wrong.failure, sasl::FailureReason::bad_credentials);
    // An unknown account gets a fake salt and fails only at the proof.
    auto unknown = run_scram(*authenticator_, hash, "nobody@example.test", "bob-password", home);
    EXPECT_TRUE(unknown.reached_proof);
    EXPECT_EQ(unknown.failure, sasl::FailureReason::bad_credentials);
  }
}

// ---- NeedCramSecret --------------------------------------------------------------------------

TEST_F(AuthenticatorTest, CramMd5OnlyWhenEnabledAndASecretExists) {
  EXPECT_EQ(cram("bob@example.test").reason, "CRAM-MD5 not enabled for the account");
  ASSERT_TRUE(store_->set_password("bob@example.test", "cram-pw", CramMd5Change::enable));
  auto r = cram("bob@example.test");
  EXPECT_EQ(verdict(r), Verdict::ok);
  EXPECT_EQ(r.identity->credential, "password");
  EXPECT_TRUE(run_cram(*authenticator_, "bob@example.test", "cram-pw", home).success);
  EXPECT_EQ(run_cram(*authenticator_, "bob@example.test", "cram-pX", home).failure,
            sasl::FailureReason::bad_credentials);

  // The laptop's password was made before CRAM-MD5 was enabled: no secret until its next
  // PLAIN/LOGIN, which derives it.
  auto before = cram("bob@example.test/laptop");
  EXPECT_EQ(verdict(before), Verdict::bad_credentials);
  EXPECT_THAT(before.reason, HasSubstr("no CRAM-MD5 secret"));
  auto login = password("bob@example.test/laptop", laptop_);
  EXPECT_EQ(login.reason, "password ok, verifiers added");
  EXPECT_TRUE(run_cram(*authenticator_, "bob@example.test/laptop", laptop_, home).success);

  EXPECT_EQ(cram("nobody@example.test").reason, "unknown account");
  EXPECT_EQ(cram("bob@example.test/phone", away).reason, "network not allowed");
}

// ---- VerifyToken -----------------------------------------------------------------------------

TEST_F(AuthenticatorTest, BearerTokens) {
  tokens_.result = TokenResult{TokenResult::Kind::ok, "Bob@Example.test", "", ""};
  auto ok = token("token-1");
  EXPECT_EQ(verdict(ok), Verdict::ok);
  EXPECT_EQ(ok.identity->account, "bob@example.test");
  EXPECT_EQ(ok.identity->credential, "oauth");
  EXPECT_EQ(std::get<sasl::TokenAnswer>(ok.answer).identity, "bob@example.test");
  EXPECT_EQ(tokens_.seen, "token-1");
  EXPECT_EQ(tokens_.seen_at, clock_.now());
  EXPECT_EQ(verdict(token("t", "bob@example.test")), Verdict::ok);
  EXPECT_EQ(verdict(token("t", "carol@example.test")), Verdict::authzid_not_permitted);

  tokens_.result = TokenResult{TokenResult::Kind::ok, "nobody@example.test", "", ""};
  EXPECT_EQ(token("t").reason, "token names no account");
  EXPECT_EQ(verdict(token("t")), Verdict::bad_credentials);

  tokens_.result = TokenResult{TokenResult::Kind::invalid, "", "insufficient_scope", "wrong audience"};
  auto invalid = token("t");
  EXPECT_EQ(verdict(invalid), Verdict::bad_credentials);
  EXPECT_EQ(std::get<sasl::TokenAnswer>(invalid.answer).error.status, "insufficient_scope");
  EXPECT_EQ(invalid.reason, "invalid token: wrong audience");

  tokens_.result = TokenResult{TokenResult::Kind::temporary_failure, "", "invalid_token", "jwks unreachable"};
  EXPECT_EQ(verdict(token("t")), Verdict::temporary_failure);

  auto none = make_authenticator(*store_, nullptr);
  auto r = none->resolve(sasl::VerifyToken{"", "t", "", ""}, home);
  EXPECT_EQ(verdict(r), Verdict::bad_credentials);
  EXPECT_EQ(std::get<sasl::TokenAnswer>(r.answer).error.status, "invalid_token");
  EXPECT_EQ(r.reason, "no token validator configured");
}

// ---- the verified-credential cache -----------------------------------------------------------

TEST_F(AuthenticatorTest, CacheHitSkipsTheHashUntilAnotherProcessChangesSomething) {
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "password ok");
  // Behind the store's back (no generation change): only a cache hit can still say ok.
  ASSERT_EQ(raw_exec(db(), "UPDATE credentials SET argon2id_hash = '" +
                               hash_password("changed", random_, fast_hash()).value() + "' WHERE name = 'password'"),
            "");
  auto cached = password("bob@example.test", "bob-password");
  EXPECT_EQ(verdict(cached), Verdict::ok);
  EXPECT_EQ(cached.reason, "password ok (cached)");
  EXPECT_EQ(cached.identity->credential, "password");
  // The cache is per login and password.
  EXPECT_EQ(password("bob@example.test", "bob-passworD").reason, "wrong password");

  // The CLI, another process with its own store object, changes anything at all.
  auto cli = open_store(db(), test_options(random_, clock_));
  ASSERT_TRUE(cli->add_alias("sales@example.test", "bob@example.test"));
  auto after = password("bob@example.test", "bob-password");
  EXPECT_EQ(verdict(after), Verdict::bad_credentials);
  EXPECT_EQ(after.reason, "wrong password");
  EXPECT_EQ(verdict(password("bob@example.test", "changed")), Verdict::ok);
}

TEST_F(AuthenticatorTest, RevokingInAnotherProcessEndsACachedLoginAtOnce) {
  EXPECT_EQ(verdict(password("bob@example.test/laptop", laptop_)), Verdict::ok);
  EXPECT_EQ(password("bob@example.test/laptop", laptop_).reason, "password ok (cached)");
  auto cli = open_store(db(), test_options(random_, clock_));
  ASSERT_TRUE(cli->revoke_credential("bob@example.test", "laptop"));
  EXPECT_EQ(password("bob@example.test/laptop", laptop_).reason, "revoked");
  ASSERT_TRUE(cli->set_disabled("bob@example.test", true));
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "account disabled");
}

TEST_F(AuthenticatorTest, CacheHitStillChecksExpiryNetworkAndAuthzid) {
  EXPECT_EQ(verdict(password("bob@example.test/phone", phone_, "", home)), Verdict::ok);
  EXPECT_EQ(password("bob@example.test/phone", phone_, "", home).reason, "password ok (cached)");
  EXPECT_EQ(password("bob@example.test/phone", phone_, "", away).reason, "network not allowed");
  EXPECT_EQ(verdict(password("bob@example.test/phone", phone_, "carol@example.test", home)),
            Verdict::authzid_not_permitted);

  EXPECT_EQ(verdict(password("bob@example.test/laptop", laptop_)), Verdict::ok);
  clock_.advance(hours(24));
  EXPECT_EQ(password("bob@example.test/laptop", laptop_).reason, "expired");
}

TEST_F(AuthenticatorTest, CacheEntriesExpireAndZeroTtlDisablesTheCache) {
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "password ok");
  clock_.advance(seconds(59));
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "password ok (cached)");
  clock_.advance(seconds(1));
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "password ok");

  make(seconds(0));
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "password ok");
  EXPECT_EQ(password("bob@example.test", "bob-password").reason, "password ok");
}

// ---- store failures and bookkeeping ----------------------------------------------------------

TEST_F(AuthenticatorTest, StoreFailureIsATemporaryFailure) {
  make(seconds(0));
  std::filesystem::remove(db());
  auto on_new_thread = [&](auto f) {
    Resolution r;
    std::thread([&] { r = f(); }).join();
    return r;
  };
  auto p = on_new_thread([&] { return password("bob@example.test", "bob-password"); });
  EXPECT_EQ(verdict(p), Verdict::temporary_failure);
  EXPECT_THAT(p.reason, HasSubstr("store unavailable"));
  EXPECT_EQ(verdict(on_new_thread([&] { return scram("bob@example.test"); })), Verdict::temporary_failure);
  EXPECT_EQ(verdict(on_new_thread([&] { return cram("bob@example.test"); })), Verdict::temporary_failure);
  tokens_.result = TokenResult{TokenResult::Kind::ok, "bob@example.test", "", ""};
  EXPECT_EQ(verdict(on_new_thread([&] { return token("t"); })), Verdict::temporary_failure);
}

TEST_F(AuthenticatorTest, UnreadableStoredHashIsATemporaryFailure) {
  ASSERT_EQ(raw_exec(db(), "UPDATE credentials SET argon2id_hash = NULL, "
                           "legacy_hash = '{ARGON2ID}$argon2id$v=19$m=9999999,t=1,p=1$c2FsdA$aGFzaA' "
                           "WHERE name = 'password'"),
            "");
  auto r = password("bob@example.test", "bob-password");
  EXPECT_EQ(verdict(r), Verdict::temporary_failure);
  EXPECT_THAT(r.reason, HasSubstr("above the limit"));
}

TEST_F(AuthenticatorTest, RecordSuccessStampsLastUseAtMostOncePerInterval) {
  auto when = clock_.now() + hours(1);
  authenticator_->record_success(Identity{"bob@example.test", "laptop", {}}, when);
  auto last_used = [&](const std::string& name) {
    auto list = store_->list_credentials("bob@example.test").value();
    for (const auto& c : list) {
      if (c.name == name) return c.last_used;
    }
    return std::optional<TimePoint>();
  };
  EXPECT_EQ(last_used("laptop"), std::chrono::time_point_cast<seconds>(when));
  authenticator_->record_success(Identity{"bob@example.test", "laptop", {}}, when + seconds(30));
  EXPECT_EQ(last_used("laptop"), std::chrono::time_point_cast<seconds>(when));  // batched
  authenticator_->record_success(Identity{"bob@example.test", "laptop", {}}, when + seconds(61));
  EXPECT_EQ(last_used("laptop"), std::chrono::time_point_cast<seconds>(when + seconds(61)));
  EXPECT_FALSE(last_used("phone"));
  authenticator_->record_success(Identity{"bob@example.test", "password", {}}, when);
  EXPECT_EQ(raw_value(db(), "SELECT last_used FROM credentials WHERE name = 'password'"),
            std::to_string(seconds_of(when)));
  std::int64_t generation = store_->generation().value();
  authenticator_->record_success(Identity{"bob@example.test", "oauth", {}}, when);  // nothing stored to stamp
  EXPECT_EQ(store_->generation().value(), generation);
  EXPECT_TRUE(errors_.empty());
}

TEST_F(AuthenticatorTest, ConcurrentLoginsFromSeveralWorkers) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        bool right = (i + t) % 2 == 0;
        auto r = password("bob@example.test", right ? "bob-password" : "nope");
        if (verdict(r) != (right ? Verdict::ok : Verdict::bad_credentials)) ++wrong;
        authenticator_->record_success(Identity{"bob@example.test", "password", {}}, clock_.now());
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(errors_.empty());
}

}  // namespace
}  // namespace postern::auth
