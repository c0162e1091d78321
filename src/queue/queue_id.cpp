#include "queue/queue_id.hpp"

#include <array>
#include <cstdint>

namespace postern::queue {

namespace {

constexpr std::string_view alphabet = "0123456789abcdefghijklmnopqrstuv";
constexpr std::size_t time_chars = 11;  // 55 bits of microseconds: good until the year 3111
constexpr std::size_t random_chars = queue_id_length - time_chars;

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  return -1;
}

void put_base32(std::uint64_t value, std::size_t chars, std::string& out) {
  for (std::size_t i = chars; i-- > 0;) out.push_back(alphabet[(value >> (5 * i)) & 31]);
}

}  // namespace

std::string make_queue_id(std::chrono::system_clock::time_point now, base::Random& random) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  auto t = micros < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(micros);
  t &= (std::uint64_t{1} << (5 * time_chars)) - 1;

  std::array<std::byte, 5> bytes{};
  random.fill(bytes);
  std::uint64_t r = 0;
  for (std::byte b : bytes) r = (r << 8) | std::to_integer<std::uint64_t>(b);

  std::string id;
  id.reserve(queue_id_length);
  put_base32(t, time_chars, id);
  put_base32(r, random_chars, id);
  return id;
}

bool is_valid_queue_id(std::string_view id) {
  if (id.size() != queue_id_length) return false;
  for (char c : id)
    if (digit_value(c) < 0) return false;
  return true;
}

std::chrono::system_clock::time_point queue_id_time(std::string_view id) {
  std::uint64_t t = 0;
  for (char c : id.substr(0, time_chars)) t = (t << 5) | static_cast<std::uint64_t>(digit_value(c));
  return std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds{t})};
}

}  // namespace postern::queue
