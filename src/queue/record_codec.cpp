#include "queue/record_codec.hpp"

#include "base/time_format.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cstdio>

#include "base/utf8.hpp"

namespace postern::queue {

namespace json = boost::json;

namespace {

// Strings for display must be valid UTF-8 (RFC 8259 §8.1); stored ones keep every byte.
struct Style {
  bool stored;
  std::string text(std::string_view s) const { return stored ? std::string(s) : base::sanitize_utf8(s, "\uFFFD"); }
  json::value optional_text(const std::optional<std::string>& s) const {
    return s ? json::value(text(*s)) : json::value(nullptr);
  }
};

json::object record_object(const Record& r, Style style) {
  json::object o;
  if (style.stored) o["v"] = stored_record_version;
  o["id"] = r.id;
  o["received"] = base::format_rfc3339(r.received, style.stored ? 6 : 0);
  o["listener"] = style.text(r.listener);
  o["client"] = json::object{{"address", style.text(r.client_address)}, {"port", r.client_port}};
  o["helo"] = style.text(r.helo);
  if (r.tls_version || r.tls_cipher) {
    o["tls"] =
        json::object{{"version", style.optional_text(r.tls_version)}, {"cipher", style.optional_text(r.tls_cipher)}};
  } else {
    o["tls"] = nullptr;
  }
  if (r.auth_account) {
    o["auth"] = json::object{{"account", style.text(*r.auth_account)},
                             {"credential", style.optional_text(r.auth_credential)},
                             {"mechanism", style.optional_text(r.auth_mechanism)}};
  } else {
    o["auth"] = nullptr;
  }
  o["sender"] = style.text(r.sender);
  json::array rcpts;
  for (const auto& rcpt : r.recipients) rcpts.emplace_back(style.text(rcpt));
  o["recipients"] = std::move(rcpts);
  o["body"] = style.text(r.body);
  o["smtputf8"] = r.smtputf8;
  o["size"] = r.size;
  o["message_id"] = style.text(r.message_id);
  return o;
}

// Reads fields of a stored record; the first problem is kept and reported.
class Reader {
 public:
  explicit Reader(const json::object& o) : o_(o) {}

  std::string text(std::string_view key) {
    const json::value* v = field(key);
    if (v && v->is_string()) return std::string(v->get_string());
    mismatch(key, "a string");
    return {};
  }
  std::optional<std::string> optional_text(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v && v->is_null()) return std::nullopt;
    if (v && v->is_string()) return std::string(v->get_string());
    mismatch(key, "a string or null");
    return std::nullopt;
  }
  std::uint64_t number(std::string_view key, std::uint64_t max) {
    const json::value* v = field(key);
    if (v && v->is_uint64() && v->get_uint64() <= max) return v->get_uint64();
    if (v && v->is_int64() && v->get_int64() >= 0 && static_cast<std::uint64_t>(v->get_int64()) <= max)
      return static_cast<std::uint64_t>(v->get_int64());
    mismatch(key, "a number in range");
    return 0;
  }
  bool boolean(std::string_view key) {
    const json::value* v = field(key);
    if (v && v->is_bool()) return v->get_bool();
    mismatch(key, "true or false");
    return false;
  }
  const json::object* object_or_null(std::string_view key) {
    const json::value* v = field(key);
    if (v && v->is_object()) return &v->get_object();
    if (!v || !v->is_null()) mismatch(key, "an object or null");
    return nullptr;
  }
  const json::value* field(std::string_view key) { return o_.if_contains(key); }
  void mismatch(std::string_view key, std::string_view want) {
    if (problem_.empty()) problem_ = "spool: record field \"" + std::string(key) + "\" is not " + std::string(want);
  }
  const std::string& problem() const { return problem_; }

 private:
  const json::object& o_;
  std::string problem_;
};

int digits(std::string_view s, std::size_t pos, std::size_t n, bool& ok) {
  int v = 0;
  if (pos + n > s.size()) {
    ok = false;
    return 0;
  }
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, v);
  if (ec != std::errc{} || end != s.data() + pos + n) ok = false;
  return v;
}

void read_envelope(Reader& rd, Record& r) {
  r.id = rd.text("id");
  std::string received = rd.text("received");
  if (auto t = parse_rfc3339(received))
    r.received = *t;
  else
    rd.mismatch("received", "an RFC 3339 UTC time");
  r.listener = rd.text("listener");
  if (const json::object* client = rd.object_or_null("client")) {
    Reader c(*client);
    r.client_address = c.text("address");
    r.client_port = static_cast<std::uint16_t>(c.number("port", 65535));
    if (!c.problem().empty()) rd.mismatch("client", "{address, port}");
  } else {
    rd.mismatch("client", "an object");
  }
  r.helo = rd.text("helo");
  if (const json::object* tls = rd.object_or_null("tls")) {
    r.tls_version = rd.optional_text(*tls, "version");
    r.tls_cipher = rd.optional_text(*tls, "cipher");
  }
  if (const json::object* auth = rd.object_or_null("auth")) {
    Reader a(*auth);
    r.auth_account = a.text("account");
    r.auth_credential = a.optional_text(*auth, "credential");
    r.auth_mechanism = a.optional_text(*auth, "mechanism");
    if (!a.problem().empty()) rd.mismatch("auth", "{account, credential, mechanism}");
  }
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  // RFC 3339 §5.6: date-time = full-date "T" full-time; only "Z" here since the spool writes UTC.
  bool ok = s.size() >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':' &&
            s[16] == ':' && (s.back() == 'Z' || s.back() == 'z');
  if (!ok) return std::nullopt;
  int y = digits(s, 0, 4, ok), mo = digits(s, 5, 2, ok), d = digits(s, 8, 2, ok);
  int h = digits(s, 11, 2, ok), mi = digits(s, 14, 2, ok), sec = digits(s, 17, 2, ok);
  std::string_view frac = s.substr(19, s.size() - 20);
  long long us = 0;
  if (!frac.empty()) {
    if (frac.size() < 2 || frac[0] != '.') return std::nullopt;
    frac.remove_prefix(1);
    for (std::size_t i = 0; i < frac.size(); ++i) {
      if (frac[i] < '0' || frac[i] > '9') return std::nullopt;
      if (i < 6) us = us * 10 + (frac[i] - '0');
    }
    for (std::size_t i = frac.size(); i < 6; ++i) us *= 10;
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  // RFC 3339 §5.7: a leap second (60) is allowed in the grammar; the clock has none, so refuse it.
  if (!ok || !ymd.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{us};
  return time_point_cast<system_clock::duration>(t);
}

std::string encode_stored_record(const Record& record) {
  return json::serialize(record_object(record, Style{.stored = true}));
}

base::Result<Record> decode_stored_record(std::string_view text) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;  // stored strings keep whatever bytes the client sent
  json::error_code ec;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) return base::fail("spool: record is not JSON: " + ec.message());
  if (!v.is_object()) return base::fail("spool: record is not a JSON object");
  const json::object& o = v.get_object();
  const json::value* version = o.if_contains("v");
  if (!version || !version->is_int64() || version->get_int64() != stored_record_version)
    return base::fail("spool: record has an unknown version");

  Reader rd(o);
  Record r;
  read_envelope(rd, r);
  r.sender = rd.text("sender");
  const json::value* rcpts = rd.field("recipients");
  if (rcpts && rcpts->is_array()) {
    for (const json::value& rcpt : rcpts->get_array()) {
      if (!rcpt.is_string())
        rd.mismatch("recipients", "an array of strings");
      else
        r.recipients.emplace_back(rcpt.get_string());
    }
  } else {
    rd.mismatch("recipients", "an array");
  }
  r.body = rd.text("body");
  r.smtputf8 = rd.boolean("smtputf8");
  r.size = rd.number("size", UINT64_MAX);
  r.message_id = rd.text("message_id");
  if (!rd.problem().empty()) return base::fail(rd.problem());
  return r;
}

std::string to_json(const Record& record) { return json::serialize(record_object(record, Style{.stored = false})); }

std::string to_json(const std::vector<Record>& records) {
  json::array a;
  for (const auto& r : records) a.emplace_back(record_object(r, Style{.stored = false}));
  return json::serialize(a);
}

}  // namespace postern::queue
