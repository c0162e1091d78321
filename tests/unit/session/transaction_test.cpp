// MAIL and RCPT: parameters, address errors, relay verdicts, recipient limit.

#include <gtest/gtest.h>

#include "dialog.hpp"

namespace postern::session::test {
namespace {

namespace replies = smtp::replies;

class Transaction : public ::testing::Test {
 protected:
  explicit Transaction(Settings settings = default_settings(), ClientOptions client = {}) : d(settings, client) {
    d.send("EHLO client.example\r\n");
  }
  std::string mail(std::string_view args) { return d.send("MAIL FROM:" + std::string(args) + "\r\n"); }
  std::string rcpt(std::string_view args) { return d.send("RCPT TO:" + std::string(args) + "\r\n"); }
  /// Completes the transaction and returns its envelope.
  Envelope finish() {
    d.send("DATA\r\nx\r\n.\r\n");
    EXPECT_EQ(d.envelopes.size(), 1u);
    return d.envelopes.empty() ? Envelope{} : d.envelopes.back();
  }

  Dialog d;
};

TEST_F(Transaction, PlainMailAndRcpt) {
  EXPECT_EQ(mail("<sender@example.com>"), "250 2.1.0 Sender OK\r\n");
  EXPECT_EQ(rcpt("<alice@example.org>"), "250 2.1.5 Recipient OK\r\n");
  EXPECT_EQ(rcpt("<Bob@Example.ORG>"), R(replies::recipient_ok));
  auto e = finish();
  EXPECT_EQ(e.sender, "sender@example.com");
  EXPECT_EQ(e.recipients, (std::vector<std::string>{"alice@example.org", "Bob@example.org"}));
  EXPECT_EQ(e.body, "7BIT");
  EXPECT_FALSE(e.smtputf8);
  EXPECT_EQ(e.declared_size, 0u);
  EXPECT_EQ(e.helo, "client.example");
  EXPECT_EQ(e.listener, "smtp");
  EXPECT_EQ(e.client_address, "192.0.2.1");
  EXPECT_EQ(e.client_port, 40000);
  EXPECT_FALSE(e.tls.has_value());
  EXPECT_FALSE(e.auth.has_value());
  EXPECT_EQ(e.received, d.clock().now());
}

TEST_F(Transaction, NullSender) {
  EXPECT_EQ(mail("<>"), R(replies::sender_ok));
  rcpt("<alice@example.org>");
  EXPECT_EQ(finish().sender, "");
}

TEST_F(Transaction, SizeParameter) {
  EXPECT_EQ(mail("<a@example.com> SIZE=1000"), R(replies::sender_ok));
  rcpt("<alice@example.org>");
  EXPECT_EQ(finish().declared_size, 1000u);
}

TEST_F(Transaction, SizeAboveTheLimitIsRefusedAtMail) {
  EXPECT_EQ(mail("<a@example.com> SIZE=26214401"), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(mail("<a@example.com> SIZE=26214400"), R(replies::sender_ok));
}

TEST_F(Transaction, MalformedSize) {
  for (std::string_view args : {"<a@example.com> SIZE", "<a@example.com> SIZE=abc", "<a@example.com> SIZE=-1",
                                "<a@example.com> SIZE=99999999999999999999999"}) {
    EXPECT_EQ(mail(args), R(replies::syntax_params)) << args;
  }
}

TEST_F(Transaction, BodyParameter) {
  EXPECT_EQ(mail("<a@example.com> BODY=8BITMIME"), R(replies::sender_ok));
  rcpt("<alice@example.org>");
  EXPECT_EQ(finish().body, "8BITMIME");
}

TEST_F(Transaction, BodyValuesAreCaseInsensitive) {
  EXPECT_EQ(mail("<a@example.com> body=7bit"), R(replies::sender_ok));
  d.send("RSET\r\n");
  EXPECT_EQ(mail("<a@example.com> BODY=8bitmime"), R(replies::sender_ok));
}

TEST_F(Transaction, UnsupportedBody) {
  EXPECT_EQ(mail("<a@example.com> BODY=BINARYMIME"), "555 5.5.4 Unsupported BODY type\r\n");
  EXPECT_EQ(mail("<a@example.com> BODY=9BIT"), R(replies::unsupported_body));
}

TEST_F(Transaction, Smtputf8Parameter) {
  EXPECT_EQ(mail("<jörg@example.com> SMTPUTF8"), R(replies::sender_ok));
  EXPECT_EQ(rcpt("<alice@example.org>"), R(replies::recipient_ok));
  auto e = finish();
  EXPECT_TRUE(e.smtputf8);
  EXPECT_EQ(e.sender, "jörg@example.com");
  EXPECT_EQ(e.body, "8BITMIME");
}

TEST_F(Transaction, Smtputf8WithValueOr7Bit) {
  EXPECT_EQ(mail("<a@example.com> SMTPUTF8=yes"), R(replies::syntax_params));
  EXPECT_EQ(mail("<a@example.com> SMTPUTF8 BODY=7BIT"), R(replies::smtputf8_needs_8bit));
  EXPECT_EQ(mail("<a@example.com> SMTPUTF8 BODY=8BITMIME"), R(replies::sender_ok));
}

TEST_F(Transaction, NonAsciiAddressWithoutSmtputf8) {
  EXPECT_EQ(mail("<jörg@example.com>"), "553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter\r\n");
  EXPECT_EQ(mail("<a@example.com>"), R(replies::sender_ok));
  EXPECT_EQ(rcpt("<jörg@example.org>"), R(replies::utf8_address_needs_smtputf8));
}

TEST_F(Transaction, AuthParameterIsAcceptedAndIgnored) {
  EXPECT_EQ(mail("<a@example.com> AUTH=<>"), R(replies::sender_ok));
  rcpt("<alice@example.org>");
  EXPECT_FALSE(finish().auth.has_value());
}

TEST_F(Transaction, UnknownMailParameter) {
  EXPECT_EQ(mail("<a@example.com> RET=HDRS"),
            "555 5.5.4 MAIL FROM/RCPT TO parameter not recognized or not implemented\r\n");
  EXPECT_EQ(mail("<a@example.com> XFOO"), R(replies::unsupported_parameter));
}

TEST_F(Transaction, RepeatedParameter) {
  EXPECT_EQ(mail("<a@example.com> SIZE=10 SIZE=20"), R(replies::syntax_params));
  EXPECT_EQ(mail("<a@example.com> BODY=7BIT body=8BITMIME"), R(replies::syntax_params));
}

TEST_F(Transaction, SenderSyntax) {
  EXPECT_EQ(mail("a@example.com"), "501 5.1.7 Bad sender address syntax\r\n");
  EXPECT_EQ(mail("<a@@example.com>"), R(replies::bad_sender_syntax));
  EXPECT_EQ(mail("<" + std::string(65, 'a') + "@example.com>"), R(replies::bad_sender_syntax));
  EXPECT_EQ(d.send("MAIL TO:<a@example.com>\r\n"), R(replies::bad_sender_syntax));
  EXPECT_EQ(d.send("MAIL\r\n"), R(replies::bad_sender_syntax));
  // None of them opened a transaction.
  EXPECT_EQ(rcpt("<alice@example.org>"), R(replies::need_mail));
}

TEST_F(Transaction, RecipientSyntax) {
  mail("<a@example.com>");
  EXPECT_EQ(rcpt("alice@example.org"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(rcpt("<>"), R(replies::bad_recipient_syntax));
  EXPECT_EQ(d.send("RCPT FROM:<alice@example.org>\r\n"), R(replies::bad_recipient_syntax));
}

TEST_F(Transaction, RcptParametersAreNotSupportedYet) {
  mail("<a@example.com>");
  EXPECT_EQ(rcpt("<alice@example.org> NOTIFY=NEVER"), R(replies::unsupported_parameter));
}

TEST_F(Transaction, UnknownLocalUser) {
  mail("<a@example.com>");
  EXPECT_EQ(rcpt("<carol@example.org>"), "550 5.1.1 Recipient address rejected: no such user\r\n");
}

TEST_F(Transaction, RelayDenied) {
  mail("<a@example.com>");
  EXPECT_EQ(rcpt("<someone@example.net>"), "554 5.7.1 Relay access denied\r\n");
}

TEST_F(Transaction, RelayTricksAreDenied) {
  mail("<a@example.com>");
  for (std::string_view trick :
       {"<alice%example.net@example.org>", "<\"alice@example.net\"@example.org>", "<example.net!alice@example.org>",
        "<@example.org:alice@example.net>", "<alice@[127.0.0.1]>"}) {
    EXPECT_EQ(rcpt(trick), R(replies::relay_denied)) << trick;
  }
  EXPECT_EQ(rcpt("<@relay.example.net:alice@example.org>"), R(replies::recipient_ok));
}

TEST_F(Transaction, DirectoryDown) {
  mail("<a@example.com>");
  d.directory().set_down(true);
  EXPECT_EQ(rcpt("<alice@example.org>"), "451 4.3.0 Recipient lookup temporarily unavailable, try again later\r\n");
}

TEST_F(Transaction, BarePostmasterNamesThePrimaryDomain) {
  mail("<a@example.com>");
  EXPECT_EQ(rcpt("<Postmaster>"), R(replies::recipient_ok));
  EXPECT_EQ(finish().recipients, std::vector<std::string>{"postmaster@example.org"});
}

class TrustedTransaction : public Transaction {
 protected:
  TrustedTransaction() : Transaction(default_settings(), ClientOptions{.trusted_network = true}) {}
};

TEST_F(TrustedTransaction, TrustedNetworkMayRelay) {
  mail("<a@example.org>");
  EXPECT_EQ(rcpt("<someone@example.net>"), R(replies::recipient_ok));
  // ... but a local domain still needs an existing mailbox, and the tricks stay refused.
  EXPECT_EQ(rcpt("<carol@example.org>"), R(replies::unknown_user));
  EXPECT_EQ(rcpt("<alice%example.net@example.org>"), R(replies::relay_denied));
}

class LimitedTransaction : public Transaction {
 protected:
  static Settings limited() {
    auto s = default_settings();
    s.limits.max_recipients = 2;
    return s;
  }
  LimitedTransaction() : Transaction(limited()) {}
};

TEST_F(LimitedTransaction, TooManyRecipients) {
  mail("<a@example.com>");
  EXPECT_EQ(rcpt("<alice@example.org>"), R(replies::recipient_ok));
  EXPECT_EQ(rcpt("<bob@example.org>"), R(replies::recipient_ok));
  EXPECT_EQ(rcpt("<postmaster@example.org>"), "452 4.5.3 Too many recipients\r\n");
  EXPECT_EQ(finish().recipients.size(), 2u);
}

TEST_F(Transaction, WholeTransactionPipelinedInOneFeed) {
  Output out;
  std::string input =
      "MAIL FROM:<a@example.com>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\n"
      "RCPT TO:<bob@example.org>\r\nDATA\r\n";
  EXPECT_EQ(d.session().feed(input, out), input.size());
  EXPECT_EQ(out.replies, R(replies::sender_ok) + R(replies::recipient_ok) + R(replies::unknown_user) +
                             R(replies::recipient_ok) + "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(out.action, Action::begin_message);
}

}  // namespace
}  // namespace postern::session::test
