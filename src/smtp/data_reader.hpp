#pragma once
// The DATA body reader (RFC 5321 §4.1.1.4, §4.5.2; SMTP smuggling defence §2.3.8).

#include <cstddef>
#include <string>
#include <string_view>

namespace postern::smtp {

/// Reads the content after `354` up to and including the terminator.
///
/// - The only terminator is CR LF "." CR LF, where the first CR LF may be the one that ended the
///   DATA command (so ".\r\n" right away is an empty message). `\n.\n`, `\n.\r\n`, `\r.\r`,
///   `\r\n.\n` and the like never end the message.
/// - Dot-unstuffing: a line starting with "." has that dot removed (§4.5.2).
/// - A bare CR or bare LF anywhere in the content is remembered (`bare_line_ending()`); the
///   content is passed on as received, and the session refuses the message at the end.
/// - A NUL byte is remembered likewise (`has_nul()`).
/// - Content beyond `max_size` octets (after unstuffing) is not passed on; reading goes on to
///   the terminator and `oversize()` is true.
///
/// Call `feed` with the unconsumed input; it appends unstuffed content to `out` (never more than
/// the input it consumed) and returns how much it consumed and whether the terminator was seen.
/// Once done, the bytes after the terminator are not consumed: they are the next commands.
/// Before that, a "." or ".\r" at the start of a line at the very end of the input may be left
/// unconsumed (up to two octets) until the next octet decides what it is: pass it again.
class DataReader {
 public:
  explicit DataReader(std::size_t max_size) : max_size_(max_size) {}

  struct Result {
    std::size_t consumed = 0;
    bool done = false;
  };
  Result feed(std::string_view input, std::string& out);

  bool oversize() const { return oversize_; }
  bool bare_line_ending() const { return bare_line_ending_; }
  bool has_nul() const { return has_nul_; }
  /// Octets of content after unstuffing, counting those dropped for being over the limit.
  std::size_t size() const { return size_; }

 private:
  enum class State { line_start, in_line, cr, dot, dot_cr };
  std::size_t max_size_;
  std::size_t size_ = 0;
  State state_ = State::line_start;
  bool oversize_ = false;
  bool bare_line_ending_ = false;
  bool has_nul_ = false;
};

}  // namespace postern::smtp
