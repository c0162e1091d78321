// Schema version 3 in the account store: sending-limit overrides, sender grants, suspended
// credentials and operator actions in the audit trail.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "auth/account_store.hpp"
#include "store_test_util.hpp"

namespace postern::auth {
namespace {

using namespace test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

policy::LimitOverride limits(std::optional<std::uint64_t> mph, std::optional<std::uint64_t> mpd = std::nullopt,
                             std::optional<std::uint64_t> rph = std::nullopt,
                             std::optional<std::uint64_t> rpd = std::nullopt, bool unlimited = false) {
  return policy::LimitOverride{policy::SendLimits{mph, mpd, rph, rpd}, unlimited};
}

class AccountPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(db(), test_options(random_, clock_, &errors_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->add_account("Bob@example.test", "bob-password"));
    ASSERT_TRUE(store_->add_credential("bob@example.test", {.name = "phone"}));
    ASSERT_TRUE(store_->add_account("carol@example.test", "carol-password"));
  }

  std::filesystem::path db() const { return dir_.path() / "postern.db"; }
  std::int64_t generation() { return store_->generation().value(); }
  std::string error_of(const base::Result<void>& r) { return r ? "<ok>" : r.error().message; }
  AuditEntry last_audit() {
    auto log = store_->audit_log(1).value();
    return log.empty() ? AuditEntry{} : log.front();
  }

  TempDir dir_;
  testing::CountingRandom random_;
  testing::FakeClock clock_;
  std::vector<std::string> errors_;
  std::unique_ptr<AccountStore> store_;
};

// ---- limits -----------------------------------------------------------------------------------

TEST_F(AccountPolicyTest, SetFindAndListLimits) {
  EXPECT_EQ(store_->find_limits("bob@example.test", "").value(), std::nullopt);
  ASSERT_TRUE(store_->set_limits("bob@EXAMPLE.test", "", limits(50, std::nullopt, 200)));
  ASSERT_TRUE(store_->set_limits("bob@example.test", "phone", limits(std::nullopt, 10)));
  ASSERT_TRUE(store_->set_limits("carol@example.test", "oauth",
                                 limits(std::nullopt, std::nullopt, std::nullopt, std::nullopt, true)));

  // Local part without case, like every lookup of the store.
  EXPECT_EQ(store_->find_limits("BOB@example.test", "").value(), limits(50, std::nullopt, 200));
  EXPECT_EQ(store_->find_limits("bob@example.test", "phone").value(), limits(std::nullopt, 10));
  EXPECT_EQ(store_->find_limits("bob@example.test", "password").value(), std::nullopt);
  EXPECT_THAT(store_->list_limits().value(),
              ElementsAre(LimitEntry{"Bob@example.test", "", limits(50, std::nullopt, 200)},
                          LimitEntry{"Bob@example.test", "phone", limits(std::nullopt, 10)},
                          LimitEntry{"carol@example.test", "oauth", limits({}, {}, {}, {}, true)}));
}

TEST_F(AccountPolicyTest, SetLimitsReplacesTheWholeOverride) {
  ASSERT_TRUE(store_->set_limits("bob@example.test", "", limits(50, 500)));
  ASSERT_TRUE(store_->set_limits("bob@example.test", "", limits(std::nullopt, std::nullopt, 7)));
  EXPECT_EQ(store_->find_limits("bob@example.test", "").value(), limits(std::nullopt, std::nullopt, 7));
  EXPECT_EQ(store_->list_limits().value().size(), 1u);
}

TEST_F(AccountPolicyTest, LimitRefusals) {
  auto set = [&](std::string address, std::string credential, policy::LimitOverride o) {
    return error_of(store_->set_limits(address, credential, o));
  };
  EXPECT_THAT(set("bob@example.test", "", limits(0)), HasSubstr("messages_per_hour must be a whole number from 1"));
  EXPECT_THAT(set("bob@example.test", "", limits(1, 1, 1, 0)), HasSubstr("recipients_per_day"));
  EXPECT_THAT(set("bob@example.test", "", limits(std::uint64_t{1} << 63)), HasSubstr("messages_per_hour"));
  EXPECT_THAT(set("bob@example.test", "", policy::LimitOverride{}), HasSubstr("no limit given"));
  EXPECT_THAT(set("nobody@example.test", "", limits(5)), HasSubstr("no account nobody@example.test"));
  EXPECT_THAT(set("bob@example.test", "tablet", limits(5)), HasSubstr("no credential tablet for bob@example.test"));
  // The reserved names are exact: "Password" is no credential.
  EXPECT_THAT(set("bob@example.test", "Password", limits(5)), HasSubstr("no credential Password"));
  EXPECT_EQ(set("bob@example.test", "", limits(std::numeric_limits<std::int64_t>::max())), "<ok>");
  EXPECT_EQ(set("bob@example.test", "password", limits(5)), "<ok>");
  EXPECT_EQ(set("bob@example.test", "certificate", limits(5)), "<ok>");
}

TEST_F(AccountPolicyTest, ClearLimits) {
  ASSERT_TRUE(store_->set_limits("bob@example.test", "", limits(5)));
  ASSERT_TRUE(store_->set_limits("bob@example.test", "phone", limits(6)));
  ASSERT_TRUE(store_->clear_limits("bob@example.test", "phone"));
  EXPECT_THAT(store_->list_limits().value(), ElementsAre(LimitEntry{"Bob@example.test", "", limits(5)}));
  EXPECT_THAT(error_of(store_->clear_limits("bob@example.test", "phone")),
              HasSubstr("no limit override for bob@example.test credential phone"));
  ASSERT_TRUE(store_->clear_limits("bob@example.test", ""));
  EXPECT_THAT(store_->list_limits().value(), IsEmpty());
}

TEST_F(AccountPolicyTest, LimitChangesAreAuditedAndBumpTheGeneration) {
  auto g = generation();
  ASSERT_TRUE(store_->set_limits("bob@example.test", "phone", limits(50, std::nullopt, std::nullopt, 900, true)));
  EXPECT_EQ(generation(), g + 1);
  auto entry = last_audit();
  EXPECT_EQ(entry.action, "limits.set");
  EXPECT_EQ(entry.subject, "bob@example.test");
  EXPECT_EQ(entry.detail, "credential phone: messages_per_hour=50 recipients_per_day=900 unlimited");
  EXPECT_EQ(entry.actor, "test");
  ASSERT_TRUE(store_->set_limits("bob@example.test", "", limits(std::nullopt, 3)));
  EXPECT_EQ(last_audit().detail, "messages_per_day=3");
  ASSERT_TRUE(store_->clear_limits("bob@example.test", "phone"));
  EXPECT_EQ(last_audit().action, "limits.clear");
  EXPECT_EQ(last_audit().detail, "credential phone");
  EXPECT_EQ(generation(), g + 3);
  // A refused change writes nothing.
  EXPECT_FALSE(store_->set_limits("bob@example.test", "", limits(0)));
  EXPECT_FALSE(store_->clear_limits("bob@example.test", "phone"));
  EXPECT_EQ(generation(), g + 3);
}

TEST_F(AccountPolicyTest, DeletingTheAccountDropsItsOverridesGrantsAndSuspensions) {
  ASSERT_TRUE(store_->set_limits("bob@example.test", "", limits(5)));
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "@example.org"));
  ASSERT_TRUE(store_->suspend_credential("bob@example.test", "phone", ""));
  ASSERT_TRUE(store_->delete_account("bob@example.test"));
  EXPECT_THAT(store_->list_limits().value(), IsEmpty());
  EXPECT_EQ(raw_value(db(), "SELECT (SELECT count(*) FROM sender_grants) + (SELECT count(*) FROM suspensions)"), "0");
  // A new account of the same name starts clean.
  ASSERT_TRUE(store_->add_account("bob@example.test", "again"));
  EXPECT_THAT(store_->list_sender_grants("bob@example.test").value(), IsEmpty());
}

// ---- sender grants ----------------------------------------------------------------------------

TEST_F(AccountPolicyTest, NormalizeSender) {
  EXPECT_EQ(normalize_sender("<>").value(), "<>");
  EXPECT_EQ(normalize_sender("@Example.ORG").value(), "@example.org");
  EXPECT_EQ(normalize_sender("Shop@Partner.Example").value(), "Shop@partner.example");
  EXPECT_EQ(normalize_sender("jörg@bücher.example").value(), "jörg@bücher.example");
  for (const char* bad :
       {"", "@", "x@", "@x@y", "a b@example.org", "\"a b\"@example.org", "@[192.0.2.1]", "x@[192.0.2.1]",
        "<x@example.org>", "x@example..org", "@-bad.example", "x@y,z@w", "<", "x@exa mple.org", "x\n@example.org"}) {
    EXPECT_FALSE(normalize_sender(bad)) << bad;
  }
}

TEST_F(AccountPolicyTest, AddListAndRemoveGrants) {
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "@Example.ORG"));
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "<>"));
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "Shop@partner.example"));
  EXPECT_THAT(store_->list_sender_grants("BOB@example.test").value(),
              ElementsAre("<>", "@example.org", "Shop@partner.example"));
  EXPECT_THAT(store_->list_sender_grants("carol@example.test").value(), IsEmpty());
  EXPECT_THAT(store_->list_sender_grants("nobody@example.test").error().message, HasSubstr("no account"));

  // Local parts without case: the same grant twice is refused, and removes by any spelling.
  EXPECT_THAT(error_of(store_->add_sender_grant("bob@example.test", "shop@PARTNER.example")),
              HasSubstr("may already send as shop@partner.example"));
  ASSERT_TRUE(store_->remove_sender_grant("bob@example.test", "SHOP@partner.example"));
  EXPECT_THAT(error_of(store_->remove_sender_grant("bob@example.test", "shop@partner.example")),
              HasSubstr("no sender grant shop@partner.example for bob@example.test"));
  EXPECT_THAT(error_of(store_->add_sender_grant("bob@example.test", "not a grant")), HasSubstr("invalid sender"));
  EXPECT_THAT(error_of(store_->add_sender_grant("nobody@example.test", "<>")), HasSubstr("no account"));

  auto record = store_->find_login("bob@example.test").value();
  ASSERT_TRUE(record);
  EXPECT_THAT(record->sender_grants, ElementsAre("<>", "@example.org"));
}

TEST_F(AccountPolicyTest, GrantChangesAreAuditedAndBumpTheGeneration) {
  auto g = generation();
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "@Example.org"));
  EXPECT_EQ(last_audit().action, "sender.add");
  EXPECT_EQ(last_audit().detail, "@example.org");
  ASSERT_TRUE(store_->remove_sender_grant("bob@example.test", "@example.org"));
  EXPECT_EQ(last_audit().action, "sender.remove");
  EXPECT_EQ(last_audit().subject, "bob@example.test");
  EXPECT_FALSE(store_->remove_sender_grant("bob@example.test", "@example.org"));
  EXPECT_EQ(generation(), g + 2);
}

// ---- suspension -------------------------------------------------------------------------------

TEST_F(AccountPolicyTest, SuspendAndResume) {
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(store_->suspend_credential("bob@example.test", "phone", "sent 4000 messages in an hour"));
  ASSERT_TRUE(store_->suspend_credential("bob@example.test", "password", ""));
  auto record = store_->find_login("bob@example.test").value();
  ASSERT_TRUE(record);
  EXPECT_THAT(record->suspended_credentials, ElementsAre("password", "phone"));
  EXPECT_TRUE(record->suspended("phone"));
  EXPECT_FALSE(record->suspended("oauth"));

  auto list = store_->list_credentials("bob@example.test").value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].suspended, clock_.now());
  EXPECT_EQ(list[0].suspend_reason, "sent 4000 messages in an hour");

  // Suspension keeps the secrets (two verifiers for each of the three credentials): resuming
  // needs no new password.
  EXPECT_EQ(raw_value(db(), "SELECT count(*) FROM scram_verifiers"), "6");
  ASSERT_TRUE(store_->resume_credential("bob@example.test", "phone"));
  list = store_->list_credentials("bob@example.test").value();
  EXPECT_EQ(list[0].suspended, std::nullopt);
  EXPECT_EQ(list[0].suspend_reason, "");
  EXPECT_THAT(store_->find_login("bob@example.test").value()->suspended_credentials, ElementsAre("password"));
}

TEST_F(AccountPolicyTest, SuspensionRefusals) {
  auto suspend = [&](std::string address, std::string credential, std::string reason = "") {
    return error_of(store_->suspend_credential(address, credential, reason));
  };
  EXPECT_THAT(suspend("bob@example.test", "tablet"), HasSubstr("no credential tablet for bob@example.test"));
  EXPECT_THAT(suspend("nobody@example.test", "password"), HasSubstr("no account"));
  EXPECT_THAT(suspend("bob@example.test", "phone", "line\nbreak"), HasSubstr("control characters"));
  EXPECT_THAT(suspend("bob@example.test", "phone", std::string(501, 'x')), HasSubstr("longer than 500"));
  EXPECT_THAT(suspend("bob@example.test", "phone", "\xff"), HasSubstr("UTF-8"));
  EXPECT_EQ(suspend("bob@example.test", "phone", "abuse report №42"), "<ok>");
  EXPECT_THAT(suspend("bob@example.test", "phone"),
              HasSubstr("credential phone of bob@example.test is already suspended"));
  EXPECT_THAT(error_of(store_->resume_credential("bob@example.test", "password")),
              HasSubstr("credential password of bob@example.test is not suspended"));
  // Tokens and certificates have no stored row but may be suspended by name.
  EXPECT_EQ(suspend("carol@example.test", "oauth"), "<ok>");
  EXPECT_EQ(suspend("carol@example.test", "certificate"), "<ok>");
}

TEST_F(AccountPolicyTest, SuspensionIsAuditedAndSurvivesANewPassword) {
  auto g = generation();
  ASSERT_TRUE(store_->suspend_credential("bob@example.test", "password", "phished"));
  EXPECT_EQ(last_audit().action, "credential.suspend");
  EXPECT_EQ(last_audit().detail, "password: phished");
  ASSERT_TRUE(store_->set_password("bob@example.test", "new-password"));
  EXPECT_TRUE(store_->find_login("bob@example.test").value()->suspended("password"));
  ASSERT_TRUE(store_->resume_credential("bob@example.test", "password"));
  EXPECT_EQ(last_audit().action, "credential.resume");
  EXPECT_EQ(last_audit().detail, "password");
  EXPECT_EQ(generation(), g + 3);
}

TEST_F(AccountPolicyTest, AccountListingShowsGrantsAndSuspensions) {
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "@example.org"));
  ASSERT_TRUE(store_->add_sender_grant("bob@example.test", "<>"));
  ASSERT_TRUE(store_->suspend_credential("bob@example.test", "password", "why"));
  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(store_->suspend_credential("carol@example.test", "oauth", ""));
  auto accounts = store_->list_accounts().value();
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_THAT(accounts[0].sender_grants, ElementsAre("<>", "@example.org"));
  EXPECT_THAT(accounts[0].suspensions,
              ElementsAre(Suspension{"password", clock_.now() - std::chrono::seconds(5), "why"}));
  EXPECT_THAT(accounts[1].sender_grants, IsEmpty());
  EXPECT_THAT(accounts[1].suspensions, ElementsAre(Suspension{"oauth", clock_.now(), ""}));
}

// ---- operator actions -------------------------------------------------------------------------

TEST_F(AccountPolicyTest, OperatorActionIsAuditedWithoutANewGeneration) {
  auto g = generation();
  ASSERT_TRUE(store_->record_operator_action("lockout.clear", "192.0.2.7"));
  ASSERT_TRUE(store_->record_operator_action("lockout.clear", "bob@example.test", "2 entries"));
  EXPECT_EQ(generation(), g);
  auto log = store_->audit_log(2).value();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].action, "lockout.clear");
  EXPECT_EQ(log[1].subject, "192.0.2.7");
  EXPECT_EQ(log[1].actor, "test");
  EXPECT_EQ(log[0].detail, "2 entries");
  // It shows in the account's own trail too.
  auto bob = store_->audit_log(10, "BOB@example.test").value();
  ASSERT_FALSE(bob.empty());
  EXPECT_EQ(bob.front().action, "lockout.clear");
}

}  // namespace
}  // namespace postern::auth
