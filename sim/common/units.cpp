#include "common/units.hpp"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/text.hpp"

namespace rapture::units {
namespace {

using text::trim;

/// Splits "12.5ms" into 12.5 and "ms"; throws when there is no leading number.
std::pair<double, std::string_view> split_number(std::string_view text, const char* what) {
  text = trim(text);
  double value = 0;
  const auto* begin = text.data();
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || !std::isfinite(value)) {
    throw std::invalid_argument("expected " + std::string(what) + ", got '" + std::string(text) + "'");
  }
  return {value, trim(std::string_view(ptr, static_cast<size_t>(end - ptr)))};
}

double with_unit(std::string_view text, const char* what,
                 std::initializer_list<std::pair<std::string_view, double>> table) {
  auto [value, unit] = split_number(text, what);
  if (value < 0) {
    throw std::invalid_argument(std::string(what) + " must not be negative, got '" + std::string(trim(text)) + "'");
  }
  if (unit.empty()) return value;
  for (const auto& [name, factor] : table) {
    if (unit == name) return value * factor;
  }
  throw std::invalid_argument("unknown unit '" + std::string(unit) + "' in " + what + " '" + std::string(trim(text)) +
                              "'");
}

}  // namespace

double parse_duration(std::string_view text) {
  return with_unit(
      text, "a duration such as 250ms or 2s",
      {{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1.0}, {"min", 60.0}, {"m", 60.0}, {"h", 3600.0}});
}

double parse_rate(std::string_view text) {
  return with_unit(text, "a rate such as 300/s",
                   {{"/s", 1.0},
                    {"/ms", 1e3},
                    {"/min", 1.0 / 60},
                    {"/m", 1.0 / 60},
                    {"/h", 1.0 / 3600},
                    {"rps", 1.0},
                    {"qps", 1.0}});
}

double parse_speed(std::string_view text) {
  return with_unit(text, "a CPU speed such as 1Gf", {{"f", 1.0}, {"kf", 1e3}, {"Mf", 1e6}, {"Gf", 1e9}, {"Tf", 1e12}});
}

double parse_bandwidth(std::string_view text) {
  return with_unit(text, "a bandwidth such as 1Gbps or 125MBps",
                   {{"bps", 1.0 / 8},
                    {"kbps", 1e3 / 8},
                    {"Mbps", 1e6 / 8},
                    {"Gbps", 1e9 / 8},
                    {"Bps", 1.0},
                    {"kBps", 1e3},
                    {"MBps", 1e6},
                    {"GBps", 1e9}});
}

double parse_bytes(std::string_view text) {
  return with_unit(text, "a size such as 4KiB",
                   {{"B", 1.0},
                    {"kB", 1e3},
                    {"KB", 1e3},
                    {"MB", 1e6},
                    {"GB", 1e9},
                    {"KiB", 1024.0},
                    {"MiB", 1024.0 * 1024},
                    {"GiB", 1024.0 * 1024 * 1024}});
}

double parse_number(std::string_view text) {
  auto [value, rest] = split_number(text, "a number");
  if (!rest.empty()) throw std::invalid_argument("expected a number, got '" + std::string(trim(text)) + "'");
  return value;
}

long long parse_count(std::string_view text) {
  text = trim(text);
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    throw std::invalid_argument("count '" + std::string(text) + "' is too large");
  }
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    throw std::invalid_argument("expected a non-negative whole number, got '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace rapture::units
