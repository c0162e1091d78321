#include "smtp/line_framer.hpp"

namespace postern::smtp {

LineFramer::Event LineFramer::next(std::string_view input) {
  const std::size_t lf = input.find('\n');

  if (discarding_) {
    // Still inside an over-long line: drop everything up to and including its LF.
    if (lf == std::string_view::npos) return {Kind::need_more, {}, input.size()};
    discarding_ = false;
    return {Kind::too_long, {}, lf + 1};
  }

  if (lf == std::string_view::npos) {
    // RFC 5321 §4.5.3.1.4: a line is at most max_line octets including its CRLF. Without an LF
    // in max_line octets the line can only be longer, so stop buffering it now.
    if (input.size() >= max_line_) {
      discarding_ = true;
      return {Kind::need_more, {}, input.size()};
    }
    return {Kind::need_more, {}, 0};
  }

  std::string_view line = input.substr(0, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // The limit counts a full CRLF whichever ending the client used, so a line that fits with
  // a bare LF fits with CRLF too.
  if (line.size() + 2 > max_line_) return {Kind::too_long, {}, lf + 1};
  return {Kind::line, line, lf + 1};
}

}  // namespace postern::smtp
