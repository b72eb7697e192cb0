#pragma once
/// What a run measures: time-series rows streamed bin by bin to a `BinSink` while the run
/// goes on (memory does not grow with run length), and the totals at its end.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rapture {

/// Why a service visit failed.
enum class ErrorCause : uint8_t {
  QueueOverflow,  ///< the replica's queue was full: rejected on arrival
  Downstream,     ///< a critical synchronous call it made failed
  Timeout,        ///< the caller stopped waiting
  CircuitOpen,    ///< a circuit breaker refused the call
  Rejected,       ///< refused by a bulkhead, load shedding or an ejected replica
  Unavailable,    ///< no replica up (crash)
  Injected,       ///< failed by an injected error
};
inline constexpr int kErrorCauses = 7;
std::string_view to_string(ErrorCause cause);

/// One service during one time bin.
struct ServiceBinRow {
  uint64_t arrivals = 0;                        ///< visits that reached a replica
  uint64_t completions = 0;                     ///< visits that finished successfully
  std::array<uint64_t, kErrorCauses> errors{};  ///< visits that failed, by cause
  double queue_mean = 0;                        ///< time-averaged number waiting (all replicas)
  uint32_t queue_max = 0;                       ///< largest number waiting
  double busy_mean = 0;                         ///< time-averaged busy workers (all replicas)
  double latency_mean = 0;  ///< response time at the service (arrival to reply), completed visits; NaN if none
  double latency_p50 = 0, latency_p95 = 0, latency_p99 = 0;  ///< NaN if none
};

/// One request type during one time bin (requests counted when they end).
struct RequestBinRow {
  uint64_t arrivals = 0;
  uint64_t successes = 0;
  uint64_t failures = 0;
  double latency_mean = 0;                  ///< end-to-end, successes; NaN if none
  double latency_p50 = 0, latency_p99 = 0;  ///< NaN if none
};

/// One call edge (caller -> callee, with tolerance policies) during one time bin.
struct EdgeBinRow {
  uint64_t calls = 0;                ///< logical calls started (one per call, whatever its retries)
  uint64_t attempts = 0;             ///< tries sent to the callee (first tries and retries)
  uint64_t retries = 0;              ///< of which retries
  uint64_t timeouts = 0;             ///< tries the caller stopped waiting for (per-try timeout or deadline)
  uint64_t failures = 0;             ///< calls that failed after all their tries (fallbacks not counted)
  uint64_t fallbacks = 0;            ///< calls answered degraded by a fallback
  uint64_t circuit_rejections = 0;   ///< tries refused by an open (or full half-open) breaker
  uint64_t bulkhead_rejections = 0;  ///< tries refused by the edge's bulkhead
  uint64_t late_replies = 0;         ///< replies that came after the caller had given up
  /// Calls that ended without a single try sent: every try refused by the breaker or the bulkhead
  /// (or the deadline passed first). Tries per call made is attempts / (calls - calls_refused).
  uint64_t calls_refused = 0;
  double open_fraction = 0;  ///< share of the caller's replicas whose breaker is not closed at the bin's end
};

/// A circuit breaker changing state.
struct CircuitEvent {
  double time = 0;
  uint32_t edge = 0;         ///< edge index (RunInfo::edges)
  uint32_t replica = 0;      ///< the caller replica (within its service) owning the breaker
  uint8_t from = 0, to = 0;  ///< 0 closed, 1 open, 2 half-open
};

/// Facts fixed before a run starts: names (dimension labels) and provenance.
struct RunInfo {
  int index = 0;  ///< the run's index in the file: group /runs/<index>
  uint64_t seed = 0;
  std::string rapture_version;
  std::string scenario_name, scenario_file, scenario_text;
  std::string topology_name, topology_file;
  std::string design = "baseline";
  std::vector<std::pair<std::string, std::string>> parameters;  ///< --set KEY=VALUE overrides
  double duration = 0, warmup = 0, bin_width = 0;
  std::vector<std::string> services;       ///< service index -> name
  std::vector<std::string> request_types;  ///< request type index -> name
  std::vector<std::string> edges;          ///< edge index -> "caller -> callee" (edges with tolerance policies)
  std::vector<std::string> caches;         ///< cache index (System::caches) -> the cache service's name
  std::vector<double> histogram_edges;     ///< latency histogram bucket edges (seconds), buckets + 1
};

/// One stateful look-aside cache during one time bin.
struct CacheBinRow {
  uint64_t lookups = 0;  ///< keys asked for (visits that reached the backend call's decision)
  uint64_t hits = 0;     ///< of them, found fresh in the cache
  uint64_t fills = 0;    ///< successful backend answers written into it (late ones included)
};

/// Receives time-series rows as bins complete.
class BinSink {
 public:
  virtual ~BinSink() = default;
  /// Bin `index` covers [index * bin_width, (index + 1) * bin_width).
  virtual void write_bin(int64_t index, std::span<const ServiceBinRow> services,
                         std::span<const RequestBinRow> requests) = 0;
  /// The edges' rows of bin `index`, given just before `write_bin` of the same bin (only when
  /// RunInfo::edges is not empty).
  virtual void write_edge_bin(int64_t index, std::span<const EdgeBinRow> edges) {}
  /// Circuit breaker transitions since the previous call, oldest first (given at bin ends).
  virtual void write_circuit_events(std::span<const CircuitEvent> events) {}
  /// The stateful caches' rows of bin `index` (System::caches order), given just before
  /// `write_bin` of the same bin (only when the system has caches).
  virtual void write_cache_bin(int64_t index, std::span<const CacheBinRow> caches) {}
};

/// A service over the whole run (all bins, warm-up included, so that conservation holds).
struct ServiceTotals {
  uint64_t arrivals = 0, completions = 0;
  std::array<uint64_t, kErrorCauses> errors{};
  uint64_t in_flight_end = 0;  ///< visits waiting or in service when the run ended
  double latency_mean = 0;     ///< after warm-up; NaN if none
  double busy_mean = 0;        ///< after warm-up
  double queue_mean = 0;       ///< after warm-up
  double arrival_rate = 0;     ///< after warm-up, per second
  double wasted_cpu = 0;       ///< CPU seconds (reference core) spent on visits whose caller had given up
};

/// A request type over the measured period (after warm-up; requests counted when they end).
struct RequestSummary {
  uint64_t successes = 0, failures = 0;
  uint64_t degraded = 0;  ///< of the successes, answered with at least one fallback
  /// Visits made at each service per request ended (retry amplification), by service index.
  std::vector<double> visits_per_request;
  double latency_mean = 0, p50 = 0, p95 = 0, p99 = 0, p999 = 0;  ///< successes; NaN if none
  std::vector<uint64_t> histogram;  ///< end-to-end latency of successes, one count per bucket
};

/// The run as a whole.
struct RunSummary {
  double measured_seconds = 0;  ///< duration - warm-up (or up to the early stop)
  uint64_t requests = 0, successes = 0, failures = 0;
  uint64_t degraded = 0;  ///< successes answered with a fallback somewhere
  double throughput = 0;  ///< requests ended per second
  double goodput = 0;     ///< successful requests per second, degraded ones included
  double wasted_cpu = 0;  ///< CPU seconds spent on visits whose caller had given up
  /// Users (tenants) with requests ending during the faults' span, and those of them with more
  /// than the analysis' degraded share failed: the share of users a failure reaches. 0 without faults.
  uint64_t users = 0, users_failing = 0;
  double error_rate = 0;                                         ///< failures / requests ended
  double latency_mean = 0, p50 = 0, p95 = 0, p99 = 0, p999 = 0;  ///< all successes; NaN if none
  bool stopped_early = false;
  std::string stop_reason;  ///< why, when stopped early
  uint64_t events = 0;      ///< events the engine processed
  double wall_seconds = 0;  ///< wall-clock time of the run
};

struct RunTotals {
  std::vector<ServiceTotals> services;     ///< by service index
  std::vector<RequestSummary> requests;    ///< by request type index
  std::vector<EdgeBinRow> edges;           ///< by edge index: every bin added up (open_fraction: mean over bins)
  std::vector<uint64_t> circuit_openings;  ///< by edge index: breaker transitions to open
  std::vector<CacheBinRow> caches;         ///< by cache index (System::caches): every bin added up
  RunSummary summary;
};

/// The memory one run declares before it starts, so that a run that would not fit is refused
/// with a message instead of swapping or being killed: the process itself, the system it
/// simulates, and the time series the analysis keeps (every bin's rows of every service, request
/// type and edge: the cascade analysis reads them back after the run, see analysis/run_series).
/// Calibrated against measured peak resident memory (docs/architecture.md, "Memory").
struct MemoryEstimate {
  int64_t bins = 0;          ///< time bins of the run
  size_t services = 0;       ///< services of the system as simulated (a design's cells expanded)
  size_t request_types = 0;  ///< request types
  size_t edges = 0;          ///< call edges with tolerance policies (one row each per bin)
  size_t calls = 0;          ///< call edges of the system as simulated
  double base_bytes = 0;     ///< the process before the run: code, SimGrid, HDF5
  double system_bytes = 0;   ///< the topology, scenario and resolved system (designs: expanded)
  double series_bytes = 0;   ///< the time series kept for the analysis, at its peak
  /// Everything added up.
  [[nodiscard]] double total() const { return base_bytes + system_bytes + series_bytes; }
  /// "10,000,000 bins x 3 services x ..." : what the estimate is made of, for messages.
  [[nodiscard]] std::string breakdown() const;
};

/// Bytes the time series of a run keeps at its peak: bins x (services x ServiceBinRow + request
/// types x RequestBinRow + edges x EdgeBinRow), grown by doubling while the run goes (the peak is
/// the copy at the last growth: twice the largest power of two below `bins`), or after the run
/// the rows plus the analysis's per-bin health states, whichever is larger.
double series_peak_bytes(int64_t bins, size_t services, size_t request_types, size_t edges);

/// The estimate for a system of `services` services and `calls` call edges, `edges` of them
/// with policies, running `bins` bins; `cache_bytes`: the tables of its stateful caches, fixed by
/// their capacities (cache_table_bytes in model/system.hpp), counted with the system.
MemoryEstimate estimate_memory(int64_t bins, size_t services, size_t request_types, size_t edges, size_t calls,
                               double cache_bytes = 0);

/// Bins of a run of `duration` seconds in bins of `bin_width` (the last one possibly partial).
int64_t bin_count(double duration, double bin_width);

/// `bytes` in binary units with two significant decimals at most: "512 MiB", "6.1 GiB".
std::string format_bytes(double bytes);

}  // namespace rapture
