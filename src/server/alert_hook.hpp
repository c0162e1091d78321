#pragma once
// The operator's alert command (`[abuse] alert_hook`): run once per alert with the alert's JSON
// line on its standard input, so it can page someone, post to a chat or open a ticket.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace postern::server {

/// Runs the alert command off the I/O threads, one alert at a time, in the order given.
///
/// The command is split on spaces into argv (no shell, so nothing in an alert can become shell
/// syntax; the program is looked up on PATH when it has no slash). Each run gets the JSON on
/// stdin, inherits stdout and stderr, and is killed (with its process group) when it outlives
/// `timeout`. At most `capacity` alerts wait; more are dropped and counted. Failures (cannot
/// start, non-zero exit, killed, dropped) go to `on_error`, called from the hook's thread or,
/// for a full queue, from the thread calling run().
///
/// Use: construct (an empty command makes a disabled hook that starts no thread); run() from
/// any thread; destroy to stop: what is queued still runs, but all of it within one `timeout`,
/// after which the running child is killed and the rest dropped.
class AlertHook {
 public:
  using ErrorSink = std::function<void(std::string)>;

  AlertHook(std::string command, std::chrono::milliseconds timeout, ErrorSink on_error = {},
            std::size_t capacity = 100);
  ~AlertHook();
  AlertHook(const AlertHook&) = delete;
  AlertHook& operator=(const AlertHook&) = delete;

  bool enabled() const { return !argv_.empty(); }
  /// Queues one run with `json` (one line, no newline needed) on stdin; returns at once.
  void run(std::string json);
  /// Alerts dropped because the queue was full or the hook was stopping.
  std::uint64_t dropped() const;
  /// Blocks until every alert queued so far has run (or was dropped).
  void wait_idle();

 private:
  void worker();
  void run_one(const std::string& json);
  bool past_stop_deadline() const;
  void report(std::string message) const;

  std::vector<std::string> argv_;
  std::chrono::milliseconds timeout_;
  ErrorSink on_error_;
  std::size_t capacity_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::string> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  bool reported_full_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::uint64_t dropped_ = 0;
  std::thread thread_;
};

}  // namespace postern::server
