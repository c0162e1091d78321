#pragma once
// Runs the configured listeners until SIGTERM/SIGINT; SIGHUP reloads TLS certificates.

#include "config/config.hpp"

namespace postern::server {

/// Opens the spool and account store under config.data_dir, binds every listener, and serves.
/// Returns the process exit code: 0 after a clean shutdown, non-zero (with a message on stderr)
/// when start-up fails.
int run(const config::Config& config);

}  // namespace postern::server
