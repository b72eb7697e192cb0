#pragma once
/// Parsing of quantities with units as users write them: `250ms`, `300/s`, `2Gf`, `10Gbps`.
/// Each parser throws `std::invalid_argument` with a message saying what was expected; the
/// caller wraps it into an InputError carrying the file and line.

#include <string_view>

namespace rapture::units {

/// A duration in seconds: `250ms`, `1.5s`, `100us`, `2min`, `1h`; a bare number is seconds.
double parse_duration(std::string_view text);

/// A rate in events per second: `300/s`, `18000/min`, `5/ms`, `2/h`; a bare number is per second.
double parse_rate(std::string_view text);

/// A CPU speed in flop/s: `1Gf`, `500Mf`, `2.5e9`; a bare number is flop/s.
double parse_speed(std::string_view text);

/// A bandwidth in bytes per second: `1Gbps` (bits), `125MBps` (bytes); a bare number is B/s.
double parse_bandwidth(std::string_view text);

/// A size in bytes: `4KiB`, `1MB`, `512B`; a bare number is bytes.
double parse_bytes(std::string_view text);

/// A plain number (no unit), strictly the whole text.
double parse_number(std::string_view text);

/// A non-negative integer, strictly the whole text; rejects fractions and signs.
long long parse_count(std::string_view text);

}  // namespace rapture::units
