#include "base/time_format.hpp"

#include <cstdio>

namespace postern::base {

std::string format_rfc3339(std::chrono::system_clock::time_point t, int fraction_digits) {
  using namespace std::chrono;
  auto us = floor<microseconds>(t);
  auto day = floor<days>(us);
  year_month_day ymd{day};
  hh_mm_ss hms{us - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                        static_cast<int>(hms.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  long long micros = hms.subseconds().count();
  if (fraction_digits == 3) {
    std::snprintf(buf, sizeof buf, ".%03lld", micros / 1000);
    out += buf;
  } else if (fraction_digits == 6) {
    std::snprintf(buf, sizeof buf, ".%06lld", micros);
    out += buf;
  }
  out += 'Z';
  return out;
}

}  // namespace postern::base
