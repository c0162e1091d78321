#include "config/reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "config/units.hpp"

namespace postern::config::detail {

namespace {

// A file full of mistakes is better answered with its first screenful than with all of them.
constexpr std::size_t kMaxReported = 20;

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// The shortest text that reads back as `value`: 10.0 -> "10", 0.5 -> "0.5".
std::string format_number(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(std::begin(buffer), std::end(buffer), value);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

}  // namespace

void Diagnostics::error(std::uint32_t line, std::string text) { items_.push_back({line, std::move(text)}); }

std::string Diagnostics::render() const {
  std::vector<const Item*> sorted;
  for (const auto& item : items_) sorted.push_back(&item);
  std::ranges::stable_sort(sorted, {}, [](const Item* item) { return item->line; });
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < kMaxReported; ++i) {
    if (!out.empty()) out += '\n';
    out += sorted[i]->line == 0 ? message("{}: {}", file_, sorted[i]->text)
                                : message("{}:{}: {}", file_, sorted[i]->line, sorted[i]->text);
  }
  if (sorted.size() > kMaxReported) out += message("\n{}: {} more errors", file_, sorted.size() - kMaxReported);
  return out;
}

std::filesystem::path resolve(const std::filesystem::path& base, std::string_view written) {
  std::filesystem::path p(written);
  if (p.is_relative()) p = base / p;
  p = p.lexically_normal();
  // "/srv/postern/." normalises to "/srv/postern/"; keep the directory's own name last.
  if (!p.has_filename() && p != p.root_path()) p = p.parent_path();
  return p;
}

// Existence and permission only: whether a file's content is usable (a certificate matching its
// key, a parseable public key) is for the module that loads it at server start.
std::optional<std::string> unreadable(const std::filesystem::path& file) {
  std::error_code ec;
  auto status = std::filesystem::status(file, ec);
  if (ec) return ec.message();
  if (!std::filesystem::is_regular_file(status)) return "not a regular file";
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return std::strerror(errno);
  std::fclose(f);
  return std::nullopt;
}

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

Section::Section(const toml::table& table, std::string label, std::uint32_t line, Diagnostics& diagnostics,
                 std::initializer_list<std::string_view> known)
    : table_(table), label_(std::move(label)), line_(line), diagnostics_(diagnostics) {
  for (auto&& [key, value] : table_) {
    if (std::ranges::find(known, key.str()) == known.end()) {
      error(key.source().begin.line, message("unknown key \"{}\"", key.str()));
    }
  }
}

const toml::node* Section::find(std::string_view key) const { return table_.get(key); }

std::uint32_t Section::line_of(std::string_view key) const {
  auto it = table_.find(key);
  return it == table_.end() ? line_ : it->first.source().begin.line;
}

void Section::error(std::uint32_t line, std::string_view text) const {
  diagnostics_.error(line, label_.empty() ? std::string(text) : message("{}: {}", label_, text));
}

bool Section::require(std::string_view key) const {
  if (has(key)) return true;
  error(line_, message("missing required key \"{}\"", key));
  return false;
}

void Section::wrong_type(std::string_view key, std::string_view expected, const toml::node& node) const {
  error(line_of(key), message("\"{}\" must be {}, not {}", key, expected, type_name(node)));
}

std::optional<std::string> Section::string(std::string_view key) const {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* s = node->as_string()) return s->get();
  wrong_type(key, "a string", *node);
  return std::nullopt;
}

std::optional<bool> Section::boolean(std::string_view key) const {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  if (const auto* b = node->as_boolean()) return b->get();
  wrong_type(key, "a boolean (true or false)", *node);
  return std::nullopt;
}

std::optional<std::int64_t> Section::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* i = node->as_integer();
  if (i == nullptr) {
    wrong_type(key, "an integer", *node);
    return std::nullopt;
  }
  if (i->get() < min || i->get() > max) {
    error(line_of(key), message("\"{}\" must be between {} and {}, not {}", key, min, max, i->get()));
    return std::nullopt;
  }
  return i->get();
}

std::optional<std::uint64_t> Section::size(std::string_view key, std::uint64_t min, std::uint64_t max) const {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  auto out_of_range = [&](std::string_view shown) {
    error(line_of(key),
          message("\"{}\" must be between {} and {}, not {}", key, format_size(min), format_size(max), shown));
  };
  std::uint64_t value = 0;
  if (const auto* i = node->as_integer()) {
    if (i->get() < 0) {
      out_of_range(std::to_string(i->get()));
      return std::nullopt;
    }
    value = static_cast<std::uint64_t>(i->get());
  } else if (const auto* s = node->as_string()) {
    auto parsed = parse_size(s->get());
    if (!parsed && parsed.error() == UnitError::too_large) {
      out_of_range(message("\"{}\"", s->get()));
      return std::nullopt;
    }
    if (!parsed) {
      error(line_of(key), message("\"{}\" must be a size such as 25M (bytes, or a number with K, M or G), not \"{}\"",
                                  key, s->get()));
      return std::nullopt;
    }
    value = *parsed;
  } else {
    wrong_type(key, "an integer or a string such as \"25M\"", *node);
    return std::nullopt;
  }
  if (value < min || value > max) {
    out_of_range(format_size(value));
    return std::nullopt;
  }
  return value;
}

std::optional<std::chrono::seconds> Section::duration(std::string_view key, std::chrono::seconds min,
                                                      std::chrono::seconds max) const {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  auto out_of_range = [&](std::string_view shown) {
    error(line_of(key),
          message("\"{}\" must be between {} and {}, not {}", key, format_duration(min), format_duration(max), shown));
  };
  std::chrono::seconds value{};
  if (const auto* i = node->as_integer()) {
    value = std::chrono::seconds{i->get()};
  } else if (const auto* s = node->as_string()) {
    auto parsed = parse_duration(s->get());
    if (!parsed && parsed.error() == UnitError::too_large) {
      out_of_range(message("\"{}\"", s->get()));
      return std::nullopt;
    }
    if (!parsed) {
      error(line_of(key), message("\"{}\" must be a duration such as 30s, 5m or 1h, not \"{}\"", key, s->get()));
      return std::nullopt;
    }
    value = *parsed;
  } else {
    wrong_type(key, "an integer or a string such as \"5m\"", *node);
    return std::nullopt;
  }
  if (value < min || value > max) {
    out_of_range(format_duration(value));
    return std::nullopt;
  }
  return value;
}

std::optional<double> Section::number(std::string_view key, double above, double max) const {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  double value = 0;
  if (const auto* i = node->as_integer()) {
    value = static_cast<double>(i->get());
  } else if (const auto* f = node->as_floating_point()) {
    value = f->get();
  } else {
    wrong_type(key, "a number", *node);
    return std::nullopt;
  }
  // Written so that nan fails it too.
  if (!(value > above && value <= max)) {
    error(line_of(key), message("\"{}\" must be above {} and at most {}, not {}", key, format_number(above),
                                format_number(max), format_number(value)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<LocatedString>> Section::strings(std::string_view key) const {
  const auto* node = find(key);
  if (node == nullptr) return std::nullopt;
  const auto* array = node->as_array();
  if (array == nullptr) {
    wrong_type(key, "an array of strings", *node);
    return std::nullopt;
  }
  std::vector<LocatedString> out;
  bool ok = true;
  for (const auto& element : *array) {
    if (const auto* s = element.as_string()) {
      out.push_back({s->get(), detail::line_of(element)});
    } else {
      error(detail::line_of(element),
            message("\"{}\" must be an array of strings, but holds {}", key, type_name(element)));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

const toml::table* Section::table(std::string_view key, std::string_view header) const {
  const auto* node = find(key);
  if (node == nullptr) return nullptr;
  if (const auto* t = node->as_table()) return t;
  wrong_type(key, message("a table ([{}])", header), *node);
  return nullptr;
}

const toml::array* Section::tables(std::string_view key, std::string_view header) const {
  const auto* node = find(key);
  if (node == nullptr) return nullptr;
  const auto* array = node->as_array();
  // `key = []` is an empty list of tables, not a type error; the caller decides if empty is allowed.
  if (array != nullptr && array->empty()) return array;
  if (array == nullptr || !array->is_array_of_tables()) {
    wrong_type(key, message("an array of tables ([[{}]])", header), *node);
    return nullptr;
  }
  return array;
}

}  // namespace postern::config::detail
