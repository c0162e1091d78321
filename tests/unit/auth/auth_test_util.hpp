#pragma once
// Helpers for the Authenticator tests: the verdict of a Resolution, a programmable token
// validator, and whole SCRAM / CRAM-MD5 exchanges driven through the real mechanisms with an
// independent client.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>
#include <string>
#include <variant>

#include "../sasl/scram_client.hpp"
#include "auth/authenticator.hpp"
#include "sasl/cram_md5.hpp"
#include "sasl/scram.hpp"
#include "sasl/text.hpp"

namespace postern::auth::test {

inline sasl::Verdict verdict(const Resolution& r) {
  return std::visit([](const auto& a) { return a.verdict; }, r.answer);
}

/// Answers every token with `result`; remembers the last token and time it was asked about.
class FakeTokenValidator final : public TokenValidator {
 public:
  TokenResult validate(std::string_view token, std::chrono::system_clock::time_point now) const override {
    seen = std::string(token);
    seen_at = now;
    return result;
  }
  TokenResult result;
  mutable std::string seen;
  mutable std::chrono::system_clock::time_point seen_at;
};

/// How an exchange ended.
struct Exchange {
  bool success = false;
  bool reached_proof = false;  ///< the server answered the first message with a challenge
  std::optional<sasl::FailureReason> failure;
  std::optional<Identity> identity;  ///< from the store's Resolution
  std::string detail;
};

inline Exchange finish(const sasl::Step& step, Exchange out) {
  if (std::holds_alternative<sasl::Success>(step)) out.success = true;
  if (const auto* f = std::get_if<sasl::Failure>(&step)) {
    out.failure = f->reason;
    out.detail = f->detail;
  }
  return out;
}

/// A full SCRAM exchange (no channel binding) for `user` with `password` against `a`.
inline Exchange run_scram(Authenticator& a, sasl::ScramHash hash, const std::string& user, const std::string& password,
                          const ClientFacts& client) {
  sasl::ScramOptions options;
  options.hash = hash;
  options.server_nonce = "3rfcNHYJY1ZVvWVs7j";
  options.fake_salt_secret = std::string(32, 'f');
  auto mechanism = sasl::make_scram(options);
  sasl::test::ScramClient scram_client(hash, "n,,", user, password, "fyko+d2lbbFgONRv9qkxdawL");
  Exchange out;
  sasl::Step step = mechanism->start(scram_client.first());
  const auto* request = std::get_if<sasl::Request>(&step);
  if (request == nullptr) return finish(step, out);
  Resolution resolution = a.resolve(*request, client);
  out.identity = resolution.identity;
  step = mechanism->resume(resolution.answer);
  const auto* challenge = std::get_if<sasl::Challenge>(&step);
  if (challenge == nullptr) return finish(step, out);
  out.reached_proof = true;
  step = mechanism->next(scram_client.final_message(challenge->data));
  if (const auto* success = std::get_if<sasl::Success>(&step)) {
    // The server proves itself too (RFC 5802 §3 ServerSignature).
    if (success->server_final != scram_client.expected_server_final()) {
      out.detail = "server signature differs";
      return out;
    }
  }
  return finish(step, out);
}

/// A full CRAM-MD5 exchange; the client computes HMAC-MD5 with libcrypto (RFC 2195 §2).
inline Exchange run_cram(Authenticator& a, const std::string& user, const std::string& password,
                         const ClientFacts& client) {
  auto mechanism = sasl::make_cram_md5("<1896.697170952@postoffice.example.net>");
  Exchange out;
  sasl::Step step = mechanism->start(std::nullopt);
  const auto* challenge = std::get_if<sasl::Challenge>(&step);
  if (challenge == nullptr) return finish(step, out);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_md5(), password.data(), static_cast<int>(password.size()),
       reinterpret_cast<const unsigned char*>(challenge->data.data()), challenge->data.size(), mac, &len);
  step = mechanism->next(user + " " + sasl::text::hex(std::string(reinterpret_cast<char*>(mac), len)));
  const auto* request = std::get_if<sasl::Request>(&step);
  if (request == nullptr) return finish(step, out);
  Resolution resolution = a.resolve(*request, client);
  out.identity = resolution.identity;
  out.reached_proof = true;
  return finish(mechanism->resume(resolution.answer), out);
}

}  // namespace postern::auth::test
