// Failures on the way to the disk: each must reach `done` as an error and leave no file behind,
// and a failure of one message must not fail the others of its batch.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "queue/spool.hpp"
#include "queue/spool_options.hpp"
#include "queue_test_util.hpp"

namespace postern::queue {
namespace {

namespace fs = std::filesystem;
using testing::commit_and_wait;
using testing::names_in;
using testing::sample_message;
using testing::sample_record;
using testing::ScratchDir;

/// Holds the first caller of pass() until open(); later callers go straight through.
class Gate {
 public:
  void pass() {
    std::unique_lock lock(m_);
    if (++arrived_ > 1) return;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void wait_arrived() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return arrived_ > 0; });
  }
  void open() {
    std::lock_guard lock(m_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int arrived_ = 0;
  bool open_ = false;
};

/// Collects the results of asynchronous commits.
class Results {
 public:
  std::function<void(base::Result<std::string>)> slot(std::size_t i) {
    std::lock_guard lock(m_);
    if (results_.size() <= i) results_.resize(i + 1);
    return [this, i](base::Result<std::string> r) {
      std::lock_guard lock(m_);
      results_[i] = std::move(r);
      ++count_;
      cv_.notify_all();
    };
  }
  std::size_t count() {
    std::lock_guard lock(m_);
    return count_;
  }
  std::vector<std::optional<base::Result<std::string>>> wait(std::size_t n) {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return count_ >= n; });
    return results_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::optional<base::Result<std::string>>> results_;
  std::size_t count_ = 0;
};

// Waits (at most 10 s) until `dir` holds `n` entries.
bool wait_for_entries(const fs::path& dir, std::size_t n) {
  for (int i = 0; i < 1000; ++i) {
    if (names_in(dir).size() == n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return false;
}

void commit_async(Spool& spool, const std::string& message, std::function<void(base::Result<std::string>)> done) {
  auto writer = spool.begin();
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write(message));
  spool.commit(std::move(*writer), sample_record(), std::move(done));
}

TEST(GroupCommit, CommitsQueuedMeanwhileShareOneDirectoryFsync) {
  ScratchDir scratch;
  Gate gate;
  std::atomic<int> dir_syncs{0};
  SpoolOptions options;
  options.sync_dir = [&](int fd) {
    gate.pass();
    ++dir_syncs;
    return ::fsync(fd);
  };
  auto spool = open_spool(scratch.spool(), std::move(options));
  ASSERT_TRUE(spool);
  Results results;
  commit_async(**spool, sample_message("first"), results.slot(0));
  gate.wait_arrived();  // the directory syncer is inside the first batch's fsync
  for (std::size_t i = 1; i <= 5; ++i) commit_async(**spool, sample_message("m" + std::to_string(i)), results.slot(i));
  // All five are synced and renamed (visible, not yet acknowledged) while the syncer waits.
  ASSERT_TRUE(wait_for_entries(scratch.spool() / "msg", 6));
  EXPECT_EQ(results.count(), 0u) << "acknowledged before the directory fsync";
  gate.open();
  auto all = results.wait(6);
  for (auto& r : all) ASSERT_TRUE(r && *r) << (r ? r->error().message : "missing");
  EXPECT_EQ(dir_syncs.load(), 2);
  auto stats = commit_stats(**spool);
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.largest_batch, 5u);
  EXPECT_EQ(stats.committed, 6u);
  EXPECT_EQ((*spool)->list()->size(), 6u);
}

TEST(GroupCommit, AFailedFileSyncFailsOnlyThatMessage) {
  ScratchDir scratch;
  Gate gate;
  SpoolOptions options;
  options.sync_dir = [&](int fd) {
    gate.pass();
    return ::fsync(fd);
  };
  // The disk "fails" for the message whose subject is FAIL.
  options.sync_file = [](int fd) {
    // The spool's descriptor is write-only; read the same file through /proc.
    int rd = ::open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC);
    char head[128];
    ssize_t n = rd < 0 ? -1 : ::pread(rd, head, sizeof head, 0);
    if (rd >= 0) ::close(rd);
    if (n > 0 && std::string_view(head, static_cast<std::size_t>(n)).find("Subject: FAIL") != std::string_view::npos) {
      errno = EIO;
      return -1;
    }
    return ::fdatasync(fd);
  };
  auto spool = open_spool(scratch.spool(), std::move(options));
  ASSERT_TRUE(spool);
  Results results;
  commit_async(**spool, sample_message("first"), results.slot(0));
  gate.wait_arrived();
  commit_async(**spool, sample_message("ok-1"), results.slot(1));
  commit_async(**spool, sample_message("FAIL"), results.slot(2));
  commit_async(**spool, sample_message("ok-3"), results.slot(3));
  ASSERT_TRUE(wait_for_entries(scratch.spool() / "msg", 3));
  gate.open();
  auto all = results.wait(4);
  ASSERT_TRUE(all[2] && !*all[2]);
  EXPECT_NE(all[2]->error().message.find("fdatasync"), std::string::npos) << all[2]->error().message;
  for (std::size_t i : {0u, 1u, 3u}) ASSERT_TRUE(all[i] && *all[i]) << i;
  EXPECT_EQ(commit_stats(**spool).largest_batch, 2u);
  auto listed = (*spool)->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3u);
  for (const auto& r : *listed) EXPECT_NE(r.message_id, "<FAIL@example.org>");
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
}

TEST(GroupCommit, AFailedDirectoryFsyncFailsTheWholeBatch) {
  ScratchDir scratch;
  SpoolOptions options;
  options.sync_dir = [](int) {
    errno = EIO;
    return -1;
  };
  auto spool = open_spool(scratch.spool(), std::move(options));
  ASSERT_TRUE(spool);
  Results results;
  for (std::size_t i = 0; i < 4; ++i) commit_async(**spool, sample_message(std::to_string(i)), results.slot(i));
  for (auto& r : results.wait(4)) {
    ASSERT_TRUE(r && !*r);
    EXPECT_NE(r->error().message.find("fsync msg/"), std::string::npos) << r->error().message;
  }
  // Not durable, so not accepted: nothing may stay to be delivered.
  EXPECT_TRUE(names_in(scratch.spool() / "msg").empty());
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
  EXPECT_EQ(commit_stats(**spool).failed, 4u);
}

TEST(SpoolFailure, RenameIntoAMissingDirectoryIsAnError) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  fs::remove(scratch.spool() / "msg");
  auto id = commit_and_wait(**spool, sample_message(), sample_record());
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find("rename"), std::string::npos) << id.error().message;
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
}

// Points the descriptor of the spool's only tmp/ file at /dev/full: every write(2) on it now
// fails with ENOSPC, as on a full disk.
void fill_the_disk_under(const fs::path& tmp_dir) {
  auto names = names_in(tmp_dir);
  ASSERT_EQ(names.size(), 1u);
  std::string target = (tmp_dir / names[0]).string();
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto link = fs::read_symlink(e.path(), ec);
    if (ec || link.string() != target) continue;
    int fd = std::stoi(e.path().filename().string());
    int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(full, 0);
    ASSERT_EQ(::dup2(full, fd), fd);
    ::close(full);
    return;
  }
  FAIL() << "no descriptor open on " << target;
}

TEST(SpoolFailure, FullDiskWhileBufferedIsReportedAtCommit) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  auto writer = (*spool)->begin();
  ASSERT_TRUE(writer);
  fill_the_disk_under(scratch.spool() / "tmp");
  EXPECT_TRUE((*writer)->write(sample_message()));  // buffered: nothing reached the disk yet
  std::promise<base::Result<std::string>> result;
  (*spool)->commit(std::move(*writer), sample_record(), [&](base::Result<std::string> r) { result.set_value(r); });
  auto id = result.get_future().get();
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find("No space left on device"), std::string::npos) << id.error().message;
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
  EXPECT_TRUE(names_in(scratch.spool() / "msg").empty());
}

TEST(SpoolFailure, FullDiskIsReportedByWriteAndAgainByCommit) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  auto writer = (*spool)->begin();
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write(sample_message()));
  fill_the_disk_under(scratch.spool() / "tmp");
  auto w = (*writer)->write(std::string(200'000, 'x'));  // past the buffer: write(2) now
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("No space left on device"), std::string::npos) << w.error().message;
  EXPECT_FALSE((*writer)->write("more"));  // the first error sticks
  std::promise<base::Result<std::string>> result;
  (*spool)->commit(std::move(*writer), sample_record(), [&](base::Result<std::string> r) { result.set_value(r); });
  auto id = result.get_future().get();
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().message, w.error().message);
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
}

// In a child process (the limit must not touch the test runner): files may not grow past 4 KiB,
// so write(2) fails with EFBIG, once in the message and once in the record after it.
int commit_under_file_size_limit(const fs::path& dir, std::size_t message_size) {
  ::signal(SIGXFSZ, SIG_IGN);
  rlimit limit{};
  ::getrlimit(RLIMIT_FSIZE, &limit);
  limit.rlim_cur = 4096;
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return 10;
  auto spool = Spool::open(dir);
  if (!spool) return 11;
  std::string message = sample_message();
  message.resize(message_size, 'x');
  auto id = commit_and_wait(**spool, message, sample_record(), 1000);
  if (id) return 12;
  if (id.error().message.find("File too large") == std::string::npos) return 13;
  if (!names_in(dir / "tmp").empty() || !names_in(dir / "msg").empty()) return 14;
  return 0;
}

TEST(SpoolFailure, FileSizeLimitInTheMessageOrTheRecordIsReportedAtCommit) {
  for (std::size_t message_size : {16'000u, 4'000u}) {
    ScratchDir scratch;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) ::_exit(commit_under_file_size_limit(scratch.spool(), message_size));
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "message of " << message_size << " bytes";
  }
}

}  // namespace
}  // namespace postern::queue
