#pragma once
// One spooled message = one file: the message bytes, then the stored record (JSON), then a
// fixed-size trailer that says where the two parts end:
//
//   <message bytes> <record JSON> "\n" "postern-spool-v1" SP <16 hex: message size> SP
//   <8 hex: record size> "\n"
//
// The message comes first so that it can stream to disk while it is received, before the
// envelope is final; the trailer at a fixed distance from the end lets a reader find the record
// with one pread.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "queue/fd_util.hpp"
#include "queue/message_id.hpp"
#include "queue/spool.hpp"

namespace postern::queue::detail {

inline constexpr std::size_t trailer_size = 44;

std::string make_trailer(std::uint64_t message_size, std::uint64_t record_size);

/// A message being received into tmp/<name>. Writes go through a 64 KiB buffer; the first
/// error sticks and is returned by every later call.
///
/// Order of calls: write()... ; then either destruction (the file is unlinked), or finish(),
/// append_raw() with the record and trailer, and release() when the spool takes the file over.
/// The writer must not outlive the spool that made it (it uses the spool's tmp/ descriptor).
class FileWriter final : public Writer {
 public:
  FileWriter(const void* owner, int tmp_dir_fd, std::string name, UniqueFd fd);
  ~FileWriter() override;

  base::Result<void> write(std::string_view bytes) override;
  std::uint64_t size() const override { return size_; }

  /// Flushes the buffer; returns the first error seen so far.
  base::Result<void> finish();
  /// Writes `bytes` straight to the file (after finish()); not counted in size().
  base::Result<void> append_raw(std::string_view bytes);
  std::string message_id() const { return scanner_.message_id(); }
  const std::string& name() const { return name_; }
  const void* owner() const { return owner_; }
  /// The spool takes the file over: the writer no longer closes or unlinks it.
  UniqueFd release() { return std::move(fd_); }

 private:
  static constexpr std::size_t buffer_limit = 64 * 1024;

  base::Result<void> fail_with(base::Error error);

  const void* owner_;
  int tmp_dir_fd_;
  std::string name_;
  UniqueFd fd_;
  std::string buffer_;
  std::uint64_t size_ = 0;
  std::optional<base::Error> error_;
  MessageIdScanner scanner_;
};

/// Why a stored message could not be loaded: gone (delivered or removed meanwhile), or there but
/// unreadable.
struct LoadError {
  bool missing = false;
  std::string message;
};

/// The record of the file `name` in the directory `dir_fd`, checked against the file: the trailer
/// must add up to the file size, the record's id must be `name` and its size the message size.
std::expected<Record, LoadError> load_record(int dir_fd, const std::string& name);

/// The message bytes of the file `name` in `dir_fd`.
std::expected<std::string, LoadError> load_message(int dir_fd, const std::string& name);

}  // namespace postern::queue::detail
