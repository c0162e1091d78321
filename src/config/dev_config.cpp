#include "config/config.hpp"

namespace postern::config {

// Every option appears with its default or a development value, so this text is also the
// quickest reference an operator has at hand. docs/config.md says the same at length.
std::string dev_config_text() {
  return R"toml(# Postern configuration (development setup: everything on 127.0.0.1).
# Sizes are bytes or a number with K, M or G (1024-based); durations are seconds or a number
# with s, m, h or d. Relative paths are relative to the directory of this file.

# Our name: in the greeting, the EHLO reply and Received: headers. Required.
hostname = "localhost"

# Domains whose mail we accept as final destination (inbound on "smtp" listeners). Required, at
# least one; compared case-insensitively.
local_domains = ["example.test"]

# Where the queue (data_dir/queue) and the account database (data_dir/postern.db) live. Required.
data_dir = "."

# I/O threads; 0 means one per CPU core.
threads = 0

# trace, debug, info, warn or error.
log_level = "info"

# JSON events, one line each (every AUTH attempt, accepted message, lockout and alert): "stderr",
# "off", or a file, appended and reopened on SIGHUP.
event_log = "stderr"

[limits]
# Largest message accepted, advertised with SIZE (RFC 1870). At least 64K.
max_message_size = "25M"
# Recipients per message; the rest get 452 4.5.3. RFC 5321 asks for at least 100.
max_recipients = 100
# Protocol errors per connection before 421 and close.
max_errors = 10
# Commands per connection before 421 and close.
max_commands = 10000
# Longest command line in octets including CRLF; at least 512 (RFC 5321 §4.5.3.1.4).
command_line_max = 1000
# Silence from the client for this long ends the connection with 421 4.4.2.
idle_timeout = "5m"
# One command line (or one DATA/BDAT transfer) taking longer than this ends it too.
command_timeout = "5m"
# Connections in total, and from one client address; beyond them new ones get 421 4.7.0.
max_connections = 20000
max_connections_per_ip = 50

[tls]
# Oldest protocol version offered: TLSv1.2 or TLSv1.3.
min_version = "TLSv1.2"

# Certificate chain and private key, PEM. Repeat [[tls.certificate]] for more names (SNI picks
# the one matching the name the client asks for; the first is the default).
[[tls.certificate]]
cert = "tls/cert.pem"
key = "tls/key.pem"

[auth]
# Offer CRAM-MD5 (RFC 2195). Its secret is a password equivalent, so it is off unless wanted;
# an account also needs it enabled before it gets a CRAM-MD5 secret.
cram_md5 = false
# PBKDF2 iterations of new SCRAM verifiers (RFC 7677 §4: at least 4096).
scram_iterations = 4096
# How long a verified credential is remembered, so repeated logins skip argon2id; 0 disables it.
cache_ttl = "1m"
# Pause before every failed AUTH reply (535), the same for unknown users and wrong passwords.
failure_delay = "2s"
# CA bundle (PEM) that client certificates are checked against (SASL EXTERNAL); none by default.
# client_ca = "tls/client-ca.pem"

# Bearer tokens (JWTs) for OAUTHBEARER and XOAUTH2. Without this section those mechanisms are
# not offered. Dev mode signs tokens with oauth/issuer.key: `postern oauth mint-token ADDRESS`.
[oauth]
issuer = "postern-dev"
audience = "postern"
public_keys = ["oauth/issuer.pub.pem"]
account_claim = "email"
# Clock skew allowed on exp, nbf and iat.
leeway = "1m"

# Defences against password guessing and floods (docs/security.md gives the reasons for the
# numbers). Failed AUTH is counted per client address (IPv6: per /64), per network and per account.
[abuse]
# Clients never counted or refused by address, nor limited per address in [rate_limits]. Dev
# mode does not exempt loopback, so the defences can be tried from 127.0.0.1; a production
# server usually does (true is the default).
exempt_loopback = false
exempt_networks = []           # e.g. ["192.0.2.0/24"]
# More failures than this from one address in the window: 421 at connect, 454 to AUTH. 0 = off.
address_failures = 10
address_window = "10m"
# The same per network (IPv4 /network_prefix_v4, IPv6 /network_prefix_v6), for rotating attackers.
network_failures = 30
network_window = "10m"
network_prefix_v4 = 24
network_prefix_v6 = 48
address_prefix_v6 = 64         # the "address" of an IPv6 client
# Failures for one account from anywhere: beyond the first limit each failure waits slow_delay
# more; beyond the second, clients not known to the account are refused (454) without a check.
# Clients that logged in within known_client_ttl, and SCRAM, are never refused for this.
account_slow_failures = 10
account_protect_failures = 50
account_window = "1h"
slow_delay = "5s"
known_client_ttl = "30d"
# New connections per client address and minute, then 421 at connect. 0 = off.
connections_per_minute = 60
# Program run for every alert with its JSON on stdin (split at spaces, no shell); "" = none.
alert_hook = ""                # e.g. "/usr/local/bin/postern-alert --to ops"
alert_hook_timeout = "10s"
# An hour above anomaly_factor times an identity's usual hourly volume (and above
# anomaly_min_messages) is an alert; suspend_on_anomaly also suspends its credential.
anomaly_factor = 10.0
anomaly_min_messages = 100
suspend_on_anomaly = false

# Sending limits; 0 = no limit of that kind. An account's or credential's own limits
# (`postern user limits`) replace these. Over a limit: 451 4.7.1 at MAIL, 452 4.5.3 at RCPT.
[rate_limits]
hour_window = "1h"             # the lengths of "per hour" and "per day" (shorter for tests)
day_window = "1d"

[rate_limits.account]
messages_per_hour = 100
messages_per_day = 1000
recipients_per_hour = 500
recipients_per_day = 2000

# Per credential (app password); the account's limits still bound it.
[rate_limits.credential]
messages_per_hour = 0
messages_per_day = 0
recipients_per_hour = 0
recipients_per_day = 0

# Per client address (IPv6: per /64).
[rate_limits.address]
messages_per_hour = 1000
messages_per_day = 10000
recipients_per_hour = 5000
recipients_per_day = 50000

# Prometheus metrics at http://LISTEN/metrics, without authentication: keep it on loopback or
# behind a firewall. "" = off.
[metrics]
listen = "127.0.0.1:2580"

# Inbound mail for the local domains (the port-25 role). Relays only for authenticated clients
# and trusted networks; STARTTLS is offered because a certificate is configured.
[[listener]]
kind = "smtp"                  # smtp, submission or submissions
address = "127.0.0.1:2525"     # IP:PORT, or [IPv6]:PORT
name = "smtp"                  # in logs and metrics; defaults to the kind, must be unique
require_tls = false            # true: nothing but EHLO/STARTTLS/NOOP/RSET/QUIT before TLS
require_auth = false           # true: MAIL FROM only after AUTH
trusted_networks = []          # CIDR networks that may relay without AUTH, e.g. ["10.0.0.0/8"]
# Checked at connect: a client in deny_networks, or outside a non-empty allow_networks, gets
# 554 5.7.1 instead of the greeting; deny wins. Empty: everyone is served.
allow_networks = []            # e.g. ["192.0.2.0/24", "2001:db8::/32"]
deny_networks = []             # e.g. ["198.51.100.7"]
# SASL mechanisms offered after STARTTLS, strongest first; leave out for every enabled one.
# auth_mechanisms = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "PLAIN"]
# AUTH before TLS (PLAIN and LOGIN in clear text!): only for a test box that cannot do TLS.
insecure_auth_without_tls = false
# Ask clients for a TLS certificate (checked against [auth] client_ca).
request_client_certificate = false

# Message submission with STARTTLS (the port-587 role, RFC 6409).
[[listener]]
kind = "submission"
address = "127.0.0.1:2587"
name = "submission"
require_tls = true
require_auth = true
trusted_networks = []

# Message submission over implicit TLS (the port-465 role, RFC 8314).
[[listener]]
kind = "submissions"
address = "127.0.0.1:2465"
name = "submissions"
require_tls = true
require_auth = true
trusted_networks = []
)toml";
}

}  // namespace postern::config
