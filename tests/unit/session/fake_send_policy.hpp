#pragma once
// A SendPolicy for session dialogs: refuses what it is told to and records every question.

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "session/session.hpp"

namespace postern::session::test {

class FakeSendPolicy final : public SendPolicy {
 public:
  struct Call {
    bool message = false;  ///< refuse_message (else refuse_recipient)
    std::string client;
    std::optional<std::string> account;  ///< the identity's, when one was given
    std::size_t recipients = 0;
    std::chrono::system_clock::time_point now;
  };

  std::optional<std::string> refuse_message(const ClientInfo& client, const AuthInfo* identity,
                                            std::chrono::system_clock::time_point now) const override {
    calls.push_back(Call{true, client.address, account_of(identity), 0, now});
    return message_refusal;
  }

  std::optional<std::string> refuse_recipient(const ClientInfo& client, const AuthInfo* identity,
                                              std::size_t recipients,
                                              std::chrono::system_clock::time_point now) const override {
    calls.push_back(Call{false, client.address, account_of(identity), recipients, now});
    if (recipients > max_recipients) return recipient_refusal;
    return std::nullopt;
  }

  /// Set: every MAIL is refused with this text.
  std::optional<std::string> message_refusal;
  /// A recipient beyond this many in one transaction is refused with `recipient_refusal`.
  std::size_t max_recipients = std::numeric_limits<std::size_t>::max();
  std::string recipient_refusal = "Too many recipients this hour";
  mutable std::vector<Call> calls;

 private:
  static std::optional<std::string> account_of(const AuthInfo* identity) {
    if (identity == nullptr) return std::nullopt;
    return identity->account;
  }
};

}  // namespace postern::session::test
