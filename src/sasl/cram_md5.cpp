#include "sasl/cram_md5.hpp"

// The HMAC-MD5 key schedule needs MD5's chaining values after one block, which only the
// low-level MD5 interface exposes; it is deprecated in OpenSSL 3 but still built, and nothing
// else here uses it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/md5.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "sasl/crypto.hpp"
#include "sasl/text.hpp"

namespace postern::sasl {
namespace {

constexpr std::size_t block_size = 64;
constexpr std::size_t digest_octets = 16;

using State = std::array<std::uint8_t, 16>;

State export_state(const MD5_CTX& ctx) {
  State out{};
  const MD5_LONG words[4] = {ctx.A, ctx.B, ctx.C, ctx.D};
  for (std::size_t w = 0; w < 4; ++w) {
    for (std::size_t b = 0; b < 4; ++b) out[w * 4 + b] = static_cast<std::uint8_t>(words[w] >> (8 * b) & 0xff);
  }
  return out;
}

// An MD5 context that has already hashed one 64-byte block whose result was `state`.
MD5_CTX resume_state(const State& state) {
  MD5_CTX ctx;
  MD5_Init(&ctx);
  MD5_LONG words[4] = {};
  for (std::size_t w = 0; w < 4; ++w) {
    for (std::size_t b = 0; b < 4; ++b) words[w] |= static_cast<MD5_LONG>(state[w * 4 + b]) << (8 * b);
  }
  ctx.A = words[0];
  ctx.B = words[1];
  ctx.C = words[2];
  ctx.D = words[3];
  ctx.Nl = block_size * 8;  // bit count of the block already hashed
  ctx.Nh = 0;
  ctx.num = 0;
  return ctx;
}

State pad_state(const std::array<unsigned char, block_size>& key, unsigned char pad) {
  std::array<unsigned char, block_size> block{};
  for (std::size_t i = 0; i < block_size; ++i) block[i] = key[i] ^ pad;
  MD5_CTX ctx;
  MD5_Init(&ctx);
  MD5_Update(&ctx, block.data(), block.size());
  State out = export_state(ctx);
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

bool hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

class CramMd5 final : public Mechanism {
 public:
  explicit CramMd5(std::string challenge) : challenge_(std::move(challenge)) {}
  std::string_view name() const override { return "CRAM-MD5"; }

 protected:
  Step on_start(std::optional<std::string_view> initial_response) override {
    if (initial_response) return fail(FailureReason::malformed, "CRAM-MD5: the server speaks first");
    return Challenge{challenge_};
  }

  Step on_response(std::string_view response) override {
    // RFC 2195 §2: user name, a space, and the digest as 32 hex digits. The name may itself
    // contain spaces, so the digest is what follows the last one.
    std::size_t space = response.rfind(' ');
    if (space == std::string_view::npos || space == 0) return fail(FailureReason::malformed, "CRAM-MD5: no user name");
    std::string_view user = response.substr(0, space);
    std::string_view hex = response.substr(space + 1);
    if (hex.size() != 2 * digest_octets) return fail(FailureReason::malformed, "CRAM-MD5: digest is not 32 hex digits");
    for (char c : hex) {
      if (!hex_digit(c)) return fail(FailureReason::malformed, "CRAM-MD5: digest is not 32 hex digits");
    }
    if (user.find('\0') != std::string_view::npos) return fail(FailureReason::malformed, "CRAM-MD5: NUL in user name");
    user_ = std::string(user);
    digest_ = *text::unhex(hex);
    return Request{NeedCramSecret{user_}};
  }

  Step on_answer(const Answer& answer) override {
    const auto& a = std::get<CramSecretAnswer>(answer);
    if (a.verdict != Verdict::ok) {
      // CRAM-MD5 carries no authzid, so "not permitted" can only mean the account is refused.
      Verdict v = a.verdict == Verdict::temporary_failure ? Verdict::temporary_failure : Verdict::bad_credentials;
      return conclude(v, Success{});
    }
    bool match = crypto::equal(cram_md5_digest(a.secret, challenge_), digest_);
    return conclude(match ? Verdict::ok : Verdict::bad_credentials, Success{std::move(user_), "", std::nullopt});
  }

 private:
  std::string challenge_;
  std::string user_;
  std::string digest_;
};

}  // namespace

CramSecret cram_md5_secret(std::string_view password) {
  std::array<unsigned char, block_size> key{};
  if (password.size() > block_size) {
    MD5(reinterpret_cast<const unsigned char*>(password.data()), password.size(), key.data());
  } else {
    for (std::size_t i = 0; i < password.size(); ++i) key[i] = static_cast<unsigned char>(password[i]);
  }
  CramSecret secret;
  secret.inner = pad_state(key, 0x36);  // RFC 2104 §2: ipad
  secret.outer = pad_state(key, 0x5c);  // opad
  OPENSSL_cleanse(key.data(), key.size());
  return secret;
}

std::string cram_md5_digest(const CramSecret& secret, std::string_view message) {
  std::array<unsigned char, digest_octets> inner{};
  MD5_CTX ctx = resume_state(secret.inner);
  MD5_Update(&ctx, message.data(), message.size());
  MD5_Final(inner.data(), &ctx);
  std::string out(digest_octets, '\0');
  ctx = resume_state(secret.outer);
  MD5_Update(&ctx, inner.data(), inner.size());
  MD5_Final(reinterpret_cast<unsigned char*>(out.data()), &ctx);
  return out;
}

std::string to_dovecot_hex(const CramSecret& secret) {
  std::string raw(secret.outer.begin(), secret.outer.end());
  raw.append(secret.inner.begin(), secret.inner.end());
  return text::hex(raw);
}

std::optional<CramSecret> from_dovecot_hex(std::string_view hex) {
  auto raw = text::unhex(hex);
  if (!raw || raw->size() != 32) return std::nullopt;
  CramSecret secret;
  for (std::size_t i = 0; i < 16; ++i) {
    secret.outer[i] = static_cast<std::uint8_t>((*raw)[i]);
    secret.inner[i] = static_cast<std::uint8_t>((*raw)[16 + i]);
  }
  return secret;
}

std::string make_cram_md5_challenge(base::Random& random, std::chrono::system_clock::time_point now,
                                    std::string_view hostname) {
  std::array<std::byte, 8> bytes{};
  random.fill(bytes);
  std::uint64_t digits = 0;
  for (std::byte b : bytes) digits = digits << 8 | std::to_integer<std::uint64_t>(b);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return "<" + std::to_string(digits) + "." + std::to_string(seconds) + "@" + std::string(hostname) + ">";
}

std::unique_ptr<Mechanism> make_cram_md5(std::string challenge) {
  return std::make_unique<CramMd5>(std::move(challenge));
}

}  // namespace postern::sasl
