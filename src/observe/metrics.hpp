#pragma once
// Prometheus metrics (DESIGN §1 "monitoring"), rendered in the text exposition format 0.0.4.
// The families are fixed here; label values come from the callers, who keep their number
// bounded (fixed reason strings, configured listener names, known mechanism names).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace postern::observe {

class Family;

/// The server's counters and gauges. Thread-safe: every method may be called from any thread.
/// The hot calls (connection_opened, auth_attempt, ...) take a shared lock and bump an atomic
/// once the labelled series exists; only the first use of a label tuple takes the exclusive lock.
///
/// Use: construct once at start-up; set_queue_depth() when the queue is open; call the event
/// methods as things happen; render() for each scrape.
class Metrics {
 public:
  /// `start` is reported as postern_start_time_seconds, `version` (default: this build's) in
  /// postern_build_info.
  explicit Metrics(std::chrono::system_clock::time_point start = std::chrono::system_clock::now(),
                   std::string version = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void auth_attempt(std::string_view mechanism, std::string_view result);
  void lockout(std::string_view scope);
  void refusal(std::string_view reason);
  void rate_limit_hit(std::string_view subject, std::string_view limit);
  /// Counts the connection and raises the listener's active gauge; pair with connection_closed().
  void connection_opened(std::string_view listener);
  void connection_closed(std::string_view listener);
  void connection_refused(std::string_view reason);
  void tls_handshake(std::string_view result);
  void message_accepted(std::string_view listener, std::uint64_t bytes);
  void alert(std::string_view kind);
  /// Called at each render() (from the scraping thread) for postern_queue_messages.
  void set_queue_depth(std::function<std::uint64_t()> read);

  /// Every family with its # HELP and # TYPE lines, series sorted by label values.
  std::string render() const;

 private:
  std::string version_;
  double start_seconds_;
  std::vector<std::unique_ptr<Family>> families_;  // in render order
  Family& auth_attempts_;
  Family& lockouts_;
  Family& refusals_;
  Family& rate_limit_hits_;
  Family& connections_;
  Family& connections_active_;
  Family& connections_refused_;
  Family& tls_handshakes_;
  Family& messages_accepted_;
  Family& message_bytes_;
  Family& alerts_;
  mutable std::mutex queue_mutex_;
  std::function<std::uint64_t()> queue_depth_;
};

/// Escapes a label value for the text format: backslash, double quote and line feed; invalid
/// UTF-8 becomes U+FFFD.
std::string escape_label_value(std::string_view value);

}  // namespace postern::observe
