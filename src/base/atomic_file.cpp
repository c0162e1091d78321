#include "base/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace postern::base {

namespace {

std::unexpected<Error> errno_fail(std::string_view what, const std::filesystem::path& path, int err) {
  return fail(std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

bool write_all(int fd, std::string_view content) {
  for (std::size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

Result<void> fsync_directory_of(const std::filesystem::path& path) {
  auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_fail("cannot open", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_fail("cannot fsync", dir, err);
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  // A leftover from an interrupted run may carry another mode; O_EXCL then guarantees ours.
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return errno_fail("cannot create", tmp, errno);
  // The umask may have narrowed the mode asked for at open().
  bool ok = ::fchmod(fd, mode) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return errno_fail("cannot write", path, err);
  }
  return fsync_directory_of(path);
}

}  // namespace postern::base
