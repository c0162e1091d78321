#include "policy/rate_limit.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "base/time_format.hpp"
#include "policy/auth_throttle.hpp"

namespace postern::policy {

namespace {

void overlay(std::optional<std::uint64_t>& base, const std::optional<std::uint64_t>& over) {
  if (over) base = over;
}

// Whom a message counts against; `limits` nullopt: counted, never refused.
struct Subject {
  std::string name;  // for the reply: "account alice@example.com"
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

bool exempt_address(const RateLimitSettings& settings, const IpAddress& client) {
  static const IpAddress v6_loopback = *IpAddress::parse("::1");
  bool loopback = client.v4 ? client.bytes[12] == 127 : client == v6_loopback;
  if (settings.exempt_loopback && loopback) return true;
  return std::ranges::any_of(settings.exempt_networks, [&](const Cidr& n) { return n.contains(client); });
}

// The subjects in the order they are checked: account, credential, address.
std::vector<Subject> subjects_of(const RateLimiter& limiter, const RateLimitSettings& settings, const Sender& sender) {
  std::vector<Subject> out;
  if (!sender.account.empty()) {
    out.push_back(
        {"account " + sender.account, RateLimiter::account_key(sender.account), limiter.effective(sender.account, "")});
    if (!sender.credential.empty()) {
      out.push_back({"credential " + sender.credential + " of " + sender.account,
                     RateLimiter::credential_key(sender.account, sender.credential),
                     limiter.effective(sender.account, sender.credential)});
    }
  }
  if (!exempt_address(settings, sender.client)) {
    std::string key = limiter.address_key(sender.client);
    out.push_back({"address " + key.substr(2), key, settings.address});
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
        return RateRefusal{s.name, c.label, *limit, c.counters->fits_at(s.key, now, *limit, n)};
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

void RateLimiter::record(const Sender& sender, std::uint64_t recipients, Time now) {
  // Unlimited subjects are counted too: the counts feed the statistics and the anomaly alert.
  for (const Subject& s : subjects_of(*this, settings_, sender)) {
    counters_.messages_hour.add(s.key, now, 1);
    counters_.messages_day.add(s.key, now, 1);
    counters_.recipients_hour.add(s.key, now, recipients);
    counters_.recipients_day.add(s.key, now, recipients);
  }
}

}  // namespace postern::policy
