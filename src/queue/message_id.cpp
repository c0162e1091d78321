#include "queue/message_id.hpp"

#include "base/strings.hpp"
#include "base/utf8.hpp"

namespace postern::queue {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

}  // namespace

void MessageIdScanner::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (state_ == State::body) return;
    step(c);
  }
}

void MessageIdScanner::end_field() {
  if (capturing_) {
    capturing_ = false;
    found_ = true;
  }
}

void MessageIdScanner::step(char c) {
  switch (state_) {
    case State::line_start:
      if (c == '\n') {
        end_field();
        state_ = State::body;
      } else if (c == '\r') {
        state_ = State::cr_at_line_start;
      } else if (is_wsp(c)) {
        // RFC 5322 §2.2.3: a line starting with WSP continues the field; unfolding keeps the WSP.
        if (capturing_ && value_.size() < max_value) value_.push_back(c);
        state_ = capturing_ ? State::value : State::skip_line;
      } else {
        end_field();
        // The first Message-ID is complete: nothing later in the header matters.
        if (found_) {
          state_ = State::body;
          return;
        }
        name_.clear();
        state_ = State::name;
        step(c);
      }
      break;
    case State::cr_at_line_start:
      // CRLF alone on a line ends the header section. A bare CR there is not a header line either
      // (the DATA reader refuses bare CR anyway), so the header section ends as well.
      end_field();
      state_ = State::body;
      break;
    case State::name:
      if (c == ':') {
        // RFC 5322 §4.5.3 (obsolete syntax): WSP may stand between the field name and the colon.
        bool is_message_id = base::iequals(base::trim(name_), "message-id");
        if (is_message_id && !found_) {
          capturing_ = true;
          value_.clear();
          state_ = State::value;
        } else {
          state_ = State::skip_line;
        }
      } else if (c == '\n') {
        state_ = State::line_start;  // a line without a colon: not a field, nothing to keep
      } else if (c != '\r') {
        if (name_.size() < max_name)
          name_.push_back(c);
        else
          state_ = State::skip_line;
      }
      break;
    case State::value:
      if (c == '\n')
        state_ = State::line_start;
      else if (c != '\r' && value_.size() < max_value)
        value_.push_back(c);
      break;
    case State::skip_line:
      if (c == '\n') state_ = State::line_start;
      break;
    case State::body:
      break;
  }
}

std::string MessageIdScanner::message_id() const {
  if (!found_ && !capturing_) return "";
  std::string_view v = base::trim(value_);
  // RFC 5322 §3.6.4: msg-id = [CFWS] "<" id-left "@" id-right ">" [CFWS]; keep the part in
  // angle brackets, which drops comments and folding whitespace around it.
  auto open = v.find('<');
  if (open != std::string_view::npos) {
    auto close = v.find('>', open);
    if (close != std::string_view::npos) v = v.substr(open, close - open + 1);
  }
  return base::sanitize_utf8(v, "?");
}

}  // namespace postern::queue
