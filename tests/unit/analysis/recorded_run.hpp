#pragma once
/// Runs recorded by hand for the analysis tests: a system built from DOT and YAML text, healthy
/// bins changed bin by bin by the mechanism a test describes, and lookups in the report.

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "analysis/cascade_report.hpp"
#include "analysis/run_series.hpp"
#include "io/scenario_reader.hpp"
#include "io/topology_reader.hpp"
#include "model/system.hpp"

namespace rapture::testing {

/// The analysis tests' usual system: a calls b, b calls c.
inline constexpr const char* kChain = R"(digraph chain { a -> b; b -> c; })";

/// A scenario of the chain: 100 requests/s of type r entering at a, `duration` long after 10 s
/// of warm-up, then `rest` (services, policies, faults).
inline std::string chain_scenario(const std::string& duration, const std::string& rest) {
  return "name: chain\ntopology: chain.dot\nduration: " + duration +
         "\nwarmup: 10s\nrequests: {r: {entry: a}}\n"
         "workload: [{request: r, arrivals: {kind: poisson, rate: 100/s}}]\n" +
         rest;
}

inline System make_system(const std::string& dot, const std::string& yaml) {
  const Topology topology = read_topology_dot(dot, "test.dot");
  const Scenario scenario = parse_scenario(yaml, "test.yaml", ".", {});
  return build_system(topology, scenario);
}

/// Healthy traffic everywhere (100 visits per bin, 10 ms), changed bin by bin by `edit`.
using Edit = std::function<void(int64_t bin, std::vector<ServiceBinRow>&, std::vector<RequestBinRow>&,
                                std::vector<EdgeBinRow>&)>;
/// The stateful caches' rows of a bin (System::caches order), changed bin by bin.
using CacheEdit = std::function<void(int64_t bin, std::vector<CacheBinRow>&)>;
/// `cache_edit` (when given, and the system has caches) writes the caches' rows, which start at
/// 100 lookups and 90 hits a bin.
inline RunSeries record(const System& sys, int64_t bins, const Edit& edit, const CacheEdit& cache_edit = {}) {
  RunSeries series(sys.services.size(), sys.request_types.size(), sys.edge_policies.size());
  for (int64_t b = 0; b < bins; ++b) {
    std::vector<ServiceBinRow> s(sys.services.size());
    for (auto& row : s) {
      row.arrivals = row.completions = 100;
      row.latency_mean = 0.010;
      row.busy_mean = 0.5;
    }
    std::vector<RequestBinRow> r(sys.request_types.size());
    for (auto& row : r) {
      row.arrivals = row.successes = 100;
      row.latency_mean = 0.030;
    }
    std::vector<EdgeBinRow> e(sys.edge_policies.size());
    for (auto& row : e) row.calls = row.attempts = 100;
    edit(b, s, r, e);
    if (cache_edit && !sys.caches.empty()) {
      std::vector<CacheBinRow> c(sys.caches.size(), CacheBinRow{100, 90, 10});
      cache_edit(b, c);
      series.write_cache_bin(b, c);
    }
    if (!e.empty()) series.write_edge_bin(b, e);
    series.write_bin(b, s, r);
  }
  return series;
}

inline void fail(ServiceBinRow& row, double share, ErrorCause cause = ErrorCause::Downstream) {
  const auto errors = static_cast<uint64_t>(share * 100);
  row.completions = 100 - errors;
  row.errors[static_cast<int>(cause)] = errors;
}

inline const PropagationNode* node_of(const System& sys, const CascadeReport& r, const std::string& name) {
  for (const auto& n : r.propagation) {
    if (sys.services[n.service].name == name) return &n;
  }
  return nullptr;
}

inline bool journal_has(const CascadeReport& r, Category category, const std::string& place) {
  return std::any_of(r.journal.begin(), r.journal.end(),
                     [&](const JournalEntry& e) { return e.category == category && e.place == place; });
}

}  // namespace rapture::testing
