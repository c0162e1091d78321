#include "server/alert_hook.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace postern::server {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> split_command(const std::string& command) {
  std::vector<std::string> argv;
  std::string word;
  for (char c : command) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) argv.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) argv.push_back(std::move(word));
  return argv;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

/// posix_spawn attributes and file actions for one child, released on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;

  explicit SpawnSetup(int stdin_fd) {
    posix_spawn_file_actions_init(&actions);
    // dup2 onto 0 clears close-on-exec there; every other descriptor of ours is O_CLOEXEC.
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    // The server ignores SIGPIPE, and ignored signals stay ignored across exec: give the hook
    // the defaults a program expects.
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    // Its own process group, so a timeout kills whatever it started too, and a terminal's
    // Ctrl-C meant for the server does not reach it.
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// A write to a pipe whose reader is gone raises SIGPIPE in the writing thread. It is blocked in
// the hook's thread, so the write fails with EPIPE instead; the pending signal is taken away
// so it can never be delivered later.
void discard_pending_sigpipe() {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  timespec zero{0, 0};
  while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
  }
}

}  // namespace

AlertHook::AlertHook(std::string command, std::chrono::milliseconds timeout, ErrorSink on_error, std::size_t capacity)
    : argv_(split_command(command)), timeout_(timeout), on_error_(std::move(on_error)), capacity_(capacity) {
  if (enabled()) thread_ = std::thread([this] { worker(); });
}

AlertHook::~AlertHook() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stop_deadline_ = Clock::now() + timeout_;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AlertHook::run(std::string json) {
  if (!enabled()) return;
  bool report_full = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) {
      ++dropped_;
      report_full = !reported_full_;
      reported_full_ = true;
    } else {
      queue_.push_back(std::move(json));
      reported_full_ = false;
    }
  }
  // One report per burst of drops: the count is in dropped().
  if (report_full) report("alert hook: " + std::to_string(capacity_) + " alerts already waiting; dropping alerts");
  wake_.notify_one();
}

std::uint64_t AlertHook::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void AlertHook::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

bool AlertHook::past_stop_deadline() const {
  std::lock_guard lock(mutex_);
  return stopping_ && Clock::now() >= stop_deadline_;
}

void AlertHook::report(std::string message) const {
  if (on_error_) on_error_(std::move(message));
}

void AlertHook::worker() {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  for (;;) {
    std::string json;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;
      if (stopping_ && Clock::now() >= stop_deadline_) {
        std::size_t left = queue_.size();
        dropped_ += left;
        queue_.clear();
        lock.unlock();
        idle_.notify_all();
        report("alert hook: stopping; " + std::to_string(left) + " alerts not run");
        break;
      }
      json = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    run_one(json);
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

void AlertHook::run_one(const std::string& json) {
  const std::string& program = argv_.front();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    report("alert hook: cannot make a pipe for " + program + ": " + std::strerror(errno));
    return;
  }
  std::vector<char*> argv;
  for (const auto& a : argv_) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int spawned;
  {
    SpawnSetup setup(fds[0]);
    spawned = ::posix_spawnp(&pid, program.c_str(), &setup.actions, &setup.attr, argv.data(), environ);
  }
  ::close(fds[0]);
  if (spawned != 0) {
    ::close(fds[1]);
    report("alert hook: cannot run " + program + ": " + std::strerror(spawned));
    return;
  }
  int in = fds[1];
  ::fcntl(in, F_SETFL, O_NONBLOCK);
  std::string line = json + "\n";
  std::size_t written = 0;
  auto started = Clock::now();
  auto deadline = started + timeout_;
  int status = 0;
  for (;;) {
    if (in >= 0 && written < line.size()) {
      ssize_t n = ::write(in, line.data() + written, line.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = line.size();  // EPIPE: it stopped reading
      if (n < 0 && errno == EPIPE) discard_pending_sigpipe();
    }
    if (in >= 0 && written == line.size()) {
      ::close(in);  // end of input for the hook
      in = -1;
    }
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      report("alert hook: waiting for " + program + " failed: " + std::strerror(errno));
      break;
    }
    if (Clock::now() >= deadline || past_stop_deadline()) {
      if (::kill(-pid, SIGKILL) != 0) ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
      report("alert hook: " + program + " still running after " + std::to_string(ms) + " ms; killed");
      status = 0;
      break;
    }
    // Children are rare and short: a 10 ms poll is simpler than a SIGCHLD handler shared with
    // the rest of the process.
    pollfd p{in, POLLOUT, 0};
    ::poll(&p, in >= 0 && written < line.size() ? 1 : 0, 10);
  }
  if (in >= 0) ::close(in);
  if (status != 0) report("alert hook: " + program + " " + describe_status(status));
}

}  // namespace postern::server
