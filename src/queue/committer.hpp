#pragma once
// The commit pipeline of the spool (see spool.cpp for why it is safe).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "queue/fd_util.hpp"
#include "queue/spool_options.hpp"

namespace postern::queue::detail {

/// A message on its way to msg/: a complete tmp/ file (message, record, trailer), or an error
/// found before it got that far.
struct Pending {
  UniqueFd fd;
  std::string tmp_name;
  std::string id;
  std::optional<base::Error> error;
  std::function<void(base::Result<std::string>)> done;
};

/// Makes submitted messages durable in two stages:
///   1. sync workers (several, so the disk sees the flushes together and can merge them): each
///      takes one message, fdatasyncs it and renames it into msg/;
///   2. one directory syncer: takes every message renamed since its last round, fsyncs msg/ once
///      for all of them, then calls their `done`.
/// Failures call `done` with the error from whichever stage found it, after removing the file.
///
/// Order of calls: submit() from any thread, any number of times; destruction waits until every
/// submitted message has had its `done` called. The directory descriptors must outlive it.
class Committer {
 public:
  using SyncFn = std::function<int(int fd)>;
  Committer(int tmp_dir_fd, int msg_dir_fd, std::size_t sync_workers, SyncFn sync_file, SyncFn sync_dir);
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  void submit(Pending pending);
  CommitStats stats() const;

 private:
  void sync_worker();
  void directory_syncer();
  void fail(Pending& pending);

  int tmp_dir_fd_;
  int msg_dir_fd_;
  SyncFn sync_file_;
  SyncFn sync_dir_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable renamed_ready_;
  std::deque<Pending> queue_;
  std::vector<Pending> renamed_;
  std::size_t workers_running_ = 0;
  bool stopping_ = false;
  CommitStats stats_;
  std::vector<std::thread> workers_;
  std::thread syncer_;
};

/// renameat2(RENAME_NOREPLACE), or link+unlink where the file system lacks it: never replaces
/// an existing name. 0, or -1 with errno set.
int rename_noreplace(int from_dir, const std::string& from, int to_dir, const std::string& to);

}  // namespace postern::queue::detail
