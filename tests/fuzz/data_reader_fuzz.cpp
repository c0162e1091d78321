// libFuzzer target for the DATA reader. The first octet picks the read size and the size
// limit; the rest is the content after 354. Broken invariants trap.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/data_reader.hpp"

namespace {

using postern::smtp::DataReader;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  std::string out;
  std::size_t consumed = 0;
  bool done = false;
  bool oversize = false;
  bool bare = false;
  bool nul = false;
  std::size_t size = 0;
  bool operator==(const Outcome&) const = default;
};

// Feeds `input` in reads of `step` octets through a buffer, the way the session does.
Outcome read(std::string_view input, std::size_t step, std::size_t max_size) {
  DataReader reader(max_size);
  Outcome o;
  std::string buffer;
  for (std::size_t pos = 0; pos < input.size() || pos == 0; pos += step) {
    buffer.append(input.substr(pos, step));
    const std::size_t before = o.out.size();
    auto r = reader.feed(buffer, o.out);
    check(r.consumed <= buffer.size());
    check(o.out.size() - before <= r.consumed);  // never more out than consumed in this call
    buffer.erase(0, r.consumed);
    o.consumed += r.consumed;
    if (r.done) {
      o.done = true;
      break;
    }
    check(buffer.size() <= 2);  // only "." or ".\r" at a line start is held back
    if (input.empty()) break;
  }
  o.oversize = reader.oversize();
  o.bare = reader.bare_line_ending();
  o.nul = reader.has_nul();
  o.size = reader.size();
  check(o.out.size() <= o.consumed);
  check(o.out.size() <= max_size);
  check(o.size >= o.out.size());
  check(o.oversize == (o.size > max_size));
  check(o.oversize || o.out.size() == o.size);
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + (data[0] & 0x3f);
  static constexpr std::size_t limits[] = {0, 7, 100, 1 << 30};
  const std::size_t max_size = limits[data[0] >> 6];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Outcome whole = read(input, input.size() + 1, max_size);
  check(read(input, step, max_size) == whole);
  check(read(input, 1, max_size) == whole);

  // RFC 5321 §4.1.1.4: the message ends at the first CR LF "." CR LF, where the first CR LF may
  // be the one that ended the DATA line, and nowhere else.
  const std::string framed = "\r\n" + std::string(input);
  const std::size_t term = framed.find("\r\n.\r\n");
  check(whole.done == (term != std::string::npos));
  if (whole.done) check(whole.consumed == term + 3);

  // A message with no bare CR or LF never contains one in its output.
  if (!whole.bare) {
    for (std::size_t i = 0; i < whole.out.size(); ++i) {
      if (whole.out[i] == '\n') check(i > 0 && whole.out[i - 1] == '\r');
    }
  }
  return 0;
}
