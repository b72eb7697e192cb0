#pragma once
/// A sweep expanded: the kept points of its grid, each with the overrides and design it runs,
/// and the runs (points x replications) with their seeds and identities. A run's identity is a
/// content hash of what decides its result, so that a store can tell which runs it already holds.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/sweep/sweep_spec.hpp"

namespace rapture {

/// One combination of factor values the constraint keeps.
struct SweepPoint {
  uint64_t cell = 0;                ///< its index in the full grid, row-major over the axes
  std::vector<uint32_t> index;      ///< its position along each axis
  std::vector<std::string> sets;    ///< the sweep's `set:` and then one `path=value` per factor
  std::string design = "baseline";  ///< the design it runs
  std::string label;                ///< "rate=100/s retries=2", for messages
};

/// One run: a point, a replication and the seed of that replication.
struct SweepRun {
  uint32_t point = 0;        ///< index into SweepPlan::points
  uint32_t replication = 0;  ///< 0 .. R-1
  uint64_t seed = 0;         ///< first seed + replication: the same for every point (paired runs)
  std::string id;            ///< run_identity() of the run; empty until identified
};

/// The points and runs of a sweep, in grid order then replication order.
struct SweepPlan {
  std::vector<SweepPoint> points;
  std::vector<SweepRun> runs;
};

/// Expands the grid, applies the constraint and lists the runs from `first_seed`. Throws
/// InputError at the constraint's line when it drops every combination.
SweepPlan expand_sweep(const SweepSpec& spec, uint64_t first_seed);

/// The identity of one run: a SHA-1 (hex) of the scenario tree after `sets` (map keys sorted, so
/// that reordering the YAML does not change it), the design, the seed, the topology file's bytes
/// and the rapture version. Throws InputError when the scenario text does not parse.
std::string run_identity(const std::string& scenario_text, const std::string& scenario_file,
                         const std::vector<std::string>& sets, std::string_view design, uint64_t seed,
                         std::string_view topology_bytes, std::string_view version);

}  // namespace rapture
