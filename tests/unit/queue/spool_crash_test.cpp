// A process killed at a random instant must not lose any message whose `done` it had seen, and
// must leave no partial message in the queue.
//
// SIGKILL stops the process but not the kernel, so this shows the protocol keeps its promise
// against a crash of Postern itself; a power cut would need a disk that drops unsynced writes
// (dm-log-writes or similar), which this test cannot get. The fsync ordering that covers that
// case is argued in spool.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <sstream>
#include <thread>

#include "queue/spool.hpp"
#include "queue_test_util.hpp"

namespace postern::queue {
namespace {

using testing::sample_record;
using testing::ScratchDir;

// The message a (round, thread, n) triple commits; its Message-ID names the triple, so any
// message found in the queue can be checked byte for byte, acknowledged or not.
std::string crash_message(const std::string& tag, int n) {
  std::string m = testing::sample_message(tag);
  for (int i = 0; i < (n % 40) * 37; ++i) m += "body line " + std::to_string(i) + " of " + tag + "\r\n";
  return m;
}

std::string tag_of(int round, int thread, int n) {
  return "r" + std::to_string(round) + "-t" + std::to_string(thread) + "-n" + std::to_string(n);
}

[[noreturn]] void run_child(const std::filesystem::path& dir, int round, int out_fd) {
  auto spool = Spool::open(dir);
  if (!spool) ::_exit(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 100'000; ++n) {
        std::string tag = tag_of(round, t, n);
        auto id = testing::commit_and_wait(**spool, crash_message(tag, n), sample_record(), 512);
        if (!id) ::_exit(3);
        // One write(2) of less than PIPE_BUF bytes: lines from threads never interleave.
        std::string line = *id + " " + tag + "\n";
        if (::write(out_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) ::_exit(4);
      }
    });
  }
  for (auto& t : threads) t.join();
  ::_exit(0);
}

TEST(SpoolCrash, EveryAcknowledgedMessageSurvivesSigkillAtARandomInstant) {
  ScratchDir scratch;
  std::random_device seed;
  std::mt19937 rng(seed());
  std::size_t acknowledged_total = 0;
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(scratch.spool(), round, fds[1]);
    }
    ::close(fds[1]);
    // The kill comes at a random instant after the first acknowledgement, so that every round
    // has something to lose.
    std::string printed;
    char buf[4096];
    for (ssize_t n; printed.find('\n') == std::string::npos && (n = ::read(fds[0], buf, sizeof buf)) > 0;)
      printed.append(buf, static_cast<std::size_t>(n));
    auto delay = std::chrono::microseconds{std::uniform_int_distribution<int>(0, 300'000)(rng)};
    std::this_thread::sleep_for(delay);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child ended by itself with " << WEXITSTATUS(status);
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) printed.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);

    auto spool = Spool::open(scratch.spool());
    ASSERT_TRUE(spool) << spool.error().message;
    EXPECT_TRUE((*spool)->recovery().recovered);
    std::istringstream lines(printed);
    std::string id, tag;
    std::size_t acknowledged = 0;
    while (lines >> id >> tag) {
      ++acknowledged;
      auto record = (*spool)->find(id);
      ASSERT_TRUE(record) << "round " << round << " lost " << id << " (" << tag << "): " << record.error().message;
      EXPECT_EQ(record->message_id, "<" + tag + "@example.org>");
      int n = std::stoi(tag.substr(tag.rfind('n') + 1));
      EXPECT_EQ((*spool)->read_message(id).value(), crash_message(tag, n)) << id;
    }
    EXPECT_GT(acknowledged, 0u) << "round " << round;
    acknowledged_total += acknowledged;
    // Every message in the queue, acknowledged or caught between rename and fsync, is whole.
    auto listed = (*spool)->list();
    ASSERT_TRUE(listed);
    EXPECT_GE(listed->size(), acknowledged_total);
    EXPECT_EQ((*spool)->recovery().corrupt, 0u);
    EXPECT_EQ(listed->size(), (*spool)->recovery().committed);
    for (const auto& r : *listed) {
      std::string t = r.message_id.substr(1, r.message_id.find('@') - 1);
      int n = std::stoi(t.substr(t.rfind('n') + 1));
      EXPECT_EQ((*spool)->read_message(r.id).value(), crash_message(t, n)) << r.id;
    }
  }
  ::testing::Test::RecordProperty("acknowledged", static_cast<int>(acknowledged_total));
}

}  // namespace
}  // namespace postern::queue
