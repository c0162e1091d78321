#include "smtp/data_reader.hpp"

#include <algorithm>

namespace postern::smtp {

// States between octets:
//   line_start  just after CR LF (or at the start of the content)
//   in_line     inside a line, or after a bare CR/LF: a "." here is never a terminator
//   cr          after a CR that was passed on; an LF next makes a real CR LF
//   dot         after "." at line start; the dot is held back (stuffing or terminator)
//   dot_cr      after "." CR at line start; the CR is held back too
// `dot` and `dot_cr` never outlive a call: when the input ends in them, the held octets are
// left unconsumed so that `out` never grows by more than was consumed in the same call.
DataReader::Result DataReader::feed(std::string_view input, std::string& out) {
  auto emit = [&](std::string_view run) {
    // RFC 1870 §6: past the limit, count but keep nothing; the reply comes after the end.
    if (size_ < max_size_) out.append(run.substr(0, max_size_ - size_));
    size_ += run.size();
    if (size_ > max_size_) oversize_ = true;
  };

  std::size_t consumed = 0;  // octets fully decided; `i` may run ahead while a dot is held
  for (std::size_t i = 0; i < input.size(); ++i) {
    if (state_ == State::in_line) {
      // Most of a message is plain text inside lines: copy it up to the next octet that
      // matters in one go.
      std::size_t end = std::min(input.find_first_of(std::string_view("\r\n\0", 3), i), input.size());
      if (end > i) {
        emit(input.substr(i, end - i));
        consumed = end;
        i = end - 1;
        continue;
      }
    }
    const char c = input[i];
    if (c == '\0') has_nul_ = true;
    if (state_ == State::line_start && c == '.') {
      state_ = State::dot;  // held: stuffing, or the start of the terminator
      continue;
    }
    if (state_ == State::dot && c == '\r') {
      state_ = State::dot_cr;  // held as well
      continue;
    }
    if (state_ == State::dot_cr) {
      // RFC 5321 §4.1.1.4: CR LF "." CR LF ends the mail data.
      if (c == '\n') {
        state_ = State::line_start;
        return {i + 1, true};
      }
      // Otherwise the dot was stuffing (dropped, §4.5.2) and the held CR is content.
      emit("\r");
      state_ = State::cr;
    }
    // RFC 5321 §2.3.8: a CR not followed by LF, or an LF not preceded by CR, is bare. A bare
    // one never starts a line, so "\n.\r\n", "\r.\r" and the like cannot end the message.
    const bool after_cr = state_ == State::cr;
    if (after_cr != (c == '\n')) bare_line_ending_ = true;
    state_ = c == '\r' ? State::cr : (after_cr && c == '\n') ? State::line_start : State::in_line;
    emit(std::string_view(&c, 1));
    consumed = i + 1;
  }
  // Held octets ("." or ".\r" at line start) go back to the caller with the next read.
  if (state_ == State::dot || state_ == State::dot_cr) state_ = State::line_start;
  return {consumed, false};
}

}  // namespace postern::smtp
