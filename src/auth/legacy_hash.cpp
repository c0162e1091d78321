#include "auth/legacy_hash.hpp"

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <optional>

#include "base/base64.hpp"
#include "base/strings.hpp"
#include "sasl/cram_md5.hpp"

namespace postern::auth {

namespace {

struct SchemeInfo {
  LegacyScheme scheme;
  std::string_view name;
};

constexpr std::array<SchemeInfo, 10> schemes = {{
    {LegacyScheme::sha512_crypt, "SHA512-CRYPT"},
    {LegacyScheme::sha256_crypt, "SHA256-CRYPT"},
    {LegacyScheme::md5_crypt, "MD5-CRYPT"},
    {LegacyScheme::blf_crypt, "BLF-CRYPT"},
    {LegacyScheme::argon2id, "ARGON2ID"},
    {LegacyScheme::argon2i, "ARGON2I"},
    {LegacyScheme::ssha512, "SSHA512"},
    {LegacyScheme::ssha256, "SSHA256"},
    {LegacyScheme::ssha, "SSHA"},
    {LegacyScheme::cram_md5, "CRAM-MD5"},
}};

std::optional<LegacyScheme> scheme_by_name(std::string_view name) {
  for (const auto& s : schemes) {
    if (base::iequals(s.name, name)) return s.scheme;
  }
  return std::nullopt;
}

// The modular crypt(3) formats by their prefix; DES (no prefix) is deliberately absent.
std::optional<LegacyScheme> crypt_scheme_of(std::string_view hash) {
  if (hash.starts_with("$6$")) return LegacyScheme::sha512_crypt;
  if (hash.starts_with("$5$")) return LegacyScheme::sha256_crypt;
  if (hash.starts_with("$1$")) return LegacyScheme::md5_crypt;
  if (hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$")) return LegacyScheme::blf_crypt;
  return std::nullopt;
}

bool is_crypt(LegacyScheme s) {
  return s == LegacyScheme::sha512_crypt || s == LegacyScheme::sha256_crypt || s == LegacyScheme::md5_crypt ||
         s == LegacyScheme::blf_crypt;
}

bool is_crypt64(char c) {
  return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

std::optional<std::uint64_t> to_number(std::string_view s) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

// SHA-crypt: $5$ or $6$, optional "rounds=N$", salt (up to 16 characters), checksum.
base::Result<void> check_sha_crypt(std::string_view hash, std::size_t checksum_chars) {
  std::string_view rest = hash.substr(3);
  if (rest.starts_with("rounds=")) {
    auto dollar = rest.find('$');
    if (dollar == std::string_view::npos) return base::fail("malformed rounds");
    auto rounds = to_number(rest.substr(7, dollar - 7));
    if (!rounds) return base::fail("malformed rounds");
    if (*rounds > legacy_sha_crypt_max_rounds) {
      return base::fail("rounds=" + std::to_string(*rounds) + " above the limit of " +
                        std::to_string(legacy_sha_crypt_max_rounds));
    }
    rest.remove_prefix(dollar + 1);
  }
  auto dollar = rest.find('$');
  if (dollar == std::string_view::npos || dollar > 16) return base::fail("malformed salt");
  std::string_view checksum = rest.substr(dollar + 1);
  if (checksum.size() != checksum_chars || !std::ranges::all_of(checksum, is_crypt64)) {
    return base::fail("malformed checksum");
  }
  return {};
}

// bcrypt: $2?$NN$ then 22 characters of salt and 31 of checksum.
base::Result<void> check_bcrypt(std::string_view hash) {
  if (hash.size() != 60 || hash[6] != '$') return base::fail("malformed bcrypt hash");
  auto cost = to_number(hash.substr(4, 2));
  if (!cost || *cost < 4) return base::fail("malformed bcrypt cost");
  if (*cost > legacy_bcrypt_max_cost) {
    return base::fail("cost " + std::to_string(*cost) + " above the limit of " + std::to_string(legacy_bcrypt_max_cost));
  }
  if (!std::ranges::all_of(hash.substr(7), is_crypt64)) return base::fail("malformed bcrypt hash");
  return {};
}

// MD5-crypt: $1$, salt of up to 8 characters, 22 characters of checksum.
base::Result<void> check_md5_crypt(std::string_view hash) {
  std::string_view rest = hash.substr(3);
  auto dollar = rest.find('$');
  if (dollar == std::string_view::npos || dollar > 8) return base::fail("malformed salt");
  std::string_view checksum = rest.substr(dollar + 1);
  if (checksum.size() != 22 || !std::ranges::all_of(checksum, is_crypt64)) return base::fail("malformed checksum");
  return {};
}

base::Result<void> check_crypt_format(LegacyScheme scheme, std::string_view hash) {
  auto detected = crypt_scheme_of(hash);
  if (!detected || *detected != scheme) return base::fail("hash does not match the scheme");
  // libxcrypt's own judgement of the setting, so that what we accept is what crypt_r verifies.
  std::string z(hash);
  int salt = crypt_checksalt(z.c_str());
  if (salt != CRYPT_SALT_OK && salt != CRYPT_SALT_METHOD_LEGACY) return base::fail("libcrypt refuses the setting");
  switch (scheme) {
    case LegacyScheme::sha512_crypt:
      return check_sha_crypt(hash, 86);
    case LegacyScheme::sha256_crypt:
      return check_sha_crypt(hash, 43);
    case LegacyScheme::md5_crypt:
      return check_md5_crypt(hash);
    default:
      return check_bcrypt(hash);
  }
}

// PHC form `$argon2id$v=19$m=65536,t=3,p=1$salt$hash` (v= may be missing on version 0x10).
base::Result<void> check_argon2_format(LegacyScheme scheme, std::string_view hash) {
  std::string_view prefix = scheme == LegacyScheme::argon2id ? "$argon2id$" : "$argon2i$";
  if (!hash.starts_with(prefix)) return base::fail("hash does not match the scheme");
  std::string_view rest = hash.substr(prefix.size());
  if (rest.starts_with("v=")) {
    auto dollar = rest.find('$');
    if (dollar == std::string_view::npos) return base::fail("malformed version");
    rest.remove_prefix(dollar + 1);
  }
  auto dollar = rest.find('$');
  if (dollar == std::string_view::npos) return base::fail("malformed parameters");
  std::string_view params = rest.substr(0, dollar);
  std::optional<std::uint64_t> m, t, p;
  while (!params.empty()) {
    auto comma = params.find(',');
    std::string_view kv = params.substr(0, comma);
    params = comma == std::string_view::npos ? std::string_view() : params.substr(comma + 1);
    if (kv.size() < 3 || kv[1] != '=') return base::fail("malformed parameters");
    auto value = to_number(kv.substr(2));
    if (!value) return base::fail("malformed parameters");
    if (kv[0] == 'm') m = value;
    if (kv[0] == 't') t = value;
    if (kv[0] == 'p') p = value;
  }
  if (!m || !t || !p) return base::fail("malformed parameters");
  if (*m > legacy_argon2_max_memory_kib) {
    return base::fail("m=" + std::to_string(*m) + " KiB above the limit of " +
                      std::to_string(legacy_argon2_max_memory_kib));
  }
  if (*t > legacy_argon2_max_passes) {
    return base::fail("t=" + std::to_string(*t) + " above the limit of " + std::to_string(legacy_argon2_max_passes));
  }
  if (*p > legacy_argon2_max_lanes) return base::fail("p=" + std::to_string(*p) + " above the limit");
  rest.remove_prefix(dollar + 1);
  auto last = rest.find('$');
  if (last == std::string_view::npos || last == 0 || last + 1 == rest.size()) return base::fail("malformed salt or hash");
  return {};
}

const EVP_MD* ssha_digest(LegacyScheme scheme) {
  if (scheme == LegacyScheme::ssha512) return EVP_sha512();
  if (scheme == LegacyScheme::ssha256) return EVP_sha256();
  return EVP_sha1();
}

base::Result<void> check_ssha_format(LegacyScheme scheme, std::string_view hash) {
  auto raw = base::base64_decode(hash);
  if (!raw) return base::fail("not base64");
  auto size = static_cast<std::size_t>(EVP_MD_get_size(ssha_digest(scheme)));
  if (raw->size() <= size || raw->size() > size + 64) return base::fail("wrong length for the digest and a salt");
  return {};
}

base::Result<void> check_format(LegacyScheme scheme, std::string_view hash) {
  if (is_crypt(scheme)) return check_crypt_format(scheme, hash);
  switch (scheme) {
    case LegacyScheme::argon2id:
    case LegacyScheme::argon2i:
      return check_argon2_format(scheme, hash);
    case LegacyScheme::cram_md5:
      if (!sasl::from_dovecot_hex(hash)) return base::fail("not 64 hex digits");
      return {};
    default:
      return check_ssha_format(scheme, hash);
  }
}

HashCheck equal_or_not(std::string_view a, std::string_view b) {
  bool same = a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  return same ? HashCheck::match : HashCheck::mismatch;
}

base::Result<HashCheck> check_crypt(std::string_view hash, std::string_view password) {
  std::string setting(hash);
  std::string clear(password);
  // crypt(3) takes a C string: a password with a NUL could never have been set through it.
  bool has_nul = clear.find('\0') != std::string::npos;
  // struct crypt_data is ~32 KiB: on the heap, zeroed as crypt_r requires on first use.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(clear.c_str(), setting.c_str(), data.get());
  OPENSSL_cleanse(clear.data(), clear.size());
  // libxcrypt signals failure with NULL or a string starting with '*'.
  if (out == nullptr || out[0] == '*') {
    OPENSSL_cleanse(data.get(), sizeof(crypt_data));
    return base::fail("crypt_r cannot verify the stored hash");
  }
  HashCheck result = equal_or_not(out, hash);
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return has_nul ? HashCheck::mismatch : result;
}

base::Result<HashCheck> check_argon2(LegacyScheme scheme, std::string_view hash, std::string_view password) {
  std::string encoded(hash);
  int rc = argon2_verify(encoded.c_str(), password.data(), password.size(),
                         scheme == LegacyScheme::argon2id ? Argon2_id : Argon2_i);
  if (rc == ARGON2_OK) return HashCheck::match;
  if (rc == ARGON2_VERIFY_MISMATCH) return HashCheck::mismatch;
  return base::fail(std::string("argon2: ") + argon2_error_message(rc));
}

base::Result<HashCheck> check_ssha(LegacyScheme scheme, std::string_view hash, std::string_view password) {
  auto raw = base::base64_decode(hash);
  if (!raw) return base::fail("stored SSHA hash is not base64");
  const EVP_MD* md = ssha_digest(scheme);
  auto size = static_cast<std::size_t>(EVP_MD_get_size(md));
  std::string_view digest = std::string_view(*raw).substr(0, size);
  std::string_view salt = std::string_view(*raw).substr(size);
  std::string input = std::string(password) + std::string(salt);
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  int ok = EVP_Digest(input.data(), input.size(), reinterpret_cast<unsigned char*>(out.data()), &len, md, nullptr);
  OPENSSL_cleanse(input.data(), input.size());
  if (ok != 1) return base::fail("libcrypto digest failed");
  out.resize(len);
  return equal_or_not(out, digest);
}

base::Result<HashCheck> check_cram(std::string_view hash, std::string_view password) {
  auto stored = sasl::from_dovecot_hex(hash);
  if (!stored) return base::fail("stored CRAM-MD5 secret is not 64 hex digits");
  sasl::CramSecret mine = sasl::cram_md5_secret(password);
  std::string a(reinterpret_cast<const char*>(mine.outer.data()), 16);
  a.append(reinterpret_cast<const char*>(mine.inner.data()), 16);
  std::string b(reinterpret_cast<const char*>(stored->outer.data()), 16);
  b.append(reinterpret_cast<const char*>(stored->inner.data()), 16);
  HashCheck result = equal_or_not(a, b);
  OPENSSL_cleanse(a.data(), a.size());
  OPENSSL_cleanse(&mine, sizeof mine);
  return result;
}

}  // namespace

std::string_view scheme_name(LegacyScheme scheme) {
  for (const auto& s : schemes) {
    if (s.scheme == scheme) return s.name;
  }
  return "?";
}

bool is_cleartext_scheme(std::string_view field, std::string& clear) {
  for (std::string_view prefix : {"{PLAIN}", "{CLEARTEXT}"}) {
    if (base::istarts_with(field, prefix)) {
      clear = std::string(field.substr(prefix.size()));
      return true;
    }
  }
  return false;
}

base::Result<LegacyHash> parse_legacy_hash(std::string_view field) {
  std::string_view name = "CRYPT";
  std::string_view hash = field;
  if (field.starts_with('{')) {
    auto close = field.find('}');
    if (close == std::string_view::npos) return base::fail("malformed {SCHEME} prefix");
    name = field.substr(1, close - 1);
    hash = field.substr(close + 1);
  }
  std::optional<LegacyScheme> scheme;
  if (base::iequals(name, "CRYPT")) {
    scheme = crypt_scheme_of(hash);
    if (!scheme) return base::fail("unsupported crypt(3) format (DES crypt is not imported)");
  } else if (base::iequals(name, "PLAIN") || base::iequals(name, "CLEARTEXT")) {
    return base::fail("clear-text scheme: hash it, never store it");
  } else {
    scheme = scheme_by_name(name);
    if (!scheme) return base::fail("unsupported scheme {" + std::string(name) + "}");
  }
  if (hash.empty()) return base::fail("empty hash");
  if (auto ok = check_format(*scheme, hash); !ok) {
    return base::fail("{" + std::string(scheme_name(*scheme)) + "}: " + ok.error().message);
  }
  std::string canonical = *scheme == LegacyScheme::cram_md5 ? base::to_lower(hash) : std::string(hash);
  return LegacyHash{*scheme, "{" + std::string(scheme_name(*scheme)) + "}" + canonical};
}

base::Result<HashCheck> check_legacy_hash(std::string_view stored, std::string_view password) {
  // Parsed again, bounds included: the database may have been edited since the import.
  auto parsed = parse_legacy_hash(stored);
  if (!parsed) return std::unexpected(parsed.error());
  std::string_view hash = std::string_view(parsed->text).substr(parsed->text.find('}') + 1);
  if (is_crypt(parsed->scheme)) return check_crypt(hash, password);
  switch (parsed->scheme) {
    case LegacyScheme::argon2id:
    case LegacyScheme::argon2i:
      return check_argon2(parsed->scheme, hash, password);
    case LegacyScheme::cram_md5:
      return check_cram(hash, password);
    default:
      return check_ssha(parsed->scheme, hash, password);
  }
}

}  // namespace postern::auth
