#include "sasl/registry.hpp"

#include <array>
#include <string>
#include <vector>

#include "base/strings.hpp"
#include "sasl/cram_md5.hpp"
#include "sasl/external.hpp"
#include "sasl/login.hpp"
#include "sasl/oauth.hpp"
#include "sasl/plain.hpp"

namespace postern::sasl {
namespace {

constexpr std::size_t min_fake_salt_secret = 16;

constexpr std::array<MechanismInfo, 10> mechanisms{{
    {"EXTERNAL", Credential::certificate, ScramHash::sha256, false, false, false, true},
    {"SCRAM-SHA-256-PLUS", Credential::scram_verifier, ScramHash::sha256, false, false, true},
    {"SCRAM-SHA-256", Credential::scram_verifier, ScramHash::sha256, false, false, false},
    {"SCRAM-SHA-1-PLUS", Credential::scram_verifier, ScramHash::sha1, false, false, true},
    {"SCRAM-SHA-1", Credential::scram_verifier, ScramHash::sha1, false, false, false},
    {"OAUTHBEARER", Credential::token, ScramHash::sha256, false, true, false},
    {"XOAUTH2", Credential::token, ScramHash::sha256, false, true, false},
    {"CRAM-MD5", Credential::cram_secret, ScramHash::sha256, false, false, false},
    {"PLAIN", Credential::password, ScramHash::sha256, true, false, false},
    {"LOGIN", Credential::password, ScramHash::sha256, true, false, false},
}};

std::unique_ptr<Mechanism> create_scram(const MechanismInfo& info, const Context& context) {
  ScramOptions o;
  o.hash = info.hash;
  o.plus = info.channel_binding;
  o.channel_bindings.assign(context.channel_bindings.begin(), context.channel_bindings.end());
  o.plus_advertised = context.plus_advertised;
  o.server_nonce = make_scram_server_nonce(context.random);
  o.fake_salt_secret = std::string(context.fake_salt_secret);
  o.fake_iterations = context.scram_iterations;
  return make_scram(std::move(o));
}

}  // namespace

std::span<const MechanismInfo> all_mechanisms() { return mechanisms; }

const MechanismInfo* find_mechanism(std::string_view name) {
  for (const auto& m : mechanisms) {
    if (base::iequals(m.name, name)) return &m;
  }
  return nullptr;
}

bool usable(const MechanismInfo& info, const Context& context) {
  if (info.channel_binding && context.channel_bindings.empty()) return false;
  if (info.client_certificate && !context.client_certificate) return false;
  if (info.credential == Credential::scram_verifier && context.fake_salt_secret.size() < min_fake_salt_secret) {
    return false;
  }
  return true;
}

std::unique_ptr<Mechanism> create(std::string_view name, const Context& context) {
  const MechanismInfo* info = find_mechanism(name);
  if (info == nullptr || !usable(*info, context)) return nullptr;
  switch (info->credential) {
    case Credential::scram_verifier:
      return create_scram(*info, context);
    case Credential::token:
      return info->name == "XOAUTH2" ? make_xoauth2() : make_oauthbearer();
    case Credential::cram_secret:
      return make_cram_md5(make_cram_md5_challenge(context.random, context.now, context.hostname));
    case Credential::password:
      return info->name == "LOGIN" ? make_login() : make_plain();
    case Credential::certificate:
      return make_external();
  }
  return nullptr;
}

}  // namespace postern::sasl
