#include "base/atomic_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace postern::base {
namespace {

namespace fs = std::filesystem;

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("atomic-file-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

TEST_F(AtomicFile, WritesContentWithExactlyTheModeDespiteTheUmask) {
  mode_t old = ::umask(077);
  auto r = write_file_atomically(dir_ / "cert.pem", "certificate\n", 0644);
  ::umask(old);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(read(dir_ / "cert.pem"), "certificate\n");
  EXPECT_EQ(mode_of(dir_ / "cert.pem"), 0644u);
  EXPECT_FALSE(fs::exists(dir_ / "cert.pem.tmp"));
}

TEST_F(AtomicFile, ReplacesAnOldFileAndIgnoresALeftoverTemporaryWithAWiderMode) {
  ASSERT_TRUE(write_file_atomically(dir_ / "key.pem", "old", 0644));
  {
    std::ofstream(dir_ / "key.pem.tmp") << "left by a crash";
  }
  ::chmod((dir_ / "key.pem.tmp").c_str(), 0666);
  auto r = write_file_atomically(dir_ / "key.pem", "new secret", 0600);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(read(dir_ / "key.pem"), "new secret");
  EXPECT_EQ(mode_of(dir_ / "key.pem"), 0600u);
}

TEST_F(AtomicFile, FailureLeavesTheOldFileAndNoTemporary) {
  ASSERT_TRUE(write_file_atomically(dir_ / "f", "old", 0600));
  // A directory where the file should go: rename(2) fails, nothing is half-written.
  fs::create_directories(dir_ / "d" / "x");
  auto r = write_file_atomically(dir_ / "d", "new", 0600);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot write"), std::string::npos) << r.error().message;
  EXPECT_FALSE(fs::exists(dir_ / "d.tmp"));
  EXPECT_EQ(read(dir_ / "f"), "old");
}

TEST_F(AtomicFile, MissingDirectoryIsAnErrorNamingThePath) {
  auto r = write_file_atomically(dir_ / "no" / "such" / "file", "x", 0600);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot create"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace postern::base
