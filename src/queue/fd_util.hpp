#pragma once
// Small POSIX file helpers for the spool: errors as values, EINTR and short writes handled.

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.hpp"

namespace postern::queue::detail {

/// "spool: <what>: <strerror(err)>".
base::Error errno_error(std::string_view what, int err);

/// Writes all of `bytes`, retrying short writes and EINTR.
base::Result<void> write_all(int fd, std::string_view bytes);

/// Reads exactly `n` bytes at `offset`; a file shorter than that is an error.
base::Result<void> pread_exact(int fd, char* out, std::size_t n, off_t offset);

/// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace postern::queue::detail
