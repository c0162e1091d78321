#include "sasl/scram.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "base/utf8.hpp"
#include "base/base64.hpp"
#include "sasl/crypto.hpp"
#include "sasl/gs2.hpp"
#include "sasl/saslprep.hpp"
#include "sasl/text.hpp"

namespace postern::sasl {
namespace {

std::vector<std::string_view> split_attributes(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
}

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (no ","), and a nonce has at least one.
bool valid_nonce(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) { return c >= 0x21 && c <= 0x7e && c != ','; });
}

// RFC 5802 §7: attr-val = ALPHA "=" value; value = 1*value-char (UTF-8 but NUL and ",").
bool valid_extension(std::string_view s) {
  if (s.size() < 3 || s[1] != '=') return false;
  char a = s[0];
  if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z'))) return false;
  std::string_view value = s.substr(2);
  return value.find('\0') == std::string_view::npos && base::is_valid_utf8(value);
}

std::string_view mechanism_name(ScramHash hash, bool plus) {
  if (hash == ScramHash::sha1) return plus ? "SCRAM-SHA-1-PLUS" : "SCRAM-SHA-1";
  return plus ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-256";
}

class Scram final : public Mechanism {
 public:
  explicit Scram(ScramOptions options) : o_(std::move(options)) {}
  std::string_view name() const override { return mechanism_name(o_.hash, o_.plus); }

 protected:
  Step on_start(std::optional<std::string_view> initial_response) override {
    if (!valid_nonce(o_.server_nonce)) return fail(FailureReason::internal, "SCRAM: no valid server nonce");
    if (!initial_response) return Challenge{};
    return client_first(*initial_response);
  }

  Step on_response(std::string_view response) override {
    return server_first_.empty() ? client_first(response) : client_final(response);
  }

  Step on_answer(const Answer& answer) override;

 private:
  std::optional<Failure> check_binding(const Gs2Header& gs2);
  Step client_first(std::string_view message);
  Step client_final(std::string_view message);
  ScramVerifier fake_verifier() const;

  ScramOptions o_;
  std::string gs2_header_;
  std::string cb_data_;
  std::string client_first_bare_;
  std::string authcid_;
  std::string authzid_;
  std::string nonce_;  // client nonce, then client + server nonce
  std::string server_first_;
  ScramVerifier verifier_;
  bool unknown_account_ = false;
  bool authzid_refused_ = false;
};

std::optional<Failure> Scram::check_binding(const Gs2Header& gs2) {
  // RFC 5802 §6: the gs2-cbind-flag must agree with the mechanism the client chose.
  switch (gs2.flag) {
    case Gs2Header::Flag::n:
    case Gs2Header::Flag::y:
      if (o_.plus) return Failure{FailureReason::malformed, "SCRAM-PLUS: client did not select a channel binding"};
      if (gs2.flag == Gs2Header::Flag::y && o_.plus_advertised) {
        // The client supports channel binding and believes we do not, yet we offered -PLUS:
        // someone removed it from the EHLO list on the way.
        return Failure{FailureReason::downgrade, "SCRAM: gs2 flag y while -PLUS was offered"};
      }
      return std::nullopt;
    case Gs2Header::Flag::p:
      if (!o_.plus) return Failure{FailureReason::malformed, "SCRAM: channel binding on a mechanism without -PLUS"};
      if (auto type = channel_binding_type(gs2.cb_name)) {
        auto it = std::ranges::find(o_.channel_bindings, *type, &ChannelBinding::type);
        if (it != o_.channel_bindings.end()) {
          cb_data_ = it->data;
          return std::nullopt;
        }
      }
      return Failure{FailureReason::unsupported,
                     "SCRAM-PLUS: channel binding " + text::printable(gs2.cb_name) + " not available"};
  }
  return Failure{FailureReason::internal, "SCRAM: unknown gs2 flag"};
}

Step Scram::client_first(std::string_view message) {
  auto gs2 = parse_gs2_header(message);
  if (!gs2) return fail(FailureReason::malformed, "SCRAM: bad GS2 header");
  if (auto bad = check_binding(*gs2)) return *bad;
  std::string_view bare = message.substr(gs2->size);
  // RFC 5802 §5.1: "m" is reserved for mandatory extensions; we know none.
  if (bare.starts_with("m=")) return fail(FailureReason::unsupported, "SCRAM: mandatory extension");
  auto attrs = split_attributes(bare);
  if (attrs.size() < 2 || !attrs[0].starts_with("n=") || !attrs[1].starts_with("r=")) {
    return fail(FailureReason::malformed, "SCRAM: client-first-message is not n=...,r=...");
  }
  auto user = decode_saslname(attrs[0].substr(2));
  if (!user) return fail(FailureReason::malformed, "SCRAM: bad user name");
  if (!valid_nonce(attrs[1].substr(2))) return fail(FailureReason::malformed, "SCRAM: bad client nonce");
  // RFC 5802 §7: optional extensions follow; unknown ones are ignored.
  for (std::size_t i = 2; i < attrs.size(); ++i) {
    if (!valid_extension(attrs[i])) return fail(FailureReason::malformed, "SCRAM: bad extension");
  }
  gs2_header_ = std::string(message.substr(0, gs2->size));
  client_first_bare_ = std::string(bare);
  authcid_ = std::move(*user);
  authzid_ = std::move(gs2->authzid);
  nonce_ = std::string(attrs[1].substr(2));
  return Request{NeedScramVerifier{o_.hash, authcid_, authzid_}};
}

ScramVerifier Scram::fake_verifier() const {
  // Derived, not random: the same unknown name always gets the same salt, as a real account
  // would, and without the secret nobody can tell it from a real one. Keyed by the hash, not
  // the mechanism: a real account shows the same salt to SCRAM-SHA-256 and its -PLUS variant.
  std::string who = std::string(o_.hash == ScramHash::sha1 ? "SHA-1" : "SHA-256") + '\0' + authcid_;
  ScramVerifier v;
  v.salt = crypto::hmac(ScramHash::sha256, o_.fake_salt_secret, std::string("fake-salt") + '\0' + who)
               .substr(0, scram_salt_octets);
  v.iterations = o_.fake_iterations;
  v.stored_key = crypto::hmac(o_.hash, o_.fake_salt_secret, std::string("fake-stored-key") + '\0' + who);
  v.server_key = crypto::hmac(o_.hash, o_.fake_salt_secret, std::string("fake-server-key") + '\0' + who);
  return v;
}

Step Scram::on_answer(const Answer& answer) {
  const auto& a = std::get<ScramVerifierAnswer>(answer);
  switch (a.verdict) {
    case Verdict::temporary_failure:
      return fail(FailureReason::temporary_failure, "SCRAM: verifier unavailable");
    case Verdict::bad_credentials:
      unknown_account_ = true;
      verifier_ = fake_verifier();
      break;
    case Verdict::authzid_not_permitted:
      authzid_refused_ = true;
      verifier_ = a.verifier;
      break;
    case Verdict::ok:
      verifier_ = a.verifier;
      break;
  }
  std::size_t size = crypto::digest_size(o_.hash);
  if (verifier_.salt.empty() || verifier_.iterations == 0 || verifier_.stored_key.size() != size ||
      verifier_.server_key.size() != size) {
    // The store's fault, not the client's.
    return fail(FailureReason::temporary_failure, "SCRAM: stored verifier is malformed");
  }
  // RFC 5802 §5.1: server-first-message = r=c-nonce s-nonce,s=salt,i=iteration-count
  nonce_ += o_.server_nonce;
  server_first_ =
      "r=" + nonce_ + ",s=" + base::base64_encode(verifier_.salt) + ",i=" + std::to_string(verifier_.iterations);
  return Challenge{server_first_};
}

Step Scram::client_final(std::string_view message) {
  // RFC 5802 §7: client-final-message = c=..,r=..[,extensions],p=..
  auto attrs = split_attributes(message);
  if (attrs.size() < 3 || !attrs.front().starts_with("c=") || !attrs[1].starts_with("r=") ||
      !attrs.back().starts_with("p=")) {
    return fail(FailureReason::malformed, "SCRAM: client-final-message is not c=...,r=...,p=...");
  }
  for (std::size_t i = 2; i + 1 < attrs.size(); ++i) {
    if (!valid_extension(attrs[i])) return fail(FailureReason::malformed, "SCRAM: bad extension");
  }
  auto cbind_input = base::base64_decode(attrs[0].substr(2));
  auto proof = base::base64_decode(attrs.back().substr(2));
  if (!cbind_input || !proof) return fail(FailureReason::malformed, "SCRAM: bad base64 in c= or p=");
  if (attrs[1].substr(2) != nonce_) return fail(FailureReason::malformed, "SCRAM: nonce does not match");
  if (proof->size() != crypto::digest_size(o_.hash)) return fail(FailureReason::malformed, "SCRAM: bad proof size");
  // RFC 5802 §6: c= is base64(gs2-header [cbind-data]); data only with "p".
  if (!crypto::equal(*cbind_input, gs2_header_ + cb_data_)) {
    return fail(FailureReason::channel_binding_mismatch, "SCRAM: c= does not match this channel");
  }
  std::string_view without_proof = message.substr(0, message.size() - attrs.back().size() - 1);
  // RFC 5802 §3: AuthMessage, ClientSignature, ClientKey = ClientProof XOR ClientSignature,
  // and the proof holds when H(ClientKey) == StoredKey.
  std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  std::string client_key = crypto::xor_bytes(*proof, crypto::hmac(o_.hash, verifier_.stored_key, auth_message));
  bool proof_ok = crypto::equal(crypto::digest(o_.hash, client_key), verifier_.stored_key);
  crypto::wipe(client_key);
  if (!proof_ok || unknown_account_) return fail(FailureReason::bad_credentials, "SCRAM: invalid proof");
  if (authzid_refused_) return conclude(Verdict::authzid_not_permitted, Success{authcid_, authzid_, std::nullopt});
  std::string signature = crypto::hmac(o_.hash, verifier_.server_key, auth_message);
  if (signature.size() != crypto::digest_size(o_.hash)) return fail(FailureReason::internal, "SCRAM: HMAC failed");
  return Success{std::move(authcid_), std::move(authzid_), "v=" + base::base64_encode(signature)};
}

}  // namespace

base::Result<ScramVerifier> scram_verifier(ScramHash hash, std::string_view password, std::string_view salt,
                                           std::uint32_t iterations) {
  if (salt.empty()) return base::fail("SCRAM: empty salt");
  if (iterations < scram_min_iterations || iterations > scram_max_iterations) {
    return base::fail("SCRAM: iteration count " + std::to_string(iterations) + " outside [" +
                      std::to_string(scram_min_iterations) + ", " + std::to_string(scram_max_iterations) + "]");
  }
  auto prepared = saslprep(password);
  if (!prepared) return std::unexpected(prepared.error());
  std::string salted = crypto::pbkdf2(hash, *prepared, salt, iterations);
  crypto::wipe(*prepared);
  std::string client_key = crypto::hmac(hash, salted, "Client Key");
  ScramVerifier v;
  v.salt = std::string(salt);
  v.iterations = iterations;
  v.stored_key = crypto::digest(hash, client_key);
  v.server_key = crypto::hmac(hash, salted, "Server Key");
  crypto::wipe(salted);
  crypto::wipe(client_key);
  std::size_t size = crypto::digest_size(hash);
  if (v.stored_key.size() != size || v.server_key.size() != size) return base::fail("SCRAM: libcrypto failed");
  return v;
}

std::string make_scram_server_nonce(base::Random& random) {
  std::array<std::byte, 24> bytes{};
  random.fill(bytes);
  return base::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string make_fake_salt_secret(base::Random& random) {
  std::string secret(32, '\0');
  random.fill(std::as_writable_bytes(std::span(secret)));
  return secret;
}

std::unique_ptr<Mechanism> make_scram(ScramOptions options) { return std::make_unique<Scram>(std::move(options)); }

}  // namespace postern::sasl
