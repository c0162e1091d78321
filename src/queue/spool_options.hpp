#pragma once
// Knobs of the spool that the server does not need: the number of committer threads, and the
// clock, randomness and sync calls, which tests and the benchmark replace (STYLE §9).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "base/clock.hpp"
#include "base/random.hpp"
#include "base/result.hpp"
#include "queue/spool.hpp"

namespace postern::queue {

/// How Spool::open is configured; every null member means the real thing.
struct SpoolOptions {
  /// Threads that fdatasync and rename in parallel (committer.hpp). One alone caps the spool at
  /// one fdatasync at a time (~500-800 messages/s on the development VM); 4-16 reach what the
  /// disk does for bare create+write+fdatasync (bench/spool_commit.cpp). They sleep in the
  /// kernel, so a few more than needed cost nothing.
  std::size_t sync_workers = 8;
  const base::Clock* clock = nullptr;    ///< stamps queue ids; must outlive the spool
  base::Random* random = nullptr;        ///< names and ids; called under a lock; must outlive the spool
  std::function<int(int fd)> sync_file;  ///< fdatasync(2): 0, or -1 with errno set
  std::function<int(int fd)> sync_dir;   ///< fsync(2) of msg/: 0, or -1 with errno set
};

/// What the committers have done so far.
struct CommitStats {
  std::uint64_t batches = 0;        ///< directory fsyncs
  std::uint64_t committed = 0;      ///< messages made durable
  std::uint64_t failed = 0;         ///< commits answered with an error
  std::uint64_t largest_batch = 0;  ///< most messages sharing one directory fsync
};

base::Result<std::unique_ptr<Spool>> open_spool(const std::filesystem::path& dir, SpoolOptions options);

/// The counters of a spool made by open_spool or Spool::open (zero for any other Spool).
CommitStats commit_stats(const Spool& spool);

}  // namespace postern::queue
