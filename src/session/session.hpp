#pragma once
// The SMTP server session as a pure state machine (DESIGN §2): bytes and facts in, replies,
// message bytes and actions out. No sockets, no clock of its own, no disk.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "policy/relay.hpp"
#include "sasl/channel_binding.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/scram.hpp"
#include "smtp/address.hpp"

namespace postern::session {

enum class ListenerKind { smtp, submission, submissions };

/// Per-session bounds (DESIGN §3.8). Defaults are what a fresh configuration gets.
struct Limits {
  std::size_t command_line_max = 1000;  ///< octets incl. CRLF (RFC 5321 §4.5.3.1.4 allows extensions to raise 512)
  std::size_t max_message_size = 25 * 1024 * 1024;  ///< advertised with SIZE (RFC 1870)
  std::size_t max_recipients = 100;                 ///< RFC 5321 §4.5.3.1.8: at least 100
  std::size_t max_errors = 10;                      ///< then 421 and close
  std::size_t max_commands = 10000;                 ///< per connection, then 421 and close
};

/// SMTP AUTH (RFC 4954) on one listener. What the EHLO reply offers is worked out per
/// connection from these facts (DESIGN §3.1):
///   - nothing before TLS unless `allow_without_tls` (the listener's insecure_auth_without_tls);
///   - even then, never a mechanism that needs TLS (bearer tokens, RFC 7628 §5; -PLUS);
///   - -PLUS only when the TLS layer gave a channel binding (TlsInfo::channel_bindings);
///   - SCRAM only with a fake-salt secret (sasl::usable).
/// AUTH replies for a mechanism that is not offered now: 504 5.5.4 when Postern does not know
/// it or this connection cannot run it (-PLUS without a binding); 534 5.7.9 when Postern knows
/// it but the listener's policy leaves it out (not in `mechanisms`); 538 5.7.11 when it is on
/// the list but needs TLS and the connection is in clear text.
struct AuthSettings {
  /// The listener's mechanisms, registered names, strongest first (config::offered_mechanisms).
  /// Empty: AUTH is not offered at all (502 5.5.1).
  std::vector<std::string> mechanisms;
  bool allow_without_tls = false;
  /// Server nonces and CRAM-MD5 challenges; shared, thread-safe. Null: AUTH is not offered.
  base::Random* random = nullptr;
  /// sasl::make_fake_salt_secret(), made once per process (SCRAM answers unknown users with it).
  std::string fake_salt_secret;
  /// What the store uses for new verifiers; fake verifiers must announce the same count.
  std::uint32_t scram_iterations = sasl::scram_default_iterations;
};

struct ClientInfo;
struct AuthInfo;

/// Per-message limits the session asks synchronously at MAIL and RCPT (policy::RateLimiter
/// behind it, over in-memory counters: it must not block). The answer is the refusal's text, or
/// nullopt to go on.
class SendPolicy {
 public:
  virtual ~SendPolicy() = default;
  /// At MAIL: may this client (and identity, when authenticated) start another message?
  /// A refusal is `451 4.7.1` with the text.
  virtual std::optional<std::string> refuse_message(const ClientInfo& client, const AuthInfo* identity,
                                                    std::chrono::system_clock::time_point now) const = 0;
  /// At RCPT, for a recipient that would be the transaction's `recipients`-th: a refusal is
  /// `452 4.5.3` with the text.
  virtual std::optional<std::string> refuse_recipient(const ClientInfo& client, const AuthInfo* identity,
                                                      std::size_t recipients,
                                                      std::chrono::system_clock::time_point now) const = 0;
};

/// How one listener behaves; shared by all its sessions, read-only.
struct Settings {
  std::string hostname;       ///< our name in the greeting, EHLO reply and Received
  std::string listener_name;  ///< as configured, e.g. "submission"
  ListenerKind kind = ListenerKind::smtp;
  bool starttls_available = false;  ///< a certificate is configured and the session is not TLS yet
  bool require_tls = false;   ///< only EHLO/HELO/STARTTLS/NOOP/RSET/QUIT before TLS (530 5.7.0)
  bool require_auth = false;  ///< MAIL needs an authenticated identity (530 5.7.0)
  Limits limits;
  AuthSettings auth;
  /// Rate limits asked at MAIL and RCPT; null: none.
  const SendPolicy* send_policy = nullptr;
  /// The header `From:` of a message from an authenticated identity must name only addresses
  /// it owns (DESIGN §3.6), like MAIL FROM. Default on.
  bool check_header_from = true;
};

/// Facts about the TLS layer, for Received and the envelope.
struct TlsInfo {
  std::string version;  ///< "TLSv1.3"
  std::string cipher;   ///< "TLS_AES_256_GCM_SHA384"
  std::string sni;      ///< server name the client asked for, or ""
  /// What SCRAM-*-PLUS may bind to on this connection (only the sound types, see net/).
  /// Secret-ish (derived from the TLS keys): never logged, never in the queue record.
  std::vector<sasl::ChannelBinding> channel_bindings;
  /// The certificate the client presented, verified or not; nullopt when it sent none (or the
  /// listener did not ask). EXTERNAL is offered only when it is present and verified.
  std::optional<sasl::ClientCertificate> client_certificate;
};

/// Facts about the client fixed at connect time.
struct ClientInfo {
  std::string address;  ///< textual IP, e.g. "127.0.0.1" or "::1"
  std::uint16_t port = 0;
  bool trusted_network = false;  ///< in the listener's trusted_networks
};

/// The authenticated identity (DESIGN §3.6): the account, the credential that proved it
/// ("password" or an app password's name), the SASL mechanism used, and the envelope senders
/// it may use (auth::Identity::sender_addresses; none means it may send from no address; see
/// policy::sender_owned for the "@domain" and "<>" grants).
struct AuthInfo {
  std::string account;
  std::string credential;
  std::string mechanism;
  std::vector<std::string> senders;
  bool operator==(const AuthInfo&) const = default;
};

/// The store's answer to an Output::auth_request (the driver's copy of auth::Resolution).
struct AuthResolution {
  sasl::Answer answer;
  /// Who the answer speaks for (account and credential; `mechanism` is ignored). Whatever the
  /// mechanism then concludes, only this identity can become the session's.
  std::optional<AuthInfo> identity;
};

/// One AUTH command finished, for the log (DESIGN §1 accountability) and for recording the
/// credential's use. Holds no secret.
struct AuthEvent {
  std::string mechanism;             ///< as registered, or as the client wrote it when unknown
  bool success = false;
  std::optional<AuthInfo> identity;  ///< with success
  std::string reply;                 ///< e.g. "535 5.7.8"
  std::string detail;                ///< sasl::describe() of the last step, or why the session refused
  std::chrono::system_clock::time_point started;  ///< when the AUTH command was read (clock)
};

/// A message accepted or refused, for the log (DESIGN §3.9). Emitted when the session refuses
/// a transaction for policy (MAIL: sender not owned, rate limit; RCPT: rate limit, one event per
/// refused RCPT; end of data: header From not owned, size, bare line endings, ...) and, with
/// `accepted`, when the spool's commit succeeded (in on_commit_result, with the queue id).
/// Syntax and sequencing errors are not message events.
struct MessageEvent {
  bool accepted = false;
  std::string reply;        ///< "250 2.0.0", "553 5.7.1", ...
  /// For a refusal, one of (stable; filters and metrics key on them):
  ///   MAIL:        "sender not owned" (also <> without the "<>" grant), "message rate limit"
  ///   RCPT:        "recipient rate limit"
  ///   end of data: "message too big" (DATA, or the BDAT chunk that crossed the limit),
  ///                "bare line ending", "nul byte", "header from not owned",
  ///                "header from unparseable", "header too long" (no end of the header section
  ///                within the first 256 KiB), "spool failure" (the commit failed, 451 4.3.0)
  std::string reason;
  std::string sender;       ///< MAIL FROM mailbox ("" for <>), or the one refused
  std::size_t recipients = 0;
  std::uint64_t size = 0;   ///< octets of the message as received (0 before DATA)
  std::string queue_id;     ///< with accepted
};

/// Everything the queue record needs besides the message bytes.
struct Envelope {
  std::string listener;
  std::string client_address;
  std::uint16_t client_port = 0;
  std::string helo;
  std::optional<TlsInfo> tls;
  std::optional<AuthInfo> auth;
  std::string sender;                   ///< reverse-path mailbox, "" for the null path <>
  std::vector<std::string> recipients;  ///< forward-path mailboxes
  std::string body;                     ///< "7BIT", "8BITMIME" (BODY=), or "BINARYMIME" never for now
  bool smtputf8 = false;
  std::uint64_t declared_size = 0;      ///< SIZE= from MAIL, 0 if absent
  std::chrono::system_clock::time_point received;
};

/// What the driver must do before feeding more input. At most one per `feed` call; when one is
/// set, `feed` stopped right after it and consumes nothing more until the driver resolves it.
enum class Action {
  none,
  start_tls,       ///< write `replies`, drop all buffered input, handshake, then on_tls_started()
  begin_message,   ///< open a spool file; the message's bytes follow in `body` of later outputs
  commit_message,  ///< write `body`, then make the message durable; then on_commit_result()
  abort_message,   ///< discard the open spool file (the session has already replied)
  close,           ///< write `replies`, then close the connection
  /// resolve `auth_request` off the I/O threads (argon2id, the store), then on_auth_resolved()
  authenticate,
};

/// One step's output. `replies` are written in order; `body` belongs to the open message.
struct Output {
  std::string replies;
  std::string body;
  Action action = Action::none;
  std::optional<Envelope> envelope;  ///< with commit_message
  std::optional<sasl::Request> auth_request;  ///< with authenticate; may hold a password: never log it
  std::vector<AuthEvent> auth_events;         ///< AUTH commands that ended in this step, in order
  std::vector<MessageEvent> message_events;   ///< transactions that ended in this step, in order
};

/// One SMTP server session.
///
/// Order of calls: `greeting()` once; then `feed()` with the unconsumed input, again and again;
/// drop `consumed` bytes each time. After an action, resolve it (see Action) before the next
/// `feed()`. The driver writes `replies` whenever it is about to wait for input (RFC 2920 §3).
/// `on_timeout()` / `on_shutdown()` give the final reply when the driver gives up.
class Session {
 public:
  Session(const Settings& settings, const policy::RelayPolicy& relay, const base::Clock& clock, ClientInfo client,
          std::optional<TlsInfo> tls_at_connect);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::string greeting();

  /// Consumes input up to the end of what it can use or the first action. Returns bytes consumed.
  std::size_t feed(std::string_view input, Output& out);

  /// The handshake after STARTTLS succeeded: all EHLO/transaction state is forgotten
  /// (RFC 3207 §4.2); the client must send EHLO again.
  void on_tls_started(TlsInfo tls);
  /// The handshake failed: the connection is closed by the driver; nothing more to say.

  /// The answer to Action::authenticate. Ignored unless an exchange is waiting for it.
  void on_auth_resolved(const AuthResolution& resolution, Output& out);

  /// The identity proved with AUTH on this connection (after TLS, if any), or nullopt.
  const std::optional<AuthInfo>& identity() const;

  /// The spool's answer to commit_message: the queue id, or an error (451 4.3.0).
  void on_commit_result(const base::Result<std::string>& queue_id, Output& out);

  /// Idle or command timeout: `421 4.4.2` (the driver then closes).
  std::string on_timeout();
  /// Server shutdown: `421 4.3.2`.
  std::string on_shutdown();

  bool wants_close() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace postern::session
