#include "auth/jwks.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace postern::auth {

namespace {

namespace json = boost::json;

// ---- base64url ------------------------------------------------------------------------------

constexpr std::string_view b64url_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// ---- OpenSSL ownership ------------------------------------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// The OpenSSL error queue is per thread; a failed call must not leave entries behind for the
// next, unrelated caller (a TLS handshake on the same I/O thread would misreport them).
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  std::array<char, 256> buf{};
  ERR_error_string_n(e, buf.data(), buf.size());
  return buf.data();
}

// ---- key kinds and sizes ----------------------------------------------------------------------

// RFC 7518 §3.3: RSA keys of 2048 bits or more. The upper bound keeps one verification cheap.
constexpr int min_rsa_bits = 2048;
constexpr int max_rsa_bits = 16384;
constexpr std::size_t p256_coordinate = 32;  // RFC 7518 §6.2.1.2: full-size coordinates
constexpr std::size_t ed25519_key_size = 32;  // RFC 8037 §2
constexpr std::size_t es256_signature_size = 64;  // RFC 7518 §3.4: R || S, 32 octets each

bool is_p256(const EVP_PKEY* pkey) {
  std::array<char, 64> name{};
  std::size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, name.data(), name.size(), &len) != 1) return false;
  return OBJ_txt2nid(name.data()) == NID_X9_62_prime256v1;
}

base::Result<KeyKind> classify(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits < min_rsa_bits) return base::fail("RSA key of " + std::to_string(bits) + " bits (at least 2048 needed)");
    if (bits > max_rsa_bits) return base::fail("RSA key of " + std::to_string(bits) + " bits (at most 16384)");
    return KeyKind::rsa;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    if (!is_p256(pkey)) return base::fail("EC key not on curve P-256");
    return KeyKind::ec_p256;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyKind::ed25519;
  const char* name = EVP_PKEY_get0_type_name(pkey);
  return base::fail(std::string("unsupported key type ") + (name != nullptr ? name : "?") +
                    " (RSA of at least 2048 bits, EC P-256 or Ed25519 needed)");
}

std::string bn_bytes(const BIGNUM* bn) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

base::Result<std::string> bn_param(const EVP_PKEY* pkey, const char* name, int pad) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return base::fail(openssl_error());
  Bn bn(raw);
  if (pad == 0) return bn_bytes(bn.get());
  std::string out(static_cast<std::size_t>(pad), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), pad) != pad) {
    return base::fail("EC coordinate too large");
  }
  return out;
}

std::string sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

// ---- signatures -------------------------------------------------------------------------------

// RFC 7518 §3.4: a JWS carries ECDSA's R and S as two 32-octet big-endian integers; OpenSSL
// verifies the DER SEQUENCE of two INTEGERs (RFC 3279 §2.2.3).
std::optional<std::string> es256_to_der(std::string_view raw) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, p256_coordinate, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + p256_coordinate, p256_coordinate, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::nullopt;
  return der;
}

// ---- JWK members ------------------------------------------------------------------------------

// A JWK member that must be a base64url string when present.
base::Result<std::optional<std::string>> b64_member(const json::object& jwk, std::string_view name) {
  const json::value* v = jwk.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return base::fail("\"" + std::string(name) + "\" is not a string");
  auto bytes = base64url_decode(v->get_string());
  if (!bytes) return base::fail("\"" + std::string(name) + "\" is not base64url");
  return bytes;
}

base::Result<std::string> required_b64(const json::object& jwk, std::string_view name, std::size_t exact_size = 0) {
  auto m = b64_member(jwk, name);
  if (!m) return std::unexpected(m.error());
  if (!*m) return base::fail("\"" + std::string(name) + "\" missing");
  if (exact_size != 0 && (*m)->size() != exact_size) {
    return base::fail("\"" + std::string(name) + "\" is " + std::to_string((*m)->size()) + " bytes, not " +
                      std::to_string(exact_size));
  }
  return std::move(**m);
}

base::Result<std::optional<std::string>> string_member(const json::object& jwk, std::string_view name) {
  const json::value* v = jwk.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) return base::fail("\"" + std::string(name) + "\" is not a string");
  return std::string(v->get_string());
}

Pkey pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  Pkey pkey(raw);
  // Rejects an EC point off the curve and RSA parameters that cannot be a public key.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return pkey;
}

// RFC 7518 §6.3.1: n and e as unsigned big-endian integers in the fewest octets.
base::Result<Pkey> rsa_from_jwk(const json::object& jwk) {
  auto n = required_b64(jwk, "n");
  if (!n) return std::unexpected(n.error());
  auto e = required_b64(jwk, "e");
  if (!e) return std::unexpected(e.error());
  if (n->empty() || (*n)[0] == '\0') return base::fail("\"n\" has a leading zero octet (RFC 7518 §6.3.1.1)");
  if (e->empty() || (*e)[0] == '\0') return base::fail("\"e\" has a leading zero octet (RFC 7518 §6.3.1.2)");
  Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return base::fail(openssl_error());
  }
  Pkey pkey = pkey_from_params("RSA", bld.get());
  if (!pkey) return base::fail("not a valid RSA public key: " + openssl_error());
  return pkey;
}

base::Result<Pkey> ec_from_jwk(const json::object& jwk) {
  auto x = required_b64(jwk, "x", p256_coordinate);
  if (!x) return std::unexpected(x.error());
  auto y = required_b64(jwk, "y", p256_coordinate);
  if (!y) return std::unexpected(y.error());
  std::string point = "\x04" + *x + *y;  // SEC 1 §2.3.3 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return base::fail(openssl_error());
  }
  Pkey pkey = pkey_from_params("EC", bld.get());
  if (!pkey) return base::fail("not a point on P-256: " + openssl_error());
  return pkey;
}

base::Result<Pkey> ed25519_from_jwk(const json::object& jwk) {
  auto x = required_b64(jwk, "x", ed25519_key_size);
  if (!x) return std::unexpected(x.error());
  Pkey pkey(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr,
                                           reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (!pkey) return base::fail("not an Ed25519 key: " + openssl_error());
  return pkey;
}

// RFC 7517 §4.2/§4.3: a key meant for encryption only has nothing to do with tokens.
base::Result<std::optional<std::string>> check_usage(const json::object& jwk) {
  auto use = string_member(jwk, "use");
  if (!use) return std::unexpected(use.error());
  if (*use && **use != "sig") return std::optional<std::string>("use \"" + **use + "\"");
  if (const json::value* ops = jwk.if_contains("key_ops")) {
    if (!ops->is_array()) return base::fail("\"key_ops\" is not an array");
    bool verify = false;
    for (const auto& op : ops->get_array()) {
      if (!op.is_string()) return base::fail("\"key_ops\" holds a non-string");
      verify = verify || op.get_string() == "verify";
    }
    if (!verify) return std::optional<std::string>("key_ops without \"verify\"");
  }
  return std::optional<std::string>();
}

// The kind a JWK's kty/crv names, nullopt (with `why`) when it is not one we verify with.
base::Result<std::optional<KeyKind>> jwk_kind(const json::object& jwk, std::string& why) {
  auto kty = string_member(jwk, "kty");
  if (!kty) return std::unexpected(kty.error());
  if (!*kty) return base::fail("\"kty\" missing");
  if (**kty == "RSA") return std::optional<KeyKind>(KeyKind::rsa);
  if (**kty != "EC" && **kty != "OKP") {
    why = "kty \"" + **kty + "\"";
    return std::optional<KeyKind>();
  }
  auto crv = string_member(jwk, "crv");
  if (!crv) return std::unexpected(crv.error());
  if (!*crv) return base::fail("\"crv\" missing");
  if (**kty == "EC" && **crv == "P-256") return std::optional<KeyKind>(KeyKind::ec_p256);
  if (**kty == "OKP" && **crv == "Ed25519") return std::optional<KeyKind>(KeyKind::ed25519);
  why = "kty \"" + **kty + "\" crv \"" + **crv + "\"";
  return std::optional<KeyKind>();
}

// One member of "keys": a key, nullopt with `why` when skipped, or an error.
base::Result<std::optional<VerifyKey>> parse_jwk(const json::value& value, const std::string& origin,
                                                 std::string& why) {
  if (!value.is_object()) return base::fail("not a JSON object");
  const json::object& jwk = value.get_object();
  // RFC 7517 §8.1.1: a set given for verification must not carry private keys.
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(secret)) {
      return base::fail(std::string("holds private key material (\"") + secret + "\"); give public keys only");
    }
  }
  auto kind = jwk_kind(jwk, why);
  if (!kind) return std::unexpected(kind.error());
  if (!*kind) return std::optional<VerifyKey>();
  auto usage = check_usage(jwk);
  if (!usage) return std::unexpected(usage.error());
  if (*usage) {
    why = **usage;
    return std::optional<VerifyKey>();
  }
  auto kid = string_member(jwk, "kid");
  if (!kid) return std::unexpected(kid.error());
  auto alg_name = string_member(jwk, "alg");
  if (!alg_name) return std::unexpected(alg_name.error());
  std::optional<JwsAlg> alg;
  if (*alg_name) {
    alg = parse_jws_alg(**alg_name);
    if (!alg) {
      why = "alg \"" + **alg_name + "\"";
      return std::optional<VerifyKey>();
    }
    if (key_kind_for(*alg) != **kind) {
      return base::fail("alg \"" + **alg_name + "\" does not fit a " + std::string(to_string(**kind)) + " key");
    }
  }
  base::Result<Pkey> pkey = **kind == KeyKind::rsa        ? rsa_from_jwk(jwk)
                            : **kind == KeyKind::ec_p256 ? ec_from_jwk(jwk)
                                                         : ed25519_from_jwk(jwk);
  if (!pkey) return std::unexpected(pkey.error());
  auto key = VerifyKey::from_pkey(pkey->release(), origin, kid->value_or(""), alg);
  if (!key) return std::unexpected(key.error());
  return std::optional<VerifyKey>(std::move(*key));
}

base::Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return base::fail(file.string() + ": cannot open: " + std::strerror(errno));
  std::string text;
  std::array<char, 8192> buf{};
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_key_file_size) return base::fail(file.string() + ": larger than 1 MiB");
  }
  if (in.bad()) return base::fail(file.string() + ": read error");
  return text;
}

}  // namespace

// ---- public functions -------------------------------------------------------------------------

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out += b64url_alphabet[(v >> shift) & 63];
  }
  if (bytes.size() - i == 1) {
    unsigned v = at(i) << 16;
    out += b64url_alphabet[(v >> 18) & 63];
    out += b64url_alphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    unsigned v = (at(i) << 16) | (at(i + 1) << 8);
    for (int shift : {18, 12, 6}) out += b64url_alphabet[(v >> shift) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte string
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = b64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // RFC 4648 §3.5: the unused low bits of the last character must be zero.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<JwsAlg> parse_jws_alg(std::string_view name) {
  if (name == "RS256") return JwsAlg::rs256;
  if (name == "ES256") return JwsAlg::es256;
  if (name == "EdDSA") return JwsAlg::eddsa;
  return std::nullopt;
}

std::string_view to_string(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::rs256: return "RS256";
    case JwsAlg::es256: return "ES256";
    case JwsAlg::eddsa: return "EdDSA";
  }
  return "?";
}

KeyKind key_kind_for(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::rs256: return KeyKind::rsa;
    case JwsAlg::es256: return KeyKind::ec_p256;
    case JwsAlg::eddsa: return KeyKind::ed25519;
  }
  return KeyKind::rsa;
}

std::string_view to_string(KeyKind kind) {
  switch (kind) {
    case KeyKind::rsa: return "RSA";
    case KeyKind::ec_p256: return "EC P-256";
    case KeyKind::ed25519: return "Ed25519";
  }
  return "?";
}

base::Result<std::string> jwk_thumbprint(const evp_pkey_st* pkey) {
  auto kind = classify(pkey);
  if (!kind) return std::unexpected(kind.error());
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  std::string canonical;
  if (*kind == KeyKind::rsa) {
    auto n = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
    auto e = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
    if (!n || !e) return base::fail("cannot read the RSA key's parameters");
    canonical = R"({"e":")" + base64url_encode(*e) + R"(","kty":"RSA","n":")" + base64url_encode(*n) + R"("})";
  } else if (*kind == KeyKind::ec_p256) {
    auto x = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, p256_coordinate);
    auto y = bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, p256_coordinate);
    if (!x || !y) return base::fail("cannot read the EC key's point");
    canonical = R"({"crv":"P-256","kty":"EC","x":")" + base64url_encode(*x) + R"(","y":")" + base64url_encode(*y) +
                R"("})";
  } else {
    std::array<unsigned char, ed25519_key_size> raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &len) != 1 || len != raw.size()) {
      ERR_clear_error();
      return base::fail("cannot read the Ed25519 key");
    }
    canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" +
                base64url_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), len)) + R"("})";
  }
  return base64url_encode(sha256(canonical));
}

base::Result<VerifyKey> VerifyKey::from_pkey(evp_pkey_st* pkey, std::string origin, std::string kid,
                                             std::optional<JwsAlg> alg) {
  VerifyKey key;
  key.pkey_.reset(pkey, EVP_PKEY_free);
  if (pkey == nullptr) return base::fail(origin + ": no key");
  auto kind = classify(pkey);
  if (!kind) return base::fail(origin + ": " + kind.error().message);
  auto thumbprint = jwk_thumbprint(pkey);
  if (!thumbprint) return base::fail(origin + ": " + thumbprint.error().message);
  key.kind_ = *kind;
  key.kid_ = std::move(kid);
  key.thumbprint_ = std::move(*thumbprint);
  key.alg_ = alg;
  key.origin_ = std::move(origin);
  // PEM and decoder attempts that failed on the way to success leave entries behind.
  ERR_clear_error();
  return key;
}

SignatureCheck VerifyKey::verify(JwsAlg alg, std::string_view signing_input, std::string_view signature) const {
  if (key_kind_for(alg) != kind_ || (alg_ && *alg_ != alg)) return SignatureCheck::invalid;
  std::string der;
  if (alg == JwsAlg::es256) {
    if (signature.size() != es256_signature_size) return SignatureCheck::wrong_length;
    auto converted = es256_to_der(signature);
    if (!converted) return SignatureCheck::error;
    der = std::move(*converted);
    signature = der;
  } else if (alg == JwsAlg::eddsa && signature.size() != 64) {  // RFC 8032 §5.1.6
    return SignatureCheck::wrong_length;
  } else if (alg == JwsAlg::rs256 && signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get()))) {
    return SignatureCheck::wrong_length;  // RFC 8017 §8.2.2 step 1
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  // EdDSA hashes internally (RFC 8032 §5.1.7): no digest is named.
  const EVP_MD* md = alg == JwsAlg::eddsa ? nullptr : EVP_sha256();
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey_.get()) != 1) {
    ERR_clear_error();
    return SignatureCheck::error;
  }
  int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  ERR_clear_error();
  return ok == 1 ? SignatureCheck::valid : SignatureCheck::invalid;
}

base::Result<VerifyKey> parse_pem_public_key(std::string_view pem, const std::string& origin) {
  auto begin = pem.find("-----BEGIN ");
  if (begin == std::string_view::npos) return base::fail(origin + ": no PEM block");
  if (pem.find("-----BEGIN ", begin + 1) != std::string_view::npos) {
    return base::fail(origin + ": more than one PEM block (give one key per file)");
  }
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    return base::fail(origin + ": holds a private key; give the public key");
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return base::fail(origin + ": " + openssl_error());
  EVP_PKEY* pkey = nullptr;
  if (pem.substr(begin).starts_with("-----BEGIN CERTIFICATE-----")) {
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert) pkey = X509_get_pubkey(cert.get());
  } else {
    pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  }
  if (pkey == nullptr) return base::fail(origin + ": not a PEM public key or certificate: " + openssl_error());
  return VerifyKey::from_pkey(pkey, origin);
}

base::Result<JwkSet> parse_jwks(std::string_view text, const std::string& origin) {
  json::parse_options options;
  options.max_depth = 8;  // {"keys":[{"key_ops":[...]}]} needs 4; x5c and friends a little more
  boost::system::error_code ec;
  json::value root = json::parse(text, ec, {}, options);
  if (ec) return base::fail(origin + ": not JSON: " + ec.message());
  if (!root.is_object()) return base::fail(origin + ": not a JWK Set (a JSON object with \"keys\")");
  const json::value* keys = root.get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) return base::fail(origin + ": no \"keys\" array (RFC 7517 §5)");
  JwkSet set;
  const auto& array = keys->get_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string where = origin + " keys[" + std::to_string(i) + "]";
    std::string why;
    auto key = parse_jwk(array[i], where, why);
    if (!key) {
      // VerifyKey::from_pkey already names the origin.
      const std::string& m = key.error().message;
      return base::fail(m.starts_with(where) ? m : where + ": " + m);
    }
    if (*key) {
      set.keys.push_back(std::move(**key));
    } else {
      set.skipped.push_back("keys[" + std::to_string(i) + "]: " + why);
    }
  }
  if (set.keys.empty()) {
    std::string detail;
    for (const auto& s : set.skipped) detail += (detail.empty() ? " (skipped " : "; ") + s;
    return base::fail(origin + ": no usable key (RS256, ES256 or EdDSA)" + (detail.empty() ? "" : detail + ")"));
  }
  return set;
}

base::Result<VerifyKey> load_pem_public_key(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) return std::unexpected(text.error());
  return parse_pem_public_key(*text, file.string());
}

base::Result<JwkSet> load_jwks(const std::filesystem::path& file) {
  auto text = read_file(file);
  if (!text) return std::unexpected(text.error());
  return parse_jwks(*text, file.string());
}

}  // namespace postern::auth
