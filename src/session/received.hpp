#pragma once
// The trace header the session puts in front of every message (RFC 5321 §4.4).

#include <chrono>
#include <string>
#include <string_view>

#include "session/session.hpp"

namespace postern::session {

/// What one Received: line records.
struct ReceivedFacts {
  std::string_view helo;            ///< the EHLO/HELO argument
  bool esmtp = true;                ///< EHLO (ESMTP) rather than HELO (SMTP)
  std::string_view client_address;  ///< textual IP
  std::string_view hostname;        ///< our name
  const TlsInfo* tls = nullptr;     ///< when the session is encrypted
  bool authenticated = false;
  bool smtputf8 = false;
  std::string_view recipient;  ///< named in a `for` clause when there is exactly one, else ""
  std::chrono::system_clock::time_point when;
};

/// `Received: from <helo> ([<ip>]) by <host> with <protocol> (<tls>) for <rcpt>; <date>` with
/// CRLF, folded so that lines stay within 78 octets where the tokens allow (RFC 5322 §2.1.1).
std::string received_header(const ReceivedFacts& facts);

/// RFC 5322 §3.3 date-time in UTC: "Sat, 21 Nov 2026 18:00:00 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point when);

/// The address literal for an IP (RFC 5321 §4.1.3): "[192.0.2.1]", "[IPv6:2001:db8::1]".
std::string address_literal(std::string_view ip);

/// The WITH protocol name (RFC 3848, RFC 6531 §3.7.3): SMTP, ESMTP, ESMTPS, ESMTPSA, UTF8SMTPS...
std::string with_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8);

}  // namespace postern::session
