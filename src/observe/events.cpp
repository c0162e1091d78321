#include "observe/events.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/json_text.hpp"
#include "base/time_format.hpp"
#include "base/utf8.hpp"

namespace postern::observe {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view ellipsis = "\xE2\x80\xA6";     // U+2026

// Operator- and server-chosen text (reasons, details) may be longer than a login name.
constexpr std::size_t long_text = 1024;

// C0 controls, DEL, and C1 controls (U+0080..U+009F, encoded C2 80..C2 9F).
bool is_control(std::string_view s, std::size_t i, std::size_t n) {
  auto c = static_cast<unsigned char>(s[i]);
  if (n == 1) return c < 0x20 || c == 0x7F;
  return n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F;
}

// Builds one JSON object in the order the fields are added. Strings are sanitised first, so the
// escaper only ever sees well-formed UTF-8 without controls; it still escapes every control so
// the line stays valid JSON whatever it is given.
class JsonLine {
 public:
  JsonLine(Time time, std::string_view event) {
    out_.reserve(384);
    out_ += '{';
    text("time", base::format_rfc3339(time, 3), 64);
    text("event", event, 64);
  }

  JsonLine& text(std::string_view key, std::string_view value, std::size_t max = 256) {
    name(key);
    quoted(sanitise(value, max));
    return *this;
  }

  JsonLine& number(std::string_view key, std::uint64_t value) {
    name(key);
    out_ += std::to_string(value);
    return *this;
  }

  JsonLine& number(std::string_view key, std::int64_t value) {
    name(key);
    out_ += std::to_string(value);
    return *this;
  }

  JsonLine& boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
    return *this;
  }

  std::string finish() {
    out_ += '}';
    return std::move(out_);
  }

 private:
  void name(std::string_view key) {
    if (out_.size() > 1) out_ += ',';
    quoted(key);
    out_ += ':';
  }

  void quoted(std::string_view s) { out_ += base::json_quote(s); }

  std::string out_;
};

}  // namespace

std::string sanitise(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max) + ellipsis.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = base::utf8_sequence_length(text, i);
    // An ill-formed byte is replaced alone and the next byte is looked at afresh, so one bad
    // byte never swallows a good character after it.
    std::string_view piece = (n == 0 || is_control(text, i, n)) ? replacement : text.substr(i, n);
    if (out.size() + piece.size() > max) {
      out += ellipsis;
      return out;
    }
    out += piece;
    i += n == 0 ? 1 : n;
  }
  return out;
}

std::string to_json(const AuthEvent& e) {
  return JsonLine(e.time, "auth")
      .text("result", e.result)
      .text("client_ip", e.client_ip)
      .number("client_port", std::uint64_t{e.client_port})
      .text("listener", e.listener)
      .text("tls_version", e.tls_version)
      .text("tls_cipher", e.tls_cipher)
      .text("mechanism", e.mechanism)
      .text("login", e.login)
      .text("account", e.account)
      .text("credential", e.credential)
      .text("reason", e.reason, long_text)
      .text("reply", e.reply)
      .number("duration_ms", e.duration_ms)
      .finish();
}

std::string to_json(const MessageEvent& e) {
  return JsonLine(e.time, "message")
      .text("result", e.result)
      .text("client_ip", e.client_ip)
      .number("client_port", std::uint64_t{e.client_port})
      .text("listener", e.listener)
      .text("queue_id", e.queue_id)
      .text("account", e.account)
      .text("credential", e.credential)
      .text("sender", e.sender)
      .number("recipients", e.recipients)
      .number("size", e.size)
      .text("reply", e.reply)
      .text("reason", e.reason, long_text)
      .finish();
}

std::string to_json(const ConnectionRefusedEvent& e) {
  return JsonLine(e.time, "connection_refused")
      .text("client_ip", e.client_ip)
      .number("client_port", std::uint64_t{e.client_port})
      .text("listener", e.listener)
      .text("reply", e.reply)
      .text("reason", e.reason, long_text)
      .finish();
}

std::string to_json(const LockoutEvent& e) {
  return JsonLine(e.time, "lockout")
      .text("scope", e.scope)
      .text("key", e.key)
      .number("failures", e.failures)
      .text("until", base::format_rfc3339(e.until, 3))
      .boolean("slowed_only", e.slowed_only)
      .finish();
}

std::string to_json(const AlertEvent& e) {
  return JsonLine(e.time, "alert")
      .text("kind", e.kind)
      .text("subject", e.subject)
      .text("detail", e.detail, long_text)
      .text("action", e.action)
      .finish();
}

// ---------------------------------------------------------------------------------------------

namespace {

base::Result<int> open_append(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return base::fail("event log: cannot open " + path + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

base::Result<std::unique_ptr<EventLog>> EventLog::open(std::string_view destination) {
  std::unique_ptr<EventLog> log(new EventLog());
  if (destination == "off") {
    log->off_ = true;
  } else if (destination == "stderr") {
    log->fd_ = STDERR_FILENO;
  } else if (destination.empty()) {
    return base::fail("event log: empty destination (use \"stderr\", \"off\" or a file path)");
  } else {
    log->path_ = std::string(destination);
    auto fd = open_append(log->path_);
    if (!fd) return std::unexpected(fd.error());
    log->fd_ = *fd;
    log->own_fd_ = true;
  }
  return log;
}

EventLog::~EventLog() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

void EventLog::write(std::string_view json_line) {
  if (off_) return;
  std::string line;
  line.reserve(json_line.size() + 1);
  line.append(json_line);
  line += '\n';
  std::lock_guard lock(mutex_);
  // One write(2) per line: with O_APPEND the kernel places it whole at the end, so lines from
  // other threads and other processes never interleave. A short write (disk full) is finished
  // rather than leaving half a line for the next one to be glued to.
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report it: the log is the report
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

base::Result<void> EventLog::reopen() {
  if (path_.empty()) return {};
  auto fd = open_append(path_);
  if (!fd) return std::unexpected(fd.error());
  std::lock_guard lock(mutex_);
  ::close(fd_);
  fd_ = *fd;
  return {};
}

bool EventLog::enabled() const { return !off_; }

}  // namespace postern::observe
