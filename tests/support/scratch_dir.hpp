#pragma once
// A scratch directory for tests that touch files.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace postern::testing {

/// A fresh directory under the test temp dir ("<prefix>-XXXXXX"), removed with everything in
/// it at the end.
class ScratchDir {
 public:
  explicit ScratchDir(std::string_view prefix = "postern") {
    std::string tmpl = ::testing::TempDir() + std::string(prefix) + "-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace postern::testing
