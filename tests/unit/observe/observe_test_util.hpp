#pragma once
// Helpers shared by the observe tests: a scratch directory, reading a file, running a tool.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "scratch_dir.hpp"

namespace postern::observe::testing {

/// A scratch directory named postern-observe-XXXXXX.
class ScratchDir : public postern::testing::ScratchDir {
 public:
  ScratchDir() : postern::testing::ScratchDir("postern-observe") {}
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

/// What a command printed on stdout (stderr joined in) and its exit status (-1: not run).
struct ToolRun {
  std::string output;
  int status = -1;
};

/// Runs `command` through popen. The caller quotes its arguments; tests pass only paths they made.
inline ToolRun run_tool(const std::string& command) {
  ToolRun r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// Whether `tool` is on PATH. Tests that need one fail (not skip) without it: setup installs it.
inline bool have_tool(const std::string& tool) { return run_tool("command -v " + tool + " >/dev/null").status == 0; }

}  // namespace postern::observe::testing
