// The folders of example configurations: every file in tests/configs/bad is refused with the
// exact message its `# expect:` lines give; every file in tests/configs/good loads.

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace postern::config {
namespace {

using testing::ConfigDir;
using testing::read_text;

const std::filesystem::path kConfigs = std::filesystem::path(POSTERN_SOURCE_DIR) / "tests" / "configs";

std::vector<std::filesystem::path> toml_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".toml") out.push_back(entry.path());
  }
  std::ranges::sort(out);
  return out;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The leading `# expect: ` lines, each made into a full message line: the file name gets the
// directory the test loads it from, and `{dir}` stands for that directory.
std::string expected_message(const std::string& text, const std::filesystem::path& dir) {
  constexpr std::string_view kPrefix = "# expect: ";
  std::string out;
  std::size_t at = 0;
  while (text.compare(at, kPrefix.size(), kPrefix) == 0) {
    auto end = text.find('\n', at);
    std::string line = text.substr(at + kPrefix.size(), end - at - kPrefix.size());
    replace_all(line, "{dir}", dir.string());
    if (!out.empty()) out += '\n';
    out += (dir / "").string() + line;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return out;
}

TEST(BadConfigs, EachIsRefusedWithItsExactMessage) {
  auto files = toml_files(kConfigs / "bad");
  // A wrong path would otherwise make this test pass on nothing.
  ASSERT_GE(files.size(), 60u);
  for (const auto& source : files) {
    SCOPED_TRACE(source.filename().string());
    ConfigDir dir;
    std::string text = read_text(source);
    std::string expected = expected_message(text, dir.path());
    if (expected.empty()) {
      ADD_FAILURE() << "no '# expect: ' line at the top";
      continue;
    }
    // Each message names the file it is about; catch an expect line copied from another file.
    EXPECT_TRUE(expected.starts_with((dir.path() / source.filename()).string() + ":"))
        << "the expect line names another file: " << expected;
    auto file = dir.write(source.filename(), text);
    auto loaded = load_file(file);
    if (loaded.has_value()) {
      ADD_FAILURE() << "loaded without error";
      continue;
    }
    EXPECT_EQ(loaded.error(), expected);
  }
}

TEST(GoodConfigs, EachLoads) {
  auto files = toml_files(kConfigs / "good");
  ASSERT_GE(files.size(), 5u);
  for (const auto& source : files) {
    SCOPED_TRACE(source.filename().string());
    ConfigDir dir;
    auto loaded = load_file(dir.write(source.filename(), read_text(source)));
    EXPECT_TRUE(loaded.has_value()) << loaded.error();
  }
}

}  // namespace
}  // namespace postern::config
