#include "policy/relay.hpp"

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace postern::policy {
namespace {

using testing::FakeDirectory;

smtp::Path path(std::string local, std::string domain, bool quoted = false) {
  smtp::Path p;
  p.mailbox = smtp::Mailbox{std::move(local), std::move(domain), quoted, false};
  return p;
}

class RelayPolicyTest : public ::testing::Test {
 protected:
  RelayPolicyTest() : directory_({"alice@example.org", "bob@example.net", "postmaster@example.org"}) {}

  RecipientVerdict check(const smtp::Path& p, bool authenticated = false, bool trusted = false) {
    return policy_.check_recipient(p, ClientStanding{authenticated, trusted});
  }

  FakeDirectory directory_;
  RelayPolicy policy_{{"Example.ORG", "example.net"}, directory_};
};

constexpr ClientStanding kStranger{false, false};

TEST_F(RelayPolicyTest, LocalDomainsMatchCaseInsensitively) {
  EXPECT_TRUE(policy_.is_local_domain("example.org"));
  EXPECT_TRUE(policy_.is_local_domain("EXAMPLE.org"));
  EXPECT_TRUE(policy_.is_local_domain("example.net"));
  EXPECT_FALSE(policy_.is_local_domain("example.com"));
  EXPECT_FALSE(policy_.is_local_domain("sub.example.org"));
  EXPECT_FALSE(policy_.is_local_domain("example.org.evil.test"));
  EXPECT_FALSE(policy_.is_local_domain(""));
  EXPECT_FALSE(policy_.is_local_domain("[192.0.2.1]"));
}

TEST_F(RelayPolicyTest, KnownLocalRecipientAcceptedFromAnyone) {
  EXPECT_EQ(check(path("alice", "example.org")), RecipientVerdict::accept);
  EXPECT_EQ(check(path("ALICE", "example.org")), RecipientVerdict::accept);
  EXPECT_EQ(check(path("bob", "example.net"), true), RecipientVerdict::accept);
  EXPECT_EQ(check(path("bob", "example.net"), false, true), RecipientVerdict::accept);
}

TEST_F(RelayPolicyTest, UnknownLocalRecipient) {
  EXPECT_EQ(check(path("carol", "example.org")), RecipientVerdict::unknown_user);
  // Being allowed to relay does not make an unknown local mailbox exist.
  EXPECT_EQ(check(path("carol", "example.org"), true, true), RecipientVerdict::unknown_user);
  // alice exists at example.org only.
  EXPECT_EQ(check(path("alice", "example.net")), RecipientVerdict::unknown_user);
}

TEST_F(RelayPolicyTest, DirectoryDownIsTemporary) {
  directory_.set_down(true);
  EXPECT_EQ(check(path("alice", "example.org")), RecipientVerdict::temporary_failure);
  EXPECT_EQ(check(path("carol", "example.org"), true), RecipientVerdict::temporary_failure);
  // Remote recipients need no lookup.
  EXPECT_EQ(check(path("x", "example.com"), true), RecipientVerdict::accept);
  EXPECT_EQ(check(path("x", "example.com")), RecipientVerdict::relay_denied);
}

TEST_F(RelayPolicyTest, RemoteRecipientNeedsIdentityOrTrustedNetwork) {
  EXPECT_EQ(check(path("x", "example.com")), RecipientVerdict::relay_denied);
  EXPECT_EQ(check(path("x", "example.com"), true, false), RecipientVerdict::accept);
  EXPECT_EQ(check(path("x", "example.com"), false, true), RecipientVerdict::accept);
  EXPECT_EQ(check(path("x", "sub.example.org")), RecipientVerdict::relay_denied);
}

TEST_F(RelayPolicyTest, PercentHackRefusedWhoeverAsks) {
  directory_.add("user%remote.test@example.org");  // even if such an entry existed
  for (bool auth : {false, true}) {
    EXPECT_EQ(check(path("user%remote.test", "example.org"), auth, auth), RecipientVerdict::relay_denied);
  }
}

TEST_F(RelayPolicyTest, BangPathRefused) {
  EXPECT_EQ(check(path("remote.test!user", "example.org")), RecipientVerdict::relay_denied);
  EXPECT_EQ(check(path("remote.test!user", "example.org"), true, true), RecipientVerdict::relay_denied);
}

TEST_F(RelayPolicyTest, QuotedAtSignRefused) {
  // "user@remote.test"@example.org
  EXPECT_EQ(check(path("user@remote.test", "example.org", true)), RecipientVerdict::relay_denied);
  EXPECT_EQ(check(path("user@remote.test", "example.org", true), true, false), RecipientVerdict::relay_denied);
}

TEST_F(RelayPolicyTest, QuotedLocalPartWithoutTricksIsLookedUp) {
  directory_.add("a b@example.org");
  EXPECT_EQ(check(path("a b", "example.org", true)), RecipientVerdict::accept);
  EXPECT_EQ(check(path("c d", "example.org", true)), RecipientVerdict::unknown_user);
}

TEST_F(RelayPolicyTest, TricksAtRemoteDomainsFollowTheRelayRule) {
  // Not ours to interpret: the remote side decides; relaying itself still needs standing.
  EXPECT_EQ(check(path("user%other.test", "example.com")), RecipientVerdict::relay_denied);
  EXPECT_EQ(check(path("user%other.test", "example.com"), true), RecipientVerdict::accept);
}

TEST_F(RelayPolicyTest, AddressLiteralIsNeverLocal) {
  EXPECT_EQ(check(path("alice", "[127.0.0.1]")), RecipientVerdict::relay_denied);
  EXPECT_EQ(check(path("alice", "[IPv6:::1]")), RecipientVerdict::relay_denied);
  EXPECT_EQ(check(path("alice", "[127.0.0.1]"), true), RecipientVerdict::accept);
}

TEST_F(RelayPolicyTest, SourceRouteOnlyFinalMailboxCounts) {
  // <@example.org:user@example.com>: routed "through" us to a remote domain.
  auto routed = path("user", "example.com");
  routed.had_source_route = true;
  EXPECT_EQ(check(routed), RecipientVerdict::relay_denied);
  EXPECT_EQ(check(routed, true), RecipientVerdict::accept);
  // <@relay.test:alice@example.org>: the final mailbox is ours.
  auto inbound = path("alice", "example.org");
  inbound.had_source_route = true;
  EXPECT_EQ(check(inbound), RecipientVerdict::accept);
}

TEST_F(RelayPolicyTest, BarePostmasterIsLocal) {
  smtp::Path p;
  p.postmaster = true;
  EXPECT_EQ(check(p), RecipientVerdict::accept);
  EXPECT_EQ(check(path("PostMaster", "example.org")), RecipientVerdict::accept);
}

TEST(RelayPolicy, PostmasterIsAcceptedAtEveryLocalDomainEvenWithoutAnAccount) {
  // RFC 5321 §4.5.1: postmaster MUST be supported, whatever the directory holds.
  FakeDirectory directory({"alice@first.test"});
  RelayPolicy policy({"first.test", "second.test"}, directory);
  smtp::Path p;
  p.postmaster = true;
  EXPECT_EQ(policy.check_recipient(p, kStranger), RecipientVerdict::accept);
  EXPECT_EQ(policy.check_recipient(path("POSTMASTER", "second.test"), kStranger), RecipientVerdict::accept);
  EXPECT_EQ(policy.check_recipient(path("postmaster2", "second.test"), kStranger), RecipientVerdict::unknown_user);
  EXPECT_EQ(policy.check_recipient(path("postmaster", "remote.test"), kStranger), RecipientVerdict::relay_denied);
  // A directory that cannot answer is still a temporary failure: it may hold an alias.
  directory.set_down(true);
  EXPECT_EQ(policy.check_recipient(p, kStranger), RecipientVerdict::temporary_failure);
}

TEST(RelayPolicy, NullPathIsNeverARecipient) {
  FakeDirectory directory;
  RelayPolicy policy({"example.org"}, directory);
  EXPECT_EQ(policy.check_recipient(smtp::Path{}, ClientStanding{true, true}), RecipientVerdict::relay_denied);
}

TEST(RelayPolicy, NoLocalDomainsMeansNothingIsLocal) {
  FakeDirectory directory({"alice@example.org"});
  RelayPolicy policy({}, directory);
  smtp::Path pm;
  pm.postmaster = true;
  EXPECT_EQ(policy.check_recipient(pm, kStranger), RecipientVerdict::relay_denied);
  EXPECT_EQ(policy.check_recipient(path("alice", "example.org"), kStranger), RecipientVerdict::relay_denied);
}

}  // namespace
}  // namespace postern::policy
