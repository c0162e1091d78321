#include "queue/spool_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

#include "queue/record_codec.hpp"

namespace postern::queue::detail {

namespace {

constexpr std::string_view trailer_magic = "\npostern-spool-v1 ";

struct Layout {
  std::uint64_t message_size = 0;
  std::uint64_t record_size = 0;
};

template <class T>
std::unexpected<LoadError> corrupt(T&& message) {
  return std::unexpected(LoadError{false, std::forward<T>(message)});
}

bool parse_hex(std::string_view s, std::uint64_t& out) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc{} && end == s.data() + s.size();
}

std::expected<UniqueFd, LoadError> open_stored(int dir_fd, const std::string& name) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int err = errno;
    return std::unexpected(LoadError{err == ENOENT, errno_error("open " + name, err).message});
  }
  return UniqueFd(fd);
}

std::expected<Layout, LoadError> read_layout(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return corrupt(errno_error("fstat", errno).message);
  if (!S_ISREG(st.st_mode)) return corrupt("spool: not a regular file");
  auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (file_size < trailer_size) return corrupt("spool: file too short for a trailer");
  char t[trailer_size];
  if (auto r = pread_exact(fd, t, trailer_size, static_cast<off_t>(file_size - trailer_size)); !r)
    return corrupt(r.error().message);
  std::string_view trailer(t, trailer_size);
  // "\npostern-spool-v1 " (18) + 16 hex + " " + 8 hex + "\n" = 44
  Layout layout;
  if (!trailer.starts_with(trailer_magic) || trailer[34] != ' ' || trailer[43] != '\n' ||
      !parse_hex(trailer.substr(18, 16), layout.message_size) || !parse_hex(trailer.substr(35, 8), layout.record_size))
    return corrupt("spool: bad trailer");
  if (layout.message_size > file_size || layout.record_size > file_size ||
      layout.message_size + layout.record_size + trailer_size != file_size)
    return corrupt("spool: trailer does not match the file size");
  return layout;
}

}  // namespace

std::string make_trailer(std::uint64_t message_size, std::uint64_t record_size) {
  char buf[trailer_size + 1];
  std::snprintf(buf, sizeof buf, "%.*s%016llx %08llx\n", static_cast<int>(trailer_magic.size()), trailer_magic.data(),
                static_cast<unsigned long long>(message_size), static_cast<unsigned long long>(record_size));
  return std::string(buf, trailer_size);
}

FileWriter::FileWriter(const void* owner, int tmp_dir_fd, std::string name, UniqueFd fd)
    : owner_(owner), tmp_dir_fd_(tmp_dir_fd), name_(std::move(name)), fd_(std::move(fd)) {
  buffer_.reserve(buffer_limit);
}

FileWriter::~FileWriter() {
  if (fd_) {
    fd_.reset();
    ::unlinkat(tmp_dir_fd_, name_.c_str(), 0);
  }
}

base::Result<void> FileWriter::fail_with(base::Error error) {
  if (!error_) error_ = std::move(error);
  return std::unexpected(*error_);
}

base::Result<void> FileWriter::write(std::string_view bytes) {
  if (error_) return std::unexpected(*error_);
  if (!fd_) return fail_with(base::Error{"spool: write after the message was committed"});
  scanner_.feed(bytes);
  size_ += bytes.size();
  if (buffer_.size() + bytes.size() <= buffer_limit) {
    buffer_.append(bytes);
    return {};
  }
  if (auto r = write_all(fd_.get(), buffer_); !r) return fail_with(r.error());
  buffer_.clear();
  // A large write goes straight through rather than being copied into the buffer first.
  if (bytes.size() >= buffer_limit) {
    if (auto r = write_all(fd_.get(), bytes); !r) return fail_with(r.error());
  } else {
    buffer_.append(bytes);
  }
  return {};
}

base::Result<void> FileWriter::finish() {
  if (error_) return std::unexpected(*error_);
  if (!fd_) return fail_with(base::Error{"spool: message already committed"});
  if (auto r = write_all(fd_.get(), buffer_); !r) return fail_with(r.error());
  buffer_.clear();
  return {};
}

base::Result<void> FileWriter::append_raw(std::string_view bytes) {
  if (error_) return std::unexpected(*error_);
  if (auto r = write_all(fd_.get(), bytes); !r) return fail_with(r.error());
  return {};
}

std::expected<Record, LoadError> load_record(int dir_fd, const std::string& name) {
  auto fd = open_stored(dir_fd, name);
  if (!fd) return std::unexpected(fd.error());
  auto layout = read_layout(fd->get());
  if (!layout) return std::unexpected(layout.error());
  std::string json(layout->record_size, '\0');
  if (auto r = pread_exact(fd->get(), json.data(), json.size(), static_cast<off_t>(layout->message_size)); !r)
    return corrupt(r.error().message);
  auto record = decode_stored_record(json);
  if (!record) return corrupt(record.error().message);
  if (record->id != name) return corrupt("spool: record id " + record->id + " does not match the file name");
  if (record->size != layout->message_size) return corrupt("spool: record size does not match the message");
  return std::move(*record);
}

std::expected<std::string, LoadError> load_message(int dir_fd, const std::string& name) {
  auto fd = open_stored(dir_fd, name);
  if (!fd) return std::unexpected(fd.error());
  auto layout = read_layout(fd->get());
  if (!layout) return std::unexpected(layout.error());
  std::string message(layout->message_size, '\0');
  if (auto r = pread_exact(fd->get(), message.data(), message.size(), 0); !r) return corrupt(r.error().message);
  return message;
}

}  // namespace postern::queue::detail
