#include "auth/store_authenticator.hpp"

#include <algorithm>
#include <mutex>
#include <span>
#include <unordered_map>
#include <utility>
#include <variant>

#include "auth/credential_cache.hpp"
#include "auth/legacy_hash.hpp"
#include "auth/login_name.hpp"
#include "base/strings.hpp"
#include "policy/cidr.hpp"

namespace postern::auth {

namespace {

using sasl::Verdict;

base::Random& system_random() {
  static base::SystemRandom random;
  return random;
}

// A password that could be a generated app password; only those are tried against the app
// passwords of a bare `ADDRESS` login, so a wrong guess costs one argon2id, not one per app
// password.
bool shaped_like_app_password(std::string_view password) {
  return password.size() == app_password_length && std::ranges::all_of(password, [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

bool network_allowed(const std::vector<std::string>& networks, const ClientFacts& client) {
  if (networks.empty()) return true;
  auto address = policy::IpAddress::parse(client.address);
  if (!address) return false;
  return std::ranges::any_of(networks, [&](const std::string& text) {
    auto cidr = policy::Cidr::parse(text);
    return cidr && cidr->contains(*address);
  });
}

bool active(const StoredCredential& c, TimePoint now) { return !c.revoked && (!c.expires || *c.expires > now); }

// Why a credential whose secret is right must still be refused, or nullopt.
std::optional<std::string> refusal(const LoginRecord& account, const StoredCredential& c, const ClientFacts& client,
                                   TimePoint now) {
  if (account.disabled) return "account disabled";
  if (c.revoked) return "revoked";
  if (c.expires && *c.expires <= now) return "expired";
  if (account.suspended(c.name)) return "suspended";
  if (!network_allowed(c.allowed_networks, client)) return "network not allowed";
  return std::nullopt;
}

bool is_domain_grant(std::string_view sender) { return sender.starts_with('@'); }

// `address` (local@domain) lies in the domain `grant` ("@domain") names.
bool in_domain(std::string_view address, std::string_view grant) {
  auto at = address.rfind('@');
  return at != std::string_view::npos && base::iequals(address.substr(at), grant);
}

// `address` (local@domain) lies in `patterns`: named there, or its domain is ("@domain").
bool covered(const std::vector<std::string>& patterns, std::string_view address) {
  return std::ranges::any_of(patterns, [&](const std::string& p) {
    return base::iequals(p, address) || (is_domain_grant(p) && in_domain(address, p));
  });
}

// DESIGN §3.6: the account's own addresses and its sender grants ("local@domain", "@domain",
// "<>"); with a limited credential, only what both the account and the credential's
// allowed_senders allow. allowed_senders narrows, never widens: an address there that the
// account neither owns nor was granted gives nothing. Where a domain grant meets an allowed
// address of that domain, the address is what remains. normalize_sender lower-cased every
// domain; local parts compare without case, as the store's keys do.
std::vector<std::string> sender_addresses(const LoginRecord& account, const std::vector<std::string>& allowed) {
  std::vector<std::string> owned{account.account};
  owned.insert(owned.end(), account.aliases.begin(), account.aliases.end());
  owned.insert(owned.end(), account.sender_grants.begin(), account.sender_grants.end());
  std::vector<std::string> out;
  auto add = [&](const std::string& sender) {
    if (std::ranges::none_of(out, [&](const std::string& o) { return base::iequals(o, sender); }))
      out.push_back(sender);
  };
  for (const auto& sender : owned) {
    if (allowed.empty()) {
      add(sender);
    } else if (sender == "<>") {
      if (std::ranges::find(allowed, sender) != allowed.end()) add(sender);
    } else if (is_domain_grant(sender)) {
      if (std::ranges::any_of(allowed, [&](const std::string& a) { return base::iequals(a, sender); })) {
        add(sender);
        continue;
      }
      for (const auto& a : allowed) {
        if (!is_domain_grant(a) && a != "<>" && in_domain(a, sender)) add(a);
      }
    } else if (covered(allowed, sender)) {
      add(sender);
    }
  }
  return out;
}

Identity identity_of(const LoginRecord& account, const StoredCredential& c) {
  return Identity{account.account, c.name, c.allowed_senders, sender_addresses(account, c.allowed_senders)};
}

// A login without a stored credential (bearer token, certificate) sends as the account.
Identity account_identity(const LoginRecord& account, std::string_view credential) {
  return Identity{account.account, std::string(credential), {}, sender_addresses(account, {})};
}

// RFC 4422 §3.4.1: an empty authzid means "act as myself". Naming oneself (the account, or the
// login name as sent) is the same; anybody else would need delegation, which does not exist yet.
bool authzid_permitted(std::string_view authzid, std::string_view authcid, const Identity& identity) {
  if (authzid.empty() || authzid == authcid) return true;
  auto login = parse_login(authzid);
  return login && !login->credential && base::iequals(login->address, identity.account);
}

Resolution password_answer(Verdict verdict, std::string reason, std::optional<Identity> identity = std::nullopt) {
  return Resolution{sasl::PasswordAnswer{verdict}, std::move(identity), std::move(reason)};
}

Resolution scram_answer(Verdict verdict, std::string reason, sasl::ScramVerifier verifier = {},
                        std::optional<Identity> identity = std::nullopt) {
  return Resolution{sasl::ScramVerifierAnswer{verdict, std::move(verifier)}, std::move(identity), std::move(reason)};
}

Resolution cram_answer(Verdict verdict, std::string reason, sasl::CramSecret secret = {},
                       std::optional<Identity> identity = std::nullopt) {
  return Resolution{sasl::CramSecretAnswer{verdict, secret}, std::move(identity), std::move(reason)};
}

Resolution token_answer(Verdict verdict, std::string reason, std::string status = "invalid_token",
                        std::optional<Identity> identity = std::nullopt) {
  sasl::TokenAnswer answer;
  answer.verdict = verdict;
  answer.error.status = std::move(status);
  if (identity) answer.identity = identity->account;
  return Resolution{std::move(answer), std::move(identity), std::move(reason)};
}

Resolution certificate_answer(Verdict verdict, std::string reason, std::optional<Identity> identity = std::nullopt) {
  sasl::CertificateAnswer answer{verdict, identity ? identity->account : std::string()};
  return Resolution{std::move(answer), std::move(identity), std::move(reason)};
}

class StoreAuthenticator final : public Authenticator {
 public:
  StoreAuthenticator(AccountStore& store, const TokenValidator* tokens, AuthenticatorOptions options)
      : store_(store),
        tokens_(tokens),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : store.clock()) {
    if (options_.cache_ttl.count() > 0) {
      base::Random& random = options_.random != nullptr ? *options_.random : system_random();
      std::string secret(32, '\0');
      random.fill(std::as_writable_bytes(std::span(secret)));
      cache_ = std::make_unique<CredentialCache>(std::move(secret), options_.cache_ttl, options_.cache_max_entries);
    }
  }

  Resolution resolve(const sasl::Request& request, const ClientFacts& client) override {
    return std::visit([&](const auto& r) { return on(r, client); }, request);
  }

  void record_success(const Identity& identity, TimePoint now) override;

 private:
  Resolution on(const sasl::VerifyPassword& r, const ClientFacts& client);
  Resolution on(const sasl::NeedScramVerifier& r, const ClientFacts& client);
  Resolution on(const sasl::NeedCramSecret& r, const ClientFacts& client);
  Resolution on(const sasl::VerifyToken& r, const ClientFacts& client);
  Resolution on(const sasl::VerifyCertificate& r, const ClientFacts& client);

  std::optional<Resolution> from_cache(const sasl::VerifyPassword& r, const std::string& key,
                                       const ClientFacts& client, TimePoint now);
  base::Result<HashCheck> check(const StoredCredential& c, std::string_view password) const;
  std::string complete(const LoginRecord& account, const StoredCredential& c, std::string_view password);
  // The credential a SCRAM or CRAM-MD5 login names, or the refusal to answer with.
  std::variant<std::pair<LoginRecord, StoredCredential>, std::pair<Verdict, std::string>> lookup(
      std::string_view authcid, const ClientFacts& client, TimePoint now);
  void report(const std::string& message) const {
    if (options_.on_error) options_.on_error(message);
  }

  AccountStore& store_;
  const TokenValidator* tokens_;
  AuthenticatorOptions options_;
  const base::Clock& clock_;
  std::unique_ptr<CredentialCache> cache_;
  std::mutex recorded_mutex_;
  std::unordered_map<std::string, TimePoint> recorded_;  // last-use writes, per account/credential
};

base::Result<HashCheck> StoreAuthenticator::check(const StoredCredential& c, std::string_view password) const {
  if (!c.argon2id_hash.empty()) return check_password(c.argon2id_hash, password);
  // Legacy schemes are mostly cheaper than argon2id; the dummy check keeps an imported
  // account from answering faster than an unknown one.
  auto result = check_legacy_hash(c.legacy_hash, password);
  store_.dummy_verify(password);
  return result;
}

std::string StoreAuthenticator::complete(const LoginRecord& account, const StoredCredential& c,
                                         std::string_view password) {
  if (!store_.needs_completion(account, c, password)) return "";
  auto done = store_.complete_credential(account, c, password);
  if (!done) {
    report("cannot complete credential " + c.name + " of " + account.account + ": " + done.error().message);
    return "";
  }
  if (!*done) return "";
  return c.legacy_hash.empty() ? ", verifiers added" : ", legacy hash upgraded";
}

std::optional<Resolution> StoreAuthenticator::from_cache(const sasl::VerifyPassword& r, const std::string& key,
                                                         const ClientFacts& client, TimePoint now) {
  auto generation = store_.generation();
  if (!generation) return password_answer(Verdict::temporary_failure, "store unavailable: " + generation.error().message);
  auto hit = cache_->find(key, now, *generation);
  // Expiry and networks are checked again: neither needs an administrative change to bite.
  // A hit that fails them falls through to the full check, which names the reason.
  if (!hit || (hit->credential_expires && *hit->credential_expires <= now) ||
      !network_allowed(hit->allowed_networks, client)) {
    return std::nullopt;
  }
  if (!authzid_permitted(r.authzid, r.authcid, hit->identity)) {
    return password_answer(Verdict::authzid_not_permitted, "authzid not permitted", hit->identity);
  }
  return password_answer(Verdict::ok, "password ok (cached)", hit->identity);
}

Resolution StoreAuthenticator::on(const sasl::VerifyPassword& r, const ClientFacts& client) {
  auto now = clock_.now();
  auto login = parse_login(r.authcid);
  if (!login) {
    store_.dummy_verify(r.password);
    return password_answer(Verdict::bad_credentials, "malformed login name");
  }
  std::string key;
  if (cache_) {
    key = cache_->key(login->text(), r.password);
    if (auto cached = from_cache(r, key, client, now)) return *cached;
  }
  auto record = store_.find_login(login->address);
  if (!record) return password_answer(Verdict::temporary_failure, "store unavailable: " + record.error().message);
  if (!*record) {
    store_.dummy_verify(r.password);
    return password_answer(Verdict::bad_credentials, "unknown account");
  }
  const LoginRecord& account = **record;
  std::vector<const StoredCredential*> candidates;
  if (login->credential) {
    if (const auto* c = account.find(*login->credential)) candidates.push_back(c);
  } else {
    for (const auto& c : account.credentials) {
      if (c.is_password() || (shaped_like_app_password(r.password) && active(c, now))) candidates.push_back(&c);
    }
  }
  if (candidates.empty()) {
    store_.dummy_verify(r.password);
    return password_answer(Verdict::bad_credentials, "unknown credential");
  }
  for (const StoredCredential* c : candidates) {
    auto checked = check(*c, r.password);
    if (!checked) {
      return password_answer(Verdict::temporary_failure,
                             "stored hash of " + account.account + "/" + c->name + " unusable: " + checked.error().message);
    }
    if (*checked != HashCheck::match) continue;
    if (auto why = refusal(account, *c, client, now)) {
      auto refused = password_answer(Verdict::bad_credentials, *why);
      refused.account = account.account;
      return refused;
    }
    Identity identity = identity_of(account, *c);
    std::string note = complete(account, *c, r.password);
    if (cache_) cache_->insert(key, CachedLogin{identity, c->expires, c->allowed_networks}, now, account.generation);
    if (!authzid_permitted(r.authzid, r.authcid, identity)) {
      return password_answer(Verdict::authzid_not_permitted, "authzid not permitted", std::move(identity));
    }
    return password_answer(Verdict::ok, "password ok" + note, std::move(identity));
  }
  auto refused = password_answer(Verdict::bad_credentials, "wrong password");
  refused.account = account.account;
  return refused;
}

std::variant<std::pair<LoginRecord, StoredCredential>, std::pair<Verdict, std::string>> StoreAuthenticator::lookup(
    std::string_view authcid, const ClientFacts& client, TimePoint now) {
  using Refused = std::pair<Verdict, std::string>;
  auto login = parse_login(authcid);
  if (!login) return Refused{Verdict::bad_credentials, "malformed login name"};
  auto record = store_.find_login(login->address);
  if (!record) return Refused{Verdict::temporary_failure, "store unavailable: " + record.error().message};
  if (!*record) return Refused{Verdict::bad_credentials, "unknown account"};
  const auto* c = (*record)->find(login->credential.value_or(std::string(password_credential)));
  if (c == nullptr) return Refused{Verdict::bad_credentials, "unknown credential"};
  if (auto why = refusal(**record, *c, client, now)) return Refused{Verdict::bad_credentials, *why};
  StoredCredential credential = *c;
  return std::pair{std::move(**record), std::move(credential)};
}

Resolution StoreAuthenticator::on(const sasl::NeedScramVerifier& r, const ClientFacts& client) {
  auto found = lookup(r.authcid, client, clock_.now());
  if (auto* refused = std::get_if<std::pair<Verdict, std::string>>(&found)) {
    return scram_answer(refused->first, std::move(refused->second));
  }
  auto& [account, c] = std::get<0>(found);
  const auto& verifier = c.scram(r.hash);
  if (!verifier) {
    return scram_answer(Verdict::bad_credentials,
                        "no SCRAM verifier (imported or older credential: log in once with PLAIN or LOGIN)");
  }
  Identity identity = identity_of(account, c);
  if (!authzid_permitted(r.authzid, r.authcid, identity)) {
    return scram_answer(Verdict::authzid_not_permitted, "authzid not permitted", *verifier, std::move(identity));
  }
  return scram_answer(Verdict::ok, "verifier found", *verifier, std::move(identity));
}

Resolution StoreAuthenticator::on(const sasl::NeedCramSecret& r, const ClientFacts& client) {
  auto found = lookup(r.authcid, client, clock_.now());
  if (auto* refused = std::get_if<std::pair<Verdict, std::string>>(&found)) {
    return cram_answer(refused->first, std::move(refused->second));
  }
  auto& [account, c] = std::get<0>(found);
  if (!account.cram_md5) return cram_answer(Verdict::bad_credentials, "CRAM-MD5 not enabled for the account");
  if (!c.cram_md5) {
    return cram_answer(Verdict::bad_credentials,
                       "no CRAM-MD5 secret (set the password again or log in once with PLAIN or LOGIN)");
  }
  return cram_answer(Verdict::ok, "CRAM-MD5 secret found", *c.cram_md5, identity_of(account, c));
}

Resolution StoreAuthenticator::on(const sasl::VerifyToken& r, const ClientFacts&) {
  if (tokens_ == nullptr) return token_answer(Verdict::bad_credentials, "no token validator configured");
  TokenResult result = tokens_->validate(r.token, clock_.now());
  switch (result.kind) {
    case TokenResult::Kind::temporary_failure:
      return token_answer(Verdict::temporary_failure, "token validator unavailable: " + result.reason, result.status);
    case TokenResult::Kind::invalid:
      return token_answer(Verdict::bad_credentials, "invalid token: " + result.reason, result.status);
    case TokenResult::Kind::ok:
      break;
  }
  auto record = store_.find_login(result.subject);
  if (!record) return token_answer(Verdict::temporary_failure, "store unavailable: " + record.error().message);
  if (!*record) return token_answer(Verdict::bad_credentials, "token names no account");
  if ((*record)->disabled) return token_answer(Verdict::bad_credentials, "account disabled");
  if ((*record)->suspended(token_credential)) return token_answer(Verdict::bad_credentials, "suspended");
  Identity identity = account_identity(**record, token_credential);
  if (!authzid_permitted(r.authzid, (*record)->account, identity)) {
    return token_answer(Verdict::authzid_not_permitted, "authzid not permitted", "invalid_token", std::move(identity));
  }
  return token_answer(Verdict::ok, "token ok", "invalid_token", std::move(identity));
}

// RFC 4422 App. A: the certificate is the authentication; it maps to the account named by
// its address (StoredCredential-free: nothing is stored for it, so nothing can be revoked but
// the account itself, or the certificate at its CA).
Resolution StoreAuthenticator::on(const sasl::VerifyCertificate& r, const ClientFacts&) {
  if (!r.certificate) return certificate_answer(Verdict::bad_credentials, "no client certificate");
  const auto& cert = *r.certificate;
  if (!cert.verified) return certificate_answer(Verdict::bad_credentials, "client certificate not verified");
  if (cert.subject_email.empty()) return certificate_answer(Verdict::bad_credentials, "certificate names no address");
  // find_login lower-cases the domain; an address that is no account may be an alias.
  auto record = store_.find_login(cert.subject_email);
  if (!record) return certificate_answer(Verdict::temporary_failure, "store unavailable: " + record.error().message);
  if (!*record) {
    auto owner = store_.find_alias_account(cert.subject_email);
    if (!owner) return certificate_answer(Verdict::temporary_failure, "store unavailable: " + owner.error().message);
    if (*owner) {
      record = store_.find_login(**owner);
      if (!record) {
        return certificate_answer(Verdict::temporary_failure, "store unavailable: " + record.error().message);
      }
    }
  }
  if (!*record) return certificate_answer(Verdict::bad_credentials, "certificate address is no account");
  if ((*record)->disabled) return certificate_answer(Verdict::bad_credentials, "account disabled");
  if ((*record)->suspended(certificate_credential)) return certificate_answer(Verdict::bad_credentials, "suspended");
  Identity identity = account_identity(**record, certificate_credential);
  if (!authzid_permitted(r.authzid, cert.subject_email, identity)) {
    return certificate_answer(Verdict::authzid_not_permitted, "authzid not permitted", std::move(identity));
  }
  return certificate_answer(Verdict::ok, "certificate ok", std::move(identity));
}

void StoreAuthenticator::record_success(const Identity& identity, TimePoint now) {
  // No stored credential to stamp for a token or a certificate.
  if (identity.credential == token_credential || identity.credential == certificate_credential) return;
  std::string who = identity.account + "/" + identity.credential;
  {
    std::lock_guard lock(recorded_mutex_);
    auto it = recorded_.find(who);
    if (it != recorded_.end() && now - it->second < options_.last_used_interval) return;
    if (recorded_.size() >= options_.cache_max_entries) recorded_.clear();
    recorded_[who] = now;
  }
  if (auto ok = store_.record_last_used(identity.account, identity.credential, now); !ok) {
    report("cannot record the last use of " + who + ": " + ok.error().message);
  }
}

}  // namespace

std::unique_ptr<Authenticator> make_authenticator(AccountStore& store, const TokenValidator* tokens,
                                                  AuthenticatorOptions options) {
  return std::make_unique<StoreAuthenticator>(store, tokens, std::move(options));
}

}  // namespace postern::auth
