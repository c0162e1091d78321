#pragma once
// Process-wide logging to standard error (systemd's journal picks it up). Structured JSON events
// per authentication and per message come with the accountability work; until then one line each.

#include <string_view>

#include "base/result.hpp"

namespace postern::observe {

/// Sets up the default logger: stderr, "<time> <level> <message>", at `level`
/// (trace, debug, info, warn, error). Fails on an unknown level.
base::Result<void> setup_logging(std::string_view level);

}  // namespace postern::observe
