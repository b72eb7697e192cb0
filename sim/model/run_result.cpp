#include "model/run_result.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstdio>

namespace rapture {

std::string_view to_string(ErrorCause cause) {
  static constexpr std::array<std::string_view, kErrorCauses> kNames{
      "queue_overflow", "downstream", "timeout", "circuit_open", "rejected", "unavailable", "injected"};
  return kNames[static_cast<size_t>(cause)];
}

namespace {

/// The process before a run: measured peak resident memory of `rapture run` on a 3-service
/// scenario of 10 bins (52 MiB: code, SimGrid, HDF5 and their buffers).
constexpr double kBaseBytes = 52.0 * (1 << 20);
/// The resolved topology, scenario and system per service and per call edge, measured on
/// cell-expanded systems of 5,000 to 78,000 services (`validate`, docs/architecture.md "Memory").
constexpr double kBytesPerService = 2304, kBytesPerCall = 1152;

/// "10,000,000": thousands separated, as a person reads a count.
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string plural(uint64_t n, const char* one, const char* many) { return grouped(n) + " " + (n == 1 ? one : many); }

}  // namespace

int64_t bin_count(double duration, double bin_width) {
  if (!(bin_width > 0) || !(duration > 0)) return 0;
  // A bin is closed at every multiple of the width below the end, and the last (partial) one at the end.
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(duration / bin_width - 1e-9)));
}

double series_peak_bytes(int64_t bins, size_t services, size_t request_types, size_t edges) {
  if (bins <= 0) return 0;
  const double per_bin = static_cast<double>(services * sizeof(ServiceBinRow) + request_types * sizeof(RequestBinRow) +
                                             edges * sizeof(EdgeBinRow));
  const auto n = static_cast<uint64_t>(bins);
  // The rows are appended bin by bin to vectors that double: at the last growth, the old block
  // (the largest power of two of bins below n) and its copy are both resident.
  const uint64_t last_growth = n > 1 ? std::bit_floor(n - 1) : 0;
  const double growing = per_bin * 2.0 * static_cast<double>(last_growth);
  // After the run: the rows, the analysis's health state and symptom (a byte each per service
  // and request type and bin) and one bin-long scratch column of doubles.
  const double analysing = per_bin * static_cast<double>(n) +
                           static_cast<double>(n) * (2.0 * static_cast<double>(services + request_types) + 8);
  return std::max(growing, analysing);
}

MemoryEstimate estimate_memory(int64_t bins, size_t services, size_t request_types, size_t edges, size_t calls,
                               double cache_bytes) {
  MemoryEstimate e;
  e.bins = bins;
  e.services = services;
  e.request_types = request_types;
  e.edges = edges;
  e.calls = calls;
  e.base_bytes = kBaseBytes;
  e.system_bytes =
      kBytesPerService * static_cast<double>(services) + kBytesPerCall * static_cast<double>(calls) + cache_bytes;
  e.series_bytes = series_peak_bytes(bins, services, request_types, edges);
  return e;
}

std::string MemoryEstimate::breakdown() const {
  std::string out = plural(static_cast<uint64_t>(bins), "bin", "bins") + " x (" +
                    plural(services, "service", "services") + " + " +
                    plural(request_types, "request type", "request types");
  if (edges > 0) out += " + " + plural(edges, "edge with policies", "edges with policies");
  out += ") rows: " + format_bytes(series_bytes) + "; system of " + plural(services, "service", "services") + " and " +
         plural(calls, "call", "calls") + ": " + format_bytes(system_bytes);
  return out;
}

std::string format_bytes(double bytes) {
  static constexpr std::array<const char*, 5> kUnits{"bytes", "KiB", "MiB", "GiB", "TiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < kUnits.size()) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  // One decimal below 10 of a unit ("6.1 GiB"), none when it would be ".0" ("4 GiB").
  const bool decimal = unit > 0 && bytes < 10 && std::lround(bytes * 10) % 10 != 0;
  std::snprintf(text, sizeof(text), "%.*f %s", decimal ? 1 : 0, bytes, kUnits[unit]);
  return text;
}

}  // namespace rapture
