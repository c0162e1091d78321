#pragma once
// Writing a small file (configuration, certificate, key) whole or not at all.

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "base/result.hpp"

namespace postern::base {

/// Writes `content` to `path` so that a crash leaves either the old file or the new one: a
/// temporary file beside it, created with exactly `mode` before any byte is written (a private
/// key is never readable by others, not even for an instant), fsynced, renamed over `path`,
/// and the directory fsynced so the rename itself is durable.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode);

}  // namespace postern::base
