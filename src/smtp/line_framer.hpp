#pragma once
// Frames command lines out of a byte stream. Parsers take bytes, never sockets (STYLE §1).

#include <cstddef>
#include <string_view>

namespace postern::smtp {

/// Splits a stream into command lines.
///
/// A line ends at LF; a CR just before the LF is removed. (RFC 5321 §2.3.8 asks for CRLF; like
/// Postfix, a bare LF is tolerated as the end of a *command* line. Inside DATA it never is: see
/// DataReader.) A line longer than `max_line` octets including its CRLF (RFC 5321 §4.5.3.1.4) is
/// discarded up to its LF and reported once as `too_long`, so the session can answer
/// `500 5.5.2` and go on in step with the client.
///
/// Call `next` with the unconsumed input; drop `consumed` bytes from the front of the buffer
/// after every call, whatever the kind. The framer keeps state only while discarding an
/// over-long line, so the caller's buffer never has to hold more than `max_line` bytes.
class LineFramer {
 public:
  enum class Kind {
    line,       ///< `line` holds the line without CR/LF; it views into the input
    need_more,  ///< no complete line: read more (everything usable was consumed)
    too_long,   ///< an over-long line ended; its bytes were consumed and dropped
  };
  struct Event {
    Kind kind;
    std::string_view line;
    std::size_t consumed;
  };

  explicit LineFramer(std::size_t max_line) : max_line_(max_line) {}

  Event next(std::string_view input);

  /// Forgets a partly discarded line (after STARTTLS, everything before the handshake is gone).
  void reset() { discarding_ = false; }

 private:
  std::size_t max_line_;
  bool discarding_ = false;
};

}  // namespace postern::smtp
