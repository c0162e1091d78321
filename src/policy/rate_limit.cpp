#include "policy/rate_limit.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "base/time_format.hpp"
#include "policy/access.hpp"
#include "policy/auth_throttle.hpp"

namespace postern::policy {

namespace {

void overlay(std::optional<std::uint64_t>& base, const std::optional<std::uint64_t>& over) {
  if (over) base = over;
}

// Whom a message counts against; `limits` nullopt: counted, never refused.
struct Subject {
  const char* scope;  // "account", "credential", "address"
  std::string name;   // for the reply: "account alice@example.com"
  std::string key;   // in the counters: "a:alice@example.com"
  std::optional<SendLimits> limits;
};

// One limit of one kind over one window.
struct Check {
  std::optional<std::uint64_t> SendLimits::*limit;
  Counters* counters;
  const char* label;
};

}  // namespace

std::string RateRefusal::text() const {
  std::string_view kind = limit.starts_with("message") ? "Message" : "Recipient";
  return std::string(kind) + " rate limit exceeded: " + std::to_string(value) + " " + limit + " for " + subject +
         "; try again after " +
         // Rounded up, so that it never names a moment that is still too early.
         base::format_rfc3339(std::chrono::ceil<std::chrono::seconds>(resets));
}

RateLimiter::RateLimiter(RateLimitSettings settings, RateCounters counters, const LimitOverrides& overrides)
    : settings_(std::move(settings)), counters_(counters), overrides_(overrides) {}

std::string RateLimiter::subject_name(std::string_view key) {
  auto rest = std::string(key.substr(std::min<std::size_t>(2, key.size())));
  if (key.starts_with("a:")) return "account " + rest;
  if (key.starts_with("c:")) {
    // The credential name has no '/', so the last one separates it from the account.
    auto slash = rest.rfind('/');
    return "credential " + rest.substr(slash + 1) + " of " + rest.substr(0, slash);
  }
  if (key.starts_with("i:")) return "address " + rest;
  return std::string(key);
}

std::string RateLimiter::account_key(std::string_view account) { return "a:" + std::string(account); }

std::string RateLimiter::credential_key(std::string_view account, std::string_view credential) {
  return "c:" + std::string(account) + "/" + std::string(credential);
}

std::string RateLimiter::address_key(const IpAddress& client) const {
  // The same grouping as the brute-force throttle: IPv4 per address, IPv6 per /64.
  static const ThrottleSettings grouping;
  return "i:" + policy::address_key(client, grouping);
}

std::optional<SendLimits> RateLimiter::effective(std::string_view account, std::string_view credential) const {
  SendLimits limits = credential.empty() ? settings_.account : settings_.credential;
  auto o = overrides_.find(account, credential);
  if (!o) return limits;
  if (o->unlimited) return std::nullopt;
  overlay(limits.messages_per_hour, o->limits.messages_per_hour);
  overlay(limits.messages_per_day, o->limits.messages_per_day);
  overlay(limits.recipients_per_hour, o->limits.recipients_per_hour);
  overlay(limits.recipients_per_day, o->limits.recipients_per_day);
  return limits;
}

namespace {

// The subjects in the order they are checked: account, credential, address.
std::vector<Subject> subjects_of(const RateLimiter& limiter, const RateLimitSettings& settings, const Sender& sender) {
  std::vector<Subject> out;
  if (!sender.account.empty()) {
    auto key = RateLimiter::account_key(sender.account);
    out.push_back({"account", RateLimiter::subject_name(key), key, limiter.effective(sender.account, "")});
    if (!sender.credential.empty()) {
      key = RateLimiter::credential_key(sender.account, sender.credential);
      out.push_back({"credential", RateLimiter::subject_name(key), key,
                     limiter.effective(sender.account, sender.credential)});
    }
  }
  if (!exempt_address(sender.client, settings.exempt_loopback, settings.exempt_networks)) {
    auto key = limiter.address_key(sender.client);
    out.push_back({"address", RateLimiter::subject_name(key), key, settings.address});
  }
  return out;
}

// The first limit that `n` more events would exceed: subjects in order, and for each the hour
// before the day. Not the one that resets last: the reply names one limit, and the first is
// the one an operator expects to read about.
std::optional<RateRefusal> first_exceeded(const std::vector<Subject>& subjects, const Check (&checks)[2],
                                          std::uint64_t n, Time now) {
  for (const Subject& s : subjects) {
    if (!s.limits) continue;
    for (const Check& c : checks) {
      const auto& limit = (*s.limits).*(c.limit);
      if (!limit) continue;
      if (c.counters->sum(s.key, now) + n > *limit) {
        return RateRefusal{s.name, c.label, *limit, c.counters->fits_at(s.key, now, *limit, n), s.scope};
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<RateRefusal> RateLimiter::check_message(const Sender& sender, Time now) const {
  const Check checks[2] = {{&SendLimits::messages_per_hour, &counters_.messages_hour, "messages per hour"},
                           {&SendLimits::messages_per_day, &counters_.messages_day, "messages per day"}};
  return first_exceeded(subjects_of(*this, settings_, sender), checks, 1, now);
}

std::optional<RateRefusal> RateLimiter::check_recipients(const Sender& sender, std::uint64_t recipients,
                                                         Time now) const {
  const Check checks[2] = {{&SendLimits::recipients_per_hour, &counters_.recipients_hour, "recipients per hour"},
                           {&SendLimits::recipients_per_day, &counters_.recipients_day, "recipients per day"}};
  return first_exceeded(subjects_of(*this, settings_, sender), checks, recipients, now);
}

std::vector<std::string> RateLimiter::record(const Sender& sender, std::uint64_t recipients, Time now) {
  // Unlimited subjects are counted too: the counts feed the statistics and the anomaly alert.
  std::vector<std::string> keys;
  for (Subject& s : subjects_of(*this, settings_, sender)) {
    counters_.messages_hour.add(s.key, now, 1);
    counters_.messages_day.add(s.key, now, 1);
    counters_.recipients_hour.add(s.key, now, recipients);
    counters_.recipients_day.add(s.key, now, recipients);
    keys.push_back(std::move(s.key));
  }
  return keys;
}

}  // namespace postern::policy
