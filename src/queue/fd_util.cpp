#include "queue/fd_util.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace postern::queue::detail {

base::Error errno_error(std::string_view what, int err) {
  return base::Error{"spool: " + std::string(what) + ": " + std::strerror(err)};
}

base::Result<void> write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_error("write", errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

base::Result<void> pread_exact(int fd, char* out, std::size_t n, off_t offset) {
  while (n > 0) {
    ssize_t got = ::pread(fd, out, n, offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(errno_error("read", errno));
    }
    if (got == 0) return base::fail("spool: file is shorter than its trailer says");
    out += got;
    offset += got;
    n -= static_cast<std::size_t>(got);
  }
  return {};
}

void UniqueFd::reset(int fd) {
  // close(2) may fail with EINTR on Linux after the descriptor is already released: never retry.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace postern::queue::detail
