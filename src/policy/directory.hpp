#pragma once
// Which local addresses exist. Stores answer found / not found / temporary failure (STYLE §6).

#include <string_view>

namespace postern::policy {

enum class Lookup { found, not_found, temporary_failure };

/// Answers whether a local mailbox exists (an account address or an alias). Implemented by the
/// account store; tests use a fake. Called on an I/O thread, so it must be quick.
class Directory {
 public:
  virtual ~Directory() = default;
  /// `local` as received (case preserved); `domain` lower-case.
  virtual Lookup find_mailbox(std::string_view local, std::string_view domain) const = 0;
};

}  // namespace postern::policy
