#pragma once
// A scratch directory laid out like a configuration directory: tls/cert.pem, tls/key.pem and
// oauth/issuer.pub.pem exist (empty: the loader checks only that they can be read), and so does
// hooks/alert, an executable (the loader checks only that it could be run).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace postern::config::testing {

class ConfigDir {
 public:
  ConfigDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "postern-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    // Canonical, so expected absolute paths match what the loader makes of relative ones.
    path_ = std::filesystem::canonical(pattern);
    std::filesystem::create_directories(path_ / "tls");
    write("tls/cert.pem", "");
    write("tls/key.pem", "");
    std::filesystem::create_directories(path_ / "oauth");
    write("oauth/issuer.pub.pem", "");
    std::filesystem::create_directories(path_ / "hooks");
    std::filesystem::permissions(write("hooks/alert", "#!/bin/sh\n"), std::filesystem::perms::owner_all);
  }
  ~ConfigDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ConfigDir(const ConfigDir&) = delete;
  ConfigDir& operator=(const ConfigDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  std::filesystem::path write(const std::filesystem::path& name, std::string_view text) const {
    auto file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
    return file;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace postern::config::testing
