#include "smtp/header_from.hpp"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "base/strings.hpp"
#include "base/utf8.hpp"

namespace postern::smtp {

namespace {

using Status = std::expected<void, HeaderFromError>;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

// RFC 5322 §3.2.3 atext; RFC 6532 §3.2 adds UTF8-non-ascii.
bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) != std::string_view::npos;
}

// The specials (RFC 5322 §3.2.3) that are tokens of their own in an address.
bool is_delimiter(char c) { return std::string_view("<>@,:;.").find(c) != std::string_view::npos; }

bool has_non_ascii(std::string_view s) {
  return std::ranges::any_of(s, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// RFC 5322 §2.2.3: a line ending followed by WSP is a fold, removed by unfolding. Returns the
// octets to drop at `i` (the CRLF, or a bare LF, which is refused elsewhere but must not end a
// field differently here), or 0.
std::size_t fold_at(std::string_view s, std::size_t i) {
  std::size_t n = 0;
  if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
    n = 2;
  } else if (s[i] == '\n') {
    n = 1;
  } else {
    return 0;
  }
  return i + n < s.size() && is_wsp(s[i + n]) ? n : 0;
}

struct Token {
  enum class Kind { word, literal, delimiter };
  Kind kind;
  std::string text;  ///< a word's content (quotes and quoted-pairs removed), a literal with brackets
  char delimiter = 0;
  bool quoted = false;
};

/// RFC 5322 §3.2: splits an address field body into words (atoms and quoted-strings), domain
/// literals and delimiters, dropping CFWS.
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::expected<std::vector<Token>, HeaderFromError> run() {
    while (i_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[i_]);
      Status step;
      if (std::size_t fold = fold_at(s_, i_)) {
        i_ += fold;
      } else if (is_wsp(static_cast<char>(c))) {
        ++i_;
      } else if (c == '(') {
        step = comment();
      } else if (c == '"') {
        step = quoted_string();
      } else if (c == '[') {
        step = domain_literal();
      } else if (is_delimiter(static_cast<char>(c))) {
        tokens_.push_back(Token{.kind = Token::Kind::delimiter, .text = {}, .delimiter = static_cast<char>(c)});
        ++i_;
      } else if (is_atext(c)) {
        atom();
      } else if (c == ')' || c == ']' || c == '\\') {
        return std::unexpected(HeaderFromError::syntax);
      } else {
        return std::unexpected(HeaderFromError::bad_character);  // CTLs, a CR or LF that is no fold
      }
      if (!step) return std::unexpected(step.error());
    }
    return std::move(tokens_);
  }

 private:
  void atom() {
    std::size_t start = i_;
    while (i_ < s_.size() && is_atext(static_cast<unsigned char>(s_[i_]))) ++i_;
    tokens_.push_back(Token{.kind = Token::Kind::word, .text = std::string(s_.substr(start, i_ - start))});
  }

  // RFC 5322 §3.2.2: comments nest; a depth count instead of recursion keeps a megabyte of
  // "((((" from costing more than its length.
  Status comment() {
    std::size_t depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\\') {  // quoted-pair (obs-qp takes any octet)
        if (i_ + 1 >= s_.size()) break;
        i_ += 2;
        continue;
      }
      if (std::size_t fold = fold_at(s_, i_)) {
        i_ += fold;
        continue;
      }
      if (c == '\r' || c == '\n') return std::unexpected(HeaderFromError::bad_character);
      ++i_;
      if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        return {};
      }
    }
    return std::unexpected(HeaderFromError::unterminated);
  }

  // RFC 5322 §3.2.4: the content without the quotes, quoted-pairs undone, folds unfolded.
  Status quoted_string() {
    std::string text;
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) break;
        text += s_[i_ + 1];
        i_ += 2;
        continue;
      }
      if (std::size_t fold = fold_at(s_, i_)) {
        i_ += fold;
        continue;
      }
      if (c == '\r' || c == '\n') return std::unexpected(HeaderFromError::bad_character);
      ++i_;
      if (c == '"') {
        tokens_.push_back(Token{.kind = Token::Kind::word, .text = std::move(text), .quoted = true});
        return {};
      }
      text += c;
    }
    return std::unexpected(HeaderFromError::unterminated);
  }

  // RFC 5322 §3.4.1 domain-literal (and §4.4 obs-dtext): kept with its brackets, FWS dropped.
  Status domain_literal() {
    std::string text = "[";
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) break;
        text += s_[i_ + 1];
        i_ += 2;
        continue;
      }
      if (std::size_t fold = fold_at(s_, i_)) {
        i_ += fold;
        continue;
      }
      if (c == '\r' || c == '\n') return std::unexpected(HeaderFromError::bad_character);
      if (c == '[') return std::unexpected(HeaderFromError::syntax);
      ++i_;
      if (is_wsp(c)) continue;
      text += c;
      if (c == ']') {
        tokens_.push_back(Token{.kind = Token::Kind::literal, .text = std::move(text)});
        return {};
      }
    }
    return std::unexpected(HeaderFromError::unterminated);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::vector<Token> tokens_;
};

/// RFC 5322 §3.4 address-list over the tokens, with the obsolete forms of §4.4.
class AddressParser {
 public:
  explicit AddressParser(const std::vector<Token>& tokens) : t_(tokens) {}

  std::expected<std::vector<Mailbox>, HeaderFromError> list() {
    bool any = false;
    while (true) {
      // obs-mbox-list / obs-addr-list: empty elements between commas.
      while (at(',')) ++pos_;
      if (at_end()) break;
      if (auto step = address(false); !step) return std::unexpected(step.error());
      any = true;
      if (at_end()) break;
      if (!at(',')) return std::unexpected(HeaderFromError::syntax);
    }
    if (!any) return std::unexpected(HeaderFromError::empty);
    return std::move(out_);
  }

 private:
  bool at_end() const { return pos_ >= t_.size(); }
  bool at(char delimiter) const {
    return !at_end() && t_[pos_].kind == Token::Kind::delimiter && t_[pos_].delimiter == delimiter;
  }
  bool at_word() const { return !at_end() && t_[pos_].kind == Token::Kind::word; }
  static std::unexpected<HeaderFromError> fail(HeaderFromError e) { return std::unexpected(e); }

  // address = mailbox / group; mailbox = name-addr / addr-spec. What comes after the leading
  // words tells them apart: "<" a name-addr, ":" a group, "@" an addr-spec.
  Status address(bool in_group) {
    std::size_t start = pos_;
    // display-name = phrase (obs-phrase allows "." among the words).
    while (at_word() || at('.')) ++pos_;
    if (at('<')) return angle_addr();
    if (at(':') && !in_group && pos_ > start) return group();
    if (at('@') && pos_ > start) {
      pos_ = start;
      return addr_spec();
    }
    // A phrase without an address, "a b@c", an "@" in a display name, a nested group: none of
    // them names a mailbox that everyone reading the field would agree on.
    return fail(HeaderFromError::syntax);
  }

  // group = display-name ":" [group-list] ";" [CFWS]
  Status group() {
    ++pos_;
    while (true) {
      while (at(',')) ++pos_;
      if (at(';')) break;
      if (at_end()) return fail(HeaderFromError::unterminated);
      if (auto step = address(true); !step) return step;
      if (at(';')) break;
      if (!at(',')) return fail(at_end() ? HeaderFromError::unterminated : HeaderFromError::syntax);
    }
    ++pos_;
    return {};
  }

  // angle-addr = "<" addr-spec ">"; obs-angle-addr = "<" obs-route addr-spec ">" where
  // obs-route = obs-domain-list ":" (the route is dropped, as RFC 5321 §C does).
  Status angle_addr() {
    ++pos_;
    if (at('@') || at(',')) {
      while (at('@') || at(',')) {
        if (at(',')) {
          ++pos_;
          continue;
        }
        ++pos_;
        if (auto d = domain(); !d) return fail(d.error());
      }
      if (!at(':')) return fail(at_end() ? HeaderFromError::unterminated : HeaderFromError::syntax);
      ++pos_;
    }
    if (auto step = addr_spec(); !step) return step;
    if (!at('>')) return fail(at_end() ? HeaderFromError::unterminated : HeaderFromError::syntax);
    ++pos_;
    return {};
  }

  // addr-spec = local-part "@" domain
  Status addr_spec() {
    Mailbox m;
    // local-part = dot-atom / quoted-string / obs-local-part (word *("." word)).
    while (true) {
      if (!at_word()) return fail(HeaderFromError::syntax);
      m.local += t_[pos_].text;
      m.quoted = m.quoted || t_[pos_].quoted;
      ++pos_;
      if (!at('.')) break;
      m.local += '.';
      ++pos_;
    }
    if (!at('@')) return fail(HeaderFromError::syntax);
    ++pos_;
    auto d = domain();
    if (!d) return fail(d.error());
    m.domain = std::move(*d);
    m.utf8 = has_non_ascii(m.local) || has_non_ascii(m.domain);
    // RFC 6532 §3.1: non-ASCII header content is UTF-8, well formed.
    if (m.utf8 && !(base::is_valid_utf8(m.local) && base::is_valid_utf8(m.domain))) {
      return fail(HeaderFromError::bad_character);
    }
    out_.push_back(std::move(m));
    return {};
  }

  // domain = dot-atom / domain-literal / obs-domain (atom *("." atom)); lower-cased in ASCII.
  std::expected<std::string, HeaderFromError> domain() {
    if (!at_end() && t_[pos_].kind == Token::Kind::literal) return base::to_lower(t_[pos_++].text);
    std::string text;
    while (true) {
      if (!at_word() || t_[pos_].quoted) return std::unexpected(HeaderFromError::syntax);
      text += base::to_lower(t_[pos_].text);
      ++pos_;
      if (!at('.')) return text;
      text += '.';
      ++pos_;
    }
  }

  const std::vector<Token>& t_;
  std::size_t pos_ = 0;
  std::vector<Mailbox> out_;
};

// The body of a From: field (RFC 5322 §3.6.2; §4.5.2 obs-from allows WSP before the colon),
// or nullopt for any other field. `field` is the whole field, folds included: the name is
// read after unfolding, as every other reader of the message will read it.
std::optional<std::string_view> from_body(std::string_view field) {
  auto colon = field.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view name = field.substr(0, colon);
  auto blank = [](char c) { return is_wsp(c) || c == '\r' || c == '\n'; };
  while (!name.empty() && blank(name.back())) name.remove_suffix(1);
  while (!name.empty() && blank(name.front())) name.remove_prefix(1);
  if (!base::iequals(name, "From")) return std::nullopt;
  std::string_view body = field.substr(colon + 1);
  // The line ending of the field's last line is not part of the body.
  if (body.ends_with('\n')) body.remove_suffix(1);
  if (body.ends_with('\r')) body.remove_suffix(1);
  return body;
}

// The end of the line that starts at `pos`, its line ending included.
std::size_t line_end(std::string_view s, std::size_t pos) {
  auto lf = s.find('\n', pos);
  return lf == std::string_view::npos ? s.size() : lf + 1;
}

}  // namespace

std::expected<std::vector<Mailbox>, HeaderFromError> parse_address_list(std::string_view body) {
  auto tokens = Lexer(body).run();
  if (!tokens) return std::unexpected(tokens.error());
  return AddressParser(*tokens).list();
}

std::expected<HeaderFrom, HeaderFromError> parse_header_from(std::string_view header) {
  HeaderFrom result;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t start = pos;
    pos = line_end(header, pos);
    std::string_view first = header.substr(start, pos - start);
    // RFC 5322 §2.1: the first empty line ends the header section.
    if (first == "\r\n" || first == "\n") break;
    // RFC 5322 §2.2.3: the lines that start with WSP belong to this field.
    while (pos < header.size() && is_wsp(header[pos])) pos = line_end(header, pos);
    auto body = from_body(header.substr(start, pos - start));
    if (!body) continue;
    ++result.fields;
    auto list = parse_address_list(*body);
    if (!list) return std::unexpected(list.error());
    std::ranges::move(*list, std::back_inserter(result.addresses));
  }
  return result;
}

void HeaderCapture::feed(std::string_view bytes) {
  if (complete_ || buffer_.size() >= max_) return;
  std::size_t old = buffer_.size();
  buffer_.append(bytes.substr(0, max_ - old));
  // RFC 5322 §2.1: the header section ends at the first empty line, which is a CRLF right at
  // the start when the message has no header fields.
  std::size_t end = std::string::npos;
  if (buffer_.starts_with("\r\n")) {
    end = 0;
  } else if (auto found = buffer_.find("\r\n\r\n", old >= 3 ? old - 3 : 0); found != std::string::npos) {
    end = found + 2;
  }
  if (end == std::string::npos) return;
  buffer_.resize(end + 2);
  complete_ = true;
}

}  // namespace postern::smtp
