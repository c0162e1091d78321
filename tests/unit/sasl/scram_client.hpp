#pragma once
// A minimal SCRAM client for the tests, written straight against libcrypto and independent of
// src/sasl, so that the server is checked against a second implementation (RFC 5802 §3).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <string>
#include <string_view>

#include "base/base64.hpp"
#include "sasl/mechanism.hpp"

namespace postern::sasl::test {

class ScramClient {
 public:
  /// `gs2_header` as sent, e.g. "n,,", "y,,", "p=tls-exporter,a=admin,".
  ScramClient(ScramHash hash, std::string gs2_header, std::string user, std::string password, std::string client_nonce)
      : hash_(hash),
        gs2_header_(std::move(gs2_header)),
        user_(std::move(user)),
        password_(std::move(password)),
        nonce_(std::move(client_nonce)) {}

  std::string bare() const { return "n=" + user_ + ",r=" + nonce_; }
  std::string first() const { return gs2_header_ + bare(); }

  /// The client-final-message for `server_first`, binding `cb_data` and inserting
  /// `extension` (e.g. "x=1") before the proof when it is not empty. Empty on a parse error.
  std::string final_message(std::string_view server_first, std::string_view cb_data = "",
                            std::string_view extension = "") {
    auto attrs = parse(server_first);
    auto salt = base::base64_decode(attrs["s"]);
    if (!salt || attrs["r"].empty() || attrs["i"].empty()) return {};
    int iterations = std::stoi(attrs["i"]);
    std::string without_proof = "c=" + base::base64_encode(gs2_header_ + std::string(cb_data)) + ",r=" + attrs["r"];
    if (!extension.empty()) without_proof += "," + std::string(extension);
    std::string auth_message = bare() + "," + std::string(server_first) + "," + without_proof;
    std::string salted(size(), '\0');
    PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                      reinterpret_cast<const unsigned char*>(salt->data()), static_cast<int>(salt->size()), iterations,
                      md(), static_cast<int>(salted.size()), reinterpret_cast<unsigned char*>(salted.data()));
    std::string client_key = mac(salted, "Client Key");
    std::string stored_key(size(), '\0');
    EVP_Digest(client_key.data(), client_key.size(), reinterpret_cast<unsigned char*>(stored_key.data()), nullptr, md(),
               nullptr);
    std::string signature = mac(stored_key, auth_message);
    std::string proof = client_key;
    for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
    expected_server_final_ = "v=" + base::base64_encode(mac(mac(salted, "Server Key"), auth_message));
    return without_proof + ",p=" + base::base64_encode(proof);
  }

  /// The server-final-message the server must send for the last final_message().
  const std::string& expected_server_final() const { return expected_server_final_; }

 private:
  const EVP_MD* md() const { return hash_ == ScramHash::sha1 ? EVP_sha1() : EVP_sha256(); }
  std::size_t size() const { return hash_ == ScramHash::sha1 ? 20 : 32; }

  std::string mac(std::string_view key, std::string_view data) const {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int len = 0;
    HMAC(md(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), reinterpret_cast<unsigned char*>(out.data()), &len);
    out.resize(len);
    return out;
  }

  static std::map<std::string, std::string> parse(std::string_view s) {
    std::map<std::string, std::string> out;
    while (!s.empty()) {
      std::size_t comma = s.find(',');
      std::string_view attr = s.substr(0, comma);
      if (attr.size() >= 2 && attr[1] == '=') out[std::string(attr.substr(0, 1))] = std::string(attr.substr(2));
      if (comma == std::string_view::npos) break;
      s.remove_prefix(comma + 1);
    }
    return out;
  }

  ScramHash hash_;
  std::string gs2_header_;
  std::string user_;
  std::string password_;
  std::string nonce_;
  std::string expected_server_final_;
};

}  // namespace postern::sasl::test
