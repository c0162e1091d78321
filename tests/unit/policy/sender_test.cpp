// Sender ownership with the operator's grants: "@domain" for a whole domain, "<>" for the null
// sender (DESIGN §3.6).

#include "policy/sender.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace postern::policy {
namespace {

smtp::Mailbox mailbox(std::string local, std::string domain, bool quoted = false) {
  return smtp::Mailbox{std::move(local), std::move(domain), quoted, false};
}

TEST(SenderOwnedGrants, DomainGrantCoversEveryMailboxOfThatDomain) {
  std::vector<std::string> owned{"@example.org"};
  EXPECT_TRUE(sender_owned(mailbox("alice", "example.org"), owned));
  EXPECT_TRUE(sender_owned(mailbox("anyone.else", "example.org"), owned));
  EXPECT_TRUE(sender_owned(mailbox("a b", "example.org", true), owned));
  EXPECT_TRUE(sender_owned(mailbox("", "example.org", true), owned));
  EXPECT_TRUE(sender_owned(mailbox("alice", "EXAMPLE.Org"), owned));
  EXPECT_TRUE(sender_owned(mailbox("alice", "example.org"), std::vector<std::string>{"@EXAMPLE.ORG"}));
}

TEST(SenderOwnedGrants, DomainGrantIsNotASuffixMatch) {
  std::vector<std::string> owned{"@example.org"};
  EXPECT_FALSE(sender_owned(mailbox("alice", "sub.example.org"), owned));
  EXPECT_FALSE(sender_owned(mailbox("alice", "badexample.org"), owned));
  EXPECT_FALSE(sender_owned(mailbox("alice", "example.org.evil"), owned));
  EXPECT_FALSE(sender_owned(mailbox("alice", "example.net"), owned));
  EXPECT_FALSE(sender_owned(mailbox("alice", "[192.0.2.1]"), owned));
  // The quoted "@" of a local part is not the domain's.
  EXPECT_FALSE(sender_owned(mailbox("alice@example.org", "evil.example", true), owned));
}

TEST(SenderOwnedGrants, MailboxAndDomainGrantsTogether) {
  std::vector<std::string> owned{"alice@example.org", "@lists.example.org"};
  EXPECT_TRUE(sender_owned(mailbox("alice", "example.org"), owned));
  EXPECT_TRUE(sender_owned(mailbox("announce", "lists.example.org"), owned));
  EXPECT_FALSE(sender_owned(mailbox("bob", "example.org"), owned));
}

TEST(SenderOwnedGrants, EntriesOfOtherShapesGrantNothing) {
  std::vector<std::string> owned{"@", "<>", "example.org", "alice@", ""};
  EXPECT_FALSE(sender_owned(mailbox("alice", "example.org"), owned));
  EXPECT_FALSE(sender_owned(mailbox("", "example.org"), owned));
  EXPECT_FALSE(sender_owned(mailbox("alice", ""), owned));
}

TEST(SenderOwnedGrants, MailboxEntriesStillCompareAsBefore) {
  std::vector<std::string> owned{"Alice@Example.org", "\"a b\"@example.org"};
  EXPECT_TRUE(sender_owned(mailbox("alice", "example.org"), owned));
  EXPECT_TRUE(sender_owned(mailbox("A B", "example.org", true), owned));
  EXPECT_FALSE(sender_owned(mailbox("alicex", "example.org"), owned));
  EXPECT_FALSE(sender_owned(mailbox("alice", "example.org"), std::vector<std::string>{}));
}

TEST(NullSenderAllowed, OnlyTheExactGrant) {
  EXPECT_TRUE(null_sender_allowed(std::vector<std::string>{"alice@example.org", "<>"}));
  EXPECT_TRUE(null_sender_allowed(std::vector<std::string>{"<>"}));
  EXPECT_FALSE(null_sender_allowed(std::vector<std::string>{}));
  EXPECT_FALSE(null_sender_allowed(std::vector<std::string>{"alice@example.org", "@example.org"}));
  EXPECT_FALSE(null_sender_allowed(std::vector<std::string>{"", "< >", "<>x", "\"<>\"", "@"}));
}

}  // namespace
}  // namespace postern::policy
