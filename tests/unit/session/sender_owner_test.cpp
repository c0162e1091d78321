// DESIGN §3.6 in session dialogs: after AUTH, the envelope sender must be one of the identity's
// addresses (553 5.7.1 otherwise); without an identity nothing changes.

#include <gtest/gtest.h>

#include "base/base64.hpp"
#include "dialog.hpp"
#include "policy/sender.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

Settings submission() {
  Settings s = default_settings();
  s.listener_name = "submission";
  s.kind = ListenerKind::submission;
  s.require_auth = true;
  s.auth.mechanisms = {"PLAIN"};
  s.auth.allow_without_tls = true;  // the TLS dance is tested elsewhere; ownership does not depend on it
  s.auth.fake_salt_secret = std::string(32, 's');
  return s;
}

std::string auth_plain(std::string_view user, std::string_view password) {
  return "AUTH PLAIN " + base::base64_encode(std::string(1, '\0') + std::string(user) + '\0' + std::string(password)) +
         "\r\n";
}

/// alice owns her address and the alias alice.smith@; her app password "phone" may send only
/// as the alias.
class SenderOwner : public ::testing::Test {
 protected:
  explicit SenderOwner(Settings settings = submission(), ClientOptions client = {}) : d(std::move(settings), client) {
    d.authenticator.add("alice@example.org", {.account = "alice@example.org",
                                              .password = "alice-pw",
                                              .senders = {"alice@example.org", "alice.smith@example.org"}});
    d.authenticator.add("alice@example.org/phone", {.account = "alice@example.org",
                                                    .credential = "phone",
                                                    .password = "phone-pw",
                                                    .senders = {"alice.smith@example.org"}});
  }
  void SetUp() override { d.send("EHLO client.example\r\n"); }
  void login(std::string_view user, std::string_view password) {
    ASSERT_EQ(d.send(auth_plain(user, password)), R(replies::auth_ok));
  }
  Dialog d;
};

TEST_F(SenderOwner, OwnAddressIsAccepted) {
  login("alice@example.org", "alice-pw");
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<friend@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  d.send("DATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\n");
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_EQ(d.envelopes[0].sender, "alice@example.org");
}

TEST_F(SenderOwner, AliasIsAccepted) {
  login("alice@example.org", "alice-pw");
  EXPECT_EQ(d.send("MAIL FROM:<alice.smith@example.org>\r\n"), R(replies::sender_ok));
}

TEST_F(SenderOwner, CaseVariantsAndQuotingAreTheSameMailbox) {
  login("alice@example.org", "alice-pw");
  for (std::string from : {"ALICE@example.org", "alice@EXAMPLE.ORG", "Alice.Smith@Example.Org", "\"alice\"@example.org"}) {
    EXPECT_EQ(d.send("MAIL FROM:<" + from + ">\r\n"), R(replies::sender_ok)) << from;
    EXPECT_EQ(d.send("RSET\r\n"), R(replies::reset_ok));
  }
}

TEST_F(SenderOwner, SomeoneElsesAddressIs553AndOpensNoTransaction) {
  login("alice@example.org", "alice-pw");
  EXPECT_EQ(d.send("MAIL FROM:<bob@example.org>\r\n"), R(replies::sender_not_owned));
  EXPECT_EQ(R(replies::sender_not_owned), "553 5.7.1 Sender address not owned by user\r\n");
  // Nothing is open: the recipient needs a MAIL first, and a proper MAIL is then fine.
  EXPECT_EQ(d.send("RCPT TO:<friend@remote.example>\r\n"), R(replies::need_mail));
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), R(replies::sender_ok));
}

TEST_F(SenderOwner, LookalikesAreNotOwned) {
  login("alice@example.org", "alice-pw");
  for (std::string from : {"alice@example.org.evil", "alice@evil.example.org", "xalice@example.org",
                           "alice@[192.0.2.1]", "\"alice@example.org\"@evil.example"}) {
    EXPECT_EQ(d.send("MAIL FROM:<" + from + ">\r\n"), R(replies::sender_not_owned)) << from;
  }
}

TEST_F(SenderOwner, NullSenderFromAnIdentityIs553) {
  login("alice@example.org", "alice-pw");
  EXPECT_EQ(d.send("MAIL FROM:<>\r\n"), R(replies::sender_not_owned));
}

TEST_F(SenderOwner, LimitedAppPasswordMaySendOnlyAsItsAddresses) {
  login("alice@example.org/phone", "phone-pw");
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), R(replies::sender_not_owned));
  EXPECT_EQ(d.send("MAIL FROM:<alice.smith@example.org>\r\n"), R(replies::sender_ok));
}

TEST_F(SenderOwner, SourceRouteDoesNotHideTheMailbox) {
  login("alice@example.org", "alice-pw");
  // RFC 5321 Appendix C: the route is ignored; the mailbox after it is what must be owned.
  EXPECT_EQ(d.send("MAIL FROM:<@relay.example:bob@example.org>\r\n"), R(replies::sender_not_owned));
  EXPECT_EQ(d.send("MAIL FROM:<@relay.example:alice@example.org>\r\n"), R(replies::sender_ok));
}

// The operator's grants: "<>" lets an identity send bounces, "@domain" a whole domain.
class SenderGrants : public SenderOwner {
 protected:
  SenderGrants() {
    d.authenticator.add("bounces@example.org", {.account = "bounces@example.org",
                                                .password = "bounce-pw",
                                                .senders = {"bounces@example.org", "<>"}});
    d.authenticator.add("lists@example.org", {.account = "lists@example.org",
                                              .password = "lists-pw",
                                              .senders = {"@lists.example.org"}});
  }
};

TEST_F(SenderGrants, NullSenderWithTheGrant) {
  login("bounces@example.org", "bounce-pw");
  EXPECT_EQ(d.send("MAIL FROM:<>\r\nRCPT TO:<friend@remote.example>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  d.send("DATA\r\nSubject: Undelivered Mail\r\n\r\nsorry\r\n.\r\n");
  ASSERT_EQ(d.envelopes.size(), 1u);
  EXPECT_EQ(d.envelopes[0].sender, "");
  ASSERT_TRUE(d.envelopes[0].auth.has_value());
  EXPECT_EQ(d.envelopes[0].auth->account, "bounces@example.org");
}

TEST_F(SenderGrants, NullSenderGrantIsNotAnAddressGrant) {
  login("bounces@example.org", "bounce-pw");
  EXPECT_EQ(d.send("MAIL FROM:<alice@example.org>\r\n"), R(replies::sender_not_owned));
  EXPECT_EQ(d.send("MAIL FROM:<bounces@example.org>\r\n"), R(replies::sender_ok));
}

TEST_F(SenderGrants, DomainGrant) {
  login("lists@example.org", "lists-pw");
  EXPECT_EQ(d.send("MAIL FROM:<Announce@LISTS.example.org>\r\n"), R(replies::sender_ok));
  EXPECT_EQ(d.send("RSET\r\nMAIL FROM:<x@sub.lists.example.org>\r\n"), R(replies::reset_ok) + R(replies::sender_not_owned));
  EXPECT_EQ(d.send("MAIL FROM:<lists@example.org>\r\n"), R(replies::sender_not_owned));
  // Without "<>" the domain grant does not cover the null sender.
  EXPECT_EQ(d.send("MAIL FROM:<>\r\n"), R(replies::sender_not_owned));
}

TEST(SenderOwnerLimits, RefusalsCountAsErrors) {
  Settings s = submission();
  s.limits.max_errors = 2;
  Dialog d(s);
  d.authenticator.add("alice@example.org", {.account = "alice@example.org", .password = "alice-pw"});
  d.send("EHLO client.example\r\n");
  ASSERT_EQ(d.send(auth_plain("alice@example.org", "alice-pw")), R(replies::auth_ok));
  EXPECT_EQ(d.send("MAIL FROM:<bob@example.org>\r\n"), R(replies::sender_not_owned));
  EXPECT_EQ(d.send("MAIL FROM:<>\r\n"), R(replies::sender_not_owned) + R(replies::too_many_errors));
  EXPECT_TRUE(d.closed);
}

TEST(SenderOwnerWithoutIdentity, TrustedNetworkWithoutAuthIsUnaffected) {
  Dialog d(submission(), ClientOptions{.address = "10.0.0.5", .trusted_network = true});
  d.send("EHLO client.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<anyone@elsewhere.example>\r\n"), R(replies::sender_ok));
  EXPECT_EQ(d.send("RSET\r\nMAIL FROM:<>\r\n"), R(replies::reset_ok) + R(replies::sender_ok));
}

TEST(SenderOwnerWithoutIdentity, InboundMailFromStrangersIsUnaffected) {
  Dialog d;  // the smtp listener
  d.send("EHLO mx.remote.example\r\n");
  EXPECT_EQ(d.send("MAIL FROM:<stranger@remote.example>\r\nRCPT TO:<alice@example.org>\r\n"),
            R(replies::sender_ok) + R(replies::recipient_ok));
  EXPECT_EQ(d.send("RSET\r\nMAIL FROM:<>\r\n"), R(replies::reset_ok) + R(replies::sender_ok));
}

// The pure decision itself, for what a dialog cannot easily show.
smtp::Mailbox mailbox(std::string local, std::string domain, bool quoted = false) {
  return smtp::Mailbox{std::move(local), std::move(domain), quoted, false};
}

TEST(SenderOwned, EmptyListOwnsNothing) {
  EXPECT_FALSE(policy::sender_owned(mailbox("alice", "example.org"), {}));
}

TEST(SenderOwned, QuotedStoredLocalPartMatchesItsContent) {
  std::vector<std::string> owned{"\"a b\"@example.org", "\"q\\\"x\"@example.org"};
  EXPECT_TRUE(policy::sender_owned(mailbox("a b", "example.org", true), owned));
  EXPECT_TRUE(policy::sender_owned(mailbox("A B", "EXAMPLE.org", true), owned));
  EXPECT_TRUE(policy::sender_owned(mailbox("q\"x", "example.org", true), owned));
  EXPECT_FALSE(policy::sender_owned(mailbox("ab", "example.org"), owned));
}

TEST(SenderOwned, MalformedOwnedEntryMatchesNothing) {
  std::vector<std::string> owned{"alice", ""};
  EXPECT_FALSE(policy::sender_owned(mailbox("alice", "example.org"), owned));
  EXPECT_FALSE(policy::sender_owned(mailbox("", ""), owned));
}

}  // namespace
}  // namespace postern::session::test
