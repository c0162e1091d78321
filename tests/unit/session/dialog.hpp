#pragma once
// An in-memory driver for Session dialog tests: it feeds client bytes the way the connection
// driver does (erasing what was consumed, resolving every action) and records what a socket and
// a spool would have seen.

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_authenticator.hpp"
#include "fakes.hpp"
#include "policy/relay.hpp"
#include "session/session.hpp"
#include "smtp/replies.hpp"

namespace postern::session::test {

/// The reply as the session formats it, e.g. R(smtp::replies::ok) == "250 2.0.0 OK\r\n".
inline std::string R(const smtp::ReplyCode& reply) { return smtp::format_reply(reply); }
inline std::string R(const smtp::ReplyCode& reply, std::string_view text) { return smtp::format_reply(reply, text); }

inline Settings default_settings() {
  Settings s;
  s.hostname = "mx.example.org";
  s.listener_name = "smtp";
  s.kind = ListenerKind::smtp;
  return s;
}

inline TlsInfo test_tls() { return TlsInfo{"TLSv1.3", "TLS_AES_256_GCM_SHA384", "mx.example.org", {}}; }

/// The standard EHLO reply lines after the first, without STARTTLS.
inline std::string ehlo_keywords(std::size_t max_size, bool starttls) {
  std::string out = "250-PIPELINING\r\n250-SIZE " + std::to_string(max_size) +
                    "\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n";
  out += starttls ? "250-CHUNKING\r\n250 STARTTLS\r\n" : "250 CHUNKING\r\n";
  return out;
}

struct ClientOptions {
  std::string address = "192.0.2.1";
  bool trusted_network = false;
  std::optional<TlsInfo> tls_at_connect;
};

/// One session and a pretend driver around it.
class Dialog {
 public:
  explicit Dialog(Settings settings = default_settings(), ClientOptions client = {})
      : settings_(with_random(std::move(settings), random_)),
        directory_({"alice@example.org", "bob@example.org", "postmaster@example.org"}),
        relay_({"example.org"}, directory_),
        session_(settings_, relay_, clock_, ClientInfo{client.address, 40000, client.trusted_network},
                 client.tls_at_connect) {}

  std::string greeting() { return session_.greeting(); }

  /// Settings whose AUTH has no randomness yet get this dialog's deterministic one.
  static Settings with_random(Settings s, testing::CountingRandom& random) {
    if (s.auth.random == nullptr) s.auth.random = &random;
    return s;
  }

  /// Appends `bytes` to what the driver holds and feeds until the session needs more input or
  /// closes. Returns the replies written meanwhile.
  std::string send(std::string_view bytes) {
    buffered += bytes;
    std::string replies;
    while (!closed) {
      Output out;
      std::size_t n = session_.feed(buffered, out);
      EXPECT_LE(n, buffered.size());
      buffered.erase(0, n);
      replies += out.replies;
      auth_events.insert(auth_events.end(), out.auth_events.begin(), out.auth_events.end());
      message_events.insert(message_events.end(), out.message_events.begin(), out.message_events.end());
      if (!out.body.empty()) {
        EXPECT_TRUE(spool_open_) << "message bytes without an open message";
        spool_ += out.body;
      }
      if (out.envelope) {
        EXPECT_EQ(out.action, Action::commit_message);
      }
      if (out.action == Action::none) return replies;
      actions.push_back(out.action);
      resolve(out, replies);
    }
    return replies;
  }

  /// What the driver does with an action.
  void resolve(const Output& out, std::string& replies) {
    switch (out.action) {
      case Action::none:
        break;
      case Action::start_tls:
        // RFC 3207 §4.2: whatever the client pipelined after STARTTLS is thrown away.
        discarded += buffered;
        buffered.clear();
        session_.on_tls_started(tls_after_starttls);
        break;
      case Action::authenticate: {
        EXPECT_TRUE(out.auth_request.has_value());
        if (!out.auth_request) break;
        Output result;
        session_.on_auth_resolved(authenticator.resolve(*out.auth_request), result);
        replies += result.replies;
        auth_events.insert(auth_events.end(), result.auth_events.begin(), result.auth_events.end());
        message_events.insert(message_events.end(), result.message_events.begin(), result.message_events.end());
        if (result.action != Action::none) {
          actions.push_back(result.action);
          resolve(result, replies);
        }
        break;
      }
      case Action::begin_message:
        EXPECT_FALSE(spool_open_);
        spool_open_ = true;
        spool_.clear();
        break;
      case Action::commit_message: {
        EXPECT_TRUE(spool_open_);
        messages.push_back(spool_);
        if (out.envelope) envelopes.push_back(*out.envelope);
        spool_open_ = false;
        Output result;
        session_.on_commit_result(next_commit_result(), result);
        replies += result.replies;
        message_events.insert(message_events.end(), result.message_events.begin(), result.message_events.end());
        EXPECT_TRUE(result.action == Action::none || result.action == Action::close);
        if (result.action == Action::close) closed = true;
        break;
      }
      case Action::abort_message:
        EXPECT_TRUE(spool_open_);
        spool_open_ = false;
        ++aborted;
        break;
      case Action::close:
        closed = true;
        EXPECT_TRUE(session_.wants_close());
        break;
    }
  }

  /// Each commit gets the next queued answer, or "Q<n>".
  base::Result<std::string> next_commit_result() {
    ++commits;
    if (!commit_results.empty()) {
      auto r = commit_results.front();
      commit_results.pop_front();
      return r;
    }
    return "Q" + std::to_string(commits);
  }

  Session& session() { return session_; }
  testing::FakeDirectory& directory() { return directory_; }
  testing::FakeClock& clock() { return clock_; }
  bool spool_open() const { return spool_open_; }

  FakeAuthenticator authenticator;
  std::vector<AuthEvent> auth_events;
  std::vector<MessageEvent> message_events;
  TlsInfo tls_after_starttls = test_tls();  ///< what on_tls_started() gets
  std::string buffered;   ///< bytes the driver holds, not consumed yet
  std::string discarded;  ///< bytes dropped at STARTTLS
  std::vector<Action> actions;
  std::vector<std::string> messages;  ///< committed message bytes
  std::vector<Envelope> envelopes;
  std::deque<base::Result<std::string>> commit_results;
  std::size_t aborted = 0;
  std::size_t commits = 0;
  bool closed = false;

 private:
  testing::CountingRandom random_;
  Settings settings_;
  testing::FakeClock clock_;
  testing::FakeDirectory directory_;
  policy::RelayPolicy relay_;
  Session session_;
  bool spool_open_ = false;
  std::string spool_;
};

/// The Received: line a plain (no TLS, EHLO client.example, 192.0.2.1) session writes for one
/// recipient at the fake clock's default time, spelled out by hand.
inline std::string received_for(std::string_view rcpt) {
  return "Received: from client.example ([192.0.2.1]) by mx.example.org with ESMTP\r\n\tfor <" + std::string(rcpt) +
         ">; Fri, 15 Jan 2027 08:00:00 +0000\r\n";
}

}  // namespace postern::session::test
