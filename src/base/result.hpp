#pragma once
// Errors the network, the disk or a backend can cause are values, never exceptions (STYLE §10).

#include <expected>
#include <string>
#include <utility>

namespace postern::base {

/// A failure with a human-readable message, e.g. "spool: fsync failed: No space left on device".
struct Error {
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message) {
  return std::unexpected<Error>(Error{std::move(message)});
}

}  // namespace postern::base
