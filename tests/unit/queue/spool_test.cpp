#include "queue/spool.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <thread>

#include "fakes.hpp"
#include "queue/queue_id.hpp"
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

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(Spool, CommitThenFindListRead) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool) << spool.error().message;
  std::string message = sample_message("round-trip");

  auto id = commit_and_wait(**spool, message, sample_record());
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_TRUE(is_valid_queue_id(*id)) << *id;

  auto found = (*spool)->find(*id);
  ASSERT_TRUE(found) << found.error().message;
  Record expected = sample_record();
  EXPECT_EQ(found->id, *id);
  EXPECT_EQ(found->size, message.size());
  EXPECT_EQ(found->message_id, "<round-trip@example.org>");
  EXPECT_EQ(found->received, expected.received);
  EXPECT_EQ(found->sender, expected.sender);
  EXPECT_EQ(found->recipients, expected.recipients);
  EXPECT_EQ(found->auth_account, expected.auth_account);
  EXPECT_EQ(found->auth_credential, expected.auth_credential);
  EXPECT_EQ(found->tls_cipher, expected.tls_cipher);
  EXPECT_EQ(found->client_port, expected.client_port);

  auto bytes = (*spool)->read_message(*id);
  ASSERT_TRUE(bytes) << bytes.error().message;
  EXPECT_EQ(*bytes, message);

  auto all = (*spool)->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, *id);
  EXPECT_EQ(to_json((*all)[0]), to_json(*found));

  EXPECT_EQ(names_in(scratch.spool() / "msg"), std::vector<std::string>{*id});
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
  EXPECT_EQ(mode_of(scratch.spool() / "msg" / *id), 0600u);
  for (const char* dir : {"", "tmp", "msg", "corrupt"}) EXPECT_EQ(mode_of(scratch.spool() / dir), 0700u) << dir;
}

TEST(Spool, LargeMessageInUnevenPiecesIsStoredByteForByte) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  std::string message = sample_message("large");
  for (int i = 0; message.size() < 3'000'000; ++i) message += "line " + std::to_string(i) + " \x01\xff\r\n";
  // Pieces below, at and above the 64 KiB buffer.
  auto writer = (*spool)->begin();
  ASSERT_TRUE(writer);
  std::size_t sizes[] = {1, 65'535, 65'536, 65'537, 100, 200'000, 3};
  for (std::size_t i = 0, k = 0; i < message.size(); k++) {
    std::size_t n = std::min(sizes[k % std::size(sizes)], message.size() - i);
    ASSERT_TRUE((*writer)->write(std::string_view(message).substr(i, n)));
    i += n;
  }
  EXPECT_EQ((*writer)->size(), message.size());
  std::promise<base::Result<std::string>> result;
  (*spool)->commit(std::move(*writer), sample_record(), [&](base::Result<std::string> r) { result.set_value(r); });
  auto id = result.get_future().get();
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ((*spool)->read_message(*id).value(), message);
  EXPECT_EQ((*spool)->find(*id)->size, message.size());
}

TEST(Spool, EmptyMessage) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  auto id = commit_and_wait(**spool, "", sample_record());
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ((*spool)->read_message(*id).value(), "");
  EXPECT_EQ((*spool)->find(*id)->size, 0u);
  EXPECT_EQ((*spool)->find(*id)->message_id, "");
}

// A clock the test sets to any time, forwards or backwards.
class SettableClock final : public base::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return now_; }
  void set(std::chrono::system_clock::time_point t) { now_ = t; }

 private:
  std::chrono::system_clock::time_point now_;
};

TEST(Spool, ListIsOldestFirst) {
  ScratchDir scratch;
  SettableClock clock;
  auto spool = open_spool(scratch.spool(), SpoolOptions{.clock = &clock});
  ASSERT_TRUE(spool);
  // Committed out of time order: list() must sort by time, not by commit order.
  auto base_time = std::chrono::system_clock::time_point{std::chrono::seconds{1'800'000'000}};
  std::vector<std::pair<int, std::string>> committed;
  for (int offset : {30, 10, 20, 0, 11}) {
    clock.set(base_time + std::chrono::seconds{offset});
    auto id = commit_and_wait(**spool, sample_message(std::to_string(offset)), sample_record());
    ASSERT_TRUE(id);
    committed.emplace_back(offset, *id);
  }
  std::ranges::sort(committed);
  auto all = (*spool)->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), committed.size());
  for (std::size_t i = 0; i < committed.size(); ++i) {
    EXPECT_EQ((*all)[i].id, committed[i].second) << i;
    EXPECT_EQ((*all)[i].message_id, "<" + std::to_string(committed[i].first) + "@example.org>");
    EXPECT_EQ(queue_id_time((*all)[i].id), base_time + std::chrono::seconds{committed[i].first});
  }
}

TEST(Spool, ManyConcurrentCommitsAreAllDurableAndListed) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  constexpr int threads = 8, per_thread = 40;
  std::vector<std::vector<std::string>> ids(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto id = commit_and_wait(**spool, sample_message(std::to_string(t) + "-" + std::to_string(i)), sample_record(),
                                  static_cast<std::size_t>(1 + t * 13));
        ids[t].push_back(id ? *id : "error: " + id.error().message);
      }
    });
  }
  for (auto& w : workers) w.join();

  std::set<std::string> unique;
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) {
      const std::string& id = ids[t][i];
      ASSERT_TRUE(is_valid_queue_id(id)) << id;
      unique.insert(id);
      EXPECT_EQ((*spool)->read_message(id).value(), sample_message(std::to_string(t) + "-" + std::to_string(i)));
    }
  }
  EXPECT_EQ(unique.size(), std::size_t{threads * per_thread});
  auto all = (*spool)->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), unique.size());
  for (std::size_t i = 1; i < all->size(); ++i) EXPECT_LT((*all)[i - 1].id, (*all)[i].id);
  auto stats = commit_stats(**spool);
  EXPECT_EQ(stats.committed, unique.size());
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_LE(stats.batches, stats.committed);

  // Durable means it is still there for the next process.
  spool->reset();
  auto reopened = Spool::open(scratch.spool());
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->recovery().committed, unique.size());
  EXPECT_EQ((*reopened)->list()->size(), unique.size());
}

TEST(Spool, DestroyingAWriterWithoutCommitRemovesItsFile) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  auto writer = (*spool)->begin();
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write(std::string(100'000, 'x')));
  auto names = names_in(scratch.spool() / "tmp");
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(mode_of(scratch.spool() / "tmp" / names[0]), 0600u);
  writer->reset();
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
  EXPECT_TRUE(names_in(scratch.spool() / "msg").empty());
}

TEST(Spool, DestructionCallsEveryPendingDone) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    auto writer = (*spool)->begin();
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write(sample_message(std::to_string(i))));
    (*spool)->commit(std::move(*writer), sample_record(), [&](base::Result<std::string> r) { ok += r ? 1 : 0; });
  }
  spool->reset();
  EXPECT_EQ(ok.load(), 20);
  auto reopened = Spool::open(scratch.spool());
  ASSERT_TRUE(reopened);
  EXPECT_EQ((*reopened)->list()->size(), 20u);
}

TEST(Spool, FindAndReadRefuseWhatIsNotAnId) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  // A file outside msg/ that a path traversal would reach.
  std::ofstream(scratch.spool() / "x") << "secret";
  for (const char* bad : {"../x", "../lock", "", ".", "..", "/etc/passwd", "0123456789abcdefghi/../../x"}) {
    auto found = (*spool)->find(bad);
    ASSERT_FALSE(found) << bad;
    EXPECT_NE(found.error().message.find("not a queue id"), std::string::npos) << found.error().message;
    EXPECT_FALSE((*spool)->read_message(bad)) << bad;
  }
  auto missing = (*spool)->find("0123456789abcdefghi");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no message"), std::string::npos) << missing.error().message;
  EXPECT_FALSE((*spool)->read_message("0123456789abcdefghi"));
}

TEST(Spool, RefusesAWriterItDidNotMake) {
  ScratchDir scratch;
  auto a = Spool::open(scratch.path() / "a");
  auto b = Spool::open(scratch.path() / "b");
  ASSERT_TRUE(a && b);
  auto writer = (*a)->begin();
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->write(sample_message()));
  std::promise<base::Result<std::string>> result;
  (*b)->commit(std::move(*writer), sample_record(), [&](base::Result<std::string> r) { result.set_value(r); });
  auto id = result.get_future().get();
  EXPECT_FALSE(id);
  EXPECT_TRUE(names_in(scratch.path() / "a" / "tmp").empty());
  EXPECT_TRUE(names_in(scratch.path() / "b" / "msg").empty());

  std::promise<base::Result<std::string>> null_result;
  (*b)->commit(nullptr, sample_record(), [&](base::Result<std::string> r) { null_result.set_value(r); });
  EXPECT_FALSE(null_result.get_future().get());
}

}  // namespace
}  // namespace postern::queue
