#pragma once
// Typed, checked access to the tables of a parsed TOML document, collecting `FILE:LINE: ...`
// messages instead of stopping at the first problem. Internal to the config module.

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace postern::config::detail {

inline void append_part(std::string& out, std::string_view part) { out += part; }
template <class Integer>
requires std::is_integral_v<Integer>
void append_part(std::string& out, Integer value) { out += std::to_string(value); }

/// Fills each "{}" of `pattern` with the next argument (strings or integers), in order; a
/// stand-in for std::format, which this compiler's library lacks.
template <class... Args>
std::string message(std::string_view pattern, const Args&... args) {
  std::string out;
  auto next = [&](const auto& arg) {
    auto hole = pattern.find("{}");
    out += pattern.substr(0, hole);
    if (hole == std::string_view::npos) {
      pattern = {};
      return;
    }
    append_part(out, arg);
    pattern.remove_prefix(hole + 2);
  };
  (next(args), ...);
  out += pattern;
  return out;
}

/// The problems found in one file. Each is one `FILE:LINE: text` line (`FILE: text` for line
/// 0, a problem with no place such as a missing key); render() orders them by line.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(std::uint32_t line, std::string text);
  bool empty() const { return items_.empty(); }
  std::string render() const;

 private:
  struct Item {
    std::uint32_t line;
    std::string text;
  };
  std::string file_;
  std::vector<Item> items_;
};

/// `written` as an absolute, normalised path; a relative one is taken from `base` (the directory
/// of the configuration file).
std::filesystem::path resolve(const std::filesystem::path& base, std::string_view written);

/// Why `file` cannot be read as a regular file, or nullopt when it can.
std::optional<std::string> unreadable(const std::filesystem::path& file);

/// The line a node starts on (1-based), 0 when toml++ recorded none.
std::uint32_t line_of(const toml::node& node);

/// One string of a string array, with its line for messages about it.
struct LocatedString {
  std::string value;
  std::uint32_t line = 0;
};

/// One TOML table read key by key, e.g. `[limits]` or one `[[listener]]`.
///
/// Construction reports every key not in `known` (typos must never be silently ignored). The
/// getters return nullopt when the key is absent or its value is wrong; in the second case
/// they have reported why, prefixed with the section's label ("limits: ...").
class Section {
 public:
  /// `line` is where the table was declared; 0 for the document root, whose missing keys have
  /// no line.
  Section(const toml::table& table, std::string label, std::uint32_t line, Diagnostics& diagnostics,
          std::initializer_list<std::string_view> known);

  bool has(std::string_view key) const { return table_.contains(key); }
  /// The line of `key`, or of the table itself when the key is absent.
  std::uint32_t line_of(std::string_view key) const;
  std::uint32_t line() const { return line_; }
  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }

  /// Reports `text` at `line`, prefixed with the label.
  void error(std::uint32_t line, std::string_view text) const;
  /// Reports `"key" is required` unless the key is present; returns whether it is.
  bool require(std::string_view key) const;

  std::optional<std::string> string(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  /// An integer number of bytes or a string such as "25M" (see parse_size).
  std::optional<std::uint64_t> size(std::string_view key, std::uint64_t min, std::uint64_t max) const;
  /// An integer number of seconds or a string such as "5m" (see parse_duration).
  std::optional<std::chrono::seconds> duration(std::string_view key, std::chrono::seconds min,
                                               std::chrono::seconds max) const;
  /// An integer or a float greater than `above` and at most `max` (nan and inf are refused).
  std::optional<double> number(std::string_view key, double above, double max) const;
  std::optional<std::vector<LocatedString>> strings(std::string_view key) const;
  /// `header` is how the table is written, for messages: "limits" for `[limits]`.
  const toml::table* table(std::string_view key, std::string_view header) const;
  /// An array whose elements are all tables; `header` as for table(): "listener" for `[[listener]]`.
  const toml::array* tables(std::string_view key, std::string_view header) const;

 private:
  const toml::node* find(std::string_view key) const;
  void wrong_type(std::string_view key, std::string_view expected, const toml::node& node) const;

  const toml::table& table_;
  std::string label_;
  std::uint32_t line_;
  Diagnostics& diagnostics_;
};

}  // namespace postern::config::detail
