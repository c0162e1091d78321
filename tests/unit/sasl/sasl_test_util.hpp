#pragma once
// Helpers for the SASL tests: look inside a Step, and run an exchange to a given point.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sasl/mechanism.hpp"

namespace postern::sasl::test {

inline const Challenge* as_challenge(const Step& s) { return std::get_if<Challenge>(&s); }
inline const Success* as_success(const Step& s) { return std::get_if<Success>(&s); }
inline const Failure* as_failure(const Step& s) { return std::get_if<Failure>(&s); }

template <class R>
const R* as_request(const Step& s) {
  const auto* r = std::get_if<Request>(&s);
  return r == nullptr ? nullptr : std::get_if<R>(r);
}

/// The failure reason, or nullopt when the step is not a Failure.
inline std::optional<FailureReason> reason_of(const Step& s) {
  const auto* f = as_failure(s);
  return f == nullptr ? std::nullopt : std::optional<FailureReason>(f->reason);
}

/// gtest-printable text of a Step, for failure messages.
inline std::string show(const Step& s) { return describe(s); }

/// A string from bytes that may contain NUL.
inline std::string bytes(std::string_view s) { return std::string(s); }

}  // namespace postern::sasl::test
