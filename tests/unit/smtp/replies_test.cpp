#include "smtp/replies.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace postern::smtp {
namespace {

TEST(FormatReply, CodeStatusTextCrlf) {
  EXPECT_EQ(format_reply(replies::ok), "250 2.0.0 OK\r\n");
  EXPECT_EQ(format_reply(replies::message_too_big), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
}

TEST(FormatReply, NoEnhancedCodeOnIntermediateReply) {
  // RFC 2034 §3 / RFC 5321 §4.2: 354 carries no enhanced status code.
  EXPECT_EQ(format_reply(replies::start_mail_input), "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(FormatReply, TextCanBeReplaced) {
  EXPECT_EQ(format_reply(replies::queued, "OK queued as 4Xy7"), "250 2.0.0 OK queued as 4Xy7\r\n");
}

TEST(FormatMultiline, HyphenOnAllButTheLastLine) {
  // RFC 5321 §4.2.1: "250-First line" ... "250 Last line".
  const std::vector<std::string> lines = {"mail.example.org", "PIPELINING", "SIZE 10240000", "8BITMIME"};
  EXPECT_EQ(format_multiline(250, "", lines),
            "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n");
}

TEST(FormatMultiline, EnhancedCodeOnEveryLine) {
  const std::vector<std::string> lines = {"a", "b"};
  EXPECT_EQ(format_multiline(214, "2.0.0", lines), "214-2.0.0 a\r\n214 2.0.0 b\r\n");
}

TEST(FormatMultiline, SingleLineIsAPlainReply) {
  const std::vector<std::string> lines = {"only"};
  EXPECT_EQ(format_multiline(250, "2.0.0", lines), format_reply(ReplyCode{250, "2.0.0", "only"}));
}

TEST(Replies, EnhancedClassMatchesBasicClass) {
  // RFC 3463 §2: the class digit of the enhanced code equals the first digit of the reply.
  const ReplyCode all[] = {replies::closing,
                           replies::ok,
                           replies::sender_ok,
                           replies::recipient_ok,
                           replies::cannot_vrfy,
                           replies::shutting_down,
                           replies::local_error,
                           replies::line_too_long,
                           replies::bad_character,
                           replies::unrecognized,
                           replies::syntax_params,
                           replies::bad_sender_syntax,
                           replies::bad_recipient_syntax,
                           replies::bdat_syntax,
                           replies::need_mail,
                           replies::must_starttls,
                           replies::relay_denied,
                           replies::utf8_address_needs_smtputf8,
                           replies::message_too_big,
                           replies::bare_line_ending,
                           replies::nul_in_data};
  for (const ReplyCode& r : all) {
    ASSERT_FALSE(r.status.empty()) << r.code;
    EXPECT_EQ(r.status.front() - '0', r.code / 100) << r.code << " " << r.status;
    EXPECT_GE(r.code, 200);
    EXPECT_LT(r.code, 600);
  }
}

}  // namespace
}  // namespace postern::smtp
