#include "smtp/replies.hpp"

namespace postern::smtp {

namespace {
void append_line(std::string& out, int code, char sep, std::string_view status, std::string_view text) {
  out += std::to_string(code);
  out += sep;
  if (!status.empty()) {
    out += status;
    out += ' ';
  }
  out += text;
  out += "\r\n";
}
}  // namespace

std::string format_reply(const ReplyCode& r) { return format_reply(r, r.text); }

std::string format_reply(const ReplyCode& r, std::string_view text) {
  std::string out;
  append_line(out, r.code, ' ', r.status, text);
  return out;
}

std::string format_multiline(int code, std::string_view status, std::span<const std::string> lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    append_line(out, code, i + 1 == lines.size() ? ' ' : '-', status, lines[i]);
  }
  return out;
}

}  // namespace postern::smtp
