#include "sasl/plain.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/base64.hpp"
#include "sasl_test_util.hpp"

namespace postern::sasl {
namespace {

using namespace postern::sasl::test;
using namespace std::string_literals;

std::string decode(std::string_view b64) { return base::base64_decode(b64).value_or("<bad base64>"); }

TEST(Plain, Rfc4616FirstExample) {
  // RFC 4616 §4: "C: AHRpbQB0YW5zdGFhZnRhbnN0YWFm" — authcid tim, password tanstaaftanstaaf.
  auto m = make_plain();
  EXPECT_EQ(m->name(), "PLAIN");
  Step step = m->start(decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"));
  const auto* req = as_request<VerifyPassword>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authcid, "tim");
  EXPECT_EQ(req->authzid, "");
  EXPECT_EQ(req->password, "tanstaaftanstaaf");
  step = m->resume(PasswordAnswer{Verdict::ok});
  const auto* ok = as_success(step);
  ASSERT_NE(ok, nullptr) << show(step);
  EXPECT_EQ(ok->authcid, "tim");
  EXPECT_EQ(ok->authzid, "");
  EXPECT_FALSE(ok->server_final.has_value());
  EXPECT_TRUE(m->finished());
}

TEST(Plain, Rfc4616SecondExampleRefusesTheAuthzid) {
  // RFC 4616 §4: "C: VXJzZWwAS3VydAB4aXBqM3BsbXE=" — Kurt asks to act as Ursel and is told
  // "NO Not authorized to requested authorization identity".
  auto m = make_plain();
  Step step = m->start(std::nullopt);
  const auto* c = as_challenge(step);
  ASSERT_NE(c, nullptr) << show(step);
  EXPECT_EQ(c->data, "");  // RFC 4422 §5: empty challenge when no initial response
  step = m->next(decode("VXJzZWwAS3VydAB4aXBqM3BsbXE="));
  const auto* req = as_request<VerifyPassword>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authzid, "Ursel");
  EXPECT_EQ(req->authcid, "Kurt");
  EXPECT_EQ(req->password, "xipj3plmq");
  step = m->resume(PasswordAnswer{Verdict::authzid_not_permitted});
  EXPECT_EQ(reason_of(step), FailureReason::authzid_not_permitted) << show(step);
}

TEST(Plain, MapsEachVerdict) {
  for (auto [verdict, reason] : {std::pair{Verdict::bad_credentials, FailureReason::bad_credentials},
                                 std::pair{Verdict::temporary_failure, FailureReason::temporary_failure}}) {
    auto m = make_plain();
    ASSERT_NE(as_request<VerifyPassword>(m->start("\0tim\0pw"s)), nullptr);
    EXPECT_EQ(reason_of(m->resume(PasswordAnswer{verdict})), reason);
  }
}

TEST(Plain, AcceptsFieldsOf255Octets) {
  std::string field(255, 'a');
  auto m = make_plain();
  Step step = m->start(field + '\0' + field + '\0' + field);
  const auto* req = as_request<VerifyPassword>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->password.size(), 255u);
}

TEST(Plain, AcceptsUtf8) {
  auto m = make_plain();
  Step step = m->start("\0j\xc3\xbcrgen\0p\xc3\xa4ss"s);
  const auto* req = as_request<VerifyPassword>(step);
  ASSERT_NE(req, nullptr) << show(step);
  EXPECT_EQ(req->authcid, "j\xc3\xbcrgen");
}

TEST(Plain, RefusesMalformedMessages) {
  std::string long_field(256, 'a');
  for (const std::string& bad : {
           ""s,                           // nothing
           "tim"s,                        // no NUL
           "\0tim"s,                      // one NUL
           "\0tim\0"s,                    // empty password
           "\0\0pw"s,                     // empty authcid
           "a\0b\0c\0d"s,                 // three NULs
           "\0tim\0pw\0"s,                // NUL inside the password
           long_field + "\0tim\0pw"s,     // authzid too long
           "\0"s + long_field + "\0pw"s,  // authcid too long
           "\0tim\0"s + long_field,       // password too long
           "\0tim\0\xff"s,                // not UTF-8
           "\0t\xc0\xafm\0pw"s,           // overlong UTF-8
           "\xed\xa0\x80\0tim\0pw"s,      // UTF-8 surrogate in the authzid
       }) {
    auto m = make_plain();
    Step step = m->start(bad);
    EXPECT_EQ(reason_of(step), FailureReason::malformed) << show(step);
    EXPECT_TRUE(m->finished());
  }
}

TEST(Plain, EveryTruncationFailsOrAsksForTheTruncatedPassword) {
  // Grinding: the message cut at every position.
  std::string message = "Ursel\0Kurt\0xipj3plmq"s;
  std::size_t second_nul = message.rfind('\0');
  for (std::size_t k = 0; k < message.size(); ++k) {
    auto m = make_plain();
    Step step = m->start(std::string_view(message).substr(0, k));
    if (k <= second_nul + 1) {
      EXPECT_EQ(reason_of(step), FailureReason::malformed) << k << ": " << show(step);
    } else {
      const auto* req = as_request<VerifyPassword>(step);
      ASSERT_NE(req, nullptr) << k;
      EXPECT_EQ(req->password, message.substr(second_nul + 1, k - second_nul - 1));
    }
  }
}

}  // namespace
}  // namespace postern::sasl
