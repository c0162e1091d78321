// AUTH dialogs fed whole, split at every byte position, and one byte at a time: the replies,
// the store requests and the identity must not depend on how TCP cut the stream.

#include <gtest/gtest.h>

#include "../sasl/scram_client.hpp"
#include "base/base64.hpp"
#include "dialog.hpp"

namespace postern::session::test {
namespace {

using base::base64_encode;
namespace replies = smtp::replies;

Settings implicit_tls() {
  Settings s = default_settings();
  s.listener_name = "submissions";
  s.kind = ListenerKind::submissions;
  s.require_tls = true;
  s.require_auth = true;
  s.auth.mechanisms = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN"};
  s.auth.fake_salt_secret = std::string(32, 's');
  return s;
}

ClientOptions tls_client() {
  TlsInfo tls = test_tls();
  tls.channel_bindings.push_back({sasl::ChannelBindingType::tls_exporter, std::string(32, 'x')});
  return ClientOptions{.tls_at_connect = tls};
}

void add_accounts(Dialog& d) {
  d.authenticator.add("alice@example.org", {"alice@example.org", "password", "alice-pw", true});
}

const std::string kBeforeScram =
    "EHLO client.example\r\n"
    "AUTH LOGIN\r\n" +
    base64_encode("alice@example.org") +
    "\r\n"
    "*\r\n"
    "AUTH PLAIN !!!!\r\n"
    "AUTH PLAIN\r\n" +
    base64_encode(std::string("\0alice@example.org\0wrong", 24)) + "\r\n";

const std::string kClientFirst = "n,,n=alice@example.org,r=grindnonce";

// The SCRAM proof depends on the server nonce, which the dialog's counting randomness makes the
// same on every run: learn it once from a dialog fed the prefix.
std::string scram_final(sasl::test::ScramClient& client) {
  Dialog probe(implicit_tls(), tls_client());
  add_accounts(probe);
  probe.send(kBeforeScram);
  auto first = probe.send("AUTH SCRAM-SHA-256 " + base64_encode(kClientFirst) + "\r\n");
  EXPECT_TRUE(first.starts_with("334 ")) << first;
  auto server_first = base::base64_decode(first.substr(4, first.size() - 6));
  return server_first ? client.final_message(*server_first) : "";
}

std::string make_script(std::string& server_final) {
  sasl::test::ScramClient client(sasl::ScramHash::sha256, "n,,", "alice@example.org", "alice-pw", "grindnonce");
  std::string final_message = scram_final(client);
  server_final = client.expected_server_final();
  return kBeforeScram + "AUTH SCRAM-SHA-256 " + base64_encode(kClientFirst) + "\r\n" + base64_encode(final_message) +
         "\r\n"
         "\r\n"
         "AUTH PLAIN " +
         base64_encode(std::string("\0alice@example.org\0alice-pw", 27)) +
         "\r\n"
         "MAIL FROM:<alice@example.org>\r\n"
         "RCPT TO:<friend@remote.example>\r\n"
         "DATA\r\n"
         "Subject: ground\r\n\r\nbody\r\n.\r\n"
         "QUIT\r\n";
}

struct Transcript {
  std::string replies;
  std::vector<std::optional<AuthInfo>> auth;
  std::vector<std::size_t> requests;
  std::size_t events = 0;
  bool closed = false;
  bool operator==(const Transcript&) const = default;
};

Transcript run(const std::string& script, const std::vector<std::size_t>& cuts) {
  Dialog d(implicit_tls(), tls_client());
  add_accounts(d);
  Transcript t;
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    t.replies += d.send(std::string_view(script).substr(at, cut - at));
    at = cut;
  }
  t.replies += d.send(std::string_view(script).substr(at));
  for (const auto& e : d.envelopes) t.auth.push_back(e.auth);
  t.requests = d.authenticator.kinds;
  t.events = d.auth_events.size();
  t.closed = d.closed;
  return t;
}

TEST(AuthGrind, WholeDialogDoesWhatItShould) {
  std::string server_final;
  auto script = make_script(server_final);
  ASSERT_FALSE(server_final.empty());
  auto t = run(script, {});
  EXPECT_TRUE(t.replies.starts_with("250-mx.example.org Hello")) << t.replies;
  std::string after_ehlo = t.replies.substr(t.replies.find("250 AUTH"));
  after_ehlo = after_ehlo.substr(after_ehlo.find("\r\n") + 2);
  EXPECT_EQ(after_ehlo.substr(0, after_ehlo.find(R(replies::auth_invalid)) + R(replies::auth_invalid).size()),
            "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n" + R(replies::auth_cancelled) + R(replies::auth_bad_base64) +
                "334 \r\n" + R(replies::auth_invalid));
  EXPECT_TRUE(t.replies.find("334 " + base64_encode(server_final) + "\r\n" + R(replies::auth_ok) +
                             R(replies::auth_already) + R(replies::sender_ok) + R(replies::recipient_ok) +
                             R(replies::start_mail_input) + "250 2.0.0 OK queued as Q1\r\n" + R(replies::closing)) !=
              std::string::npos)
      << t.replies;
  ASSERT_EQ(t.auth.size(), 1u);
  EXPECT_EQ(t.auth[0], (AuthInfo{"alice@example.org", "password", "SCRAM-SHA-256", {"alice@example.org"}}));
  // PLAIN (wrong) then SCRAM's verifier; the cancelled LOGIN and the 503 never reached the store.
  EXPECT_EQ(t.requests, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(t.events, 5u);
  EXPECT_TRUE(t.closed);
}

TEST(AuthGrind, EverySplitPointGivesTheSameTranscript) {
  std::string server_final;
  auto script = make_script(server_final);
  auto expected = run(script, {});
  for (std::size_t cut = 1; cut < script.size(); ++cut) {
    auto t = run(script, {cut});
    ASSERT_EQ(t, expected) << "split at " << cut;
  }
}

TEST(AuthGrind, OneByteAtATime) {
  std::string server_final;
  auto script = make_script(server_final);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < script.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(run(script, cuts), run(script, {}));
}

}  // namespace
}  // namespace postern::session::test
