#include "observe/metrics.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <shared_mutex>
#include <span>

#include "base/utf8.hpp"

#ifndef POSTERN_VERSION
#define POSTERN_VERSION "unknown"
#endif

namespace postern::observe {

using LabelValues = std::span<const std::string_view>;

/// One metric family: its name, help, type, label names, and one atomic value per label tuple.
/// Nodes of a std::map never move, so a found atomic stays valid after the read lock is gone.
class Family {
 public:
  Family(std::string name, std::string help, std::string type, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), type_(std::move(type)), labels_(std::move(labels)) {}

  void add(std::initializer_list<std::string_view> values, std::int64_t delta) {
    series(LabelValues(values.begin(), values.size())).fetch_add(delta, std::memory_order_relaxed);
  }

  void render(std::string& out) const {
    out += "# HELP " + name_ + " " + help_ + "\n";
    out += "# TYPE " + name_ + " " + type_ + "\n";
    std::shared_lock lock(mutex_);
    for (const auto& [values, value] : series_) {
      out += name_;
      if (!labels_.empty()) {
        out += '{';
        for (std::size_t i = 0; i < labels_.size(); ++i) {
          if (i > 0) out += ',';
          out += labels_[i] + "=\"" + escape_label_value(values[i]) + "\"";
        }
        out += '}';
      }
      out += ' ' + std::to_string(value.load(std::memory_order_relaxed)) + '\n';
    }
  }

 private:
  // Compares stored label tuples with looked-up views without building a key: the hot path
  // allocates nothing once a series exists.
  struct Less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                          [](std::string_view x, std::string_view y) { return x < y; });
    }
  };

  std::atomic<std::int64_t>& series(LabelValues values) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = series_.find(values); it != series_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    std::vector<std::string> key(values.begin(), values.end());
    auto [it, _] = series_.try_emplace(std::move(key), 0);
    return it->second;
  }

  std::string name_, help_, type_;
  std::vector<std::string> labels_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::atomic<std::int64_t>, Less> series_;
};

namespace {

Family& add_family(std::vector<std::unique_ptr<Family>>& families, std::string name, std::string help, std::string type,
                   std::vector<std::string> labels) {
  families.push_back(std::make_unique<Family>(std::move(name), std::move(help), std::move(type), std::move(labels)));
  return *families.back();
}

void render_gauge(std::string& out, std::string_view name, std::string_view help, std::string_view sample) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" gauge\n");
  out.append(sample).append("\n");
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (char c : base::sanitize_utf8(value, "\xEF\xBF\xBD")) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Members are initialised in declaration order, so families_ holds the families in the order
// their references are declared, which is the order render() shows them.
Metrics::Metrics(std::chrono::system_clock::time_point start, std::string version)
    : version_(version.empty() ? POSTERN_VERSION : std::move(version)),
      start_seconds_(std::chrono::duration<double>(start.time_since_epoch()).count()),
      auth_attempts_(add_family(families_, "postern_auth_attempts_total", "SMTP AUTH attempts by mechanism and result.",
                                "counter", {"mechanism", "result"})),
      lockouts_(add_family(families_, "postern_lockouts_total",
                           "Authentication throttle limits crossed, by scope (address, network, account).", "counter",
                           {"scope"})),
      refusals_(add_family(families_, "postern_refusals_total",
                           "Commands and transactions refused by policy, by reason.", "counter", {"reason"})),
      rate_limit_hits_(add_family(families_, "postern_rate_limit_hits_total",
                                  "Sending rate limits reached, by subject and limit.", "counter",
                                  {"subject", "limit"})),
      connections_(add_family(families_, "postern_connections_total", "Connections accepted, by listener.", "counter",
                              {"listener"})),
      connections_active_(add_family(families_, "postern_connections_active", "Connections open now, by listener.",
                                     "gauge", {"listener"})),
      connections_refused_(add_family(families_, "postern_connections_refused_total",
                                      "Connections refused when they were opened, by reason.", "counter", {"reason"})),
      tls_handshakes_(add_family(families_, "postern_tls_handshakes_total", "TLS handshakes by result (ok, failed).",
                                 "counter", {"result"})),
      messages_accepted_(add_family(families_, "postern_messages_accepted_total",
                                    "Messages accepted into the queue, by listener.", "counter", {"listener"})),
      message_bytes_(add_family(families_, "postern_message_bytes_total",
                                "Octets of the messages accepted into the queue, by listener.", "counter",
                                {"listener"})),
      alerts_(add_family(families_, "postern_alerts_total", "Alerts raised, by kind.", "counter", {"kind"})) {}

Metrics::~Metrics() = default;

void Metrics::auth_attempt(std::string_view mechanism, std::string_view result) {
  auth_attempts_.add({mechanism, result}, 1);
}
void Metrics::lockout(std::string_view scope) { lockouts_.add({scope}, 1); }
void Metrics::refusal(std::string_view reason) { refusals_.add({reason}, 1); }
void Metrics::rate_limit_hit(std::string_view subject, std::string_view limit) {
  rate_limit_hits_.add({subject, limit}, 1);
}
void Metrics::connection_opened(std::string_view listener) {
  connections_.add({listener}, 1);
  connections_active_.add({listener}, 1);
}
void Metrics::connection_closed(std::string_view listener) { connections_active_.add({listener}, -1); }
void Metrics::connection_refused(std::string_view reason) { connections_refused_.add({reason}, 1); }
void Metrics::tls_handshake(std::string_view result) { tls_handshakes_.add({result}, 1); }
void Metrics::message_accepted(std::string_view listener, std::uint64_t bytes) {
  messages_accepted_.add({listener}, 1);
  message_bytes_.add({listener}, static_cast<std::int64_t>(bytes));
}
void Metrics::alert(std::string_view kind) { alerts_.add({kind}, 1); }

void Metrics::set_queue_depth(std::function<std::uint64_t()> read) {
  std::lock_guard lock(queue_mutex_);
  queue_depth_ = std::move(read);
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  render_gauge(out, "postern_build_info", "Postern build; the value is always 1.",
               "postern_build_info{version=\"" + escape_label_value(version_) + "\"} 1");
  char start[64];
  std::snprintf(start, sizeof start, "postern_start_time_seconds %.3f", start_seconds_);
  render_gauge(out, "postern_start_time_seconds", "Start time of the process since the Unix epoch in seconds.", start);
  for (const auto& f : families_) f->render(out);
  std::lock_guard lock(queue_mutex_);
  if (queue_depth_) {
    render_gauge(out, "postern_queue_messages", "Messages in the queue now.",
                 "postern_queue_messages " + std::to_string(queue_depth_()));
  } else {
    out += "# HELP postern_queue_messages Messages in the queue now.\n# TYPE postern_queue_messages gauge\n";
  }
  return out;
}

}  // namespace postern::observe
