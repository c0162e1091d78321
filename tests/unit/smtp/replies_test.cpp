#include "smtp/replies.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <tuple>
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

// Every reply declared in replies.hpp, read from the header itself, so a reply added later is
// checked without anyone having to remember this test.
std::vector<std::tuple<std::string, int, std::string>> declared_replies() {
  std::ifstream in(std::string(POSTERN_SOURCE_DIR) + "/src/smtp/replies.hpp");
  std::string text{std::istreambuf_iterator<char>(in), {}};
  static const std::regex decl(R"re(inline constexpr ReplyCode (\w+)\{(\d+), "([^"]*)")re");
  std::vector<std::tuple<std::string, int, std::string>> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), decl); it != std::sregex_iterator(); ++it) {
    out.emplace_back((*it)[1].str(), std::stoi((*it)[2].str()), (*it)[3].str());
  }
  return out;
}

TEST(Replies, EnhancedClassMatchesBasicClass) {
  // RFC 3463 §2: the class digit of the enhanced code equals the first digit of the reply;
  // RFC 2034 §3: only the greeting, EHLO/HELO replies and the 354 go without one; RFC 4954 §4:
  // a 334 carries nothing but the base64 challenge.
  auto all = declared_replies();
  ASSERT_GT(all.size(), 50u) << "replies.hpp could not be read or parsed";
  std::set<std::string> names;
  for (const auto& [name, code, status] : all) {
    EXPECT_TRUE(names.insert(name).second) << name << " declared twice";
    EXPECT_GE(code, 200) << name;
    EXPECT_LT(code, 600) << name;
    if (status.empty()) {
      EXPECT_TRUE(code == 220 || code == 250 || code == 334 || code == 354) << name << " has no enhanced code";
      continue;
    }
    EXPECT_EQ(status.front() - '0', code / 100) << name << " " << code << " " << status;
  }
}

}  // namespace
}  // namespace postern::smtp
