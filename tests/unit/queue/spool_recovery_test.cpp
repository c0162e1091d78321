// What Spool::open does with what a crash (or an operator) left in the spool directory.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "queue/queue_id.hpp"
#include "queue/spool.hpp"
#include "queue_test_util.hpp"

namespace postern::queue {
namespace {

namespace fs = std::filesystem;
using testing::commit_and_wait;
using testing::names_in;
using testing::sample_message;
using testing::sample_record;
using testing::ScratchDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::vector<std::string> commit_some(const fs::path& dir, int n) {
  auto spool = Spool::open(dir);
  EXPECT_TRUE(spool);
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    auto id = commit_and_wait(**spool, sample_message("m" + std::to_string(i)), sample_record());
    EXPECT_TRUE(id);
    ids.push_back(id.value_or(""));
  }
  return ids;
}

TEST(Recovery, RemovesUnfinishedReceptionsAndKeepsCommittedMessages) {
  ScratchDir scratch;
  auto ids = commit_some(scratch.spool(), 3);
  // What a crash during DATA leaves: files in tmp/, one with a complete-looking record even.
  spit(scratch.spool() / "tmp" / "AbCdEfGhIjKlMnOp", "Subject: half a mess");
  spit(scratch.spool() / "tmp" / "QrStUvWxYz012345", slurp(scratch.spool() / "msg" / ids[0]));
  fs::create_directory(scratch.spool() / "tmp" / "stray-dir");
  spit(scratch.spool() / "tmp" / "stray-dir" / "f", "x");

  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool) << spool.error().message;
  Recovery r = (*spool)->recovery();
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(r.committed, 3u);
  EXPECT_EQ(r.removed_tmp, 3u);
  EXPECT_EQ(r.corrupt, 0u);
  EXPECT_TRUE(names_in(scratch.spool() / "tmp").empty());
  auto listed = (*spool)->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*listed)[i].id, ids[i]);
    EXPECT_EQ((*spool)->read_message(ids[i]).value(), sample_message("m" + std::to_string(i)));
  }
}

TEST(Recovery, UnreadableFilesAreMovedToCorruptAndKept) {
  ScratchDir scratch;
  auto ids = commit_some(scratch.spool(), 6);
  fs::path msg = scratch.spool() / "msg";
  std::map<std::string, std::string> damaged;  // name -> bytes it must keep in corrupt/
  auto damage = [&](const std::string& name, std::string bytes) {
    spit(msg / name, bytes);
    damaged[name] = std::move(bytes);
  };
  std::string whole = slurp(msg / ids[1]);
  damage(ids[1], whole.substr(0, whole.size() - 10));  // torn trailer
  std::string version = slurp(msg / ids[2]);
  version.replace(version.find(R"({"v":1,)"), 7, R"({"v":7,)");  // same size, unknown version
  damage(ids[2], version);
  damage(ids[3], slurp(msg / ids[3]) + "trailing garbage");  // trailer no longer at the end
  std::string json = slurp(msg / ids[4]);
  json[json.find(R"("recipients":[)") + 13] = '{';  // record no longer parses
  damage(ids[4], json);
  // A valid file under another valid id: its record does not belong to that name.
  std::string other_id = "0000000000000000000";
  fs::rename(msg / ids[5], msg / other_id);
  damaged[other_id] = slurp(msg / other_id);
  damage("junk", "not a queue file");
  damage(".hidden", "");
  // A file of the same name already in corrupt/ from an earlier start-up stays as it was.
  spit(scratch.spool() / "corrupt" / "junk", "older junk");

  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool) << spool.error().message;
  EXPECT_EQ((*spool)->recovery().committed, 1u);
  EXPECT_EQ((*spool)->recovery().corrupt, damaged.size());
  EXPECT_EQ(names_in(msg), std::vector<std::string>{ids[0]});
  fs::path corrupt = scratch.spool() / "corrupt";
  for (const auto& [name, bytes] : damaged) {
    std::string kept = name == "junk" ? "junk.1" : name;
    ASSERT_TRUE(fs::exists(corrupt / kept)) << kept;
    EXPECT_EQ(slurp(corrupt / kept), bytes) << kept;
  }
  EXPECT_EQ(slurp(corrupt / "junk"), "older junk");
  auto listed = (*spool)->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, ids[0]);
}

TEST(Recovery, CorruptFileBeforeRecoveryIsSkippedByListAndReportedByFind) {
  ScratchDir scratch;
  auto spool = Spool::open(scratch.spool());
  ASSERT_TRUE(spool);
  auto good = commit_and_wait(**spool, sample_message("good"), sample_record());
  auto bad = commit_and_wait(**spool, sample_message("bad"), sample_record());
  ASSERT_TRUE(good && bad);
  spit(scratch.spool() / "msg" / *bad, "garbage");
  auto listed = (*spool)->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, *good);
  auto found = (*spool)->find(*bad);
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("trailer"), std::string::npos) << found.error().message;
  EXPECT_FALSE((*spool)->read_message(*bad));
}

TEST(Recovery, OnlyTheProcessHoldingTheSpoolRecovers) {
  ScratchDir scratch;
  auto server = Spool::open(scratch.spool());
  ASSERT_TRUE(server);
  EXPECT_TRUE((*server)->recovery().recovered);
  auto receiving = (*server)->begin();
  ASSERT_TRUE(receiving);
  ASSERT_TRUE((*receiving)->write(sample_message("in-flight")));
  ASSERT_EQ(names_in(scratch.spool() / "tmp").size(), 1u);
  auto first = commit_and_wait(**server, sample_message("first"), sample_record());
  ASSERT_TRUE(first);

  // A second opener (`postern queue list` while the server runs) must not clean tmp/.
  auto cli = Spool::open(scratch.spool());
  ASSERT_TRUE(cli) << cli.error().message;
  EXPECT_FALSE((*cli)->recovery().recovered);
  EXPECT_EQ((*cli)->recovery().committed, 1u);
  EXPECT_EQ((*cli)->recovery().removed_tmp, 0u);
  EXPECT_EQ(names_in(scratch.spool() / "tmp").size(), 1u);

  std::promise<base::Result<std::string>> result;
  (*server)->commit(std::move(*receiving), sample_record(), [&](base::Result<std::string> r) { result.set_value(r); });
  auto second = result.get_future().get();
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ((*cli)->read_message(*second).value(), sample_message("in-flight"));
  EXPECT_EQ((*cli)->list()->size(), 2u);

  // Once the holder is gone, the next opener recovers.
  server->reset();
  cli->reset();
  auto next = Spool::open(scratch.spool());
  ASSERT_TRUE(next);
  EXPECT_TRUE((*next)->recovery().recovered);
  EXPECT_EQ((*next)->recovery().committed, 2u);
}

TEST(ReadOnly, SeesCommittedMessagesAndChangesNothing) {
  ScratchDir scratch;
  auto server = Spool::open(scratch.spool());
  ASSERT_TRUE(server);
  auto id = commit_and_wait(**server, sample_message("committed"), sample_record());
  ASSERT_TRUE(id);
  auto receiving = (*server)->begin();
  ASSERT_TRUE(receiving);
  ASSERT_TRUE((*receiving)->write(sample_message("in-flight")));
  spit(scratch.spool() / "msg" / "junk", "left for the server's next recovery");

  auto cli = Spool::open_read_only(scratch.spool());
  ASSERT_TRUE(cli) << cli.error().message;
  EXPECT_FALSE((*cli)->recovery().recovered);
  EXPECT_EQ((*cli)->recovery().committed, 1u);
  auto listed = (*cli)->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, *id);
  EXPECT_EQ((*cli)->find(*id)->message_id, "<committed@example.org>");
  EXPECT_EQ((*cli)->read_message(*id).value(), sample_message("committed"));
  EXPECT_FALSE((*cli)->find("../lock"));

  EXPECT_FALSE((*cli)->begin());
  bool called = false;
  (*cli)->commit(nullptr, sample_record(), [&](base::Result<std::string> r) {
    called = true;
    EXPECT_FALSE(r);
  });
  EXPECT_TRUE(called);

  EXPECT_EQ(names_in(scratch.spool() / "tmp").size(), 1u);
  EXPECT_TRUE(fs::exists(scratch.spool() / "msg" / "junk"));
  EXPECT_TRUE(names_in(scratch.spool() / "corrupt").empty());
}

TEST(ReadOnly, AMissingSpoolIsAnErrorAndIsNotCreated) {
  ScratchDir scratch;
  auto cli = Spool::open_read_only(scratch.spool());
  ASSERT_FALSE(cli);
  EXPECT_NE(cli.error().message.find("msg"), std::string::npos) << cli.error().message;
  EXPECT_FALSE(fs::exists(scratch.spool()));
}

TEST(Recovery, CreatesMissingParentDirectories) {
  ScratchDir scratch;
  fs::path deep = scratch.path() / "data" / "var" / "queue";
  auto spool = Spool::open(deep);
  ASSERT_TRUE(spool) << spool.error().message;
  EXPECT_TRUE(fs::is_directory(deep / "msg"));
  EXPECT_TRUE(commit_and_wait(**spool, sample_message(), sample_record()));
}

TEST(Recovery, RefusesAFileWhereTheSpoolShouldBe) {
  ScratchDir scratch;
  spit(scratch.spool(), "not a directory");
  EXPECT_FALSE(Spool::open(scratch.spool()));
}

}  // namespace
}  // namespace postern::queue
