#include "queue/committer.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>

namespace postern::queue::detail {

int rename_noreplace(int from_dir, const std::string& from, int to_dir, const std::string& to) {
  // RENAME_NOREPLACE keeps an (astronomically unlikely) id collision from replacing a queued
  // message. Without it, link(2) refuses an existing name too; a crash between link and unlink
  // leaves a second name in tmp/, which recovery removes.
  if (::renameat2(from_dir, from.c_str(), to_dir, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (::linkat(from_dir, from.c_str(), to_dir, to.c_str(), 0) != 0) return -1;
  ::unlinkat(from_dir, from.c_str(), 0);
  return 0;
}

Committer::Committer(int tmp_dir_fd, int msg_dir_fd, std::size_t sync_workers, SyncFn sync_file, SyncFn sync_dir)
    : tmp_dir_fd_(tmp_dir_fd),
      msg_dir_fd_(msg_dir_fd),
      sync_file_(std::move(sync_file)),
      sync_dir_(std::move(sync_dir)) {
  workers_running_ = std::max<std::size_t>(1, sync_workers);
  for (std::size_t i = 0; i < workers_running_; ++i) workers_.emplace_back([this] { sync_worker(); });
  syncer_ = std::thread([this] { directory_syncer(); });
}

Committer::~Committer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  // Workers drain the queue, then the syncer drains what they renamed: every `done` runs once.
  for (auto& w : workers_) w.join();
  syncer_.join();
}

void Committer::submit(Pending pending) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(pending));
  }
  work_ready_.notify_one();
}

CommitStats Committer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Committer::fail(Pending& p) {
  p.fd.reset();
  if (!p.tmp_name.empty()) ::unlinkat(tmp_dir_fd_, p.tmp_name.c_str(), 0);
  {
    std::lock_guard lock(mutex_);
    ++stats_.failed;
  }
  p.done(std::unexpected(*p.error));
}

void Committer::sync_worker() {
  for (;;) {
    Pending p;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        if (--workers_running_ == 0) renamed_ready_.notify_all();
        return;
      }
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!p.error) {
      // Data, record and file size reach the disk before the name can appear in msg/.
      if (sync_file_(p.fd.get()) != 0)
        p.error = errno_error("fdatasync", errno);
      else if (rename_noreplace(tmp_dir_fd_, p.tmp_name, msg_dir_fd_, p.id) != 0)
        p.error = errno_error("rename into msg/", errno);
    }
    if (p.error) {
      fail(p);
      continue;
    }
    p.fd.reset();
    {
      std::lock_guard lock(mutex_);
      renamed_.push_back(std::move(p));
    }
    renamed_ready_.notify_one();
  }
}

void Committer::directory_syncer() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      renamed_ready_.wait(lock, [&] { return !renamed_.empty() || workers_running_ == 0; });
      if (renamed_.empty()) return;  // the workers are gone and nothing is left
      batch.swap(renamed_);
    }
    // One fsync of msg/ makes every rename of the batch durable: this is the group commit.
    std::optional<base::Error> error;
    if (sync_dir_(msg_dir_fd_) != 0) error = errno_error("fsync msg/", errno);
    if (error) {
      // Not durable, so not accepted: take the messages back out (see spool.cpp).
      for (auto& p : batch) ::unlinkat(msg_dir_fd_, p.id.c_str(), 0);
    }
    {
      std::lock_guard lock(mutex_);
      ++stats_.batches;
      (error ? stats_.failed : stats_.committed) += batch.size();
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
    }
    for (auto& p : batch) {
      if (error)
        p.done(std::unexpected(*error));
      else
        p.done(p.id);
    }
    batch.clear();
  }
}

}  // namespace postern::queue::detail
