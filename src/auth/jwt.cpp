#include "auth/jwt.hpp"

#include <boost/json.hpp>
#include <optional>
#include <utility>

#include "base/strings.hpp"

namespace postern::auth {

namespace {

namespace json = boost::json;

using Refusal = std::unexpected<std::string>;

Refusal refuse(std::string reason) { return std::unexpected(std::move(reason)); }

// Token contents are chosen by whoever sent the token: the log gets them quoted, printable
// ASCII only, and short.
std::string shown(std::string_view text) {
  constexpr std::size_t max_shown = 64;
  std::string out = "\"";
  for (char c : text.substr(0, max_shown)) out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  if (text.size() > max_shown) out += "...";
  return out + "\"";
}

// RFC 7515 §5.2 step 3/4: the header (and, for a JWT, the payload: RFC 7519 §7.2 step 10) is a
// UTF-8 JSON object. Boost.JSON refuses invalid UTF-8, comments and trailing commas, and for a
// repeated member keeps the lexically last, which RFC 7515 §5.2 step 4 and RFC 7519 §4 allow.
std::expected<json::object, std::string> parse_object(std::string_view text, const char* what) {
  json::parse_options options;
  options.max_depth = max_json_depth;
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, {}, options);
  if (ec) return refuse(std::string(what) + " is not JSON (" + ec.message() + ")");
  if (!value.is_object()) return refuse(std::string(what) + " is not a JSON object");
  return std::move(value.get_object());
}

struct Parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // RFC 7515 §5.1 step 7: ASCII(header '.' payload), as sent
};

// RFC 7515 §7.1: exactly three parts. Five would be a JWE (RFC 7516 §7.1), which is not accepted.
std::expected<Parts, std::string> split(std::string_view token) {
  std::size_t dots = 0;
  for (char c : token) dots += c == '.' ? 1 : 0;
  if (dots != 2) {
    std::string why = "not a compact JWS (" + std::to_string(dots + 1) + " parts, 3 needed)";
    return refuse(dots == 4 ? why + ": encrypted tokens (JWE) are not accepted" : why);
  }
  std::size_t first = token.find('.');
  std::size_t second = token.find('.', first + 1);
  return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
               token.substr(0, second)};
}

// RFC 7515 §4.1.1 and RFC 8725 §3.1/§3.2: only the three asymmetric algorithms; "none" and the
// HMAC family are named in the refusal because they are what an attacker tries.
std::expected<JwsAlg, std::string> header_alg(const json::object& header) {
  const json::value* v = header.if_contains("alg");
  if (v == nullptr) return refuse("header has no alg");
  if (!v->is_string()) return refuse("header alg is not a string");
  std::string_view name = v->get_string();
  if (auto alg = parse_jws_alg(name)) return *alg;
  if (base::iequals(name, "none")) return refuse("alg none refused (unsigned token)");
  if (name.starts_with("HS")) return refuse("alg " + shown(name) + " refused (shared-secret HMAC)");
  return refuse("unsupported alg " + shown(name) + " (RS256, ES256 or EdDSA)");
}

// RFC 7515 §4.1.9: "typ" is a media type, compared case-insensitively, "application/" optional.
// A JWT says "JWT"; an OAuth access token may say "at+jwt" (RFC 9068 §2.1). Anything else is
// a different kind of object that happens to be signed by the same key (RFC 8725 §3.11).
bool acceptable_typ(std::string_view typ) {
  if (base::istarts_with(typ, "application/")) typ.remove_prefix(12);
  return base::iequals(typ, "JWT") || base::iequals(typ, "at+jwt");
}

std::expected<std::optional<std::string>, std::string> check_header(const json::object& header) {
  // RFC 7515 §4.1.11: extensions listed in "crit" must be understood; Postern knows none.
  if (header.contains("crit")) return refuse("header crit not supported");
  if (const json::value* typ = header.if_contains("typ")) {
    if (!typ->is_string()) return refuse("header typ is not a string");
    if (!acceptable_typ(typ->get_string())) return refuse("header typ " + shown(typ->get_string()) + " is not JWT");
  }
  const json::value* kid = header.if_contains("kid");
  if (kid == nullptr) return std::optional<std::string>();
  if (!kid->is_string()) return refuse("header kid is not a string");
  return std::optional<std::string>(std::string(kid->get_string()));
}

// RFC 7515 §4.1.4: "kid" is a hint naming the key. Keys it names (by JWK kid or RFC 7638
// thumbprint) come first; a kid naming none falls back to keys that carry no kid of their own.
std::expected<std::vector<std::size_t>, std::string> candidates(std::span<const VerifyKey> keys,
                                                                const std::optional<std::string>& kid) {
  std::vector<std::size_t> chosen;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    bool named = kid && ((!keys[i].kid().empty() && keys[i].kid() == *kid) || keys[i].thumbprint() == *kid);
    if (!kid || named) chosen.push_back(i);
  }
  if (!kid || !chosen.empty()) return chosen;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].kid().empty()) chosen.push_back(i);
  }
  if (chosen.empty()) return refuse("unknown kid " + shown(*kid));
  return chosen;
}

std::expected<std::size_t, std::string> check_signature(std::span<const VerifyKey> keys,
                                                        const std::vector<std::size_t>& chosen, JwsAlg alg,
                                                        const Parts& parts, std::string_view signature) {
  bool fitting = false;
  bool wrong_length = false;
  for (std::size_t i : chosen) {
    const VerifyKey& key = keys[i];
    if (key.kind() != key_kind_for(alg) || (key.alg() && *key.alg() != alg)) continue;
    fitting = true;
    switch (key.verify(alg, parts.signing_input, signature)) {
      case SignatureCheck::valid: return i;
      case SignatureCheck::wrong_length: wrong_length = true; break;
      case SignatureCheck::error: return refuse("signature check failed inside the crypto library");
      case SignatureCheck::invalid: break;
    }
  }
  if (!fitting) {
    std::string kinds;
    for (std::size_t i : chosen) kinds += std::string(kinds.empty() ? "" : ", ") + std::string(to_string(keys[i].kind()));
    return refuse("alg " + std::string(to_string(alg)) + " does not fit the keys tried (" + kinds + ")");
  }
  if (wrong_length) {
    return refuse("signature of " + std::to_string(signature.size()) + " bytes cannot be " +
                  std::string(to_string(alg)));
  }
  return refuse("bad signature");
}

// RFC 7519 §2 NumericDate: seconds since the epoch, possibly with a fraction.
std::optional<double> numeric_date(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

std::expected<std::optional<double>, std::string> date_claim(const json::object& claims, const char* name) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return std::optional<double>();
  auto date = numeric_date(*v);
  if (!date) return refuse(std::string(name) + " claim is not a NumericDate");
  return date;
}

std::expected<void, std::string> check_times(const json::object& claims, const JwtRules& rules,
                                             std::chrono::system_clock::time_point now) {
  const double t = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  const double leeway = static_cast<double>(rules.leeway.count());
  auto exp = date_claim(claims, "exp");
  if (!exp) return refuse(exp.error());
  if (!*exp) return refuse("no exp claim");
  // RFC 7519 §4.1.4: the current time MUST be before "exp".
  if (t >= **exp + leeway) return refuse("expired");
  auto nbf = date_claim(claims, "nbf");
  if (!nbf) return refuse(nbf.error());
  // RFC 7519 §4.1.5: the current time MUST be after or equal to "nbf".
  if (*nbf && **nbf > t + leeway) return refuse("not yet valid (nbf in the future)");
  auto iat = date_claim(claims, "iat");
  if (!iat) return refuse(iat.error());
  // RFC 7519 §4.1.6 says only what "iat" means; one from the future is a clock or a forgery.
  if (*iat && **iat > t + leeway) return refuse("issued in the future (iat)");
  return {};
}

// RFC 7519 §4.1.3: "aud" is one string or an array of strings; ours must be among them.
std::expected<void, std::string> check_audience(const json::object& claims, const std::string& audience) {
  const json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) return refuse("no aud claim");
  if (aud->is_string()) {
    if (aud->get_string() == audience) return {};
    return refuse("wrong audience " + shown(aud->get_string()));
  }
  if (!aud->is_array()) return refuse("aud claim is neither a string nor an array");
  bool found = false;
  for (const auto& item : aud->get_array()) {
    if (!item.is_string()) return refuse("aud array holds a non-string");
    found = found || item.get_string() == audience;
  }
  if (!found) return refuse("wrong audience (not in the aud array)");
  return {};
}

// The account address the claim names: local@domain, domain lower-cased (domains compare
// case-insensitively, RFC 5321 §2.4; the local part is the store's business).
std::expected<std::string, std::string> account_from(const json::object& claims, const std::string& name) {
  constexpr std::size_t max_address = 254;  // RFC 5321 §4.5.3.1.3: a path is at most 256 octets with <>
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return refuse("no " + name + " claim");
  if (!v->is_string()) return refuse(name + " claim is not a string");
  std::string_view text = v->get_string();
  if (text.empty()) return refuse(name + " claim is empty");
  auto at = text.rfind('@');
  bool controls = false;
  for (char c : text) controls = controls || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size() || controls || text.size() > max_address) {
    return refuse(name + " claim " + shown(text) + " is not an address");
  }
  // OpenID Connect Core §5.1: an address the provider has not verified names nobody.
  if (name == "email") {
    const json::value* verified = claims.if_contains("email_verified");
    if (verified != nullptr && verified->is_bool() && !verified->get_bool()) return refuse("email not verified");
  }
  return std::string(text.substr(0, at + 1)) + base::to_lower(text.substr(at + 1));
}

std::expected<std::string, std::string> check_claims(const json::object& claims, const JwtRules& rules,
                                                     std::chrono::system_clock::time_point now) {
  if (auto ok = check_times(claims, rules, now); !ok) return refuse(ok.error());
  const json::value* iss = claims.if_contains("iss");
  if (iss == nullptr) return refuse("no iss claim");
  if (!iss->is_string()) return refuse("iss claim is not a string");
  if (iss->get_string() != rules.issuer) return refuse("wrong issuer " + shown(iss->get_string()));
  if (auto ok = check_audience(claims, rules.audience); !ok) return refuse(ok.error());
  return account_from(claims, rules.account_claim);
}

TokenResult invalid(std::string reason) {
  TokenResult r;
  r.kind = TokenResult::Kind::invalid;
  r.status = "invalid_token";  // RFC 6750 §3.1
  r.reason = std::move(reason);
  return r;
}

}  // namespace

std::expected<VerifiedJws, std::string> verify_compact_jws(std::string_view token, std::span<const VerifyKey> keys) {
  auto parts = split(token);
  if (!parts) return refuse(parts.error());
  auto header_bytes = base64url_decode(parts->header);
  if (!header_bytes) return refuse("header is not base64url");
  auto header = parse_object(*header_bytes, "header");
  if (!header) return refuse(header.error());
  auto alg = header_alg(*header);
  if (!alg) return refuse(alg.error());
  auto kid = check_header(*header);
  if (!kid) return refuse(kid.error());
  auto payload = base64url_decode(parts->payload);
  if (!payload) return refuse("payload is not base64url");
  auto signature = base64url_decode(parts->signature);
  if (!signature) return refuse("signature is not base64url");
  if (signature->empty()) return refuse("empty signature");
  auto chosen = candidates(keys, *kid);
  if (!chosen) return refuse(chosen.error());
  auto index = check_signature(keys, *chosen, *alg, *parts, *signature);
  if (!index) return refuse(index.error());
  return VerifiedJws{std::move(*header_bytes), std::move(*payload), *alg, *index};
}

JwtValidator::JwtValidator(std::vector<VerifyKey> keys, JwtRules rules)
    : keys_(std::move(keys)), rules_(std::move(rules)) {}

TokenResult JwtValidator::validate(std::string_view token, std::chrono::system_clock::time_point now) const {
  if (token.empty()) return invalid("empty token");
  if (token.size() > max_token_size) return invalid("token of " + std::to_string(token.size()) + " bytes is too long");
  auto jws = verify_compact_jws(token, keys_);
  if (!jws) return invalid(jws.error());
  auto claims = parse_object(jws->payload, "payload");
  if (!claims) return invalid(claims.error());
  auto subject = check_claims(*claims, rules_, now);
  if (!subject) return invalid(subject.error());
  TokenResult r;
  r.kind = TokenResult::Kind::ok;
  r.subject = std::move(*subject);
  r.status.clear();
  return r;
}

base::Result<std::unique_ptr<TokenValidator>> make_jwt_validator(const config::OAuth& oauth, const base::Clock&) {
  if (oauth.issuer.empty()) return base::fail("[oauth] issuer is empty");
  if (oauth.audience.empty()) return base::fail("[oauth] audience is empty");
  if (oauth.account_claim.empty()) return base::fail("[oauth] account_claim is empty");
  if (oauth.leeway.count() < 0) return base::fail("[oauth] leeway is negative");
  std::vector<VerifyKey> keys;
  for (const auto& file : oauth.public_keys) {
    auto key = load_pem_public_key(file);
    if (!key) return std::unexpected(key.error());
    keys.push_back(std::move(*key));
  }
  if (!oauth.jwks_file.empty()) {
    auto set = load_jwks(oauth.jwks_file);
    if (!set) return std::unexpected(set.error());
    for (auto& key : set->keys) keys.push_back(std::move(key));
  }
  if (keys.empty()) return base::fail("[oauth] has no key: set public_keys or jwks_file");
  JwtRules rules{oauth.issuer, oauth.audience, oauth.account_claim, oauth.leeway};
  return std::make_unique<JwtValidator>(std::move(keys), std::move(rules));
}

}  // namespace postern::auth
