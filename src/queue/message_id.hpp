#pragma once
// Finds the Message-ID header field (RFC 5322 §3.6.4) while the message streams to the spool.

#include <cstddef>
#include <string>
#include <string_view>

namespace postern::queue {

/// A byte-at-a-time scanner of the header section (RFC 5322 §2.1: it ends at the first empty
/// line) that keeps the value of the first Message-ID field. Field names compare
/// case-insensitively (RFC 5322 §1.2.2), folded values are unfolded (§2.2.3), and the scanner
/// stops looking once the body starts, so a Message-ID: line in the body never counts.
///
/// Order of calls: feed() with the message bytes in order, split anywhere; message_id() at any
/// time (usually after the last feed).
class MessageIdScanner {
 public:
  void feed(std::string_view bytes);

  /// The msg-id with its angle brackets ("<a@b>"), without the surrounding CFWS; the trimmed raw
  /// value when it has no "<...>"; "" when the header section has no Message-ID. Bytes that are
  /// not valid UTF-8 become '?', so the value is always safe to put in a JSON record.
  std::string message_id() const;

 private:
  enum class State { line_start, cr_at_line_start, name, value, skip_line, body };
  // Longer field names are not "Message-ID" (RFC 5322 gives no limit, but this one is short).
  static constexpr std::size_t max_name = 32;
  // A msg-id is at most a line (RFC 5322 §2.1.1: 998 octets); a folded one a few more.
  static constexpr std::size_t max_value = 4096;

  void step(char c);
  void end_field();

  State state_ = State::line_start;
  std::string name_;
  std::string value_;
  bool capturing_ = false;  // the current field is the first Message-ID
  bool found_ = false;
};

}  // namespace postern::queue
