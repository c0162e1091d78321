#include "sasl/oauth.hpp"

#include <algorithm>
#include <map>

#include "base/json_text.hpp"
#include "base/strings.hpp"
#include "base/utf8.hpp"
#include "sasl/gs2.hpp"

namespace postern::sasl {
namespace {

constexpr char kvsep = '\x01';

using KvPairs = std::map<std::string, std::string, std::less<>>;

// RFC 7628 §3.1: key = 1*(ALPHA); value = *(VCHAR / SP / HTAB / CR / LF).
bool valid_key(std::string_view k) {
  return !k.empty() && std::ranges::all_of(k, [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

bool valid_value(std::string_view v) {
  return std::ranges::all_of(
      v, [](char c) { return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// `*kvpair kvsep` up to the end of `s`; nullopt unless it is exactly that.
std::optional<KvPairs> parse_kvpairs(std::string_view s) {
  KvPairs pairs;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = s.find(kvsep, pos);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view pair = s.substr(pos, end - pos);
    if (pair.empty()) {
      // The closing kvsep must end the message.
      if (end + 1 != s.size()) return std::nullopt;
      return pairs;
    }
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = pair.substr(0, eq);
    std::string_view value = pair.substr(eq + 1);
    if (!valid_key(key) || !valid_value(value)) return std::nullopt;
    if (!pairs.emplace(key, value).second) return std::nullopt;  // a key twice is ambiguous
    pos = end + 1;
  }
}

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token;
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
std::optional<std::string> bearer_token(std::string_view auth) {
  if (auth.size() < 7 || !base::iequals(auth.substr(0, 6), "Bearer") || auth[6] != ' ') return std::nullopt;
  std::string_view token = auth.substr(6);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  std::size_t i = 0;
  auto token_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '+' || c == '/';
  };
  while (i < token.size() && token_char(token[i])) ++i;
  if (i == 0) return std::nullopt;
  while (i < token.size() && token[i] == '=') ++i;
  if (i != token.size()) return std::nullopt;
  return std::string(token);
}

std::string http_status(std::string_view rfc6750_error) {
  if (rfc6750_error == "invalid_token") return "401";
  if (rfc6750_error == "insufficient_scope") return "403";
  if (rfc6750_error == "invalid_request") return "400";
  return std::string(rfc6750_error);
}

std::string take(KvPairs& pairs, std::string_view key) {
  auto it = pairs.find(key);
  return it == pairs.end() ? std::string() : std::move(it->second);
}

/// What OAUTHBEARER and XOAUTH2 share: the token request, and the error challenge that the
/// client must acknowledge before the exchange fails.
class TokenMechanism : public Mechanism {
 protected:
  Step on_start(std::optional<std::string_view> initial_response) override {
    if (!initial_response) return Challenge{};
    return parse(*initial_response);
  }

  Step on_response(std::string_view response) override {
    if (!pending_failure_) return parse(response);
    Failure f = std::move(*pending_failure_);
    if (!acknowledges_error(response)) f.detail += "; client did not acknowledge the error";
    return f;
  }

  Step on_answer(const Answer& answer) override {
    const auto& a = std::get<TokenAnswer>(answer);
    if (a.verdict == Verdict::ok) {
      if (a.identity.empty()) return fail(FailureReason::internal, "token validator gave no identity");
      return Success{a.identity, std::move(authzid_), std::nullopt};
    }
    Step outcome = conclude(a.verdict, Success{a.identity, authzid_, std::nullopt});
    if (a.verdict == Verdict::temporary_failure) return outcome;
    pending_failure_ = std::get<Failure>(std::move(outcome));
    return Challenge{error_body(a.error)};
  }

  virtual Step parse(std::string_view message) = 0;
  virtual bool acknowledges_error(std::string_view response) const = 0;
  virtual std::string error_body(const TokenError& error) const = 0;

  std::string authzid_;

 private:
  std::optional<Failure> pending_failure_;
};

class OAuthBearer final : public TokenMechanism {
 public:
  std::string_view name() const override { return "OAUTHBEARER"; }

 protected:
  Step parse(std::string_view message) override {
    auto gs2 = parse_gs2_header(message);
    if (!gs2) return fail(FailureReason::malformed, "OAUTHBEARER: bad GS2 header");
    // RFC 7628 §3.1: OAUTHBEARER defines no channel binding.
    if (gs2->flag == Gs2Header::Flag::p)
      return fail(FailureReason::malformed, "OAUTHBEARER: channel binding requested");
    std::string_view rest = message.substr(gs2->size);
    if (rest.empty() || rest.front() != kvsep)
      return fail(FailureReason::malformed, "OAUTHBEARER: no kvsep after GS2 header");
    auto pairs = parse_kvpairs(rest.substr(1));
    if (!pairs) return fail(FailureReason::malformed, "OAUTHBEARER: bad key/value pairs");
    auto token = bearer_token(take(*pairs, "auth"));
    if (!token) return fail(FailureReason::malformed, "OAUTHBEARER: no auth=Bearer <token>");
    authzid_ = std::move(gs2->authzid);
    // Other keys are ignored (RFC 7628 §3.1); host and port only go to the log.
    return Request{VerifyToken{authzid_, std::move(*token), take(*pairs, "host"), take(*pairs, "port")}};
  }

  bool acknowledges_error(std::string_view response) const override { return response == std::string_view("\x01", 1); }

  std::string error_body(const TokenError& error) const override { return oauth_error_json(error); }
};

class XOAuth2 final : public TokenMechanism {
 public:
  std::string_view name() const override { return "XOAUTH2"; }

 protected:
  Step parse(std::string_view message) override {
    auto pairs = parse_kvpairs(message);
    if (!pairs) return fail(FailureReason::malformed, "XOAUTH2: bad key/value pairs");
    std::string user = take(*pairs, "user");
    auto token = bearer_token(take(*pairs, "auth"));
    if (user.empty() || !token) return fail(FailureReason::malformed, "XOAUTH2: needs user= and auth=Bearer <token>");
    if (!base::is_valid_utf8(user)) return fail(FailureReason::malformed, "XOAUTH2: user is not UTF-8");
    authzid_ = std::move(user);
    return Request{VerifyToken{authzid_, std::move(*token), "", ""}};
  }

  bool acknowledges_error(std::string_view response) const override { return response.empty(); }

  std::string error_body(const TokenError& error) const override {
    TokenError e = error;
    e.status = http_status(error.status);
    if (e.schemes.empty()) e.schemes = "bearer";
    return oauth_error_json(e);
  }
};

}  // namespace

std::string oauth_error_json(const TokenError& error) {
  std::string out = "{\"status\":" + base::json_quote(error.status);
  if (!error.schemes.empty()) out += ",\"schemes\":" + base::json_quote(error.schemes);
  if (!error.scope.empty()) out += ",\"scope\":" + base::json_quote(error.scope);
  if (!error.openid_configuration.empty()) {
    out += ",\"openid-configuration\":" + base::json_quote(error.openid_configuration);
  }
  out += "}";
  return out;
}

std::unique_ptr<Mechanism> make_oauthbearer() { return std::make_unique<OAuthBearer>(); }
std::unique_ptr<Mechanism> make_xoauth2() { return std::make_unique<XOAuth2>(); }

}  // namespace postern::sasl
