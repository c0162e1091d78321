#include "queue/queue_id.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "base/random.hpp"
#include "fakes.hpp"

namespace postern::queue {
namespace {

using std::chrono::microseconds;
using std::chrono::system_clock;

TEST(QueueId, HasTheDocumentedShape) {
  postern::testing::CountingRandom random;
  std::string id = make_queue_id(system_clock::now(), random);
  EXPECT_EQ(id.size(), queue_id_length);
  EXPECT_TRUE(is_valid_queue_id(id)) << id;
  for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'v')) << id;
}

TEST(QueueId, EncodesTheTimeToTheMicrosecond) {
  postern::testing::CountingRandom random;
  auto t = system_clock::time_point{microseconds{1'800'000'000'123'456}};
  EXPECT_EQ(queue_id_time(make_queue_id(t, random)), t);
}

TEST(QueueId, SortsByTimeAsAString) {
  base::SystemRandom random;
  auto t = system_clock::time_point{microseconds{1'700'000'000'000'000}};
  std::string previous = make_queue_id(t, random);
  // Steps that cross every digit boundary of the time part.
  for (long long step : {1LL, 31LL, 32LL, 1024LL, 1'000'000LL, 86'400'000'000LL}) {
    t += microseconds{step};
    std::string next = make_queue_id(t, random);
    EXPECT_LT(previous, next) << "step " << step;
    previous = next;
  }
}

TEST(QueueId, IdsOfTheSameMicrosecondDiffer) {
  base::SystemRandom random;
  auto t = system_clock::now();
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(make_queue_id(t, random));
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(QueueId, RefusesAnythingElse) {
  postern::testing::CountingRandom random;
  std::string good = make_queue_id(system_clock::now(), random);
  EXPECT_FALSE(is_valid_queue_id(""));
  EXPECT_FALSE(is_valid_queue_id("../x"));
  EXPECT_FALSE(is_valid_queue_id("../../../etc/passwd"));
  EXPECT_FALSE(is_valid_queue_id(good.substr(0, 18)));
  EXPECT_FALSE(is_valid_queue_id(good + "0"));
  EXPECT_FALSE(is_valid_queue_id("/" + good.substr(1)));
  EXPECT_FALSE(is_valid_queue_id("." + good.substr(1)));
  std::string upper = good;
  upper[18] = 'A';
  EXPECT_FALSE(is_valid_queue_id(upper));
  std::string past_alphabet = good;
  past_alphabet[0] = 'w';
  EXPECT_FALSE(is_valid_queue_id(past_alphabet));
  std::string with_nul = good;
  with_nul[5] = '\0';
  EXPECT_FALSE(is_valid_queue_id(with_nul));
}

}  // namespace
}  // namespace postern::queue
