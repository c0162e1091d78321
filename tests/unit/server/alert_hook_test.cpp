#include "server/alert_hook.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "../observe/observe_test_util.hpp"

namespace postern::server {
namespace {

using namespace std::chrono;
using observe::testing::read_file;
using observe::testing::ScratchDir;
using observe::testing::write_file;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

/// Collects what the hook reports, from whichever thread.
class Errors {
 public:
  AlertHook::ErrorSink sink() {
    return [this](std::string m) {
      std::lock_guard lock(mutex_);
      messages_.push_back(std::move(m));
    };
  }
  std::vector<std::string> get() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

std::string script(const ScratchDir& dir, const std::string& name, const std::string& body) {
  auto path = dir.path() / name;
  write_file(path, "#!/bin/sh\n" + body);
  std::filesystem::permissions(path, std::filesystem::perms(0755));
  return path.string();
}

bool wait_for_file(const std::filesystem::path& p, milliseconds patience = seconds(5)) {
  auto until = steady_clock::now() + patience;
  while (!std::filesystem::exists(p)) {
    if (steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

TEST(AlertHook, EmptyCommandIsDisabled) {
  Errors errors;
  AlertHook hook("", seconds(1), errors.sink());
  EXPECT_FALSE(hook.enabled());
  hook.run("{}");
  hook.wait_idle();
  EXPECT_EQ(hook.dropped(), 0u);
  EXPECT_THAT(errors.get(), IsEmpty());
  EXPECT_FALSE(AlertHook("   ", seconds(1)).enabled());
}

TEST(AlertHook, JsonOnStdinInOrder) {
  ScratchDir dir;
  auto out = dir.path() / "alerts.log";
  auto hook_path = script(dir, "hook", "cat >> \"$1\"\n");
  Errors errors;
  AlertHook hook(hook_path + " " + out.string(), seconds(5), errors.sink());
  ASSERT_TRUE(hook.enabled());
  hook.run(R"({"event":"alert","n":1})");
  hook.run(R"({"event":"alert","n":2})");
  hook.run(R"({"event":"alert","n":3})");
  hook.wait_idle();
  EXPECT_EQ(read_file(out),
            "{\"event\":\"alert\",\"n\":1}\n{\"event\":\"alert\",\"n\":2}\n{\"event\":\"alert\",\"n\":3}\n");
  EXPECT_THAT(errors.get(), IsEmpty());
}

TEST(AlertHook, ArgumentsSplitOnSpacesWithoutShell) {
  ScratchDir dir;
  auto out = dir.path() / "args";
  auto pwned = dir.path() / "pwned";
  auto hook_path = script(dir, "hook", "out=$1; shift; printf '%s\\n' \"$@\" > \"$out\"\n");
  Errors errors;
  {
    AlertHook hook(hook_path + "  " + out.string() + "   a\tb $(touch " + pwned.string() + ") ;echo |x", seconds(5),
                   errors.sink());
    hook.run("{}");
    hook.wait_idle();
  }
  EXPECT_EQ(read_file(out), "a\nb\n$(touch\n" + pwned.string() + ")\n;echo\n|x\n");
  EXPECT_FALSE(std::filesystem::exists(pwned));
  EXPECT_THAT(errors.get(), IsEmpty());
}

TEST(AlertHook, ProgramFoundOnPath) {
  Errors errors;
  AlertHook hook("true", seconds(5), errors.sink());
  hook.run("{}");
  hook.wait_idle();
  EXPECT_THAT(errors.get(), IsEmpty());
}

TEST(AlertHook, NonZeroExitReported) {
  ScratchDir dir;
  auto hook_path = script(dir, "hook", "cat >/dev/null; exit 3\n");
  Errors errors;
  AlertHook hook(hook_path, seconds(5), errors.sink());
  hook.run("{}");
  hook.wait_idle();
  EXPECT_THAT(errors.get(), ElementsAre("alert hook: " + hook_path + " exited with status 3"));
}

TEST(AlertHook, MissingProgramReported) {
  ScratchDir dir;
  auto missing = (dir.path() / "no-such-hook").string();
  Errors errors;
  AlertHook hook(missing + " --flag", seconds(5), errors.sink());
  hook.run("{}");
  hook.wait_idle();
  EXPECT_THAT(errors.get(), ElementsAre("alert hook: cannot run " + missing + ": No such file or directory"));
}

TEST(AlertHook, SlowHookKilledAtTimeout) {
  Errors errors;
  AlertHook hook("sleep 30", milliseconds(200), errors.sink());
  auto begin = steady_clock::now();
  hook.run("{}");
  hook.wait_idle();
  auto took = steady_clock::now() - begin;
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LT(took, seconds(5));
  auto e = errors.get();
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], HasSubstr("alert hook: sleep still running after "));
  EXPECT_THAT(e[0], HasSubstr(" ms; killed"));
}

bool process_gone(const std::string& pid) {
  // A killed process whose parent does not reap it stays a zombie: that is gone enough.
  std::string stat = read_file("/proc/" + pid + "/stat");
  if (stat.empty()) return true;
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

TEST(AlertHook, TimeoutKillsWhatTheHookStarted) {
  ScratchDir dir;
  auto pid_file = dir.path() / "child.pid";
  auto hook_path = script(dir, "hook", "sleep 30 &\necho $! > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"\nwait\n");
  Errors errors;
  AlertHook hook(hook_path + " " + pid_file.string(), milliseconds(300), errors.sink());
  hook.run("{}");
  hook.wait_idle();
  ASSERT_TRUE(wait_for_file(pid_file));
  std::string pid = read_file(pid_file);
  pid.erase(pid.find_last_not_of("\n") + 1);
  ASSERT_FALSE(pid.empty());
  auto until = steady_clock::now() + seconds(3);
  while (!process_gone(pid) && steady_clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(process_gone(pid)) << "grandchild " << pid << " survived";
  ASSERT_EQ(errors.get().size(), 1u);
  EXPECT_THAT(errors.get()[0], HasSubstr("killed"));
}

TEST(AlertHook, FullQueueDropsAndCounts) {
  ScratchDir dir;
  auto out = dir.path() / "alerts.log";
  auto started = dir.path() / "started";
  auto gate = dir.path() / "gate";
  auto hook_path = script(dir, "hook", "touch \"$2\"\nwhile [ ! -e \"$3\" ]; do sleep 0.02; done\ncat >> \"$1\"\n");
  Errors errors;
  AlertHook hook(hook_path + " " + out.string() + " " + started.string() + " " + gate.string(), seconds(10),
                 errors.sink(), 2);
  hook.run("1");
  ASSERT_TRUE(wait_for_file(started));  // the first is running, so the queue is empty again
  hook.run("2");
  hook.run("3");
  hook.run("4");  // dropped
  hook.run("5");  // dropped
  EXPECT_EQ(hook.dropped(), 2u);
  write_file(gate, "");
  hook.wait_idle();
  EXPECT_EQ(read_file(out), "1\n2\n3\n");
  // One report for the burst of drops, not one per alert.
  EXPECT_THAT(errors.get(), ElementsAre("alert hook: 2 alerts already waiting; dropping alerts"));
}

TEST(AlertHook, HookThatIgnoresStdinIsFine) {
  Errors errors;
  AlertHook hook("true", seconds(5), errors.sink());
  // More than a pipe holds: the write meets a closed pipe (EPIPE, and SIGPIPE in this thread,
  // which must not kill the process).
  hook.run(std::string(1 << 20, 'x'));
  hook.run("{}");
  hook.wait_idle();
  EXPECT_THAT(errors.get(), IsEmpty());
}

TEST(AlertHook, HookGetsDefaultSignalsEvenWhenServerIgnoresSigpipe) {
  ScratchDir dir;
  auto out = dir.path() / "status";
  auto hook_path = script(dir, "hook", "exec grep -E '^Sig(Ign|Blk):' /proc/self/status > \"$1\"\n");
  auto previous = ::signal(SIGPIPE, SIG_IGN);
  {
    AlertHook hook(hook_path + " " + out.string(), seconds(5));
    hook.run("{}");
    hook.wait_idle();
  }
  ::signal(SIGPIPE, previous);
  std::string status = read_file(out);
  ASSERT_THAT(status, HasSubstr("SigIgn:"));
  auto mask_of = [&](std::string_view key) {
    auto at = status.find(key);
    return std::stoull(status.substr(at + key.size()), nullptr, 16);
  };
  constexpr unsigned long long sigpipe_bit = 1ull << (SIGPIPE - 1);
  EXPECT_EQ(mask_of("SigIgn:") & sigpipe_bit, 0u) << status;
  EXPECT_EQ(mask_of("SigBlk:") & sigpipe_bit, 0u) << status;
}

TEST(AlertHook, DestructorRunsWhatIsQueued) {
  ScratchDir dir;
  auto out = dir.path() / "alerts.log";
  auto hook_path = script(dir, "hook", "cat >> \"$1\"\n");
  {
    AlertHook hook(hook_path + " " + out.string(), seconds(5));
    for (int i = 1; i <= 4; ++i) hook.run(std::to_string(i));
  }
  EXPECT_EQ(read_file(out), "1\n2\n3\n4\n");
}

TEST(AlertHook, DestructorBoundedByOneTimeout) {
  Errors errors;
  auto begin = steady_clock::now();
  {
    AlertHook hook("sleep 30", milliseconds(300), errors.sink());
    for (int i = 0; i < 5; ++i) hook.run("{}");
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_LT(steady_clock::now() - begin, seconds(3));
  auto e = errors.get();
  ASSERT_FALSE(e.empty());
  EXPECT_THAT(e.front(), HasSubstr("killed"));
  EXPECT_THAT(e.back(), HasSubstr("alerts not run"));
}

}  // namespace
}  // namespace postern::server
