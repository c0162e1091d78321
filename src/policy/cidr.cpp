#include "policy/cidr.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace postern::policy {

namespace {

// ::ffff:0:0/96 (RFC 4291 §2.5.5.2): the IPv4 address lives in the last four bytes.
constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr unsigned kMappedBits = 96;

bool is_mapped(const std::array<std::uint8_t, 16>& bytes) {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
}

// Prefix lengths are plain decimal: no sign, no spaces, no leading zeros ("/08" is a typo more
// often than a wish), at most three digits.
std::optional<unsigned> parse_prefix(std::string_view text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// True when every bit of `bytes` from position `bits` on is zero.
bool host_bits_clear(const std::array<std::uint8_t, 16>& bytes, unsigned bits) {
  for (unsigned i = bits; i < 128; ++i) {
    if (bytes[i / 8] & (0x80u >> (i % 8))) return false;
  }
  return true;
}

bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned bits) {
  unsigned whole = bits / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest textual IPv6 address is 45 octets.
  if (text.empty() || text.size() > 45) return std::nullopt;
  // An embedded NUL would cut the C string short and let "1.2.3.4\0junk" through.
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string buf(text);
  IpAddress out;
  in_addr v4{};
  if (inet_pton(AF_INET, buf.c_str(), &v4) == 1) {
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), out.bytes.begin());
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    out.v4 = true;
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf.c_str(), &v6) != 1) return std::nullopt;
  std::memcpy(out.bytes.data(), &v6, 16);
  // A mapped address is the IPv4 host itself (a dual-stack socket reports 127.0.0.1 as
  // ::ffff:127.0.0.1), so it compares equal to its dotted form.
  out.v4 = is_mapped(out.bytes);
  return out;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  // Written in IPv6 syntax, the prefix counts 128 bits even for a mapped address
  // ("::ffff:10.0.0.0/104" is 10.0.0.0/8).
  bool written_v6 = text.substr(0, slash).find(':') != std::string_view::npos;
  unsigned family_bits = written_v6 ? 128 : 32;
  unsigned prefix = family_bits;
  if (slash != std::string_view::npos) {
    auto parsed = parse_prefix(text.substr(slash + 1));
    if (!parsed || *parsed > family_bits) return std::nullopt;
    prefix = *parsed;
  }
  unsigned bits = written_v6 ? prefix : prefix + kMappedBits;
  if (!host_bits_clear(address->bytes, bits)) return std::nullopt;
  Cidr out;
  out.network = *address;
  if (address->v4) {
    // Host bits are clear, so a mapped network always has bits >= 96.
    out.prefix = bits - kMappedBits;
  } else {
    out.prefix = bits;
  }
  return out;
}

bool Cidr::contains(const IpAddress& address) const {
  unsigned bits = network.v4 ? prefix + kMappedBits : prefix;
  return same_prefix(network.bytes, address.bytes, bits);
}

std::string Cidr::to_string() const { return network.to_string() + "/" + std::to_string(prefix); }

}  // namespace postern::policy
