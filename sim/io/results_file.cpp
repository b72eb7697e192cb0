#include "io/results_file.hpp"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "io/hdf5_support.hpp"

namespace rapture {

namespace {

/// Rows per chunk of the circuit-breaker event table (18 bytes a row before compression).
constexpr hsize_t kEventChunkRows = 1024;

using hdf5::attach;
using hdf5::attr_scalar;
using hdf5::attr_string;
using hdf5::attr_strings;
using hdf5::attr_values;
using hdf5::Check;
using hdf5::create_group;
using hdf5::fixed_dataset;
using hdf5::H5Type;
using hdf5::Hid;
using hdf5::make_scale;
using hdf5::simple_space;
using hdf5::string_dataset;

/// One extendible time-series dataset [time, ...] and the rows not yet written to it (at most a chunk).
template <class T>
struct Series {
  Hid dset;
  std::vector<hsize_t> row_dims;  // dimensions after time
  hsize_t row_elems = 1;
  std::vector<T> buffer;

  void create(const Check& check, hid_t group, const std::string& name, std::vector<hsize_t> dims_after_time,
              hsize_t chunk_rows, const char* units) {
    row_dims = std::move(dims_after_time);
    row_elems = 1;
    for (hsize_t d : row_dims) row_elems *= d;
    dset = hdf5::series_dataset(check, group, name, H5Type<T>::file(), row_dims, chunk_rows);
    if (units != nullptr) attr_string(check, dset.get(), "units", units);
    buffer.reserve(chunk_rows * row_elems);
  }

  /// Writes the buffered rows as rows [start, start + rows) of the dataset.
  void flush(const Check& check, hsize_t start, hsize_t rows) {
    if (rows == 0 || !dset.valid()) return;
    std::vector<hsize_t> extent{start + rows}, offset{start}, count{rows};
    for (hsize_t d : row_dims) {
      extent.push_back(d);
      offset.push_back(0);
      count.push_back(d);
    }
    check.status(H5Dset_extent(dset.get(), extent.data()), "extending a time series");
    if (row_elems > 0) {
      Hid file_space = check.id(H5Dget_space(dset.get()), H5Sclose, "dataspace");
      check.status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr),
                   "selecting rows");
      Hid mem_space = simple_space(check, count);
      check.status(
          H5Dwrite(dset.get(), H5Type<T>::mem(), mem_space.get(), file_space.get(), H5P_DEFAULT, buffer.data()),
          "writing a time series");
    }
    // Rows buffered beyond `rows` (an edge row given ahead of its bin's write_bin) stay.
    const size_t done = std::min<size_t>(rows * row_elems, buffer.size());
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(done));
  }
};

hsize_t chunk_rows_for(size_t services, size_t request_types, size_t edges) {
  const size_t widest_row = std::max({services * kErrorCauses * sizeof(uint64_t), request_types * sizeof(uint64_t),
                                      edges * sizeof(uint64_t), sizeof(double)});
  return hdf5::series_chunk_rows(widest_row);
}

/// The counters of an edge's time series, in the order of docs/results-format.md.
struct EdgeCount {
  const char* name;
  uint64_t EdgeBinRow::*member;
};
constexpr std::array<EdgeCount, 10> kEdgeCounts{{
    {"calls", &EdgeBinRow::calls},
    {"attempts", &EdgeBinRow::attempts},
    {"retries", &EdgeBinRow::retries},
    {"timeouts", &EdgeBinRow::timeouts},
    {"failures", &EdgeBinRow::failures},
    {"fallbacks", &EdgeBinRow::fallbacks},
    {"circuit_rejections", &EdgeBinRow::circuit_rejections},
    {"bulkhead_rejections", &EdgeBinRow::bulkhead_rejections},
    {"late_replies", &EdgeBinRow::late_replies},
    {"calls_refused", &EdgeBinRow::calls_refused},
}};

/// The counters of a stateful cache's time series, in the order of docs/results-format.md.
struct CacheCount {
  const char* name;
  uint64_t CacheBinRow::*member;
  const char* description;
};
constexpr std::array<CacheCount, 3> kCacheCounts{{
    {"lookups", &CacheBinRow::lookups, "keys asked for in the bin"},
    {"hits", &CacheBinRow::hits, "lookups that found their key fresh in the cache"},
    {"fills", &CacheBinRow::fills, "successful backend answers written into the cache, late ones included"},
}};

/// Circuit breaker states as stored in events/circuit/from and to (CircuitEvent's encoding).
constexpr uint8_t kCircuitStates = 3;
constexpr const char* kCircuitStateMeanings = "closed open half_open";

}  // namespace

// ---------------------------------------------------------------------------------------------

struct ResultsFile::State {
  std::string final_path, temp_path;
  Hid file;
  Hid runs;  // /runs, created with the first run
  bool committed = false;
  std::set<RunWriter::Impl*> live;  // writers not yet closed: commit flushes them, destruction closes them
};

struct RunWriter::Impl {
  std::shared_ptr<ResultsFile::State> state;
  int index = 0;
  double bin_width = 0;
  size_t services = 0, request_types = 0, edges = 0, buckets = 0;
  hsize_t chunk_rows = 0;
  int64_t bins = 0;            // rows handed to write_bin
  int64_t edge_bins = 0;       // bins whose edge rows were given (bins + 1 between write_edge_bin and write_bin)
  size_t caches = 0;           // stateful caches: their group exists only when there are some
  int64_t cache_bins = 0;      // bins whose cache rows were given, as edge_bins
  hsize_t written_rows = 0;    // rows already in the datasets
  hsize_t written_events = 0;  // circuit events already in the datasets
  bool closed = false;

  Hid group, scale_service, scale_request, scale_edge, scale_time, scale_cause, scale_bucket, scale_cache;
  Series<double> time;
  Series<uint64_t> s_arrivals, s_completions, s_errors;
  Series<double> s_queue_mean;
  Series<uint32_t> s_queue_max;
  Series<double> s_busy_mean, s_latency_mean, s_latency_p50, s_latency_p95, s_latency_p99;
  Series<uint64_t> r_arrivals, r_successes, r_failures;
  Series<double> r_latency_mean, r_latency_p50, r_latency_p99;
  std::array<Series<uint64_t>, kEdgeCounts.size()> e_counts;
  Series<double> e_open_fraction;
  std::array<Series<uint64_t>, kCacheCounts.size()> c_counts;
  // The circuit event table: one row per breaker transition, its own chunking.
  Series<double> ev_time;
  Series<uint32_t> ev_edge, ev_replica;
  Series<uint8_t> ev_from, ev_to;

  [[nodiscard]] Check check() const { return Check(state->final_path); }

  /// The time series: one row per bin.
  template <class F>
  void each_series(F&& f) {
    f(time);
    f(s_arrivals), f(s_completions), f(s_errors), f(s_queue_mean), f(s_queue_max), f(s_busy_mean);
    f(s_latency_mean), f(s_latency_p50), f(s_latency_p95), f(s_latency_p99);
    f(r_arrivals), f(r_successes), f(r_failures), f(r_latency_mean), f(r_latency_p50), f(r_latency_p99);
    for (auto& series : e_counts) f(series);
    f(e_open_fraction);
    for (auto& series : c_counts) f(series);
  }

  /// The event table's columns: one row per event.
  template <class F>
  void each_event_series(F&& f) {
    f(ev_time), f(ev_edge), f(ev_replica), f(ev_from), f(ev_to);
  }

  void flush_bins() {
    const hsize_t rows = static_cast<hsize_t>(bins) - written_rows;
    if (rows == 0) return;
    const Check c = check();
    each_series([&](auto& series) { series.flush(c, written_rows, rows); });
    written_rows += rows;
  }

  void flush_events() {
    const hsize_t rows = ev_time.buffer.size();
    if (rows == 0) return;
    const Check c = check();
    each_event_series([&](auto& series) { series.flush(c, written_events, rows); });
    written_events += rows;
  }

  void flush() {
    flush_bins();
    flush_events();
  }

  /// Releases every handle; the writer accepts nothing afterwards.
  void close() {
    auto release = [](auto& series) {
      series.dset.reset();
      decltype(series.buffer)().swap(series.buffer);
    };
    each_series(release);
    each_event_series(release);
    for (Hid* hid : {&scale_service, &scale_request, &scale_edge, &scale_time, &scale_cause, &scale_bucket,
                     &scale_cache, &group}) {
      hid->reset();
    }
    closed = true;
    state->live.erase(this);
  }

  void require_open(const char* what) const {
    if (closed) {
      check().fail(std::string(what) + " for run " + std::to_string(index),
                   "the run is already finished or the file closed");
    }
  }

  /// Checks the `rows` rows of the side series `what` ("edge", "cache") given for bin `index`,
  /// whose rows are given up to bin `given`: they must be the next bin's, once, one per column.
  void require_next_rows(const std::string& what, int64_t given, int64_t bin, size_t rows, size_t expected) const {
    require_open("writing a bin");
    const std::string function = "RunWriter::write_" + what + "_bin: ";
    if (given != bins) {
      throw std::invalid_argument(function + "the " + what + " rows of bin " + std::to_string(bins) +
                                  " were already given; write_bin comes next");
    }
    if (bin != bins) {
      throw std::invalid_argument(function + "bin " + std::to_string(bin) + " given, expected " + std::to_string(bins));
    }
    if (rows != expected) {
      throw std::invalid_argument(function + std::to_string(rows) + " rows given, the run has " +
                                  std::to_string(expected) + " " + what + "s");
    }
  }

  void create(const RunInfo& info);
  void write_totals(const RunTotals& totals);
};

void RunWriter::Impl::create(const RunInfo& info) {
  const Check c = check();
  index = info.index;
  bin_width = info.bin_width;
  services = info.services.size();
  request_types = info.request_types.size();
  edges = info.edges.size();
  buckets = info.histogram_edges.empty() ? 0 : info.histogram_edges.size() - 1;
  chunk_rows = chunk_rows_for(services, request_types, edges);

  group = create_group(c, state->runs.get(), std::to_string(info.index));
  const hid_t g = group.get();

  attr_scalar<uint64_t>(c, g, "seed", info.seed);
  attr_string(c, g, "scenario_name", info.scenario_name);
  attr_string(c, g, "scenario_file", info.scenario_file);
  attr_string(c, g, "scenario_text", info.scenario_text);
  attr_string(c, g, "topology_name", info.topology_name);
  attr_string(c, g, "topology_file", info.topology_file);
  attr_string(c, g, "design", info.design);
  attr_scalar<double>(c, g, "duration", info.duration);
  attr_scalar<double>(c, g, "warmup", info.warmup);
  attr_scalar<double>(c, g, "bin_width", info.bin_width);
  attr_string(c, g, "rapture_version", info.rapture_version);
  std::vector<std::string> parameters;
  parameters.reserve(info.parameters.size());
  for (const auto& [key, value] : info.parameters) parameters.push_back(key + "=" + value);
  attr_strings(c, g, "parameters", parameters);

  // Dimension scales: the axes' labels, shared by every dataset of the run.
  scale_service = string_dataset(c, g, "service", info.services);
  make_scale(c, scale_service, "service");
  scale_request = string_dataset(c, g, "request_type", info.request_types);
  make_scale(c, scale_request, "request_type");
  // Always present, possibly empty: a run without tolerance policies has no edges.
  scale_edge = string_dataset(c, g, "edge", info.edges);
  attr_string(c, scale_edge.get(), "description", "call edges with tolerance policies, \"caller -> callee\"");
  make_scale(c, scale_edge, "edge");
  std::vector<std::string> causes;
  for (int k = 0; k < kErrorCauses; ++k) causes.emplace_back(to_string(static_cast<ErrorCause>(k)));
  scale_cause = string_dataset(c, g, "error_cause", causes);
  make_scale(c, scale_cause, "error_cause");

  time.create(c, g, "time", {}, chunk_rows, "s");
  attr_string(c, time.dset.get(), "description", "start of each bin; bin k covers [time[k], time[k] + bin_width)");
  make_scale(c, time.dset, "time");

  const std::array<hsize_t, 1> bucket_edge_dims{info.histogram_edges.size()};
  Hid bucket_edges = fixed_dataset<double>(c, g, "latency_bucket_edges", bucket_edge_dims, info.histogram_edges.data());
  attr_string(c, bucket_edges.get(), "units", "s");
  attr_string(c, bucket_edges.get(), "description",
              "bucket k of totals/requests/latency_histogram counts successful requests whose end-to-end "
              "latency lies in [edges[k], edges[k + 1])");
  make_scale(c, bucket_edges, "latency_bucket_edges");
  // The histogram's bucket axis needs a scale of its own length (edges has one more entry).
  const std::array<hsize_t, 1> bucket_dims{buckets};
  scale_bucket = fixed_dataset<double>(c, g, "latency_bucket", bucket_dims, info.histogram_edges.data());
  attr_string(c, scale_bucket.get(), "units", "s");
  attr_string(c, scale_bucket.get(), "description", "lower edge of each latency histogram bucket");
  make_scale(c, scale_bucket, "latency_bucket");

  const std::pair<const Hid*, const char*> by_time{&time.dset, "time"}, by_service{&scale_service, "service"},
      by_request{&scale_request, "request_type"}, by_cause{&scale_cause, "error_cause"};
  Hid sgroup = create_group(c, g, "services");
  const hsize_t s = services, r = request_types;
  auto service_series = [&](auto& series, const char* series_name, const char* units) {
    series.create(c, sgroup.get(), series_name, {s}, chunk_rows, units);
    attach(c, series.dset, {by_time, by_service});
  };
  service_series(s_arrivals, "arrivals", nullptr);
  service_series(s_completions, "completions", nullptr);
  s_errors.create(c, sgroup.get(), "errors", {s, kErrorCauses}, chunk_rows, nullptr);
  attach(c, s_errors.dset, {by_time, by_service, by_cause});
  service_series(s_queue_mean, "queue_mean", nullptr);
  service_series(s_queue_max, "queue_max", nullptr);
  service_series(s_busy_mean, "busy_mean", nullptr);
  service_series(s_latency_mean, "latency_mean", "s");
  service_series(s_latency_p50, "latency_p50", "s");
  service_series(s_latency_p95, "latency_p95", "s");
  service_series(s_latency_p99, "latency_p99", "s");

  Hid rgroup = create_group(c, g, "requests");
  auto request_series = [&](auto& series, const char* series_name, const char* units) {
    series.create(c, rgroup.get(), series_name, {r}, chunk_rows, units);
    attach(c, series.dset, {by_time, by_request});
  };
  request_series(r_arrivals, "arrivals", nullptr);
  request_series(r_successes, "successes", nullptr);
  request_series(r_failures, "failures", nullptr);
  request_series(r_latency_mean, "latency_mean", "s");
  request_series(r_latency_p50, "latency_p50", "s");
  request_series(r_latency_p99, "latency_p99", "s");

  // Per-edge series: [time, edge], present (with 0 columns) when the run has no edges.
  const std::pair<const Hid*, const char*> by_edge{&scale_edge, "edge"};
  Hid egroup = create_group(c, g, "edges");
  const hsize_t e = edges;
  for (size_t k = 0; k < kEdgeCounts.size(); ++k) {
    e_counts[k].create(c, egroup.get(), kEdgeCounts[k].name, {e}, chunk_rows, nullptr);
    attach(c, e_counts[k].dset, {by_time, by_edge});
  }
  e_open_fraction.create(c, egroup.get(), "open_fraction", {e}, chunk_rows, nullptr);
  attr_string(c, e_open_fraction.dset.get(), "description",
              "share of the caller's replicas whose breaker is not closed at the bin's end");
  attach(c, e_open_fraction.dset, {by_time, by_edge});

  // Per-cache series: [time, cache], only when the run has stateful look-aside caches.
  caches = info.caches.size();
  if (caches > 0) {
    scale_cache = string_dataset(c, g, "cache", info.caches);
    attr_string(c, scale_cache.get(), "description", "stateful look-aside caches (their service names)");
    make_scale(c, scale_cache, "cache");
    const std::pair<const Hid*, const char*> by_cache{&scale_cache, "cache"};
    Hid cgroup = create_group(c, g, "caches");
    for (size_t k = 0; k < kCacheCounts.size(); ++k) {
      c_counts[k].create(c, cgroup.get(), kCacheCounts[k].name, {static_cast<hsize_t>(caches)}, chunk_rows, nullptr);
      attr_string(c, c_counts[k].dset.get(), "description", kCacheCounts[k].description);
      attach(c, c_counts[k].dset, {by_time, by_cache});
    }
  }

  // Circuit breaker transitions: a table of equal-length columns, indexed by its own `time` scale.
  Hid events = create_group(c, g, "events");
  Hid circuit = create_group(c, events.get(), "circuit");
  attr_string(c, circuit.get(), "description", "circuit breaker state changes, in time order");
  ev_time.create(c, circuit.get(), "time", {}, kEventChunkRows, "s");
  attr_string(c, ev_time.dset.get(), "description", "when the breaker changed state");
  make_scale(c, ev_time.dset, "time");
  const std::pair<const Hid*, const char*> by_event{&ev_time.dset, "time"};
  ev_edge.create(c, circuit.get(), "edge", {}, kEventChunkRows, nullptr);
  attr_string(c, ev_edge.dset.get(), "description", "edge index: position in ../../edge");
  attach(c, ev_edge.dset, {by_event});
  ev_replica.create(c, circuit.get(), "replica", {}, kEventChunkRows, nullptr);
  attr_string(c, ev_replica.dset.get(), "description", "caller replica (within its service) owning the breaker");
  attach(c, ev_replica.dset, {by_event});
  // CF-style state names (xarray and netCDF tools know flag_values/flag_meanings).
  const std::array<uint8_t, kCircuitStates> states{0, 1, 2};
  for (const auto& [series, name] : {std::pair{&ev_from, "from"}, std::pair{&ev_to, "to"}}) {
    series->create(c, circuit.get(), name, {}, kEventChunkRows, nullptr);
    attr_values<uint8_t>(c, series->dset.get(), "flag_values", states);
    attr_string(c, series->dset.get(), "flag_meanings", kCircuitStateMeanings);
    attach(c, series->dset, {by_event});
  }
}

void RunWriter::Impl::write_totals(const RunTotals& totals) {
  const Check c = check();
  const hid_t g = group.get();
  const std::pair<const Hid*, const char*> by_service{&scale_service, "service"},
      by_request{&scale_request, "request_type"}, by_cause{&scale_cause, "error_cause"},
      by_bucket{&scale_bucket, "latency_bucket"};

  Hid tgroup = create_group(c, g, "totals");
  Hid sgroup = create_group(c, tgroup.get(), "services");
  const std::array<hsize_t, 1> s_dims{services};
  auto service_column = [&](const char* name, auto member, const char* units) {
    using T = std::remove_cvref_t<decltype(totals.services[0].*member)>;
    std::vector<T> column;
    column.reserve(services);
    for (const auto& row : totals.services) column.push_back(row.*member);
    Hid dset = fixed_dataset<T>(c, sgroup.get(), name, s_dims, column.data());
    if (units != nullptr) attr_string(c, dset.get(), "units", units);
    attach(c, dset, {by_service});
  };
  service_column("arrivals", &ServiceTotals::arrivals, nullptr);
  service_column("completions", &ServiceTotals::completions, nullptr);
  service_column("in_flight_end", &ServiceTotals::in_flight_end, nullptr);
  service_column("latency_mean", &ServiceTotals::latency_mean, "s");
  service_column("busy_mean", &ServiceTotals::busy_mean, nullptr);
  service_column("queue_mean", &ServiceTotals::queue_mean, nullptr);
  service_column("arrival_rate", &ServiceTotals::arrival_rate, "1/s");
  service_column("wasted_cpu", &ServiceTotals::wasted_cpu, "s");
  {
    std::vector<uint64_t> errors;
    errors.reserve(services * kErrorCauses);
    for (const auto& row : totals.services) errors.insert(errors.end(), row.errors.begin(), row.errors.end());
    const std::array<hsize_t, 2> dims{services, kErrorCauses};
    Hid dset = fixed_dataset<uint64_t>(c, sgroup.get(), "errors", dims, errors.data());
    attach(c, dset, {by_service, by_cause});
  }

  Hid rgroup = create_group(c, tgroup.get(), "requests");
  const std::array<hsize_t, 1> r_dims{request_types};
  auto request_column = [&](const char* name, auto member, const char* units) {
    using T = std::remove_cvref_t<decltype(totals.requests[0].*member)>;
    std::vector<T> column;
    column.reserve(request_types);
    for (const auto& row : totals.requests) column.push_back(row.*member);
    Hid dset = fixed_dataset<T>(c, rgroup.get(), name, r_dims, column.data());
    if (units != nullptr) attr_string(c, dset.get(), "units", units);
    attach(c, dset, {by_request});
  };
  request_column("successes", &RequestSummary::successes, nullptr);
  request_column("failures", &RequestSummary::failures, nullptr);
  request_column("degraded", &RequestSummary::degraded, nullptr);
  request_column("latency_mean", &RequestSummary::latency_mean, "s");
  request_column("p50", &RequestSummary::p50, "s");
  request_column("p95", &RequestSummary::p95, "s");
  request_column("p99", &RequestSummary::p99, "s");
  request_column("p999", &RequestSummary::p999, "s");
  {
    std::vector<uint64_t> histogram;
    histogram.reserve(request_types * buckets);
    for (const auto& row : totals.requests)
      histogram.insert(histogram.end(), row.histogram.begin(), row.histogram.end());
    const std::array<hsize_t, 2> dims{request_types, buckets};
    Hid dset = fixed_dataset<uint64_t>(c, rgroup.get(), "latency_histogram", dims, histogram.data());
    attr_string(c, dset.get(), "description",
                "successful requests by end-to-end latency; see ../../latency_bucket_edges");
    attach(c, dset, {by_request, by_bucket});
  }
  {
    std::vector<double> visits;
    visits.reserve(request_types * services);
    for (const auto& row : totals.requests) {
      visits.insert(visits.end(), row.visits_per_request.begin(), row.visits_per_request.end());
    }
    const std::array<hsize_t, 2> dims{request_types, services};
    Hid dset = fixed_dataset<double>(c, rgroup.get(), "visits_per_request", dims, visits.data());
    attr_string(c, dset.get(), "description",
                "visits made at each service per request ended (retries included); NaN if none ended");
    attach(c, dset, {by_request, by_service});
  }

  const RunSummary& sum = totals.summary;
  Hid summary = create_group(c, g, "summary");
  const hid_t sg = summary.get();
  attr_scalar<double>(c, sg, "measured_seconds", sum.measured_seconds);
  attr_scalar<uint64_t>(c, sg, "requests", sum.requests);
  attr_scalar<uint64_t>(c, sg, "successes", sum.successes);
  attr_scalar<uint64_t>(c, sg, "failures", sum.failures);
  attr_scalar<uint64_t>(c, sg, "degraded", sum.degraded);
  attr_scalar<double>(c, sg, "throughput", sum.throughput);
  attr_scalar<double>(c, sg, "goodput", sum.goodput);
  attr_scalar<double>(c, sg, "wasted_cpu", sum.wasted_cpu);
  attr_scalar<uint64_t>(c, sg, "users", sum.users);
  attr_scalar<uint64_t>(c, sg, "users_failing", sum.users_failing);
  attr_scalar<double>(c, sg, "error_rate", sum.error_rate);
  attr_scalar<double>(c, sg, "latency_mean", sum.latency_mean);
  attr_scalar<double>(c, sg, "p50", sum.p50);
  attr_scalar<double>(c, sg, "p95", sum.p95);
  attr_scalar<double>(c, sg, "p99", sum.p99);
  attr_scalar<double>(c, sg, "p999", sum.p999);

  attr_scalar<int32_t>(c, g, "stopped_early", sum.stopped_early ? 1 : 0);
  attr_string(c, g, "stop_reason", sum.stop_reason);
  attr_scalar<uint64_t>(c, g, "events", sum.events);
  attr_scalar<double>(c, g, "wall_seconds", sum.wall_seconds);
}

// ---------------------------------------------------------------------------------------------

RunWriter::RunWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RunWriter::~RunWriter() {
  if (!impl_) return;
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  if (!impl_->closed) {
    // An unfinished run (the simulation threw) keeps the bins it had; a failure here has
    // nowhere to go, and the error that unwound us matters more.
    try {
      impl_->flush();
    } catch (...) {  // NOLINT(bugprone-empty-catch)
    }
    impl_->close();
  }
}

void RunWriter::write_bin(int64_t index, std::span<const ServiceBinRow> services,
                          std::span<const RequestBinRow> requests) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  Impl& w = *impl_;
  w.require_open("writing a bin");
  if (index != w.bins) {
    throw std::invalid_argument("RunWriter::write_bin: bin " + std::to_string(index) + " given, expected " +
                                std::to_string(w.bins));
  }
  if (services.size() != w.services || requests.size() != w.request_types) {
    throw std::invalid_argument("RunWriter::write_bin: row counts do not match the run's services and request types");
  }
  if (w.edges > 0 && w.edge_bins != index + 1) {
    throw std::invalid_argument("RunWriter::write_bin: the edge rows of bin " + std::to_string(index) +
                                " were not given (write_edge_bin comes first)");
  }
  if (w.caches > 0 && w.cache_bins != index + 1) {
    throw std::invalid_argument("RunWriter::write_bin: the cache rows of bin " + std::to_string(index) +
                                " were not given (write_cache_bin comes first)");
  }
  w.time.buffer.push_back(static_cast<double>(index) * w.bin_width);
  for (const ServiceBinRow& row : services) {
    w.s_arrivals.buffer.push_back(row.arrivals);
    w.s_completions.buffer.push_back(row.completions);
    w.s_errors.buffer.insert(w.s_errors.buffer.end(), row.errors.begin(), row.errors.end());
    w.s_queue_mean.buffer.push_back(row.queue_mean);
    w.s_queue_max.buffer.push_back(row.queue_max);
    w.s_busy_mean.buffer.push_back(row.busy_mean);
    w.s_latency_mean.buffer.push_back(row.latency_mean);
    w.s_latency_p50.buffer.push_back(row.latency_p50);
    w.s_latency_p95.buffer.push_back(row.latency_p95);
    w.s_latency_p99.buffer.push_back(row.latency_p99);
  }
  for (const RequestBinRow& row : requests) {
    w.r_arrivals.buffer.push_back(row.arrivals);
    w.r_successes.buffer.push_back(row.successes);
    w.r_failures.buffer.push_back(row.failures);
    w.r_latency_mean.buffer.push_back(row.latency_mean);
    w.r_latency_p50.buffer.push_back(row.latency_p50);
    w.r_latency_p99.buffer.push_back(row.latency_p99);
  }
  ++w.bins;
  w.edge_bins = w.bins;
  w.cache_bins = w.bins;
  if (static_cast<hsize_t>(w.bins) - w.written_rows >= w.chunk_rows) w.flush_bins();
}

void RunWriter::write_edge_bin(int64_t index, std::span<const EdgeBinRow> edges) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  Impl& w = *impl_;
  w.require_next_rows("edge", w.edge_bins, index, edges.size(), w.edges);
  for (const EdgeBinRow& row : edges) {
    for (size_t k = 0; k < kEdgeCounts.size(); ++k) w.e_counts[k].buffer.push_back(row.*kEdgeCounts[k].member);
    w.e_open_fraction.buffer.push_back(row.open_fraction);
  }
  w.edge_bins = w.bins + 1;
}

void RunWriter::write_cache_bin(int64_t index, std::span<const CacheBinRow> caches) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  Impl& w = *impl_;
  w.require_next_rows("cache", w.cache_bins, index, caches.size(), w.caches);
  for (const CacheBinRow& row : caches) {
    for (size_t k = 0; k < kCacheCounts.size(); ++k) w.c_counts[k].buffer.push_back(row.*kCacheCounts[k].member);
  }
  w.cache_bins = w.bins + 1;
}

void RunWriter::write_circuit_events(std::span<const CircuitEvent> events) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  Impl& w = *impl_;
  w.require_open("writing circuit events");
  // Checked before any is taken, so that a refused call leaves the table as it was.
  for (const CircuitEvent& event : events) {
    if (event.edge >= w.edges) {
      throw std::invalid_argument("RunWriter::write_circuit_events: edge " + std::to_string(event.edge) +
                                  " given, the run has " + std::to_string(w.edges) + " edges");
    }
    if (event.from >= kCircuitStates || event.to >= kCircuitStates) {
      throw std::invalid_argument("RunWriter::write_circuit_events: breaker state " +
                                  std::to_string(std::max(event.from, event.to)) + " is not 0, 1 or 2");
    }
  }
  for (const CircuitEvent& event : events) {
    w.ev_time.buffer.push_back(event.time);
    w.ev_edge.buffer.push_back(event.edge);
    w.ev_replica.buffer.push_back(event.replica);
    w.ev_from.buffer.push_back(event.from);
    w.ev_to.buffer.push_back(event.to);
    if (w.ev_time.buffer.size() >= kEventChunkRows) w.flush_events();
  }
}

void RunWriter::finish(const RunTotals& totals) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  Impl& w = *impl_;
  w.require_open("finishing");
  if (totals.services.size() != w.services || totals.requests.size() != w.request_types) {
    throw std::invalid_argument("RunWriter::finish: totals do not match the run's services and request types");
  }
  for (const auto& request : totals.requests) {
    if (request.histogram.size() != w.buckets) {
      throw std::invalid_argument("RunWriter::finish: a latency histogram has " +
                                  std::to_string(request.histogram.size()) + " buckets, the edges give " +
                                  std::to_string(w.buckets));
    }
    if (request.visits_per_request.size() != w.services) {
      throw std::invalid_argument("RunWriter::finish: visits_per_request has " +
                                  std::to_string(request.visits_per_request.size()) + " entries, the run has " +
                                  std::to_string(w.services) + " services");
    }
  }
  w.flush();
  w.write_totals(totals);
  w.close();
}

int64_t RunWriter::bins() const { return impl_->bins; }

// ---------------------------------------------------------------------------------------------

namespace {

using hdf5::unwritable_reason;

}  // namespace

void require_writable_results(const std::string& final_path) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  if (std::string reason = hdf5::unreplaceable_reason(final_path); !reason.empty()) Check(final_path).fail(reason, "");
}

ResultsFile::ResultsFile(std::string final_path) : state_(std::make_shared<State>()) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  State& s = *state_;
  s.final_path = std::move(final_path);
  s.temp_path = s.final_path + ".tmp-" + std::to_string(::getpid());
  const Check c(s.final_path);
  if (std::string reason = unwritable_reason(s.final_path); !reason.empty()) c.fail(reason, "");

  Hid fapl = c.id(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "file access properties");
  // The 1.10 format's chunk indexes and compact groups halve the per-run metadata of a sweep
  // (~40 KB instead of ~85 KB per run) and shrink long runs by a third; pinning the upper bound
  // keeps files readable by any HDF5 >= 1.10 whatever library version writes them.
  c.status(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_V110), "file format version");
  s.file = c.id(H5Fcreate(s.temp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose,
                "creating '" + s.temp_path + "'");
  try {
    const hid_t root = s.file.get();
    attr_string(c, root, "format", "rapture-results");
    attr_scalar<int32_t>(c, root, "format_version", kResultsFormatVersion);
    attr_string(c, root, "rapture_version", RAPTURE_VERSION);
    s.runs = create_group(c, root, "runs");
  } catch (...) {
    s.runs.reset();
    s.file.reset();
    std::remove(s.temp_path.c_str());
    throw;
  }
}

ResultsFile::~ResultsFile() {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  State& s = *state_;
  // Copy: close() removes the writer from the set.
  for (RunWriter::Impl* writer : std::vector<RunWriter::Impl*>(s.live.begin(), s.live.end())) writer->close();
  s.runs.reset();
  s.file.reset();
  if (!s.committed) std::remove(s.temp_path.c_str());
}

std::unique_ptr<RunWriter> ResultsFile::begin_run(const RunInfo& info) {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  const Check c(state_->final_path);
  if (!state_->file.valid()) c.fail("run " + std::to_string(info.index), "the file is already committed");
  if (info.index < 0) throw std::invalid_argument("ResultsFile::begin_run: negative run index");
  if (!(info.bin_width > 0)) throw std::invalid_argument("ResultsFile::begin_run: bin width must be positive");
  if (info.histogram_edges.size() == 1) {
    throw std::invalid_argument("ResultsFile::begin_run: one histogram edge makes no bucket");
  }
  const std::string name = std::to_string(info.index);
  if (H5Lexists(state_->runs.get(), name.c_str(), H5P_DEFAULT) != 0) {
    c.fail("run " + name, "the file already has a run with this index");
  }
  auto impl = std::make_unique<RunWriter::Impl>();
  impl->state = state_;
  state_->live.insert(impl.get());
  try {
    impl->create(info);
  } catch (...) {
    const bool made_group = impl->group.valid();
    impl->close();
    // A half-made group would make the file fail its check; drop it (best effort).
    if (made_group) H5Ldelete(state_->runs.get(), name.c_str(), H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    throw;
  }
  return std::unique_ptr<RunWriter>(new RunWriter(std::move(impl)));
}

void ResultsFile::with_finished_run(int index, const std::function<void(int64_t group)>& write) {
  static_assert(std::is_same_v<hid_t, int64_t>, "the header passes hid_t as int64_t");
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  const State& s = *state_;
  const Check c(s.final_path);
  const std::string name = std::to_string(index);
  if (!s.file.valid()) c.fail("run " + name, "the file is already committed");
  const htri_t exists = index < 0 ? 0 : H5Lexists(s.runs.get(), name.c_str(), H5P_DEFAULT);
  if (exists < 0) c.fail_hdf5("run " + name);
  if (exists == 0) c.fail("run " + name, "the file has no run with this index");
  for (const RunWriter::Impl* writer : s.live) {
    if (writer->index == index) c.fail("run " + name, "its writer is still open (finish() comes first)");
  }
  Hid group = c.id(H5Gopen2(s.runs.get(), name.c_str(), H5P_DEFAULT), H5Gclose, "run " + name);
  write(group.get());
}

void ResultsFile::commit() {
  const std::lock_guard lock(hdf5::library_mutex());
  hdf5::silence();
  State& s = *state_;
  const Check c(s.final_path);
  if (s.committed) return;
  if (!s.file.valid()) c.fail("commit", "the file is closed");
  for (RunWriter::Impl* writer : std::vector<RunWriter::Impl*>(s.live.begin(), s.live.end())) {
    writer->flush();
    writer->close();
  }
  s.runs.reset();
  // The file's close is where buffered metadata reaches the disk: it must be checked.
  if (s.file.close() < 0) c.fail_hdf5("closing '" + s.temp_path + "'");
  if (std::rename(s.temp_path.c_str(), s.final_path.c_str()) != 0) {
    c.fail("renaming '" + s.temp_path + "'", std::strerror(errno));
  }
  s.committed = true;
}

const std::string& ResultsFile::path() const { return state_->final_path; }

const std::string& ResultsFile::temp_path() const { return state_->temp_path; }

}  // namespace rapture
