#include "common/units.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace rapture::units {
namespace {

/// The message of the std::invalid_argument that `f` throws ("" if none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Units, DurationsInEveryUnit) {
  EXPECT_DOUBLE_EQ(parse_duration("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(parse_duration("1.5s"), 1.5);
  EXPECT_DOUBLE_EQ(parse_duration("100us"), 1e-4);
  EXPECT_DOUBLE_EQ(parse_duration("100µs"), 1e-4);
  EXPECT_DOUBLE_EQ(parse_duration("5ns"), 5e-9);
  EXPECT_DOUBLE_EQ(parse_duration("2min"), 120);
  EXPECT_DOUBLE_EQ(parse_duration("2m"), 120);
  EXPECT_DOUBLE_EQ(parse_duration("1h"), 3600);
  EXPECT_DOUBLE_EQ(parse_duration("0s"), 0);
}

TEST(Units, DurationNumberForms) {
  EXPECT_DOUBLE_EQ(parse_duration("3"), 3);  // a bare number is seconds
  EXPECT_DOUBLE_EQ(parse_duration(" 7 ms "), 0.007);
  EXPECT_DOUBLE_EQ(parse_duration("1e3ms"), 1);
  EXPECT_DOUBLE_EQ(parse_duration("2.5e-3s"), 0.0025);
  EXPECT_DOUBLE_EQ(parse_duration(".5s"), 0.5);
}

TEST(Units, DurationErrorsSayWhatWasExpected) {
  for (const char* bad : {"", "   ", "ms", "abc", "five seconds", "inf", "nan", "1e400s", "+5ms"}) {
    const std::string message = error_of([&] { parse_duration(bad); });
    EXPECT_TRUE(contains(message, "expected a duration such as 250ms")) << "'" << bad << "': " << message;
  }
  const std::string unit = error_of([] { parse_duration("5 parsecs"); });
  EXPECT_TRUE(contains(unit, "unknown unit 'parsecs'")) << unit;
  EXPECT_TRUE(contains(unit, "'5 parsecs'")) << unit;
  // Units are case-sensitive: MS is not milliseconds.
  EXPECT_THROW(parse_duration("5MS"), std::invalid_argument);
  EXPECT_THROW(parse_duration("5msec"), std::invalid_argument);
  EXPECT_THROW(parse_duration("5 ms x"), std::invalid_argument);
}

TEST(Units, Rates) {
  EXPECT_DOUBLE_EQ(parse_rate("300/s"), 300);
  EXPECT_DOUBLE_EQ(parse_rate("18000/min"), 300);
  EXPECT_DOUBLE_EQ(parse_rate("18000/m"), 300);
  EXPECT_DOUBLE_EQ(parse_rate("5/ms"), 5000);
  EXPECT_DOUBLE_EQ(parse_rate("7200/h"), 2);
  EXPECT_DOUBLE_EQ(parse_rate("100rps"), 100);
  EXPECT_DOUBLE_EQ(parse_rate("100qps"), 100);
  EXPECT_DOUBLE_EQ(parse_rate("42"), 42);
  EXPECT_DOUBLE_EQ(parse_rate("0.5 /s"), 0.5);
  EXPECT_TRUE(contains(error_of([] { parse_rate("300/day"); }), "unknown unit '/day'"));
  EXPECT_TRUE(contains(error_of([] { parse_rate("fast"); }), "expected a rate such as 300/s"));
}

TEST(Units, Speeds) {
  EXPECT_DOUBLE_EQ(parse_speed("1Gf"), 1e9);
  EXPECT_DOUBLE_EQ(parse_speed("500Mf"), 5e8);
  EXPECT_DOUBLE_EQ(parse_speed("3kf"), 3e3);
  EXPECT_DOUBLE_EQ(parse_speed("2Tf"), 2e12);
  EXPECT_DOUBLE_EQ(parse_speed("7f"), 7);
  EXPECT_DOUBLE_EQ(parse_speed("2.5e9"), 2.5e9);
  EXPECT_TRUE(contains(error_of([] { parse_speed("1GHz"); }), "unknown unit 'GHz'"));
  EXPECT_TRUE(contains(error_of([] { parse_speed("quick"); }), "expected a CPU speed such as 1Gf"));
}

TEST(Units, BandwidthsInBitsAndBytes) {
  EXPECT_DOUBLE_EQ(parse_bandwidth("1Gbps"), 1.25e8);  // bits per second, returned in bytes
  EXPECT_DOUBLE_EQ(parse_bandwidth("125MBps"), 1.25e8);
  EXPECT_DOUBLE_EQ(parse_bandwidth("8bps"), 1);
  EXPECT_DOUBLE_EQ(parse_bandwidth("1kbps"), 125);
  EXPECT_DOUBLE_EQ(parse_bandwidth("1Mbps"), 125000);
  EXPECT_DOUBLE_EQ(parse_bandwidth("1kBps"), 1000);
  EXPECT_DOUBLE_EQ(parse_bandwidth("2GBps"), 2e9);
  EXPECT_DOUBLE_EQ(parse_bandwidth("3Bps"), 3);
  EXPECT_DOUBLE_EQ(parse_bandwidth("1000"), 1000);
  EXPECT_TRUE(contains(error_of([] { parse_bandwidth("1Gb"); }), "unknown unit 'Gb'"));
  EXPECT_TRUE(contains(error_of([] { parse_bandwidth("wide"); }), "expected a bandwidth"));
}

TEST(Units, Sizes) {
  EXPECT_DOUBLE_EQ(parse_bytes("4KiB"), 4096);
  EXPECT_DOUBLE_EQ(parse_bytes("1MiB"), 1048576);
  EXPECT_DOUBLE_EQ(parse_bytes("1GiB"), 1073741824.0);
  EXPECT_DOUBLE_EQ(parse_bytes("1kB"), 1000);
  EXPECT_DOUBLE_EQ(parse_bytes("1KB"), 1000);
  EXPECT_DOUBLE_EQ(parse_bytes("1MB"), 1e6);
  EXPECT_DOUBLE_EQ(parse_bytes("2GB"), 2e9);
  EXPECT_DOUBLE_EQ(parse_bytes("512B"), 512);
  EXPECT_DOUBLE_EQ(parse_bytes("512"), 512);
  EXPECT_TRUE(contains(error_of([] { parse_bytes("4kib"); }), "unknown unit 'kib'"));
  EXPECT_TRUE(contains(error_of([] { parse_bytes("4 bytes"); }), "unknown unit 'bytes'"));
  EXPECT_TRUE(contains(error_of([] { parse_bytes("big"); }), "expected a size such as 4KiB"));
}

TEST(Units, PlainNumbers) {
  EXPECT_DOUBLE_EQ(parse_number("3.25"), 3.25);
  EXPECT_DOUBLE_EQ(parse_number("-2"), -2);
  EXPECT_DOUBLE_EQ(parse_number(" 1e-3 "), 1e-3);
  for (const char* bad : {"", "5ms", "1,5", "one", "inf", "nan", "2 3"}) {
    EXPECT_TRUE(contains(error_of([&] { parse_number(bad); }), "expected a number")) << bad;
  }
}

TEST(Units, Counts) {
  EXPECT_EQ(parse_count("0"), 0);
  EXPECT_EQ(parse_count("42"), 42);
  EXPECT_EQ(parse_count(" 7 "), 7);
  EXPECT_EQ(parse_count("9223372036854775807"), 9223372036854775807LL);
  for (const char* bad : {"", "-1", "1.5", "+3", "1e3", "abc", "12abc", "0x10"}) {
    EXPECT_TRUE(contains(error_of([&] { parse_count(bad); }), "expected a non-negative whole number")) << bad;
  }
  EXPECT_TRUE(contains(error_of([] { parse_count("99999999999999999999"); }), "too large"));
}

}  // namespace
}  // namespace rapture::units
