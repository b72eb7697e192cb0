#pragma once
/// `rapture compare`: runs the baseline and design variants of a scenario with the same seeds
/// and the same fault timeline (common random numbers), R replications each, and shows side by
/// side which design contains the failure and at what cost. The runs are a sweep over the design
/// (command/sweep_executor.hpp): made here or by a Slurm job array, kept in a store.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analysis/run_metrics.hpp"
#include "command/run.hpp"
#include "command/sweep_executor.hpp"
#include "io/comparison_record.hpp"

namespace rapture {

struct CompareArgs {
  std::string scenario;
  std::vector<std::string> designs;  ///< designs to compare, the first the reference; empty: baseline and every design
  int replications = 5;
  std::string output;
  std::string dot_dir;  ///< where to write <design>.dot; empty: nowhere
  std::vector<std::string> sets;
  std::optional<uint64_t> seed;  ///< replication r runs with seed + r
  /// -j (runs at once), --memory-limit (refuse runs at once estimated to need more), --slurm
  ExecutorOptions executor;
  std::string store;  ///< keep the runs in this sweep store; empty: a temporary one (with --slurm: a default)
};

/// A design's cost and structure: the values of design_metrics(), in their order.
std::vector<double> design_metric_values(const DesignFacts& facts);

/// Reads back the runs of a comparison made as a sweep over the design: run d * replications + r
/// of `store` is design d's replication r, and its row holds the compared run metrics then
/// `fixed[d]` (design_metric_values). Fills record.input's metrics and values, record.runs and
/// record.comparison (record.input.designs must be set); returns each run's (file, 0) in order:
/// what copy_runs() puts in the results file.
std::vector<std::pair<std::string, int>> tabulate_comparison(const SweepStore& store, size_t replications,
                                                             const std::vector<std::vector<double>>& fixed,
                                                             ComparisonRecord& record);

/// The sweep a comparison runs underneath: one factor, the design (`designs`, the first the
/// reference), `replications` runs of each from `seed`, every run with `sets`.
SweepSpec design_sweep(const std::string& scenario, const std::string& name, const std::vector<std::string>& sets,
                       const std::vector<std::string>& designs, int replications, uint64_t seed);

/// The row of the metric called `name` in `input` (input.metrics.size() when there is none).
size_t metric_index(const ComparisonInput& input, std::string_view name);

/// Runs the comparison; returns the process exit code.
int compare_command(const CompareArgs& args, const std::string& self);

}  // namespace rapture
