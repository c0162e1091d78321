#pragma once
// A credential store for session dialogs: answers sasl::Requests from clear-text test passwords
// (computing the SCRAM verifiers and CRAM-MD5 secrets the real store would keep), and bearer
// tokens from a table. Records what it was asked, without secrets.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sasl/cram_md5.hpp"
#include "sasl/scram.hpp"
#include "session/session.hpp"

namespace postern::session::test {

/// One login name (`ADDRESS` or `ADDRESS/NAME`) and what it proves.
struct FakeLogin {
  std::string account;
  std::string credential = "password";
  std::string password;
  bool cram_md5 = false;
  /// The envelope senders the identity may use; empty: the account's address alone.
  std::vector<std::string> senders;
};

class FakeAuthenticator {
 public:
  void add(std::string login, FakeLogin l) { logins_[std::move(login)] = std::move(l); }
  void add_token(std::string token, std::string account) { tokens_[std::move(token)] = std::move(account); }
  /// A certificate naming `email` proves `account` (when verified).
  void add_certificate(std::string email, std::string account) { certificates_[std::move(email)] = std::move(account); }
  void set_down(bool down) { down_ = down; }

  AuthResolution resolve(const sasl::Request& request) {
    ++calls;
    kinds.push_back(request.index());
    return std::visit([this](const auto& r) { return answer(r); }, request);
  }

  std::size_t calls = 0;
  std::vector<std::size_t> kinds;  ///< Request alternative of each call
  std::vector<sasl::VerifyCertificate> certificate_requests;  ///< as the session sent them

 private:
  static AuthInfo identity_of(const FakeLogin& l) {
    return AuthInfo{l.account, l.credential, "", l.senders.empty() ? std::vector{l.account} : l.senders};
  }

  const FakeLogin* find(const std::string& login) const {
    auto it = logins_.find(login);
    return it == logins_.end() ? nullptr : &it->second;
  }
  // The credential may act as itself only.
  static bool permitted(const FakeLogin& l, const std::string& authzid) {
    return authzid.empty() || authzid == l.account;
  }

  AuthResolution answer(const sasl::VerifyPassword& r) {
    if (down_) return {sasl::PasswordAnswer{sasl::Verdict::temporary_failure}, std::nullopt};
    const auto* l = find(r.authcid);
    if (l == nullptr || l->password != r.password) return {sasl::PasswordAnswer{sasl::Verdict::bad_credentials}, {}};
    if (!permitted(*l, r.authzid)) return {sasl::PasswordAnswer{sasl::Verdict::authzid_not_permitted}, {}};
    return {sasl::PasswordAnswer{sasl::Verdict::ok}, identity_of(*l)};
  }

  AuthResolution answer(const sasl::NeedCramSecret& r) {
    if (down_) return {sasl::CramSecretAnswer{sasl::Verdict::temporary_failure, {}}, {}};
    const auto* l = find(r.authcid);
    if (l == nullptr || !l->cram_md5) return {sasl::CramSecretAnswer{sasl::Verdict::bad_credentials, {}}, {}};
    return {sasl::CramSecretAnswer{sasl::Verdict::ok, sasl::cram_md5_secret(l->password)}, identity_of(*l)};
  }

  AuthResolution answer(const sasl::NeedScramVerifier& r) {
    if (down_) return {sasl::ScramVerifierAnswer{sasl::Verdict::temporary_failure, {}}, {}};
    const auto* l = find(r.authcid);
    if (l == nullptr) return {sasl::ScramVerifierAnswer{sasl::Verdict::bad_credentials, {}}, {}};
    auto verifier = sasl::scram_verifier(r.hash, l->password, "salt-of-" + r.authcid, 4096);
    if (!verifier) return {sasl::ScramVerifierAnswer{sasl::Verdict::temporary_failure, {}}, {}};
    auto verdict = permitted(*l, r.authzid) ? sasl::Verdict::ok : sasl::Verdict::authzid_not_permitted;
    return {sasl::ScramVerifierAnswer{verdict, *verifier}, identity_of(*l)};
  }

  AuthResolution answer(const sasl::VerifyToken& r) {
    if (down_) return {sasl::TokenAnswer{sasl::Verdict::temporary_failure, "", {}}, {}};
    auto it = tokens_.find(r.token);
    if (it == tokens_.end()) return {sasl::TokenAnswer{sasl::Verdict::bad_credentials, "", {}}, {}};
    if (!r.authzid.empty() && r.authzid != it->second) {
      return {sasl::TokenAnswer{sasl::Verdict::authzid_not_permitted, "", {}}, {}};
    }
    return {sasl::TokenAnswer{sasl::Verdict::ok, it->second, {}}, AuthInfo{it->second, "token", "", {it->second}}};
  }

  AuthResolution answer(const sasl::VerifyCertificate& r) {
    certificate_requests.push_back(r);
    if (down_) return {sasl::CertificateAnswer{sasl::Verdict::temporary_failure, ""}, {}};
    if (!r.certificate || !r.certificate->verified) {
      return {sasl::CertificateAnswer{sasl::Verdict::bad_credentials, ""}, {}};
    }
    auto it = certificates_.find(r.certificate->subject_email);
    if (it == certificates_.end()) return {sasl::CertificateAnswer{sasl::Verdict::bad_credentials, ""}, {}};
    AuthInfo who{it->second, "certificate", "", {it->second}};
    if (!r.authzid.empty() && r.authzid != it->second) {
      return {sasl::CertificateAnswer{sasl::Verdict::authzid_not_permitted, it->second}, who};
    }
    return {sasl::CertificateAnswer{sasl::Verdict::ok, it->second}, who};
  }

  std::map<std::string, FakeLogin> logins_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, std::string> certificates_;
  bool down_ = false;
};

}  // namespace postern::session::test
